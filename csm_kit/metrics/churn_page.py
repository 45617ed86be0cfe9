"""The churn and retention report area: every table, chart input and key number of notebook 02.

:func:`churn_page` computes what the page shows; :func:`churn_key_numbers`
what it records. Both stand on :func:`~csm_kit.metrics.retention.month_churn`
(the month's headline churn, under :data:`~csm_kit.metrics.retention.DEFAULT_CONVENTION`
unless told), :func:`~csm_kit.metrics.cohorts.cohort_retention` and
:mod:`~csm_kit.metrics.churn_reasons`, so the page, the index and
``metrics.json`` cannot disagree.

Two "12-month retention" numbers exist in the report and count different things:

- this page's **cohort logo retention at month 12**
  (:func:`cohort_retention_12m`): of the customers whose *first* paid month
  falls in the cohort window (the ``cohort_months`` months up to the
  reporting month, of which only the cohorts at least 12 months old count),
  the share paying on the last day of their 12th month after it,
  size-weighted. A customer who left and came back by then counts as retained;
  it is a calendar count on cohorts, not a survival curve.
- the survival page's Kaplan-Meier retention (``csm_kit.models``, notebook 04):
  the estimated share of customers still in their *first* paid spell 12 months
  after its first day, over every customer since the data starts, those still
  paying counted as censored. Leaving ends a customer's spell for good (a
  return does not count), and the oldest cohorts weigh in, so it reads lower
  than the cohort figure (63.5% against 71.4% on the sample for 2026-10).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import display
from ..key_numbers import KeyNumber
from ..periods import to_month
from .churn_reasons import NOT_RECORDED, cancel_reasons, churn_events, feedback_left_vs_stayed
from .cohorts import cohort_retention
from .pages import PagePart, ledger_reason, segment_lead, trend_start
from .retention import CONVENTIONS, DEFAULT_CONVENTION, MonthChurn, churn_rates, month_churn, retention_rates
from .revenue import mrr_movement_log

__all__ = ["CohortRetention12", "ChurnPage", "cohort_retention_12m", "churn_page", "churn_key_numbers",
           "top_cancel_reason"]

_COUNT_LABELS = {"customers_start": "Paying at the start", "new": "New", "reactivated": "Reactivated",
                 "churned_existing": "Churned (paying at the start)", "churned_joined": "Joined and left",
                 "churned": "Churned", "customers_end": "Paying at the end", "numerator": "Numerator",
                 "denominator": "Denominator"}


@dataclass(frozen=True)
class CohortRetention12:
    """Cohort logo retention at month 12 (see the module docstring for what it counts).

    ``value`` is None (``reason`` says why) when no cohort in the window is 12 months old.
    """

    value: float | None
    first_cohort: pd.Period | None
    last_cohort: pd.Period | None
    customers: int
    retained: int
    reason: str = ""

    @property
    def label(self) -> str:
        """Exactly what the number counts."""
        if self.value is None:
            return "Cohort logo retention at month 12 (no cohort 12 months old)"
        return (f"Cohort logo retention at month 12: share of the {self.customers:,} customers whose first paid "
                f"month was {self.first_cohort} to {self.last_cohort} still paying 12 months later")


def cohort_retention_12m(data, *, month, cohort_months: int = 18) -> CohortRetention12:
    """Cohort logo retention at month 12: ``retained / customers`` over the cohorts at least 12 months old.

    The cohorts are the first paid months from ``month - (cohort_months - 1)``
    to ``month - 12``; ``customers`` their size, ``retained`` those paying on
    the last day of cohort + 12 months (the ``weighted average`` row of
    :func:`~csm_kit.metrics.cohorts.cohort_retention` at age 12).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-01-09", "2025-02-02", "2026-02-20"]),
    ...     "end_date": pd.to_datetime([None, "2025-06-10", None, None]), "billing_period": "month", "amount": 10.0})
    >>> r = cohort_retention_12m(Dataset(subscriptions=subs), month="2026-02", cohort_months=14)
    >>> r.value, r.customers, r.retained, str(r.first_cohort), str(r.last_cohort)
    (0.6666666666666666, 3, 2, '2025-01', '2025-02')
    """
    month = to_month(month)
    reason = ledger_reason(data, month)
    if reason:
        return CohortRetention12(None, None, None, 0, 0, reason)
    if cohort_months < 13:
        return CohortRetention12(None, None, None, 0, 0,
                                 f"The cohort window ({cohort_months} months) holds no cohort 12 months old.")
    start = trend_start(data, month, cohort_months)
    long = cohort_retention(data, end=month, start=start, kind="logo", max_age=12, long=True)
    at12 = long[long["age"] == 12] if len(long) else long
    if at12.empty:
        return CohortRetention12(None, None, None, 0, 0,
                                 f"No cohort from {start} on is 12 months old by {month}.")
    customers, retained = int(at12["base"].sum()), int(round(at12["retained"].sum()))
    return CohortRetention12(retained / customers, at12["cohort"].min(), at12["cohort"].max(), customers, retained)


def top_cancel_reason(reasons: pd.DataFrame | None):
    """The stated reason with the most MRR lost in a :func:`cancel_reasons` table (``(not recorded)`` left out).

    Returns ``(reason, mrr_lost, customers)`` or ``(None, None, None)``.

    >>> t = pd.DataFrame({"reason": ["(not recorded)", "price", "not_using"], "customers": [5, 2, 3],
    ...                   "mrr_lost": [900.0, 300.0, 200.0]})
    >>> top_cancel_reason(t)
    ('price', 300.0, 2)
    """
    if reasons is None or reasons.empty:
        return None, None, None
    totals = (reasons[reasons["reason"] != NOT_RECORDED].groupby("reason")[["mrr_lost", "customers"]].sum()
              .sort_values(["mrr_lost", "customers"], ascending=False, kind="mergesort"))
    if totals.empty:
        return None, None, None
    return str(totals.index[0]), float(totals["mrr_lost"].iloc[0]), int(totals["customers"].iloc[0])


@dataclass(frozen=True, repr=False)
class ChurnPage:
    """What notebook 02 shows, computed once (see :func:`churn_page`)."""

    month: pd.Period
    segment: str
    convention: str
    reason: str
    headline: MonthChurn
    rates: pd.DataFrame | None
    by_segment: pd.DataFrame | None
    by_billing: pd.DataFrame | None
    conventions: pd.DataFrame | None
    reactivations: pd.DataFrame | None
    logo_cohorts: pd.DataFrame | None
    revenue_cohorts: pd.DataFrame | None
    cohort_12m: CohortRetention12
    reasons: pd.DataFrame | None
    reasons_by_segment: pd.DataFrame | None
    left_vs_stayed: pd.DataFrame | None
    goal: float | None
    window: tuple

    @property
    def available(self) -> bool:
        """Whether the data has a ledger for the month."""
        return not self.reason

    def __repr__(self) -> str:
        return f"Churn page for {self.month} ({self.segment}): {'available' if self.available else self.reason}"

    def _section(self, frame, **kw) -> PagePart:
        if frame is None:
            return PagePart(None, reason=self.reason or kw.pop("missing", "Not available for this data."),
                            escape_markdown=True)
        kw.pop("missing", None)
        return PagePart(frame, **kw)

    # -- sentences --------------------------------------------------------------------------------------
    def headline_text(self):
        """The page's first sentence: who, which month, the churn rate and its convention."""
        lead, who = segment_lead(self.segment)
        if not self.headline.available:
            return display.text(lead + ", {month}: {reason}", who=who, month=str(self.month),
                                reason=self.headline.reason)
        h = self.headline
        return display.text(lead + ", {month}: logo churn **{rate:share}** ({churned} of {denominator} customers, "
                            "{convention} convention); {previous}.", who=who, month=str(self.month), rate=h.rate,
                            churned=f"{h.churned:,}", denominator=f"{h.denominator:,.0f}", convention=h.convention,
                            previous=("the month before: " + display.format_number(h.previous_rate, "share"))
                            if h.previous_rate is not None else "no earlier month to compare")

    def cohort_text(self):
        """One sentence on the 12-month cohort figure, saying exactly what it counts."""
        c = self.cohort_12m
        if c.value is None:
            return display.text("{reason}", reason=c.reason or self.reason)
        return display.text("{label}: **{value:share}** ({retained} of {customers}). This is a count on calendar "
                            "cohorts (a customer who left and came back counts as retained), not the survival page's "
                            "Kaplan-Meier share of customers whose first paid spell lasted 12 months.",
                            label=c.label, value=c.value, retained=f"{c.retained:,}", customers=f"{c.customers:,}")

    def reasons_text(self):
        """The top stated cancel reason of the window, with the MRR it took."""
        if self.reasons is None:
            return display.text("{reason}", reason=self.reason or "No churn in the window: no cancel reasons.")
        reason, lost, n = top_cancel_reason(self.reasons)
        total = int(self.reasons["customers"].sum())
        stated = int(self.reasons.loc[self.reasons["reason"] != NOT_RECORDED, "customers"].sum())
        if reason is None:
            return display.text("{total} customers left from {first} to {last}; none recorded a cancel reason.",
                                total=f"{total:,}", first=str(self.window[0]), last=str(self.window[1]))
        return display.text("From {first} to {last}, {total} customers left and {stated} stated a reason. The "
                            "reason that cost the most MRR was **{reason}**: {n} customers, {lost:money} of MRR.",
                            first=str(self.window[0]), last=str(self.window[1]), total=f"{total:,}",
                            stated=f"{stated:,}", reason=reason.replace("_", " "), n=f"{n:,}", lost=lost)

    # -- tables -----------------------------------------------------------------------------------------
    def counts_table(self) -> PagePart:
        """Every count behind the month's churn rate, so it can be rebuilt by hand."""
        if self.rates is None:
            return self._section(None)
        this = self.rates[self.rates["month"] == self.month].iloc[0]
        rows = [(_COUNT_LABELS[c], display.format_number(this[c], "int" if c != "denominator" else "decimal"))
                for c in _COUNT_LABELS]
        rows += [("Churn rate", display.format_number(this["churn_rate"], "share")),
                 ("Retention rate (1 - churn)", display.format_number(this["retention_rate"], "share")),
                 ("Classic retention (end - new) / start",
                  display.format_number(this["classic_retention_rate"], "share"))]
        return PagePart(pd.DataFrame(rows, columns=["what", "value"]), labels={"what": f"{self.month}", "value": ""},
                        caption=f"{self.convention} convention")

    def conventions_table(self) -> PagePart:
        """The month's churn under each convention."""
        return self._section(self.conventions, formats={"numerator": "int", "denominator": "decimal",
                                                        "churn_rate": "share"})

    def segment_table(self) -> PagePart:
        """This month by segment."""
        if self.by_segment is None:
            return self._section(None, missing="No customer segments in this data: no breakdown.")
        t = self.by_segment[self.by_segment["month"] == self.month]
        return PagePart(t[["segment", "customers_start", "new", "reactivated", "churned", "customers_end",
                           "churn_rate"]], formats={"churn_rate": "share"})

    def billing_table(self) -> PagePart:
        """This month by billing period."""
        if self.by_billing is None:
            return self._section(None)
        t = self.by_billing[self.by_billing["month"] == self.month]
        return PagePart(t[["billing_period", "customers_start", "churned", "churn_rate"]],
                        formats={"churn_rate": "share"})

    def reactivations_table(self) -> PagePart:
        """Customers who came back this month, with the MRR they returned at."""
        if self.reactivations is None:
            return self._section(None)
        if self.reactivations.empty:
            return PagePart(None, reason=f"No customer came back in {self.month}.", escape_markdown=True)
        return PagePart(self.reactivations, formats={"mrr_after": "money"}, labels={"mrr_after": "MRR on return"},
                        max_rows=15, caption=f"{len(self.reactivations):,} reactivated in {self.month}")

    def cohort_table(self) -> PagePart:
        """The last eight logo cohorts at ages 0, 1, 3, 6, 12 (blank: not reached yet)."""
        if self.logo_cohorts is None or self.logo_cohorts.empty:
            return self._section(None, missing=f"No cohort up to {self.month}.")
        t = self.logo_cohorts
        ages = [a for a in (0, 1, 3, 6, 12) if a in t.columns]
        shown = t[["cohort_size", *ages]].tail(8).reset_index().rename(columns={"index": "cohort"})
        shown["cohort"] = shown["cohort"].astype(str)
        return PagePart(shown.rename(columns={a: f"month {a}" for a in ages}),
                        formats={f"month {a}": "share" for a in ages} | {"cohort_size": "int"})

    def reasons_table(self) -> PagePart:
        """Cancel reasons of the window: customers and MRR lost per reason (largest first)."""
        if self.reasons is None:
            return self._section(None, missing="No churn in the window: no cancel reasons.")
        t = (self.reasons.groupby("reason")[["customers", "mrr_lost"]].sum()
             .sort_values(["mrr_lost", "customers"], ascending=False).reset_index())
        t["share_of_churned"] = t["customers"] / t["customers"].sum()
        t["share_of_mrr_lost"] = t["mrr_lost"] / t["mrr_lost"].sum() if t["mrr_lost"].sum() > 0 else np.nan
        t["reason"] = t["reason"].str.replace("_", " ")
        return PagePart(t, formats={"mrr_lost": "money", "share_of_churned": "share", "share_of_mrr_lost": "share",
                                    "customers": "int"}, labels={"mrr_lost": "MRR lost"},
                        caption=f"{self.window[0]} to {self.window[1]}")

    def reasons_month_table(self) -> PagePart:
        """Cancel reasons of the reporting month by segment."""
        t = self.reasons_by_segment
        if t is None:
            return self._section(None, missing="No customer segments in this data: no breakdown.")
        t = t[t["month"] == self.month]
        if t.empty:
            return PagePart(None, reason=f"Nobody left in {self.month}.", escape_markdown=True)
        t = t.assign(reason=t["reason"].str.replace("_", " "))
        return PagePart(t[["segment", "reason", "customers", "mrr_lost", "share_of_churned"]],
                        formats={"mrr_lost": "money", "share_of_churned": "share"}, labels={"mrr_lost": "MRR lost"},
                        caption=f"{self.month}, by segment")

    def left_vs_stayed_table(self) -> PagePart:
        """Comment themes of customers who left against those who stayed (largest difference first)."""
        t = self.left_vs_stayed
        if t is None:
            return self._section(None, missing="No survey comments: no themes of leavers.")
        if t["left_comments"].iloc[0] == 0:
            return PagePart(None, reason=f"No customer who left from {self.window[0]} to {self.window[1]} "
                                         "wrote a survey comment.", escape_markdown=True)
        shown = t.sort_values("difference", ascending=False)[["theme", "left_share", "stayed_share", "difference"]]
        shown = shown.assign(theme=shown["theme"].str.replace("_", " "))
        return PagePart(shown, formats={"left_share": "share", "stayed_share": "share", "difference": "{:+.1%}"},
                        labels={"left_share": f"Left ({t['left_comments'].iloc[0]:,} comments)",
                                "stayed_share": f"Stayed ({t['stayed_comments'].iloc[0]:,} comments)",
                                "difference": "Left minus stayed"})


def _try(fn):
    try:
        return fn()
    except (LookupError, ValueError):  # a missing column or table, a range outside the data: the section says so
        return None


def churn_page(data, *, month, convention: str = DEFAULT_CONVENTION, trend_months: int = 12,
               cohort_months: int = 18, segment: str = "all", goal: float | None = None) -> ChurnPage:
    """Everything the churn and retention page shows for ``month``.

    Parameters
    ----------
    data : Dataset
        Needs ``subscriptions``; uses ``customers`` (segments), ``surveys`` (themes of leavers).
    month : str or Period
        The reporting month.
    convention : str
        Churn convention (:data:`~csm_kit.metrics.retention.CONVENTIONS`).
    trend_months : int
        Months in the trends and in the cancel-reason window (from the first subscription on).
    cohort_months : int
        Cohorts (first paid months) in the cohort tables.
    segment : str
        The segment the data was restricted to ("all": none), for the headline.
    goal : float, optional
        The scorecard goal for logo churn, drawn on the trend.

    Returns
    -------
    ChurnPage
        Frames are None when they cannot be computed, and ``reason`` says why
        for the whole page (no subscriptions, a snapshot, a month outside the data).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> page = churn_page(Dataset(), month="2026-10")
    >>> page.available, page.counts_table().available, page.headline.rate
    (False, False, None)
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, not {convention!r}.")
    month = to_month(month)
    headline = month_churn(data, month=month, convention=convention)
    reason = ledger_reason(data, month) or ""
    cohort12 = cohort_retention_12m(data, month=month, cohort_months=cohort_months)
    nothing = dict(rates=None, by_segment=None, by_billing=None, conventions=None, reactivations=None,
                   logo_cohorts=None, revenue_cohorts=None, reasons=None, reasons_by_segment=None,
                   left_vs_stayed=None)
    if reason:
        return ChurnPage(month, segment, convention, reason, headline, cohort_12m=cohort12, goal=goal,
                         window=(month, month), **nothing)
    first = trend_start(data, month, trend_months)
    has_segment = data.has("customers") and "segment" in data.customers.columns
    rates = retention_rates(data, start=first, end=month, convention=convention)
    by_segment = churn_rates(data, start=first, end=month, convention=convention, by="segment") if has_segment else None
    by_billing = churn_rates(data, start=first, end=month, convention=convention, by="billing_period")
    by_billing = by_billing[by_billing["billing_period"] != "(missing)"].reset_index(drop=True)
    conventions = pd.concat([churn_rates(data, start=month, end=month, convention=c) for c in CONVENTIONS],
                            ignore_index=True)[["convention", "numerator", "denominator", "churn_rate"]]
    log = mrr_movement_log(data, start=month, end=month, by="segment" if has_segment else None)
    reactivations = log[log["movement"] == "reactivation"].drop(columns=["movement", "mrr_before", "change", "month"])
    cohort_start = trend_start(data, month, cohort_months)
    logo = cohort_retention(data, end=month, start=cohort_start, kind="logo", max_age=12)
    revenue = cohort_retention(data, end=month, start=cohort_start, kind="revenue", max_age=12)
    events = churn_events(data, start=first, end=month)
    reasons = cancel_reasons(data, start=first, end=month) if len(events) else None
    reasons_seg = cancel_reasons(data, start=first, end=month, by="segment") if has_segment and len(events) else None
    left = (_try(lambda: feedback_left_vs_stayed(data, start=first, end=month))
            if data.has("surveys") and "comment" in data.surveys.columns else None)
    return ChurnPage(month, segment, convention, "", headline, rates, by_segment, by_billing, conventions,
                     reactivations.reset_index(drop=True), logo if len(logo) else None,
                     revenue if len(revenue) else None, cohort12, reasons, reasons_seg, left, goal, (first, month))


def churn_key_numbers(data, *, month, convention: str = DEFAULT_CONVENTION, trend_months: int = 12,
                      cohort_months: int = 18, segment: str = "all", **report_parameters) -> list[KeyNumber]:
    """The key numbers of the churn and retention page (notebook 02).

    ``logo_churn`` (the month's headline churn, :func:`~csm_kit.metrics.retention.month_churn`),
    ``logo_retention`` (1 - churn), ``churned_customers``, ``reactivated_customers``,
    ``logo_retention_12m`` (:func:`cohort_retention_12m`, labelled with the cohorts it counts),
    ``churn_top_reason`` and ``churn_top_reason_mrr_lost`` (the stated cancel reason that cost the most
    MRR over the ``trend_months`` window, :func:`top_cancel_reason`). Values are None when they cannot be
    computed. Other report parameters (``data``, ``teaching``) are accepted and not used.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> [(k.name, k.value) for k in churn_key_numbers(Dataset(), month="2026-10")][:2]
    [('logo_churn', None), ('logo_retention', None)]
    """
    month = to_month(month)
    h = month_churn(data, month=month, convention=convention)
    c12 = cohort_retention_12m(data, month=month, cohort_months=cohort_months)
    reason = ledger_reason(data, month)
    reasons = None
    if reason is None:
        first = trend_start(data, month, trend_months)
        reasons = _try(lambda: cancel_reasons(data, start=first, end=month))
    top, lost, n = top_cancel_reason(reasons)
    window = f"{trend_start(data, month, trend_months)} to {month}" if reason is None else str(month)
    why = {} if h.available else {"reason": h.reason}
    return [
        KeyNumber("logo_churn", h.rate, "share", f"Logo churn in {month} ({convention} convention)",
                  {"convention": convention, "churned": h.churned, "customers_start": h.customers_start,
                   "denominator": h.denominator, "previous": h.previous_rate, **why}),
        KeyNumber("logo_retention", None if h.rate is None else 1.0 - h.rate, "share",
                  f"Logo retention in {month} (1 - churn, {convention} convention)",
                  {"convention": convention, "scorecard": False}),
        KeyNumber("churned_customers", h.churned, "customers", f"Customers lost in {month}",
                  {"previous": h.previous_churned}),
        KeyNumber("reactivated_customers", h.reactivated, "customers", f"Customers reactivated in {month}",
                  {"scorecard": False}),
        KeyNumber("logo_retention_12m", c12.value, "share", c12.label,
                  {"scorecard": False, "definition": "cohort logo retention at month 12 (calendar cohorts)",
                   "customers": c12.customers, "first_cohort": c12.first_cohort, "last_cohort": c12.last_cohort}),
        KeyNumber("churn_top_reason", top, None, f"Top stated cancel reason by MRR lost, {window}",
                  {"scorecard": False, "customers": n}),
        KeyNumber("churn_top_reason_mrr_lost", lost, "USD", f"MRR lost to the top cancel reason, {window}",
                  {"scorecard": False, "reason": top}),
    ]


def conventions_worked_example() -> pd.DataFrame:
    """The teaching example of notebook 02: eight customers in one February, under each convention.

    ``a``-``e`` paid through January; ``e`` leaves on 15 February; ``f`` joins on the
    3rd and leaves on the 20th; ``g`` joins on the 10th and stays; ``h`` paid in
    November, left in December and comes back on 5 February. By hand: seeds
    2 / 6, start 1 / 5, start plus new 2 / 7, average 2 / 5.5.

    >>> conventions_worked_example()[["convention", "numerator", "denominator", "churn_rate"]].round(3)
           convention  numerator  denominator  churn_rate
    0           seeds        2.0          6.0       0.333
    1           start        1.0          5.0       0.200
    2  start_plus_new        2.0          7.0       0.286
    3         average        2.0          5.5       0.364
    """
    example = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f", "g", "h", "h"],
        "start_date": pd.to_datetime(["2026-01-05"] * 5 + ["2026-02-03", "2026-02-10", "2025-11-02", "2026-02-05"]),
        "end_date": pd.to_datetime([None, None, None, None, "2026-02-15", "2026-02-20", None, "2025-12-20", None]),
        "billing_period": "month", "amount": 50.0})
    worked = pd.concat([retention_rates(example, start="2026-02", end="2026-02", convention=c) for c in CONVENTIONS],
                       ignore_index=True)
    return worked[["convention", "customers_start", "new", "reactivated", "churned_existing", "churned_joined",
                   "customers_end", "numerator", "denominator", "churn_rate", "classic_retention_rate"]]
