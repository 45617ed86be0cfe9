"""Charts of the health page, drawn from :func:`csm_kit.metrics.health_page.health_page` parts.

Every function is ``plot_x(part, ax=None) -> Axes``; for a part that is not
available it draws nothing and returns None (the page shows the part's reason).
Band colours come from :data:`~csm_kit.plotting.style.BAND_COLOURS`; measures
get :func:`~csm_kit.plotting.style.colours` after skipping red and green (those
mean bands here).
"""
from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401  (the doctests close their figures with it)
import matplotlib.ticker as mticker
import numpy as np

from .style import BAND_COLOURS, PALETTE, axes, colours, month_axis

BANDS = ("red", "yellow", "green")


def _measure_colours(n: int) -> list:
    """Colours for n measures, avoiding the band colours (red, green)."""
    pool = [c for c in PALETTE if c not in (BAND_COLOURS["red"], BAND_COLOURS["green"], PALETTE[2], PALETTE[3])]
    return pool[:n] if n <= len(pool) else pool + colours(n + len(PALETTE))[len(PALETTE):][: n - len(pool)]


def plot_score_distribution(part, ax=None):
    """Histogram of the month's scores, stacked by band, with the band cut points dashed.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> s = pd.DataFrame({"score": [10.0, 50, 90, 95], "band": ["red", "yellow", "green", "green"]})
    >>> plot_score_distribution(PagePart(frame=s, values={"bands": (40, 70), "month": "2026-10"})).get_title()
    '50% of paying accounts are green, 25% red (2026-10)'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    s = part.frame
    low, high = part.values["bands"]
    ax.hist([s.loc[s["band"] == b, "score"] for b in BANDS], bins=np.arange(0, 105, 5), stacked=True,
            color=[BAND_COLOURS[b] for b in BANDS], label=list(BANDS))
    for cut in (low, high):
        ax.axvline(cut, color="grey", linestyle="--", linewidth=1)
    share = s["band"].value_counts(normalize=True)
    ax.set(title=f"{share.get('green', 0):.0%} of paying accounts are green, {share.get('red', 0):.0%} red "
                 f"({part.values['month']})", xlabel="Health score (0-100, higher is healthier)", ylabel="Accounts",
           xlim=(0, 100))
    ax.legend(title="Band", loc="upper left")
    return ax


def plot_band_trend(part, ax=None):
    """Share of paying accounts in each band at each month end (stacked areas).

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> t = pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01"]), "red": [0.2, 0.1],
    ...                   "yellow": [0.3, 0.3], "green": [0.5, 0.6]})
    >>> tuple(float(v) for v in plot_band_trend(PagePart(frame=t)).get_ylim())
    (0.0, 1.0)
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    t = part.frame
    ax.stackplot(t["month"], *[t[b] for b in BANDS], colors=[BAND_COLOURS[b] for b in BANDS], labels=list(BANDS),
                 alpha=0.9)
    ax.set(title="Share of paying accounts in each health band, month ends", xlabel="Month",
           ylabel="Share of scored accounts", ylim=(0, 1))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    month_axis(ax)
    ax.legend(title="Band", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_bands_by_segment(part, ax=None):
    """Band shares per segment, one horizontal bar per segment, shares written inside.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> t = pd.DataFrame({"segment": ["smb", "<b>x</b>"], "red": [0.2, 0.1], "yellow": [0.3, 0.3],
    ...                   "green": [0.5, 0.6]})
    >>> [t.get_text() for t in plot_bands_by_segment(PagePart(frame=t)).get_yticklabels()]
    ['smb', '<b>x</b>']
    >>> plt.close("all")
    """
    if not part.available:
        return None
    t = part.frame
    ax = axes(ax, height=max(2.5, 0.5 * len(t) + 1.5))
    left = np.zeros(len(t))
    y = np.arange(len(t))
    for b in BANDS:
        ax.barh(y, t[b], left=left, color=BAND_COLOURS[b], label=b)
        for yi, (x0, w) in enumerate(zip(left, t[b])):
            if w >= 0.06:
                ax.text(x0 + w / 2, yi, f"{w:.0%}", ha="center", va="center", color="white", fontweight="bold")
        left += t[b].to_numpy()
    ax.set_yticks(y, [str(s) for s in t["segment"]])
    ax.set(title="Health bands by segment", xlabel="Share of the segment's paying accounts", xlim=(0, 1))
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.legend(title="Band", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_contributions(part, ax=None):
    """Average contribution of each measure to the score, per band: the bars add up to the band's mean score.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> t = pd.DataFrame({"band": ["red", "yellow", "green"], "usage": [5.0, 20, 40], "renewal": [10.0, 30, 50]})
    >>> [float(round(b.get_width(), 1)) for b in plot_contributions(PagePart(frame=t)).patches][:3]
    [5.0, 20.0, 40.0]
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    t = part.frame.set_index("band")
    names = list(t.columns)
    left = np.zeros(len(t))
    for name, colour in zip(names, _measure_colours(len(names))):
        ax.barh(list(t.index), t[name], left=left, color=colour, label=name.replace("_", " "))
        left += t[name].to_numpy()
    ax.bar_label(ax.containers[-1], labels=[f"score {v:.0f}" for v in left], padding=4)
    ax.invert_yaxis()
    ax.set(title="Average contribution of each measure to the score, by band", xlabel="Points of the score (0-100)",
           ylabel="Band", xlim=(0, 115))
    ax.legend(title="Measure", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_backtest(part, ax=None):
    """Churn rate in the horizon after scoring, per band, with counts on the bars and the overall rate dashed.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> bb = pd.DataFrame({"band": ["red", "yellow", "green"], "accounts": [10, 20, 0], "churned": [3, 2, 0],
    ...                    "churn_rate": [0.3, 0.1, float("nan")]})
    >>> v = {"auc": 0.7, "churn_rate": 5 / 30, "as_of": "2026-08-02", "horizon_end": "2026-10-31"}
    >>> plot_backtest(PagePart(frame=bb, values=v)).get_title()
    'Churn after scoring, by band (AUC 0.70)'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    bb = part.frame.set_index("band").reindex(list(BANDS))
    rates = bb["churn_rate"].fillna(0.0).to_numpy()
    bars = ax.bar(list(BANDS), rates, color=[BAND_COLOURS[b] for b in BANDS])
    labels = [f"{r:.1%}\n{int(c)} of {int(n)}" if n else "no accounts"
              for r, c, n in zip(rates, bb["churned"].fillna(0), bb["accounts"].fillna(0))]
    ax.bar_label(bars, labels=labels, padding=3)
    v = part.values
    ax.axhline(v["churn_rate"], color="grey", linestyle="--", linewidth=1, label=f"all accounts: {v['churn_rate']:.1%}")
    auc = "" if v.get("auc") is None else f" (AUC {v['auc']:.2f})"
    ax.set(title=f"Churn after scoring, by band{auc}", xlabel=f"Health band on {v['as_of']}",
           ylabel=f"Churned by {v['horizon_end']}", ylim=(0, max(rates.max(), 0.01) * 1.4))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.legend(loc="upper right")
    return ax
