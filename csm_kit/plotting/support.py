"""Charts of the support page, drawn from :func:`csm_kit.metrics.support.support_page` parts.

Every function is ``plot_x(part, ax=None, ...) -> Axes``: it draws on ``ax``
(a new figure when None) and returns the Axes; for a part that is not
available it draws nothing and returns None (the page shows the part's reason).
"""
from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401  (the doctests close their figures with it)
import matplotlib.ticker as mticker
import numpy as np

from .style import axes, colours, month_axis

_MEASURES = {"first_response_hours": "First response", "resolution_hours": "Resolution"}


def plot_ticket_volume(part, ax=None):
    """Tickets opened per month.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"month": pd.period_range("2026-09", periods=2, freq="M"), "tickets_opened": [3, 5],
    ...                       "tickets_per_account": [0.1, 0.2]})
    >>> plot_ticket_volume(PagePart(frame=frame, values={"tickets_opened": 5})).get_title()
    'Tickets opened: 5 in 2026-10'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame = part.frame
    ax.bar(frame["month"].dt.to_timestamp(), frame["tickets_opened"], width=20, color=colours(1)[0])
    ax.set(title=f"Tickets opened: {part.values['tickets_opened']:,} in {frame['month'].iloc[-1]}", xlabel="Month",
           ylabel="Tickets opened")
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    month_axis(ax)
    return ax


def plot_tickets_per_account(part, ax=None):
    """Tickets opened per account (the accounts paying at each month end) per month.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"month": pd.period_range("2026-09", periods=2, freq="M"), "tickets_opened": [3, 5],
    ...                       "tickets_per_account": [0.1, float("nan")]})
    >>> float(plot_tickets_per_account(PagePart(frame=frame)).get_ylim()[0])
    0.0
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame = part.frame
    ax.plot(frame["month"].dt.to_timestamp(), frame["tickets_per_account"], marker="o", color=colours(2)[1])
    top = np.nanmax(frame["tickets_per_account"].to_numpy(dtype=float), initial=0.0)
    ax.set(title="Tickets per paying account", xlabel="Month", ylabel="Tickets opened / paying accounts",
           ylim=(0, max(top * 1.2, 0.01)))
    month_axis(ax)
    return ax


def plot_ticket_times(part, ax=None, *, measure: str = "first_response_hours"):
    """Median and high-percentile hours to first response (or resolution) per month; the goal on first response.

    A percentile not reached yet (fewer tickets answered than the share) is left out of the line.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"month": pd.period_range("2026-09", periods=2, freq="M"), "tickets": [4, 5],
    ...     "first_response_hours_p50": [2.0, 3.0], "first_response_hours_p90": [9.0, float("inf")]})
    >>> part = PagePart(frame=frame, values={"first_response_p50": 3.0, "high": "p90", "high_percentile": 0.9,
    ...                                      "goal": 4})
    >>> plot_ticket_times(part).get_title()
    'First response: median 3.0 h in 2026-10'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    if measure not in _MEASURES:
        raise ValueError(f"measure must be one of {sorted(_MEASURES)}, not {measure!r}.")
    ax = axes(ax)
    frame, v = part.frame, part.values
    x = frame["month"].dt.to_timestamp()
    c = colours(3)
    median = frame[f"{measure}_p50"].replace(np.inf, np.nan)
    high = frame[f"{measure}_{v['high']}"].replace(np.inf, np.nan)
    ax.plot(x, median, marker="o", color=c[0], label="median")
    ax.plot(x, high, marker="o", color=c[1], label=f"{v['high_percentile']:.0%} within")
    now, month = median.iloc[-1], frame["month"].iloc[-1]
    if not frame["tickets"].iloc[-1]:
        title = f"{_MEASURES[measure]}: no ticket opened in {month}"
    elif np.isfinite(now):
        title = f"{_MEASURES[measure]}: median {now:.1f} h in {month}"
    else:
        title = f"{_MEASURES[measure]}: under half of {month}'s tickets done so far"
    if measure == "first_response_hours" and v.get("goal") is not None:
        ax.axhline(v["goal"], color="grey", linestyle="--", linewidth=1,
                   label=f"goal for the median: {v['goal']:g} h")
    ax.set(title=title, xlabel="Month", ylabel="Hours from opening (calendar)")
    ax.set_ylim(bottom=0)
    month_axis(ax)
    ax.legend(loc="upper left")
    return ax


def plot_first_response_by(part, ax=None):
    """The month's median and high-percentile first response per group (priority, channel), tickets in brackets.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"priority": ["urgent", "<i>low</i>"], "tickets": [2, 0],
    ...     "first_response_hours_p50": [1.0, float("nan")], "first_response_hours_p90": [3.0, float("nan")]})
    >>> part = PagePart(frame=frame, values={"column": "priority", "high": "p90", "high_percentile": 0.9})
    >>> [t.get_text() for t in plot_first_response_by(part).get_yticklabels()]
    ['urgent (2)']
    >>> plt.close("all")
    """
    if not part.available:
        return None
    v = part.values
    column = v["column"]
    rows = part.frame[part.frame["tickets"] > 0]
    ax = axes(ax, height=max(3.0, 1.5 + 0.5 * len(rows)))
    y = np.arange(len(rows))
    c = colours(2)
    ax.barh(y - 0.2, rows["first_response_hours_p50"].replace(np.inf, np.nan), height=0.4, color=c[0],
            label="median")
    ax.barh(y + 0.2, rows[f"first_response_hours_{v['high']}"].replace(np.inf, np.nan), height=0.4, color=c[1],
            label=f"{v['high_percentile']:.0%} within")
    ax.set_yticks(y, [f"{g} ({n:,})" for g, n in zip(rows[column], rows["tickets"])])
    ax.invert_yaxis()
    ax.set(title=f"First response by {column}", xlabel="Hours to first response", ylabel="Group (tickets)")
    ax.legend(loc="best")
    return ax


def plot_response_spread(part, ax=None):
    """The month's answered tickets by hours to first response (log scale), with the median and the mean.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"first_response_hours": [0.5, 1.0, 2.0, 40.0]}),
    ...                 values={"tickets": 5, "waiting": 1, "median": 2.0, "mean_answered": 10.875})
    >>> plot_response_spread(part).get_xscale()
    'log'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    hours, v = part.frame["first_response_hours"], part.values
    c = colours(4)
    lo = max(float(hours.min()), 0.05)
    bins = np.logspace(np.log10(lo), np.log10(max(float(hours.max()), lo) * 1.01 + 1e-9), 30)
    ax.hist(hours.clip(lower=lo), bins=bins, color=c[0])
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:g}"))
    if np.isfinite(v["median"]):
        ax.axvline(v["median"], color=c[2], linestyle="--", linewidth=2,
                   label=f"median (open tickets counted): {v['median']:.1f} h")
    ax.axvline(v["mean_answered"], color=c[3], linestyle=":", linewidth=2,
               label=f"mean of answered tickets: {v['mean_answered']:.1f} h")
    ax.set(title=f"Hours to first response, {v['tickets']:,} tickets opened this month",
           xlabel="Hours to first response (log scale)", ylabel="Tickets")
    ax.legend(loc="upper right")
    return ax


def plot_ticket_csat(part, ax=None):
    """Ticket CSAT (share of rated tickets scoring 4-5) per month with its Wilson 95% interval.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> frame = pd.DataFrame({"month": pd.period_range("2026-09", periods=2, freq="M"), "csat_responses": [4, 10],
    ...     "csat_top2": [0.75, 0.9], "ci_low": [0.3, 0.6], "ci_high": [0.95, 0.98]})
    >>> plot_ticket_csat(PagePart(frame=frame)).get_title()
    'Ticket CSAT: 90% satisfied in 2026-10 (10 ratings)'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame = part.frame
    x = frame["month"].dt.to_timestamp()
    colour = colours(1)[0]
    ax.plot(x, frame["csat_top2"], marker="o", color=colour, label="top-2-box share")
    ax.fill_between(x, frame["ci_low"], frame["ci_high"], color=colour, alpha=0.15, label="95% interval (Wilson)")
    last = frame.iloc[-1]
    ax.set(title=f"Ticket CSAT: {last['csat_top2']:.0%} satisfied in {last['month']} "
                 f"({int(last['csat_responses']):,} ratings)", xlabel="Month (ticket opened)",
           ylabel="Rated tickets scoring 4-5", ylim=(0, 1))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    month_axis(ax)
    ax.legend(loc="lower left")
    return ax
