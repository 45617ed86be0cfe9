"""The `Dataset`: the contract's tables as typed DataFrames, plus where they came from.

A table the user does not have is ``None``; functions that need it call
:meth:`Dataset.require`, which raises :class:`~csm_kit.exceptions.MissingTableError`
naming the table and the function that wanted it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Iterator

import pandas as pd

from .contract import TABLES
from .exceptions import MissingTableError


@dataclass(frozen=True, eq=False)
class Dataset:
    """The customer-success tables of one data source.

    Attributes
    ----------
    customers, subscriptions, transactions, usage_events, surveys, survey_sends,
    tickets, onboarding, milestones : pandas.DataFrame or None
        The tables of the contract (``data/README.md``), typed as it says.
        ``None`` when the source does not have the table.
    source : str
        Where the data was read from (a path, a URL, ``"simulate(...)"``).
    warnings : tuple of str
        Soft validation problems found on load; the report shows them.
    snapshot : bool
        True when the data is one row per customer at one day (tenure and a
        churned flag, :func:`csm_kit.from_snapshot`), not dated history: survival,
        drivers, risk and CLV work, calendar metrics (monthly churn, MRR
        movements, cohorts) do not and say so.
    truth : pandas.DataFrame or None
        For simulated data only: the hidden traits the simulator drew per
        customer (``customer_id``, ``monthly_hazard``, ...). Not a contract
        table; no metric or model of the kit reads it. Used to validate models.
    """

    customers: pd.DataFrame | None = None
    subscriptions: pd.DataFrame | None = None
    transactions: pd.DataFrame | None = None
    usage_events: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    survey_sends: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    onboarding: pd.DataFrame | None = None
    milestones: pd.DataFrame | None = None
    source: str = "memory"
    warnings: tuple[str, ...] = field(default=())
    snapshot: bool = False
    truth: pd.DataFrame | None = field(default=None, repr=False)

    # -- access -------------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, in contract order."""
        return {name: getattr(self, name) for name in TABLES if getattr(self, name) is not None}

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        return iter(self.tables.items())

    def require(self, *names: str, by: str = "this function") -> None:
        """Raise `MissingTableError` unless every named table is present.

        >>> Dataset().require("customers", by="nps")
        Traceback (most recent call last):
        ...
        csm_kit.exceptions.MissingTableError: nps needs the 'customers' table, which this data set (memory) does not have.
        """
        missing = [n for n in names if getattr(self, n, None) is None]
        if missing:
            listed = ", ".join(repr(m) for m in missing)
            noun = "table" if len(missing) == 1 else "tables"
            raise MissingTableError(
                f"{by} needs the {listed} {noun}, which this data set ({self.source}) does not have."
            )

    def has(self, name: str) -> bool:
        """Whether the table is present."""
        return getattr(self, name, None) is not None

    # -- metadata -----------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """A SHA-256 of the tables' contents (row order included), short form.

        Two data sets with the same fingerprint hold the same values; the
        report manifest records it so a run can be traced to its data.
        """
        h = hashlib.sha256()
        for name, df in self:
            h.update(name.encode())
            h.update(",".join(map(str, df.columns)).encode())
            h.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
        return h.hexdigest()[:16]

    @property
    def coverage(self) -> pd.DataFrame:
        """One row per table: rows, and first and last date of its time column."""
        rows = []
        for name, df in self:
            col = TABLES[name].time_column
            first = df[col].min() if col and len(df) else pd.NaT
            last = df[col].max() if col and len(df) else pd.NaT
            rows.append({"table": name, "rows": len(df), "time_column": col, "first": first, "last": last})
        out = pd.DataFrame(rows, columns=["table", "rows", "time_column", "first", "last"])
        if self.snapshot and self.customers is not None and "snapshot_as_of" in self.customers.columns and len(out):
            # A snapshot is observed up to its own day, whatever its latest (counted back) start date.
            out["last"] = out["last"].where(out["last"] >= self.customers["snapshot_as_of"].max(),
                                            self.customers["snapshot_as_of"].max())
        return out

    def monthly_row_counts(self) -> pd.DataFrame:
        """Rows per table per calendar month of its time column (tidy: table, month, rows).

        Customers are counted by signup month, subscriptions by start month,
        and so on (see ``Table.time_column``); tables without one are left out.

        >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["a", "b", "c"],
        ...     "signup_date": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-03-01"])}))
        >>> ds.monthly_row_counts()
               table    month  rows
        0  customers  2026-01     2
        1  customers  2026-03     1
        """
        parts = []
        for name, df in self:
            col = TABLES[name].time_column
            if col is None or not len(df):
                continue
            counts = df[col].dt.to_period("M").value_counts().sort_index()
            parts.append(pd.DataFrame({"table": name, "month": counts.index, "rows": counts.to_numpy()}))
        if not parts:
            return pd.DataFrame({"table": pd.Series(dtype=object), "month": pd.Series(dtype="period[M]"),
                                 "rows": pd.Series(dtype="int64")})
        return pd.concat(parts, ignore_index=True)

    @property
    def absent_tables(self) -> list[str]:
        """Contract tables this data set does not have."""
        return [name for name in TABLES if getattr(self, name) is None]

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(df):,}" for n, df in self)
        return f"<Dataset from {self.source}: {parts or 'no tables'}>"

    # -- transformation -------------------------------------------------------
    def with_tables(self, **tables: pd.DataFrame | None) -> "Dataset":
        """A copy with some tables replaced (``None`` removes one)."""
        return replace(self, **tables)

    def for_customers(self, customer_ids) -> "Dataset":
        """A copy keeping only rows of the given customers in every table."""
        ids = pd.Index(customer_ids)
        kept = {}
        for f in fields(self):
            df = getattr(self, f.name)
            if isinstance(df, pd.DataFrame) and "customer_id" in df.columns:
                kept[f.name] = df[df["customer_id"].isin(ids)].reset_index(drop=True)
        return replace(self, **kept)

    def for_segment(self, segment: str | None) -> "Dataset":
        """A copy restricted to one customer segment (``None`` or ``"all"``: unchanged)."""
        if segment in (None, "", "all"):
            return self
        self.require("customers", by="for_segment")
        if "segment" not in self.customers.columns:
            raise MissingTableError(f"for_segment needs customers.segment, which {self.source} does not have.")
        known = sorted(self.customers["segment"].dropna().unique())
        if segment not in known:
            raise ValueError(f"Unknown segment {segment!r}; the data has {known}.")
        return self.for_customers(self.customers.loc[self.customers["segment"] == segment, "customer_id"])

    def to_dir(self, path: str | Path, format: str = "csv") -> Path:
        """Write every present table to ``path/<table>.<format>`` (csv or parquet).

        Loading the folder again with :func:`csm_kit.load_dataset` gives back
        the same tables (same values, same dtypes).
        """
        from .io.writers import write_dataset

        return write_dataset(self, path, format=format)
