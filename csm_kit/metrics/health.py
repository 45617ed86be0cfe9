"""Customer health scores: graded measures, renormalised weights, bands, and a backtest.

How a score is made
-------------------
1. Each account gets a raw value per *measure* (usage, satisfaction, support,
   onboarding, billing: :func:`~csm_kit.metrics.health_measures.health_measures`),
   from data dated on or before ``as_of`` only.
2. Each measure grades its value into points with its own two thresholds
   (:class:`HealthMeasure`): red = 0, yellow = 50, green = 100 (or, with
   ``grading="linear"``, 0 to 100 in a straight line between them).
3. ``score = sum_i(w_i x points_i) / sum_i(w_i)`` over the measures the
   account has. A missing measure (no survey answered, table absent) is left
   out and the other weights renormalised; ``coverage = sum_i(w_i present) /
   sum_i(w_i)`` sits beside the score, so a 90 built on one measure is not
   mistaken for a 90 built on five.
4. Bands: red when score <= 40, yellow when 40 < score <= 70, green above
   70 (a boundary value falls in the lower band). ``<measure>_contribution``
   = weight share x points, and the contributions add up to the score, so
   every account's score can be explained measure by measure.

Users distrust health scores nobody checked: :func:`health_backtest` scores
the accounts at a past date and compares with who churned afterwards
(churn rate by band, AUC, lift).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..arguments import required_day, whole_number
from ..periods import as_of_day
from .health_measures import HEALTH_DAY, health_measures
from .ledger import paid_spells

BANDS = ("red", "yellow", "green")
GRADINGS = ("steps", "linear")


@dataclass(frozen=True)
class HealthMeasure:
    """One graded, weighted measure of a health score.

    Grading with ``grading="steps"`` (the default), a value exactly on a
    threshold going to the worse grade:

    - higher is better: ``value <= red_at`` -> 0 (red),
      ``red_at < value <= green_beyond`` -> 50 (yellow), above -> 100 (green);
    - lower is better: ``value >= red_at`` -> 0, ``green_beyond <= value < red_at``
      -> 50, below ``green_beyond`` -> 100.

    With ``grading="linear"``: ``points = 100 x clip((value - red_at) /
    (green_beyond - red_at), 0, 1)``, so 0 at ``red_at``, 100 at
    ``green_beyond`` and a straight line between (same formula for both
    directions). Steps are easier to explain ("usage is red"); the line
    rewards every bit of improvement. A missing value (NaN) stays missing.

    Parameters
    ----------
    name : str
        Column of the raw measures it grades.
    weight : float
        Relative weight (> 0); weights need not add up to 1.
    red_at, green_beyond : float
        The two thresholds, in the measure's own units.
    higher_is_better : bool, default True
    grading : {"steps", "linear"}
    description : str
        What the value is, for readers of the score.

    Examples
    --------
    >>> HealthMeasure("nps", 1, red_at=6, green_beyond=8).grade([6, 7, 8, 9, np.nan]).tolist()
    [0.0, 50.0, 50.0, 100.0, nan]
    >>> HealthMeasure("tickets", 1, red_at=5, green_beyond=2, higher_is_better=False).grade([5, 3, 2, 1]).tolist()
    [0.0, 50.0, 50.0, 100.0]
    >>> HealthMeasure("usage", 1, red_at=4, green_beyond=12, grading="linear").grade([2, 4, 10, 20]).tolist()
    [0.0, 0.0, 75.0, 100.0]
    """

    name: str
    weight: float
    red_at: float
    green_beyond: float
    higher_is_better: bool = True
    grading: str = "steps"
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"A health measure needs a name (a non-empty string), not {self.name!r}.")
        if not (np.isfinite(self.weight) and self.weight > 0):
            raise ValueError(f"Measure {self.name!r}: weight must be a positive number, not {self.weight!r}.")
        if not (np.isfinite(self.red_at) and np.isfinite(self.green_beyond)):
            raise ValueError(f"Measure {self.name!r}: thresholds must be finite numbers.")
        if self.grading not in GRADINGS:
            raise ValueError(f"Measure {self.name!r}: grading must be one of {GRADINGS}, not {self.grading!r}.")
        wrong = self.red_at > self.green_beyond if self.higher_is_better else self.red_at < self.green_beyond
        if wrong:
            better = "higher" if self.higher_is_better else "lower"
            raise ValueError(f"Measure {self.name!r}: where {better} is better, red_at ({self.red_at}) must be "
                             f"{'below' if self.higher_is_better else 'above'} green_beyond ({self.green_beyond}).")
        if self.grading == "linear" and self.red_at == self.green_beyond:
            raise ValueError(f"Measure {self.name!r}: linear grading needs two different thresholds.")

    def grade(self, values) -> np.ndarray:
        """Points from 0 to 100 per value; NaN stays NaN (see the class docstring)."""
        v = np.asarray(values, dtype=float)
        if self.grading == "linear":
            points = 100.0 * np.clip((v - self.red_at) / (self.green_beyond - self.red_at), 0.0, 1.0)
        elif self.higher_is_better:
            points = np.where(v <= self.red_at, 0.0, np.where(v <= self.green_beyond, 50.0, 100.0))
        else:
            points = np.where(v >= self.red_at, 0.0, np.where(v >= self.green_beyond, 50.0, 100.0))
        return np.where(np.isnan(v), np.nan, points)


#: The kit's default measures, graded in steps; the raw values are built by
#: :func:`~csm_kit.metrics.health_measures.health_measures`.
DEFAULT_MEASURES = (
    HealthMeasure("usage", 0.30, red_at=4, green_beyond=12,
                  description="days with product activity in the last 30 days (red <= 4, green > 12)"),
    HealthMeasure("satisfaction", 0.20, red_at=6, green_beyond=8,
                  description="latest relationship NPS answer within 12 months (detractor red, passive yellow)"),
    HealthMeasure("support", 0.15, red_at=5, green_beyond=2, higher_is_better=False,
                  description="tickets opened in the last 90 days (red >= 5, green < 2)"),
    HealthMeasure("onboarding", 0.15, red_at=0.5, green_beyond=0.99,
                  description="share of required onboarding milestones completed (green: all)"),
    HealthMeasure("billing", 0.20, red_at=0.9, green_beyond=0.999,
                  description="MRR now / MRR 3 months ago (red: lost 10% or more, yellow: any contraction)"),
)


def _measure_spec(spec) -> tuple[HealthMeasure, ...]:
    spec = tuple(DEFAULT_MEASURES if spec is None else spec)
    if not spec or not all(isinstance(m, HealthMeasure) for m in spec):
        raise ValueError("spec must be a non-empty sequence of HealthMeasure.")
    names = [m.name for m in spec]
    if len(set(names)) != len(names):
        raise ValueError(f"Measure names must be unique: {names}.")
    return spec


def _check_bands(bands) -> tuple[float, float]:
    try:
        low, high = (float(b) for b in bands)
    except (TypeError, ValueError):
        raise ValueError(f"bands must be two numbers (upper bounds of red and yellow), not {bands!r}.") from None
    if not 0 <= low < high <= 100:
        raise ValueError(f"bands must satisfy 0 <= red bound < yellow bound <= 100, not {bands!r}.")
    return low, high


def score_band(scores, bands=(40, 70)) -> np.ndarray:
    """red / yellow / green per score; a boundary value falls in the lower band; NaN -> None.

    ``red: score <= bands[0]``, ``yellow: bands[0] < score <= bands[1]``, ``green: score > bands[1]``.

    >>> score_band([40, 40.01, 70, 70.01, np.nan]).tolist()
    ['red', 'yellow', 'yellow', 'green', None]
    """
    low, high = _check_bands(bands)
    s = np.asarray(scores, dtype=float)
    labels = np.where(s <= low, "red", np.where(s <= high, "yellow", "green")).astype(object)
    labels[np.isnan(s)] = None
    return labels


def _raw_measures(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """Check a user-supplied frame of raw measures: one row per account, numeric columns."""
    raw = frame.set_index("customer_id") if "customer_id" in frame.columns else frame
    missing = [m.name for m in spec if m.name not in raw.columns]
    if missing:
        raise ValueError(f"health_scores: the measures frame has no column for {missing} "
                         f"(columns: {list(raw.columns)}).")
    dupes = raw.index[raw.index.duplicated()]
    if len(dupes):
        raise ValueError(f"health_scores: accounts appear more than once: {list(dupes[:5])}.")
    for m in spec:
        if not pd.api.types.is_numeric_dtype(raw[m.name]) or pd.api.types.is_bool_dtype(raw[m.name]):
            raise ValueError(f"health_scores: measure {m.name!r} must be numeric, not {raw[m.name].dtype}.")
    return raw


def _resolve(data, day, spec, bands, horizon_days):
    """(spec, bands, fitted or None, raw measures) for a Dataset: fitted when spec is None and history allows."""
    from .health_measures import FITTED_MEASURES, fitted_measures

    fitted = None
    if spec is None:
        from ..models.risk import NotEnoughHistoryError

        try:
            from ..report.engines import shared

            fitted = shared(fit_health, data, as_of=day, horizon_days=horizon_days)  # once per report
        except NotEnoughHistoryError:
            fitted = None  # too little history: the kit's default measures, as documented
    if isinstance(spec, FittedHealth):
        fitted = spec
    if fitted is not None:
        spec, bands = fitted.spec, (fitted.bands if bands is None else bands)
        raw = fitted_measures(data, as_of=day, horizon_days=fitted.horizon_days)
    else:
        spec = _measure_spec(spec)
        raw = health_measures(data, as_of=day)
        extra = [m.name for m in spec if m.name not in raw.columns and m.name in FITTED_MEASURES]
        if extra:
            more = fitted_measures(data, as_of=day, horizon_days=horizon_days)
            raw = raw.join(more[extra])
    return tuple(spec), ((40, 70) if bands is None else bands), fitted, raw


def health_scores(data_or_measures, *, as_of=None, spec=None, bands=None, horizon_days: int = 90) -> pd.DataFrame:
    """Health score (0-100, higher = healthier) per account, explained by each measure's contribution.

    With ``P`` the measures an account has (value not missing)::

        score         = sum_{i in P} w_i x points_i / sum_{i in P} w_i
        coverage      = sum_{i in P} w_i / sum_{all i} w_i
        contribution_i = (w_i / sum_{i in P} w_i) x points_i      (sums to the score)

    Band: red ``score <= bands[0]``, yellow up to ``bands[1]``, green above;
    a boundary value falls in the lower band. Alternatives: treat a missing
    measure as 0 points (punishes accounts for data you lack) or as 50
    (invents a neutral answer); the kit excludes it and shows the coverage.

    Which measures, thresholds, weights and bands: with a Dataset and no
    ``spec``, the ones fitted to the company's own history before ``as_of``
    (:func:`fit_health`: thresholds from what churned and retained accounts
    looked like, weights from the churn-risk engine, bands from the history's
    score quantiles; the measures of
    :func:`~csm_kit.metrics.health_measures.fitted_measures`, which do not judge
    new accounts on usage or onboarding they had no time for); when the
    history is too short to fit, :data:`DEFAULT_MEASURES` with bands (40, 70).
    ``attrs["fitted"]`` holds the :class:`FittedHealth` used, or None. Your own
    ``spec`` (and ``bands``) are used as given.

    Parameters
    ----------
    data_or_measures : Dataset or DataFrame
        A Dataset (the measures are built at ``as_of`` by
        :func:`~csm_kit.metrics.health_measures.health_measures`, for the
        accounts paying on ``as_of``), or a DataFrame of raw measure values,
        one row per account, indexed by (or with a column) ``customer_id``.
    as_of : date
        The day scored; required with a Dataset.
    spec : sequence of HealthMeasure or FittedHealth, optional
        Measures, weights and thresholds. Default: fitted with a Dataset
        (above), :data:`DEFAULT_MEASURES` with a DataFrame.
    bands : (float, float), optional
        Upper bounds of the red and yellow bands; default the fitted ones, else (40, 70).
    horizon_days : int, default 90
        The churn horizon a fitted score is fitted to foresee.

    Returns
    -------
    DataFrame
        One row per account: ``customer_id, score, band, coverage``, then for
        each measure ``<name>_value, <name>_points, <name>_contribution``
        (NaN where the measure is missing). An account with no measure at
        all has NaN score, band None and coverage 0.

    Examples
    --------
    >>> raw = pd.DataFrame({"usage": [20, 8], "satisfaction": [9, np.nan]},
    ...                    index=pd.Index(["a", "b"], name="customer_id"))
    >>> spec = [HealthMeasure("usage", 0.6, red_at=4, green_beyond=12),
    ...         HealthMeasure("satisfaction", 0.4, red_at=6, green_beyond=8)]
    >>> health_scores(raw, spec=spec)[["customer_id", "score", "band", "coverage", "usage_contribution"]]
      customer_id  score    band  coverage  usage_contribution
    0           a  100.0   green       1.0                60.0
    1           b   50.0  yellow       0.6                50.0
    """
    fitted = None
    if isinstance(data_or_measures, pd.DataFrame):
        if isinstance(spec, FittedHealth):
            spec, bands = spec.spec, spec.bands if bands is None else bands
        spec = _measure_spec(spec)
        bands = (40, 70) if bands is None else bands
        raw = _raw_measures(data_or_measures, spec)
    else:
        day = required_day(as_of, meaning=HEALTH_DAY)
        spec, bands, fitted, raw = _resolve(data_or_measures, day, spec, bands, horizon_days)
        spec = _measure_spec(spec)
        unknown = [m.name for m in spec if m.name not in raw.columns]
        if unknown:
            raise ValueError(f"health_scores: {unknown} are not built-in measures ({list(raw.columns)}); build "
                             "the raw values yourself and pass them as a DataFrame.")
    _check_bands(bands)
    weights = np.array([m.weight for m in spec], dtype=float)
    points = np.column_stack([m.grade(raw[m.name].to_numpy(dtype=float)) for m in spec]).reshape(len(raw), len(spec))
    present = ~np.isnan(points)
    weight_present = np.where(present, weights, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        contribution = np.where(present, weights / weight_present[:, None] * points, np.nan)
    score = np.where(weight_present > 0, np.nansum(contribution, axis=1), np.nan)
    out = pd.DataFrame({"customer_id": raw.index.to_numpy(), "score": score, "band": score_band(score, bands),
                        "coverage": weight_present / weights.sum()})
    for i, m in enumerate(spec):
        out[f"{m.name}_value"] = raw[m.name].to_numpy(dtype=float)
        out[f"{m.name}_points"] = points[:, i]
        out[f"{m.name}_contribution"] = contribution[:, i]
    out.attrs.update({"fitted": fitted, "spec": tuple(spec), "bands": tuple(float(b) for b in bands)})
    return out


@dataclass(frozen=True)
class HealthBacktest:
    """How well a health score at ``as_of`` foresaw churn in the following ``horizon_days``.

    Attributes
    ----------
    as_of, horizon_end : Timestamp
        Scoring day and last day of the horizon ``(as_of, horizon_end]``.
    horizon_days : int
    accounts, churned : int
        Scored accounts (paying on ``as_of`` with at least one measure) and
        how many of them churned in the horizon.
    unscored : int
        Paying accounts with no measure at all (left out of everything).
    churn_rate : float
        churned / accounts.
    auc : float
        P(a churner scores lower than a non-churner), ties counting half;
        0.5 is chance, 1 a perfect ranking. NaN without both kinds of account.
    red_lift : float
        Churn rate in the red band / overall churn rate.
    by_band : DataFrame
        ``band, accounts, churned, churn_rate, lift`` for red, yellow, green.
    scores : DataFrame
        :func:`health_scores` at ``as_of`` plus a ``churned`` column.
    """

    as_of: pd.Timestamp
    horizon_days: int
    horizon_end: pd.Timestamp
    accounts: int
    churned: int
    unscored: int
    churn_rate: float
    auc: float
    red_lift: float
    by_band: pd.DataFrame = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    convention: str = ("churned = paying on as_of and its paid spell ends in (as_of, as_of + horizon]; "
                       "AUC = P(churner scores lower than non-churner), ties half")
    fitted: object = field(default=None, repr=False)

    @property
    def bands_rank_churn(self) -> bool:
        """True when churn falls from band to band: red > yellow > green (bands with no account skipped).

        A health score whose bands do not rank churn sends CSMs to the wrong accounts; the report warns.
        """
        rates = self.by_band.set_index("band")["churn_rate"].reindex(list(BANDS)).dropna().to_numpy()
        return bool(len(rates) >= 2 and np.all(np.diff(rates) < 0))

    def __repr__(self) -> str:
        return (f"<HealthBacktest as of {self.as_of.date()}, {self.horizon_days}-day horizon: "
                f"{self.accounts} accounts, {self.churned} churned ({self.churn_rate:.1%}), "
                f"AUC {self.auc:.2f}, red-band lift {self.red_lift:.2f}>")


def _data_end(data) -> pd.Timestamp:
    """Last day the data covers: the latest date in any table's time column."""
    last = data.coverage["last"].max()
    if pd.isna(last):
        raise ValueError("health_backtest: the data has no dates; pass data_end.")
    return pd.Timestamp(last).normalize()


def health_backtest(data, *, as_of, horizon_days: int = 90, spec=None, bands=None,
                    data_end=None) -> HealthBacktest:
    """Check a health score against what happened next.

    Scores every account paying on ``as_of`` with data up to ``as_of`` only
    (:func:`health_scores`), then marks as *churned* those whose paid spell
    ends in ``(as_of, as_of + horizon_days]`` (a customer who cancels one of
    two subscriptions has contracted, not churned). Then:

    - churn rate per band, and ``lift = band churn rate / overall churn rate``
      (a red-band lift of 3 means red accounts churned three times as often);
    - ``AUC = U / (n_churned x n_stayed)``, where ``U`` is the Mann-Whitney
      statistic of the stayers' scores against the churners'
      (:func:`scipy.stats.mannwhitneyu`): the probability that a random
      churner scored lower than a random stayer, ties counting half. It is
      the ROC AUC of ``100 - score`` as a churn predictor.

    Censoring: churn after the data ends is unknown, so the horizon must end
    on or before the data's last day, or the function refuses.

    Parameters
    ----------
    data : Dataset
    as_of : date
        The day scored (in the past).
    horizon_days : int, default 90
    spec, bands
        As for :func:`health_scores`: by default the score fitted to the history before ``as_of``
        (:func:`fit_health`), so the backtest judges it on accounts and months it did not see.
    data_end : date, optional
        Last day the data covers; default the latest date in any table's
        time column (:attr:`Dataset.coverage`). Subscription end dates are
        not used, since a scheduled future end says nothing about other
        customers.

    Returns
    -------
    HealthBacktest

    Examples
    --------
    >>> from csm_kit.datasets import load_sample
    >>> bt = health_backtest(load_sample(), as_of="2026-06-30", horizon_days=90)
    >>> bt.accounts, bt.churned, round(bt.auc, 2), bt.bands_rank_churn
    (1135, 91, 0.8, True)
    >>> round(health_backtest(load_sample(), as_of="2026-06-30", spec=DEFAULT_MEASURES).auc, 2)  # judgement weights
    0.71
    """
    horizon_days = whole_number(horizon_days, "horizon_days", unit="days")
    day = required_day(as_of, meaning=HEALTH_DAY)
    horizon_end = day + pd.Timedelta(days=int(horizon_days))
    end_of_data = as_of_day(data_end, name="data_end") if data_end is not None else _data_end(data)
    if horizon_end > end_of_data:
        raise ValueError(f"health_backtest: the horizon ends {horizon_end.date()}, after the data "
                         f"({end_of_data.date()}), so churn in it is not known yet. Choose an earlier as_of "
                         "or a shorter horizon.")
    scores = health_scores(data, as_of=day, spec=spec, bands=bands, horizon_days=int(horizon_days))
    fitted = scores.attrs.get("fitted")
    spells = paid_spells(data)
    live = spells[(spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))]
    churners = live.loc[live["end"] <= horizon_end, "customer_id"]  # NaT compares False: still paying
    scores["churned"] = scores["customer_id"].isin(churners)

    scored = scores[scores["score"].notna()]
    n, n_churned = len(scored), int(scored["churned"].sum())
    overall = n_churned / n if n else np.nan
    by_band = (scored.groupby("band")["churned"].agg(accounts="size", churned="sum")
               .reindex(list(BANDS), fill_value=0).rename_axis("band").reset_index())
    by_band["churn_rate"] = by_band["churned"] / by_band["accounts"].where(by_band["accounts"] > 0)
    by_band["lift"] = by_band["churn_rate"] / overall if overall > 0 else np.nan
    stayed, gone = scored.loc[~scored["churned"], "score"], scored.loc[scored["churned"], "score"]
    auc = (stats.mannwhitneyu(stayed, gone, alternative="two-sided").statistic / (len(stayed) * len(gone))
           if len(stayed) and len(gone) else np.nan)
    return HealthBacktest(as_of=day, horizon_days=int(horizon_days), horizon_end=horizon_end, accounts=n,
                          churned=n_churned, unscored=int(scores["score"].isna().sum()), churn_rate=overall,
                          auc=float(auc), red_lift=float(by_band.loc[0, "lift"]), by_band=by_band, scores=scores,
                          fitted=fitted)


def questionnaire_health(answers, *, questions=None, scale=(1, 10)) -> pd.DataFrame:
    """A questionnaire health score: a few questions answered on a scale, summed.

    ``total = sum of the answers``; ``max_total = n_questions x scale_max``;
    ``percent = 100 x total / max_total``. Questions worth asking are about
    the customer's own business: is its customer base growing, is it hiring,
    is its volume up, is its own retention improving. Re-ask them regularly.
    Alternative: rescale so the lowest answer counts 0 (``(total - n x
    scale_min) / (n x (scale_max - scale_min))``); the kit keeps the plain
    sum, which is what CSMs fill in.

    Parameters
    ----------
    answers : DataFrame or dict
        One row per account (index = account), one column per question; or
        ``{question: answer}`` for one account.
    questions : sequence of str, optional
        The columns to use (default: all).
    scale : (int, int), default (1, 10)
        Lowest and highest allowed answer. Every answer must be a whole
        number in that range: a blank or out-of-range answer is an error.

    Returns
    -------
    DataFrame
        ``total, max_total, percent`` per account (same index as ``answers``).

    Examples
    --------
    >>> questionnaire_health({"customers_growing": 8, "hiring": 6, "volume_up": 7, "retention_up": 9})
       total  max_total  percent
    0     30         40     75.0
    """
    if (len(scale) != 2 or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in scale)
            or scale[0] >= scale[1]):
        raise ValueError(f"scale must be two whole numbers (lowest, highest) with lowest < highest, not {scale!r}.")
    frame = pd.DataFrame([answers]) if isinstance(answers, dict) else pd.DataFrame(answers)
    if questions is not None:
        unknown = [q for q in questions if q not in frame.columns]
        if unknown:
            raise ValueError(f"questionnaire_health: no answers for questions {unknown} (have {list(frame.columns)}).")
        frame = frame[list(questions)]
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ValueError("questionnaire_health needs at least one question and one account.")
    low, high = scale
    values = frame.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = values.isna() | (values < low) | (values > high) | (values % 1 != 0)
    if bad.to_numpy().any():
        rows = frame[bad.any(axis=1)].head(5)
        raise ValueError(f"questionnaire_health: answers must be whole numbers from {low} to {high} "
                         f"(no blanks); offending rows:\n{rows.to_string()}")
    total = values.sum(axis=1).astype(int)
    max_total = high * values.shape[1]
    return pd.DataFrame({"total": total, "max_total": max_total, "percent": 100 * total / max_total})


# -- a health score fitted to the company's own history ------------------------------------------

FITTED_DESCRIPTIONS = {
    "usage": "days with product activity in the last 30 days (not judged in an account's first 30 days)",
    "usage_trend": "usage in the last 30 days against the months before (1 = steady, 0.5 = halved)",
    "satisfaction": "latest relationship NPS answer within 12 months",
    "support": "tickets opened in the last 90 days",
    "onboarding": "share of required onboarding milestones completed (not judged in the first 90 days)",
    "billing": "MRR now / MRR 3 months ago",
    "renewal": "months of contract coming up for renewal within the horizon (0: mid-term, cannot leave yet)",
}
#: The direction each fitted measure is read in (higher is better?). A measure whose history points the
#: other way (say, accounts with more tickets churned less) is left out rather than graded backwards.
FITTED_DIRECTIONS = {"usage": True, "usage_trend": True, "satisfaction": True, "support": False,
                     "onboarding": True, "billing": True, "renewal": False}
#: Shares of the history's scores in the red and yellow bands of a fitted score (the rest is green).
FITTED_BAND_SHARES = (0.20, 0.30)


@dataclass(frozen=True)
class FittedHealth:
    """Measures, thresholds, weights and bands of a health score fitted to the company's history.

    How it is fitted (:func:`fit_health`): at the last ``snapshots`` month
    ends ``t`` whose ``horizon_days`` after them end on or before ``as_of``,
    each paying account's measures
    (:func:`~csm_kit.metrics.health_measures.fitted_measures`) and whether it
    churned in ``(t, t + horizon_days]``. Then, per measure:

    - direction: higher is better when the churners' median is below the
      stayers' (otherwise lower is better); a measure whose history points
      against its usual reading (:data:`FITTED_DIRECTIONS`: more tickets
      healthier, say) is left out rather than graded backwards;
    - thresholds (linear grading): ``red_at`` = the churners' median,
      ``green_beyond`` = the stayers' median; when the two are equal, the
      churners' and stayers' quartiles on the bad and good sides, then their 10%
      and 90% points; a measure whose churners and stayers still do not differ
      is left out;
    - weights: the churn-risk engine's logistic regression (the same fit as
      :class:`~csm_kit.models.ChurnRisk`) of churn on the measures' points,
      ``weight = -coefficient`` per 100 points (how much going from red to green
      lowers the log-odds of churning); a measure whose coefficient is not
      negative gets no weight and is left out.

    The bands cut the history's scores at their ``FITTED_BAND_SHARES``
    quantiles (red: the lowest 20%, yellow the next 30%, green the rest: half);
    ``history`` holds the churn rate each band had then.

    Attributes
    ----------
    spec : tuple of HealthMeasure
    bands : (float, float)
    as_of : Timestamp
    horizon_days : int
    snapshots : list of Timestamp
    accounts, churned : int
        Account-snapshots fitted on, and churned among them.
    table : DataFrame
        Per measure: ``measure, weight, red_at, green_beyond, higher_is_better,
        churned_median, stayed_median, description``.
    history : DataFrame
        ``band, accounts, churned, churn_rate`` on the fitting snapshots.
    """

    spec: tuple
    bands: tuple
    as_of: pd.Timestamp
    horizon_days: int
    snapshots: list = field(repr=False)
    accounts: int = 0
    churned: int = 0
    table: pd.DataFrame = field(default=None, repr=False)
    history: pd.DataFrame = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"<FittedHealth as of {self.as_of.date()}: {len(self.spec)} measures fitted on {self.accounts:,} "
                f"account-snapshots ({self.churned:,} churned in {self.horizon_days} days), bands "
                f"{self.bands[0]:.0f}/{self.bands[1]:.0f}>")


def _thresholds(churned: np.ndarray, stayed: np.ndarray):
    """(red_at, green_beyond, higher_is_better) from the two groups' values, or None if they do not differ."""
    churned, stayed = churned[~np.isnan(churned)], stayed[~np.isnan(stayed)]
    if len(churned) < 3 or len(stayed) < 3:
        return None
    for lo, hi in ((0.5, 0.5), (0.25, 0.75), (0.1, 0.9)):
        c_med, s_med = np.median(churned), np.median(stayed)
        higher = s_med > c_med if s_med != c_med else np.mean(stayed) > np.mean(churned)
        if higher:
            red, green = np.quantile(churned, lo), np.quantile(stayed, hi)
        else:
            red, green = np.quantile(churned, hi), np.quantile(stayed, lo)
        if (green > red) if higher else (green < red):
            return float(red), float(green), bool(higher)
    return None


def fit_health(data, *, as_of, horizon_days: int = 90, snapshots: int = 6) -> FittedHealth:
    """Fit a health score's measures, thresholds, weights and bands to the history before ``as_of``.

    See :class:`FittedHealth` for the method. Only data dated on or before
    ``as_of`` is read, and every churn label ends on or before it.

    Parameters
    ----------
    data : Dataset
    as_of : date
    horizon_days : int, default 90
        The churn the score is fitted to foresee.
    snapshots : int, default 6
        Month ends fitted on.

    Returns
    -------
    FittedHealth

    Raises
    ------
    ValueError
        Too little history: no month end ``horizon_days`` before ``as_of`` with churners and stayers after it,
        or no measure that tells them apart.

    Examples
    --------
    >>> from csm_kit import simulate
    >>> fit = fit_health(simulate(n_customers=600, months=24, seed=8), as_of="2025-08-31")
    >>> [m.name for m in fit.spec][:2], fit.bands[0] < fit.bands[1]
    (['usage', 'usage_trend'], True)
    """
    from ..models.risk import NotEnoughHistoryError, churned_within, logistic_weights
    from ..models.risk_features import compact_usage, known_at
    from .health_measures import FITTED_MEASURES, fitted_measures

    horizon_days = whole_number(horizon_days, "horizon_days", unit="days")
    day = required_day(as_of, meaning=HEALTH_DAY)
    data.require("subscriptions", by="fit_health")
    known = compact_usage(known_at(data, day))
    if known.subscriptions.empty:
        raise NotEnoughHistoryError(f"fit_health: no subscription started on or before {day.date()}.")
    first = known.subscriptions["start_date"].min()
    last_start = day - pd.Timedelta(days=int(horizon_days))
    ends = [e.normalize() for e in pd.period_range(first.to_period("M"), last_start.to_period("M"), freq="M")
            .to_timestamp(how="end") if first < e.normalize() <= last_start][-int(snapshots):]
    frames = []
    spells = paid_spells(known.subscriptions)
    for t in ends:
        m = fitted_measures(known, as_of=t, horizon_days=horizon_days, spells=spells, known=True)
        if len(m):
            frames.append(m.assign(churned=churned_within(known, t, horizon_days, m.index, spells).to_numpy()))
    hist = pd.concat(frames) if frames else pd.DataFrame(columns=list(FITTED_MEASURES) + ["churned"])
    y = hist["churned"].to_numpy(dtype=bool)
    if not len(y) or y.all() or not y.any():
        raise NotEnoughHistoryError(f"fit_health: too little history before {day.date()} to fit a health score: it needs a "
                         f"month end at least {horizon_days} days before as_of with both churners and stayers "
                         f"after it ({len(ends)} month ends, {int(y.sum())} churned of {len(y)}).")
    rows, measures = [], []
    for name in FITTED_MEASURES:
        values = hist[name].to_numpy(dtype=float)
        cut = _thresholds(values[y], values[~y])
        if cut is None or cut[2] != FITTED_DIRECTIONS[name]:
            continue
        red, green, higher = cut
        measures.append(HealthMeasure(name, 1.0, red_at=red, green_beyond=green, higher_is_better=higher,
                                      grading="linear", description=FITTED_DESCRIPTIONS[name]))
        rows.append({"measure": name, "red_at": red, "green_beyond": green, "higher_is_better": higher,
                     "churned_median": float(np.nanmedian(values[y])) if (~np.isnan(values[y])).any() else np.nan,
                     "stayed_median": float(np.nanmedian(values[~y])) if (~np.isnan(values[~y])).any() else np.nan})
    if not measures:
        raise NotEnoughHistoryError("fit_health: no measure tells the accounts that churned from those that stayed.")
    points = np.column_stack([m.grade(hist[m.name].to_numpy(dtype=float)) for m in measures]) / 100.0
    weights = logistic_weights(points, y)
    keep = weights > 0
    if not keep.any():
        raise NotEnoughHistoryError("fit_health: no measure's points lower the churn risk in the history.")
    spec = tuple(HealthMeasure(m.name, float(w), red_at=m.red_at, green_beyond=m.green_beyond,
                               higher_is_better=m.higher_is_better, grading="linear", description=m.description)
                 for m, w, k in zip(measures, weights, keep) if k)
    table = pd.DataFrame([dict(r, weight=float(w)) for r, w, k in zip(rows, weights, keep) if k])
    table["weight"] = table["weight"] / table["weight"].sum()
    table["description"] = [m.description for m in spec]
    table = table[["measure", "weight", "red_at", "green_beyond", "higher_is_better", "churned_median",
                   "stayed_median", "description"]]
    scored = health_scores(hist[[m.name for m in spec]].reset_index(drop=True), spec=spec)
    s = scored["score"].to_numpy()
    ok = ~np.isnan(s)
    low, high = (float(np.quantile(s[ok], q)) for q in (FITTED_BAND_SHARES[0], sum(FITTED_BAND_SHARES)))
    low, high = min(max(low, 0.0), 99.0), max(min(high, 100.0), 0.0)
    if high <= low:
        high = min(low + 1.0, 100.0)
    band = score_band(s, (low, high))
    history = (pd.DataFrame({"band": band[ok], "churned": y[ok]}).groupby("band")["churned"]
               .agg(accounts="size", churned="sum").reindex(list(BANDS), fill_value=0).rename_axis("band").reset_index())
    history["churn_rate"] = history["churned"] / history["accounts"].where(history["accounts"] > 0)
    return FittedHealth(spec=spec, bands=(low, high), as_of=day, horizon_days=int(horizon_days), snapshots=ends,
                        accounts=int(len(y)), churned=int(y.sum()), table=table, history=history)
