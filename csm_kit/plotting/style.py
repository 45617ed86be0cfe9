"""One look for every chart in the kit, readable at report size."""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import seaborn as sns

#: Colour-blind-aware palette (blue, orange, green, red, ...), first colours most distinct.
PALETTE = ["#2F5D8A", "#E07A2E", "#3A9D6B", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]
#: Health-score and scorecard bands.
BAND_COLOURS = {"red": "#C44E52", "yellow": "#E3B23C", "green": "#3A9D6B"}


def colours(n: int) -> list[str]:
    """``n`` distinct colours for ``n`` groups (segments, plans...): the kit's palette first, then more.

    The palette has eight colours; a company with more segments gets seaborn's
    ``husl`` colours after them (evenly spaced hues), so a chart never runs out.

    >>> colours(2)
    ['#2F5D8A', '#E07A2E']
    >>> len(colours(11)), len(set(colours(11)))
    (11, 11)
    """
    if n <= len(PALETTE):
        return PALETTE[:n]
    return PALETTE + sns.color_palette("husl", n - len(PALETTE)).as_hex()


def use_style() -> None:
    """Apply the kit's seaborn theme: white grid, the kit's palette, 9 x 4.5 in at 110 dpi.

    Call once at the top of a notebook; every chart after it shares the look.
    The size fits the report's HTML column without scaling text below ~10 pt.

    >>> with mpl.rc_context():  # the doctest leaves the global style as it found it
    ...     use_style()
    ...     print(mpl.rcParams["figure.figsize"], mpl.rcParams["figure.dpi"])
    [9.0, 4.5] 110.0
    """
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    mpl.rcParams.update({
        "figure.figsize": (9, 4.5),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
        "axes.titlesize": 13,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "figure.constrained_layout.use": True,
    })
    __import__("pandas").set_option("styler.format.escape", "html")  # a Styler table escapes data text too


def month_axis(ax, axis: str = "x"):
    """Label a date axis by month compactly (``Jan``, ``Feb``, ... with the year once), and return ``ax``.

    matplotlib's default writes ``2024-01`` under every tick, which collides on
    a three-year chart; ``ConciseDateFormatter`` names the year only where it changes.

    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot(pd.period_range("2024-01", "2026-10", freq="M").to_timestamp(), range(34))
    >>> month_axis(ax) is ax
    True
    >>> plt.close(fig)
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def log_count_axis(ax, axis: str = "y"):
    """Put counts on a log scale labelled in plain numbers (``1,000``, not ``10^3``), and return ``ax``.

    A log scale lets a table of a hundred rows a month share a chart with one of
    ten thousand; plain labels keep it readable for people who don't read powers.

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2, 3], [20, 400, 9000])
    >>> log_count_axis(ax).get_yscale()
    'log'
    >>> plt.close(fig)
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))  # 100, 200, 500, 1,000...
    target.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    target.set_minor_formatter(mticker.NullFormatter())
    return ax


def axes(ax=None, figsize=None, *, height: float | None = None):
    """``ax``, or the axes of a new figure when None: of ``figsize``, or the style's width and ``height``
    inches tall, or the style's size.

    >>> import matplotlib.pyplot as plt
    >>> a = axes(figsize=(4, 2))
    >>> a.figure.get_size_inches().tolist()
    [4.0, 2.0]
    >>> b = axes(height=3)
    >>> float(b.figure.get_size_inches()[1])
    3.0
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    if figsize is None and height is not None:
        figsize = (plt.rcParams["figure.figsize"][0], height)
    return plt.subplots(figsize=figsize)[1]


def not_available(reason: str, ax=None, title: str = ""):
    """A chart that says why it could not be drawn (one short panel, no axes), and return its ``ax``.

    Plot functions call this when their result is unavailable, so a notebook
    never needs an ``if`` around a chart.

    >>> import matplotlib.pyplot as plt
    >>> a = not_available("No subscriptions: no churn to chart.")
    >>> a.texts[0].get_text()
    'No subscriptions: no churn to chart.'
    >>> plt.close(a.figure)
    """
    import textwrap

    ax = axes(ax, figsize=(9, 1.2))
    ax.set_axis_off()
    ax.text(0.0, 0.5, textwrap.fill(reason, 110), transform=ax.transAxes, ha="left", va="center",
            fontsize=10, color="#555555")
    if title:
        ax.set_title(title)
    return ax


def percent_axis(ax, axis: str = "y", decimals: int = 0):
    """Label an axis holding fractions as percentages (0.25 -> ``25%``), and return ``ax``.

    >>> import matplotlib.pyplot as plt
    >>> fig, a = plt.subplots()
    >>> percent_axis(a) is a
    True
    >>> plt.close(fig)
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(mticker.PercentFormatter(xmax=1.0, decimals=decimals))
    return ax


def money_axis(ax, axis: str = "y", symbol: str = "$"):
    """Label an axis in whole currency units with thousands separators (``$12,500``), and return ``ax``.

    >>> import matplotlib.pyplot as plt
    >>> fig, a = plt.subplots()
    >>> money_axis(a) is a
    True
    >>> plt.close(fig)
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(mticker.StrMethodFormatter(symbol + "{x:,.0f}"))
    return ax
