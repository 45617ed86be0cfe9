"""Charts of the satisfaction page (notebook 01): each takes a :class:`~csm_kit.metrics.satisfaction_page.SatisfactionPage`.

Every function is ``plot_x(page, ax=None) -> Axes``; when the page cannot
show the chart (no surveys, no wave yet...) the axes say why instead.
"""
from __future__ import annotations

import numpy as np

from .style import PALETTE, axes, colours, month_axis, not_available

__all__ = ["plot_nps_waves", "plot_survey_trend", "plot_detractor_themes"]


def plot_nps_waves(page, ax=None):
    """Promoters, passives and detractors of each relationship NPS wave, the score and interval under each bar.

    >>> from csm_kit import Dataset
    >>> from csm_kit.metrics.satisfaction_page import satisfaction_page
    >>> plot_nps_waves(satisfaction_page(Dataset(), month="2026-10")).texts[0].get_text()[:27]
    'This data set has no survey'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if not page.available or not page.waves.available:
        return not_available(page.reason or page.waves.reason, ax)
    waves = page.waves_in_window
    ax = axes(ax)
    x = np.arange(len(waves))
    bottom = np.zeros(len(waves))
    for column, name, colour in (("pct_detractors", "detractors (0-6)", PALETTE[3]),
                                 ("pct_passives", "passives (7-8)", "#B8B8B8"),
                                 ("pct_promoters", "promoters (9-10)", PALETTE[2])):
        ax.bar(x, waves[column], bottom=bottom, width=0.55, color=colour, label=name)
        for xi, b, v in zip(x, bottom, waves[column]):
            if v >= 4:  # no label on a sliver
                ax.annotate(f"{v:.0f}%", (xi, b + v / 2), ha="center", va="center", color="white", fontsize=10)
        bottom = bottom + waves[column].to_numpy()
    ax.set_xticks(x, [f"{m}\nNPS {s:+.1f} ({lo:+.0f} to {hi:+.0f})\nn={n:,}" for m, s, lo, hi, n in
                      zip(waves["month"].astype(str), waves["score"], waves["ci_low"], waves["ci_high"], waves["n"])])
    ax.set_xlim(-0.8, len(waves) - 0.2)
    latest = page.waves.latest
    goal = page.targets.get("nps_relationship", {}).get("goal")
    ax.set(title=f"Relationship NPS {latest['score']:+.1f} in the {latest['month']} wave"
                 + (f" (goal {goal:+.0f})" if goal is not None else ""),
           xlabel="Survey wave: NPS (95% interval), answers", ylabel="Share of answers (%)", ylim=(0, 100))
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_survey_trend(page, survey: str = "csat", ax=None):
    """CSAT (% satisfied) or CES 2.0 (% easy) per month and touchpoint, with 95% bands and the support goal."""
    if not page.available:
        return not_available(page.reason, ax)
    frame = page.csat_months if survey == "csat" else page.ces_months
    frame = frame[frame["n"] > 0]
    if frame.empty:
        return not_available(f"No {survey.upper()} answers from {page.first} to {page.month}.", ax)
    column, low, high, goal_key, what = (("score", "ci_low", "ci_high", "csat_support", "CSAT: % satisfied (4-5 of 5)")
                                         if survey == "csat" else
                                         ("pct_easy", "easy_ci_low", "easy_ci_high", "ces_support",
                                          "CES 2.0: % easy (5-7 of 7)"))
    ax = axes(ax)
    touchpoints = sorted(frame["touchpoint"].unique())
    for colour, tp in zip(colours(len(touchpoints)), touchpoints):
        rows = frame[frame["touchpoint"] == tp]
        xs = rows["month"].dt.to_timestamp()
        ax.plot(xs, rows[column], marker="o", markersize=4, color=colour, label=tp)
        ax.fill_between(xs, rows[low], rows[high], color=colour, alpha=0.18, linewidth=0)
    if goal_key in page.targets:
        goal = page.targets[goal_key]["goal"]
        ax.axhline(100 * goal, color="grey", linestyle="--", linewidth=1, label=f"goal, support ({goal:.0%})")
    ax.set_ylim(max(0, ax.get_ylim()[0]), min(100, ax.get_ylim()[1]))
    month_axis(ax)
    ax.set(title=what, xlabel="Month", ylabel="% of answers")
    ax.legend(title="Touchpoint", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax


def plot_detractor_themes(page, ax=None):
    """How often each theme comes up in detractors' and promoters' comments (negation-aware tags)."""
    section = page.detractor_themes_table()
    if not section.available:
        return not_available(section.reason, ax)
    t = section.frame.iloc[::-1]
    ax = axes(ax, figsize=(9, max(3.0, 0.45 * len(t) + 1.2)))
    y = np.arange(len(t))
    ax.barh(y + 0.2, 100 * t["detractors"], height=0.4, color=PALETTE[3], label=section.labels["detractors"])
    ax.barh(y - 0.2, 100 * t["promoters"], height=0.4, color=PALETTE[2], label=section.labels["promoters"])
    ax.set_yticks(y, t["theme"])
    top = section.frame.iloc[0]
    ax.set(title=f"Detractors talk most about {top['theme']} ({100 * top['detractors']:.0f}% of their comments)",
           xlabel="Share of the group's comments that mention the theme (%)", ylabel="Theme")
    ax.legend(loc="lower right", fontsize=9)
    return ax
