"""Non-contractual CLV: BG/NBD purchase counts and Gamma-Gamma spend.

- Fader, Hardie & Lee (2005). "Counting your customers" the easy way: an
  alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
- Fader & Hardie (2013). The Gamma-Gamma model of monetary value. Note.

Written on scipy rather than taken from ``lifetimes`` (archived since 2020,
several features broken on current pandas, and a CLV helper that silently
assumed days) or PyMC-Marketing (pulls in PyMC). Every fitted model keeps the
``time_unit`` of the summary it was fitted on and refuses another. The
likelihood is evaluated once per distinct (frequency, recency, T) row with
a weight, which makes large customer bases cheap.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, hyp2f1

from .base import FittedModel


def _unit(summary: pd.DataFrame) -> str:
    unit = summary.attrs.get("time_unit")
    if unit is None:
        raise ValueError("The summary has no time_unit; build it with csm_kit.models.rfm_summary.")
    return unit


class _UnitModel(FittedModel):
    def _same_unit(self, summary: pd.DataFrame) -> None:
        self._check_fitted()
        if _unit(summary) != self.time_unit_:
            raise ValueError(f"The model was fitted in {self.time_unit_}s; this summary is in {_unit(summary)}s.")


class BetaGeoModel(_UnitModel):
    """BG/NBD: purchases while alive are Poisson(lambda), lambda ~ Gamma(r, alpha);
    after each purchase the customer drops out with probability p, p ~ Beta(a, b).

    Examples
    --------
    >>> from csm_kit import load_cdnow
    >>> s = rfm_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="week")  # doctest: +SKIP
    >>> {k: round(v, 3) for k, v in BetaGeoModel().fit(s).params_.items()}  # doctest: +SKIP
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """

    param_names = ("r", "alpha", "a", "b")

    def fit(self, summary: pd.DataFrame) -> "BetaGeoModel":
        rows = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
        x, tx, T, w = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T", "w"))

        def nll(theta):
            r, alpha, a, b = theta
            a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
            a3 = -(r + x) * np.log(alpha + T)
            with np.errstate(divide="ignore"):
                a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
            return -(w * (a1 + a2 + np.logaddexp(a3, a4))).sum()

        self._maximise(nll, np.ones(4))
        self.time_unit_ = _unit(summary)
        self.n_customers_ = len(summary)
        return self

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))."""
        self._same_unit(summary)
        r, alpha, a, b = self.params_.values()
        x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
        return pd.Series(1 / (1 + odds), index=summary.index, name="probability_alive")

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """E[purchases in the next t units | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        self._same_unit(summary)
        r, alpha, a, b = self.params_.values()
        x, T = summary["frequency"].to_numpy(float), summary["T"].to_numpy(float)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        return pd.Series(head * tail * self.probability_alive(summary).to_numpy(), index=summary.index,
                         name="expected_purchases")


class GammaGammaModel(_UnitModel):
    """Gamma-Gamma spend: each purchase's value ~ Gamma(p, nu), nu ~ Gamma(q, gamma); fitted on repeat buyers."""

    param_names = ("p", "q", "gamma")

    def fit(self, summary: pd.DataFrame) -> "GammaGammaModel":
        buyers = summary[summary["frequency"] > 0]
        if (buyers["monetary_value"] <= 0).any():
            raise ValueError("monetary_value must be > 0 for every repeat buyer.")
        x, m = buyers["frequency"].to_numpy(float), buyers["monetary_value"].to_numpy(float)

        def nll(theta):
            p, q, g = theta
            return -(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g) + (p * x - 1) * np.log(m)
                     + p * x * np.log(x) - (p * x + q) * np.log(x * m + g)).sum()

        self._maximise(nll, np.ones(3))
        self.time_unit_ = _unit(summary)
        self.n_customers_ = len(buyers)
        return self

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """E[value of a purchase | x, m_x] = (gamma + x m_x) p / (p x + q - 1); the population mean for x = 0."""
        self._same_unit(summary)
        p, q, g = self.params_.values()
        x, m = summary["frequency"].to_numpy(float), summary["monetary_value"].to_numpy(float)
        return pd.Series(p * (g + x * m) / (p * x + q - 1), index=summary.index, name="expected_spend")
