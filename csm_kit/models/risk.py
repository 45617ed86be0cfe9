"""The churn-risk engine: a calibrated probability that each paying account churns within a horizon.

One engine serves the at-risk list (:func:`~csm_kit.models.at_risk`), the
health bands (:mod:`csm_kit.metrics.health`) and CLV (through
``monthly_hazard``). It learns from the company's own history with a time
split, and knows at ``as_of`` only what the data knew that day
(:func:`~csm_kit.models.risk_features.known_at`).

How it learns (``ChurnRisk.fit(ds, as_of=...)``)
------------------------------------------------
1. Snapshots: the month ends ``t`` with ``t + horizon_days <= as_of`` (the
   last ``history_months`` of them). At each, every account paying on ``t``
   gets its features as of ``t``
   (:func:`~csm_kit.models.risk_features.snapshot_features`: tenure, the
   renewals falling in the horizon, usage level and trend, active user-days
   against the months before, surveys, tickets, onboarding, MRR change,
   segment) and a label: did its paid spell end in
   ``(t, t + horizon_days]``? No label window runs past ``as_of``, and the data
   after ``as_of`` is cut away before anything is read, so changing it changes
   nothing.
2. A logistic regression ``P(churn) = 1 / (1 + exp(-(b0 + sum_j b_j z_j)))`` on
   the standardised features ``z_j = (x_j - mean_j) / sd_j``, with a ridge
   penalty ``penalty / 2 x sum_j b_j^2`` (the intercept is not penalised),
   fitted by Newton's method (the exact gradient and Hessian, a step halved
   until the objective falls). Why not scikit-learn: the kit does not depend
   on it, and a 20-feature ridge logistic regression is 30 lines with NumPy;
   the penalised log-likelihood is strictly convex, so the optimum is unique
   and does not depend on the optimiser (a quasi-Newton fit stopped early on
   data without usage, which is why Newton is used).
3. Calibration is checked on the snapshots themselves (predicted vs observed
   churners by decile of risk, ``calibration_``); with an intercept the
   predicted total equals the observed one on the training rows. Out of time
   it is checked by :func:`risk_backtest`. No recalibration step is applied,
   because the engine's level does not drift between the snapshots and the
   scored window: on ten simulated companies (``benchmarks/risk.py``, seeds
   101-110, which the tests do not use) it expected 1,001.7 churners in all
   where 982 churned (+2%; the oracle, which knows every account's true
   hazard, expected 971.6). One company's count misses by more (-14% to +31%
   with 2,000 customers), and that is the luck of ~100 yes/no outcomes, not a
   level that moved: the oracle misses the same seeds' counts by as much (-19%
   to +22%), and with 10,000 customers the engine is within 10% on every seed.
   The second source is the history itself: the level is learnt from the
   churn the company happened to see (on seed 102 its snapshots saw 10% more
   churn than the true hazards imply, and the engine expects 12% more than
   the oracle). Both are in the forecast's spread (:func:`count_sd`,
   ``RiskForecast.interval``): each account's outcome, and the fit's
   uncertainty from :func:`cluster_covariance` (clustered by account, since
   the snapshots repeat each account and their windows overlap).
   A complementary log-log hazard with the renewal exposure as an offset
   (``P = 1 - exp(-exp(eta) x months renewing)``) was tried against this
   logistic form: its expected counts were within 3% of the logistic's on
   every seed and no closer to the oracle's (mean gap +3.0% against +3.7%,
   before the activity features), so the simpler fit stays. Recalibrating
   (Platt) on the last 3 or 6 snapshots, fitted on the earlier ones, moved
   the counts further from the oracle's (root-mean-square gap 9.7% and 8.0%
   against 6.7%): it learns the level from a fraction of the history.

Renewals are what make a 90-day risk differ from a hazard: an annual account
mid-term cannot leave in the next 90 days unless its renewal falls in them,
while a monthly account can leave at each month end. The features carry it
(``exposure_months``: months of contract coming up for renewal in the window).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from ..arguments import whole_number
from ..metrics.intervals import z_value
from ..metrics.ledger import paid_spells
from ..metrics.pages import last_observed_day
from ..periods import as_of_day
from .base import check_is_fitted
from .risk_features import FEATURES, compact_usage, known_at, snapshot_features

DAY = pd.Timedelta(days=1)
NEW_ACCOUNT_DAYS = 90
STATUS_SCORED = "scored"
STATUS_NEW = "new: compared with accounts of the same age"
STATUS_TOO_NEW = "too new to score"
MIN_PUSH = np.log(1.1)  # a driver is named when it raises the odds of churning by 10% or more
MAX_SEGMENTS = 12
#: Features that move the probability but are not named as drivers: an account's size and segment are
#: nothing a CSM can act on (within a segment, a larger MRR for the same usage means less use per seat).
UNNAMED = ("log_mrr",)


class NotEnoughHistoryError(ValueError):
    """The data holds too little history before ``as_of`` to learn from (no labelled snapshot with churn)."""


def roc_auc(churned, risk) -> float:
    """``P(a churner's risk > a stayer's risk)``, ties counting half (the ROC AUC); NaN without both kinds.

    Computed as the Mann-Whitney ``U`` of the churners' risks against the stayers' / (churners x stayers).

    >>> roc_auc([True, False, True, False], [0.9, 0.1, 0.4, 0.4])
    0.875
    """
    y = np.asarray(churned, dtype=bool)
    r = np.asarray(risk, dtype=float)
    if y.all() or not y.any():
        return float("nan")
    return float(stats.mannwhitneyu(r[y], r[~y], alternative="two-sided").statistic / (y.sum() * (~y).sum()))


def calibration_table(p, churned, *, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churners by group of risk (deciles by default).

    Accounts sorted by ``p`` are cut into ``bins`` groups of (nearly) equal
    size; per group: ``accounts``, ``mean_p``, ``predicted`` (sum of ``p``),
    ``observed`` (churners) and ``churn_rate``. A calibrated forecast has
    ``predicted`` close to ``observed`` in every group.

    >>> calibration_table([0.1, 0.2, 0.8, 0.9], [False, False, True, False], bins=2)
       decile  accounts  mean_p  predicted  observed  churn_rate
    0       1         2    0.15        0.3         0         0.0
    1       2         2    0.85        1.7         1         0.5
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(churned, dtype=bool)
    bins = max(1, min(int(bins), len(p)))
    order = np.argsort(p, kind="stable")
    group = np.empty(len(p), dtype=np.int64)
    group[order] = np.arange(len(p)) * bins // max(len(p), 1)
    frame = pd.DataFrame({"decile": group + 1, "p": p, "y": y})
    out = frame.groupby("decile").agg(accounts=("p", "size"), mean_p=("p", "mean"), predicted=("p", "sum"),
                                      observed=("y", "sum")).reset_index()
    out["observed"] = out["observed"].astype(int)
    out["churn_rate"] = out["observed"] / out["accounts"]
    return out


def _fit_logistic(z: np.ndarray, y: np.ndarray, penalty: float) -> tuple[float, np.ndarray]:
    """Ridge logistic regression on standardised columns ``z``: (intercept, coefficients).

    Newton's method on the penalised log-likelihood (the intercept is not
    penalised), halving a step until the objective falls; the objective is
    convex, so this converges to its unique minimum in a few iterations.
    """
    n, k = z.shape
    yf = y.astype(float)
    x = np.column_stack([np.ones(n), z])
    pen = np.full(k + 1, float(penalty))
    pen[0] = 0.0
    p0 = min(max(yf.mean(), 1e-6), 1 - 1e-6)
    theta = np.zeros(k + 1)
    theta[0] = np.log(p0 / (1 - p0))

    def objective(t):
        eta = x @ t
        return np.logaddexp(0.0, eta).sum() - yf @ eta + 0.5 * (pen * t) @ t

    value = objective(theta)
    for _ in range(100):
        prob = special.expit(x @ theta)
        grad = x.T @ (prob - yf) + pen * theta
        hess = (x * (prob * (1 - prob))[:, None]).T @ x + np.diag(pen) + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-8:
            candidate = theta - t * step
            new = objective(candidate)
            if np.isfinite(new) and new <= value + 1e-12:
                break
            t /= 2
        else:
            break
        theta, done = candidate, value - new < 1e-10 * max(1.0, abs(value))
        value = new
        if done:
            break
    if not np.all(np.isfinite(theta)):
        raise RuntimeError("ChurnRisk: the logistic regression did not converge.")
    return float(theta[0]), theta[1:]


def cluster_covariance(z: np.ndarray, y: np.ndarray, p: np.ndarray, groups, penalty: float = 0.0) -> np.ndarray:
    """Covariance of a ridge logistic fit's ``(intercept, coefficients)``, robust to rows repeating an account.

    The sandwich ``V = H^-1 B H^-1`` with ``H = X'WX + diag(penalty)`` (``X``
    is ``[1, z]``, ``W = diag(p (1 - p))``, the intercept unpenalised) and
    ``B = sum over groups g of s_g s_g'``, ``s_g = sum of x_i (y_i - p_i)`` over
    the group's rows. The engine's snapshots repeat each account monthly and
    their 90-day windows overlap, so one churn is seen up to three times; the
    ordinary ``H^-1`` would count it as three pieces of evidence.

    >>> z = np.array([[0.0], [0.0], [1.0], [1.0]])
    >>> v = cluster_covariance(z, np.array([1, 0, 1, 0]), np.full(4, 0.5), ["a", "b", "c", "d"])
    >>> np.round(v, 3)  # one row per group and p = 0.5: here B = H, so V = H^-1
    array([[ 2., -2.],
           [-2.,  4.]])
    """
    x = np.column_stack([np.ones(len(z)), np.asarray(z, dtype=float)])
    p = np.asarray(p, dtype=float)
    pen = np.full(x.shape[1], float(penalty))
    pen[0] = 0.0
    hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(pen) + 1e-9 * np.eye(x.shape[1])
    scores = x * (np.asarray(y, dtype=float) - p)[:, None]
    codes = pd.factorize(np.asarray(groups))[0]
    summed = np.zeros((codes.max() + 1 if len(codes) else 0, x.shape[1]))
    np.add.at(summed, codes, scores)
    inv = np.linalg.inv(hess)
    return inv @ (summed.T @ summed) @ inv


def count_sd(p, z=None, covariance=None) -> float:
    """Standard deviation of the number of churners among accounts with churn probabilities ``p``.

    ``sqrt(sum p_i (1 - p_i) + g' V g)``: the first term is the spread of a sum
    of independent yes/no outcomes (each account churns or not); the second,
    when ``z`` (the accounts' standardised features) and ``covariance`` (``V``,
    :func:`cluster_covariance` of the fit) are given, is the uncertainty of
    the fitted model itself, by the delta method with ``g = sum of p_i (1 -
    p_i) [1, z_i]`` (how the expected total moves with the intercept and
    coefficients). With a history of a few hundred churners the second term
    is as large as the first: the level learnt from one history is itself a
    draw.

    >>> round(count_sd([0.5, 0.5]), 4)  # two coin flips: sd sqrt(0.5)
    0.7071
    >>> round(count_sd([0.5, 0.5], z=np.zeros((2, 0)), covariance=np.array([[0.04]])), 4)  # + (0.5 x 0.2)^2
    0.7141
    """
    p = np.asarray(p, dtype=float)
    p = p[np.isfinite(p)] if z is None else p
    var = float(np.nansum(p * (1 - p)))
    if z is not None and covariance is not None:
        w = p * (1 - p)
        ok = np.isfinite(w)
        x = np.column_stack([np.ones(int(ok.sum())), np.asarray(z, dtype=float)[ok]])
        g = x.T @ w[ok]
        var += float(g @ np.asarray(covariance, dtype=float) @ g)
    return float(np.sqrt(var))


def count_interval(expected: float, sd: float, confidence: float = 0.9) -> tuple[float, float]:
    """``expected -/+ z x sd`` (normal approximation, the low end at least 0): a range for the churner count.

    >>> count_interval(100.0, 10.0, confidence=0.9)
    (83.55, 116.45)
    """
    half = z_value(confidence) * float(sd)
    return round(max(0.0, expected - half), 10), round(expected + half, 10)


def churned_within(data, day, horizon_days: int, accounts, spells=None) -> pd.Series:
    """True for each of ``accounts`` paying on ``day`` whose paid spell ends in ``(day, day + horizon_days]``.

    ``spells``: :func:`~csm_kit.metrics.ledger.paid_spells` of ``data`` when the caller already has it.
    """
    day = as_of_day(day)
    spells = paid_spells(data) if spells is None else spells
    live = spells[(spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))]
    gone = live.loc[live["end"] <= day + pd.Timedelta(days=int(horizon_days)), "customer_id"]
    return pd.Series(pd.Index(accounts).isin(gone), index=pd.Index(accounts, name="customer_id"))


def _check_horizon(horizon_days) -> int:
    return whole_number(horizon_days, "horizon_days", unit="days")


class _Row:
    """One account's feature values, read from column arrays (a cheap stand-in for ``frame.iloc[i]``)."""

    __slots__ = ("columns", "i")

    def __init__(self, columns: dict, i: int):
        self.columns, self.i = columns, i

    def __getitem__(self, name):
        return self.columns[name][self.i]


def _words(feature: str, row, horizon_days: int) -> str:
    """Plain words for why one feature raises one account's risk."""
    if feature == "usage_trend":
        base, now = row["usage_base"], row["usage_30"]
        change = now / base - 1 if base > 0 else np.nan
        if np.isfinite(change) and change < 0:
            return f"usage down {-change:.0%} over 3 months"
        return "usage below its earlier level"
    if feature in ("activity_trend", "activity_change"):
        return f"usage on fewer days: {row['active_days_30']:.0f} active user-days in the last 30 days"
    if feature in ("usage_level", "usage_users"):
        return f"little usage: {row['usage_30']:.0f} events in the last 30 days"
    if feature in ("log_exposure", "no_renewal"):
        when = row["next_renewal"]
        text = "" if pd.isna(when) else f" on {pd.Timestamp(when).date()}"
        period = row["billing_period"]
        if period == "month":
            return f"monthly billing: can leave at each renewal (next{text})"
        name = {"year": "annual", "quarter": "quarterly"}.get(period, str(period))
        return f"{name} renewal{text}, within {horizon_days} days"
    if feature in ("nps", "nps_missing"):
        return "no NPS answer in 12 months" if row["nps_missing"] else f"latest NPS answer {row['nps']:.0f}/10"
    if feature in ("csat", "csat_missing"):
        return "no CSAT answer in 12 months" if row["csat_missing"] else f"CSAT {row['csat']:.1f}/5 over 12 months"
    if feature in ("tickets_recent", "tickets_rate"):
        return f"{row['tickets_90']:.0f} support tickets in the last 90 days"
    if feature in ("onboarding_gap", "onboarding_gap_new"):
        return f"onboarding unfinished: {row['onboarding_share']:.0%} of required milestones done"
    if feature == "mrr_change":  # only a contraction is a reason to worry; a rise is not named
        return f"MRR down {-np.expm1(row['mrr_change']):.0%} in 3 months" if row["mrr_change"] < 0 else ""
    if feature in ("log_tenure", "new_account"):
        return f"customer for {row['tenure_days']:.0f} days"
    if feature == "log_mrr":
        return f"MRR {row['mrr']:,.0f}"
    if feature == "reactivated":
        return "came back after churning"
    if feature.startswith("seg_"):
        return f"segment {feature[4:]}"
    return feature


class ChurnRisk:
    """Calibrated probability that each paying account churns within ``horizon_days``, from its history.

    Parameters
    ----------
    horizon_days : int, default 90
        Churn is the account's paid spell ending in ``(as_of, as_of + horizon_days]``.
    history_months : int, default 24
        Month-end snapshots used for fitting (the latest ones whose label
        window ends on or before ``as_of``).
    penalty : float, default 1.0
        Ridge penalty on the standardised coefficients (larger: smoother).
    min_tenure_days : int, default 0
        Accounts paying for fewer days than this are "too new to score"
        (``p_churn`` missing, left out of the totals). With 0 every account
        is scored; those under 90 days are compared with accounts of the same
        age by the tenure features (status says so).
    top : int, default 3
        Drivers named per account.

    Attributes (after ``fit``)
    --------------------------
    as_of_ : Timestamp
    features_ : list of str
    coef_ : Series
        Log-odds per standard deviation of each feature.
    intercept_ : float
    means_, scales_ : Series
        Training means and standard deviations (missing survey answers are filled with ``means_``).
    segments_ : list of str
    snapshots_ : list of Timestamp
    n_rows_, n_churned_ : int
        Training rows (account x snapshot) and churned labels among them.
    calibration_ : DataFrame
        :func:`calibration_table` on the training rows.
    covariance_ : DataFrame
        :func:`cluster_covariance` of ``intercept`` and the coefficients
        (clustered by account); :meth:`predict` turns it into the spread of
        the expected churner count (``attrs["expected_sd"]``).

    Examples
    --------
    >>> import csm_kit
    >>> ds = csm_kit.simulate(n_customers=400, months=24, seed=5)
    >>> model = ChurnRisk().fit(ds, as_of="2025-08-31")
    >>> p = model.predict(ds, as_of="2025-08-31")
    >>> bool(p["p_churn"].between(0, 1).all()), list(p.columns[:5])
    (True, ['customer_id', 'segment', 'p_churn', 'mrr', 'mrr_at_risk'])
    """

    def __init__(self, *, horizon_days: int = 90, history_months: int = 24, penalty: float = 1.0,
                 min_tenure_days: int = 0, top: int = 3):
        self.horizon_days = horizon_days
        self.history_months = history_months
        self.penalty = penalty
        self.min_tenure_days = min_tenure_days
        self.top = top

    def __repr__(self) -> str:
        if not hasattr(self, "coef_"):
            return f"<ChurnRisk {self.horizon_days}-day horizon, not fitted>"
        return (f"<ChurnRisk {self.horizon_days}-day horizon fitted as of {self.as_of_.date()} on "
                f"{self.n_rows_:,} account-snapshots ({len(self.snapshots_)} month ends), "
                f"{self.n_churned_:,} churned>")

    # -- fitting ----------------------------------------------------------------------------------
    def _segments(self, data) -> list:
        c = data.customers
        if c is None or "segment" not in c.columns:
            return []
        levels = sorted(c["segment"].dropna().astype(str).unique())
        return levels if 1 < len(levels) <= MAX_SEGMENTS else []

    def _design(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame.reindex(columns=self.features_).astype(float)
        x = x.fillna(self.means_)
        return ((x - self.means_) / self.scales_).to_numpy()

    def fit(self, data, *, as_of) -> "ChurnRisk":
        """Learn from the snapshots before ``as_of`` whose churn is known by ``as_of``.

        Raises ValueError when no snapshot has both churners and stayers
        (too little history: at least one month end ``horizon_days`` before
        ``as_of`` with churn after it).
        """
        horizon = _check_horizon(self.horizon_days)
        history = whole_number(self.history_months, "history_months")
        if not (np.isfinite(self.penalty) and self.penalty >= 0):
            raise ValueError(f"penalty must be a number >= 0, not {self.penalty!r}.")
        data.require("subscriptions", by="ChurnRisk.fit")
        day = as_of_day(as_of)
        known = compact_usage(known_at(data, day))
        subs = known.subscriptions
        if subs.empty:
            raise ValueError(f"ChurnRisk.fit: no subscription started on or before {day.date()}.")
        first = subs["start_date"].min()
        last_label_start = day - pd.Timedelta(days=horizon)
        ends = pd.period_range(first.to_period("M"), last_label_start.to_period("M"), freq="M").to_timestamp(how="end")
        ends = [e.normalize() for e in ends if first < e.normalize() <= last_label_start][-history:]
        segments = self._segments(known)
        spells = paid_spells(subs)
        frames, labels = [], []
        for t in ends:
            f = snapshot_features(known, t, horizon_days=horizon, segments=segments, spells=spells)
            if f.empty:
                continue
            frames.append(f)
            labels.append(churned_within(known, t, horizon, f.index, spells).to_numpy())
        y = np.concatenate(labels) if labels else np.zeros(0, dtype=bool)
        if not len(y) or y.all() or not y.any():
            raise NotEnoughHistoryError(f"ChurnRisk.fit: too little history before {day.date()} to learn from: it needs a "
                             f"month end at least {horizon} days before as_of with both churners and stayers "
                             f"in the {horizon} days after it (found {len(ends)} month ends, "
                             f"{int(y.sum())} churned of {len(y)}).")
        train = pd.concat(frames)
        self.features_ = list(FEATURES) + [f"seg_{s}" for s in segments[1:]]
        x = train[self.features_].astype(float)
        self.means_ = x.mean().fillna(0.0)  # a feature never observed (no surveys table) is 0 throughout
        filled = x.fillna(self.means_)
        sd = filled.std(ddof=0)
        self.scales_ = sd.where(sd > 1e-12, 1.0)
        z = ((filled - self.means_) / self.scales_).to_numpy()
        b0, b = _fit_logistic(z, y, float(self.penalty))
        self.intercept_, self.coef_ = b0, pd.Series(b, index=self.features_)
        self.segments_, self.snapshots_, self.as_of_ = segments, list(ends), day
        self.n_rows_, self.n_churned_ = int(len(y)), int(y.sum())
        p_train = self._p(z)
        self.calibration_ = calibration_table(p_train, y)
        names = ["intercept"] + self.features_
        self.covariance_ = pd.DataFrame(cluster_covariance(z, y, p_train, train.index.to_numpy(), float(self.penalty)),
                                        index=names, columns=names)
        return self

    # -- prediction -------------------------------------------------------------------------------
    def _p(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.intercept_ + z @ self.coef_.to_numpy())))

    def features(self, data, *, as_of) -> pd.DataFrame:
        """The features of the accounts paying on ``as_of`` (data after it ignored), as the model sees them."""
        check_is_fitted(self, "coef_")
        return snapshot_features(compact_usage(known_at(data, as_of)), as_of, horizon_days=int(self.horizon_days),
                                 segments=self.segments_)

    def predict(self, data, *, as_of) -> pd.DataFrame:
        """Score every account paying on ``as_of``, with what was known that day.

        Returns
        -------
        DataFrame
            One row per account, riskiest MRR first (``mrr_at_risk`` then
            ``p_churn``, largest first): ``customer_id``, ``p_churn``
            (probability of churning in ``(as_of, as_of + horizon_days]``),
            ``mrr``, ``mrr_at_risk = p_churn x mrr``, ``monthly_hazard``
            (the account's churn probability per month of contract, free of
            renewal timing: ``1 - (1 - p3)^(1/3)`` with ``p3`` its probability
            over three months of renewals, for CLV), ``next_renewal``,
            ``billing_period``, ``tenure_days``, ``status`` (``"scored"``,
            ``"new: compared with accounts of the same age"`` under 90 days,
            or ``"too new to score"`` under ``min_tenure_days``, then
            ``p_churn`` is missing), ``top_drivers`` (``"; "``-joined plain
            words for what raises the risk most, e.g. ``"usage down 60% over
            3 months"``; size and segment move the probability but are not
            named: :data:`UNNAMED`) and ``segment`` when the data has it. ``attrs`` holds
            ``as_of``, ``horizon_days`` and ``expected_sd`` (:func:`count_sd` of
            the scored accounts: the spread of their churner count).
        """
        check_is_fitted(self, "coef_")
        day = as_of_day(as_of)
        f = self.features(data, as_of=day)
        z = self._design(f)
        p = self._p(z)
        # Renewal-free monthly hazard: the same account with three months of contract up for renewal.
        j_exp, j_none = self.features_.index("log_exposure"), self.features_.index("no_renewal")
        z3 = z.copy()
        z3[:, j_exp] = (np.log(0.5 + 3.0) - self.means_.iloc[j_exp]) / self.scales_.iloc[j_exp]
        z3[:, j_none] = (0.0 - self.means_.iloc[j_none]) / self.scales_.iloc[j_none]
        hazard = 1 - (1 - self._p(z3)) ** (1 / 3)
        tenure = f["tenure_days"].to_numpy()
        status = np.where(tenure < NEW_ACCOUNT_DAYS, STATUS_NEW, STATUS_SCORED).astype(object)
        too_new = tenure < int(self.min_tenure_days)
        status[too_new] = STATUS_TOO_NEW
        p = np.where(too_new, np.nan, p)
        hazard = np.where(too_new, np.nan, hazard)
        contrib = z * self.coef_.to_numpy()[None, :]
        unnamed = np.array([f in UNNAMED or f.startswith("seg_") for f in self.features_])
        contrib = np.where(unnamed[None, :], -np.inf, contrib)
        drivers = []
        top = int(self.top)
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :top + 3]  # a few spare: a phrase may be empty
        columns = {c: f[c].to_numpy() for c in f.columns}
        for i in range(len(f)):
            row = _Row(columns, i)
            words = []
            for j in order[i]:
                if contrib[i, j] < MIN_PUSH or len(words) >= top:
                    break
                w = _words(self.features_[j], row, int(self.horizon_days))
                if w and w not in words:
                    words.append(w)
            drivers.append("; ".join(words) if not too_new[i] else "")
        out = pd.DataFrame({"customer_id": f.index.to_numpy(), "p_churn": p, "mrr": f["mrr"].to_numpy(),
                            "mrr_at_risk": p * f["mrr"].to_numpy(), "monthly_hazard": hazard,
                            "next_renewal": f["next_renewal"].to_numpy(), "billing_period": f["billing_period"].to_numpy(),
                            "tenure_days": tenure.astype(int), "status": status, "top_drivers": drivers})
        if data.customers is not None and "segment" in data.customers.columns:
            out.insert(1, "segment", out["customer_id"].map(data.customers.set_index("customer_id")["segment"]))
        out = out.sort_values(["mrr_at_risk", "p_churn"], ascending=False, kind="mergesort", na_position="last",
                              ignore_index=True)
        out.attrs.update({"as_of": day, "horizon_days": int(self.horizon_days),
                          "expected_sd": count_sd(p, z, self.covariance_.to_numpy())})
        return out

    def forecast(self, data, *, as_of) -> "RiskForecast":
        """:meth:`predict` plus its totals: expected churners and MRR at risk."""
        pred = self.predict(data, as_of=as_of)
        scored = pred["p_churn"].notna()
        return RiskForecast(as_of=pred.attrs["as_of"], horizon_days=int(self.horizon_days), accounts=int(len(pred)),
                            scored=int(scored.sum()), expected_churners=float(pred["p_churn"].sum()),
                            mrr=float(pred["mrr"].sum()), mrr_at_risk=float(pred["mrr_at_risk"].sum()),
                            predictions=pred, expected_sd=float(pred.attrs["expected_sd"]))


@dataclass(frozen=True)
class RiskForecast:
    """Totals of one :meth:`ChurnRisk.predict`: how many accounts and how much MRR to expect to lose.

    ``expected_churners = sum of p_churn`` over the scored accounts;
    ``mrr_at_risk = sum of p_churn x mrr``; ``expected_sd``: how far the
    count that will be observed may fall from ``expected_churners``
    (:func:`count_sd`: each account's yes/no outcome plus the fitted model's
    own uncertainty); :meth:`interval` turns it into a range.
    """

    as_of: pd.Timestamp
    horizon_days: int
    accounts: int
    scored: int
    expected_churners: float
    mrr: float
    mrr_at_risk: float
    predictions: pd.DataFrame = field(repr=False)
    expected_sd: float = float("nan")

    def interval(self, confidence: float = 0.9) -> tuple[float, float]:
        """Range of churner counts to expect: :func:`count_interval` of ``expected_churners`` and ``expected_sd``."""
        return count_interval(self.expected_churners, self.expected_sd, confidence)

    def __repr__(self) -> str:
        low, high = self.interval(0.9)
        spread = f" (90% range {low:,.0f}-{high:,.0f})" if np.isfinite(self.expected_sd) else ""
        return (f"<RiskForecast as of {self.as_of.date()}, {self.horizon_days} days: {self.expected_churners:,.1f} "
                f"expected churners{spread} of {self.scored:,} accounts, {self.mrr_at_risk:,.0f} of {self.mrr:,.0f} "
                "MRR at risk>")


@dataclass(frozen=True)
class RiskBacktest:
    """The engine fitted before ``as_of``, scored at ``as_of`` and followed for ``horizon_days``.

    Attributes
    ----------
    as_of, horizon_end : Timestamp
    horizon_days : int
    predictions : DataFrame
        ``customer_id, p_churn, churned`` (and the rest of :meth:`ChurnRisk.predict`'s columns).
    predicted : float
        Sum of ``p_churn``: the churners the engine expected.
    observed : int
        Accounts that did churn.
    auc : float
        :func:`roc_auc` of ``p_churn`` against ``churned``.
    calibration : DataFrame
        :func:`calibration_table` by decile of risk.
    model : ChurnRisk
        The fitted engine.
    predicted_sd : float
        :func:`count_sd`: the spread of the observed count around
        ``predicted`` that a calibrated engine still leaves (each account's
        yes/no outcome plus the model's uncertainty). :meth:`interval` gives the
        range, :attr:`observed_in_interval` whether the count fell in it: on
        ~100 churners even the true probabilities miss the count by more than
        10% in one draw of three, so that check is the per-company one.
    """

    as_of: pd.Timestamp
    horizon_days: int
    horizon_end: pd.Timestamp
    predictions: pd.DataFrame = field(repr=False)
    predicted: float
    observed: int
    auc: float
    calibration: pd.DataFrame = field(repr=False)
    model: ChurnRisk = field(repr=False)
    predicted_sd: float = float("nan")

    def interval(self, confidence: float = 0.9) -> tuple[float, float]:
        """Range of churner counts the forecast allowed: :func:`count_interval` of ``predicted`` and ``predicted_sd``."""
        return count_interval(self.predicted, self.predicted_sd, confidence)

    @property
    def observed_in_interval(self) -> bool:
        """Whether ``observed`` fell in the forecast's 90% :meth:`interval`."""
        low, high = self.interval(0.9)
        return bool(low <= self.observed <= high)

    @property
    def accounts(self) -> int:
        return int(self.predictions["p_churn"].notna().sum())

    def __repr__(self) -> str:
        low, high = self.interval(0.9)
        spread = f" (90% range {low:,.0f}-{high:,.0f})" if np.isfinite(self.predicted_sd) else ""
        return (f"<RiskBacktest as of {self.as_of.date()}, {self.horizon_days} days: {self.accounts:,} accounts, "
                f"predicted {self.predicted:,.1f} churners{spread}, observed {self.observed:,}, AUC {self.auc:.3f}>")

    def plot(self, ax=None):
        """Predicted against observed churners by decile (:func:`csm_kit.plotting.risk.plot_calibration`)."""
        from ..plotting.risk import plot_calibration

        return plot_calibration(self, ax=ax)


def risk_backtest(data, *, as_of, horizon_days: int = 90, data_end=None, **engine) -> RiskBacktest:
    """Fit the engine on what was known before ``as_of``, score ``as_of``, and compare with what followed.

    Every account paying on ``as_of`` is scored by a :class:`ChurnRisk` fitted
    with ``fit(data, as_of=as_of)`` (so on snapshots whose churn was known by
    ``as_of``); ``churned`` is its paid spell ending in ``(as_of, as_of +
    horizon_days]``, read from the full data. The horizon must end on or before
    the data's last day (churn after it is unknown), or the function refuses.

    Parameters
    ----------
    data : Dataset
    as_of : date
    horizon_days : int, default 90
    data_end : date, optional
        Last day the data covers; default :func:`~csm_kit.metrics.pages.last_observed_day` (the latest date
        in any table, a snapshot's own day).
    **engine
        Passed to :class:`ChurnRisk` (``history_months``, ``penalty``, ``min_tenure_days``).

    Returns
    -------
    RiskBacktest

    Examples
    --------
    >>> import csm_kit
    >>> bt = risk_backtest(csm_kit.simulate(n_customers=500, months=24, seed=6), as_of="2025-06-30")
    >>> bt.observed == int(bt.predictions["churned"].sum()), 0.5 < bt.auc <= 1
    (True, True)
    """
    horizon = _check_horizon(horizon_days)
    day = as_of_day(as_of)
    horizon_end = day + pd.Timedelta(days=horizon)
    last = as_of_day(data_end) if data_end is not None else last_observed_day(data)
    if horizon_end > last:
        raise ValueError(f"risk_backtest: the horizon ends {horizon_end.date()}, after the data ({last.date()}), so "
                         "churn in it is not known yet. Choose an earlier as_of or a shorter horizon.")
    model = ChurnRisk(horizon_days=horizon, **engine).fit(data, as_of=day)
    pred = model.predict(data, as_of=day)
    sd = float(pred.attrs["expected_sd"])
    pred = pred[pred["p_churn"].notna()].reset_index(drop=True)
    pred.insert(2, "churned", churned_within(data, day, horizon, pred["customer_id"]).to_numpy())
    y, p = pred["churned"].to_numpy(), pred["p_churn"].to_numpy()
    return RiskBacktest(as_of=day, horizon_days=horizon, horizon_end=horizon_end, predictions=pred,
                        predicted=float(p.sum()), observed=int(y.sum()), auc=roc_auc(y, p),
                        calibration=calibration_table(p, y), model=model, predicted_sd=sd)


def logistic_weights(points: np.ndarray, churned: np.ndarray, penalty: float = 1.0) -> np.ndarray:
    """Health-measure weights from the engine's logistic fit: ``-coefficient`` per unit of points (0-1 scale).

    Missing points are filled with the measure's mean (the renormalised score
    leaves them out; the fill keeps the other coefficients unbiased). The fit is
    on the raw 0-1 points (not standardised), so a coefficient is the change in
    log-odds from red (0) to green (1).
    """
    filled = np.where(np.isnan(points), np.nanmean(np.where(np.isnan(points), np.nan, points), axis=0), points)
    filled = np.nan_to_num(filled, nan=0.5)
    centred = filled - filled.mean(axis=0)
    _, b = _fit_logistic(centred, np.asarray(churned, dtype=bool), penalty)
    return np.maximum(-b, 0.0)
