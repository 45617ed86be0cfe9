"""Confidence intervals for survey metrics, and "is this change just noise?" tests.

Every survey number the kit reports carries an interval, and every
month-over-month move is checked against the noise before a report calls it
a change. The formulas are the small-sample-friendly ones from the survey
literature:

- a share (CSAT top-box, CES % easy): Wilson score interval;
- a mean rating: Student-t interval;
- an NPS: adjusted-Wald interval (Rocks 2016, "Interval estimation for the
  Net Promoter Score", *The American Statistician* 70(4));
- a change in a share: Agresti-Caffo adjusted-Wald interval for p2 - p1;
- a change in NPS: adjusted-Wald interval for NPS2 - NPS1 (Lewis & Sauro's
  two-sample form of Rocks' interval).

Units: shares are fractions in [0, 1], as in scipy; an NPS is in points,
-100 to 100, as it is defined. Every function is vectorised: pass NumPy
arrays (or Series) and get arrays back, so a table of months is one call.
scipy supplies the quantiles; the interval formulas are written out because
scipy's ``binomtest(...).proportion_ci`` works on one proportion at a time and
scipy has no NPS interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..arguments import confidence_level

__all__ = [
    "z_value",
    "wilson_interval",
    "mean_interval",
    "nps_interval",
    "ChangeTest",
    "proportion_change",
    "nps_change",
    "mean_change",
]

#: Pseudo-responses the adjusted-Wald NPS interval adds (Rocks 2016).
NPS_ADJUSTMENT = {"promoters": 0.75, "passives": 1.5, "detractors": 0.75}


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard-normal quantile for a confidence level.

    ``z = Phi^-1(1/2 + confidence/2)``; 1.96 for 95%.

    >>> round(z_value(0.95), 4)
    1.96
    """
    return float(stats.norm.ppf(0.5 + confidence_level(confidence) / 2))


def _out(*arrays):
    """Return plain floats for scalar input, arrays otherwise."""
    res = tuple(float(a) if np.ndim(a) == 0 else a for a in arrays)
    return res if len(res) > 1 else res[0]


def _counts(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if np.any(arr < 0) or np.any(~np.isfinite(arr)):
        raise ValueError(f"{name} must be finite counts >= 0, got {values!r}.")
    return arr


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for a proportion ``successes / n``.

    With ``p = k/n`` and ``z`` the normal quantile::

        centre = (p + z^2/(2n)) / (1 + z^2/n)
        half   = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2))

    Unlike the textbook Wald interval ``p +/- z sqrt(p(1-p)/n)`` it never
    leaves [0, 1], is not zero-width at 0% or 100%, and always contains
    ``p``. Alternatives (not offered): Clopper-Pearson (exact, wider),
    Agresti-Coull.

    Parameters
    ----------
    successes, n : int or array-like
        Number of "yes" answers and number of answers (``0 <= successes <= n``).
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    (low, high) : floats or arrays
        Bounds as fractions in [0, 1]; NaN where ``n == 0``.

    Examples
    --------
    30 satisfied out of 50 (60%):

    >>> low, high = wilson_interval(30, 50)
    >>> round(low, 4), round(high, 4)
    (0.4618, 0.7239)
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    k, n = _counts("successes", successes), _counts("n", n)
    if np.any(k > n):
        raise ValueError("successes cannot exceed n.")
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # At 0 and n successes the bounds are exactly 0 and 1; say so rather than leave rounding dust.
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    empty = n == 0
    low, high = np.where(empty, np.nan, low), np.where(empty, np.nan, high)
    return _out(low, high)


def mean_interval(mean, sd, n, confidence: float = 0.95):
    """Student-t interval for a mean rating: ``mean +/- t(n-1) * sd / sqrt(n)``.

    ``sd`` is the sample standard deviation (``ddof=1``). Undefined (NaN)
    for fewer than 2 answers; zero width when every answer is the same.

    Parameters
    ----------
    mean, sd, n : float or array-like
        Sample mean, sample standard deviation and number of answers.
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : floats or arrays
        In the rating's own units (not clipped to the scale).

    Examples
    --------
    >>> low, high = mean_interval(3.5, 1.0, 50)
    >>> round(low, 3), round(high, 3)
    (3.216, 3.784)
    >>> mean_interval(4.0, float("nan"), 1)
    (nan, nan)
    """
    conf = confidence_level(confidence)
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = stats.t.ppf(0.5 + conf / 2, np.where(n >= 2, n - 1, np.nan))
        half = t * sd / np.sqrt(n)
    low = np.where(n >= 2, mean - half, np.nan)
    high = np.where(n >= 2, mean + half, np.nan)
    return _out(low, high)


def _adjusted_nps(promoters, passives, detractors):
    """Adjusted NPS (as a fraction), its standard error, and raw n (Rocks 2016)."""
    P = _counts("promoters", promoters)
    A = _counts("passives", passives)
    D = _counts("detractors", detractors)
    n = P + A + D
    n_adj = n + sum(NPS_ADJUSTMENT.values())  # n + 3
    p = (P + NPS_ADJUSTMENT["promoters"]) / n_adj
    d = (D + NPS_ADJUSTMENT["detractors"]) / n_adj
    centre = p - d
    # Var(p - d) for one multinomial sample: (p + d - (p - d)^2) / n.
    se = np.sqrt((p + d - centre**2) / n_adj)
    return centre, se, n


def nps_interval(promoters, passives, detractors, confidence: float = 0.95):
    """Adjusted-Wald confidence interval for a Net Promoter Score, in points.

    Add 3 pseudo-responses (0.75 promoter, 1.5 passive, 0.75 detractor),
    then with ``n' = n + 3``, ``p' = (P + 0.75)/n'``, ``d' = (D + 0.75)/n'``::

        NPS' = p' - d'
        se   = sqrt((p' + d' - NPS'^2) / n')
        interval = 100 * (NPS' +/- z se), clipped to [-100, 100]

    Rocks (2016) found this the best of six methods for coverage and width
    on small samples. Alternatives (not offered): trinomial-mean Wald
    interval, bootstrap.

    The adjustment pulls the centre towards 0, so on tiny unanimous samples
    (a single response at 95%; up to 4 at 90%; more at lower levels) the
    interval would miss the observed score; there the near end is extended
    to the observed score, so an interval always contains it.

    Parameters
    ----------
    promoters, passives, detractors : int or array-like
        Counts of answers 9-10, 7-8 and 0-6.
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : floats or arrays
        NPS points in [-100, 100]; NaN where there are no responses.

    Examples
    --------
    50 promoters, 30 passives, 20 detractors (NPS +30):

    >>> low, high = nps_interval(50, 30, 20)
    >>> round(low, 1), round(high, 1)
    (14.1, 44.2)
    """
    z = z_value(confidence)
    centre, se, n = _adjusted_nps(promoters, passives, detractors)
    P, D = np.asarray(promoters, dtype=float), np.asarray(detractors, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = 100 * (P - D) / n
    low = np.clip(100 * (centre - z * se), -100, 100)
    high = np.clip(100 * (centre + z * se), -100, 100)
    low, high = np.fmin(low, observed), np.fmax(high, observed)
    empty = n == 0
    return _out(np.where(empty, np.nan, low), np.where(empty, np.nan, high))


@dataclass(frozen=True)
class ChangeTest:
    """A two-sample comparison: is ``after`` really different from ``before``?

    Attributes
    ----------
    before, after : float
        The two estimates (fractions for shares and means in their units,
        points for NPS), as observed.
    change : float
        ``after - before``, as observed.
    ci_low, ci_high : float
        Confidence interval for the true change (see ``convention``).
    p_value : float
        Two-sided p-value of "no change", from the same standard error, so
        ``p_value < 1 - confidence`` exactly when the interval excludes 0.
    within_noise : bool
        True when the interval contains 0 (or a sample is empty): the move
        cannot be told apart from sampling noise and a report should not
        call it a change.
    n_before, n_after : int
        Sample sizes.
    confidence : float
    convention : str
        The method, for printing beside the result.
    """

    before: float
    after: float
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    within_noise: bool
    n_before: int
    n_after: int
    confidence: float
    convention: str


def _change_test(before, after, centre, se, n1, n2, confidence, convention, scale=1.0) -> ChangeTest:
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = scale * (centre - z * se), scale * (centre + z * se)
        p_value = 2 * stats.norm.sf(np.abs(centre / se))
    empty = (np.asarray(n1) == 0) | (np.asarray(n2) == 0)
    low, high, p_value = (np.where(empty, np.nan, a) for a in (low, high, p_value))
    within = empty | ((low <= 0) & (high >= 0))
    as_out = lambda a: float(a) if np.ndim(a) == 0 else a  # noqa: E731
    return ChangeTest(
        before=as_out(before), after=as_out(after), change=as_out(np.asarray(after) - np.asarray(before)),
        ci_low=as_out(low), ci_high=as_out(high), p_value=as_out(p_value),
        within_noise=bool(within) if np.ndim(within) == 0 else within,
        n_before=int(n1) if np.ndim(n1) == 0 else n1, n_after=int(n2) if np.ndim(n2) == 0 else n2,
        confidence=confidence, convention=convention,
    )


def proportion_change(successes_before, n_before, successes_after, n_after, *, confidence: float = 0.95) -> ChangeTest:
    """Test whether a share (e.g. CSAT top-box) moved beyond sampling noise.

    Agresti-Caffo adjusted-Wald interval for ``p2 - p1``: add one success
    and one failure to each sample, ``p~ = (k + 1) / (n + 2)``, then::

        diff = p~2 - p~1
        se   = sqrt(p~1(1-p~1)/(n1+2) + p~2(1-p~2)/(n2+2))
        interval = diff +/- z se

    Good coverage even for small samples and shares near 0% or 100%, where
    the plain Wald interval fails. Samples are assumed independent (two
    different months' respondents).

    Parameters
    ----------
    successes_before, n_before, successes_after, n_after : int or array-like
        The two samples' "yes" counts and sizes.
    confidence : float, default 0.95

    Returns
    -------
    ChangeTest
        ``before``, ``after``, ``change`` as observed fractions; interval
        in fractions (0.05 = 5 percentage points).

    Examples
    --------
    CSAT 60% of 50 in May, 70% of 50 in June:

    >>> t = proportion_change(30, 50, 35, 50)
    >>> round(t.change, 2), t.within_noise
    (0.1, True)
    >>> round(t.ci_low, 3), round(t.ci_high, 3)
    (-0.087, 0.279)
    """
    k1, n1 = _counts("successes_before", successes_before), _counts("n_before", n_before)
    k2, n2 = _counts("successes_after", successes_after), _counts("n_after", n_after)
    if np.any(k1 > n1) or np.any(k2 > n2):
        raise ValueError("successes cannot exceed n.")
    with np.errstate(divide="ignore", invalid="ignore"):
        before, after = k1 / n1, k2 / n2
    p1, p2 = (k1 + 1) / (n1 + 2), (k2 + 1) / (n2 + 2)
    se = np.sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2))
    conv = f"change in share, {confidence:.0%} Agresti-Caffo adjusted-Wald interval; within noise if it contains 0"
    return _change_test(before, after, p2 - p1, se, n1, n2, confidence_level(confidence), conv)


def nps_change(before, after, *, confidence: float = 0.95) -> ChangeTest:
    """Test whether an NPS moved beyond sampling noise.

    Each sample gets the adjusted-Wald treatment of :func:`nps_interval`
    (``n + 3``, 0.75 pseudo-promoter and 0.75 pseudo-detractor); with
    ``NPS'`` and ``se`` the adjusted score and standard error of each::

        diff = NPS'2 - NPS'1
        interval = 100 * (diff +/- z sqrt(se1^2 + se2^2))

    (Lewis & Sauro's two-sample test built on Rocks 2016.) Samples are
    assumed independent.

    Parameters
    ----------
    before, after : NPSResult or (promoters, passives, detractors)
        The two samples, as results of :func:`csm_kit.metrics.nps` or
        counts (scalars or arrays).
    confidence : float, default 0.95

    Returns
    -------
    ChangeTest
        In NPS points.

    Examples
    --------
    +30 on 100 responses, then +40 on 100 (60/20/20):

    >>> t = nps_change((50, 30, 20), (60, 20, 20))
    >>> t.change, t.within_noise
    (10.0, True)
    >>> round(t.ci_low, 1), round(t.ci_high, 1)
    (-11.9, 31.3)
    """
    counts = []
    for name, sample in (("before", before), ("after", after)):
        if hasattr(sample, "promoters"):
            sample = (sample.promoters, sample.passives, sample.detractors)
        if len(sample) != 3:
            raise ValueError(f"{name} must be an NPSResult or (promoters, passives, detractors), got {sample!r}.")
        counts.append(sample)
    (c1, se1, n1), (c2, se2, n2) = _adjusted_nps(*counts[0]), _adjusted_nps(*counts[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = [100 * (np.asarray(c[0], float) - np.asarray(c[2], float)) / n for c, n in ((counts[0], n1), (counts[1], n2))]
    conv = f"change in NPS points, {confidence:.0%} adjusted-Wald interval (n+3 per sample); within noise if it contains 0"
    return _change_test(observed[0], observed[1], c2 - c1, np.sqrt(se1**2 + se2**2), n1, n2,
                        confidence_level(confidence), conv, scale=100.0)


def mean_change(before, after, *, confidence: float = 0.95) -> ChangeTest:
    """Test whether a mean rating (CSAT mean, CES mean) moved beyond noise.

    Welch's two-sample t-test (unequal variances), via
    :func:`scipy.stats.ttest_ind`; the interval is for ``mean2 - mean1``.

    Parameters
    ----------
    before, after : array-like of numbers
        The individual ratings of each sample. With fewer than 2 ratings in
        a sample, or no spread in either, the test is undefined: NaN
        interval and ``within_noise=True``.
    confidence : float, default 0.95

    Returns
    -------
    ChangeTest
        In the rating's units.

    Examples
    --------
    >>> t = mean_change([5, 4, 4, 3, 5], [2, 3, 2, 3, 2])
    >>> round(t.change, 2), t.within_noise
    (-1.8, False)
    """
    conf = confidence_level(confidence)
    a, b = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("mean_change: ratings contain missing values; drop them explicitly first.")
    m1 = float(a.mean()) if len(a) else np.nan
    m2 = float(b.mean()) if len(b) else np.nan
    conv = f"change in mean, {conf:.0%} Welch t interval; within noise if it contains 0"
    # Too few ratings, or no spread in either sample: the t statistic is undefined; claim no change.
    if len(a) < 2 or len(b) < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return ChangeTest(m1, m2, m2 - m1, np.nan, np.nan, np.nan, True, len(a), len(b), conf, conv)
    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(conf)
    low, high, p = float(ci.low), float(ci.high), float(res.pvalue)
    within = bool(low <= 0 <= high)
    return ChangeTest(m1, m2, m2 - m1, low, high, p, within, len(a), len(b), conf, conv)
