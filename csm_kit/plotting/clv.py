"""Charts of the CLV page: ``plot_x(model, ..., ax=None) -> Axes``, in the kit's style.

Each function draws on ``ax`` (a new figure when None), titles the chart,
labels both axes with units, and returns the Axes. Call
:func:`csm_kit.plotting.use_style` once first for the kit's look. The
``plot_*_part`` functions take a part of :func:`csm_kit.models.clv_report.clv_analysis`
and draw nothing (return None) when that part is not available: the page
shows its reason instead.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import pandas as pd

from ..models.clv_nc import holdout_comparison
from .style import PALETTE, axes, log_count_axis


def plot_sbg_projection(model, periods: int | None = None, ax=None, actual=None, **kwargs):
    """sBG projected survivors (line) against the counts it was fitted on (points).

    Pass ``actual`` (survivor counts from period 0, longer than the fit) to
    show the held-out counts beyond the fitted span as open points: the
    test of a projection.

    Parameters
    ----------
    model : ShiftedBetaGeoModel
        Fitted.
    periods : int, optional
        Project this many periods (default: twice the fitted span).
    ax : matplotlib Axes, optional
    actual : array-like, optional
        Survivor counts from period 0, including periods not fitted.
    **kwargs
        Passed to the projection line.

    Returns
    -------
    Axes
        Lines: fitted counts, projection, a dotted divider where the fit
        ends, and (with ``actual``) the held-out counts.

    Examples
    --------
    >>> from csm_kit.models import ShiftedBetaGeoModel
    >>> m = ShiftedBetaGeoModel(time_unit="year").fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> ax = plot_sbg_projection(m, 12)
    >>> ax.get_xlabel()
    'years since the start'
    >>> plt.close("all")
    """
    model._check_fitted()
    fitted = len(model.survivors_) - 1
    held = None if actual is None else np.asarray(actual, dtype=float)[fitted + 1:]
    default = 2 * fitted if held is None else max(2 * fitted, fitted + len(held))
    p = model.projection(periods if periods is not None else default)
    ax = axes(ax)
    ax.plot(p["period"], p["actual"], "o", color=PALETTE[0], label="actual survivors (fitted)")
    ax.plot(p["period"], p["projected"], "-", color=PALETTE[1], label="sBG projection", **kwargs)
    ax.axvline(fitted, color="grey", linestyle=":", linewidth=1)
    if held is not None and len(held):
        ax.plot(np.arange(fitted + 1, fitted + 1 + len(held)), held, "o", markerfacecolor="white",
                color=PALETTE[0], label="actual survivors (held out)")
    ax.annotate("fitted | projected", (fitted, 0.97), xycoords=("data", "axes fraction"), ha="center",
                fontsize=9, color="grey")
    g, d = model.params_["gamma"], model.params_["delta"]
    ax.set_title(f"Retention projected by the sBG model (gamma {g:.2f}, delta {d:.2f})")
    ax.set_xlabel(f"{model.time_unit}s since the start")
    ax.set_ylabel("customers still active")
    ax.set_ylim(0, None)
    ax.legend()
    return ax


def _grid(model, max_frequency, max_recency):
    """Every (frequency, recency) pair for a customer observed for T = max_recency units."""
    f = np.arange(int(max_frequency) + 1)
    rec = np.arange(int(np.floor(max_recency)) + 1, dtype=float)
    ff, rr = np.meshgrid(f, rec)
    grid = pd.DataFrame({"frequency": ff.ravel(), "recency": np.where(ff.ravel() == 0, 0.0, rr.ravel()),
                         "T": float(max_recency)})
    grid.attrs["time_unit"] = model.time_unit_
    return grid, f, rec


def _heatmap(ax, values, f, rec, cmap, label):
    im = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest",
                   extent=(f[0] - 0.5, f[-1] + 0.5, rec[0] - 0.5, rec[-1] + 0.5))
    ax.figure.colorbar(im, ax=ax, label=label)
    ax.grid(False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return im


def plot_probability_alive_matrix(model, max_frequency: int | None = None, T: float | None = None, ax=None,
                                  cmap: str = "viridis"):
    """P(alive) for every frequency (x) and recency (y) of a customer observed for T time units.

    Customers with many purchases and no recent one are most likely gone
    (bottom right); recent buyers are alive (top).

    Parameters
    ----------
    model : BetaGeoModel
        Fitted (its largest calibration T and frequency are the defaults).
    max_frequency, T : optional
    ax : Axes, optional
    cmap : str

    Returns
    -------
    Axes
        One image and a colour bar.
    """
    model._check_fitted()
    T = model.max_T_ if T is None else T
    grid, f, rec = _grid(model, model.max_frequency_ if max_frequency is None else max_frequency, T)
    values = model.probability_alive(grid).to_numpy().reshape(len(rec), len(f))
    values[:, 0] = 1.0
    ax = axes(ax)
    _heatmap(ax, values, f, rec, cmap, "probability still active")
    ax.set_title(f"Probability a customer is still active, {T:.3g} {model.time_unit_}s after the first purchase")
    ax.set_xlabel("repeat purchases (frequency)")
    ax.set_ylabel(f"{model.time_unit_}s from first to last purchase (recency)")
    return ax


def plot_expected_purchases_matrix(model, t: float = 1.0, max_frequency: int | None = None, T: float | None = None,
                                   ax=None, cmap: str = "magma"):
    """Expected purchases in the next ``t`` time units for every frequency (x) and recency (y).

    Returns
    -------
    Axes
        One image and a colour bar.
    """
    model._check_fitted()
    T = model.max_T_ if T is None else T
    grid, f, rec = _grid(model, model.max_frequency_ if max_frequency is None else max_frequency, T)
    values = model.expected_purchases(grid, t).to_numpy().reshape(len(rec), len(f))
    ax = axes(ax)
    _heatmap(ax, values, f, rec, cmap, f"expected purchases in the next {t:g} {model.time_unit_}s")
    ax.set_title(f"Expected purchases in the next {t:g} {model.time_unit_}s, by frequency and recency")
    ax.set_xlabel("repeat purchases (frequency)")
    ax.set_ylabel(f"{model.time_unit_}s from first to last purchase (recency)")
    return ax


def plot_holdout_comparison(model, summary: pd.DataFrame, max_frequency: int = 7, ax=None):
    """Mean actual vs predicted holdout purchases by calibration frequency (FHL 2005, Fig. 4).

    Returns
    -------
    Axes
        Two lines (actual, predicted), one point per frequency group.
    """
    table = holdout_comparison(model, summary, max_frequency=max_frequency)
    ax = axes(ax)
    ax.plot(table["frequency"], table["actual"], "o-", color=PALETTE[0], label="actual")
    ax.plot(table["frequency"], table["predicted"], "s--", color=PALETTE[1], label="BG/NBD prediction")
    ax.set_xticks(table["frequency"], table["label"])
    length = table.attrs["holdout_length"]
    ax.set_title(f"Holdout purchases, predicted vs actual ({length:g} {model.time_unit_}s)")
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases per customer in the holdout")
    ax.legend()
    return ax


def plot_clv_distribution(model, ax=None, currency: str = "USD", log: bool | None = None, **kwargs):
    """CLV per customer by segment: boxes (middle half, whiskers to 1.5 IQR, outliers hidden) and the
    mean with its bootstrap interval.

    Parameters
    ----------
    model : SurvivalCLV
        Fitted.
    ax : Axes, optional
    currency : str
        Unit shown on the axis.
    log : bool, optional
        Log scale for CLV; by default when the segment medians differ more
        than 20-fold (enterprise and SMB on one readable chart).

    Returns
    -------
    Axes
        One box per segment ("all" left out when there are segments) and one
        error-bar series of the means.

    Examples
    --------
    >>> from csm_kit.models import SurvivalCLV
    >>> s = pd.DataFrame({1: [0.9, 0.8, 0.95], 2: [0.8, 0.6, 0.9]}, index=["a", "b", "c"])
    >>> m = SurvivalCLV(horizon_months=2, n_bootstrap=50).fit(s, pd.Series({"a": 10.0, "b": 20.0, "c": 5.0}),
    ...                                                       pd.Series({"a": "smb", "b": "smb", "c": "ent"}))
    >>> [t.get_text() for t in plot_clv_distribution(m).get_yticklabels()]
    ['ent', 'smb']
    >>> plt.close("all")
    """
    model._check_fitted()
    seg = model.by_segment_
    if len(seg) > 1:
        seg = seg[seg["segment"] != "all"]
    names = seg["segment"].tolist()
    clv = model.clv_
    data = [clv["clv"].to_numpy() if n == "all" else clv.loc[clv["segment"] == n, "clv"].to_numpy() for n in names]
    ax = axes(ax)
    y = np.arange(len(names))
    ax.boxplot(data, positions=y, orientation="horizontal", widths=0.5, showfliers=False, patch_artist=True,
               boxprops={"facecolor": PALETTE[0], "alpha": 0.35}, medianprops={"color": PALETTE[0]}, **kwargs)
    lo, hi = seg["clv_mean_low"].to_numpy(), seg["clv_mean_high"].to_numpy()
    mean = seg["clv_mean"].to_numpy()
    err = np.vstack([mean - lo, hi - mean]) if np.isfinite(lo).all() else None
    ax.errorbar(mean, y, xerr=err, fmt="D", color=PALETTE[1], capsize=4, label=f"mean, {model.confidence:.0%} bootstrap interval")
    ax.set_yticks(y, names)
    medians = seg["clv_median"].to_numpy()
    if log is None:
        log = bool(len(medians) > 1 and medians.min() > 0 and medians.max() / medians.min() > 20)
    if log:
        log_count_axis(ax, axis="x")
    ax.set_title(f"Customer lifetime value by segment, next {model.horizon_months} months")
    ax.set_xlabel(f"CLV per customer ({currency}, discounted{', log scale' if log else ''})")
    ax.set_ylabel("segment")
    ax.legend(loc="best")
    return ax


# -- parts of the CLV page -------------------------------------------------------------

def plot_clv_part(analysis, ax=None):
    """The survival-CLV distribution of :func:`~csm_kit.models.clv_report.clv_analysis` (None when unavailable)."""
    if analysis.survival_clv is None:
        return None
    return plot_clv_distribution(analysis.survival_clv, ax=ax, currency=analysis.currency)


def plot_sbg_part(analysis, ax=None):
    """The sBG cohort projection with its held-out months (None when the model could not be fitted)."""
    if analysis.sbg is None:
        return None
    ax = plot_sbg_projection(analysis.sbg, ax=ax, actual=analysis.sbg_counts)
    ax.set_title(analysis.sbg_title)
    return ax


def plot_holdout_part(analysis, ax=None):
    """BG/NBD holdout check by calibration frequency (None when the test could not run)."""
    if analysis.bgnbd_test is None:
        return None
    return plot_holdout_comparison(analysis.bgnbd_test, analysis.calibration_summary, ax=ax)


def plot_alive_part(analysis, ax=None):
    """Probability still active by frequency and recency of the forward BG/NBD fit (None when not fitted)."""
    if analysis.bgnbd is None:
        return None
    return plot_probability_alive_matrix(analysis.bgnbd, max_frequency=min(analysis.bgnbd.max_frequency_, 20), ax=ax)
