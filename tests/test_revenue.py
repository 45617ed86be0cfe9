"""MRR, movements, NRR/GRR, quick ratio, ARPA: hand-computed cases."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError
from csm_kit.metrics.revenue import arpa, mrr, mrr_movement_log, mrr_movements, quick_ratio, revenue_retention
from tests.test_retention import subs

FEB = dict(start="2026-02", end="2026-02")


def one(frame):
    assert len(frame) == 1
    return frame.iloc[0]


def test_billing_periods_and_discounts_normalise_to_mrr():
    s = subs(("a", "2026-01-01", None, 1200.0, "year"),      # 1200 / 12 = 100
             ("b", "2026-01-01", None, 300.0, "quarter"),    # 300 / 3 = 100
             ("c", "2026-01-01", None, 52.0, "week"),        # 52 / (12/52) ... = 52 * 52 / 12 = 225.333
             ("d", "2026-01-01", None, 100.0))
    s["discount"] = [0.0, 0.5, None, 0.25]                   # b -> 50, d -> 75
    row = one(mrr(s, start="2026-01", end="2026-01"))
    assert row.mrr == pytest.approx(100 + 50 + 52 * 52 / 12 + 75)
    assert row.paying_customers == 4 and row.arr == pytest.approx(12 * row.mrr)


def test_seeds_mrr_example():
    # 100 customers at $100/month + 50 at $600/year = 10,000 + 2,500 = 12,500
    rows = [(f"m{i}", "2026-01-01", None, 100.0) for i in range(100)]
    rows += [(f"y{i}", "2026-01-01", None, 600.0, "year") for i in range(50)]
    assert one(mrr(subs(*rows), start="2026-01", end="2026-01")).mrr == 12_500


def test_every_movement_kind_in_one_month():
    s = subs(
        ("new", "2026-02-03", None, 40.0),                              # new +40
        ("back", "2025-05-01", "2025-09-01", 30.0), ("back", "2026-02-10", None, 35.0),  # reactivation +35
        ("up", "2026-01-01", None, 100.0), ("up", "2026-02-01", None, 20.0),   # second subscription: expansion +20
        ("down", "2026-01-01", None, 60.0), ("down", "2026-01-01", "2026-02-05", 15.0),  # cancel one of two: contraction 15
        ("gone", "2026-01-01", "2026-02-20", 50.0),                     # churn 50
        ("free", "2026-01-01", "2026-02-10", 25.0), ("free", "2026-02-10", None, 0.0),  # to a free plan: churn 25
        ("swap", "2026-01-01", "2026-02-14", 80.0), ("swap", "2026-02-14", None, 90.0),  # same-day plan change: expansion 10
        ("flash", "2026-02-02", "2026-02-25", 70.0),                    # joins and leaves inside February
    )
    m = one(mrr_movements(s, **FEB))
    assert m.mrr_start == 100 + 75 + 50 + 25 + 80                       # 330
    assert (m.new, m.reactivation, m.expansion, m.contraction, m.churn) == (40, 35, 30, 15, 75)
    assert m.mrr_end == 40 + 35 + 120 + 60 + 90                          # 345
    assert m.mrr_end == m.mrr_start + m.new + m.reactivation + m.expansion - m.contraction - m.churn
    assert (m.new_customers, m.reactivation_customers, m.expansion_customers,
            m.contraction_customers, m.churn_customers, m.joined_and_left) == (1, 1, 2, 1, 2, 1)
    assert m.gross_mrr_churn == pytest.approx((75 + 15) / 330)
    assert m.net_mrr_churn == pytest.approx((75 + 15 - 30 - 35) / 330)

    log = mrr_movement_log(s, **FEB)
    assert log.groupby("movement")["change"].sum().to_dict() == {
        "churn": -75, "contraction": -15, "expansion": 30, "new": 40, "reactivation": 35}
    assert set(log["customer_id"]) == {"new", "back", "up", "down", "gone", "free", "swap"}


def test_new_is_judged_on_all_history_not_only_the_window():
    s = subs(("a", "2025-01-01", "2025-03-01", 10.0), ("a", "2026-02-01", None, 10.0))
    m = one(mrr_movements(s, **FEB))
    assert (m.new, m.reactivation) == (0, 10)


def test_only_annual_plans_and_censoring_at_the_end():
    s = subs(("a", "2025-06-01", "2026-06-01", 2400.0, "year"), ("b", "2025-06-01", None, 1200.0, "year"))
    m = mrr_movements(s, start="2026-05", end="2026-07").set_index("month")
    assert m.loc[pd.Period("2026-05"), "mrr_end"] == 300
    assert m.loc[pd.Period("2026-06"), "churn"] == 200 and m.loc[pd.Period("2026-07"), "mrr_end"] == 100


def test_empty_period_and_single_customer():
    s = subs(("a", "2026-06-01", None, 10.0))
    m = mrr_movements(s, start="2026-02", end="2026-03")
    assert m[["mrr_start", "new", "churn", "mrr_end"]].to_numpy().sum() == 0
    assert m["gross_mrr_churn"].isna().all()
    assert one(arpa(s, start="2026-06", end="2026-06")).arpa == 10
    assert np.isnan(one(arpa(s, start="2026-05", end="2026-05")).arpa)


def test_revenue_retention_worked_example_movement_form():
    # start 7.1 + 1.4 + 0.6 + 0.9 = 10.0M; contraction 0.6M, churn 0.9M, expansion 1.8M
    # GRR = (10 - 0.9 - 0.6) / 10 = 85%; NRR = (10 - 0.9 - 0.6 + 1.8) / 10 = 103%
    s = subs(("stay", "2026-01-01", None, 7_100_000.0), ("stay", "2026-02-01", None, 1_800_000.0),
             ("shrink", "2026-01-01", None, 1_400_000.0), ("shrink", "2026-01-01", "2026-02-05", 600_000.0),
             ("leave", "2026-01-01", "2026-02-05", 900_000.0),
             ("brand_new", "2026-02-05", None, 500_000.0))  # new MRR is not retention
    r = one(revenue_retention(s, **FEB))
    assert r.mrr_start == 10_000_000
    assert r.grr == pytest.approx(0.85) and r.nrr == pytest.approx(1.03)


def test_revenue_retention_cohort_form_caps_grr():
    # Base in Jan 2025: a 100 (expands to 150), b 100 (contracts to 40), c 100 (churns). d joins later.
    s = subs(("a", "2025-01-01", "2025-06-01", 100.0), ("a", "2025-06-01", None, 150.0),
             ("b", "2025-01-01", "2025-06-01", 100.0), ("b", "2025-06-01", None, 40.0),
             ("c", "2025-01-01", "2025-09-01", 100.0), ("d", "2025-05-01", None, 500.0))
    r = one(revenue_retention(s, start="2026-01", end="2026-01", form="cohort"))
    assert (r.customers_base, r.mrr_start, r.mrr_now) == (3, 300, 190)
    assert r.nrr == pytest.approx(190 / 300)
    assert r.grr == pytest.approx((100 + 40 + 0) / 300)  # a capped at its starting 100
    assert r.form == "cohort_12m"


def test_quick_ratio_never_crashes_without_losses():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-02-01", None, 40.0),
             ("c", "2026-01-01", "2026-03-10", 20.0), ("d", "2026-03-01", None, 30.0))
    q = quick_ratio(s, start="2026-02", end="2026-04").set_index("month")
    assert q.loc[pd.Period("2026-02"), "quick_ratio"] == np.inf and not q.loc[pd.Period("2026-02"), "defined"]
    assert q.loc[pd.Period("2026-03"), "quick_ratio"] == pytest.approx(30 / 20)
    assert np.isnan(q.loc[pd.Period("2026-04"), "quick_ratio"])


def test_breakdown_by_segment():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", "2026-02-10", 50.0))
    customers = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2),
                              "segment": ["smb", "enterprise"]})
    m = mrr_movements(Dataset(customers=customers, subscriptions=s), by="segment", **FEB).set_index("segment")
    assert m.loc["enterprise", "churn"] == 50 and m.loc["smb", "mrr_end"] == 100


def test_mixed_currencies_are_refused():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", None, 100.0))
    s["currency"] = ["USD", "EUR"]
    with pytest.raises(DataValidationError, match="different currencies"):
        mrr(s, start="2026-01", end="2026-01")


histories = st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 300), st.integers(0, 300) | st.none(),
                               st.sampled_from([0.0, 9.99, 10.0, 100.0, 1200.0]),
                               st.sampled_from(["month", "year", "quarter", "week", "day"])),
                     min_size=1, max_size=15)


@settings(max_examples=50, deadline=None)
@given(histories, st.integers(0, 10**6))
def test_identity_holds_exactly_and_order_does_not_matter(rows, seed):
    base = pd.Timestamp("2026-01-01")
    frame = subs(*[(c, base + pd.Timedelta(days=s), None if e is None else base + pd.Timedelta(days=s + e), a, p)
                   for c, s, e, a, p in rows])
    m = mrr_movements(frame, start="2026-01", end="2026-11")
    rebuilt = m["mrr_start"] + m["new"] + m["reactivation"] + m["expansion"] - m["contraction"] - m["churn"]
    assert np.allclose(rebuilt, m["mrr_end"], rtol=0, atol=1e-6)
    assert (m["mrr_start"].iloc[1:].to_numpy() == m["mrr_end"].iloc[:-1].to_numpy()).all()
    shuffled = frame.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(m, mrr_movements(shuffled, start="2026-01", end="2026-11"))
    r = revenue_retention(frame, start="2026-01", end="2026-11").dropna()
    assert ((r["grr"] >= 0) & (r["grr"] <= 1 + 1e-12)).all() and (r["nrr"] >= r["grr"] - 1e-12).all()
    c = revenue_retention(frame, start="2026-06", end="2026-11", form="cohort", window=3).dropna()
    assert (c["grr"] <= 1 + 1e-12).all() and (c["nrr"] >= c["grr"] - 1e-12).all()
