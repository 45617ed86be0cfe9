"""Pieces of a report page and the checks behind them, shared by the area modules.

- :func:`offending_rows`: the rows a :class:`~csm_kit.exceptions.DataValidationError` names;
- :func:`last_dated_day` and :func:`refuse_months_after_data`: a month range
  that runs past the data is an error naming the data's last complete month,
  never a run of months of zeros; :func:`last_observed_day`, the same day
  except for a snapshot data set (its snapshot day);
- :func:`data_end_clause`: the one wording of "the data ends before the
  month asked", which every such error and page sentence starts with;
- :class:`PagePart`: one piece of a report page (a table and its headline
  numbers), or the one sentence saying why it could not be computed; every
  page's tables are PageParts;
- the sentences saying why a page cannot answer for a month
  (:func:`ledger_reason`, :func:`survey_reason`, :func:`after_data_reason`,
  :func:`missing_reason`, :func:`snapshot_reason`) and the pages' openings
  (:func:`segment_lead`, :func:`reason_headline`, :func:`trend_start`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..periods import latest_complete_month, month_start, to_month
from .coverage import data_coverage

#: Label of customers whose grouping value is empty or unknown.
MISSING_GROUP = "(missing)"


def offending_rows(df: pd.DataFrame, mask: np.ndarray, n: int = 5) -> pd.DataFrame:
    """Up to ``n`` rows of ``df`` where ``mask`` is True, indexed by 1-based row position.

    >>> offending_rows(pd.DataFrame({"x": [1, 2, 3]}), np.array([False, True, True]))
         x
    row   
    2    2
    3    3
    """
    pos = np.flatnonzero(mask)[:n]
    rows = df.iloc[pos].copy()
    rows.index = pd.Index(pos + 1, name="row")
    return rows


def last_dated_day(data, column: str | None = None) -> pd.Timestamp | None:
    """The latest date in the data's time columns, normalised to midnight (None when nothing is dated).

    For a Dataset, the latest value of every table's time column
    (``Table.time_column``: customers by sign-up, subscriptions by start,
    usage by timestamp...) among those holding datetimes; for a DataFrame (one
    table), the latest value of ``column``. What the month checks of the
    engagement, onboarding and support metrics and :func:`after_data_reason`
    compare a month with.

    It differs from :func:`last_observed_day` on a snapshot data set only:
    there the dates are counted back from tenures and end before the snapshot
    was taken, and this is the latest of those dates, not the snapshot's day
    (pages of a snapshot say so before they look at dates). It also returns
    None where :func:`last_observed_day` raises.

    >>> last_dated_day(pd.DataFrame({"t": pd.to_datetime(["2026-01-05 10:00", "2026-03-02 11:00"])}), "t")
    Timestamp('2026-03-02 00:00:00')
    """
    if isinstance(data, pd.DataFrame):
        dated = [data[column]] if column in data.columns else []
    else:
        from ..contract import TABLES

        dated = [df[TABLES[name].time_column] for name, df in data
                 if TABLES[name].time_column in df.columns and pd.api.types.is_datetime64_any_dtype(
                     df[TABLES[name].time_column])]
    lasts = [col.max() for col in dated if len(col)]
    lasts = [v for v in lasts if not pd.isna(v)]
    return pd.Timestamp(max(lasts)).normalize() if lasts else None


def last_observed_day(data) -> pd.Timestamp:
    """The last day a Dataset is known up to: the latest ``last`` of :attr:`Dataset.coverage`, normalised.

    The latest date in any table's time column, as :func:`last_dated_day`;
    for a snapshot data set (``Dataset.snapshot``) at least the day the
    snapshot was taken (``customers.snapshot_as_of``), since it is known up to
    that day whatever its latest counted-back start date. The report runner
    reads the same coverage. Used where "churn after it is not known yet"
    matters (:func:`csm_kit.models.risk.risk_backtest`).

    Raises
    ------
    ValueError
        When no table has a dated row.

    >>> from csm_kit import Dataset
    >>> customers = pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime(["2026-09-05 08:00"])})
    >>> last_observed_day(Dataset(customers=customers))
    Timestamp('2026-09-05 00:00:00')
    """
    last = data.coverage["last"].max()
    if pd.isna(last):
        raise ValueError("The data has no dates.")
    return pd.Timestamp(last).normalize()


def data_end_clause(last_day: pd.Timestamp, month) -> str:
    """The clause saying that the data ends before ``month``: its last day and last complete month.

    The one wording of that fact: :func:`refuse_months_after_data`,
    :func:`after_data_reason`, :func:`ledger_reason`, :func:`survey_reason`
    and the data overview's key numbers start their sentence with it and add
    what it means in their context (no final full stop here). ``last_day`` is
    whichever last day the caller compares ``month`` with
    (:func:`last_dated_day` or :func:`~csm_kit.metrics.coverage.data_coverage`).

    >>> data_end_clause(pd.Timestamp("2026-10-30"), "2099-01")
    'The data ends on 2026-10-30 (last complete month 2026-09), before 2099-01'
    """
    day = pd.Timestamp(last_day).normalize()
    return f"The data ends on {day.date()} (last complete month {latest_complete_month(day)}), before {to_month(month)}"


def refuse_months_after_data(end, last_day: pd.Timestamp | None, *, fn: str, name: str = "end") -> pd.Period:
    """``end`` as a month, refused when it starts after the data's last day.

    A month the data does not reach at all would be reported as a month of
    zeros (no activity, no tickets, no sign-ups): a plausible, wrong number.
    The error names the data's last day and last complete month. The month
    the data ends in is accepted even when it is incomplete (a partial month
    reads low; report complete months).

    >>> refuse_months_after_data("2026-10", pd.Timestamp("2026-10-31"), fn="stickiness")
    Period('2026-10', 'M')
    >>> refuse_months_after_data("2099-01", pd.Timestamp("2026-10-31"), fn="stickiness")
    Traceback (most recent call last):
    ...
    ValueError: stickiness(end=2099-01): The data ends on 2026-10-31 (last complete month 2026-10), before 2099-01; a month without data would read as zero.
    """
    month = to_month(end)
    if last_day is not None and month_start(month) > last_day:
        raise ValueError(f"{fn}({name}={month}): {data_end_clause(last_day, month)}; "
                         "a month without data would read as zero.")
    return month


def unavailable(reason: str) -> PagePart:
    """A part that could not be computed, with the sentence saying why (HTML-escaped when shown).

    >>> part = unavailable("No <tickets> table.")
    >>> part.available, str(part.show())
    (False, 'No &lt;tickets&gt; table.')
    """
    return PagePart(reason=reason)


def check_report_parameters(fn: str, given: dict) -> None:
    """Refuse keyword arguments other than the runner's own report parameters (``data``, ``segment``, ``teaching``).

    A key-number function takes its notebook's parameters by name; the
    runner's parameters may be passed along and are not used (the Dataset is
    already the segment's).

    >>> check_report_parameters("engagement_key_numbers", {"segment": "smb"})
    >>> check_report_parameters("engagement_key_numbers", {"window_month": 3})
    Traceback (most recent call last):
    ...
    TypeError: engagement_key_numbers() got unexpected parameter(s) ['window_month'].
    """
    unknown = sorted(set(given) - {"data", "segment", "teaching"})
    if unknown:
        raise TypeError(f"{fn}() got unexpected parameter(s) {unknown}.")


def after_data_reason(data, month) -> str | None:
    """The sentence a page shows when its data does not reach ``month`` (None when it does).

    A page of a segment whose customers all left before the month, say:
    the run goes on (the runner checked the month against the whole data),
    and the page says why it has nothing to measure.

    >>> from csm_kit import Dataset
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime(["2025-03-04"])}))
    >>> after_data_reason(ds, "2026-10")
    'The data ends on 2025-03-04 (last complete month 2025-02), before 2026-10: nothing to measure for 2026-10.'
    >>> after_data_reason(ds, "2025-03") is None
    True
    """
    period = to_month(month)
    last = last_dated_day(data)
    if last is None or month_start(period) <= last:
        return None
    return f"{data_end_clause(last, period)}: nothing to measure for {period}."


def tables_missing(data, *names: str) -> list[str]:
    """Which of the named tables the data set does not have.

    >>> from csm_kit import Dataset
    >>> tables_missing(Dataset(customers=pd.DataFrame()), "customers", "tickets")
    ['tickets']
    """
    return [n for n in names if not data.has(n)]


def missing_reason(missing: list[str], what: str) -> str:
    """The sentence a page shows when tables are missing.

    >>> missing_reason(["usage_events"], "engagement")
    'This data set has no usage_events table, so engagement cannot be measured.'
    """
    listed = " or ".join(missing)
    noun = "table" if len(missing) == 1 else "tables"
    return f"This data set has no {listed} {noun}, so {what} cannot be measured."


def snapshot_reason(what: str) -> str:
    """The sentence a page shows for a snapshot data set (one row per customer, no dated history).

    >>> snapshot_reason("onboarding by signup cohort")
    'This is a snapshot data set (one row per customer at one day, no dated history), so onboarding by signup cohort is not available.'
    """
    return (f"This is a snapshot data set (one row per customer at one day, no dated history), "
            f"so {what} is not available.")


@dataclass(frozen=True)
class PagePart:
    """One piece of a report page: a table with its headline numbers, or the sentence saying why it could not be computed.

    Every report page is built of these: the page's library function decides
    once, here, whether a part could be computed, and the part renders itself
    either way, so a notebook cell is one line with no ``if``: ``page.x.show()``,
    ``page.x.note()`` beside a chart, or the part itself as the cell's output
    (Jupyter shows :meth:`_repr_html_`).

    Attributes
    ----------
    frame : DataFrame or None
        The result shown on the page.
    reason : str or None
        One sentence saying what could not be computed and why; None when
        available (``""``: unavailable, and another part of the page says why).
    values : dict
        Headline numbers the page's sentences, charts and key numbers read.
    formats, labels : dict
        How :meth:`show` formats and labels ``frame``'s columns
        (:func:`csm_kit.display.table`).
    shown : DataFrame or None
        What :meth:`show` shows when it is not all of ``frame`` (the last
        six months of a twelve-month series, say).
    index : bool
        Whether :meth:`show` shows the index.
    max_rows : int or None
        Rows :meth:`show` shows at most.
    caption : str or None
        A sentence above the table (written by the kit; escaped). With no
        rows to show, :meth:`show` gives the caption alone.
    escape_markdown : bool
        How the reason is escaped. False: HTML-escaped only, for a sentence the
        kit wrote (``usage_events`` reads as written). True: as data text
        (:func:`csm_kit.display.text`, Markdown and HTML escaped), for reasons
        that may carry text from the data or an error message; the churn,
        revenue, satisfaction, overview, survival and CLV pages use it.

    Examples
    --------
    >>> part = PagePart(reason="This data set has no tickets table, so support cannot be measured.")
    >>> part.available, str(part.show())
    (False, 'This data set has no tickets table, so support cannot be measured.')
    >>> ok = PagePart(frame=pd.DataFrame({"feature": ["<b>x</b>"], "adoption": [0.5]}), formats={"adoption": "share"})
    >>> "&lt;b&gt;" in ok.show().html and "50.0%" in ok.show().html
    True
    >>> print(PagePart(reason="No churn (yet).", escape_markdown=True).show())
    No churn \\(yet\\).
    >>> part = PagePart(reason="No churn (yet).", escape_markdown=True)
    >>> part._repr_html_() is None  # a sentence is Markdown: a notebook shows "No churn (yet)."
    True
    """

    frame: pd.DataFrame | None = None
    reason: str | None = None
    values: dict = field(default_factory=dict)
    formats: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    shown: pd.DataFrame | None = None
    index: bool = False
    max_rows: int | None = None
    caption: str | None = None
    escape_markdown: bool = False

    @property
    def available(self) -> bool:
        """True when the part was computed (``reason`` is None)."""
        return self.reason is None

    def _reason(self):
        from ..display import Text, escape, text

        return text("{reason}", reason=self.reason) if self.escape_markdown else Text(escape(self.reason))

    def show(self):
        """The escaped table (:func:`csm_kit.display.table`), or the reason as a sentence (:class:`~csm_kit.display.Text`)."""
        from ..display import Text, escape, table

        if not self.available:
            return self._reason()
        frame = self.frame if self.shown is None else self.shown
        if frame is None or (frame.empty and self.caption):
            return Text(escape(self.caption or ""))
        return table(frame, formats=self.formats, labels=self.labels, index=self.index, max_rows=self.max_rows,
                     caption=self.caption)

    def note(self):
        """What a page says beside a chart: why the part is missing, else its caption, else None (nothing shown).

        For a section that is only a chart: ``plot_x(part)`` draws nothing for
        an unavailable part, and ``part.note()`` says why.
        """
        from ..display import Text, escape

        if not self.available:
            return self._reason()
        return Text(escape(self.caption)) if self.caption else None

    def _repr_html_(self) -> str | None:
        """A table's HTML; None for a sentence, which :meth:`_repr_markdown_` gives (Markdown, not HTML)."""
        from ..display import Table

        shown = self.show()
        return shown.html if isinstance(shown, Table) else None

    def _repr_markdown_(self) -> str | None:
        """A sentence (the reason, or a caption alone) as the Markdown it is; None for a table."""
        from ..display import Table

        shown = self.show()
        return None if isinstance(shown, Table) else shown.markdown

    def __repr__(self) -> str:
        if not self.available:
            return self.reason
        return repr(self.frame) if self.frame is not None else "PagePart(available, no table)"


def reason_headline(segment: str, reason: str):
    """A page's first sentence when it has nothing to show: the segment (escaped), then the kit's reason.

    >>> str(reason_headline("<b>smb</b>", "This data set has no tickets table."))
    'Segment **&lt;b&gt;smb&lt;/b&gt;**: This data set has no tickets table.'
    """
    from ..display import Text, escape, text

    prefix = "" if segment in ("", "all") else text("Segment **{segment}**: ", segment=segment).markdown
    return Text(prefix + escape(reason))


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
        return f"{data_end_clause(whole.last_day, month)}: nothing can be said about {month} yet."
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
        return f"{data_end_clause(whole.last_day, month)}: no answers can be reported for {month}."
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
