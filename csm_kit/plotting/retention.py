"""Charts of the churn and retention page (notebook 02): each takes a :class:`~csm_kit.metrics.churn_page.ChurnPage`.

Every function is ``plot_x(page, ax=None) -> Axes``; when the page cannot
show the chart (no subscriptions, a snapshot...) the axes say why instead.
"""
from __future__ import annotations

import numpy as np
import seaborn as sns

from .style import PALETTE, axes, colours, money_axis, month_axis, not_available, percent_axis

__all__ = ["plot_churn_trend", "plot_customer_flows", "plot_churn_by_billing", "plot_cohort_heatmap",
           "plot_cancel_reasons", "plot_left_vs_stayed"]


def _missing(page, frame, ax, what):
    if frame is None:
        return not_available(page.reason or f"No {what} for this data.", ax)
    return None


def plot_churn_trend(page, ax=None):
    """Monthly logo churn of all customers (thick) and of each segment, with the goal dashed.

    Any number of segments gets its own colour (:func:`~csm_kit.plotting.colours`).

    >>> from csm_kit import Dataset
    >>> from csm_kit.metrics.churn_page import churn_page
    >>> plot_churn_trend(churn_page(Dataset(), month="2026-10")).texts[0].get_text()[:26]
    'This data set has no subsc'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    missing = _missing(page, page.rates, ax, "churn trend")
    if missing is not None:
        return missing
    ax = axes(ax)
    r = page.rates
    who = "all customers" if page.segment in ("", "all") else page.segment
    ax.plot(r["month"].dt.to_timestamp(), r["churn_rate"], color=PALETTE[0], linewidth=2.5, marker="o", label=who)
    if page.by_segment is not None and page.segment in ("", "all"):
        names = sorted(page.by_segment["segment"].unique())
        for colour, name in zip(colours(len(names) + 1)[1:], names):
            rows = page.by_segment[page.by_segment["segment"] == name]
            ax.plot(rows["month"].dt.to_timestamp(), rows["churn_rate"], color=colour, linewidth=1.2, alpha=0.85,
                    label=name)
    if page.goal is not None:
        ax.axhline(page.goal, color="grey", linestyle="--", linewidth=1, label=f"goal ({page.goal:.0%})")
    month_axis(ax)
    percent_axis(ax, decimals=1)
    ax.set_ylim(bottom=0)
    shown = "undefined" if page.headline.rate is None else f"{page.headline.rate:.1%}"
    ax.set(title=f"Monthly logo churn: {shown} in {page.month}", xlabel="Month",
           ylabel=f"Logo churn ({page.convention} convention)")
    ax.legend(title="Customers", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_customer_flows(page, ax=None):
    """Customers joining (new, reactivated) above the line and leaving below it, per month."""
    missing = _missing(page, page.rates, ax, "customer flows")
    if missing is not None:
        return missing
    ax = axes(ax)
    r = page.rates
    x = r["month"].dt.to_timestamp()
    ax.bar(x, r["new"], width=20, color=PALETTE[2], label="new")
    ax.bar(x, r["reactivated"], bottom=r["new"], width=20, color=PALETTE[4], label="reactivated")
    ax.bar(x, -r["churned_existing"], width=20, color=PALETTE[3], label="churned (paying at start)")
    ax.bar(x, -r["churned_joined"], bottom=-r["churned_existing"], width=20, color=PALETTE[1],
           label="joined and left in the month")
    ax.axhline(0, color="black", linewidth=0.8)
    month_axis(ax)
    this = r[r["month"] == page.month].iloc[0]
    ax.set(title=f"Customers joining and leaving: net {this['joined'] - this['churned']:+,.0f} in {page.month}",
           xlabel="Month", ylabel="Customers (joined up, churned down)")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_churn_by_billing(page, ax=None):
    """Monthly logo churn per billing period (that of each customer's largest subscription)."""
    missing = _missing(page, page.by_billing, ax, "billing periods")
    if missing is not None:
        return missing
    ax = axes(ax)
    b = page.by_billing
    names = sorted(b["billing_period"].unique())
    for colour, name in zip(colours(len(names)), names):
        rows = b[b["billing_period"] == name]
        ax.plot(rows["month"].dt.to_timestamp(), rows["churn_rate"], marker="o", color=colour,
                label=f"{name} ({rows['customers_start'].iloc[-1]:,} at start of {page.month})")
    month_axis(ax)
    percent_axis(ax, decimals=1)
    ax.set_ylim(bottom=0)
    ax.set(title="Monthly logo churn by billing period", xlabel="Month", ylabel="Logo churn")
    ax.legend(title="Billing period", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_cohort_heatmap(page, kind: str = "logo", ax=None):
    """A cohort table as a heatmap: rows first paid months, columns months since, cells % still there."""
    table = page.logo_cohorts if kind == "logo" else page.revenue_cohorts
    missing = _missing(page, table, ax, "cohorts")
    if missing is not None:
        return missing
    ax = axes(ax, figsize=(9, max(3.0, 0.32 * len(table) + 1.5)))
    ages = table.drop(columns=["cohort_size", "starting_mrr"], errors="ignore").astype(float)
    ages.index = [str(i) for i in ages.index]
    sns.heatmap(100 * ages, ax=ax, annot=True, fmt=".0f", annot_kws={"size": 7}, cmap="Blues", vmin=40,
                vmax=110 if kind == "revenue" else 100, cbar=False, linewidths=0.3)
    what = "customers" if kind == "logo" else "MRR"
    ax.set(title=f"{'Logo' if kind == 'logo' else 'Revenue'} retention: % of each cohort's {what} still there",
           xlabel="Months since first payment", ylabel="Cohort (first paid month)")
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(False)
    return ax


def plot_cancel_reasons(page, ax=None):
    """MRR lost per stated cancel reason over the page's window, with the customers behind each bar."""
    missing = _missing(page, page.reasons, ax, "cancel reasons")
    if missing is not None:
        return missing
    t = page.reasons.groupby("reason")[["customers", "mrr_lost"]].sum().sort_values("mrr_lost")
    ax = axes(ax, figsize=(9, max(2.5, 0.4 * len(t) + 1.2)))
    y = np.arange(len(t))
    ax.barh(y, t["mrr_lost"], color=[PALETTE[7] if r == "(not recorded)" else PALETTE[3] for r in t.index])
    for yi, (lost, n) in enumerate(zip(t["mrr_lost"], t["customers"])):
        ax.annotate(f"{n:,} customers", (lost, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y, [r.replace("_", " ") for r in t.index])
    money_axis(ax, axis="x")
    ax.set_xlim(right=t["mrr_lost"].max() * 1.25 if t["mrr_lost"].max() > 0 else 1)
    ax.set(title=f"Why customers left, {page.window[0]} to {page.window[1]}: MRR lost by stated reason",
           xlabel="MRR lost (at the end of the month before leaving)", ylabel="Cancel reason")
    return ax


def plot_left_vs_stayed(page, ax=None):
    """Share of comments mentioning each theme: customers who left against customers who stayed."""
    t = page.left_vs_stayed
    missing = _missing(page, t, ax, "survey comments")
    if missing is not None:
        return missing
    if t["left_comments"].iloc[0] == 0:
        return not_available("No customer who left wrote a survey comment.", ax)
    t = t.sort_values("difference")
    ax = axes(ax, figsize=(9, max(3.0, 0.45 * len(t) + 1.2)))
    y = np.arange(len(t))
    ax.barh(y + 0.2, t["left_share"], height=0.4, color=PALETTE[3], label=f"left ({t['left_comments'].iloc[0]:,} comments)")
    ax.barh(y - 0.2, t["stayed_share"], height=0.4, color=PALETTE[2],
            label=f"stayed ({t['stayed_comments'].iloc[0]:,} comments)")
    ax.set_yticks(y, [s.replace("_", " ") for s in t["theme"]])
    percent_axis(ax, axis="x")
    ax.set(title="What leavers wrote about, against customers who stayed", xlabel="Share of the group's comments",
           ylabel="Theme")
    ax.legend(loc="lower right", fontsize=9)
    return ax
