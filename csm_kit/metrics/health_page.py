"""The health page of the report: every table, chart input and key number, computed once.

:func:`health_page` builds a :class:`HealthPage` whose parts are
:class:`~csm_kit.metrics.pages.PagePart` objects: a table with its headline
numbers, or the one sentence saying why it could not be computed (no
subscriptions, a snapshot, nobody paying, too little history to backtest).
:func:`health_key_numbers` reads the same page, so the page, the index and
``metrics.json`` cannot disagree.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import display
from ..arguments import whole_number
from ..periods import month_end, to_month
from .pages import PagePart, after_data_reason, check_report_parameters, snapshot_reason, unavailable
from .health import BANDS, FittedHealth, HealthMeasure, health_backtest, health_scores

__all__ = ["HealthPage", "health_page", "health_key_numbers", "health_worked_example"]


@dataclass(frozen=True)
class HealthPage:
    """Everything the health page shows (:func:`health_page`).

    Attributes
    ----------
    month : Period
    segment : str
    horizon_days : int
    measures : PagePart
        The measures, thresholds and weights used (fitted, or the kit's defaults), and the share of accounts
        with each; ``values["fitted"]`` says which.
    bands : PagePart
        Accounts and share per band at the month end; ``values``: ``accounts``, ``green_share``,
        ``red_share``, ``coverage``, ``bands`` (the two cut points).
    scores : PagePart
        :func:`health_scores` at the month end (the distribution chart).
    trend : PagePart
        Band shares at each of the last ``trend_months`` month ends, with this month's measures.
    by_segment : PagePart
        Band shares per segment (a report on all segments with more than one).
    contributions : PagePart
        Mean contribution of each measure to the score, per band.
    backtest : PagePart
        :func:`health_backtest` scored ``horizon_days`` before the month end and followed to it: ``frame``
        is ``by_band``; ``values``: ``auc``, ``red_lift``, ``accounts``, ``churned``, ``ranks``, ``as_of``.
    calibration : PagePart
        The churn-risk engine's backtest on the same day (:func:`~csm_kit.models.risk_backtest`):
        predicted against observed churners by decile; ``values``: ``predicted``, ``observed``, ``auc``.
    red : PagePart
        The red accounts, largest MRR first, with the measures that scored 0; ``values``: ``count``,
        ``mrr``, ``mrr_share``.
    """

    month: pd.Period
    segment: str
    horizon_days: int
    measures: PagePart
    bands: PagePart
    scores: PagePart
    trend: PagePart
    by_segment: PagePart
    contributions: PagePart
    backtest: PagePart
    calibration: PagePart
    red: PagePart

    def headline(self):
        """The page's first sentence: who is scored (the segment named), and how many are green and red."""
        from ..display import text

        who = ("Customer health for all customers" if self.segment in ("", "all")
               else "Segment **{segment}**: customer health")
        if not self.bands.available:
            return text(who + ", {month}: {reason}", segment=self.segment, month=str(self.month),
                        reason=self.bands.reason)
        v = self.bands.values
        noun = "account" if v["accounts"] == 1 else "accounts"
        return text(who + " at the end of {month}: {accounts:,} paying " + noun + " scored, {green:.0%} green "
                    "and {red:.0%} red (mean coverage {coverage:.0%}).", segment=self.segment, month=str(self.month),
                    accounts=v["accounts"], green=v["green_share"], red=v["red_share"], coverage=v["coverage"])

    def backtest_note(self) -> display.Text:
        """The backtest in one sentence, with a warning when the bands do not rank churn."""
        if not self.backtest.available:
            return display.Text(self.backtest.reason)
        v = self.backtest.values
        auc = "no AUC (every account churned)" if v["auc"] is None else f"AUC {v['auc']:.2f}"
        lift = ("no account in the red band" if v["red_lift"] is None else f"red-band lift {v['red_lift']:.1f}")
        text = (f"Scored on {v['as_of']} and followed for {self.horizon_days} days: {v['churned']:,} of "
                f"{v['accounts']:,} accounts churned; {auc}, {lift}.")
        if not v["ranks"]:
            text += (" Warning: the bands do not rank churn (red should churn more than yellow, yellow more than "
                     "green), so the bands are not a reliable guide for this data; read the score with care.")
        return display.Text(text)

    def key_numbers(self) -> list:
        """The page's recorded numbers (see :func:`health_key_numbers`)."""
        from ..key_numbers import KeyNumber

        b, bt, red = self.bands, self.backtest, self.red
        note = {} if b.available else {"note": b.reason}
        bt_note = {} if bt.available else {"note": bt.reason}
        v, t = b.values, bt.values
        return [
            KeyNumber("health_green_share", v.get("green_share"), "share", "Accounts in green health",
                      {"accounts": v.get("accounts"), **note}),
            KeyNumber("health_red_share", v.get("red_share"), "share", "Accounts in red health", note),
            KeyNumber("health_red_mrr", red.values.get("mrr"), "USD", "MRR of red accounts", note),
            KeyNumber("health_coverage", v.get("coverage"), "share", "Mean health-score coverage",
                      {"scorecard": False, **note}),
            KeyNumber("health_backtest_auc", t.get("auc"), "ratio",
                      f"Health score backtest AUC ({self.horizon_days}-day churn)",
                      {"accounts": t.get("accounts"), "churned": t.get("churned"), "as_of": t.get("as_of"),
                       **bt_note}),
            KeyNumber("health_red_lift", t.get("red_lift"), "ratio", "Red-band churn lift (backtest)",
                      {"scorecard": False, **bt_note}),
            KeyNumber("health_bands_rank_churn", t.get("ranks"), None, "Health bands rank churn (backtest)",
                      {"scorecard": False, **bt_note}),
        ]


def _finite(v):
    return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v)


def _spec_table(spec, fitted, scored) -> pd.DataFrame:
    if fitted is not None:
        t = fitted.table.copy()
    else:
        t = pd.DataFrame([{"measure": m.name, "weight": m.weight / sum(x.weight for x in spec), "red_at": m.red_at,
                           "green_beyond": m.green_beyond, "higher_is_better": m.higher_is_better,
                           "description": m.description} for m in spec])
    t["accounts_with_it"] = [scored[f"{m}_value"].notna().mean() if len(scored) else np.nan for m in t["measure"]]
    t["higher_is_better"] = np.where(t["higher_is_better"], "higher", "lower")
    t["measure"] = [display.label(m) for m in t["measure"]]  # "usage_trend" reads "Usage trend"
    keep = ["measure", "description", "weight", "red_at", "green_beyond", "higher_is_better", "accounts_with_it"]
    return t[keep].rename(columns={"higher_is_better": "better"})


def health_page(ds, *, month, horizon_days: int = 90, trend_months: int = 6, red_accounts_shown: int = 25,
                segment: str = "all") -> HealthPage:
    """The health page for ``month``: scores at its last day, trend, backtest, calibration and the red list.

    The score is :func:`~csm_kit.metrics.health.health_scores` with its default:
    fitted to the history before the month end (:func:`~csm_kit.metrics.health.fit_health`),
    or the kit's judgement defaults when the history is too short. The backtest
    scores the accounts ``horizon_days`` before the month end with a score fitted
    on what was known then, and follows them to the month end.

    Parameters
    ----------
    ds : Dataset
        The report's data (already restricted to the segment).
    month : str or Period
    horizon_days : int, default 90
    trend_months : int, default 6
    red_accounts_shown : int, default 25
    segment : str
        For the headline only.

    Returns
    -------
    HealthPage

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> page = health_page(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), month="2026-10")
    >>> page.bands.reason
    'This data set has no subscriptions table: the health score is built for paying accounts, so it cannot be computed.'
    >>> [k.value for k in page.key_numbers()]
    [None, None, None, None, None, None, None]
    """
    horizon_days = whole_number(horizon_days, "horizon_days", unit="days")
    trend_months = whole_number(trend_months, "trend_months")
    red_accounts_shown = whole_number(red_accounts_shown, "red_accounts_shown")
    return _health_page(ds, str(to_month(month)), int(horizon_days), int(trend_months), int(red_accounts_shown),
                        str(segment))


@functools.lru_cache(maxsize=2)
def _health_page(ds, month: str, horizon_days: int, trend_months: int, shown: int, segment: str) -> HealthPage:
    period = to_month(month)
    as_of = month_end(period)
    reason = None
    if getattr(ds, "snapshot", False):
        reason = snapshot_reason("a health score built from dated usage, surveys and tickets")
    elif not ds.has("subscriptions"):
        reason = ("This data set has no subscriptions table: the health score is built for paying accounts, "
                  "so it cannot be computed.")
    else:
        reason = after_data_reason(ds, period)
    if reason is None:
        scores = health_scores(ds, as_of=as_of, horizon_days=horizon_days)
        scored = scores[scores["score"].notna()].reset_index(drop=True)
        if scored.empty:
            reason = f"No account was paying on {as_of.date()}, so there is nobody to score."
    if reason is not None:
        parts = {k: unavailable(reason) for k in ("measures", "bands", "scores", "trend", "by_segment",
                                                   "contributions", "backtest", "calibration", "red")}
        return HealthPage(period, segment, horizon_days, **parts)

    fitted: FittedHealth | None = scores.attrs["fitted"]
    spec, cuts = scores.attrs["spec"], scores.attrs["bands"]
    names = [m.name for m in spec]
    how = ("fitted to this company's history" if fitted is not None else
           "the kit's defaults (too little history to fit them)")
    measures = PagePart(frame=_spec_table(spec, fitted, scored),
                        formats={"weight": "share", "red_at": "{:.3g}", "green_beyond": "{:.3g}",
                                 "accounts_with_it": "share"},
                        values={"fitted": fitted is not None},
                        caption=f"Measures, thresholds and weights: {how}; bands red up to {cuts[0]:.0f}, "
                                f"yellow up to {cuts[1]:.0f}, green above.")

    counts = scored["band"].value_counts().reindex(list(BANDS), fill_value=0)
    band_frame = pd.DataFrame({"band": list(BANDS), "accounts": counts.to_numpy(),
                               "share": counts.to_numpy() / len(scored)})
    bands = PagePart(frame=band_frame, formats={"accounts": "int", "share": "share"},
                     values={"accounts": int(len(scored)), "green_share": float(band_frame["share"].iloc[2]),
                             "red_share": float(band_frame["share"].iloc[0]),
                             "coverage": float(scored["coverage"].mean()), "bands": cuts,
                             "full_coverage": float((scored["coverage"] == 1).mean())})
    score_part = PagePart(frame=scored, values={"bands": cuts, "month": str(period)})

    # Trend: this month's measures and bands applied at earlier month ends (how the mix moved).
    first = ds.subscriptions["start_date"].min().to_period("M")
    rows = []
    for m in pd.period_range(max(period - (trend_months - 1), first), period, freq="M"):
        s = scored if m == period else health_scores(ds, as_of=month_end(m), spec=fitted or spec, bands=cuts,
                                                     horizon_days=horizon_days)
        share = s["band"].value_counts(normalize=True).reindex(list(BANDS), fill_value=0.0)
        rows.append({"month": m.to_timestamp(), **share.to_dict()})
    trend = PagePart(frame=pd.DataFrame(rows), formats={b: "share" for b in BANDS})

    segs = ds.customers["segment"] if ds.customers is not None and "segment" in ds.customers.columns else None
    if segment not in ("", "all"):
        by_segment = unavailable("This report is for one segment, so there is no split by segment.")
    elif segs is None or segs.nunique() < 2:
        by_segment = unavailable("The data has fewer than two customer segments, so there is no split by segment.")
    else:
        seg = scored["customer_id"].map(ds.customers.set_index("customer_id")["segment"]).fillna("(missing)")
        tab = pd.crosstab(seg, scored["band"], normalize="index").reindex(columns=list(BANDS), fill_value=0.0)
        by_segment = PagePart(frame=tab.rename_axis("segment").reset_index(), formats={b: "share" for b in BANDS})

    contrib = (scored.groupby("band")[[f"{m}_contribution" for m in names]].mean()
               .reindex(list(BANDS)).fillna(0.0))
    contrib.columns = names
    contributions = PagePart(frame=contrib.rename_axis("band").reset_index(), formats={m: "{:.1f}" for m in names})

    bt_day = as_of - pd.Timedelta(days=horizon_days)
    try:
        bt = health_backtest(ds, as_of=bt_day, horizon_days=horizon_days, data_end=as_of)
    except ValueError as exc:
        bt = None
        backtest = unavailable(f"No backtest: {str(exc).split(': ', 1)[-1]}")
    if bt is not None:
        if bt.accounts and bt.churned:
            backtest = PagePart(frame=bt.by_band, formats={"accounts": "int", "churned": "int", "churn_rate": "share",
                                                           "lift": "ratio"},
                                values={"auc": _finite(bt.auc), "red_lift": _finite(bt.red_lift),
                                        "accounts": bt.accounts, "churned": bt.churned, "ranks": bt.bands_rank_churn,
                                        "as_of": str(bt.as_of.date()), "churn_rate": _finite(bt.churn_rate),
                                        "horizon_end": str(bt.horizon_end.date())})
        elif not bt.accounts:
            backtest = unavailable(f"No backtest: no account was paying on {bt_day.date()}, {horizon_days} days "
                                   "before the month end, so there is nothing to check yet.")
        else:
            backtest = unavailable(f"No backtest: none of the {bt.accounts:,} accounts scored on {bt_day.date()} "
                                   f"churned in the {horizon_days} days after, so there is no churn to explain.")

    from ..models.risk import NotEnoughHistoryError, risk_backtest

    try:
        rb = risk_backtest(ds, as_of=bt_day, horizon_days=horizon_days, data_end=as_of)
        calibration = PagePart(frame=rb.calibration, formats={"accounts": "int", "mean_p": "share",
                                                              "predicted": "{:.1f}", "observed": "int",
                                                              "churn_rate": "share"},
                               values={"predicted": rb.predicted, "observed": rb.observed, "auc": _finite(rb.auc),
                                       "as_of": str(rb.as_of.date())})
    except (NotEnoughHistoryError, ValueError) as exc:
        calibration = unavailable(f"No calibration check of the churn-risk engine: {str(exc).split(': ', 1)[-1]}")

    from .ledger import month_end_mrr

    mrr = month_end_mrr(ds, period, period).iloc[:, 0]
    red = scored[scored["band"] == "red"].copy()
    red["mrr"] = red["customer_id"].map(mrr).fillna(0.0)
    zero = np.column_stack([(red[f"{m}_points"] == 0).to_numpy() for m in names]).reshape(len(red), len(names))
    red["red_measures"] = [", ".join(np.asarray(names)[z]) for z in zero]
    extra = [c for c in ("segment", "plan") if ds.customers is not None and c in ds.customers.columns]
    for c in extra:
        red[c] = red["customer_id"].map(ds.customers.set_index("customer_id")[c])
    red = red.sort_values(["mrr", "score"], ascending=[False, True], kind="mergesort")
    cols = ["customer_id"] + extra + ["mrr", "score", "coverage", "red_measures"] + [f"{m}_value" for m in names]
    total = float(mrr.sum())
    red_part = PagePart(frame=red[cols].reset_index(drop=True), max_rows=shown,
                        formats={"mrr": "money", "score": "{:.0f}", "coverage": "share",
                                 **{f"{m}_value": "{:.2f}" for m in names}},
                        values={"count": int(len(red)), "mrr": float(red["mrr"].sum()),
                                "mrr_share": float(red["mrr"].sum() / total) if total > 0 else None},
                        caption=(f"{len(red):,} red accounts; the {min(shown, len(red))} largest by MRR." if len(red)
                                 else "No account is in the red band this month."))
    return HealthPage(period, segment, horizon_days, measures=measures, bands=bands, scores=score_part, trend=trend,
                      by_segment=by_segment, contributions=contributions, backtest=backtest, calibration=calibration,
                      red=red_part)


def health_key_numbers(ds, *, month, horizon_days: int = 90, trend_months: int = 6, red_accounts_shown: int = 25,
                       **report_parameters) -> list:
    """The health page's key numbers, for the scorecard, the index and ``metrics.json``.

    ``health_green_share``, ``health_red_share`` (shares of the accounts paying
    at the month end), ``health_red_mrr`` (their MRR), ``health_coverage``,
    ``health_backtest_auc``, ``health_red_lift`` and
    ``health_bands_rank_churn`` (the backtest scored ``horizon_days`` before the
    month end), all read from :func:`health_page` with the same parameters.
    A number that cannot be computed has value None and a ``note`` saying why.

    Examples
    --------
    >>> from csm_kit import simulate
    >>> numbers = health_key_numbers(simulate(n_customers=60, start="2026-01", months=6, seed=3), month="2026-06")
    >>> [k.name for k in numbers][:3]
    ['health_green_share', 'health_red_share', 'health_red_mrr']
    """
    check_report_parameters("health_key_numbers", report_parameters)
    return health_page(ds, month=month, horizon_days=horizon_days, trend_months=trend_months,
                       red_accounts_shown=red_accounts_shown).key_numbers()


def health_worked_example() -> pd.DataFrame:
    """The teaching example: two accounts, usage weighted 0.6 and satisfaction 0.4, b without a survey answer.

    a: usage 20 days (green, 100), NPS 9 (green, 100): score 100, coverage 100%.
    b: usage 8 days (yellow, 50), no answer: score 0.6 x 50 / 0.6 = 50, coverage 60%.

    >>> health_worked_example()[["customer_id", "score", "band", "coverage"]]
      customer_id  score    band  coverage
    0           a  100.0   green       1.0
    1           b   50.0  yellow       0.6
    """
    spec = [HealthMeasure("usage", 0.6, red_at=4, green_beyond=12),
            HealthMeasure("satisfaction", 0.4, red_at=6, green_beyond=8)]
    raw = pd.DataFrame({"usage": [20.0, 8.0], "satisfaction": [9.0, np.nan]},
                       index=pd.Index(["a", "b"], name="customer_id"))
    return health_scores(raw, spec=spec)[["customer_id", "score", "band", "coverage", "usage_points",
                                         "usage_contribution", "satisfaction_contribution"]]

