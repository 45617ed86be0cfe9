"""Customer-success metrics, one module per area. Public names are imported here."""
