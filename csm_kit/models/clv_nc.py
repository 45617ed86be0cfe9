"""Non-contractual CLV: BG/NBD purchase counts and Gamma-Gamma spend.

- Fader, Hardie & Lee (2005). "Counting your customers" the easy way: an
  alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
- Fader & Hardie (2013). The Gamma-Gamma model of monetary value. Note.
- Self & Liang (1987). Asymptotic properties of maximum likelihood estimators
  and likelihood ratio tests under nonstandard conditions. *JASA*, 82(398),
  605-610 (the likelihood-ratio test on a boundary, used for one dropout p).

Written on scipy rather than taken from ``lifetimes`` (archived since 2020,
several features broken on current pandas, and a CLV helper that silently
assumed days) or PyMC-Marketing (pulls in PyMC, needs Python 3.12 for current
releases, seconds of compile per fit). Every fitted model keeps the
``time_unit`` of the summary it was fitted on and refuses another.

When customers show no spread in their dropout probability, the BG/NBD
likelihood has no finite maximum (a and b run off together); ``BetaGeoModel``
then fits its limit with one dropout probability p for everyone, by a
likelihood-ratio rule that does not depend on where the optimiser stops (its
docstring gives the rule and the limit formulas).

Speed: the BG/NBD likelihood depends on a customer only through
(frequency, recency, T), so it is evaluated once per distinct row with a
weight (the count): the same likelihood, far fewer terms. It is maximised
with its analytic gradient. Predictions evaluate the hypergeometric function
once per distinct (frequency, T).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import digamma, gammaln, hyp2f1

from ..arguments import whole_number
from .base import FittedModel, NoFiniteMaximumError
from .rfm import DAYS_PER_UNIT, check_single_currency, check_summary


def _unit(summary: pd.DataFrame) -> str:
    """The summary's time unit: its ``time_unit`` column (one value), else ``attrs["time_unit"]``; refuses two currencies."""
    check_single_currency(summary, "the RFM summary")
    if "time_unit" in summary.columns:
        units = summary["time_unit"].dropna().unique()
        if len(units) != 1 or summary["time_unit"].isna().any() or units[0] not in DAYS_PER_UNIT:
            raise ValueError(f"The summary's time_unit column must hold one of {list(DAYS_PER_UNIT)} on every row; "
                             f"found {sorted(map(str, units))[:5]}.")
        unit = str(units[0])
        if summary.attrs.get("time_unit", unit) != unit:
            raise ValueError(f"The summary's time_unit column says {unit!r} but its attrs say "
                             f"{summary.attrs['time_unit']!r}.")
        return unit
    unit = summary.attrs.get("time_unit")
    if unit is None:
        raise ValueError("The summary has no time_unit column; build it with csm_kit.models.rfm_summary "
                         "(or add a time_unit column: 'day', 'week', 'month' or 'year').")
    return unit


class _UnitModel(FittedModel):
    def _same_unit(self, summary: pd.DataFrame) -> None:
        self._check_fitted()
        if _unit(summary) != self.time_unit_:
            raise ValueError(f"The model was fitted in {self.time_unit_}s; this summary is in {_unit(summary)}s.")


def _wsum(w, v) -> float:
    """Weighted sum without BLAS: a threaded ``dot`` costs more than it saves on a busy machine."""
    return float(np.einsum("i,i->", w, v))


def _codes(values: np.ndarray):
    """Distinct values and each row's position in them (for per-value work gathered back to rows)."""
    codes, uniques = pd.factorize(values)  # hashing: faster than np.unique's sort on a million rows
    return np.asarray(uniques, dtype=float), codes


def _gamma_part(r, alpha, x, idx, log_c):
    """What the BG/NBD likelihoods share: per-row log-likelihood but the dropout term, and the (r, alpha) gradient.

    Both forms are ``Gamma(r + x) alpha^r / Gamma(r) x D x [(alpha + T)^-(r+x) + [x > 0] c (alpha + t_x)^-(r+x)]``
    with D and c from the dropout distribution; ``log_c`` is log c per row
    (unused where x = 0). Returns, per row, log[Gamma(r + x) alpha^r / Gamma(r)]
    and log[...] (the row's log-likelihood is their sum plus log D), the weight
    ``w4`` of the second term in the bracket, d/dr and d/dalpha.
    """
    (ux, ix), (utx, itx), (uT, iT) = idx
    g_rx = (gammaln(r + ux) - gammaln(r))[ix]
    l_T, l_tx = np.log(alpha + uT)[iT], np.log(alpha + utx)[itx]
    rx = r + x
    a3 = -rx * l_T
    a4 = np.where(x > 0, log_c - rx * l_tx, -np.inf)
    m = np.logaddexp(a3, a4)
    w4 = np.exp(a4 - m)
    w3 = 1 - w4
    d_r = (digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - w3 * l_T - w4 * l_tx
    d_alpha = r / alpha - rx * (w3 / (alpha + uT)[iT] + w4 / (alpha + utx)[itx])
    return g_rx + r * np.log(alpha), m, w4, d_r, d_alpha


def _bgnbd_loglik(theta, x, tx, T, w, idx, gradient=True):
    """Weighted BG/NBD log-likelihood (FHL 2005 eq. 6) and its gradient in (r, alpha, a, b).

    ``idx`` holds the distinct values of x, t_x and T and each row's code:
    gamma functions and logs are computed per distinct value, then gathered.
    D = B(a, b + x) / B(a, b) and c = a / (b + x - 1) (:func:`_gamma_part`).
    """
    r, alpha, a, b = theta
    ux, ix = idx[0]
    g_b = (gammaln(a + b) + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux))[ix]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_c = np.log(a) - np.log(np.where(ux > 0, b + ux - 1, 1.0))[ix]
        head, m, w4, d_r, d_alpha = _gamma_part(r, alpha, x, idx, log_c)
    ll = _wsum(w, head + g_b + m)
    if not gradient:
        return ll, None
    d_ab = digamma(a + b) - digamma(a + b + ux)
    d_a = d_ab[ix] + w4 / a
    with np.errstate(divide="ignore"):
        inv_b = np.where(ux > 0, 1 / (b + ux - 1), 0.0)[ix]
    d_b = (d_ab + digamma(b + ux) - digamma(b))[ix] - w4 * inv_b
    return ll, np.array([_wsum(w, d_r), _wsum(w, d_alpha), _wsum(w, d_a), _wsum(w, d_b)])


def _bgnbd_common_loglik(theta, x, tx, T, w, idx, gradient=True):
    """The BG/NBD log-likelihood with one dropout probability p for everyone, and its gradient in (r, alpha, p).

    The limit of :func:`_bgnbd_loglik` as a, b -> inf with a / (a + b) = p:
    D = B(a, b + x) / B(a, b) = E[(1 - p)^x] -> (1 - p)^x and
    c = a / (b + x - 1) -> p / (1 - p). Not defined for p >= 1 (NaN).
    """
    r, alpha, p = theta
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log1p(-p)
        head, m, w4, d_r, d_alpha = _gamma_part(r, alpha, x, idx, np.log(p) - log_q)
        ll = _wsum(w, head + x * log_q + m)
    if not gradient:
        return ll, None
    d_p = -x / (1 - p) + w4 / (p * (1 - p))
    return ll, np.array([_wsum(w, d_r), _wsum(w, d_alpha), _wsum(w, d_p)])


def _gg_loglik(theta, x, m, gradient=True):
    """Gamma-Gamma log-likelihood of repeat buyers' mean spend (Fader & Hardie 2013) and its gradient."""
    p, q, g = theta
    px = p * x
    l_xm = np.log(x * m + g)
    ll = float(np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m)
                      + px * np.log(x) - (px + q) * l_xm))
    if not gradient:
        return ll, None
    psi = digamma(px + q)
    d_p = np.sum(x * (psi - digamma(px) + np.log(m) + np.log(x) - l_xm))
    d_q = np.sum(psi - digamma(q) + np.log(g) - l_xm)
    d_g = np.sum(q / g - (px + q) / (x * m + g))
    return ll, np.array([d_p, d_q, d_g])


_WARM_ROWS = 20_000  # rows of the warm-start sample on large bases


def _objective(loglik, n):
    """Mean negative log-likelihood over log-parameters, and its gradient (what the optimiser sees)."""
    def objective(z):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            theta = np.exp(z)
            ll, grad = loglik(theta)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros_like(z)  # outside the region where the likelihood is defined
        return -ll / n, -grad * theta / n
    return objective


def _inverse_hessian(objective, z, step: float = 1e-4):
    """Inverse of the objective's Hessian at z, by central differences of its gradient (None if not positive)."""
    k = len(z)
    hess = np.empty((k, k))
    for i in range(k):  # a handful of parameters, not data rows
        e = np.zeros(k)
        e[i] = step
        hess[i] = (objective(z + e)[1] - objective(z - e)[1]) / (2 * step)
    hess = (hess + hess.T) / 2
    if not np.all(np.linalg.eigvalsh(hess) > 0):
        return None
    inv = np.linalg.inv(hess)
    return (inv + inv.T) / 2


def _maximise(loglik, start, n, gtol: float = 1e-9, hess_inv0=None) -> np.ndarray:
    """Log-parameters where BFGS stops maximising ``loglik(theta) -> (ll, grad)`` from ``start``.

    The point may be off towards 0 or infinity: :func:`_set_fit` checks it.
    """
    # BFGS keeps its few-parameter algebra in NumPy; scipy's L-BFGS-B spent more time in threaded BLAS
    # calls than in the likelihood on a busy machine.
    res = optimize.minimize(_objective(loglik, n), np.log(start), jac=True, method="BFGS",
                            options={"gtol": gtol, "hess_inv0": hess_inv0})
    return res.x


def _log_likelihood_at(loglik, z) -> float:
    """The log-likelihood at log-parameters z (-inf where it is not finite, e.g. a parameter overflowed)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ll = loglik(np.exp(z), gradient=False)[0] if np.all(np.isfinite(np.exp(z))) else -np.inf
    return float(ll) if np.isfinite(ll) else -np.inf


def _warm_start(sample_loglik, n_rows: int, weights, start):
    """Starting point and inverse Hessian from a seeded sample of rows, when there are many rows.

    ``sample_loglik(rows)`` returns the log-likelihood of those rows. The
    final fit is on every row either way: the sample only saves iterations
    (and if the sample's maximum runs off, the full fit starts from ``start``).
    """
    if n_rows <= 4 * _WARM_ROWS:
        return start, None
    rows = np.sort(np.random.default_rng(0).choice(n_rows, _WARM_ROWS, replace=False))
    loglik, n = sample_loglik(rows), float(np.sum(weights[rows]))
    z = _maximise(loglik, start, n, gtol=1e-6)
    if not np.max(np.abs(z)) <= 25:
        return start, None
    start = np.exp(z)
    # The sample's curvature preconditions BFGS on the full data: a few iterations instead of ~20.
    return start, _inverse_hessian(_objective(loglik, n), np.log(start))


def _plain(names, theta) -> str:
    """``p = 5.28, q = 8.17e+07``: parameters in an error message, without Python reprs."""
    return ", ".join(f"{n} = {v:.3g}" for n, v in zip(names, theta))


def _set_fit(model, loglik, z, n, names) -> None:
    """Set params_, standard_errors_, log_likelihood_, converged_ from the maximum at log-parameters z.

    Raises :class:`NoFiniteMaximumError` when a parameter ran off (|log| > 25)
    or the Hessian there is not negative definite. Standard errors from a
    Hessian by central differences of the analytic gradient.
    """
    with np.errstate(over="ignore"):
        theta = np.exp(z)
    if not np.all(np.isfinite(theta)) or np.max(np.abs(z)) > 25:
        raise NoFiniteMaximumError(f"{type(model).__name__}: the likelihood has no finite maximum on these data (a parameter "
                         f"ran off to {_plain(names, theta)}); this happens with "
                         "few customers or few repeat purchases.")
    ll, grad = loglik(theta)
    k = len(theta)
    h = 1e-5 * theta
    hess = np.empty((k, k))
    for i in range(k):  # a handful of parameters, not data rows
        e = np.zeros(k)
        e[i] = h[i]
        hess[i] = -(loglik(theta + e)[1] - loglik(theta - e)[1]) / (2 * h[i])
    hess = (hess + hess.T) / 2
    if not np.all(np.isfinite(hess)) or not np.all(np.linalg.eigvalsh(hess) > 0):
        raise NoFiniteMaximumError(f"{type(model).__name__}: the likelihood has no finite maximum on these data (it is flat "
                         f"or still rising at {_plain(names, theta)}); this "
                         "happens with few customers or few repeat purchases.")
    se = np.sqrt(np.diag(np.linalg.inv(hess)))
    model.params_ = {name: float(v) for name, v in zip(names, theta)}
    model.standard_errors_ = {name: float(v) for name, v in zip(names, se)}
    model.log_likelihood_ = ll
    model.converged_ = bool(np.max(np.abs(grad * theta)) / n < 1e-5)


def _fit_by_gradient(model, loglik, start, n, gtol: float = 1e-9, hess_inv0=None):
    """Maximise ``loglik(theta) -> (ll, grad)`` over log-parameters; set params_, standard_errors_ and the rest.

    BFGS with the analytic gradient (from ``hess_inv0`` when a warm start
    supplies one), then :func:`_set_fit`.
    """
    _set_fit(model, loglik, _maximise(loglik, start, n, gtol, hess_inv0), n, model.param_names)


#: Likelihood-ratio threshold above which BetaGeoModel keeps a Beta spread of dropout probabilities:
#: chi2_1's 90% point (scipy.stats.chi2.ppf(0.90, 1)), the 5% test of a null on the parameter space's
#: boundary, where the statistic is a 50:50 mix of chi2_0 and chi2_1 (Self & Liang 1987).
COMMON_DROPOUT_LR_THRESHOLD = 2.7055


class BetaGeoModel(_UnitModel):
    """BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

    While alive, a customer buys at Poisson rate lambda, lambda ~ Gamma(r, alpha);
    after each repeat purchase they drop out for good with probability p,
    p ~ Beta(a, b). Fitted by maximum likelihood on an RFM summary
    (``frequency``, ``recency``, ``T`` in the summary's ``time_unit``).

    **One dropout probability for everyone.** When customers barely differ in
    p, the likelihood keeps rising along a ridge where a and b run off to
    infinity together with a / (a + b) fixed (Beta(a, b) tends to a point
    mass at p), and where BFGS stops on it depends on the SciPy/NumPy build
    (a "fit" at a = 1e5, b = 1e6 on one, no finite maximum on another). So
    ``fit`` maximises two likelihoods from the same start, the full model's
    and its limit's with one p for everyone (parameters r, alpha, p), and
    keeps the full model only if it is clearly better:

    ``2 (ll_beta - ll_common) > 2.706`` (:data:`COMMON_DROPOUT_LR_THRESHOLD`),

    the likelihood-ratio test rejecting "one p for everyone" at 5%. The
    common model is the boundary 1 / (a + b) = 0 of the full one, so under it
    the statistic is a 50:50 mix of chi2_0 and chi2_1 and the 5% point is
    chi2_1's 90% point. ``ll_beta`` is the full likelihood where BFGS
    stopped, a maximum or not (-inf if a parameter overflowed), so the rule
    does not depend on where on the ridge it stopped: there ll_beta is at
    most ll_common plus noise (about 1e-6). The test also covers data with
    one p where sampling noise puts a shallow maximum of the full model at
    finite a and b (half of such data sets): a statistic under 2.706 gives
    the common model too. If the common model has no finite maximum itself
    (p -> 0: nobody seems to drop out), the full model is kept when it has
    one. On data with real spread in p (CDNOW: statistic 42.4) nothing
    changes.

    The common model's formulas are the full model's limits as a, b -> inf
    with a / (a + b) = p (checked against the full formulas at a + b = 1e6
    and 1e7 in the tests):

    - likelihood: ``Gamma(r+x) alpha^r / Gamma(r) (1-p)^x [(alpha+T)^-(r+x)
      + [x > 0] p / (1-p) (alpha+t_x)^-(r+x)]`` (B(a, b+x) / B(a, b) -> (1-p)^x,
      a / (b+x-1) -> p / (1-p));
    - ``P(alive) = 1 / (1 + [x > 0] p / (1-p) ((alpha+T) / (alpha+t_x))^(r+x))``;
    - ``E[Y(t) | x, t_x, T] = P(alive) / p x [1 - ((alpha+T) / (alpha+T+p t))^(r+x)]``
      ((a+b+x-1) / (a-1) -> 1 / p and 2F1(r+x, b+x; a+b+x-1; z) -> (1 - (1-p) z)^-(r+x));
    - ``E[X(t)] = [1 - (alpha / (alpha + p t))^r] / p`` for a new customer.

    Parameters
    ----------
    compress : bool
        Fit on the distinct (frequency, recency, T) rows with counts as
        weights (default True): the same likelihood, much faster on large
        customer bases. False evaluates it customer by customer.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}``, or ``{"r", "alpha", "p"}`` when the fit
        is the common-dropout model (alpha in the summary's time unit). A
        model whose ``params_`` are set by hand is read by its keys.
    dropout_heterogeneity_ : bool
        True: p ~ Beta(a, b) across customers; False: one p for everyone.
    dropout_lr_statistic_ : float
        ``max(0, 2 (ll_beta - ll_common))``, the statistic of the rule above
        (inf when only the common model's likelihood could not be evaluated,
        0 when neither could).
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood at the optimum (same keys as ``params_``).
    log_likelihood_ : float
        Of the model kept.
    converged_ : bool
    time_unit_ : str
    n_customers_ : int
    n_rows_ : int
        Rows the likelihood was evaluated on (distinct rows when compressed).
    max_T_, max_frequency_ : float, int
        Largest T and frequency fitted on (the default ranges of the matrix plots).

    Examples
    --------
    >>> from csm_kit import load_cdnow
    >>> s = rfm_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="week")  # doctest: +SKIP
    >>> {k: round(v, 3) for k, v in BetaGeoModel().fit(s).params_.items()}  # doctest: +SKIP
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}

    Parameters recovered from 20,000 simulated customers (fits in milliseconds):

    >>> s = simulate_bgnbd_summary(20_000, r=0.25, alpha=4.0, a=0.8, b=2.5, T=39.0, seed=3, resolution=1 / 7)
    >>> m = BetaGeoModel().fit(s)
    >>> m.converged_, m.time_unit_, m.n_rows_ < len(s), m.dropout_heterogeneity_
    (True, 'week', True, True)
    >>> {k: round(v, 2) for k, v in m.params_.items()}
    {'r': 0.25, 'alpha': 4.02, 'a': 0.82, 'b': 2.46}

    Every customer with the same p = 0.1 (Beta(1e7, 9e7) is 0.1 to 4 decimals):

    >>> s = simulate_bgnbd_summary(20_000, r=0.25, alpha=4.0, a=1e7, b=9e7, T=39.0, seed=3, resolution=1 / 7)
    >>> m = BetaGeoModel().fit(s)
    >>> m.dropout_heterogeneity_, {k: round(v, 2) for k, v in m.params_.items()}
    (False, {'r': 0.25, 'alpha': 3.98, 'p': 0.1})
    >>> round(m.dropout_lr_statistic_, 2)  # a shallow maximum at finite a, b: not significant
    1.63
    """

    param_names = ("r", "alpha", "a", "b")
    #: Parameters of the common-dropout model (the limit a, b -> inf with a / (a + b) = p).
    common_dropout_param_names = ("r", "alpha", "p")

    def __init__(self, compress: bool = True):
        self.compress = compress

    def fit(self, summary: pd.DataFrame, initial_point=None) -> "BetaGeoModel":
        """Maximum-likelihood fit on an RFM summary; returns self.

        Parameters
        ----------
        summary : DataFrame
            RFM summary (``frequency``, ``recency``, ``T``, a time unit).
        initial_point : sequence of 4 floats, optional
            Where the optimiser starts, (r, alpha, a, b); by default
            (1, mean T / 10, 1, 1). The common-dropout fit starts at
            (r, alpha, a / (a + b)). Where it starts changes nothing but the
            number of iterations where there is a maximum, and on the
            a, b -> inf ridge (the class docstring says why). It can where
            the likelihood runs off towards a, b -> 0 with p -> 0 (no finite
            maximum of either model): the kit has no limit model for that yet.
        """
        check_summary(summary, "BetaGeoModel.fit")
        unit = _unit(summary)
        if self.compress:
            rows = summary.groupby(["frequency", "recency", "T"], sort=False).size().reset_index(name="w")
        else:
            rows = summary[["frequency", "recency", "T"]].assign(w=1)
        x, tx, T, w = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T", "w"))
        idx = (_codes(x), _codes(tx), _codes(T))
        if initial_point is None:
            # Start with alpha on the scale of the observation window.
            start = np.array([1.0, max(float(np.mean(T)), 1e-3) / 10, 1.0, 1.0])
        else:
            start = np.asarray(initial_point, dtype=float)
            if start.shape != (4,) or not np.all(np.isfinite(start) & (start > 0)):
                raise ValueError(f"initial_point must be 4 positive numbers (r, alpha, a, b), not {initial_point!r}.")
        r0, alpha0, a0, b0 = start
        n = w.sum()

        def on_rows(loglik):
            def sample(k):  # the likelihood of some rows, their arrays built once
                xs, txs, Ts, ws = x[k], tx[k], T[k], w[k]
                codes = (_codes(xs), _codes(txs), _codes(Ts))
                return lambda theta, gradient=True: loglik(theta, xs, txs, Ts, ws, codes, gradient)
            return sample

        beta = lambda theta, gradient=True: _bgnbd_loglik(theta, x, tx, T, w, idx, gradient)  # noqa: E731
        common = lambda theta, gradient=True: _bgnbd_common_loglik(theta, x, tx, T, w, idx, gradient)  # noqa: E731
        # Both maximised from the same start (on large bases, from their own sample fits); neither from the other.
        fits = {}
        for name, loglik, full_loglik, first in (
                ("beta", _bgnbd_loglik, beta, start),
                ("common", _bgnbd_common_loglik, common, np.array([r0, alpha0, a0 / (a0 + b0)]))):
            begin, hess_inv0 = _warm_start(on_rows(loglik), len(x), w, first)
            fits[name] = _maximise(full_loglik, begin, n, hess_inv0=hess_inv0)
        ll_beta, ll_common = _log_likelihood_at(beta, fits["beta"]), _log_likelihood_at(common, fits["common"])
        with np.errstate(invalid="ignore"):
            statistic = 2 * (ll_beta - ll_common)   # nan when neither is finite: the full model says why
        heterogeneity = True
        if statistic <= COMMON_DROPOUT_LR_THRESHOLD:
            try:
                _set_fit(self, common, fits["common"], n, self.common_dropout_param_names)
                heterogeneity = False
            except NoFiniteMaximumError:
                pass  # no finite p either (e.g. p -> 0, nobody seems to drop out): the full model if it has a maximum
        if heterogeneity:
            _set_fit(self, beta, fits["beta"], n, self.param_names)
        self.dropout_heterogeneity_ = heterogeneity
        self.dropout_lr_statistic_ = float(statistic) if statistic > 0 else 0.0
        self.time_unit_ = unit
        self.n_customers_ = len(summary)
        self.n_rows_ = len(rows)
        self.max_T_, self.max_frequency_ = float(T.max()), int(x.max())  # plot ranges
        return self

    # -- predictions -----------------------------------------------------------------

    def _arrays(self, summary):
        self._same_unit(summary)
        check_summary(summary, type(self).__name__)
        return tuple(summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))

    def _common_p(self):
        """The common dropout probability p, or None when p ~ Beta(a, b) (read from ``params_``' keys)."""
        return self.params_["p"] if "p" in self.params_ else None

    def _p_alive(self, x, tx, T) -> np.ndarray:
        par, p = self.params_, self._common_p()
        r, alpha = par["r"], par["alpha"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_c = (np.log(par["a"]) - np.log(np.where(x > 0, par["b"] + x - 1, 1.0)) if p is None
                     else np.log(p) - np.log1p(-p))
            log_odds = log_c + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(x > 0, 1 / (1 + np.exp(log_odds)), 1.0)

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)).

        With one dropout probability p, ``a / (b + x - 1)`` is ``p / (1 - p)``.
        A customer with no repeat purchase is alive for sure (BG/NBD drops
        customers only right after a purchase).
        """
        x, tx, T = self._arrays(summary)
        return pd.Series(self._p_alive(x, tx, T), index=summary.index, name="probability_alive")

    def _tail(self, x, T, t) -> tuple[np.ndarray, np.ndarray]:
        """1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t)) per distinct (x, T).

        With one dropout probability p: ``1 - ((alpha+T)/(alpha+T+p t))^(r+x)``.
        Returns each row's code and the (distinct pairs x len(t)) values: the
        hypergeometric function is evaluated once per distinct pair and horizon.
        """
        par, p = self.params_, self._common_p()
        r, alpha = par["r"], par["alpha"]
        (vx, cx), (vT, cT) = _codes(x), _codes(T)
        codes, pairs = pd.factorize(cx.astype(np.int64) * len(vT) + cT)
        ux = vx[pairs // len(vT)][:, None]
        uT = vT[pairs % len(vT)][:, None]
        t = np.atleast_1d(np.asarray(t, dtype=float))[None, :]
        if p is not None:
            return codes, 1 - ((alpha + uT) / (alpha + uT + p * t)) ** (r + ux)
        a, b = par["a"], par["b"]
        z = t / (alpha + uT + t)
        return codes, 1 - ((alpha + uT) / (alpha + uT + t)) ** (r + ux) * hyp2f1(r + ux, b + ux, a + b + ux - 1, z)

    def _scale(self, x, tx, T) -> np.ndarray:
        """P(alive) x (a + b + x - 1) / (a - 1), or P(alive) / p: the per-customer factor of the conditional expectation."""
        par, p = self.params_, self._common_p()
        if p is not None:
            return self._p_alive(x, tx, T) / p
        a, b = par["a"], par["b"]
        return (a + b + x - 1) / (a - 1) * self._p_alive(x, tx, T)

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """E[repeat purchases in the next t time units | x, t_x, T] (FHL 2005, eq. 10).

        ``P(alive) x (a + b + x - 1) / (a - 1) x [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]``; ``t`` in the model's time unit.
        With one dropout probability p: ``P(alive) / p x [1 - ((alpha + T) / (alpha + T + p t))^(r + x)]``.
        """
        if not np.isscalar(t) or not t >= 0:
            raise ValueError(f"t must be a number >= 0 (in {getattr(self, 'time_unit_', 'time unit')}s), not {t!r}.")
        x, tx, T = self._arrays(summary)
        codes, tail = self._tail(x, T, t)
        return pd.Series(self._scale(x, tx, T) * tail[codes, 0], index=summary.index, name="expected_purchases")

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] for a customer just acquired (FHL 2005, eq. 7).

        ``(a + b - 1) / (a - 1) x [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t))]``;
        with one dropout probability p: ``[1 - (alpha / (alpha + p t))^r] / p``.
        """
        self._check_fitted()
        par, p = self.params_, self._common_p()
        r, alpha = par["r"], par["alpha"]
        t = np.asarray(t, dtype=float)
        if p is not None:
            return (1 - (alpha / (alpha + p * t)) ** r) / p
        a, b = par["a"], par["b"]
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))

    def plot_probability_alive_matrix(self, ax=None, **kwargs):
        """See :func:`csm_kit.plotting.clv.plot_probability_alive_matrix`."""
        from ..plotting.clv import plot_probability_alive_matrix
        return plot_probability_alive_matrix(self, ax=ax, **kwargs)

    def plot_expected_purchases_matrix(self, t: float = 1.0, ax=None, **kwargs):
        """See :func:`csm_kit.plotting.clv.plot_expected_purchases_matrix`."""
        from ..plotting.clv import plot_expected_purchases_matrix
        return plot_expected_purchases_matrix(self, t, ax=ax, **kwargs)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return "<BetaGeoModel (not fitted)>"
        p = ", ".join(f"{k}={v:.3f}" for k, v in self.params_.items())
        common = " (one dropout probability for every customer)" if self._common_p() is not None else ""
        return f"<BetaGeoModel {p}{common}, fitted on {self.n_customers_:,} customers in {self.time_unit_}s>"


class GammaGammaModel(_UnitModel):
    """Gamma-Gamma spend model (Fader & Hardie 2013), fitted on repeat buyers.

    Each purchase's value ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across
    customers; assumes spend is independent of purchase frequency (check the
    correlation of ``frequency`` and ``monetary_value`` first).

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "gamma"}``.
    standard_errors_, log_likelihood_, converged_, time_unit_, n_customers_ (repeat buyers)

    Examples
    --------
    >>> s = simulate_bgnbd_summary(5000, r=0.5, alpha=4.0, a=0.6, b=3.0, T=52.0, seed=2, spend=(6.0, 4.0, 15.0))
    >>> m = GammaGammaModel().fit(s)
    >>> m.n_customers_ == int((s["frequency"] > 0).sum()), {k: round(v) for k, v in m.params_.items()}
    (True, {'p': 6, 'q': 4, 'gamma': 15})
    """

    param_names = ("p", "q", "gamma")

    def fit(self, summary: pd.DataFrame) -> "GammaGammaModel":
        """Maximum likelihood on the repeat buyers' (frequency, monetary_value); returns self."""
        check_summary(summary, "GammaGammaModel.fit", monetary=True)
        unit = _unit(summary)
        buyers = summary[summary["frequency"] > 0]
        if buyers.empty:
            raise ValueError("GammaGammaModel needs repeat buyers (frequency > 0); the summary has none.")
        bad = buyers["monetary_value"] <= 0
        if bad.any():
            raise ValueError(f"monetary_value must be > 0 for every repeat buyer; offending customers: "
                             f"{buyers.loc[bad, 'monetary_value'].head(5).to_dict()}")
        x, m = buyers["frequency"].to_numpy(float), buyers["monetary_value"].to_numpy(float)

        def sample(k):  # the likelihood of some buyers, their arrays built once
            xs, ms = x[k], m[k]
            return lambda theta: _gg_loglik(theta, xs, ms)

        start, hess_inv0 = _warm_start(sample, len(x), np.ones(len(x)), np.ones(3))
        _fit_by_gradient(self, lambda theta: _gg_loglik(theta, x, m), start, len(x), hess_inv0=hess_inv0)
        self.time_unit_ = unit
        self.n_customers_ = len(buyers)
        return self

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """E[value of a purchase | x, m_x] = p (gamma + x m_x) / (p x + q - 1).

        For x = 0 this is the population mean ``p gamma / (q - 1)``.
        """
        self._same_unit(summary)
        check_summary(summary, "GammaGammaModel.expected_spend", monetary=True)
        p, q, g = self.params_.values()
        x, m = summary["frequency"].to_numpy(float), summary["monetary_value"].to_numpy(float)
        return pd.Series(p * (g + x * m) / (p * x + q - 1), index=summary.index, name="expected_spend")

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return "<GammaGammaModel (not fitted)>"
        p = ", ".join(f"{k}={v:.3f}" for k, v in self.params_.items())
        return f"<GammaGammaModel {p}, fitted on {self.n_customers_:,} repeat buyers>"


def customer_lifetime_value(purchase_model: BetaGeoModel, spend_model: GammaGammaModel, summary: pd.DataFrame, *,
                            months: int = 12, annual_discount_rate: float = 0.10,
                            gross_margin: float = 1.0, days_per_month: float = 365.25 / 12) -> pd.DataFrame:
    """Discounted CLV over the next ``months`` from BG/NBD purchases and Gamma-Gamma spend.

    ``clv = sum_{i=1..H} margin x E[spend] x (E[Y(t_i)] - E[Y(t_{i-1})]) / (1 + d)^i``

    with ``t_i`` = i months in the models' time unit (a month is
    ``days_per_month`` days, 365.25 / 12 by default), ``E[Y(t)]`` the expected purchases by t given the customer's
    history, and ``d = (1 + annual_discount_rate)^(1/12) - 1``: month i's
    purchases are discounted to its end. This is the sum ``lifetimes``'
    ``customer_lifetime_value`` computes (with a month length that depended
    on a ``freq`` argument defaulting to days, and a monthly rate), here
    vectorised and in explicit units.

    Parameters
    ----------
    purchase_model : BetaGeoModel
    spend_model : GammaGammaModel
        Both fitted in the summary's time unit.
    summary : DataFrame
        RFM summary (``frequency``, ``recency``, ``T``, ``monetary_value``).
    months : int
        Horizon H in months (default 12).
    annual_discount_rate : float
        Default 0.10.
    gross_margin : float
        Fraction of spend kept (default 1: revenue).
    days_per_month : float
        Length of a month. ``lifetimes`` used 30 days with daily data and
        4.345 weeks (30.415 days) with weekly data; pass that and the annual
        equivalent of its monthly rate to reproduce its figures.

    Returns
    -------
    DataFrame
        Index as ``summary``: ``expected_purchases`` (over the horizon),
        ``expected_spend`` (per purchase), ``clv``.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 2], "recency": [0, 20.0], "T": [30.0, 30.0],
    ...                   "monetary_value": [0.0, 40.0]})
    >>> s.attrs["time_unit"] = "week"
    >>> bg, gg = BetaGeoModel(), GammaGammaModel()
    >>> bg.params_, bg.time_unit_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, "week"
    >>> gg.params_, gg.time_unit_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}, "week"
    >>> v = customer_lifetime_value(bg, gg, s, months=12, annual_discount_rate=0.0)
    >>> bool(np.allclose(v["clv"], v["expected_purchases"] * v["expected_spend"]))
    True
    """
    months = whole_number(months, "months")
    if not 0 <= gross_margin <= 1:
        raise ValueError(f"gross_margin is a fraction between 0 and 1, not {gross_margin!r}.")
    if not np.isfinite(annual_discount_rate) or annual_discount_rate < 0:
        raise ValueError(f"annual_discount_rate must be >= 0, not {annual_discount_rate!r}.")
    spend_model._same_unit(summary)
    x, tx, T = purchase_model._arrays(summary)
    unit = purchase_model.time_unit_
    month = days_per_month / DAYS_PER_UNIT[unit]
    steps = np.arange(0, int(months) + 1) * month
    # E[Y(t)] = scale(customer) x tail(x, T, t): the discounted sum of monthly increments of the tail
    # depends on (x, T) only, so it is formed per distinct pair and gathered once per customer.
    codes, tail = purchase_model._tail(x, T, steps)           # pairs x (H + 1), first column 0
    v = (1 + annual_discount_rate) ** (-np.arange(1, int(months) + 1) / 12)
    discounted = np.diff(tail, axis=1) @ v
    scale = purchase_model._scale(x, tx, T)
    spend = spend_model.expected_spend(summary).to_numpy()
    return pd.DataFrame({"expected_purchases": scale * tail[codes, -1], "expected_spend": spend,
                         "clv": gross_margin * spend * scale * discounted[codes]}, index=summary.index)


def holdout_comparison(model: BetaGeoModel, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Predicted vs actual holdout purchases, grouped by calibration frequency (FHL 2005, Figure 4).

    For each calibration ``frequency`` 0, 1, ..., ``max_frequency``+ (the last
    group pools the rest): customers, mean actual repeat purchases in the
    holdout, mean of the model's conditional expectation over the holdout
    length, and the totals. Needs a summary built with ``observation_end``
    (``frequency_holdout``, ``duration_holdout``).

    Returns
    -------
    DataFrame
        ``frequency`` (int; the last row is ``max_frequency`` and more),
        ``label`` ("7+"), ``customers``, ``actual``, ``predicted``,
        ``actual_total``, ``predicted_total``.
    """
    missing = [c for c in ("frequency_holdout", "duration_holdout") if c not in summary.columns]
    if missing:
        raise ValueError(f"holdout_comparison needs summary columns {missing}: build the summary with "
                         "rfm_summary(..., observation_end=...).")
    durations = summary["duration_holdout"].unique()
    if len(durations) != 1:
        raise ValueError(f"duration_holdout must be the same for every customer, found {durations[:5].tolist()}.")
    predicted = model.expected_purchases(summary, float(durations[0]))
    group = summary["frequency"].clip(upper=max_frequency).astype(int)
    g = pd.DataFrame({"frequency": group, "actual": summary["frequency_holdout"], "predicted": predicted})
    out = g.groupby("frequency").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                     predicted=("predicted", "mean"), actual_total=("actual", "sum"),
                                     predicted_total=("predicted", "sum")).reset_index()
    out.insert(1, "label", [f"{f}+" if f == max_frequency else str(f) for f in out["frequency"]])
    out.attrs["time_unit"] = model.time_unit_
    out.attrs["holdout_length"] = float(durations[0])
    return out


def simulate_bgnbd_summary(n_customers: int, *, r: float, alpha: float, a: float, b: float, T, seed: int = 0,
                           time_unit: str = "week", resolution: float | None = None,
                           spend: tuple[float, float, float] | None = None) -> pd.DataFrame:
    """Draw an RFM summary from the BG/NBD process at known parameters (for tests and benchmarks).

    Per customer: lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); N ~
    Poisson(lambda T) purchases would happen in (0, T] if the customer stayed;
    the customer drops out right after repeat purchase J ~ Geometric(p). So
    ``frequency = min(N, J)`` and, given N = n, the x-th purchase time is the
    x-th of n uniform order statistics on (0, T]: ``recency = T x Beta(x, n - x + 1)``.

    Parameters
    ----------
    n_customers : int
    r, alpha, a, b : float
        BG/NBD parameters (alpha in ``time_unit``\\ s).
    T : float or array
        Observation length per customer (time since first purchase).
    seed : int
    time_unit : str
        Stored in ``.attrs``.
    resolution : float, optional
        Round recency down to multiples of this (1/7 for days when the unit
        is weeks), as real transaction data are.
    spend : (p, q, gamma), optional
        Gamma-Gamma parameters: adds ``monetary_value``, the mean of x
        purchase values ~ Gamma(p, rate nu), nu ~ Gamma(q, rate gamma), i.e.
        Gamma(p x, rate nu x) (0 without repeat purchases).

    Returns
    -------
    DataFrame
        ``frequency``, ``recency``, ``T`` (and ``monetary_value``); index
        ``customer_id`` 0..n-1.

    Examples
    --------
    >>> s = simulate_bgnbd_summary(1000, r=0.243, alpha=4.414, a=0.793, b=2.426, T=39.0, seed=1)
    >>> bool((s["recency"] <= s["T"]).all()), s.attrs["time_unit"]
    (True, 'week')
    """
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n_customers,)).copy()
    lam = rng.gamma(r, 1 / alpha, n_customers)
    p = rng.beta(a, b, n_customers)
    n = rng.poisson(lam * T)
    j = rng.geometric(np.clip(p, 1e-12, 1))
    x = np.minimum(n, j)
    rep = x > 0
    tx = np.zeros(n_customers)
    tx[rep] = T[rep] * rng.beta(x[rep], n[rep] - x[rep] + 1)
    if resolution:
        tx = np.floor(tx / resolution + 1e-9) * resolution
    out = pd.DataFrame({"frequency": x, "recency": tx, "T": T}, index=pd.RangeIndex(n_customers, name="customer_id"))
    if spend is not None:
        p_, q_, g_ = spend
        nu = rng.gamma(q_, 1 / g_, n_customers)
        m = np.zeros(n_customers)
        m[rep] = rng.gamma(p_ * x[rep], 1 / (nu[rep] * x[rep]))
        out["monetary_value"] = m
    out.attrs["time_unit"] = time_unit
    return out


__all__ = ["COMMON_DROPOUT_LR_THRESHOLD", "BetaGeoModel", "GammaGammaModel", "customer_lifetime_value", "holdout_comparison",
           "simulate_bgnbd_summary"]
