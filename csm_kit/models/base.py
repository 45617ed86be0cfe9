"""What every fitted model of the kit shares: the not-fitted check, parameters with standard errors.

Models follow the scikit-learn / lifelines shape: configure in ``__init__``,
learn in ``fit`` (which returns ``self``), fitted state in attributes ending
in ``_``, a :class:`~csm_kit.exceptions.NotFittedError` before ``fit``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from ..exceptions import NotFittedError


class NoFiniteMaximumError(ValueError):
    """The likelihood has no finite maximum on these data (a parameter runs off to 0 or infinity).

    Happens with few customers, few repeat purchases or identical spends; a
    report says so and leaves the model's numbers empty.
    """


def numerical_hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function (for standard errors at the optimum)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    h = step * np.maximum(1.0, np.abs(x))
    hess = np.empty((n, n))
    for i in range(n):  # a handful of parameters, not data rows
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            value = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = value
    return hess


def check_is_fitted(model, attribute: str) -> None:
    """Raise :class:`~csm_kit.exceptions.NotFittedError` unless ``model`` has the fitted ``attribute``.

    Every model of the kit says "not fitted" the same way; each names the
    attribute its ``fit`` sets (as scikit-learn's ``check_is_fitted`` does).

    >>> class Model: pass
    >>> check_is_fitted(Model(), "params_")
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.NotFittedError: This Model is not fitted yet: call fit() first.
    """
    if not hasattr(model, attribute):
        raise NotFittedError(f"This {type(model).__name__} is not fitted yet: call fit() first.")


class FittedModel:
    """Base of the kit's maximum-likelihood models (parameters estimated on a log scale)."""

    #: Parameter names, in the order of the optimiser's vector (the papers' names).
    param_names: tuple[str, ...] = ()

    def _check_fitted(self) -> None:
        check_is_fitted(self, "params_")

    def _maximise(self, negative_log_likelihood, start: np.ndarray) -> None:
        """Fit positive parameters by minimising the negative log-likelihood over their logs."""
        result = optimize.minimize(lambda z: negative_log_likelihood(np.exp(z)), np.log(start),
                                   method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000})
        result = optimize.minimize(lambda z: negative_log_likelihood(np.exp(z)), result.x, method="BFGS")
        theta = np.exp(result.x)
        hess = numerical_hessian(negative_log_likelihood, theta)
        try:
            se = np.sqrt(np.diag(np.linalg.inv(hess)))
        except np.linalg.LinAlgError:
            se = np.full(len(theta), np.nan)
        self.params_ = {k: float(v) for k, v in zip(self.param_names, theta)}
        self.standard_errors_ = {k: float(v) for k, v in zip(self.param_names, se)}
        self.log_likelihood_ = float(-negative_log_likelihood(theta))
        # BFGS often reports "precision loss" at a flat optimum; judge convergence by the gradient instead.
        z, eps = result.x, 1e-6
        grad = [(negative_log_likelihood(np.exp(z + eps * e)) - negative_log_likelihood(np.exp(z - eps * e))) / (2 * eps)
                for e in np.eye(len(z))]
        self.converged_ = bool(np.max(np.abs(grad)) < 1e-3)

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals that stay positive (delta method on the log scale).

        The parameters are positive and estimated on the log scale, so the
        interval is ``estimate x exp(-/+ 1.96 se / estimate)`` (``se / estimate``
        is the standard error of ``log(estimate)``), never below 0 as the plain
        ``estimate -/+ 1.96 se`` can be.

        >>> m = FittedModel()
        >>> m.params_, m.standard_errors_ = {"r": 0.5}, {"r": 0.4}
        >>> m.summary.round(3)
           estimate  std_error  ci_low  ci_high
        r       0.5        0.4   0.104    2.399
        """
        self._check_fitted()
        est = pd.Series(self.params_, dtype=float)
        se = pd.Series(self.standard_errors_, dtype=float).reindex(est.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.exp(1.96 * se / est)
        return pd.DataFrame({"estimate": est, "std_error": se, "ci_low": est / spread, "ci_high": est * spread})
