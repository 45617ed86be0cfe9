"""Reading and writing data sets (the contract lives in `csm_kit.contract`)."""
