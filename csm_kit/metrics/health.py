"""Customer health scores: graded measures, renormalised weights, bands, and a backtest.

How a score is made
-------------------
1. Each account gets a raw value per *measure* (usage, satisfaction, support,
   onboarding, billing), computed from data dated on or before ``as_of`` only.
2. Each measure grades its value with its own two thresholds into points:
   red = 0, yellow = 50, green = 100. A value exactly on a threshold falls in
   the worse band (the same rule as the score bands).
3. ``score = sum(weight x points) / sum(weight)`` over the measures the account
   has. A missing measure (no survey answered, table absent) is left out and
   the other weights renormalised; ``coverage = sum(weights present) /
   sum(all weights)`` is shown beside the score so a 90 built on one measure
   is not mistaken for a 90 built on five.
4. Bands: red when score <= 40, yellow when 40 < score <= 70, green above 70
   (boundaries go to the lower band). ``<measure>_contribution`` =
   weight share x points, and the contributions add up to the score.

Users distrust health scores nobody checked: :func:`health_backtest` scores
accounts at a past date and measures who churned afterwards (churn rate by
band, AUC, lift).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import MissingTableError
from ..periods import latest_complete_month
from .ledger import month_end_mrr, paid_spells

BAND_ORDER = ("red", "yellow", "green")
POINTS = {"red": 0.0, "yellow": 50.0, "green": 100.0}


@dataclass(frozen=True)
class HealthMeasure:
    """One graded measure of a health score.

    ``red_at`` and ``green_beyond`` are the two thresholds. For a measure where
    higher is better: value <= red_at is red, value <= green_beyond is
    yellow, above it green. Where lower is better: value >= red_at is red,
    value >= green_beyond is yellow, below it green.
    """

    name: str
    weight: float
    red_at: float
    green_beyond: float
    higher_is_better: bool = True
    description: str = ""

    def grade(self, values) -> np.ndarray:
        """Points (0/50/100) per value; NaN stays NaN (missing).

        >>> HealthMeasure("nps", 1, red_at=6, green_beyond=8).grade([6, 7, 8, 9, np.nan]).tolist()
        [0.0, 50.0, 50.0, 100.0, nan]
        >>> HealthMeasure("tickets", 1, red_at=5, green_beyond=2, higher_is_better=False).grade([5, 2, 1]).tolist()
        [0.0, 50.0, 100.0]
        """
        v = np.asarray(values, dtype=float)
        if self.higher_is_better:
            points = np.where(v <= self.red_at, 0.0, np.where(v <= self.green_beyond, 50.0, 100.0))
        else:
            points = np.where(v >= self.red_at, 0.0, np.where(v >= self.green_beyond, 50.0, 100.0))
        return np.where(np.isnan(v), np.nan, points)


#: The kit's default measures (see :func:`health_measures` for how each is computed).
DEFAULT_MEASURES = (
    HealthMeasure("usage", 0.30, red_at=4, green_beyond=12,
                  description="days with any product activity in the last 30 days"),
    HealthMeasure("satisfaction", 0.20, red_at=6, green_beyond=8,
                  description="latest relationship NPS answer in the last 365 days (detractor red, passive yellow)"),
    HealthMeasure("support", 0.15, red_at=5, green_beyond=2, higher_is_better=False,
                  description="support tickets opened in the last 90 days"),
    HealthMeasure("onboarding", 0.15, red_at=0.5, green_beyond=0.99,
                  description="share of required onboarding milestones completed"),
    HealthMeasure("billing", 0.20, red_at=0.9, green_beyond=0.999,
                  description="MRR now / MRR three month-ends ago (contraction is a warning sign)"),
)


def _day(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize()


def paying_at(data, as_of) -> pd.Index:
    """Customers paying on ``as_of`` (a paid spell covers that day)."""
    spells = paid_spells(data)
    day = _day(as_of)
    live = (spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))
    return pd.Index(spells.loc[live, "customer_id"].unique(), name="customer_id")


def health_measures(data, *, as_of, accounts=None) -> pd.DataFrame:
    """Raw values of the default measures per account, using only data up to ``as_of``.

    - ``usage``: distinct days with a usage event in the 30 calendar days ending on ``as_of``
      (0 for an account with none; missing if there is no usage table).
    - ``satisfaction``: the latest relationship NPS score answered in
      ``(as_of - 365 days, as_of]``; missing if none.
    - ``support``: tickets opened in the 90 calendar days ending on ``as_of`` (0 if none).
    - ``onboarding``: required milestones completed by ``as_of`` / required
      milestones.
    - ``billing``: MRR at the last month end on or before ``as_of`` divided
      by MRR three month-ends earlier; missing for accounts not paying then
      (too new to judge).

    Parameters
    ----------
    data : Dataset
    as_of : date
    accounts : sequence, optional
        Accounts to score; default: those paying on ``as_of``.

    Returns
    -------
    DataFrame
        Index ``customer_id``; one column per measure, NaN where missing.
    """
    data.require("subscriptions", by="health_measures")
    day = _day(as_of)
    ids = pd.Index(accounts, name="customer_id") if accounts is not None else paying_at(data, day)
    out = pd.DataFrame(index=ids)

    if data.usage_events is not None:
        ev = data.usage_events
        recent = ev[(ev["timestamp"] >= day - pd.Timedelta(days=29)) & (ev["timestamp"] < day + pd.Timedelta(days=1))]
        if "quantity" in recent.columns:
            recent = recent[recent["quantity"].fillna(1) > 0]
        days = recent.assign(_d=recent["timestamp"].dt.normalize()).drop_duplicates(["customer_id", "_d"])
        out["usage"] = days.groupby("customer_id").size().reindex(ids).fillna(0).to_numpy()
    else:
        out["usage"] = np.nan

    if data.surveys is not None:
        sv = data.surveys
        rel = sv[(sv["survey"] == "nps") & (sv["touchpoint"] == "relationship")
                 & (sv["responded_at"] <= day + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1))
                 & (sv["responded_at"] > day - pd.Timedelta(days=365))]
        latest = rel.sort_values("responded_at", kind="mergesort").drop_duplicates("customer_id", keep="last")
        out["satisfaction"] = latest.set_index("customer_id")["score"].reindex(ids).to_numpy()
    else:
        out["satisfaction"] = np.nan

    if data.tickets is not None:
        tk = data.tickets
        opened = tk[(tk["opened_at"] >= day - pd.Timedelta(days=89)) & (tk["opened_at"] < day + pd.Timedelta(days=1))]
        out["support"] = opened.groupby("customer_id").size().reindex(ids).fillna(0).to_numpy()
    else:
        out["support"] = np.nan

    if data.onboarding is not None and data.milestones is not None:
        required = data.milestones.loc[data.milestones["required"], "milestone"]
        ob = data.onboarding
        done = ob[ob["milestone"].isin(required) & (ob["completed_at"] < day + pd.Timedelta(days=1))]
        share = done.groupby("customer_id").size() / max(len(required), 1)
        out["onboarding"] = share.reindex(ids).fillna(0).to_numpy() if len(required) else np.nan
    else:
        out["onboarding"] = np.nan

    last = latest_complete_month(day)
    balances = month_end_mrr(data, last - 3, last).reindex(ids)
    then, now = balances.iloc[:, 0], balances.iloc[:, -1]
    out["billing"] = (now / then.where(then > 0)).to_numpy()
    return out


def _measures_spec(measures) -> tuple[HealthMeasure, ...]:
    spec = tuple(measures or DEFAULT_MEASURES)
    if not spec:
        raise ValueError("A health score needs at least one measure.")
    names = [m.name for m in spec]
    if len(set(names)) != len(names):
        raise ValueError(f"Measure names must be unique: {names}.")
    if any(m.weight <= 0 for m in spec):
        raise ValueError("Measure weights must be positive.")
    return spec


def score_band(scores, bands=(40, 70)) -> np.ndarray:
    """red/yellow/green per score; a boundary value falls in the lower band.

    >>> score_band([40, 40.01, 70, 70.01]).tolist()
    ['red', 'yellow', 'yellow', 'green']
    """
    low, high = bands
    s = np.asarray(scores, dtype=float)
    labels = np.where(s <= low, "red", np.where(s <= high, "yellow", "green")).astype(object)
    labels[np.isnan(s)] = None
    return labels


def health_scores(data_or_measures, *, as_of=None, measures=None, bands=(40, 70)) -> pd.DataFrame:
    """Health score (0-100, higher = healthier) per account, with each measure's contribution.

    ``score = sum_i(w_i x points_i) / sum_i(w_i)`` over the measures present
    for the account; ``coverage = sum_i(w_i present) / sum_i(w_i)``.

    Parameters
    ----------
    data_or_measures : Dataset or DataFrame
        A Dataset (measures are built by :func:`health_measures` at ``as_of``)
        or a DataFrame of raw measure values indexed by customer_id.
    as_of : date
        Needed with a Dataset.
    measures : sequence of HealthMeasure, optional
        Default :data:`DEFAULT_MEASURES`.
    bands : (float, float)
        Upper bounds of red and yellow.

    Returns
    -------
    DataFrame
        One row per account: ``customer_id, score, band, coverage``, then for
        each measure ``<name>_value, <name>_points, <name>_contribution``.
        Accounts with no measure at all have NaN score and no band.

    Examples
    --------
    >>> raw = pd.DataFrame({"usage": [20, 3], "satisfaction": [9, np.nan]},
    ...                    index=pd.Index(["a", "b"], name="customer_id"))
    >>> spec = [HealthMeasure("usage", 0.6, 4, 12), HealthMeasure("satisfaction", 0.4, 6, 8)]
    >>> health_scores(raw, measures=spec)[["customer_id", "score", "band", "coverage"]]
      customer_id  score   band  coverage
    0           a  100.0  green       1.0
    1           b    0.0    red       0.6
    """
    spec = _measures_spec(measures)
    if isinstance(data_or_measures, pd.DataFrame):
        raw = data_or_measures
    else:
        if as_of is None:
            raise ValueError("health_scores needs as_of with a Dataset.")
        raw = health_measures(data_or_measures, as_of=as_of)
    missing = [m.name for m in spec if m.name not in raw.columns]
    if missing:
        raise MissingTableError(f"health_scores: no values for measure(s) {missing}.")
    weights = np.array([m.weight for m in spec])
    points = np.column_stack([m.grade(raw[m.name].to_numpy()) for m in spec]) if len(raw) else np.empty((0, len(spec)))
    present = ~np.isnan(points)
    weight_present = (present * weights).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(present, weights, 0.0) / weight_present[:, None]
        contribution = np.where(present, share * np.nan_to_num(points), np.nan)
        score = np.where(weight_present > 0, np.nansum(contribution, axis=1), np.nan)
    out = pd.DataFrame({"customer_id": raw.index.to_numpy(), "score": score, "band": score_band(score, bands),
                        "coverage": weight_present / weights.sum()})
    for i, m in enumerate(spec):
        out[f"{m.name}_value"] = raw[m.name].to_numpy()
        out[f"{m.name}_points"] = points[:, i]
        out[f"{m.name}_contribution"] = contribution[:, i]
    return out


@dataclass(frozen=True)
class HealthBacktest:
    """Result of :func:`health_backtest`."""

    as_of: pd.Timestamp
    horizon_days: int
    accounts: int
    churned: int
    auc: float
    by_band: pd.DataFrame
    scores: pd.DataFrame
    convention: str = ("churned = paying on as_of and its paid spell ends within the horizon; "
                       "AUC = P(churner scores lower than a non-churner), ties count half")


def health_backtest(data, *, as_of, horizon_days: int = 90, measures=None, bands=(40, 70),
                    data_end=None) -> HealthBacktest:
    """Check a health score against what happened next.

    Scores every account paying on ``as_of`` with data up to ``as_of`` only,
    then marks those whose paid spell ended in ``(as_of, as_of + horizon]``.

    - churn rate by band, and lift = band churn rate / overall churn rate;
    - AUC = P(a churner's score < a non-churner's score), ties half
      (Mann-Whitney U / (n_churn x n_stay)); 0.5 is no better than chance.

    The horizon must end within the data (``data_end``, default the latest
    subscription start or end date), or churn would be undercounted.

    Examples
    --------
    See ``tests/test_health.py`` for a hand-computed case.
    """
    day = _day(as_of)
    horizon_end = day + pd.Timedelta(days=horizon_days)
    subs = data.subscriptions
    end_of_data = _day(data_end) if data_end is not None else max(subs["start_date"].max(), subs["end_date"].max())
    if horizon_end > end_of_data:
        raise ValueError(f"The horizon ends {horizon_end.date()}, after the data ({end_of_data.date()}): "
                         "churn in it cannot be known yet. Choose an earlier as_of or a shorter horizon.")
    scores = health_scores(data, as_of=day, measures=measures, bands=bands)
    spells = paid_spells(data)
    live = spells[(spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))]
    churners = live.loc[live["end"].notna() & (live["end"] <= horizon_end), "customer_id"]
    scores["churned"] = scores["customer_id"].isin(churners)
    scored = scores.dropna(subset=["score"])
    overall = scored["churned"].mean() if len(scored) else np.nan
    by_band = (scored.groupby("band")["churned"].agg(accounts="size", churned="sum")
               .reindex(list(BAND_ORDER), fill_value=0).rename_axis("band").reset_index())
    by_band["churn_rate"] = by_band["churned"] / by_band["accounts"].where(by_band["accounts"] > 0)
    by_band["lift"] = by_band["churn_rate"] / overall if overall else np.nan
    stay, gone = scored.loc[~scored["churned"], "score"], scored.loc[scored["churned"], "score"]
    auc = (stats.mannwhitneyu(stay, gone, alternative="two-sided").statistic / (len(stay) * len(gone))
           if len(stay) and len(gone) else np.nan)
    return HealthBacktest(day, horizon_days, len(scored), int(scored["churned"].sum()), float(auc), by_band, scores)


def questionnaire_health(answers, *, questions=None, scale=(1, 10)) -> pd.DataFrame:
    """The seeds' questionnaire health score: a few questions scored on a scale, summed.

    ``total = sum of answers``; ``percent = 100 x total / (n_questions x scale_max)``.
    Typical questions: is the customer's own business growing, are they
    hiring, is their volume up, are their own retention rates improving.

    Parameters
    ----------
    answers : DataFrame or dict
        One row per account (index = account), one column per question; or a
        dict {question: answer} for one account.
    questions : sequence of str, optional
        Columns to use (default: all).
    scale : (int, int)
        Allowed answer range (default 1-10); anything else is an error.

    Examples
    --------
    >>> questionnaire_health({"growing": 8, "hiring": 6, "volume": 7, "retention": 9})
       total  max_total  percent
    0     30         40     75.0
    """
    frame = pd.DataFrame([answers]) if isinstance(answers, dict) else pd.DataFrame(answers)
    if questions is not None:
        frame = frame[list(questions)]
    low, high = scale
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | (values < low) | (values > high) | (values % 1 != 0)
    if bad.to_numpy().any():
        rows = frame[bad.any(axis=1)].head(5)
        raise ValueError(f"Questionnaire answers must be whole numbers from {low} to {high}; offending rows:\n{rows}")
    total = values.sum(axis=1).astype(int)
    max_total = high * values.shape[1]
    return pd.DataFrame({"total": total, "max_total": max_total, "percent": 100 * total / max_total})
