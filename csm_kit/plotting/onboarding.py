"""Charts of the onboarding page, drawn from :func:`csm_kit.metrics.onboarding.onboarding_page` parts.

Every function is ``plot_x(part, ax=None) -> Axes``: it draws on ``ax`` (a
new figure when None) and returns the Axes; for a part that is not available
it draws nothing and returns None (the page shows the part's reason).
"""
from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401  (the doctests close their figures with it)
import matplotlib.ticker as mticker
import numpy as np

from .style import PALETTE, axes, colours, month_axis


def plot_onboarding_cohorts(part, ax=None):
    """Completion and first value per signup cohort, only cohorts whose window has closed for everyone.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"signup_month": pd.period_range("2026-01", periods=2, freq="M"),
    ...     "still_in_window": [0, 3], "denominator": [4, 0], "completion_rate": [0.5, float("nan")],
    ...     "still_in_window_value": [0, 0], "adoption_rate": [0.75, 0.5]})
    >>> part = PagePart(frame=frame, values={"within_days": 90, "value_within_days": 30,
    ...     "completion": {"rate": 0.5, "cohort": "2026-01"}})
    >>> plot_onboarding_cohorts(part).get_title()
    '50% of the 2026-01 cohort completed onboarding within 90 days'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame, v = part.frame, part.values
    closed = frame[frame["still_in_window"] == 0]
    closed_value = frame[frame["still_in_window_value"] == 0]
    c = colours(2)
    ax.plot(closed_value["signup_month"].dt.to_timestamp(), closed_value["adoption_rate"], marker="o", color=c[0],
            label=f"reached first value within {v['value_within_days']} days")
    ax.plot(closed["signup_month"].dt.to_timestamp(), closed["completion_rate"], marker="o", color=c[1],
            label=f"completed every required milestone within {v['within_days']} days")
    done = v.get("completion")
    title = (f"{done['rate']:.0%} of the {done['cohort']} cohort completed onboarding within {v['within_days']} days"
             if done else f"No signup cohort has had {v['within_days']} days yet")
    ax.set(title=title, xlabel="Signup month (cohort)", ylabel="Share of the cohort", ylim=(0, 1.05))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    month_axis(ax)
    ax.legend(loc="lower left")
    return ax


def plot_milestone_funnel(part, ax=None):
    """Each milestone's completion within the window, in plan order (optional milestones in grey).

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"milestone": ["setup", "<b>report</b>"], "required": [True, False],
    ...     "first_value": [False, True], "completed": [4, 1], "completion_rate": [1.0, 0.25], "denominator": 4})
    >>> ax = plot_milestone_funnel(PagePart(frame=frame, values={"denominator": 4, "within_days": 90}))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['setup', '<b>report</b>  (first value)  [optional]']
    >>> plt.close("all")
    """
    if not part.available:
        return None
    frame, v = part.frame, part.values
    ax = axes(ax, height=max(3.0, 1.2 + 0.4 * len(frame)))
    labels = (frame["milestone"].astype(str) + frame["first_value"].map({True: "  (first value)", False: ""})
              + frame["required"].map({True: "", False: "  [optional]"}))
    bars = ax.barh(labels, frame["completion_rate"],
                   color=[PALETTE[0] if r else PALETTE[7] for r in frame["required"]])
    ax.bar_label(bars, labels=[f"{r:.0%}  ({n:,})" for r, n in zip(frame["completion_rate"], frame["completed"])],
                 padding=3)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.2)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.set(title=f"Milestones reached within {v['within_days']} days ({v['denominator']:,} customers)",
           xlabel="Share of customers", ylabel="Milestone, in plan order")
    return ax


def plot_time_to_value(part, ax=None):
    """Kaplan-Meier share reaching first value by day since signup, per group, with 95% bands.

    Any number of groups (segments) gets its own colour (:func:`csm_kit.plotting.colours`);
    with more than four groups the bands are left out (they would hide the curves).

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> curve = pd.DataFrame({"group": "all", "days": [0, 4, 10], "share_reached": [0.0, 0.5, 0.5],
    ...                       "ci_lower": [1.0, 0.2, 0.2], "ci_upper": [1.0, 0.9, 0.9]})
    >>> part = PagePart(frame=curve, values={"median_days": 4.0, "by": None, "within_days": 90})
    >>> plot_time_to_value(part).get_title()
    'Half of new customers reach first value within 4 days'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame, v = part.frame, part.values
    groups = list(dict.fromkeys(frame["group"]))
    bands = len(groups) <= 4  # more than four overlapping bands hide the curves
    for colour, name in zip(colours(len(groups)), groups):
        g = frame[(frame["group"] == name) & (frame["days"] <= v["within_days"])]
        ax.step(g["days"], g["share_reached"], where="post", color=colour, label=str(name))
        if bands:
            ax.fill_between(g["days"], 1 - g["ci_upper"], 1 - g["ci_lower"], step="post", color=colour, alpha=0.15)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    median = v.get("median_days")
    title = (f"Half of new customers reach first value within {median:.0f} days" if median is not None
             else "Fewer than half of new customers have reached first value so far")
    ax.set(title=title, xlabel="Days since signup", ylabel="Share that reached first value",
           xlim=(0, v["within_days"]), ylim=(0, 1))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    by = v.get("by")
    ax.legend(title=by.replace("_", " ").capitalize() if by else None, loc="lower right",
              ncol=1 if len(groups) <= 8 else 2)
    return ax


def plot_time_to_value_by_cohort(part, ax=None):
    """Kaplan-Meier median days to first value per signup cohort, with its 95% interval.

    An open-ended interval is drawn up to the completion window.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"signup_month": pd.period_range("2026-01", periods=2, freq="M"),
    ...     "median_days": [5.0, 8.0], "median_ci_lower": [3.0, 4.0], "median_ci_upper": [9.0, float("inf")]})
    >>> float(plot_time_to_value_by_cohort(PagePart(frame=frame, values={"within_days": 90})).get_ylim()[1])
    112.5
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame, v = part.frame, part.values
    x = frame["signup_month"].dt.to_timestamp()
    median = frame["median_days"].to_numpy(dtype=float)
    upper = frame["median_ci_upper"].clip(upper=v["within_days"]).to_numpy(dtype=float)
    lower = frame["median_ci_lower"].to_numpy(dtype=float)
    c = colours(8)
    ax.errorbar(x, median, yerr=np.vstack([median - lower, upper - median]),
                marker="o", color=c[0], ecolor=c[7], capsize=4, label="median (Kaplan-Meier) with 95% interval")
    ax.set(title="Median days to first value by signup cohort", xlabel="Signup month (cohort)",
           ylabel="Days from signup to first value")
    ax.set_ylim(0, max(float(np.nanmax(upper, initial=0.0)), 1.0) * 1.25)
    month_axis(ax)
    ax.legend(loc="upper left")
    return ax
