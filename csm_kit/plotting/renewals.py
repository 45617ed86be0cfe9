"""Charts of the renewals and book-of-business page, drawn from :func:`csm_kit.metrics.renewals.renewals_page` parts.

Every function is ``plot_x(part, ax=None) -> Axes``: it draws on ``ax`` (a
new figure when None) and returns the Axes; for a part that is not available
(or has nothing to draw) it draws nothing and returns None: the page shows
the part's reason.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from .style import BAND_COLOURS, colours


def _axes(ax, height=None):
    if ax is not None:
        return ax
    width, default = plt.rcParams["figure.figsize"]
    return plt.subplots(figsize=(width, height or default))[1]


def _money_axis(axis, currency: str):
    sign = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(currency, currency + " ")

    def fmt(x, _pos):
        size = abs(x)
        if size >= 1e6:
            return f"{sign}{x / 1e6:,.1f}M"
        if size >= 1e3:
            return f"{sign}{x / 1e3:,.0f}k"
        return f"{sign}{x:,.0f}"

    axis.set_major_formatter(mticker.FuncFormatter(fmt))


def plot_pipeline(part, ax=None, *, currency: str = "USD"):
    """Renewal ARR due per month (bars), the number of renewals written above each bar.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"month": pd.period_range("2026-11", periods=3, freq="M"),
    ...     "renewals": [2, 0, 5], "arr": [24000.0, 0.0, 61000.0]}), values={"arr": 85000.0, "renewals": 7})
    >>> ax = plot_pipeline(part)
    >>> ax.get_title(), len(ax.patches)
    ('Renewal pipeline: ARR due per month (7 renewals)', 3)
    >>> plt.close("all")
    """
    if not part.available or part.frame is None or not len(part.frame):
        return None
    ax = _axes(ax)
    frame = part.frame
    labels = frame["month"].astype(str).tolist()
    x = np.arange(len(frame))
    bars = ax.bar(x, frame["arr"].to_numpy(dtype=float), color=colours(1)[0])
    for bar, n in zip(bars, frame["renewals"].to_numpy()):
        if n:
            ax.annotate(f"{int(n):,}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, labels, rotation=45 if len(labels) > 8 else 0, ha="right" if len(labels) > 8 else "center")
    ax.set(title=f"Renewal pipeline: ARR due per month ({int(part.values.get('renewals', 0)):,} renewals)",
           xlabel="Month of renewal", ylabel=f"ARR renewing ({currency})")
    _money_axis(ax.yaxis, currency)
    ax.set_ylim(bottom=0)
    return ax


def plot_book(part, ax=None, *, currency: str = "USD", top: int = 15):
    """Accounts per owner by health band (stacked bars, largest books first), each book's MRR at its bar's end.

    At most ``top`` owners (the book is sorted by MRR). Accounts without a
    health score are grey; without health bands at all the bar is one colour.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> book = pd.DataFrame({"owner": ["Ann", "(no owner)"], "accounts": [2, 1], "mrr": [300.0, 50.0],
    ...     "red": [1, 0], "yellow": [0, 0], "green": [1, 1], "no_band": [0, 0], "renewals_due": [1, 0],
    ...     "renewal_arr": [1200.0, 0.0], "mrr_at_risk": [40.0, 2.0]})
    >>> ax = plot_book(PagePart(frame=book))
    >>> ax.get_title(), [t.get_text() for t in ax.texts]
    ('Book of business: accounts by owner and health band', ['$50.00 MRR', '$300 MRR'])
    >>> plt.close("all")
    """
    from ..display import format_number

    if not part.available or part.frame is None or not len(part.frame):
        return None
    frame = part.frame.head(top).iloc[::-1]
    by = frame.columns[0]
    ax = _axes(ax, height=max(2.5, 0.45 * len(frame) + 1.2))
    y = np.arange(len(frame))
    accounts = frame["accounts"].to_numpy(dtype=float)
    if frame[["red", "yellow", "green"]].notna().all().all():
        left = np.zeros(len(frame))
        for band, colour in (("red", BAND_COLOURS["red"]), ("yellow", BAND_COLOURS["yellow"]),
                             ("green", BAND_COLOURS["green"]), ("no_band", "#BBBBBB")):
            width = frame[band].to_numpy(dtype=float)
            ax.barh(y, width, left=left, color=colour, label=band.replace("no_band", "no score"))
            left += width
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32 if len(frame) < 4 else -0.12), ncol=4, fontsize=9)
    else:
        ax.barh(y, accounts, color=colours(1)[0])
    for yi, n, m in zip(y, accounts, frame["mrr"].to_numpy(dtype=float)):
        ax.annotate(f"{format_number(m, 'money', currency=currency)} MRR", (n, yi), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y, [str(v) for v in frame[by]])
    ax.set_xlim(0, accounts.max() * 1.35 if accounts.max() > 0 else 1)
    ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.set(title=f"Book of business: accounts by {by.replace('_', ' ')} and health band", xlabel="Paying accounts")
    return ax
