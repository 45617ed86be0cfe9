"""The data-overview report area: what the report was computed from (notebook 00).

:func:`data_overview` computes what the page shows and
:func:`overview_key_numbers` what it records, from the Dataset's own
``coverage`` and ``monthly_row_counts``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import display
from ..key_numbers import KeyNumber
from ..periods import months as month_range, to_month
from .coverage import data_coverage
from .pages import PagePart, data_end_clause, segment_lead

__all__ = ["DataOverview", "data_overview", "overview_key_numbers", "source_name"]


def source_name(source: str) -> str:
    """How a page names a data source without showing a local path or a password.

    A local folder or file is named by its last part; a URL by its scheme and
    database name (no user, password or host).

    >>> source_name("/home/ana/exports/acme_2026")
    'the folder or file “acme_2026”'
    >>> source_name("postgresql://ana:secret@db.internal:5432/cs")
    'a postgresql database “cs”'
    >>> source_name("simulate(n_customers=50)")
    'simulate(n_customers=50)'
    """
    text = str(source)
    if "://" in text:
        scheme, rest = text.split("://", 1)
        name = rest.rsplit("/", 1)[-1].split("?")[0] if "/" in rest else ""
        return f"a {scheme.split('+')[0]} database “{name}”" if name else f"a {scheme.split('+')[0]} database"
    if "/" in text or "\\" in text:
        return f"the folder or file “{Path(text).name}”"
    return text


@dataclass(frozen=True, repr=False)
class DataOverview:
    """What notebook 00 shows (see :func:`data_overview`)."""

    month: pd.Period
    segment: str
    source: str
    fingerprint: str
    absent: list
    coverage: pd.DataFrame
    counts: pd.DataFrame
    warnings: tuple
    snapshot: bool

    def __repr__(self) -> str:
        return f"Data overview for {self.month} ({self.segment})"

    def headline_text(self):
        """The page's first sentence: who, which data, how many customers, and the data's dates."""
        lead, who = segment_lead(self.segment)
        cov = self.coverage.dropna(subset=["first"])
        span = (f"dated rows from {pd.Timestamp(cov['first'].min()).date()} to "
                f"{pd.Timestamp(cov['last'].max()).date()}" if len(cov)
                else "no dated rows")
        n = int(self.coverage.loc[self.coverage["table"] == "customers", "rows"].sum())
        kind = " It is a snapshot (one row per customer at one day): calendar metrics are not available." \
            if self.snapshot else ""
        return display.text(lead + ", report month {month}: {n} customers from {source}, {span}.{kind}", who=who,
                            month=str(self.month), n=f"{n:,}", source=self.source, span=span, kind=kind)

    def loaded_text(self):
        """The fingerprint and the tables not in the data."""
        missing = ("every table of the data contract is present" if not self.absent else
                   "not in this data set (areas that need them say so): " + ", ".join(self.absent))
        return display.text("Fingerprint {fingerprint}; {missing}.", fingerprint=self.fingerprint, missing=missing)

    def coverage_table(self) -> PagePart:
        """First and last date of each table's time column, and its rows."""
        if self.coverage.empty:
            return PagePart(None, reason="This data set has no tables.", escape_markdown=True)
        t = self.coverage.assign(first=pd.to_datetime(self.coverage["first"]).dt.date,
                                 last=pd.to_datetime(self.coverage["last"]).dt.date)
        return PagePart(t, formats={"rows": "int"}, labels={"time_column": "Dated by"})

    @property
    def counts_reason(self) -> str | None:
        """Why rows cannot be counted by month (None when they can): a snapshot's dates are counted back."""
        if self.snapshot:
            return ("This is a snapshot data set: its start dates are counted back from tenures, not recorded, "
                    "so rows are not counted by month.")
        if self.counts.empty:
            return "No table has a date column with rows: nothing to count by month."
        return None

    def recent_table(self) -> PagePart:
        """Rows per table in the six months up to the reporting month (0 where none)."""
        if self.counts_reason:
            return PagePart(None, reason=self.counts_reason, escape_markdown=True)
        if self.counts.empty:
            return PagePart(None, reason="No table has a date column with rows: nothing to count by month.",
                            escape_markdown=True)
        window = month_range(self.month - 5, self.month)
        c = self.counts[self.counts["month"].isin(window)]
        wide = (c.pivot_table(index="table", columns="month", values="rows", aggfunc="sum", fill_value=0)
                .reindex(index=self.counts["table"].unique(), columns=window, fill_value=0))
        wide.columns = [str(m) for m in wide.columns]
        return PagePart(wide.reset_index(), formats={m: "int" for m in wide.columns})

    def warnings_table(self) -> PagePart:
        """The validation warnings found on load (escaped)."""
        if not self.warnings:
            return PagePart(None, reason="No warnings: the data passed every soft check.", escape_markdown=True)
        return PagePart(pd.DataFrame({"warning": list(self.warnings)}))


def data_overview(data, *, month, segment: str = "all") -> DataOverview:
    """What the report was computed from: tables, their dates, rows per month, validation warnings.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "signup_date": pd.to_datetime(["2026-09-05", "2026-10-20"])})
    >>> o = data_overview(Dataset(customers=customers, source="/tmp/x/acme"), month="2026-10")
    >>> print(o.headline_text())
    **All customers**, report month 2026-10: 2 customers from the folder or file “acme”, dated rows from 2026-09-05 to 2026-10-20.
    >>> o.recent_table().frame[["table", "2026-09", "2026-10"]]
           table  2026-09  2026-10
    0  customers        1        1
    """
    return DataOverview(to_month(month), segment, source_name(data.source), data.fingerprint, list(data.absent_tables),
                        data.coverage, data.monthly_row_counts(), tuple(data.warnings), bool(data.snapshot))


def overview_key_numbers(data, *, month, segment: str = "all", **report_parameters) -> list[KeyNumber]:
    """The key numbers of the data overview (notebook 00).

    ``customers_total`` (rows of ``customers``), ``new_customers`` (customers
    who signed up in ``month``), and ``rows_<table>`` for every table present.
    Other report parameters are accepted and not used.

    >>> from csm_kit import Dataset
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "signup_date": pd.to_datetime(["2026-09-05", "2026-10-20"])})
    >>> [(k.name, k.value) for k in overview_key_numbers(Dataset(customers=customers), month="2026-10")]
    [('customers_total', 2), ('new_customers', 1), ('rows_customers', 2)]

    A month after the data's last day records no sign-up count (not 0), and says why:

    >>> late = overview_key_numbers(Dataset(customers=customers), month="2027-01")[1]
    >>> late.value, late.extra["reason"]
    (None, 'The data ends on 2026-10-20 (last complete month 2026-09), before 2027-01: no sign-ups can be counted for 2027-01.')
    """
    month = to_month(month)
    has = data.has("customers")
    new = None
    if has and "signup_date" in data.customers.columns:
        new = int((data.customers["signup_date"].dt.to_period("M") == month).sum())
    cov = data_coverage(data)
    after = cov.known and month > cov.last_month
    return [
        KeyNumber("customers_total", len(data.customers) if has else None, "customers", "Customers in the data"),
        KeyNumber("new_customers", None if after else new, "customers", f"New sign-ups in {month}",
                  {"reason": f"{data_end_clause(cov.last_day, month)}: no sign-ups can be counted for {month}."}
                  if after else {}),
        *[KeyNumber(f"rows_{name}", len(frame), "rows", f"Rows in {name}", {"scorecard": False}) for name, frame in data],
    ]
