"""MRR, movements, NRR/GRR, quick ratio, ARPA: hand-computed cases and properties."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics import arpa, mrr, mrr_movement_log, mrr_movements, quick_ratio, revenue_retention
from tests.test_retention import subs

FEB = dict(start="2026-02", end="2026-02")
MOVES = ["new", "reactivation", "expansion", "contraction", "churn"]


def one(frame):
    assert len(frame) == 1
    return frame.iloc[0]


def by_month(frame):
    return frame.set_index(frame["month"].astype(str))


# -- MRR, ARR, ARPA --------------------------------------------------------------

def test_billing_periods_and_discounts_normalise_to_mrr():
    s = subs(("a", "2026-01-01", None, 1200.0, "year"),      # 1200 / 12 = 100
             ("b", "2026-01-01", None, 300.0, "quarter"),    # 300 / 3 = 100, half off -> 50
             ("c", "2026-01-01", None, 52.0, "week"),        # 52 / (12/52) = 52 * 52 / 12 = 225.33
             ("d", "2026-01-01", None, 100.0))               # 25% off -> 75
    s["discount"] = [0.0, 0.5, None, 0.25]
    row = one(mrr(s, start="2026-01", end="2026-01"))
    assert row.mrr == pytest.approx(100 + 50 + 52 * 52 / 12 + 75)
    assert row.paying_customers == 4 and row.arr == pytest.approx(12 * row.mrr)
    assert row.arpa == pytest.approx(row.mrr / 4)


def test_seeds_mrr_example():
    # 100 customers at $100/month + 50 at $600/year = 10,000 + 50 x 50 = 12,500
    rows = [(f"m{i}", "2026-01-01", None, 100.0) for i in range(100)]
    rows += [(f"y{i}", "2026-01-01", None, 600.0, "year") for i in range(50)]
    row = one(mrr(subs(*rows), start="2026-01", end="2026-01"))
    assert (row.mrr, row.arr, row.paying_customers) == (12_500, 150_000, 150)
    assert row.arpa == pytest.approx(12_500 / 150)


def test_free_plans_are_not_paying_customers():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", None, 0.0))
    row = one(arpa(s, start="2026-01", end="2026-01"))
    assert (row.mrr, row.paying_customers, row.arpa) == (100, 1, 100)   # 100 / 1, not 100 / 2


def test_censoring_at_the_end_of_the_period():
    # a: no end_date (still active) -> in every balance. b: ends after the reported period ->
    # still paying at its end. c: ends on the 1st of April -> covers March 31, gone in April.
    s = subs(("a", "2026-01-10", None, 10.0), ("b", "2026-01-10", "2026-09-01", 20.0),
             ("c", "2026-01-10", "2026-04-01", 40.0))
    m = by_month(mrr(s, start="2026-03", end="2026-04"))
    assert m.loc["2026-03", "mrr"] == 10 + 20 + 40
    assert m.loc["2026-04", "mrr"] == 10 + 20 and m.loc["2026-04", "paying_customers"] == 2


def test_start_defaults_to_the_first_subscription_month():
    s = subs(("a", "2025-11-20", None, 10.0))
    assert mrr(s, end="2026-01")["month"].astype(str).tolist() == ["2025-11", "2025-12", "2026-01"]


def test_mrr_and_arpa_by_segment_and_billing_period():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", None, 50.0),
             ("c", "2026-01-01", None, 2400.0, "year"))
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": pd.to_datetime(["2026-01-01"] * 3),
                              "segment": ["smb", "smb", "enterprise"]})
    ds = Dataset(customers=customers, subscriptions=s)
    seg = arpa(ds, start="2026-01", end="2026-01", by="segment").set_index("segment")
    assert seg.loc["smb", "arpa"] == 75 and seg.loc["enterprise", "arpa"] == 200   # (100+50)/2; 2400/12
    per = mrr(ds, start="2026-01", end="2026-01", by="billing_period").set_index("billing_period")
    assert per.loc["month", "mrr"] == 150 and per.loc["year", "mrr"] == 200
    with pytest.raises(MissingTableError, match="needs a Dataset"):
        mrr(s, start="2026-01", end="2026-01", by="segment")


def test_mixed_currencies_are_refused():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", None, 100.0))
    s["currency"] = ["USD", "EUR"]
    with pytest.raises(DataValidationError, match="different currencies"):
        mrr(s, start="2026-01", end="2026-01")
    with pytest.raises(DataValidationError, match="different currencies"):
        mrr_movements(s, start="2026-01", end="2026-01")


def test_rows_the_ledger_cannot_place_are_refused():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", None, np.nan))
    with pytest.raises(DataValidationError, match=r"subscriptions.amount: must be a number >= 0"):
        mrr(s, start="2026-01", end="2026-01")


def test_missing_subscriptions_table():
    with pytest.raises(MissingTableError, match="mrr_movements needs the 'subscriptions' table"):
        mrr_movements(Dataset(), start="2026-01", end="2026-01")


def test_bad_arguments():
    s = subs(("a", "2026-01-01", None, 100.0))
    with pytest.raises(ValueError, match="ends"):
        mrr(s, start="2026-03", end="2026-01")
    with pytest.raises(ValueError, match="form must be"):
        revenue_retention(s, end="2026-01", form="ttm")
    with pytest.raises(ValueError, match="window"):
        revenue_retention(s, end="2026-01", form="cohort", window=0)


# -- movements ----------------------------------------------------------------

def every_kind():
    return subs(
        ("new", "2026-02-03", None, 40.0),                                              # new +40
        ("back", "2025-05-01", "2025-09-01", 30.0), ("back", "2026-02-10", None, 35.0),  # reactivation +35
        ("up", "2026-01-01", None, 100.0), ("up", "2026-02-01", None, 20.0),             # 2nd subscription: expansion +20
        ("down", "2026-01-01", None, 60.0), ("down", "2026-01-01", "2026-02-05", 15.0),  # 1 of 2 ends: contraction 15
        ("gone", "2026-01-01", "2026-02-20", 50.0),                                     # churn 50
        ("free", "2026-01-01", "2026-02-10", 25.0), ("free", "2026-02-10", None, 0.0),  # to a free plan: churn 25
        ("swap", "2026-01-01", "2026-02-14", 80.0), ("swap", "2026-02-14", None, 90.0),  # same-day change: expansion 10
        ("flash", "2026-02-02", "2026-02-25", 70.0),                                    # joins and leaves in February
    )


def test_every_movement_kind_in_one_month():
    m = one(mrr_movements(every_kind(), **FEB))
    # Jan 31: up 100, down 60 + 15, gone 50, free 25, swap 80 = 330
    assert m.mrr_start == 100 + 75 + 50 + 25 + 80
    assert (m.new, m.reactivation, m.expansion, m.contraction, m.churn) == (40, 35, 20 + 10, 15, 50 + 25)
    # Feb 28: new 40, back 35, up 120, down 60, swap 90 = 345
    assert m.mrr_end == 40 + 35 + 120 + 60 + 90
    assert m.mrr_end == m.mrr_start + m.new + m.reactivation + m.expansion - m.contraction - m.churn
    assert (m.new_customers, m.reactivation_customers, m.expansion_customers,
            m.contraction_customers, m.churn_customers, m.joined_and_left) == (1, 1, 2, 1, 2, 1)
    assert (m.paying_customers_start, m.paying_customers_end) == (5, 5)  # up down gone free swap; new back up down swap
    assert m.gross_mrr_churn == pytest.approx((75 + 15) / 330)
    assert m.net_mrr_churn == pytest.approx((75 + 15 - 30 - 35) / 330)
    assert m.note == ""


def test_movement_log_lists_the_customers_behind_every_total():
    log = mrr_movement_log(every_kind(), **FEB)
    assert dict(zip(log["customer_id"], log["movement"])) == {
        "back": "reactivation", "down": "contraction", "flash": "joined_and_left", "free": "churn",
        "gone": "churn", "new": "new", "swap": "expansion", "up": "expansion"}
    assert log["customer_id"].tolist() == sorted(log["customer_id"])
    swap = log.set_index("customer_id").loc["swap"]
    assert (swap.mrr_before, swap.mrr_after, swap.change) == (80, 90, 10)
    assert log.groupby("movement")["change"].sum().to_dict() == {
        "churn": -75, "contraction": -15, "expansion": 30, "joined_and_left": 0, "new": 40, "reactivation": 35}
    assert "flash" not in set(mrr_movement_log(every_kind(), include_joined_and_left=False, **FEB)["customer_id"])


def test_mrr_growth_is_the_change_in_balance_over_the_opening_balance():
    m = one(mrr_movements(every_kind(), **FEB))
    assert m.mrr_growth == pytest.approx((345 - 330) / 330)
    # A shrinking month, and a first month with nothing to grow from.
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", "2026-02-10", 60.0), ("c", "2026-02-05", None, 20.0))
    m = by_month(mrr_movements(s, start="2026-01", end="2026-02"))
    assert m.loc["2026-02", "mrr_growth"] == pytest.approx((120 - 160) / 160)   # -25%
    assert np.isnan(m.loc["2026-01", "mrr_growth"]) and m.loc["2026-01", "note"] != ""


def test_new_is_judged_on_all_history_not_only_the_window():
    s = subs(("a", "2025-01-01", "2025-03-01", 10.0), ("a", "2026-02-01", None, 10.0))
    m = one(mrr_movements(s, **FEB))
    assert (m.new, m.reactivation, m.reactivation_customers) == (0, 10, 1)


def test_join_and_leave_in_one_month_then_return_is_a_reactivation():
    # January: paid Jan 5-20 (never at a month end). February: back for good.
    s = subs(("a", "2026-01-05", "2026-01-20", 10.0), ("a", "2026-02-03", None, 10.0))
    m = by_month(mrr_movements(s, start="2026-01", end="2026-02"))
    assert m.loc["2026-01", "joined_and_left"] == 1 and m.loc["2026-01", "new"] == 0
    assert m.loc["2026-01", "churn"] == 0
    assert (m.loc["2026-02", "new"], m.loc["2026-02", "reactivation"]) == (0, 10)


def test_single_customer_through_its_life():
    # Jan new 100; Mar adds a 50 seat pack (expansion); May drops it (contraction); Jul leaves (churn).
    s = subs(("a", "2026-01-15", "2026-07-10", 100.0), ("a", "2026-03-01", "2026-05-01", 50.0))
    m = by_month(mrr_movements(s, start="2026-01", end="2026-08"))
    assert m["mrr_end"].tolist() == [100, 100, 150, 150, 100, 100, 0, 0]
    assert (m.loc["2026-01", "new"], m.loc["2026-03", "expansion"]) == (100, 50)
    assert (m.loc["2026-05", "contraction"], m.loc["2026-07", "churn"]) == (50, 100)
    assert m["joined_and_left"].sum() == 0
    assert m.loc["2026-08", "note"] != "" and np.isnan(m.loc["2026-08", "gross_mrr_churn"])


def test_quarterly_and_weekly_plans_move_at_month_ends():
    # q: $300 a quarter = 100 MRR; w: $12 a week = 12 x 52 / 12 = 52 MRR, upgraded to $24/week in March (+52).
    s = subs(("q", "2026-02-10", "2026-05-10", 300.0, "quarter"),
             ("w", "2026-02-01", "2026-03-16", 12.0, "week"), ("w", "2026-03-16", None, 24.0, "week"))
    m = by_month(mrr_movements(s, start="2026-02", end="2026-05"))
    assert m.loc["2026-02", "new"] == pytest.approx(100 + 52)
    assert m.loc["2026-03", "expansion"] == pytest.approx(52)
    assert m.loc["2026-05", "churn"] == pytest.approx(100)
    assert m.loc["2026-05", "mrr_end"] == pytest.approx(104)


def test_only_annual_plans():
    # $2,400/year = 200 MRR ends June 1 (covers May 31): churn 200 in June; $1,200/year = 100 stays.
    s = subs(("a", "2025-06-01", "2026-06-01", 2400.0, "year"), ("b", "2025-06-01", None, 1200.0, "year"))
    m = by_month(mrr_movements(s, start="2026-05", end="2026-07"))
    assert m.loc["2026-05", "mrr_end"] == 300
    assert m.loc["2026-06", "churn"] == 200 and m.loc["2026-06", "churn_customers"] == 1
    assert m.loc["2026-07", "mrr_end"] == 100 and m.loc["2026-07", "churn"] == 0


def test_discount_changes_are_movements():
    # Same price, discount removed from March: 100 x (1 - 0.2) = 80 -> 100 is expansion 20.
    s = subs(("a", "2026-01-01", "2026-03-01", 100.0), ("a", "2026-03-01", None, 100.0))
    s["discount"] = [0.2, None]
    assert one(mrr_movements(s, start="2026-03", end="2026-03")).expansion == 20


def test_empty_period_and_empty_table():
    s = subs(("a", "2026-06-01", None, 10.0))
    m = mrr_movements(s, start="2026-02", end="2026-03")
    assert len(m) == 2 and m[["mrr_start", *MOVES, "mrr_end", "joined_and_left"]].to_numpy().sum() == 0
    assert m["gross_mrr_churn"].isna().all() and m["net_mrr_churn"].isna().all()
    assert (m["note"] == "no MRR at the start of the month: rate undefined").all()
    assert np.isnan(one(arpa(s, start="2026-05", end="2026-05")).arpa)
    empty = subs(("a", "2026-01-01", None, 1.0)).iloc[:0]
    assert one(mrr(empty, **FEB)).mrr == 0
    assert len(mrr_movement_log(empty, **FEB)) == 0
    with pytest.raises(ValueError, match="no subscriptions"):
        mrr(empty, end="2026-02")


def test_breakdown_by_segment():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", "2026-02-10", 50.0))
    customers = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2),
                              "segment": ["smb", "enterprise"]})
    ds = Dataset(customers=customers, subscriptions=s)
    m = mrr_movements(ds, by="segment", **FEB).set_index("segment")
    assert m.loc["enterprise", "churn"] == 50 and m.loc["smb", "mrr_end"] == 100
    assert m.loc["enterprise", "gross_mrr_churn"] == 1.0 and m.loc["smb", "gross_mrr_churn"] == 0
    log = mrr_movement_log(ds, by="segment", **FEB)
    assert log[["customer_id", "segment", "movement"]].values.tolist() == [["b", "enterprise", "churn"]]


# -- NRR, GRR, quick ratio ----------------------------------------------------------

def test_revenue_retention_worked_example_movement_form():
    # start 7.1 + 1.4 + 0.6 + 0.9 = 10.0M; contraction 0.6M, churn 0.9M, expansion 1.8M
    # GRR = (10 - 0.9 - 0.6) / 10 = 85%; NRR = (10 - 0.9 - 0.6 + 1.8) / 10 = 103%
    s = subs(("stay", "2026-01-01", None, 7_100_000.0), ("stay", "2026-02-01", None, 1_800_000.0),
             ("shrink", "2026-01-01", None, 1_400_000.0), ("shrink", "2026-01-01", "2026-02-05", 600_000.0),
             ("leave", "2026-01-01", "2026-02-05", 900_000.0),
             ("brand_new", "2026-02-05", None, 500_000.0),                          # new MRR is not retention
             ("back", "2025-01-01", "2025-06-01", 9.0), ("back", "2026-02-07", None, 300_000.0))  # nor reactivation
    r = one(revenue_retention(s, **FEB))
    assert (r.mrr_start, r.paying_customers_start, r.reactivation) == (10_000_000, 3, 300_000)
    assert (r.churn, r.contraction, r.expansion) == (900_000, 600_000, 1_800_000)
    assert r.grr == pytest.approx(0.85) and r.nrr == pytest.approx(1.03)
    assert r.form == "movement"


def test_revenue_retention_cohort_form_caps_grr():
    # Base at the end of Jan 2025: a 100 (-> 150), b 100 (-> 40), c 100 (churns). d joins later: not in the base.
    s = subs(("a", "2025-01-01", "2025-06-01", 100.0), ("a", "2025-06-01", None, 150.0),
             ("b", "2025-01-01", "2025-06-01", 100.0), ("b", "2025-06-01", None, 40.0),
             ("c", "2025-01-01", "2025-09-01", 100.0), ("d", "2025-05-01", None, 500.0))
    r = one(revenue_retention(s, start="2026-01", end="2026-01", form="cohort"))
    assert (r.customers_base, r.customers_retained, r.mrr_start, r.mrr_now) == (3, 2, 300, 190)
    assert (r.expansion, r.contraction, r.churn, r.mrr_now_capped) == (50, 60, 100, 140)
    assert r.mrr_now == r.mrr_start + r.expansion - r.contraction - r.churn          # 300 + 50 - 60 - 100
    assert r.nrr == pytest.approx(190 / 300)
    assert r.grr == pytest.approx((100 + 40 + 0) / 300)  # a capped at its starting 100
    assert r.form == "cohort_12m"


def test_cohort_form_with_an_empty_base_says_why():
    s = subs(("a", "2026-01-01", None, 100.0))
    r = one(revenue_retention(s, start="2026-03", end="2026-03", form="cohort", window=3))
    assert r.mrr_start == 0 and np.isnan(r.nrr) and np.isnan(r.grr)
    assert r.note == "nobody was paying 3 months earlier: rate undefined"


def test_quick_ratio_never_crashes_without_losses():
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-02-01", None, 40.0),
             ("c", "2026-01-01", "2026-03-10", 20.0), ("d", "2026-03-01", None, 30.0))
    q = by_month(quick_ratio(s, start="2026-02", end="2026-04"))
    assert q.loc["2026-02", "quick_ratio"] == np.inf and not q.loc["2026-02", "defined"]
    assert q.loc["2026-03", "quick_ratio"] == pytest.approx(30 / 20) and q.loc["2026-03", "defined"]
    assert np.isnan(q.loc["2026-04", "quick_ratio"])
    assert q.loc["2026-04", "note"] == "no MRR gained or lost: ratio undefined"


def test_quick_ratio_with_and_without_reactivation():
    # March: new 30, reactivation 20 (b paid in 2025), churn 25 (c).
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2025-01-01", "2025-03-01", 5.0),
             ("b", "2026-03-02", None, 20.0), ("c", "2026-01-01", "2026-03-10", 25.0),
             ("d", "2026-03-01", None, 30.0))
    with_r = one(quick_ratio(s, start="2026-03", end="2026-03"))
    without = one(quick_ratio(s, start="2026-03", end="2026-03", include_reactivation=False))
    assert with_r.quick_ratio == pytest.approx((30 + 20) / 25) and without.quick_ratio == pytest.approx(30 / 25)


# -- properties -----------------------------------------------------------------

histories = st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 300), st.integers(0, 300) | st.none(),
                               st.sampled_from([0.0, 9.99, 10.0, 100.0, 1200.0]),
                               st.sampled_from(["month", "year", "quarter", "week", "day"])),
                     min_size=1, max_size=15)


def frame_of(rows):
    base = pd.Timestamp("2026-01-01")
    return subs(*[(c, base + pd.Timedelta(days=s), None if e is None else base + pd.Timedelta(days=s + e), a, p)
                  for c, s, e, a, p in rows])


@settings(max_examples=60, deadline=None)
@given(histories, st.integers(0, 10**6))
def test_identity_log_and_order_independence(rows, seed):
    frame = frame_of(rows)
    m = mrr_movements(frame, start="2026-01", end="2026-11")
    rebuilt = m["mrr_start"] + m["new"] + m["reactivation"] + m["expansion"] - m["contraction"] - m["churn"]
    assert np.allclose(rebuilt, m["mrr_end"], rtol=0, atol=1e-6)
    assert (m["mrr_start"].iloc[1:].to_numpy() == m["mrr_end"].iloc[:-1].to_numpy()).all()
    assert np.allclose(m["mrr_end"], mrr(frame, start="2026-01", end="2026-11")["mrr"], rtol=0, atol=1e-6)

    # The log explains every total: sums of change and row counts per month and movement.
    log = mrr_movement_log(frame, start="2026-01", end="2026-11")
    for name in MOVES + ["joined_and_left"]:
        sel = log[log["movement"] == name].groupby("month")["change"]
        count = sel.size().reindex(m["month"], fill_value=0).to_numpy()
        assert (count == m[name if name == "joined_and_left" else f"{name}_customers"].to_numpy()).all()
        if name != "joined_and_left":
            sign = -1 if name in ("contraction", "churn") else 1
            assert np.allclose(sign * sel.sum().reindex(m["month"], fill_value=0), m[name], rtol=0, atol=1e-6)

    shuffled = frame.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(m, mrr_movements(shuffled, start="2026-01", end="2026-11"))
    pd.testing.assert_frame_equal(log, mrr_movement_log(shuffled, start="2026-01", end="2026-11"))

    r = revenue_retention(frame, start="2026-01", end="2026-11").dropna(subset=["grr"])
    assert ((r["grr"] >= 0) & (r["grr"] <= 1 + 1e-12)).all() and (r["nrr"] >= r["grr"] - 1e-12).all()
    c = revenue_retention(frame, start="2026-06", end="2026-11", form="cohort", window=3).dropna(subset=["grr"])
    assert ((c["grr"] >= 0) & (c["grr"] <= 1 + 1e-12)).all() and (c["nrr"] >= c["grr"] - 1e-12).all()
    q = quick_ratio(frame, start="2026-01", end="2026-11")
    assert (q["defined"] == (q["losses"] > 0)).all() and (q.loc[q["defined"], "quick_ratio"] >= 0).all()
