"""The shifted-beta-geometric (sBG) model of contractual retention.

Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
*Journal of Interactive Marketing*, 21(1), 76-90.

Each customer renews at the end of every period with a constant probability
of churning ``theta``; ``theta`` varies across customers as Beta(gamma, delta).
For a cohort followed from period 0:

- ``P(T = t) = B(gamma + 1, delta + t - 1) / B(gamma, delta)``, t = 1, 2, ...
- ``S(t) = B(gamma, delta + t) / B(gamma, delta)``
- retention rate ``r(t) = S(t) / S(t - 1) = (delta + t - 1) / (gamma + delta + t - 1)``,
  which rises with t: the heterogeneity, not a change in anyone's loyalty.
- discounted expected lifetime (periods, counting the current one, discount
  rate d per period): ``DEL = sum_{t>=0} S(t) / (1 + d)^t = 2F1(1, delta; gamma + delta; 1 / (1 + d))``.

Written on scipy (as the paper's own Excel-solver fit is): the archived
``lifetimes`` package has no sBG, and PyMC-Marketing's needs the PyMC stack.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, hyp2f1

from .base import FittedModel


class ShiftedBetaGeoModel(FittedModel):
    """sBG retention model fitted to a cohort's survivor counts.

    Parameters
    ----------
    time_unit : str
        What one period is ("year", "month", ...); kept with the fit.

    Attributes
    ----------
    params_ : dict
        ``{"gamma": ..., "delta": ...}``.
    standard_errors_ : dict
    log_likelihood_ : float
    survivors_ : ndarray
        The counts fitted on.

    Examples
    --------
    Fader & Hardie's "Regular" customers, years 0-7:

    >>> m = ShiftedBetaGeoModel(time_unit="year").fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.params_["gamma"], 3), round(m.params_["delta"], 3)
    (0.704, 1.182)
    """

    param_names = ("gamma", "delta")

    def __init__(self, time_unit: str = "period"):
        self.time_unit = time_unit

    def fit(self, survivors) -> "ShiftedBetaGeoModel":
        """Maximum likelihood on survivor counts ``n_0 >= n_1 >= ... >= n_T`` (n_0 = cohort size)."""
        n = np.asarray(survivors, dtype=float)
        if n.ndim != 1 or len(n) < 2:
            raise ValueError("survivors needs the cohort size and at least one later count.")
        if (n < 0).any() or (np.diff(n) > 0).any():
            raise ValueError(f"survivor counts must be non-negative and never increase: {n.tolist()}")
        if n[-1] == n[0]:
            raise ValueError("Nobody churned: the sBG model cannot be estimated without churn.")
        lost = -np.diff(n)
        t = np.arange(1, len(n))

        def nll(theta):
            g, d = theta
            log_p = betaln(g + 1, d + t - 1) - betaln(g, d)
            log_s = betaln(g, d + t[-1]) - betaln(g, d)
            return -(lost @ log_p + n[-1] * log_s)

        self._maximise(nll, np.array([1.0, 1.0]))
        self.survivors_ = n
        return self

    def survival(self, t) -> np.ndarray:
        """S(t): share of the cohort still a customer after t periods."""
        self._check_fitted()
        g, d = self.params_["gamma"], self.params_["delta"]
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(g, d + t) - betaln(g, d))

    def conditional_survival(self, tenure, t) -> np.ndarray:
        """S(tenure + t) / S(tenure) = B(gamma, delta + tenure + t) / B(gamma, delta + tenure).

        The probability that a customer who has already survived ``tenure``
        periods survives ``t`` more; broadcasts over arrays.

        >>> m = ShiftedBetaGeoModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> float(m.conditional_survival(0, 2)) == float(m.survival(2))
        True
        """
        self._check_fitted()
        g, d = self.params_["gamma"], self.params_["delta"]
        tenure, t = np.asarray(tenure, dtype=float), np.asarray(t, dtype=float)
        if (tenure < 0).any() or (t < 0).any():
            raise ValueError("tenure and t must be >= 0 periods.")
        return np.exp(betaln(g, d + tenure + t) - betaln(g, d + tenure))

    def retention_rate(self, t) -> np.ndarray:
        """r(t) = (delta + t - 1) / (gamma + delta + t - 1), for t >= 1."""
        self._check_fitted()
        g, d = self.params_["gamma"], self.params_["delta"]
        t = np.asarray(t, dtype=float)
        return (d + t - 1) / (g + d + t - 1)

    def projection(self, periods: int) -> pd.DataFrame:
        """Projected survivors for periods 0..periods next to the actual counts fitted on.

        Columns ``period``, ``actual`` (NaN beyond the data), ``projected``
        (``n_0 S(t)``), ``retention_rate`` (NaN at period 0).
        """
        self._check_fitted()
        t = np.arange(periods + 1)
        actual = np.full(len(t), np.nan)
        k = min(len(self.survivors_), len(t))
        actual[:k] = self.survivors_[:k]
        return pd.DataFrame({"period": t, "actual": actual, "projected": self.survivors_[0] * self.survival(t),
                             "retention_rate": np.r_[np.nan, self.retention_rate(t[1:])]})

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """Expected number of periods (this one included), discounted: 2F1(1, delta; gamma+delta; 1/(1+d))."""
        self._check_fitted()
        if discount_rate <= 0:
            raise ValueError("A discount rate > 0 is needed (undiscounted lifetime is infinite when gamma < 1).")
        g, d = self.params_["gamma"], self.params_["delta"]
        return float(hyp2f1(1.0, d, g + d, 1.0 / (1.0 + discount_rate)))

    def plot_projection(self, periods: int | None = None, ax=None, actual=None, **kwargs):
        """Projected vs actual survivors (see :func:`csm_kit.plotting.clv.plot_sbg_projection`)."""
        from ..plotting.clv import plot_sbg_projection
        return plot_sbg_projection(self, periods=periods, ax=ax, actual=actual, **kwargs)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<ShiftedBetaGeoModel (not fitted), time_unit={self.time_unit!r}>"
        p = self.params_
        return (f"<ShiftedBetaGeoModel gamma={p['gamma']:.3f}, delta={p['delta']:.3f}, fitted on "
                f"{len(self.survivors_) - 1} {self.time_unit}s of a cohort of {self.survivors_[0]:,.0f}>")


def cohort_survivors(data, *, cohort, end, cohort_end=None) -> pd.Series:
    """Survivor counts of one signup cohort by month of tenure, for :class:`ShiftedBetaGeoModel`.

    The cohort is the customers whose *first* paid spell
    (:func:`csm_kit.metrics.ledger.paid_spells`) began in month ``cohort``
    (or from ``cohort`` to ``cohort_end``: several signup months pooled, each
    customer aged from its own start, when one month is too small to fit).
    ``n_k`` = those still paying k months after their own start, i.e. whose
    first spell covers the day ``start + k months`` (spells are ``[start, end)``).
    The sBG model treats churn as final, so a later reactivation does not
    bring a customer back. Ages run from 0 to ``end - cohort`` months: the
    last age every member of the cohort (the latest joined on the cohort
    month's last day) has reached by the last day of ``end``
    (``end - cohort_end`` months when pooled).

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions``, or the subscriptions table.
    cohort : str or Period
        Signup (first paid) month, ``YYYY-MM``.
    end : str or Period
        Last month observed.
    cohort_end : str or Period, optional
        Last signup month pooled (default: ``cohort`` alone).

    Returns
    -------
    Series
        Survivors indexed by ``month`` of tenure 0, 1, ..., named ``survivors``.

    Examples
    --------
    Three January customers: one pays a single month, one two, one stays.

    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-10", "2026-01-31", "2026-01-05"]),
    ...     "end_date": pd.to_datetime(["2026-02-10", "2026-03-31", None]),
    ...     "billing_period": ["month"] * 3, "amount": [10.0, 10.0, 10.0]})
    >>> cohort_survivors(subs, cohort="2026-01", end="2026-04").tolist()
    [3, 2, 1, 1]
    """
    from ..metrics.ledger import paid_spells
    from ..periods import month_end, to_month

    cohort, end = to_month(cohort), to_month(end)
    last = cohort if cohort_end is None else to_month(cohort_end)
    if last < cohort:
        raise ValueError(f"cohort_end ({last}) must not be before cohort ({cohort}).")
    ages = (end - last).n
    if ages < 1:
        raise ValueError(f"end ({end}) must be at least one month after the (last) cohort month ({last}).")
    spells = paid_spells(data)
    first = spells[spells["spell"] == 1]
    signup = first["start"].dt.to_period("M")
    members = first[(signup >= cohort) & (signup <= last)]
    if members.empty:
        raise ValueError(f"No customer's first paid spell began in {cohort}"
                         f"{'' if last == cohort else f' to {last}'}.")
    as_of = month_end(end)
    stop = members["end"].fillna(as_of + pd.Timedelta(days=1))
    counts = [int((stop > members["start"] + pd.DateOffset(months=k)).sum()) for k in range(ages + 1)]  # per age
    return pd.Series(counts, index=pd.RangeIndex(ages + 1, name="month"), name="survivors")
