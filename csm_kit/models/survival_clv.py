"""Survival-curve CLV for subscription (contractual) customers.

For a customer alive now with monthly recurring revenue ``m``:

``CLV = sum_{t=1..H} S(t | alive now) x m x gross_margin x v(t)``

- ``S(t | alive now)``: probability of still being a customer ``t`` months
  ahead, from any survival model: a Kaplan-Meier (or other unconditional)
  curve by tenure, ``S(tenure + t) / S(tenure)``
  (:func:`survival_matrix_from_curve`); a fitted shifted-beta-geometric
  model (:func:`survival_matrix_from_sbg`); or a Cox model's
  ``predict_survival``, which returns the same customer x month shape.
- Discounting: the monthly rate is the one that compounds to the annual rate,
  ``d = (1 + annual_rate)^(1/12) - 1``. ``timing="end"`` (default): month
  t's margin arrives at its end, t months from now, ``v(t) = (1 + d)^-t``;
  ``timing="start"``: at its start, ``v(t) = (1 + d)^-(t - 1)``.
- The current month (already billed) is not counted; ``m`` is held constant.

With a constant monthly churn ``c`` and no discounting, ``S(t) = (1 - c)^t``
and the sum tends to ``m g (1 - c) / c`` as H grows: the teaching formula
(:func:`csm_kit.metrics.lifetime_value.simple_clv`) with the expected
*remaining* lifetime ``(1 - c) / c`` months; adding the current month gives
``m g / c``, the SaaS formula.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..arguments import confidence_level, whole_number
from .base import check_is_fitted

TIMINGS = ("end", "start")


def _step_values(curve: pd.Series, times: np.ndarray) -> np.ndarray:
    """Right-continuous step function: the curve's value at the last time <= t (1 before its first time)."""
    x = curve.index.to_numpy(float)
    y = curve.to_numpy(float)
    pos = np.searchsorted(x, times, side="right") - 1
    return np.where(pos >= 0, y[np.clip(pos, 0, None)], 1.0)


def _check_curve(curve: pd.Series, name: str) -> pd.Series:
    curve = curve.sort_index()
    x, y = curve.index.to_numpy(float), curve.to_numpy(float)
    if len(y) == 0 or not np.isfinite(x).all() or not np.isfinite(y).all():
        raise ValueError(f"survival curve {name!r} must be a non-empty Series of numbers indexed by tenure in months.")
    if (y < 0).any() or (y > 1).any() or (np.diff(y) > 1e-12).any():
        raise ValueError(f"survival curve {name!r} must lie in [0, 1] and never increase; "
                         f"first values: {y[:5].round(4).tolist()}")
    if x[0] < 0:
        raise ValueError(f"survival curve {name!r} has negative tenures: {x[x < 0][:5].tolist()}")
    return curve


def _check_tenure(tenure: pd.Series) -> pd.Series:
    if not isinstance(tenure, pd.Series):
        raise TypeError("tenure must be a Series of months indexed by customer_id.")
    if tenure.index.has_duplicates:
        raise ValueError(f"tenure has duplicated customer_id: {tenure.index[tenure.index.duplicated()][:5].tolist()}")
    bad = ~(tenure.astype(float) >= 0)
    if bad.any():
        raise ValueError(f"tenure must be >= 0 months for every customer; offending: {tenure[bad].head(5).to_dict()}")
    return tenure.astype(float)


def survival_matrix_from_curve(curve, tenure: pd.Series, horizon_months: int, *, group: pd.Series | None = None,
                               tail: str = "constant_hazard", tail_months: int = 12) -> pd.DataFrame:
    """Each customer's survival t = 1..H months ahead, from an unconditional curve by tenure.

    ``S(t | alive at tenure u) = S(u + t) / S(u)``, with ``S`` read off the
    curve as a step function (the value at the last tenure <= u + t, 1
    before the curve's first point), as a Kaplan-Meier curve is read.

    Beyond the curve's last tenure K nobody has been observed, so ``tail``
    says how to go on:

    - ``"constant_hazard"`` (default): S keeps falling at the average monthly
      hazard of the curve's last ``tail_months`` months,
      ``h = 1 - (S(K) / S(K - tail_months))^(1 / tail_months)``;
    - ``"flat"``: hold S(K) (lifelines' reading; assumes no churn at all
      beyond the data, which flatters CLV);
    - ``"error"``: refuse to extrapolate.

    Parameters
    ----------
    curve : Series, DataFrame or RetentionCurves
        Survival probability indexed by tenure in months (e.g. a
        KaplanMeierFitter's ``survival_function_`` on a month timeline). A
        DataFrame holds one curve per column (one per segment) and needs
        ``group``; a fitted :class:`~csm_kit.models.RetentionCurves` gives
        its Kaplan-Meier curve per group.
    tenure : Series
        Current tenure in months of each customer alive now, by customer_id.
    horizon_months : int
        H, the number of months ahead.
    group : Series, optional
        Each customer's column of ``curve`` (by customer_id).
    tail : {"constant_hazard", "flat", "error"}
    tail_months : int

    Returns
    -------
    DataFrame
        Index customer_id (as ``tenure``), columns ``1..H``, the shape
        :class:`SurvivalCLV` takes.

    Examples
    --------
    Half the customers leave after 1 month, half of the rest after 2:

    >>> curve = pd.Series([1.0, 0.5, 0.25, 0.25], index=[0, 1, 2, 3])
    >>> survival_matrix_from_curve(curve, pd.Series({"a": 0.0, "b": 1.0}), 2, tail="flat")
           1    2
    a    0.5  0.25
    b    0.5  0.50
    """
    horizon_months = whole_number(horizon_months, "horizon_months")
    if tail not in ("constant_hazard", "flat", "error"):
        raise ValueError(f"tail must be 'constant_hazard', 'flat' or 'error', not {tail!r}.")
    tenure = _check_tenure(tenure)
    steps = np.arange(1, int(horizon_months) + 1, dtype=float)
    if hasattr(curve, "fitters_"):  # a fitted RetentionCurves: one Kaplan-Meier curve per group
        if getattr(curve, "unit_", "month") != "month":
            raise ValueError(f"The retention curves were fitted on tenure in {curve.unit_}s; survival CLV counts "
                             "months: build the survival table with unit='month'.")
        curves = {name: f.survival_function_.iloc[:, 0] for name, f in curve.fitters_.items()}
        curve = next(iter(curves.values())) if len(curves) == 1 and group is None else pd.DataFrame(curves)
    if isinstance(curve, pd.DataFrame):
        if group is None:
            raise ValueError("A DataFrame of curves (one column per group) needs group= (each customer's column).")
        g = group.reindex(tenure.index)
        missing = g.isna() | ~g.isin(curve.columns)
        if missing.any():
            raise ValueError(f"group has no curve for these customers (curves: {list(curve.columns)}): "
                             f"{g[missing].head(5).to_dict()}")
        out = np.empty((len(tenure), len(steps)))
        for name in curve.columns:  # one pass per group, not per customer
            rows = (g == name).to_numpy()
            out[rows] = _conditional(_check_curve(curve[name].dropna(), str(name)), tenure[rows].to_numpy(),
                                     steps, tail, tail_months, tenure.index[rows])
    else:
        if isinstance(curve, pd.DataFrame) or not isinstance(curve, pd.Series):
            raise TypeError("curve must be a Series (or a DataFrame of curves with group=).")
        out = _conditional(_check_curve(curve, str(curve.name)), tenure.to_numpy(), steps, tail, tail_months,
                           tenure.index)
    return pd.DataFrame(out, index=tenure.index, columns=pd.Index(range(1, int(horizon_months) + 1)))


def _conditional(curve, u, steps, tail, tail_months, ids) -> np.ndarray:
    last = float(curve.index[-1])
    times = u[:, None] + steps[None, :]
    s_now, s_ahead = _step_values(curve, u), _step_values(curve, times.ravel()).reshape(times.shape)
    if (times > last).any():
        if tail == "error":
            raise ValueError(f"The curve ends at tenure {last:g} months but tenure + horizon reaches "
                             f"{times.max():g}; pass tail='constant_hazard' or 'flat' to extrapolate.")
        s_last = float(curve.iloc[-1])
        keep = 1.0  # monthly survival beyond the curve: 1 for "flat"
        if tail == "constant_hazard" and s_last > 0:
            s_back = float(_step_values(curve, np.array([last - tail_months]))[0])
            keep = (s_last / s_back) ** (1 / tail_months)
        s_ahead = np.where(times > last, s_last * keep ** np.floor(np.maximum(times - last, 0)), s_ahead)
        # A customer already past the curve's end is conditioned on the extrapolated S(u) too.
        s_now = np.where(u > last, s_last * keep ** np.floor(np.maximum(u - last, 0)), s_now)
    zero = s_now <= 0
    if zero.any():
        raise ValueError(f"The curve gives S(tenure) = 0 for customers alive now, so their survival ahead is "
                         f"undefined: {list(ids[zero][:5])}")
    return s_ahead / s_now[:, None]


def survival_matrix_from_hazard(hazard: pd.Series, horizon_months: int) -> pd.DataFrame:
    """Each customer's survival t = 1..H months ahead from its own constant monthly churn hazard.

    ``S(t) = (1 - h)^t``: for per-account hazards such as the churn-risk
    engine's ``monthly_hazard`` (:meth:`csm_kit.models.ChurnRisk.predict`),
    held constant over the horizon (a stated assumption: the engine scores
    today's risk, not how it will change).

    Parameters
    ----------
    hazard : Series
        Monthly churn probability in [0, 1] by customer_id.
    horizon_months : int

    Returns
    -------
    DataFrame
        Index customer_id, columns ``1..H``, the shape :class:`SurvivalCLV` takes.

    Examples
    --------
    >>> survival_matrix_from_hazard(pd.Series({"a": 0.1, "b": 0.0}), 2)
         1     2
    a  0.9  0.81
    b  1.0  1.00
    """
    horizon_months = whole_number(horizon_months, "horizon_months")
    if not isinstance(hazard, pd.Series):
        raise TypeError("hazard must be a Series of monthly churn probabilities indexed by customer_id.")
    h = hazard.astype(float)
    bad = ~h.between(0, 1)
    if bad.any():
        raise ValueError(f"hazard must be a probability in [0, 1] for every customer; offending: "
                         f"{h[bad].head(5).to_dict()}")
    if h.index.has_duplicates:
        raise ValueError(f"hazard has duplicated customer_id: {h.index[h.index.duplicated()][:5].tolist()}")
    steps = np.arange(1, int(horizon_months) + 1)
    return pd.DataFrame((1 - h.to_numpy())[:, None] ** steps[None, :], index=h.index,
                        columns=pd.Index(range(1, int(horizon_months) + 1)))


def survival_matrix_from_sbg(model, tenure: pd.Series, horizon_months: int) -> pd.DataFrame:
    """Each customer's survival t = 1..H months ahead from a fitted monthly sBG model.

    ``S(t | alive at tenure u) = S(u + t) / S(u) = B(gamma, delta + u + t) / B(gamma, delta + u)``
    (Fader & Hardie 2007): survivors of u renewals are the more loyal ones,
    so their survival ahead is higher than a new customer's.

    Parameters
    ----------
    model : ShiftedBetaGeoModel
        Fitted with ``time_unit="month"``.
    tenure : Series
        Current tenure in months (renewals so far) by customer_id.
    horizon_months : int

    Returns
    -------
    DataFrame
        Index customer_id, columns ``1..H``.

    Examples
    --------
    >>> from csm_kit.models import ShiftedBetaGeoModel
    >>> m = ShiftedBetaGeoModel(time_unit="month").fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> s = survival_matrix_from_sbg(m, pd.Series({"new": 0, "old": 6}), 2)
    >>> bool(s.loc["old", 1] > s.loc["new", 1])
    True
    """
    model._check_fitted()
    if model.time_unit != "month":
        raise ValueError(f"The sBG model was fitted in {model.time_unit}s; survival CLV needs a monthly model "
                         "(fit it on monthly survivor counts with time_unit='month').")
    horizon_months = whole_number(horizon_months, "horizon_months")
    tenure = _check_tenure(tenure)
    u = tenure.to_numpy()
    out = model.conditional_survival(u[:, None], np.arange(1, int(horizon_months) + 1)[None, :])
    return pd.DataFrame(out, index=tenure.index, columns=pd.Index(range(1, int(horizon_months) + 1)))


def discount_factors(horizon_months: int, annual_discount_rate: float, timing: str = "end") -> np.ndarray:
    """v(t) for t = 1..H: ``(1 + d)^-t`` (end) or ``(1 + d)^-(t-1)`` (start), ``d = (1 + annual)^(1/12) - 1``.

    >>> round(float(discount_factors(12, 0.10)[-1]), 6)      # a year ahead at 10% a year
    0.909091
    >>> float(discount_factors(2, 0.10, "start")[0])
    1.0
    """
    if timing not in TIMINGS:
        raise ValueError(f"timing must be 'end' or 'start', not {timing!r}.")
    if not np.isfinite(annual_discount_rate) or annual_discount_rate < 0:
        raise ValueError(f"annual_discount_rate must be >= 0 (0.10 = 10% a year), not {annual_discount_rate!r}.")
    monthly = (1 + annual_discount_rate) ** (1 / 12) - 1
    t = np.arange(1, int(horizon_months) + 1, dtype=float)
    return (1 + monthly) ** -(t if timing == "end" else t - 1)


class SurvivalCLV:
    """Customer-level contractual CLV from survival probabilities, MRR and margin.

    ``clv_i = m_i x gross_margin x sum_{t=1..H} S_i(t) v(t)`` (see the module
    docstring for the conventions). Segment means come with percentile
    bootstrap intervals (customers resampled with replacement within each
    segment, seeded): they show how much the mean depends on which customers
    happen to be in the book, not the uncertainty of the survival model.

    Parameters
    ----------
    gross_margin : float
        Fraction of revenue kept (default 1: revenue CLV).
    annual_discount_rate : float
        Default 0.10 (10% a year), turned into the equivalent monthly rate.
    horizon_months : int
        H (default 36). The survival matrix needs at least H columns.
    timing : {"end", "start"}
        When a month's margin is received (default end of month).
    n_bootstrap : int
        Bootstrap resamples for segment intervals (default 1000; 0 for none).
    confidence : float
        Interval level (default 0.95).
    seed : int
        Seed of the bootstrap.

    Attributes
    ----------
    clv_ : DataFrame
        One row per customer (index customer_id): ``segment``, ``mrr``,
        ``expected_months`` (sum of S(t), undiscounted), ``discounted_months``,
        ``clv``.
    by_segment_ : DataFrame
        One row per segment and a last row ``"all"``: ``customers``,
        ``clv_mean`` with ``clv_mean_low`` / ``clv_mean_high``, ``clv_median``,
        ``clv_total`` with its interval (customers x the mean's bounds).
    monthly_discount_rate_ : float
    convention_ : str

    Examples
    --------
    Two customers at $100 MRR, churn 10% a month, no discounting, 2 months:
    0.9 x 100 + 0.81 x 100 = 171 each.

    >>> s = pd.DataFrame({1: [0.9, 0.9], 2: [0.81, 0.81]}, index=["a", "b"])
    >>> m = SurvivalCLV(annual_discount_rate=0, horizon_months=2, n_bootstrap=0)
    >>> m.fit(s, pd.Series({"a": 100.0, "b": 100.0})).clv_["clv"].round(6).tolist()
    [171.0, 171.0]
    """

    def __init__(self, gross_margin: float = 1.0, annual_discount_rate: float = 0.10, horizon_months: int = 36,
                 timing: str = "end", n_bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0):
        self.gross_margin = gross_margin
        self.annual_discount_rate = annual_discount_rate
        self.horizon_months = horizon_months
        self.timing = timing
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.seed = seed

    def _check_fitted(self) -> None:
        check_is_fitted(self, "clv_")

    def fit(self, survival: pd.DataFrame, mrr: pd.Series, segment: pd.Series | None = None) -> "SurvivalCLV":
        """Compute each customer's CLV and the segment means with intervals.

        Parameters
        ----------
        survival : DataFrame
            Index customer_id, columns ``1..H'`` (H' >= horizon_months): the
            probability of still being a customer t months ahead given alive
            now (from :func:`survival_matrix_from_curve`,
            :func:`survival_matrix_from_sbg` or a Cox ``predict_survival``).
        mrr : Series
            Expected MRR per month by customer_id (every customer of ``survival``, no others).
        segment : Series, optional
            Segment by customer_id.

        Returns
        -------
        self
        """
        if not 0 <= self.gross_margin <= 1:
            raise ValueError(f"gross_margin is a fraction between 0 and 1, not {self.gross_margin!r}.")
        confidence_level(self.confidence)
        h = int(self.horizon_months)
        v = discount_factors(h, self.annual_discount_rate, self.timing)
        s = self._check_survival(survival, h)
        ids = survival.index
        m = self._aligned(mrr, ids, "mrr")
        if not (m >= 0).all():
            raise ValueError(f"mrr must be a number >= 0 for every customer; offending: {m[~(m >= 0)].head(5).to_dict()}")
        seg = (pd.Series("all", index=ids) if segment is None else self._aligned(segment, ids, "segment"))
        expected = s.sum(axis=1)
        discounted = s @ v
        clv = m.to_numpy(float) * self.gross_margin * discounted
        self.clv_ = pd.DataFrame({"segment": seg.to_numpy(), "mrr": m.to_numpy(float), "expected_months": expected,
                                  "discounted_months": discounted, "clv": clv}, index=ids)
        self.monthly_discount_rate_ = float((1 + self.annual_discount_rate) ** (1 / 12) - 1)
        self.convention_ = (f"CLV = sum over months t=1..{h} of S(t | alive now) x MRR x {self.gross_margin:g} margin, "
                            f"discounted at {self.annual_discount_rate:.1%} a year "
                            f"({self.monthly_discount_rate_:.4%} a month), paid at the {self.timing} of each month")
        self.by_segment_ = self._segments(seg.to_numpy(), clv, by_segment=segment is not None)
        return self

    @staticmethod
    def _check_survival(survival, h) -> np.ndarray:
        if not isinstance(survival, pd.DataFrame):
            raise TypeError("survival must be a DataFrame: index customer_id, columns 1..H months ahead.")
        if survival.index.has_duplicates:
            raise ValueError(f"survival has duplicated customer_id: "
                             f"{survival.index[survival.index.duplicated()][:5].tolist()}")
        cols = list(survival.columns)
        if cols[:h] != list(range(1, h + 1)):
            raise ValueError(f"survival needs columns 1..{h} (months ahead) in order; it has {cols[:8]}"
                             f"{'...' if len(cols) > 8 else ''}.")
        s = survival.iloc[:, :h].to_numpy(float)
        bad = ~np.isfinite(s).all(axis=1) | (s < 0).any(axis=1) | (s > 1).any(axis=1) \
            | (np.diff(s, axis=1) > 1e-9).any(axis=1)
        if bad.any():
            raise ValueError(f"survival must be probabilities in [0, 1] that never increase with t; "
                             f"offending customers: {survival.index[bad][:5].tolist()}")
        return s

    @staticmethod
    def _aligned(values: pd.Series, ids: pd.Index, name: str) -> pd.Series:
        if not isinstance(values, pd.Series):
            raise TypeError(f"{name} must be a Series indexed by customer_id.")
        missing = ids.difference(values.index)
        extra = values.index.difference(ids)
        if len(missing) or len(extra):
            raise ValueError(f"{name} must cover exactly the customers of survival: missing {list(missing[:5])}, "
                             f"not in survival {list(extra[:5])}.")
        out = values.reindex(ids)
        if out.isna().any():
            raise ValueError(f"{name} is empty for customers {list(out.index[out.isna()][:5])}.")
        return out

    def _segments(self, seg: np.ndarray, clv: np.ndarray, by_segment: bool) -> pd.DataFrame:
        rng = np.random.default_rng(self.seed)
        alpha = (1 - self.confidence) / 2
        groups = [(name, clv[seg == name]) for name in pd.unique(seg)] if by_segment else []
        rows = []
        for name, values in sorted(groups, key=lambda g: str(g[0])) + [("all", clv)]:
            n = len(values)
            lo = hi = np.nan
            if self.n_bootstrap > 0 and n > 0:
                means = np.empty(self.n_bootstrap)
                chunk = max(1, int(2e7 // max(n, 1)))  # bound memory: chunk x n indices at a time
                for start in range(0, self.n_bootstrap, chunk):
                    k = min(chunk, self.n_bootstrap - start)
                    means[start:start + k] = values[rng.integers(0, n, size=(k, n))].mean(axis=1)
                lo, hi = np.quantile(means, [alpha, 1 - alpha])
            mean = values.mean() if n else np.nan
            rows.append({"segment": name, "customers": n, "clv_mean": mean, "clv_mean_low": lo, "clv_mean_high": hi,
                         "clv_median": np.median(values) if n else np.nan, "clv_total": values.sum(),
                         "clv_total_low": n * lo, "clv_total_high": n * hi})
        return pd.DataFrame(rows)

    @property
    def summary(self) -> pd.DataFrame:
        """``by_segment_`` indexed by segment (the ``"all"`` row last)."""
        self._check_fitted()
        return self.by_segment_.set_index("segment")

    def plot_distribution(self, ax=None, **kwargs):
        """CLV distribution by segment (see :func:`csm_kit.plotting.clv.plot_clv_distribution`)."""
        from ..plotting.clv import plot_clv_distribution
        return plot_clv_distribution(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        if not hasattr(self, "clv_"):
            return f"<SurvivalCLV (not fitted), horizon_months={self.horizon_months}>"
        return (f"<SurvivalCLV of {len(self.clv_):,} customers over {self.horizon_months} months: "
                f"mean {self.clv_['clv'].mean():,.2f}>")


def active_customers(data, *, month) -> pd.DataFrame:
    """The customers paying at the end of ``month``, with what survival CLV needs.

    - ``mrr``: MRR on the month's last day (:func:`csm_kit.metrics.ledger.month_end_mrr`);
    - ``tenure``: months since the start of the current paid spell, as
      :func:`csm_kit.models.survival_table` measures it (``spells=True``);
    - ``segment``: from ``customers`` (``"all"`` without that table).

    Parameters
    ----------
    data : Dataset
        With ``subscriptions`` (and ``customers`` for the segment).
    month : str or Period
        Reporting month, ``YYYY-MM``.

    Returns
    -------
    DataFrame
        Index ``customer_id``; columns ``segment``, ``mrr``, ``tenure``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "billing_period": "month", "amount": [100.0, 50.0],
    ...     "plan": "pro", "start_date": pd.to_datetime(["2026-01-31", "2026-02-01"]),
    ...     "end_date": pd.to_datetime([None, "2026-03-01"])})
    >>> active_customers(subs, month="2026-03").round(2)     # 60 days: Jan 31 to the end of Mar 31
                segment    mrr  tenure
    customer_id
    a               all  100.0    2.03
    """
    from ..metrics.ledger import month_end_mrr
    from ..periods import month_end, to_month
    from .survival_table import survival_table

    month = to_month(month)
    balances = month_end_mrr(data, month, month).iloc[:, 0]
    paying = balances[balances > 0]
    spells = survival_table(data, as_of=month_end(month), spells=True)
    current = spells[~spells["churned"].astype(bool)].drop_duplicates("customer_id", keep="last")
    tenure = current.set_index("customer_id")["tenure"].reindex(paying.index)
    missing = tenure.isna()
    if missing.any():  # paying at the month end but no open spell: the two ledgers disagree
        raise ValueError(f"No open paid spell for customers paying at the end of {month}: "
                         f"{list(paying.index[missing][:5])}")
    customers = getattr(data, "customers", None)
    segment = (customers.set_index("customer_id")["segment"].reindex(paying.index).fillna("(missing)")
               if customers is not None and "segment" in customers else pd.Series("all", index=paying.index))
    return pd.DataFrame({"segment": segment.to_numpy(), "mrr": paying.to_numpy(float),
                         "tenure": tenure.to_numpy(float)}, index=pd.Index(paying.index, name="customer_id"))
