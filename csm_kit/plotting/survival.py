"""Charts of the survival and churn-drivers page: ``plot_x(result, ax=None) -> Axes``, in the kit's style.

Each function draws on ``ax`` (a new figure when None), titles the chart,
labels both axes with units, and returns the Axes; given nothing to draw (a
part of :func:`csm_kit.models.survival_report.survival_analysis` that is not
available) it draws nothing and returns None, and the page shows the reason.
"""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from .style import PALETTE, colours


def _axes(ax, height: float | None = None):
    if ax is not None:
        return ax
    width, default = plt.rcParams["figure.figsize"]
    return plt.subplots(figsize=(width, height or default))[1]


def plot_retention(curves, ax=None, *, ci: bool = True, at_risk_counts: bool = True, title: str | None = None,
                   legend: bool | None = None):
    """Kaplan-Meier retention curves of a fitted RetentionCurves, with bands and at-risk counts under the chart.

    One colour per group (:func:`csm_kit.plotting.colours`, any number of
    groups); the legend is left out for a single curve unless ``legend=True``.

    Examples
    --------
    >>> import pandas as pd
    >>> from csm_kit.models import RetentionCurves
    >>> t = pd.DataFrame({"tenure": [1.0, 2, 3, 4], "churned": True, "g": list("aabb"), "time_unit": "month"})
    >>> ax = plot_retention(RetentionCurves(by="g").fit(t))
    >>> ax.get_xlabel(), len(ax.get_legend().get_texts())
    ('Tenure (months)', 2)
    >>> plot_retention(None) is None
    True
    >>> plt.close("all")
    """
    if curves is None:
        return None
    from lifelines.plotting import add_at_risk_counts

    curves._check_fitted()
    ax = _axes(ax)
    palette = colours(len(curves.fitters_))
    for colour, (g, kmf) in zip(palette, curves.fitters_.items()):
        kmf.plot_survival_function(ax=ax, ci_show=ci, color=colour, label=str(g))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_xlabel(f"Tenure ({curves.unit_}s)")
    ax.set_ylabel("Share still paying")
    ax.set_title(title or ("Retention (Kaplan-Meier)" + (f" by {curves.by}" if curves.by else "")))
    show_legend = len(curves.fitters_) > 1 if legend is None else legend
    if not show_legend and ax.get_legend() is not None:
        ax.get_legend().remove()
    if at_risk_counts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constrained layout notices the table drawn outside the axes
            add_at_risk_counts(*curves.fitters_.values(), ax=ax, rows_to_show=["At risk"])
    return ax


def plot_hazard_ratios(drivers, ax=None, *, title: str | None = None):
    """Forest plot of a fitted ChurnDrivers: hazard ratio and interval per covariate on a log axis.

    Significant ratios above 1 (raise churn) in red, below 1 in blue; the
    others grey.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from csm_kit.models import ChurnDrivers
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200)
    >>> t = pd.DataFrame({"tenure": rng.exponential(10 * np.exp(-x)), "churned": True, "x": x, "time_unit": "month"})
    >>> ax = plot_hazard_ratios(ChurnDrivers(covariates=["x"], discrete=False).fit(t))
    >>> ax.get_xscale(), [t.get_text() for t in ax.get_yticklabels()]
    ('log', ['x'])
    >>> plt.close("all")
    """
    if drivers is None:
        return None
    s = drivers.summary.sort_values("hazard_ratio")
    ax = _axes(ax, height=0.4 * len(s) + 1.6)
    y = np.arange(len(s))
    colour = np.where(s["significant"], np.where(s["hazard_ratio"] > 1, PALETTE[3], PALETTE[0]), PALETTE[7])
    ax.hlines(y, s["hr_ci_low"], s["hr_ci_high"], colors=list(colour), linewidth=2)
    ax.scatter(s["hazard_ratio"], y, c=list(colour), zorder=3, s=36)
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.set_xscale("log")
    plain = mticker.FuncFormatter(lambda v, _: f"{v:g}")  # 0.5, 1, 2 rather than 5 x 10^-1
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.set_yticks(y, [drivers.label(c) for c in s.index])
    ax.set_xlabel(f"Hazard ratio (log scale; {1 - drivers.alpha:.0%} interval); > 1 raises churn risk")
    ax.set_title(title or "Churn drivers (Cox proportional hazards)")
    return ax


def plot_calibration(validation, ax=None, *, unit: str = "month"):
    """Predicted against observed churn by band of predicted risk (a holdout's :class:`Validation`).

    Observed churn is Kaplan-Meier within the horizon, with its 95% band as
    error bars; the dashed diagonal is perfect calibration.

    Examples
    --------
    >>> import pandas as pd
    >>> from csm_kit.models.churn_drivers import Validation
    >>> cal = pd.DataFrame({"bin": [1, 2], "customers": [50, 50], "predicted": [0.05, 0.2],
    ...                     "observed": [0.06, 0.18], "observed_ci_low": [0.02, 0.1], "observed_ci_high": [0.1, 0.26]})
    >>> v = Validation(0.7, 0.1, 0.12, cal, 3.0, 100, 20)
    >>> plot_calibration(v).get_xlabel()
    'Predicted churn probability (%)'
    >>> plt.close("all")
    """
    if validation is None:
        return None
    cal = validation.calibration
    ax = _axes(ax)
    low = 100 * (cal["observed"] - cal["observed_ci_low"]).clip(lower=0)
    high = 100 * (cal["observed_ci_high"] - cal["observed"]).clip(lower=0)
    ax.errorbar(100 * cal["predicted"], 100 * cal["observed"], yerr=[low, high], fmt="o", color=PALETTE[0],
                capsize=3, label="held-out customers, by band of predicted risk")
    top = 100 * max(cal["predicted"].max(), cal["observed_ci_high"].max()) * 1.05
    ax.plot([0, top], [0, top], ls="--", color="grey", label="perfect calibration")
    ax.set_title(f"Predicted vs observed churn within {validation.horizon:g} {unit}s (holdout)")
    ax.set_xlabel("Predicted churn probability (%)")
    ax.set_ylabel("Observed churn (%, Kaplan-Meier)")
    ax.legend(loc="upper left")
    return ax
