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

    def retention_rate(self, t) -> np.ndarray:
        """r(t) = (delta + t - 1) / (gamma + delta + t - 1), for t >= 1."""
        self._check_fitted()
        g, d = self.params_["gamma"], self.params_["delta"]
        t = np.asarray(t, dtype=float)
        return (d + t - 1) / (g + d + t - 1)

    def projection(self, periods: int) -> pd.DataFrame:
        """Projected survivors for periods 0..periods next to the actual counts fitted on."""
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

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<ShiftedBetaGeoModel (not fitted), time_unit={self.time_unit!r}>"
        p = self.params_
        return (f"<ShiftedBetaGeoModel gamma={p['gamma']:.3f}, delta={p['delta']:.3f}, fitted on "
                f"{len(self.survivors_) - 1} {self.time_unit}s of a cohort of {self.survivors_[0]:,.0f}>")
