"""Report area 05, customer lifetime value: every table, chart input and key number of the page.

:func:`clv_analysis` computes the page once:

- the SaaS formula ``LTV = ARPA x gross margin / monthly logo churn``
  (:func:`~csm_kit.metrics.lifetime_value.saas_ltv`), with the churn page's
  convention by default, named on the page and in the key number;
- survival-curve CLV of the customers paying at the month's end
  (:class:`SurvivalCLV`, with bootstrap intervals), from each segment's
  Kaplan-Meier curve read from the customer's tenure
  (``survival_model="kaplan_meier"``, the default), or from each account's
  own monthly churn hazard of the churn-risk engine, held constant
  (``survival_model="risk_engine"``, :class:`~csm_kit.models.ChurnRisk`; it
  fits the engine, some seconds more);
- the shifted-beta-geometric projection of the first signup cohorts, tested
  on months it did not see;
- BG/NBD + Gamma-Gamma for one-off purchases: tested on a holdout, then
  refitted on everything and used forward.

Each part is either there or has a one-line reason (no subscriptions, a
snapshot, too few buyers, a likelihood with no finite maximum, two
currencies...), so the notebook never needs an ``if`` and never stops;
:func:`clv_key_numbers` records the page's key numbers from the same object.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import display
from ..arguments import whole_number
from ..exceptions import CsmKitError
from ..key_numbers import KeyNumber
from ..metrics.lifetime_value import SaasLTV, default_churn_convention, saas_ltv
from ..metrics.pages import PagePart
from ..periods import as_of_day, month_end, to_month
from .base import NoFiniteMaximumError
from .clv_nc import (COMMON_DROPOUT_LR_THRESHOLD, BetaGeoModel, GammaGammaModel, customer_lifetime_value,
                     holdout_comparison)
from .retention_curves import RetentionCurves
from .rfm import rfm_summary
from .sbg import ShiftedBetaGeoModel, cohort_survivors
from .survival_clv import SurvivalCLV, active_customers, survival_matrix_from_curve, survival_matrix_from_hazard
from .survival_table import survival_table

#: Survival models of the subscription CLV.
SURVIVAL_MODELS = ("kaplan_meier", "risk_engine")
#: Fewest buyers and repeat buyers for the purchase models.
MIN_BUYERS, MIN_REPEAT = 100, 20

_MONEY = {"clv_mean": "money", "clv_mean_low": "money", "clv_mean_high": "money", "clv_median": "money",
          "clv_total": "money", "customers": "int"}


def _why(error: Exception) -> str:
    return str(error).splitlines()[0]


#: Appended to a purchase sentence when the BG/NBD fit has one dropout probability for everyone.
_ONE_DROPOUT = (" The purchases show no spread in dropout (likelihood-ratio statistic {lr:.2f}, under {c:.2f}): the "
                "model has one dropout probability p = {p:.3f} for every customer instead of a Beta(a, b) spread.")


def _dropout_values(model) -> tuple[str, dict]:
    """The one-dropout sentence and its values for a BG/NBD fit, or nothing when p ~ Beta(a, b)."""
    if "p" not in model.params_:
        return "", {}
    return _ONE_DROPOUT, {"lr": getattr(model, "dropout_lr_statistic_", float("nan")), "p": model.params_["p"],
                          "c": COMMON_DROPOUT_LR_THRESHOLD}


@dataclass(frozen=True)
class ClvAnalysis:
    """Everything the CLV page shows. A part that could not be computed is None with a ``*_reason``.

    Attributes
    ----------
    month : Period
    as_of : Timestamp
    segment, currency : str
    gross_margin, annual_discount_rate : float
    horizon_months, clv_months, holdout_months : int
    survival_model : str
        ``"kaplan_meier"`` or ``"risk_engine"`` (module docstring).
    ltv : SaasLTV or None
        The SaaS formula (``ltv.churn_convention`` names the churn used).
    survival_clv : SurvivalCLV or None
    sbg : ShiftedBetaGeoModel or None
        With ``sbg_counts`` (all months observed) and ``sbg_fit_months``.
    calibration_summary : DataFrame or None
        RFM summary to the calibration end, with the holdout columns.
    bgnbd_test : BetaGeoModel or None
        Fitted on the calibration period, checked on the holdout.
    bgnbd, gamma_gamma : fitted models or None
        Refitted on every purchase to the month's end.
    purchase_clv : DataFrame or None
        :func:`customer_lifetime_value` per customer over ``clv_months``.
    expected_purchases : float or None
        Purchases expected over the next ``clv_months`` (BG/NBD alone).
    notes : tuple of str
    """

    month: pd.Period
    as_of: pd.Timestamp
    segment: str
    gross_margin: float
    annual_discount_rate: float
    horizon_months: int
    clv_months: int
    holdout_months: int
    survival_model: str = "kaplan_meier"
    currency: str = "USD"
    ltv: SaasLTV | None = None
    ltv_reason: str = ""
    survival_clv: SurvivalCLV | None = None
    survival_reason: str = ""
    sbg: ShiftedBetaGeoModel | None = None
    sbg_counts: pd.Series | None = None
    sbg_fit_months: int = 0
    sbg_title: str = ""
    sbg_reason: str = ""
    calibration_summary: pd.DataFrame | None = None
    bgnbd_test: BetaGeoModel | None = None
    test_reason: str = ""
    bgnbd: BetaGeoModel | None = None
    gamma_gamma: GammaGammaModel | None = None
    purchase_clv: pd.DataFrame | None = None
    expected_purchases: float | None = None
    buyers: int = 0
    purchase_reason: str = ""
    spend_reason: str = ""
    notes: tuple = field(default=())

    # -- sentences -----------------------------------------------------------------
    def headline(self) -> display.Text:
        """The page's first sentence (the segment named in a segment report)."""
        who = "All customers" if self.segment == "all" else "Segment **{segment}**"
        if self.survival_clv is not None:
            s = self.survival_clv.summary.loc["all"]
            return display.text(who + ": {n:int} paying customers worth {m:money} each on average over the next "
                                "{h:int} months ({t:money} in all; gross margin {g:share}, discounted).",
                                segment=self.segment, n=int(s["customers"]), m=float(s["clv_mean"]),
                                h=self.horizon_months, t=float(s["clv_total"]), g=self.gross_margin)
        if self.purchase_clv is not None:
            return display.text(who + ": {n:int} buyers worth {m:money} each over the next {h:int} months. "
                                "{reason}", segment=self.segment, n=len(self.purchase_clv),
                                m=float(self.purchase_clv["clv"].mean()), h=self.clv_months,
                                reason=self.survival_reason)
        return display.text(who + ": no lifetime value could be computed. {a} {b}", segment=self.segment,
                            a=self.survival_reason, b=self.purchase_reason)

    def ltv_text(self) -> display.Text:
        """The SaaS formula with its inputs and the churn convention it uses, or why it is undefined."""
        ltv = self.ltv
        if ltv is None:
            return display.text("{reason}", reason=self.ltv_reason)
        values = dict(arpa=ltv.arpa, churn=ltv.monthly_churn, convention=ltv.churn_convention,
                      default=default_churn_convention(), w=len(ltv.churn_window), g=ltv.gross_margin)
        same = ltv.churn_convention == values["default"]
        inputs = ("ARPA {arpa:money} a month, monthly logo churn {churn:.2%} (**{convention}** convention"
                  + (", as on the churn page" if same else "; the churn page uses {default}")
                  + "; mean of the last {w:int} months), gross margin {g:share}. ")
        if ltv.reason:
            return display.text(inputs + "LTV is {reason}.", reason=ltv.reason, **values)
        return display.text(inputs + "LTV = {arpa:,.2f} x {g:share} / {churn:.2%} = {ltv:money} (expected lifetime "
                            "{life:.0f} months).", ltv=ltv.ltv, life=ltv.expected_lifetime_months, **values)

    def survival_text(self) -> display.Text:
        if self.survival_clv is None:
            return display.text("{reason}", reason=self.survival_reason)
        source = ("S(t) from each segment's Kaplan-Meier curve, read from the customer's current tenure (the "
                  "churn-risk engine's per-account hazard is not used: set survival_model to risk_engine for it)"
                  if self.survival_model == "kaplan_meier" else
                  "S(t) = (1 - h)^t with h the account's own monthly churn hazard from the churn-risk engine, "
                  "held constant")
        return display.text("{convention}. " + source + ".", convention=self.survival_clv.convention_)

    def sbg_text(self) -> display.Text:
        if self.sbg is None:
            return display.text("{reason}", reason=self.sbg_reason)
        counts, k = self.sbg_counts, self.sbg_fit_months
        held = self.sbg.projection(len(counts) - 1).iloc[k + 1:]
        ratio = held["projected"].to_numpy() / counts.iloc[k + 1:].to_numpy()
        error = float(np.max(np.abs(ratio - 1))) if len(held) else float("nan")
        return display.text("{n:int} customers; gamma {g:.3g}, delta {d:.3g}; largest error on the held-out months: "
                            "{e:share}.", n=int(counts.iloc[0]), g=self.sbg.params_["gamma"],
                            d=self.sbg.params_["delta"], e=error)

    def test_text(self) -> display.Text:
        """The purchase model's holdout test in one sentence, or why it did not run."""
        if self.bgnbd_test is None:
            return display.text("{reason}", reason=self.test_reason)
        c = holdout_comparison(self.bgnbd_test, self.calibration_summary)
        actual, predicted = float(c["actual_total"].sum()), float(c["predicted_total"].sum())
        cal_end = self.as_of_calibration
        one, values = _dropout_values(self.bgnbd_test)
        return display.text("Calibration: first purchase to {cal}, {n:int} customers; holdout {h:int} months to "
                            "{end}. Holdout purchases: predicted {pred:,.0f}, actual {a:,.0f} ({d:+.1%})." + one,
                            cal=str(cal_end.date()), n=len(self.calibration_summary), h=self.holdout_months,
                            end=str(self.as_of.date()), pred=predicted, a=actual,
                            d=predicted / actual - 1 if actual else float("nan"), **values)

    @property
    def as_of_calibration(self) -> pd.Timestamp:
        return month_end(self.month - self.holdout_months)

    def purchase_text(self) -> display.Text:
        if self.bgnbd is None:
            return display.text("{reason}", reason=self.purchase_reason)
        if self.purchase_clv is None:
            return display.text("Next {h:int} months: {p:,.0f} purchases expected from {n:int} customers. No CLV: "
                                "{reason}", h=self.clv_months, p=self.expected_purchases, n=self.buyers,
                                reason=self.spend_reason)
        v = self.purchase_clv
        return display.text("Next {h:int} months: {p:,.0f} purchases expected from {n:int} customers; mean CLV "
                            "{m:money}, total {t:money}.", h=self.clv_months, p=self.expected_purchases, n=len(v),
                            m=float(v["clv"].mean()), t=float(v["clv"].sum()))

    # -- tables ----------------------------------------------------------------------
    def survival_section(self) -> PagePart:
        if self.survival_clv is None:
            return PagePart(None, reason=self.survival_reason, escape_markdown=True)
        return PagePart(self.survival_clv.summary.reset_index(), formats=_MONEY,
                        labels={"clv_mean_low": "Mean CLV: 95% low", "clv_mean_high": "Mean CLV: 95% high"})

    def bgnbd_section(self) -> PagePart:
        if self.bgnbd_test is None:
            return PagePart(None, reason="", escape_markdown=True)  # test_text() said why
        return PagePart(self.bgnbd_test.summary.reset_index(names="parameter"),
                        formats={c: "{:.3f}" for c in ("estimate", "std_error", "ci_low", "ci_high")},
                        labels={"ci_low": "95% low (log scale)", "ci_high": "95% high (log scale)"})

    def top_buyers_section(self, rows: int = 10) -> PagePart:
        if self.purchase_clv is None:
            return PagePart(None, reason="", escape_markdown=True)  # purchase_text() said why
        top = self.purchase_clv.sort_values("clv", ascending=False).head(rows).reset_index()
        return PagePart(top, formats={"expected_purchases": "{:.2f}", "expected_spend": "money", "clv": "money"})


def _snapshot_active(ds, as_of):
    t = survival_table(ds, as_of=as_of)
    alive = t[~t["churned"].astype(bool)]
    seg = alive["segment"] if "segment" in alive.columns else pd.Series("all", index=alive.index)
    active = pd.DataFrame({"segment": seg.fillna("(missing)").to_numpy(), "mrr": alive["mrr"].to_numpy(float),
                           "tenure": alive["tenure"].to_numpy(float)},
                          index=pd.Index(alive["customer_id"].to_numpy(), name="customer_id"))
    return active, t


def _risk_engine_survival(ds, as_of, horizon_months):
    """Per-account survival from the churn-risk engine's monthly hazard; the accounts' MRR and segment."""
    from ..report.engines import fitted
    from .risk import ChurnRisk

    scored = fitted(ChurnRisk(), ds, as_of=as_of).predict(ds, as_of=as_of)  # the report's one fit
    scored = scored[scored["monthly_hazard"].notna()].set_index("customer_id")
    segment = scored["segment"] if "segment" in scored.columns else pd.Series("all", index=scored.index)
    return (survival_matrix_from_hazard(scored["monthly_hazard"], horizon_months), scored["mrr"].astype(float),
            segment.fillna("(missing)").astype(str))


def _survival_part(ds, month, as_of, snapshot, gross_margin, annual_discount_rate, horizon_months,
                   survival_model) -> dict:
    if not ds.has("subscriptions") or ds.subscriptions.empty:
        return {"survival_reason": "This data set has no subscriptions: there is no recurring revenue to value."}
    if survival_model == "risk_engine":
        if snapshot:
            return {"survival_reason": "The churn-risk engine learns from month-end history, which a snapshot does "
                                       "not have: use survival_model='kaplan_meier'."}
        try:
            survival, mrr, segment = _risk_engine_survival(ds, as_of, horizon_months)
            by = segment if segment.nunique() > 1 else None
            model = SurvivalCLV(gross_margin=gross_margin, annual_discount_rate=annual_discount_rate,
                                horizon_months=horizon_months, seed=1).fit(survival, mrr, by)
        except (ValueError, CsmKitError) as e:
            return {"survival_reason": f"Survival CLV from the churn-risk engine could not be computed: {_why(e)}"}
        return {"survival_clv": model}
    try:
        if snapshot:
            active, spells = _snapshot_active(ds, as_of)
            if not (active["mrr"] > 0).any():
                return {"survival_reason": "The snapshot has no MRR column, so the paying customers have no "
                                           "revenue to value."}
        else:
            active = active_customers(ds, month=month)
            spells = survival_table(ds, as_of=as_of, spells=True)
        if active.empty:
            return {"survival_reason": f"Nobody is paying on {as_of.date()}: no customer to value."}
        by = "segment" if active["segment"].nunique() > 1 else None
        curves = RetentionCurves(by=by).fit(spells)
        survival = survival_matrix_from_curve(curves, active["tenure"], horizon_months,
                                              group=active["segment"] if by else None)
        model = SurvivalCLV(gross_margin=gross_margin, annual_discount_rate=annual_discount_rate,
                            horizon_months=horizon_months, seed=1).fit(survival, active["mrr"],
                                                                       active["segment"] if by else None)
    except (ValueError, CsmKitError) as e:
        return {"survival_reason": f"Survival CLV could not be computed: {_why(e)}"}
    return {"survival_clv": model}


def _sbg_part(ds, month, snapshot) -> dict:
    if snapshot:
        return {"sbg_reason": "A snapshot has no signup dates, so there is no cohort to follow month by month."}
    if not ds.has("subscriptions") or ds.subscriptions.empty:
        return {"sbg_reason": "This data set has no subscriptions: no signup cohort to project."}
    first_month = to_month(ds.subscriptions["start_date"].min())
    cohort_end = min(first_month + 5, month - 6)
    if cohort_end < first_month:
        return {"sbg_reason": f"The data starts in {first_month}: fewer than 7 months before {month}, too little "
                              "history to fit and test the sBG model."}
    try:
        counts = cohort_survivors(ds, cohort=first_month, cohort_end=cohort_end, end=month)
        fit_months = len(counts) // 2
        if not counts.iloc[fit_months] < counts.iloc[0]:
            return {"sbg_reason": f"No churn in the first {fit_months} months of the cohorts that started "
                                  f"{first_month} to {cohort_end}: the sBG model has nothing to fit."}
        model = ShiftedBetaGeoModel(time_unit="month").fit(counts.iloc[: fit_months + 1])
    except (ValueError, CsmKitError) as e:
        return {"sbg_reason": f"The sBG model could not be fitted: {_why(e)}"}
    return {"sbg": model, "sbg_counts": counts, "sbg_fit_months": fit_months,
            "sbg_title": f"Customers who started {first_month} to {cohort_end}: sBG fitted on {fit_months} months, "
                         "projected"}


def _enough(summary: pd.DataFrame) -> str:
    repeat = int((summary["frequency"] > 0).sum())
    if len(summary) < MIN_BUYERS or repeat < MIN_REPEAT:
        return (f"only {len(summary)} buyers and {repeat} repeat buyers (at least {MIN_BUYERS} and {MIN_REPEAT} "
                "are needed)")
    return ""


def _purchase_part(ds, month, as_of, holdout_months, clv_months, gross_margin, annual_discount_rate) -> dict:
    if not ds.has("transactions") or ds.transactions.empty:
        reason = "This data set has no transactions: the purchase (BG/NBD) models are skipped."
        return {"test_reason": reason, "purchase_reason": reason}
    out, notes = {}, []
    calibration_end = month_end(month - holdout_months)
    try:
        if ds.transactions["date"].min() > calibration_end:
            out["test_reason"] = (f"No purchase on or before {calibration_end.date()}: no calibration period before "
                                  f"a {holdout_months}-month holdout, so the test is skipped.")
        else:
            summary = rfm_summary(ds, calibration_end=calibration_end, observation_end=as_of, time_unit="week")
            few = _enough(summary)
            if few:
                out["test_reason"] = f"Too few buyers before {calibration_end.date()} to test the purchase model: {few}."
            else:
                out["bgnbd_test"] = BetaGeoModel().fit(summary)
                out["calibration_summary"] = summary
    except NoFiniteMaximumError as e:
        out["test_reason"] = f"The purchase model could not be tested: {_why(e)}"
    except (ValueError, CsmKitError) as e:
        reason = f"The purchase models could not run: {_why(e)}"
        return {"test_reason": reason, "purchase_reason": reason}
    try:
        full = rfm_summary(ds, calibration_end=as_of, time_unit="week")
    except (ValueError, CsmKitError) as e:
        return {**out, "purchase_reason": f"The purchase models could not run: {_why(e)}"}
    if "currency" in full.columns:
        out["currency"] = str(full["currency"].iloc[0])
    few = _enough(full)
    if few:
        return {**out, "purchase_reason": f"Too few buyers to fit the purchase model: {few}."}
    try:
        bg = BetaGeoModel().fit(full)
    except (ValueError, CsmKitError) as e:
        return {**out, "purchase_reason": f"The BG/NBD purchase model could not be fitted: {_why(e)}"}
    out["bgnbd"], out["buyers"] = bg, len(full)
    weeks = clv_months * (365.25 / 12) / 7
    out["expected_purchases"] = float(bg.expected_purchases(full, weeks).sum())
    zero = (full["frequency"] > 0) & ~(full["monetary_value"] > 0)
    if zero.any():
        notes.append(f"{int(zero.sum())} repeat buyer(s) with a mean spend of 0 left out of the spend model's fit "
                     "(their expected spend is the model's estimate from the others).")
    try:
        gg = GammaGammaModel().fit(full[~zero.to_numpy()])
        out["gamma_gamma"] = gg
        out["purchase_clv"] = customer_lifetime_value(bg, gg, full, months=clv_months,
                                                      annual_discount_rate=annual_discount_rate,
                                                      gross_margin=gross_margin)
    except (ValueError, CsmKitError) as e:
        out["spend_reason"] = f"the Gamma-Gamma spend model could not be fitted: {_why(e)}"
    out["notes"] = tuple(notes)
    return out


def clv_analysis(ds, *, month, gross_margin: float = 0.8, annual_discount_rate: float = 0.10,
                 horizon_months: int = 36, clv_months: int = 12, holdout_months: int = 9,
                 survival_model: str = "kaplan_meier", segment: str = "all") -> ClvAnalysis:
    """The CLV page of ``month`` (module docstring): SaaS LTV, survival CLV, sBG, BG/NBD + Gamma-Gamma.

    Parameters
    ----------
    ds : Dataset
    month : str or Period
        Reporting month; values are as of its last day (a snapshot: its own day).
    gross_margin : float
        Share of revenue kept (0.8 = 80%).
    annual_discount_rate : float
        Discount rate a year of future margin (0.10 = 10%).
    horizon_months : int
        Months ahead counted in the subscription CLV.
    clv_months : int
        Months ahead counted in the purchase CLV.
    holdout_months : int
        Months before the month's end held out to test the purchase model.
    survival_model : {"kaplan_meier", "risk_engine"}
        What S(t) of the subscription CLV comes from (module docstring).
    segment : str
        The segment the data set was restricted to, for the sentences.

    Returns
    -------
    ClvAnalysis

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> a = clv_analysis(Dataset(), month="2026-10")
    >>> a.survival_clv is None, a.survival_reason
    (True, 'This data set has no subscriptions: there is no recurring revenue to value.')
    """
    horizon_months = whole_number(horizon_months, "horizon_months", unit="months")
    clv_months = whole_number(clv_months, "clv_months", unit="months")
    holdout_months = whole_number(holdout_months, "holdout_months", unit="months")
    for name, value in (("gross_margin", gross_margin), ("annual_discount_rate", annual_discount_rate)):
        if not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise ValueError(f"{name} is a fraction between 0 and 1 (0.8 means 80%), not {value!r}.")
    # The page and its key numbers share one computation; the segment only names the page.
    page = _clv_analysis(ds, str(to_month(month)), float(gross_margin), float(annual_discount_rate),
                         int(horizon_months), int(clv_months), int(holdout_months), str(survival_model))
    return dataclasses.replace(page, segment=str(segment))


@functools.lru_cache(maxsize=2)
def _clv_analysis(ds, month: str, gross_margin: float, annual_discount_rate: float, horizon_months: int,
                  clv_months: int, holdout_months: int, survival_model: str) -> ClvAnalysis:
    segment = "all"  # set by clv_analysis
    month = to_month(month)
    if survival_model not in SURVIVAL_MODELS:
        raise ValueError(f"survival_model must be one of {SURVIVAL_MODELS}, not {survival_model!r}.")
    snapshot = bool(getattr(ds, "snapshot", False))
    as_of = month_end(month)
    if snapshot and ds.customers is not None and "snapshot_as_of" in ds.customers.columns:
        as_of = as_of_day(ds.customers["snapshot_as_of"].dropna().iloc[0], name="snapshot_as_of")
    parts = dict(survival_model=survival_model, month=month, as_of=as_of, segment=segment,
                 gross_margin=float(gross_margin), annual_discount_rate=float(annual_discount_rate), horizon_months=int(horizon_months),
                 clv_months=int(clv_months), holdout_months=int(holdout_months))
    from ..metrics.pages import ledger_reason

    reason = ledger_reason(ds, month)
    if reason:
        parts["ltv_reason"] = reason
    else:
        try:
            parts["ltv"] = saas_ltv(ds, month=month, gross_margin=gross_margin)
        except (ValueError, CsmKitError) as e:
            parts["ltv_reason"] = f"The SaaS LTV could not be computed: {_why(e)}"
    parts.update(_survival_part(ds, month, as_of, snapshot, gross_margin, annual_discount_rate, horizon_months,
                                survival_model))
    parts.update(_sbg_part(ds, month, snapshot))
    parts.update(_purchase_part(ds, month, as_of, holdout_months, clv_months, gross_margin, annual_discount_rate))
    return ClvAnalysis(**parts)


def clv_key_numbers(ds, *, month, gross_margin: float = 0.8, annual_discount_rate: float = 0.10,
                    horizon_months: int = 36, clv_months: int = 12, holdout_months: int = 9,
                    survival_model: str = "kaplan_meier", segment: str = "all", teaching: bool = False,
                    data: str = "") -> list[KeyNumber]:
    """Key numbers of the CLV page (the names notebooks recorded before: the scorecard reads them).

    ``saas_ltv`` (its churn convention in the label and ``extra["convention"]``),
    ``clv_survival_mean``, ``clv_survival_total``, ``sbg_gamma``, ``sbg_delta``,
    ``bgnbd_expected_purchases_12m`` (over ``clv_months``, 12 by default) and
    ``clv_purchases_mean``; None for what could not be computed. The business
    parameters are the notebook's own; the page's :func:`clv_analysis` for the
    same data and parameters is computed once and shared (cached), so the page
    and its key numbers cannot disagree. ``teaching`` and ``data`` change no
    number.

    >>> from csm_kit import Dataset
    >>> [(k.name, k.value) for k in clv_key_numbers(Dataset(), month="2026-10")][:2]
    [('saas_ltv', None), ('clv_survival_mean', None)]
    """
    analysis = clv_analysis(ds, month=month, gross_margin=gross_margin, annual_discount_rate=annual_discount_rate,
                            horizon_months=horizon_months, clv_months=clv_months, holdout_months=holdout_months,
                            survival_model=survival_model, segment=segment)
    a = analysis
    ltv = a.ltv
    convention = ltv.churn_convention if ltv is not None else default_churn_convention()
    ltv_value = None if ltv is None or ltv.reason or not np.isfinite(ltv.ltv) else float(ltv.ltv)
    survival = a.survival_clv.summary.loc["all"] if a.survival_clv is not None else None
    money = a.currency
    model = {"kaplan_meier": "segment Kaplan-Meier curves", "risk_engine": "churn-risk engine hazards"}[a.survival_model]
    return [
        KeyNumber("saas_ltv", ltv_value, money,
                  f"SaaS LTV (ARPA x margin / monthly logo churn, {convention} churn convention)",
                  {"convention": convention}),
        KeyNumber("clv_survival_mean", None if survival is None else float(survival["clv_mean"]), money,
                  f"Mean CLV of paying customers, next {a.horizon_months} months ({model})",
                  {"survival_model": a.survival_model}),
        KeyNumber("clv_survival_total", None if survival is None else float(survival["clv_total"]), money,
                  f"CLV of the paying base, next {a.horizon_months} months ({model})",
                  {"scorecard": False, "survival_model": a.survival_model}),
        KeyNumber("sbg_gamma", None if a.sbg is None else float(a.sbg.params_["gamma"]), "parameter", "sBG gamma",
                  {"scorecard": False}),
        KeyNumber("sbg_delta", None if a.sbg is None else float(a.sbg.params_["delta"]), "parameter", "sBG delta",
                  {"scorecard": False}),
        KeyNumber("bgnbd_expected_purchases_12m", a.expected_purchases, "purchases",
                  f"Purchases expected in the next {a.clv_months} months", {"scorecard": False}),
        KeyNumber("clv_purchases_mean", None if a.purchase_clv is None else float(a.purchase_clv["clv"].mean()),
                  money, f"Mean purchase CLV, next {a.clv_months} months", {"scorecard": False}),
    ]


def constant_churn_example() -> pd.DataFrame:
    """The page's teaching link: two months at a constant 5% churn, MRR 100, no discounting, by the kit and by hand.

    ``0.95 x 100 + 0.9025 x 100 = 185.25``.

    >>> constant_churn_example()[["kit", "by_hand"]].round(2).values.tolist()
    [[185.25, 185.25]]
    """
    survival = pd.DataFrame({1: [0.95], 2: [0.95 ** 2]}, index=["example"])
    model = SurvivalCLV(annual_discount_rate=0, horizon_months=2, n_bootstrap=0).fit(
        survival, pd.Series({"example": 100.0}))
    return pd.DataFrame({"calculation": ["0.95 x 100 + 0.9025 x 100"], "kit": [float(model.clv_["clv"].iloc[0])],
                         "by_hand": [0.95 * 100 + 0.9025 * 100]})
