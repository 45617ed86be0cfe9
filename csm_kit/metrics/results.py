"""Pieces of a report page that know whether they could be computed, and why not.

A report area shows tables and charts built from the data. When the data
cannot answer (no subscriptions table, a snapshot data set, a month after the
data, nobody answered a survey), the page says so in one sentence and the key
number is recorded as empty. That decision is made here, in the library, once:
a :class:`Section` holds either its table or the reason it has none, and
renders itself either way, so a notebook cell is one line with no ``if``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import display
from ..periods import to_month
from .coverage import data_coverage

__all__ = ["Section", "ledger_reason", "survey_reason", "trend_start", "segment_lead"]


@dataclass(frozen=True)
class Section:
    """A table of a report page, or the reason it could not be computed.

    Attributes
    ----------
    frame : DataFrame or None
        What the section shows (None when unavailable).
    reason : str
        One sentence saying what could not be computed and why ("" when available).
    formats, labels : dict
        How :func:`csm_kit.display.table` formats and names the columns.
    caption : str
        Optional line above the table.
    max_rows : int or None
        Rows shown at most.

    Examples
    --------
    >>> s = Section(pd.DataFrame({"churn_rate": [0.025]}), formats={"churn_rate": "share"})
    >>> s.available, "2.5%" in s.show().html
    (True, True)
    >>> Section(None, reason="No subscriptions: no churn.").show()
    No subscriptions: no churn.
    """

    frame: pd.DataFrame | None
    reason: str = ""
    formats: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    caption: str = ""
    max_rows: int | None = None
    index: bool = False

    @property
    def available(self) -> bool:
        """Whether the section has something to show."""
        return self.frame is not None

    def show(self):
        """The escaped, formatted table, or the reason as one escaped sentence."""
        if not self.available:
            return display.text("{reason}", reason=self.reason)
        return display.table(self.frame, formats=self.formats, labels=self.labels, caption=self.caption or None,
                             max_rows=self.max_rows, index=self.index)

    def _repr_html_(self) -> str:
        shown = self.show()
        return shown.html if isinstance(shown, display.Table) else f"<p>{shown.markdown}</p>"

    def __repr__(self) -> str:
        return repr(self.frame) if self.available else self.reason


def unavailable(reason: str) -> Section:
    """A section with nothing to show, and why."""
    return Section(None, reason=reason)


def ledger_reason(ds, month) -> str | None:
    """Why the subscription ledger cannot answer for ``month`` (None when it can).

    Reasons, in order: a snapshot data set, no subscriptions, a month after
    the data's last day, a month before the first subscription.

    >>> from csm_kit import Dataset
    >>> ledger_reason(Dataset(), "2026-10")
    'This data set has no subscriptions, so there is no paying-customer ledger to measure churn, retention or recurring revenue on.'
    """
    month = to_month(month)
    if getattr(ds, "snapshot", False):
        return ("This data set is a snapshot (one row per customer at one day), so monthly churn, MRR movements "
                "and cohorts cannot be computed from it.")
    if not ds.has("subscriptions") or ds.subscriptions.empty:
        return ("This data set has no subscriptions, so there is no paying-customer ledger to measure churn, "
                "retention or recurring revenue on.")
    whole = data_coverage(ds)
    if whole.known and month > whole.last_month:
        return f"The data ends on {whole.last_day.date()}, before {month}: nothing can be said about {month} yet."
    first = ds.subscriptions["start_date"].min().to_period("M")
    if month < first:
        return f"The first subscription starts in {first}, after {month}: there was no paying customer yet."
    return None


def survey_reason(ds, month, survey: str = "surveys") -> str | None:
    """Why survey answers cannot answer for ``month`` (None when they can).

    >>> from csm_kit import Dataset
    >>> survey_reason(Dataset(), "2026-10")
    'This data set has no surveys table: there are no NPS, CSAT or CES answers to report.'
    """
    month = to_month(month)
    if not ds.has("surveys") or ds.surveys.empty:
        return "This data set has no surveys table: there are no NPS, CSAT or CES answers to report."
    whole = data_coverage(ds)
    if whole.known and month > whole.last_month:
        return f"The data ends on {whole.last_day.date()}, before {month}: no answers can be reported for {month}."
    read = data_coverage(ds, ["surveys", "survey_sends"])
    if read.known and month < read.first_month:
        return f"The first survey was sent or answered in {read.first_month}, after {month}."
    return None


def trend_start(ds, month, trend_months: int, table: str = "subscriptions", column: str = "start_date") -> pd.Period:
    """First month of a trend of ``trend_months`` months ending at ``month``, not before the table's first date.

    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"start_date": pd.to_datetime(["2026-06-03"])})
    >>> str(trend_start(Dataset(subscriptions=subs), "2026-10", 12))
    '2026-06'
    """
    if not (isinstance(trend_months, int) and trend_months >= 1):
        raise ValueError(f"trend_months is a whole number of months >= 1, not {trend_months!r}.")
    month = to_month(month)
    first = month - (trend_months - 1)
    df = getattr(ds, table, None)
    if df is not None and len(df) and df[column].notna().any():
        first = max(first, df[column].min().to_period("M"))
    return min(first, month)


def segment_lead(segment: str) -> tuple[str, str]:
    """The opening of a page's first sentence, naming the segment: ``(template, value)`` for :func:`display.text`.

    The template holds a ``{who}`` field, so the segment name is escaped like any data text.

    >>> segment_lead("all")
    ('**{who}**', 'All customers')
    >>> segment_lead("smb")
    ('Segment **{who}**', 'smb')
    """
    if segment in (None, "", "all"):
        return "**{who}**", "All customers"
    return "Segment **{who}**", str(segment)
