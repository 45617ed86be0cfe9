"""A snapshot's overview page does not count rows by month: its start dates are counted back, not recorded."""
import matplotlib
import pandas as pd

import csm_kit
from csm_kit.metrics.overview import data_overview
from csm_kit.plotting.overview import plot_rows_per_month

matplotlib.use("agg")


def _snapshot():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "tenure": [0, 5, 12], "churned": ["No", "Yes", "No"]})
    return csm_kit.from_snapshot(frame, customer_id="id", tenure="tenure", churned="churned", as_of="2026-10-31")


def test_snapshot_overview_says_rows_are_not_counted_by_month():
    o = data_overview(_snapshot(), month="2026-10")
    assert o.snapshot
    assert not o.recent_table().available
    assert "counted back from tenures" in o.recent_table().reason
    ax = plot_rows_per_month(o)
    assert "counted back" in " ".join(t.get_text() for t in ax.texts)


def test_dated_data_still_counts_rows_by_month():
    c = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-09-05", "2026-10-20"])})
    o = data_overview(csm_kit.Dataset(customers=c), month="2026-10")
    assert o.counts_reason is None
    assert o.recent_table().frame[["2026-09", "2026-10"]].iloc[0].tolist() == [1, 1]
