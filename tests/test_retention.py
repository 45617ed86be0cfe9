"""Logo churn and retention: hand-built subscription histories, counted by hand."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from csm_kit import Dataset
from csm_kit.metrics.retention import churn_rates, retention_rates


def subs(*rows):
    """rows: (customer_id, start, end or None, amount[, billing_period])."""
    frame = pd.DataFrame([r if len(r) == 5 else (*r, "month") for r in rows],
                         columns=["customer_id", "start_date", "end_date", "amount", "billing_period"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["subscription_id"] = [f"s{i}" for i in range(len(frame))]
    return frame


def worked_example():
    """metrics.md: 200 at start, 10 existing churn, 30 new of whom 3 churn, 2 reactivations, 219 at end."""
    rows = []
    rows += [(f"old{i}", "2026-01-01", "2026-02-15" if i < 10 else None, 100.0) for i in range(200)]
    rows += [(f"new{i}", "2026-02-05", "2026-02-20" if i < 3 else None, 100.0) for i in range(30)]
    rows += [(f"back{i}", "2025-06-01", "2025-12-01", 100.0) for i in range(2)]  # paid before...
    rows += [(f"back{i}", "2026-02-10", None, 100.0) for i in range(2)]          # ...and came back
    return subs(*rows)


@pytest.mark.parametrize("convention, numerator, denominator", [
    ("start", 10, 200),            # 10 / 200 = 5.00%  (new-and-churned left out of both)
    ("start_plus_new", 13, 230),   # (10 + 3) / (200 + 30) = 5.65%
    ("seeds", 13, 203),            # (10 + 3) / (200 + 3) = 6.40%  (the kit's default)
    ("average", 13, 209.5),        # 13 / ((200 + 219) / 2) = 6.21%
])
def test_the_four_conventions_on_the_worked_example(convention, numerator, denominator):
    row = churn_rates(worked_example(), start="2026-02", end="2026-02", convention=convention).iloc[0]
    assert (row.customers_start, row.new, row.reactivated, row.joined) == (200, 30, 2, 32)
    assert (row.churned_existing, row.churned_joined, row.churned, row.customers_end) == (10, 3, 13, 219)
    assert row.numerator == numerator and row.denominator == denominator
    assert row.churn_rate == pytest.approx(numerator / denominator)
    assert row.convention == convention


def test_rounded_rates_match_the_published_percentages():
    rates = {c: churn_rates(worked_example(), start="2026-02", end="2026-02", convention=c)["churn_rate"].item()
             for c in ("start", "start_plus_new", "seeds", "average")}
    assert {c: round(100 * r, 2) for c, r in rates.items()} == {
        "start": 5.00, "start_plus_new": 5.65, "seeds": 6.40, "average": 6.21}


def test_join_and_churn_in_the_same_month_counts_in_start_and_churn():
    s = subs(("a", "2026-01-01", None, 10.0), ("b", "2026-02-03", "2026-02-25", 10.0))
    row = churn_rates(s, start="2026-02", end="2026-02").iloc[0]
    # b: new in February and gone by its end. Seeds: 1 / (1 + 1) = 50%.
    assert (row.customers_start, row.new, row.churned_joined, row.customers_end) == (1, 1, 1, 1)
    assert row.churn_rate == 0.5


def test_reactivation_is_not_new():
    s = subs(("a", "2025-10-01", "2025-12-01", 10.0), ("a", "2026-02-01", None, 10.0))
    feb = churn_rates(s, start="2025-12", end="2026-02").set_index("month").loc[pd.Period("2026-02")]
    assert (feb.new, feb.reactivated, feb.joined, feb.customers_end) == (0, 1, 1, 1)
    dec = churn_rates(s, start="2025-12", end="2026-02").set_index("month").loc[pd.Period("2025-12")]
    assert (dec.customers_start, dec.churned_existing) == (1, 1)  # paying on Nov 30, not on Dec 31


def test_cancelling_one_of_two_subscriptions_is_not_churn():
    s = subs(("a", "2026-01-01", None, 10.0), ("a", "2026-01-01", "2026-02-10", 5.0))
    assert churn_rates(s, start="2026-02", end="2026-02")["churned"].item() == 0


def test_moving_to_a_free_plan_is_churn():
    s = subs(("a", "2026-01-01", "2026-02-10", 10.0), ("a", "2026-02-10", None, 0.0))
    row = churn_rates(s, start="2026-02", end="2026-02").iloc[0]
    assert (row.customers_start, row.churned_existing, row.churn_rate) == (1, 1, 1.0)


def test_plan_change_on_the_same_day_is_not_churn():
    s = subs(("a", "2026-01-01", "2026-02-10", 10.0), ("a", "2026-02-10", None, 30.0))
    row = churn_rates(s, start="2026-02", end="2026-02").iloc[0]
    assert (row.churned, row.joined, row.customers_end) == (0, 0, 1)


def test_leaving_and_returning_inside_a_month_is_retained():
    s = subs(("a", "2026-01-01", "2026-02-05", 10.0), ("a", "2026-02-20", None, 10.0))
    row = churn_rates(s, start="2026-02", end="2026-02").iloc[0]
    assert (row.customers_start, row.joined, row.churned, row.customers_end) == (1, 0, 0, 1)


def test_annual_plans_churn_only_when_the_year_ends():
    # Two annual customers from 2025-03-01; one does not renew on 2026-03-01.
    s = subs(("a", "2025-03-01", "2026-03-01", 1200.0, "year"), ("b", "2025-03-01", None, 1200.0, "year"))
    r = churn_rates(s, start="2025-04", end="2026-04").set_index("month")["churned"]
    assert r.sum() == 1 and r[pd.Period("2026-03")] == 1  # end_date 2026-03-01: not paying on Mar 31


def test_censoring_keeps_active_customers_in():
    s = subs(("a", "2026-01-01", None, 10.0))
    r = churn_rates(s, start="2026-02", end="2026-04")
    assert r["customers_end"].tolist() == [1, 1, 1] and r["churn_rate"].tolist() == [0.0, 0.0, 0.0]


def test_single_customer_and_empty_period():
    s = subs(("a", "2026-05-01", None, 10.0))
    r = churn_rates(s, start="2026-02", end="2026-03")  # before anyone paid
    assert r[["customers_start", "churned", "customers_end"]].to_numpy().sum() == 0
    assert r["churn_rate"].isna().all()  # 0 / 0 is undefined, not 0%


def test_identity_and_retention_is_one_minus_churn():
    r = retention_rates(worked_example(), start="2026-02", end="2026-02").iloc[0]
    assert r.customers_end == r.customers_start + r.joined - r.churned
    assert r.retention_rate == pytest.approx(1 - 13 / 203)
    assert r.classic_retention_rate == pytest.approx((219 - 30) / 200)


def test_breakdown_by_segment_and_billing_period():
    s = subs(("a", "2026-01-01", "2026-02-10", 10.0), ("b", "2026-01-01", None, 1200.0, "year"),
             ("c", "2026-01-01", None, 10.0))
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": pd.to_datetime(["2026-01-01"] * 3),
                              "segment": ["smb", "enterprise", "smb"]})
    ds = Dataset(customers=customers, subscriptions=s)
    seg = churn_rates(ds, start="2026-02", end="2026-02", by="segment").set_index("segment")
    assert seg.loc["smb", "churn_rate"] == 0.5 and seg.loc["enterprise", "churn_rate"] == 0.0
    bp = churn_rates(ds, start="2026-02", end="2026-02", by="billing_period").set_index("billing_period")
    assert bp.loc["month", "churned"] == 1 and bp.loc["year", "customers_start"] == 1


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="convention must be one of"):
        churn_rates(worked_example(), end="2026-02", convention="stripe")


histories = st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 200), st.integers(0, 200) | st.none(),
                               st.sampled_from([0.0, 10.0, 25.5])), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(histories, st.randoms(use_true_random=False))
def test_rates_in_range_identity_holds_and_row_order_does_not_matter(rows, rnd):
    base = pd.Timestamp("2026-01-01")
    frame = subs(*[(c, base + pd.Timedelta(days=s), None if e is None else base + pd.Timedelta(days=s + e), a)
                   for c, s, e, a in rows])
    shuffled = frame.sample(frac=1, random_state=rnd.randint(0, 10**6))
    for convention in ("seeds", "start", "start_plus_new", "average"):
        a = churn_rates(frame, start="2026-01", end="2026-08", convention=convention)
        b = churn_rates(shuffled, start="2026-01", end="2026-08", convention=convention)
        pd.testing.assert_frame_equal(a, b)
        rates = a["churn_rate"].dropna()
        assert ((rates >= 0) & (rates <= 1 + 1e-12)).all() or convention == "average"
    a = churn_rates(frame, start="2026-01", end="2026-08")
    assert (a["customers_end"] == a["customers_start"] + a["joined"] - a["churned"]).all()
    assert (a["customers_start"].iloc[1:].to_numpy() == a["customers_end"].iloc[:-1].to_numpy()).all()


def test_month_churn_headline_and_its_reasons():
    from csm_kit.metrics.retention import DEFAULT_CONVENTION, month_churn

    ds = Dataset(subscriptions=worked_example())
    h = month_churn(ds, month="2026-02")
    assert DEFAULT_CONVENTION == "seeds" and (h.numerator, h.denominator) == (13, 203)
    assert h.rate == pytest.approx(13 / 203) and h.churned == 13 and h.customers_start == 200
    assert h.reactivated == 2 and h.previous_churned == 0
    assert h.previous_rate is None  # nobody was paying at the start of January: undefined, not 0%
    assert month_churn(ds, month="2026-02", convention="start").rate == pytest.approx(10 / 200)
    # the last dated row is the last cancellation (20 February): January is the last complete month
    assert month_churn(ds, month="2026-05").reason == (
        "The data ends on 2026-02-20 (last complete month 2026-01), before 2026-05: "
        "nothing can be said about 2026-05 yet.")
    assert month_churn(Dataset(subscriptions=worked_example(), snapshot=True), month="2026-02").rate is None
    with pytest.raises(ValueError, match="convention"):
        month_churn(ds, month="2026-02", convention="stripe")
