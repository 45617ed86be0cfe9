"""Charts of the churn-risk engine: predicted against observed churners by decile of risk.

``plot_calibration(result, ax=None) -> Axes`` takes a
:class:`~csm_kit.models.RiskBacktest` (or a page part holding its
calibration table); for a part that is not available it draws nothing and
returns None (the page shows the reason).
"""
from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401  (the doctests close their figures with it)
import numpy as np

from .style import axes, colours


def plot_calibration(result, ax=None):
    """Predicted (sum of ``p_churn``) and observed churners per decile of risk, side by side.

    A calibrated forecast has the two bars of each decile about equal; the
    title gives the totals and the AUC.

    >>> import pandas as pd
    >>> from csm_kit.models.risk import calibration_table
    >>> from csm_kit.metrics.pages import PagePart
    >>> cal = calibration_table([0.1, 0.2, 0.8, 0.9], [False, False, True, False], bins=2)
    >>> plot_calibration(PagePart(frame=cal, values={"predicted": 2.0, "observed": 1, "auc": 0.67})).get_title()
    'Expected 2.0 churners, observed 1 (AUC 0.67)'
    >>> plt.close("all")
    """
    if hasattr(result, "available"):
        if not result.available:
            return None
        cal, v = result.frame, result.values
        predicted, observed, auc = v["predicted"], v["observed"], v.get("auc")
    else:
        cal, predicted, observed, auc = result.calibration, result.predicted, result.observed, result.auc
    ax = axes(ax)
    x = np.arange(len(cal))
    blue, orange = colours(2)
    ax.bar(x - 0.2, cal["predicted"], width=0.4, color=blue, label="expected (sum of probabilities)")
    ax.bar(x + 0.2, cal["observed"], width=0.4, color=orange, label="observed churners")
    ax.set_xticks(x, [str(d) for d in cal["decile"]])
    auc_text = "" if auc is None or not np.isfinite(auc) else f" (AUC {auc:.2f})"
    ax.set(title=f"Expected {predicted:,.1f} churners, observed {observed:,}{auc_text}",
           xlabel="Decile of predicted risk (1 = safest)", ylabel="Churners")
    ax.legend(loc="upper left")
    return ax
