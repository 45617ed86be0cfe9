"""Charts of the data-overview page (notebook 00): each takes a :class:`~csm_kit.metrics.overview.DataOverview`."""
from __future__ import annotations

from .style import axes, colours, log_count_axis, month_axis, not_available

__all__ = ["plot_rows_per_month"]


def plot_rows_per_month(overview, ax=None):
    """Rows per table and month on a log scale (any number of tables), the reporting month marked.

    >>> import pandas as pd
    >>> from csm_kit import Dataset
    >>> from csm_kit.metrics.overview import data_overview
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-09-05", "2026-10-20"])})
    >>> ax = plot_rows_per_month(data_overview(Dataset(customers=c), month="2026-10"))
    >>> ax.get_yscale(), len(ax.lines)
    ('log', 2)
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    counts = overview.counts
    if overview.counts_reason:
        return not_available(overview.counts_reason, ax)
    ax = axes(ax)
    tables = list(counts["table"].unique())
    for colour, name in zip(colours(len(tables)), tables):
        rows = counts[counts["table"] == name].sort_values("month")
        ax.plot(rows["month"].dt.to_timestamp(), rows["rows"], marker="o", markersize=3, color=colour, label=name)
    log_count_axis(ax)
    ax.axvline(overview.month.to_timestamp(), color="grey", linestyle="--", linewidth=1,
               label=f"report month ({overview.month})")
    month_axis(ax)
    ax.set(title="Rows per table and month (log scale)", xlabel="Month", ylabel="Rows in the month (log scale)")
    ax.legend(title="Table", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=9)
    return ax
