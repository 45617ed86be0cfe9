"""Cohort retention tables, counted by hand."""
import numpy as np
import pandas as pd
import pytest

from csm_kit.metrics.cohorts import cohort_retention
from tests.test_retention import subs


def history():
    # January cohort: a (100, stays, expands to 150 in March), b (50, leaves 2026-02-10),
    #                 c (joins and leaves in January: in the cohort, never at a month end).
    # February cohort: d (80, stays).  Reactivation of b in April does not make a new cohort.
    return subs(("a", "2026-01-05", "2026-03-01", 100.0), ("a", "2026-03-01", None, 150.0),
                ("b", "2026-01-09", "2026-02-10", 50.0), ("b", "2026-04-01", None, 50.0),
                ("c", "2026-01-10", "2026-01-20", 70.0),
                ("d", "2026-02-02", None, 80.0))


def test_logo_cohorts_with_blanks_for_months_not_reached():
    t = cohort_retention(history(), end="2026-04")
    jan, feb = t.loc[pd.Period("2026-01")], t.loc[pd.Period("2026-02")]
    # January: 3 customers. Paying at end of Jan: a, b -> 2/3; Feb: a -> 1/3; Mar: a -> 1/3; Apr: a, b -> 2/3.
    assert jan["cohort_size"] == 3
    assert jan[[0, 1, 2, 3]].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 3, 2 / 3])
    # February: d at every month end reached; age 3 (May) is not reached -> blank, not 0.
    assert feb[[0, 1, 2]].tolist() == [1.0, 1.0, 1.0] and np.isnan(feb[3])
    assert list(t.index) == [pd.Period("2026-01"), pd.Period("2026-02"), "weighted average"]


def test_weighted_average_pools_cohorts_that_reached_the_age():
    avg = cohort_retention(history(), end="2026-04").loc["weighted average"]
    # age 0: (2 + 1) / (3 + 1); age 3: only January reached it -> 2/3.
    assert avg[0] == pytest.approx(3 / 4) and avg[1] == pytest.approx((1 + 1) / 4)
    assert avg[3] == pytest.approx(2 / 3) and avg["cohort_size"] == 4


def test_revenue_cohorts_can_exceed_100_percent():
    t = cohort_retention(history(), end="2026-04", kind="revenue")
    jan = t.loc[pd.Period("2026-01")]
    # Month-0 MRR: a 100 + b 50 = 150 (c left inside January: 0). Feb: 100 -> 0.667;
    # Mar: 150 -> 1.0; Apr: 150 + 50 (b back) = 200 -> 1.333.
    assert jan["starting_mrr"] == 150
    assert jan[[0, 1, 2, 3]].tolist() == pytest.approx([1.0, 100 / 150, 150 / 150, 200 / 150])


def test_long_form_and_max_age():
    long = cohort_retention(history(), end="2026-04", long=True, max_age=1)
    assert long[["age", "cohort_size", "retained"]].values.tolist() == [[0, 3, 2], [1, 3, 1], [0, 1, 1], [1, 1, 1]]
    assert long["cohort"].astype(str).tolist() == ["2026-01", "2026-01", "2026-02", "2026-02"]


def test_start_drops_earlier_cohorts_and_row_order_does_not_matter():
    t = cohort_retention(history().sample(frac=1, random_state=3), end="2026-04", start="2026-02")
    assert list(t.index) == [pd.Period("2026-02"), "weighted average"]
    pd.testing.assert_frame_equal(cohort_retention(history().iloc[::-1], end="2026-04"),
                                  cohort_retention(history(), end="2026-04"))


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        cohort_retention(history(), end="2026-04", kind="seats")
