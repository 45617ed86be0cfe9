"""Report area 04, survival and churn drivers: every table, chart input and key number of the page.

:func:`survival_analysis` computes the page once: Kaplan-Meier retention
(overall, by segment, by billing period), the Cox churn drivers with their
holdout check and proportional-hazards test, and the at-risk list of
:func:`~csm_kit.models.at_risk`. Each part is either there or has a one-line
reason (no subscriptions, too few churned customers, every customer churned,
one segment, a snapshot without history...), so the notebook never needs an
``if`` and never stops. :func:`survival_key_numbers` records the page's key
numbers from the same object.

What the retention figures count
--------------------------------
``retention_12m`` is the Kaplan-Meier share of **customers still paying 12
months after their own first paid day**, on each customer's *first* paid
spell (a customer who left and came back counts as churned at the end of its
first spell), all signup cohorts together, customers still paying counted
for as long as they were observed. It is not the churn page's cohort logo
retention (the share of one signup cohort paying in a calendar month,
returning customers included), which is why the two 12-month figures differ.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

import pandas as pd

from .. import display
from ..arguments import whole_number
from ..key_numbers import KeyNumber
from ..metrics.pages import PagePart
from ..periods import as_of_day, month_end, to_month
from .at_risk import at_risk
from .churn_drivers import DEFAULT_COVARIATES, ChurnDrivers, Validation
from .retention_curves import RetentionCurves
from .risk import NotEnoughHistoryError, count_interval
from .survival_table import MAX_LEVELS, survival_table

#: Tenures (months) of the retention table and key numbers.
TIMES = (3, 6, 12, 24)
#: Share of customers held out to check the drivers model (the model used is fitted on everyone).
HOLDOUT = 0.25
#: Fewest churned customers and customers for a Cox fit worth showing.
MIN_CHURNED, MIN_CUSTOMERS = 20, 50
#: What ``retention_{m}m`` counts, on the page and in the key numbers.
RETENTION_LABEL = "Customers still paying {m} months after their first paid day (Kaplan-Meier, first paid spell)"
RETENTION_DEFINITION = (
    "Kaplan-Meier share of customers still paying m months after their own first paid day, on each customer's "
    "first paid spell, all signup cohorts together, customers still paying counted for as long as observed. "
    "Not the churn page's cohort logo retention (one signup cohort paying in a calendar month, returning "
    "customers included).")
_SNAPSHOT_COLUMNS = ("customer_id", "signup_date", "segment", "plan", "snapshot_as_of", "owner", "name")

_RETENTION_FORMATS = {**{f"retention_{m:g}": "share" for m in TIMES}, "median": "{:.1f}", "ci_low": "{:.1f}",
                      "ci_high": "{:.1f}", "customers": "int", "churned": "int", "censored": "int"}
_RETENTION_LABELS = {**{f"retention_{m:g}": f"Still paying at {m:g} months" for m in TIMES},
                     "median": "Median lifetime (months)", "ci_low": "Median: 95% low", "ci_high": "Median: 95% high",
                     "group": "Group"}


@dataclass(frozen=True)
class SurvivalAnalysis:
    """Everything the survival page shows. A part that could not be computed is None with a ``*_reason``.

    Attributes
    ----------
    month : Period
    as_of : Timestamp
        Last day observed (the month's end; a snapshot's own day).
    observed_at : Timestamp or None
        Day the drivers' covariates are measured on (``lookback_months``
        before ``as_of``; None for a snapshot, whose covariates are its attributes).
    segment : str
    horizon_days, lookback_months : int
    table : DataFrame or None
        First paid spell per customer (:func:`survival_table`).
    reason : str
        Why there is no table at all ("" when there is).
    overall, by_segment, by_billing : RetentionCurves or None
    drivers : ChurnDrivers or None
        Fitted on every customer observed.
    validation : Validation or None
        Checks of the same model refitted without a :data:`HOLDOUT` share of customers.
    risk : DataFrame or None
        :func:`at_risk` of the customers paying on ``as_of``.
    segment_reason, billing_reason, drivers_reason, validation_reason, risk_reason : str
    notes : tuple of str
        What the survival tables left out or converted.
    """

    month: pd.Period
    as_of: pd.Timestamp
    observed_at: pd.Timestamp | None
    segment: str
    horizon_days: int
    lookback_months: int
    table: pd.DataFrame | None = None
    reason: str = ""
    overall: RetentionCurves | None = None
    by_segment: RetentionCurves | None = None
    segment_reason: str = ""
    by_billing: RetentionCurves | None = None
    billing_reason: str = ""
    drivers: ChurnDrivers | None = None
    drivers_reason: str = ""
    validation: Validation | None = None
    validation_reason: str = ""
    risk: pd.DataFrame | None = None
    risk_reason: str = ""
    notes: tuple = field(default=())

    @property
    def available(self) -> bool:
        """Whether any customer lifetime could be followed."""
        return self.table is not None

    # -- titles and sentences --------------------------------------------------------
    @property
    def retention_title(self) -> str:
        return f"Share of customers still paying, by months since they started (as of {self.as_of.date()})"

    @property
    def drivers_title(self) -> str:
        when = "in the snapshot" if self.observed_at is None else f"observed {self.observed_at.date()}"
        return f"Churn drivers: hazard ratios, customers {when}"

    def headline(self) -> display.Text:
        """The page's first sentence: who is followed (segment named), churned and censored."""
        who = "All customers" if self.segment == "all" else "Segment **{segment}**"
        if not self.available:
            return display.text(who + ": {reason}", segment=self.segment, reason=self.reason)
        churned = int(self.table["churned"].sum())
        return display.text(who + ": {n:int} customers with a paid spell started by {day}: {churned:int} churned, "
                            "{open:int} still paying (censored).", segment=self.segment, n=len(self.table),
                            day=str(self.as_of.date()), churned=churned, open=len(self.table) - churned)

    def retention_note(self) -> display.Text:
        """What the retention figures count (and how they differ from the churn page's)."""
        return display.text(RETENTION_DEFINITION)  # the kit's own sentence: no data in it

    def logrank_text(self) -> display.Text:
        """The log-rank test that all segments share one curve, or why there is none."""
        if self.by_segment is None:
            return display.text("")  # segment_section() said why
        lr = self.by_segment.logrank_.iloc[0]
        return display.text("Log-rank test, all segments alike: chi-squared {stat:.1f} on {df:int} degrees of "
                            "freedom, p = {p:.2g}.", stat=float(lr["test_statistic"]), df=int(lr["df"]),
                            p=float(lr["p_value"]))

    def drivers_text(self) -> display.Text:
        """What the drivers model was fitted on, or why it was not."""
        if self.drivers is None:
            return display.text("{reason}", reason=self.drivers_reason)
        d = self.drivers
        when = (f"observed on {self.observed_at.date()}" if self.observed_at is not None
                else "of the snapshot, with its attributes")
        since = " since" if self.observed_at is not None else ""
        return display.text("Cox model fitted on {rows:int} customers {when} ({churned:int} churned" + since + "), "
                            "{k:int} covariates, tenure in whole {unit}s; proportional-hazards test with Efron "
                            "ties, as the fit.", rows=d.n_rows_, when=when, churned=d.n_churned_,
                            k=len(d.design_columns_), unit=d.unit_)

    def validation_text(self) -> display.Text:
        """The holdout check in one sentence, or why there is none."""
        v = self.validation
        if v is None:
            return display.text("{reason}", reason=self.validation_reason or "No drivers model, so no holdout check.")
        return display.text("Refitted without {share:share} of the customers and checked on them: {n:int} customers, "
                            "{churned:int} churned. Concordance {c:.3f}; Brier score at {h:g} months {b:.4f} "
                            "(predicting the average: {b0:.4f}).", share=HOLDOUT, n=v.customers,
                            churned=v.churned, c=v.concordance, h=v.horizon, b=v.brier, b0=v.brier_null)

    def risk_text(self) -> display.Text:
        """Expected churners and MRR at risk within the horizon, or why there is no list."""
        if self.risk is None:
            return display.text("{reason}", reason=self.risk_reason)
        expected, low, high = self.expected_churners()
        spread = " (90% range {low:,.0f} to {high:,.0f})" if low is not None else ""
        return display.text("{n:int} active customers; expected to churn within {h:int} days: {c:.1f} customers"
                            + spread + ", {m:money} of MRR.", n=len(self.risk), h=self.horizon_days, c=expected,
                            low=low, high=high, m=float(self.risk["mrr_at_risk"].sum()))

    def expected_churners(self) -> tuple[float | None, float | None, float | None]:
        """Customers expected to churn within the horizon, and the 90% range of that count.

        ``expected = sum of p_churn``; the range is
        :func:`~csm_kit.models.risk.count_interval` of the churn-risk engine's
        spread (``attrs["expected_sd"]``: the accounts' own outcomes and the
        fit's uncertainty). ``(None, None, None)`` without an at-risk list; the
        range is ``(None, None)`` for a list without a spread (a snapshot's Cox list).
        """
        if self.risk is None:
            return None, None, None
        expected, sd = float(self.risk["p_churn"].sum()), self.risk.attrs.get("expected_sd", float("nan"))
        if pd.isna(sd):
            return expected, None, None
        low, high = count_interval(expected, sd, 0.9)
        return expected, low, high

    # -- tables --------------------------------------------------------------------
    def _retention(self, curves, reason: str, caption: str) -> PagePart:
        if curves is None:
            return PagePart(None, reason=reason, escape_markdown=True)
        frame = curves.summary
        # "not reached" while more than half are still paying: a fact, not a missing value
        frame = frame.assign(median=[f"{m:.1f}" if ok else "not reached"
                                     for m, ok in zip(frame["median"], frame["median_reached"])])
        frame = frame.drop(columns=["median_reached"])
        if curves.by is None:
            frame = frame.drop(columns=["group"])
        return PagePart(frame, formats=_RETENTION_FORMATS, labels=_RETENTION_LABELS, caption=caption)

    def retention_section(self) -> PagePart:
        """Retention at 3, 6, 12, 24 months and the median lifetime, all customers."""
        return self._retention(self.overall, self.reason, "All customers (a blank: nobody observed that long yet)")

    def segment_section(self) -> PagePart:
        return self._retention(self.by_segment, self.segment_reason, "By segment")

    def pairwise_section(self) -> PagePart:
        """Pairwise log-rank tests between segments."""
        if self.by_segment is None:
            return PagePart(None, reason="", escape_markdown=True)  # segment_section() said why
        return PagePart(self.by_segment.pairwise_logrank_, formats={"test_statistic": "{:.1f}", "p_value": "{:.2g}"},
                        labels={"group_a": "Segment", "group_b": "Against"})

    def billing_section(self) -> PagePart:
        return self._retention(self.by_billing, self.billing_reason, "By billing period")

    def drivers_section(self) -> PagePart:
        """Hazard ratios with intervals and p-values, and the PH test's p-value."""
        if self.drivers is None:
            return PagePart(None, reason="", escape_markdown=True)  # drivers_text() said why
        s = self.drivers.summary.reset_index()
        s["covariate"] = [self.drivers.label(c) for c in s["covariate"]]
        return PagePart(s, formats={"coef": "{:+.3f}", "std_error": "{:.3f}", "hazard_ratio": "{:.2f}",
                                    "hr_ci_low": "{:.2f}", "hr_ci_high": "{:.2f}", "p_value": "{:.2g}",
                                    "ph_p_value": "{:.2g}"},
                        labels={"hr_ci_low": "Hazard ratio: 95% low", "hr_ci_high": "Hazard ratio: 95% high",
                                "ph_p_value": "Proportional-hazards test p"})

    def ph_section(self) -> PagePart:
        if self.drivers is None:
            return PagePart(None, reason="No drivers model, so no proportional-hazards test.", escape_markdown=True)
        return PagePart(self.drivers.ph_test_, formats={"test_statistic": "{:.2f}", "p_value": "{:.3f}"},
                        labels={"ph_violated": "Effect drifts with tenure (p < 0.05)"})

    def risk_section(self, top_n: int = 15) -> PagePart:
        """The ``top_n`` customers with the most MRR at risk, with their drivers in plain words."""
        if self.risk is None:
            return PagePart(None, reason=self.risk_reason, escape_markdown=True)
        shown = [c for c in ("customer_id", "segment", "tenure_months", "mrr", "p_churn", "mrr_at_risk",
                             "expected_months", "drivers") if c in self.risk.columns]
        return PagePart(self.risk[shown], max_rows=int(top_n),
                        formats={"tenure_months": "{:.1f}", "mrr": "money", "p_churn": "share",
                                 "mrr_at_risk": "money", "expected_months": "{:.1f}"},
                        labels={"p_churn": f"Churn probability, {self.horizon_days} days",
                                "mrr_at_risk": "MRR at risk", "expected_months": "Expected months of the next 24"})


def _snapshot_attributes(ds) -> list[str]:
    c = ds.customers
    return [] if c is None else [x for x in c.columns if x not in _SNAPSHOT_COLUMNS]


def _covariates(table: pd.DataFrame, attributes) -> list[str]:
    """Default covariates that vary, plus attributes that vary (text with at most MAX_LEVELS levels)."""
    out = [c for c in DEFAULT_COVARIATES if c in table.columns and table[c].nunique(dropna=False) > 1]
    for a in attributes:
        x = table[a]
        if x.nunique(dropna=False) > 1 and (pd.api.types.is_numeric_dtype(x) or x.nunique() <= MAX_LEVELS):
            out.append(a)
    return out


def survival_analysis(ds, *, month, horizon_days: int = 90, lookback_months: int = 12,
                      segment: str = "all") -> SurvivalAnalysis:
    """The survival page of ``month``: retention curves, churn drivers with checks, the at-risk list.

    - Retention: Kaplan-Meier on each customer's first paid spell at the
      month's end (:data:`RETENTION_DEFINITION`), overall, by segment (when
      ``segment == "all"`` and there are several) and by billing period.
    - Drivers: a Cox model (:class:`ChurnDrivers`, billing period as strata
      when it varies) of the customers paying ``lookback_months`` before the
      month's end, with what was known about them that day, followed to the
      month's end; fitted on all of them; a copy refitted without
      :data:`HOLDOUT` of the customers is checked on them (concordance,
      Brier, calibration). Needs :data:`MIN_CHURNED` churned among
      :data:`MIN_CUSTOMERS` customers.
    - At risk: :func:`at_risk` of the customers paying at the month's end,
      scored with that day's covariates, over ``horizon_days``.
    - A snapshot data set (``ds.snapshot``) has no history: the drivers are
      the snapshot's own attributes (and segment, plan), fitted on the
      snapshot, and the at-risk list scores its customers still paying.

    Parameters
    ----------
    ds : Dataset
    month : str or Period
        The reporting month (``YYYY-MM``).
    horizon_days : int
        Horizon of the at-risk list's churn probability.
    lookback_months : int
        Months between the drivers' observation date and the month's end.
    segment : str
        The segment the data set was restricted to (``"all"``), for the sentences.

    Returns
    -------
    SurvivalAnalysis

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> a = survival_analysis(Dataset(), month="2026-10")
    >>> a.available, a.reason
    (False, 'This data set has no subscriptions, so there are no customer lifetimes to follow.')
    """
    month = to_month(month)
    horizon_days = whole_number(horizon_days, "horizon_days", unit="days")
    lookback_months = whole_number(lookback_months, "lookback_months", unit="months")
    # The page and its key numbers share one computation; the segment only names the page.
    page = _survival_analysis(ds, str(month), int(horizon_days), int(lookback_months))
    if segment == "all":
        return page
    return dataclasses.replace(page, segment=str(segment), by_segment=None,
                               segment_reason=f"This report is on the {segment} segment alone: no comparison "
                                              "between segments.")


@functools.lru_cache(maxsize=2)
def _survival_analysis(ds, month: str, horizon_days: int, lookback_months: int) -> SurvivalAnalysis:
    segment = "all"  # set by survival_analysis
    month = to_month(month)
    snapshot = bool(getattr(ds, "snapshot", False))
    as_of = month_end(month)
    if snapshot and ds.customers is not None and "snapshot_as_of" in ds.customers.columns:
        as_of = as_of_day(ds.customers["snapshot_as_of"].dropna().iloc[0], name="snapshot_as_of")
    observed_at = None if snapshot else month_end(month - lookback_months)
    base = dict(month=month, as_of=as_of, observed_at=observed_at, segment=segment, horizon_days=horizon_days,
                lookback_months=lookback_months)
    if not ds.has("subscriptions") or ds.subscriptions.empty:
        return SurvivalAnalysis(**base, reason="This data set has no subscriptions, so there are no customer "
                                               "lifetimes to follow.")
    first = ds.subscriptions["start_date"].min()
    if first > as_of:
        return SurvivalAnalysis(**base, reason=f"The first subscription starts on {first.date()}, after "
                                               f"{as_of.date()}: no customer lifetime to follow yet.")
    attributes = _snapshot_attributes(ds) if snapshot else []
    table = survival_table(ds, as_of=as_of, attributes=attributes)
    if table.empty:
        return SurvivalAnalysis(**base, reason=f"No paid spell started by {as_of.date()}: no customer lifetime "
                                               "to follow yet.")
    parts = {"table": table, "notes": tuple(table.attrs.get("notes", ()))}
    parts["overall"] = RetentionCurves(times=TIMES).fit(table)

    if "segment" not in table.columns or table["segment"].nunique() < 2:
        parts["segment_reason"] = "One segment in the data (or no segment column): no comparison between segments."
    else:
        parts["by_segment"] = RetentionCurves(by="segment", times=TIMES).fit(table)
    if "billing_period" in table.columns and table["billing_period"].nunique() > 1:
        parts["by_billing"] = RetentionCurves(by="billing_period", times=TIMES).fit(table)
    else:
        parts["billing_reason"] = "Every customer has the same billing period: no comparison between them."

    parts.update(_drivers_and_risk(ds, table, as_of, observed_at, horizon_days, attributes, snapshot))
    if not snapshot:
        parts.update(_engine_risk(ds, as_of, horizon_days))
    return SurvivalAnalysis(**base, **parts)


def _engine_risk(ds, as_of, horizon_days) -> dict:
    """The at-risk list from the one churn-risk engine (:class:`~csm_kit.models.ChurnRisk`).

    The health bands and CLV read the same engine, so the page's expected
    churners and MRR at risk are the numbers the rest of the report uses. The
    Cox model above explains *why* customers leave; it does not make this list
    (a snapshot, which has no history to fit the engine on, keeps the Cox list).
    """
    try:
        risk = at_risk(ds, as_of=as_of, horizon_days=horizon_days)
    except NotEnoughHistoryError as e:
        return {"risk": None, "risk_reason": f"Not enough history to fit the churn-risk engine: {e}"}
    except ValueError as e:
        return {"risk": None, "risk_reason": f"The at-risk list could not be computed: {e}"}
    if risk.empty:
        return {"risk": None, "risk_reason": f"Nobody is paying on {as_of.date()}, so nobody is at risk."}
    return {"risk": risk, "risk_reason": ""}


def _drivers_and_risk(ds, table, as_of, observed_at, horizon_days, attributes, snapshot) -> dict:
    out = {}
    if snapshot:
        train, now = table, table
    else:
        first = ds.subscriptions["start_date"].min()
        if first > observed_at:
            reason = (f"The data starts on {first.date()}, after the drivers' observation date "
                      f"{observed_at.date()}: no customer can be followed from it (use a shorter lookback_months).")
            return {"drivers_reason": reason, "risk_reason": "No drivers model, so no at-risk list."}
        train = survival_table(ds, as_of=as_of, covariates_at=observed_at, spells=True)
        now = None
    churned, customers = int(train["churned"].sum()), int(train["customer_id"].nunique())
    when = "in the snapshot" if snapshot else f"paying on {observed_at.date()}"
    if churned < MIN_CHURNED or customers < MIN_CUSTOMERS:
        reason = (f"Only {churned} churned among {customers} customers {when}: too few to estimate churn drivers "
                  f"(at least {MIN_CHURNED} churned among {MIN_CUSTOMERS} customers are needed).")
        return {"drivers_reason": reason, "risk_reason": "No drivers model, so no at-risk list."}
    if churned == len(train):
        reason = f"Every one of the {customers} customers {when} churned: nobody is left to compare them with."
        return {"drivers_reason": reason, "risk_reason": "No drivers model, so no at-risk list."}
    strata = ["billing_period"] if "billing_period" in train.columns and train["billing_period"].nunique() > 1 \
        else None
    covariates = _covariates(train, attributes) if snapshot else None
    if covariates is not None and not covariates:
        reason = "The snapshot has no attribute that varies between customers: no churn driver to estimate."
        return {"drivers_reason": reason, "risk_reason": "No drivers model, so no at-risk list."}
    try:
        out["drivers"] = ChurnDrivers(covariates=covariates, strata=strata).fit(train)
        check = ChurnDrivers(covariates=covariates, strata=strata, holdout=HOLDOUT, seed=0).fit(train)
    except ValueError as e:  # e.g. no usable covariate left, no churn among the training customers
        reason = f"The churn-drivers model could not be fitted: {e}"
        return {"drivers_reason": reason, "risk_reason": "No drivers model, so no at-risk list."}
    out["validation"] = check.validation_
    if check.validation_ is None:
        out["validation_reason"] = "No churn among the held-out customers: nothing to check the model against."
    if now is None:
        now = survival_table(ds, as_of=as_of, covariates_at=as_of, spells=True)
    if not (~now["churned"].astype(bool)).any():
        out["risk_reason"] = f"Nobody is paying on {as_of.date()}: every customer has churned, so nobody is at risk."
        return out
    try:
        out["risk"] = at_risk(out["drivers"], now, horizon_days=horizon_days)
    except ValueError as e:
        out["risk_reason"] = f"The at-risk list could not be computed: {e}"
    return out


def censoring_example() -> pd.DataFrame:
    """The page's teaching example: five customers, Kaplan-Meier by the kit against the arithmetic by hand.

    Churned after 1, 2 and 3 months; two still paying after 2 and 4 months.
    ``S(1) = 4/5``, ``S(2) = 0.8 x 3/4``, ``S(3) = 0.6 x 1/2``; the median is the
    first tenure with ``S <= 0.5``. The averages of the churned (2) and of
    everyone (2.4) both come out too low: they treat "still here" as "gone".

    >>> censoring_example()["kit"].round(2).tolist()
    [0.8, 0.6, 0.3, 3.0, 2.0, 2.4]
    """
    tiny = pd.DataFrame({"tenure": [1.0, 2, 3, 2, 4], "churned": [True, True, True, False, False]})
    km = RetentionCurves(times=(1, 2, 3)).fit(tiny, unit="month")
    s = km.retention_["retention"].tolist()
    return pd.DataFrame({
        "quantity": ["Kaplan-Meier: still paying at 1 month", "at 2 months", "at 3 months",
                     "Kaplan-Meier median lifetime (months)", "average tenure of the churned only (months)",
                     "average tenure of everyone so far (months)"],
        "kit": [s[0], s[1], s[2], float(km.median_lifetime_["median"].iloc[0]),
                float(tiny.loc[tiny["churned"], "tenure"].mean()), float(tiny["tenure"].mean())],
        "by_hand": [4 / 5, 4 / 5 * 3 / 4, 4 / 5 * 3 / 4 * 1 / 2, 3.0, (1 + 2 + 3) / 3, (1 + 2 + 3 + 2 + 4) / 5]})


def survival_key_numbers(ds, *, month, horizon_days: int = 90, lookback_months: int = 12, segment: str = "all",
                         top_n: int = 15, teaching: bool = False, data: str = "") -> list[KeyNumber]:
    """Key numbers of the survival page (the names notebooks recorded before: the scorecard reads them).

    ``median_lifetime_months``, ``retention_3m/6m/12m/24m`` (what they count:
    :data:`RETENTION_DEFINITION`, in the label and ``extra["definition"]``),
    ``cox_concordance_holdout``, ``mrr_at_risk_{h}d`` and
    ``customers_expected_to_churn_{h}d``. A number that cannot be computed is
    None. The page's :func:`survival_analysis` for the same data and
    parameters is computed once and shared (cached), so the page and its key
    numbers cannot disagree. ``top_n``, ``teaching`` and ``data`` are the
    notebook's other parameters, accepted so they can be passed as they are;
    they change no number.

    >>> from csm_kit import Dataset
    >>> [(k.name, k.value) for k in survival_key_numbers(Dataset(), month="2026-10")][:2]
    [('median_lifetime_months', None), ('retention_3m', None)]
    """
    analysis = survival_analysis(ds, month=month, horizon_days=horizon_days, lookback_months=lookback_months,
                                 segment=segment)
    a = analysis
    median = retention = None
    if a.overall is not None:
        m = a.overall.median_lifetime_["median"].iloc[0]
        median = None if pd.isna(m) else float(m)
        retention = a.overall.retention_.set_index("tenure")["retention"]
    numbers = [KeyNumber("median_lifetime_months", median, "months",
                         "Median customer lifetime from the first paid day (Kaplan-Meier)", {"scorecard": False})]
    for m in TIMES:
        v = None if retention is None or pd.isna(retention.get(float(m))) else float(retention.get(float(m)))
        numbers.append(KeyNumber(f"retention_{m}m", v, "share", RETENTION_LABEL.format(m=m),
                                 {"scorecard": False, "definition": RETENTION_DEFINITION}))
    numbers.append(KeyNumber("cox_concordance_holdout", None if a.validation is None else float(a.validation.concordance),
                             "ratio", "Churn-driver model: holdout concordance", {"scorecard": False}))
    risk = a.risk
    numbers.append(KeyNumber(f"mrr_at_risk_{horizon_days}d", None if risk is None else float(risk["mrr_at_risk"].sum()),
                             "USD", f"MRR expected to churn within {horizon_days} days", {"scorecard": False}))
    expected, low, high = a.expected_churners()
    numbers.append(KeyNumber(f"customers_expected_to_churn_{horizon_days}d", expected, "customers",
                             f"Customers expected to churn within {horizon_days} days",
                             {"scorecard": False, "range_90": None if low is None else [low, high]}))
    return numbers
