"""Charts of the engagement page, drawn from :func:`csm_kit.metrics.engagement.engagement_page` parts.

Every function is ``plot_x(part, ax=None, ...) -> Axes``: it draws on ``ax``
(a new figure when None) and returns the Axes; for a part that is not
available it draws nothing and returns None (the page shows the part's reason).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from .style import axes, colours, month_axis

_MEASURES = {"active_accounts": ("Active accounts", "Accounts with any activity"),
             "active_users": ("Active users", "Users with any activity")}


def plot_active(part, ax=None, *, measure: str = "active_accounts"):
    """Active accounts (or users, ``measure="active_users"``) per month, this month's count in the title.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"month": pd.period_range("2026-08", periods=3, freq="M"),
    ...     "active_users": [5, 6, 7], "active_accounts": [2, 3, 3]}), values={"active_accounts": 3, "active_users": 7})
    >>> plot_active(part).get_title()
    'Active accounts: 3 in 2026-10'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    if measure not in _MEASURES:
        raise ValueError(f"measure must be one of {sorted(_MEASURES)}, not {measure!r}.")
    ax = axes(ax)
    frame = part.frame
    title, ylabel = _MEASURES[measure]
    ax.plot(frame["month"].dt.to_timestamp(), frame[measure], marker="o", color=colours(1)[0])
    ax.set(title=f"{title}: {part.values[measure]:,} in {frame['month'].iloc[-1]}", xlabel="Month", ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    month_axis(ax)
    return ax


def plot_stickiness(part, ax=None):
    """Stickiness of accounts and of users (DAU/MAU) per month.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"month": pd.period_range("2026-09", periods=2, freq="M"),
    ...     "stickiness_users": [0.1, 0.12], "stickiness_accounts": [0.3, 0.31]}),
    ...     values={"stickiness_users": 0.12, "stickiness_accounts": 0.31})
    >>> plot_stickiness(part).get_title()
    'Stickiness in 2026-10: 12.0% of users, 31.0% of accounts on an average day'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame, v = part.frame, part.values
    x = frame["month"].dt.to_timestamp()
    c = colours(2)
    ax.plot(x, frame["stickiness_accounts"], marker="o", color=c[0], label="accounts (daily / monthly active accounts)")
    ax.plot(x, frame["stickiness_users"], marker="o", color=c[1], label="users (DAU / MAU)")
    month = frame["month"].iloc[-1]
    if v.get("stickiness_users") is None:
        title = f"Stickiness: nobody was active in {month}"
    else:
        title = (f"Stickiness in {month}: {v['stickiness_users']:.1%} of users, "
                 f"{v['stickiness_accounts']:.1%} of accounts on an average day")
    top = np.nanmax(frame[["stickiness_users", "stickiness_accounts"]].to_numpy(dtype=float), initial=0.0)
    ax.set(title=title, xlabel="Month", ylabel="Average day's share of the month's actives",
           ylim=(0, max(0.05, top * 1.25)))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    month_axis(ax)
    ax.legend(loc="upper left")
    return ax


def plot_feature_adoption(part, ax=None):
    """This month's adoption of each feature, most adopted first (the figure grows with the number of features).

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"feature": ["a", "b"], "denominator": [4, 4], "adopters": [4, 1],
    ...                                     "adoption": [1.0, 0.25]}), values={"denominator": 4})
    >>> [t.get_text() for t in plot_feature_adoption(part).get_yticklabels()]
    ['a', 'b']
    >>> plt.close("all")
    """
    if not part.available:
        return None
    frame = part.frame
    ax = axes(ax, height=max(3.0, 1.2 + 0.32 * len(frame)))
    bars = ax.barh(frame["feature"].astype(str), frame["adoption"], color=colours(1)[0])
    ax.bar_label(bars, labels=[f"{v:.0%}" for v in frame["adoption"]], padding=3)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set(title=f"Share of {part.values['denominator']:,} active accounts using each feature",
           xlabel="Active accounts that used the feature", ylabel="Feature")
    return ax


def plot_active_days(part, ax=None):
    """How many days of the month each active account was active, with the median.

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"active_days": [1, 3, 3, 10]}), values={"days_in_month": 30})
    >>> plot_active_days(part).get_legend().get_texts()[0].get_text()
    'median: 3 days'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    days = part.frame["active_days"]
    n_days = part.values["days_in_month"]
    c = colours(4)
    ax.hist(days, bins=np.arange(0.5, n_days + 1.5, 1), color=c[0])
    ax.axvline(days.median(), color=c[3], linestyle="--", label=f"median: {days.median():.0f} days")
    ax.set(title="Days with activity per active account", xlabel=f"Days with any activity (of {n_days})",
           ylabel="Active accounts", xlim=(0.5, n_days + 0.5))
    ax.legend()
    return ax


def plot_usage_trend(part, ax=None):
    """Accounts per usage-trend class (steady, fell a little, fell far, stopped, new, no use).

    >>> import pandas as pd
    >>> from csm_kit.metrics.pages import PagePart
    >>> part = PagePart(frame=pd.DataFrame({"trend": ["steady or growing", "stopped using"], "accounts": [8, 2]}),
    ...                 values={"falling": 2, "accounts": 10, "window_months": 3})
    >>> plot_usage_trend(part).get_title()
    '2 of 10 accounts now use the product far less than before'
    >>> plt.close("all")
    """
    if not part.available:
        return None
    ax = axes(ax)
    frame, v = part.frame, part.values
    bars = ax.barh(frame["trend"], frame["accounts"], color=colours(len(frame)))
    ax.bar_label(bars, labels=[f"{n:,}" for n in frame["accounts"]], padding=3)
    ax.invert_yaxis()
    ax.set_xlim(0, frame["accounts"].max() * 1.15 + 1)
    n = v["window_months"]
    ax.set(title=f"{v['falling']:,} of {v['accounts']:,} accounts now use the product far less than before",
           xlabel=f"Accounts (user-days, last {n} months vs the {n} before)", ylabel="")
    return ax
