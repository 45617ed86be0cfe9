"""Charts of the revenue page (notebook 03): each takes a :class:`~csm_kit.metrics.revenue_page.RevenuePage`.

Every function is ``plot_x(page, ax=None) -> Axes``; when the page cannot
show the chart (no subscriptions, a snapshot...) the axes say why instead.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .style import PALETTE, axes, colours, money_axis, month_axis, not_available, percent_axis

__all__ = ["plot_mrr_waterfall", "plot_mrr_trend", "plot_mrr_movements", "plot_revenue_retention",
           "plot_quick_ratio"]

_MOVEMENT_COLOURS = {"new": PALETTE[2], "reactivation": PALETTE[4], "expansion": "#7FC8A0",
                     "contraction": PALETTE[1], "churn": PALETTE[3]}


def plot_mrr_waterfall(page, ax=None):
    """From last month's closing MRR to this month's: one bar per movement.

    The axis starts a little below the lowest movement bar (movements are small
    next to the balance); its label says so.

    >>> from csm_kit import Dataset
    >>> from csm_kit.metrics.revenue_page import revenue_page
    >>> plot_mrr_waterfall(revenue_page(Dataset(), month="2026-10")).texts[0].get_text()[:26]
    'This data set has no subsc'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if not page.available:
        return not_available(page.reason, ax)
    ax = axes(ax)
    t = page.this
    steps = pd.Series({"MRR at start": t["mrr_start"], "new": t["new"], "reactivation": t["reactivation"],
                       "expansion": t["expansion"], "contraction": -t["contraction"], "churn": -t["churn"]})
    bottoms = steps.cumsum().shift(fill_value=0).where(steps.index != "MRR at start", 0)
    bottoms = bottoms.where(steps >= 0, bottoms + steps)
    bar_colours = [PALETTE[0]] + [PALETTE[2] if v >= 0 else PALETTE[3] for v in steps.iloc[1:]] + [PALETTE[0]]
    labels = [*steps.index, "MRR at end"]
    heights = [*steps.abs(), t["mrr_end"]]
    ax.bar(labels, heights, bottom=[*bottoms, 0], color=bar_colours)
    for x, (h, b, v) in enumerate(zip(heights, [*bottoms, 0], [*steps, t["mrr_end"]])):
        ax.annotate(f"{v:+,.0f}" if 0 < x < len(labels) - 1 else f"{v:,.0f}", (x, b + h), ha="center",
                    va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    top = max(bottoms + steps.abs())
    low = bottoms.iloc[1:].min()
    low = low - 0.3 * (top - low)
    ax.set_ylim(bottom=max(0, low), top=top + 0.05 * (top - max(0, low)) + 1e-9)
    money_axis(ax)
    growth = "" if pd.isna(t["mrr_growth"]) else f" ({t['mrr_growth']:+.1%})"
    ax.set(title=f"MRR {page.month}: {t['mrr_start']:,.0f} to {t['mrr_end']:,.0f} USD{growth}", xlabel="",
           ylabel="MRR (USD, axis does not start at 0)" if low > 0 else "MRR (USD)")
    return ax


def plot_mrr_trend(page, ax=None):
    """Month-end MRR: stacked by segment (any number of them) for the whole company, a line for one segment."""
    if not page.available:
        return not_available(page.reason, ax)
    ax = axes(ax)
    if page.by_segment_mrr is not None and page.segment in ("", "all"):
        wide = page.by_segment_mrr.pivot(index="month", columns="segment", values="mrr").fillna(0)
        ax.stackplot(wide.index.to_timestamp(), wide.T.to_numpy(), labels=[str(c) for c in wide.columns],
                     colors=colours(wide.shape[1]), alpha=0.85)
        ax.legend(title="Segment", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    else:
        ax.plot(page.moves["month"].dt.to_timestamp(), page.moves["mrr_end"], color=PALETTE[0], linewidth=2.5,
                marker="o")
    ax.set_ylim(bottom=0)
    money_axis(ax)
    month_axis(ax)
    ax.set(title=f"Month-end MRR: {page.this['mrr_end']:,.0f} USD in {page.month}", xlabel="Month", ylabel="MRR (USD)")
    return ax


def plot_mrr_movements(page, ax=None):
    """Each month's movements: gains above the line, losses below, the net change as a line."""
    if not page.available:
        return not_available(page.reason, ax)
    ax = axes(ax)
    m = page.moves
    x = m["month"].dt.to_timestamp()
    base = np.zeros(len(m))
    for name in ("new", "reactivation", "expansion"):
        ax.bar(x, m[name], bottom=base, width=20, color=_MOVEMENT_COLOURS[name], label=name)
        base = base + m[name].to_numpy()
    base = np.zeros(len(m))
    for name in ("contraction", "churn"):
        ax.bar(x, -m[name], bottom=base, width=20, color=_MOVEMENT_COLOURS[name], label=name)
        base = base - m[name].to_numpy()
    ax.plot(x, m["mrr_end"] - m["mrr_start"], color="black", marker="o", markersize=3, linewidth=1.2,
            label="net change")
    ax.axhline(0, color="black", linewidth=0.8)
    money_axis(ax)
    month_axis(ax)
    ax.set(title="MRR movements per month", xlabel="Month", ylabel="MRR change (USD)")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_revenue_retention(page, form: str = "movement", ax=None):
    """NRR and GRR per month (``form="movement"``) or trailing 12 months (``"cohort"``), with the goals dashed."""
    if not page.available:
        return not_available(page.reason, ax)
    frame = page.monthly if form == "movement" else page.ttm
    ax = axes(ax)
    xs = frame["month"].dt.to_timestamp()
    ax.plot(xs, frame["nrr"], marker="o", markersize=3, color=PALETTE[0], label="NRR")
    ax.plot(xs, frame["grr"], marker="o", markersize=3, color=PALETTE[1], label="GRR")
    goals = [("nrr", "NRR goal", PALETTE[0]), ("grr", "GRR goal", PALETTE[1])] if form == "movement" else \
        [("nrr_ttm", "NRR goal", PALETTE[0])]
    for key, name, colour in goals:
        if key in page.targets:
            ax.axhline(page.targets[key]["goal"], color=colour, linestyle="--", linewidth=1,
                       label=f"{name} ({page.targets[key]['goal']:.0%})")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    month_axis(ax)
    percent_axis(ax)
    last = frame[frame["month"] == page.month].iloc[0]
    what = "Monthly" if form == "movement" else "Trailing 12 months"
    shown = "undefined" if pd.isna(last["nrr"]) else f"NRR {last['nrr']:.1%}, GRR {last['grr']:.1%}"
    ax.set(title=f"{what}: {shown}", xlabel="Month", ylabel="Share of starting MRR")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_quick_ratio(page, ax=None):
    """The quick ratio per month (months with no MRR lost have no finite ratio and no bar)."""
    if not page.available:
        return not_available(page.reason, ax)
    ax = axes(ax)
    finite = page.qr[np.isfinite(page.qr["quick_ratio"])]
    ax.bar(finite["month"].dt.to_timestamp(), finite["quick_ratio"], width=20, color=PALETTE[0])
    ax.axhline(4, color=PALETTE[2], linestyle="--", linewidth=1, label="4: efficient growth")
    ax.axhline(1, color=PALETTE[3], linestyle="--", linewidth=1, label="1: shrinking below")
    month_axis(ax)
    q = page.qr[page.qr["month"] == page.month].iloc[0]
    shown = f"{q['quick_ratio']:.1f}" if q["defined"] else "undefined (no MRR lost)"
    ax.set(title=f"Quick ratio: {shown} in {page.month}", xlabel="Month", ylabel="MRR gained per USD lost")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax
