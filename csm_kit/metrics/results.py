"""Why a report page cannot answer for a month, and the page openings that go with it.

A report area shows tables and charts built from the data. When the data
cannot answer (no subscriptions table, a snapshot data set, a month after the
data, nobody answered a survey), the page says so in one sentence and the key
number is recorded as empty. The sentences for the ledger and survey pages are
written here (:func:`ledger_reason`, :func:`survey_reason`); the page part
that holds either its table or such a reason, and renders itself either way,
is :class:`csm_kit.metrics.pages.PagePart`.
"""
from __future__ import annotations

import pandas as pd

from ..periods import to_month
from .coverage import data_coverage

__all__ = ["ledger_reason", "survey_reason", "trend_start", "segment_lead"]


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
