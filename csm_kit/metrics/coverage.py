"""What months a data set can answer for: the check every month-range metric makes first.

A metric asked about a month the data does not reach returns numbers that look
real and are not: 900 months of 0% churn after the data ends, an MRR of 0
before the first subscription. The functions of the kit that take a month
range (``churn_rates``, ``mrr``, ``mrr_movements``, ``cohort_retention``,
``survey_summary``...) call :func:`check_months` first, which refuses such a
range with an error naming the data's coverage.

Conventions
-----------
- The data's **last day** is the latest date in any table's time column
  (``Dataset.coverage``: customers by sign-up, subscriptions by start, usage
  by timestamp, surveys by answer...). Its **last complete month** is the
  last calendar month that day closes (:func:`csm_kit.periods.latest_complete_month`).
- A month after the month of the last day is *after the data*: refused. The
  month holding the last day is allowed even when it is incomplete (the
  report runner picks complete months; the error names the last complete one).
- A range that ends before the first month of the tables a metric reads is
  *before the data*: refused. A range that starts before the data and ends
  inside it is allowed (its early months show no customers and undefined
  rates, which is what they were).
- Only a :class:`~csm_kit.Dataset` is checked. A bare table passed as a
  DataFrame has no known end (an open subscription says "still active on the
  day of the export", and the export day is not in the table), so its range
  is used as given.
- A snapshot data set (``Dataset.snapshot``: one row per customer at one day)
  has no dated history: calendar metrics refuse it with :class:`SnapshotError`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..contract import TABLES
from ..exceptions import CsmKitError
from ..periods import latest_complete_month, to_month

__all__ = ["Coverage", "OutsideDataError", "SnapshotError", "data_coverage", "check_months", "check_not_snapshot"]


class OutsideDataError(CsmKitError, ValueError):
    """A month range the data does not cover (after its last day, or wholly before its first)."""


class SnapshotError(CsmKitError, ValueError):
    """A calendar metric (monthly churn, MRR movements, cohorts) asked of a snapshot data set."""


@dataclass(frozen=True)
class Coverage:
    """First and last day of a data set's dated rows.

    Attributes
    ----------
    first_day, last_day : Timestamp or NaT
        Earliest and latest date (normalised to midnight) in the tables looked at.
    """

    first_day: pd.Timestamp
    last_day: pd.Timestamp

    @property
    def known(self) -> bool:
        """Whether the data has any dated row."""
        return not (pd.isna(self.first_day) or pd.isna(self.last_day))

    @property
    def first_month(self) -> pd.Period:
        """The month of the first day."""
        return self.first_day.to_period("M")

    @property
    def last_month(self) -> pd.Period:
        """The month of the last day (possibly incomplete)."""
        return self.last_day.to_period("M")

    @property
    def last_complete_month(self) -> pd.Period:
        """The last calendar month the data covers to its end."""
        return latest_complete_month(self.last_day)

    def describe(self) -> str:
        """``"runs from 2023-11-01 to 2026-10-31 (last complete month 2026-10)"``."""
        if not self.known:
            return "has no dated rows"
        return (f"runs from {self.first_day.date()} to {self.last_day.date()} "
                f"(last complete month {self.last_complete_month})")


def data_coverage(data, tables=None) -> Coverage:
    """The first and last day of a Dataset's dated rows (all tables, or only ``tables``).

    Parameters
    ----------
    data : Dataset
    tables : iterable of str, optional
        Contract table names to look at (default: every table present).

    Returns
    -------
    Coverage

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a"], "start_date": pd.to_datetime(["2026-01-05"]),
    ...     "end_date": pd.to_datetime(["2026-03-10"]), "billing_period": "month", "amount": 10.0})
    >>> c = data_coverage(Dataset(subscriptions=subs))
    >>> str(c.first_day.date()), str(c.last_day.date()), str(c.last_complete_month)
    ('2026-01-05', '2026-03-10', '2026-02')
    """
    firsts, lasts = [], []
    for name, df in data:
        if tables is not None and name not in tables:
            continue
        columns = [TABLES[name].time_column] if TABLES[name].time_column else []
        if name == "subscriptions" and "end_date" in df.columns:
            columns.append("end_date")  # a cancellation is a dated event too
        for col in columns:
            if col in df.columns and len(df) and df[col].notna().any():
                firsts.append(pd.Timestamp(df[col].min()).normalize())
                lasts.append(pd.Timestamp(df[col].max()).normalize())
    if not firsts:
        return Coverage(pd.NaT, pd.NaT)
    return Coverage(min(firsts), max(lasts))


def check_not_snapshot(data, fn: str) -> None:
    """Raise :class:`SnapshotError` when ``data`` is a snapshot data set (``Dataset.snapshot``).

    >>> from csm_kit import Dataset
    >>> check_not_snapshot(Dataset(snapshot=True), "churn_rates")
    Traceback (most recent call last):
    ...
    csm_kit.metrics.coverage.SnapshotError: churn_rates needs dated history, and this data set (memory) is a snapshot (one row per customer at one day): monthly churn, MRR movements and cohorts cannot be computed from it.
    """
    if getattr(data, "snapshot", False):
        raise SnapshotError(
            f"{fn} needs dated history, and this data set ({data.source}) is a snapshot (one row per customer "
            "at one day): monthly churn, MRR movements and cohorts cannot be computed from it.")


def check_months(data, start, end, *, fn: str, tables=None, ledger: bool = True) -> None:
    """Refuse a month range the data set does not cover (see the module's conventions).

    Parameters
    ----------
    data : Dataset or DataFrame
        Only a Dataset is checked; a DataFrame passes unchecked.
    start, end : str, Period or None
        The range asked for (``start`` None: the metric's own default).
    fn : str
        The function's name, for the message.
    tables : iterable of str, optional
        The tables the metric reads: the range must not end before their
        first dated row. Every table counts for the data's last day.
    ledger : bool
        The metric stands on the subscription ledger (monthly churn, MRR,
        cohorts), so a snapshot data set is refused.

    Raises
    ------
    OutsideDataError
        ``end`` (or ``start``) after the month of the data's last day, or
        ``end`` before the first month of ``tables``.
    SnapshotError
        ``data`` is a snapshot data set.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a"], "start_date": pd.to_datetime(["2026-01-05"]),
    ...     "end_date": pd.NaT, "billing_period": "month", "amount": 10.0})
    >>> check_months(Dataset(subscriptions=subs), "2026-01", "2099-01", fn="churn_rates")
    Traceback (most recent call last):
    ...
    csm_kit.metrics.coverage.OutsideDataError: churn_rates: end=2099-01 is after the data, which runs from 2026-01-05 to 2026-01-05 (last complete month 2025-12); ask for 2026-01 or earlier.
    """
    if isinstance(data, pd.DataFrame):
        return
    if ledger:
        check_not_snapshot(data, fn)
    whole = data_coverage(data)
    if not whole.known:
        return
    for name, value in (("end", end), ("start", start)):
        if value is None:
            continue
        month = to_month(value)
        if month > whole.last_month:
            raise OutsideDataError(f"{fn}: {name}={month} is after the data, which {whole.describe()}; "
                                   f"ask for {whole.last_month} or earlier.")
    read = data_coverage(data, tables) if tables is not None else whole
    if end is not None and read.known and to_month(end) < read.first_month:
        what = f"the {', '.join(tables)} data" if tables is not None else "the data"
        raise OutsideDataError(f"{fn}: end={to_month(end)} is before {what}, which starts on "
                               f"{read.first_day.date()}; ask for {read.first_month} or later.")
