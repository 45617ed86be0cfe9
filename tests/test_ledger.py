"""The revenue ledger: subscription MRR, month-end balances, paid spells."""
import numpy as np
import pandas as pd
import pytest

from csm_kit.exceptions import DataValidationError
from csm_kit.metrics.ledger import month_end_mrr, paid_spells, subscription_mrr
from tests.test_retention import subs


def test_mrr_per_billing_period():
    s = subs(("a", "2026-01-01", None, 1200.0, "year"), ("b", "2026-01-01", None, 90.0, "quarter"),
             ("c", "2026-01-01", None, 10.0, "week"), ("d", "2026-01-01", None, 1.0, "day"))
    assert subscription_mrr(s).tolist() == pytest.approx([100.0, 30.0, 10 * 52 / 12, 365.25 / 12])


def test_unknown_billing_period_is_an_error_naming_the_rows():
    s = subs(("a", "2026-01-01", None, 10.0, "fortnight"))
    with pytest.raises(DataValidationError, match="subscriptions.billing_period: unknown billing period"):
        subscription_mrr(s)


def test_month_end_balance_uses_half_open_coverage():
    # Ends on the 1st of March: not paying on Feb 28? It is: [Jan 15, Mar 1) covers Feb 28.
    s = subs(("a", "2026-01-15", "2026-03-01", 100.0), ("b", "2026-01-31", "2026-02-01", 50.0),
             ("c", "2026-02-05", "2026-02-20", 70.0))
    b = month_end_mrr(s, "2026-01", "2026-03")
    assert b.loc["a"].tolist() == [100, 100, 0]
    assert b.loc["b"].tolist() == [50, 0, 0]      # covers Jan 31 only
    assert b.loc["c"].tolist() == [0, 0, 0]       # joins and leaves inside February
    assert b.columns.astype(str).tolist() == ["2026-01", "2026-02", "2026-03"]


def test_balances_are_exact_whatever_the_order():
    rows = [(f"c{i % 3}", "2026-01-01", None, 0.1, "month") for i in range(30)]
    b = month_end_mrr(subs(*rows), "2026-01", "2026-01")
    assert b.iloc[:, 0].tolist() == [1.0, 1.0, 1.0]  # 10 x 0.1, summed in micro-units: exactly 1.0


def test_paid_spells_merge_touching_and_overlapping_subscriptions():
    s = subs(("a", "2026-01-01", "2026-02-01", 10.0), ("a", "2026-02-01", "2026-03-15", 10.0),
             ("a", "2026-03-01", "2026-04-01", 5.0),                     # overlaps: still one spell
             ("a", "2026-06-01", None, 10.0),                            # a second spell
             ("b", "2026-01-01", None, 0.0),                             # free plan: never paying
             ("c", "2026-01-10", "2026-01-10", 10.0))                    # zero length: no spell
    spells = paid_spells(s)
    assert spells["customer_id"].tolist() == ["a", "a"]
    assert spells["spell"].tolist() == [1, 2]
    assert spells["start"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-06-01")]
    assert spells["end"].iloc[0] == pd.Timestamp("2026-04-01") and pd.isna(spells["end"].iloc[1])


def test_discounts_and_missing_discounts():
    s = subs(("a", "2026-01-01", None, 300.0, "quarter"), ("b", "2026-01-01", None, 1200.0, "year"))
    s["discount"] = [0.1, None]          # 300 / 3 x 0.9 = 90; no discount -> 1200 / 12 = 100
    assert subscription_mrr(s).tolist() == pytest.approx([90.0, 100.0])


def test_balances_add_a_customers_subscriptions_and_start_on_any_day():
    # Two seats of one customer add up; a subscription starting on the last day of a month counts in it.
    s = subs(("a", "2026-01-10", None, 100.0), ("a", "2026-02-28", None, 1200.0, "year"),
             ("b", "2026-02-28", "2026-03-01", 10.0))
    b = month_end_mrr(s, "2026-01", "2026-03")
    assert b.loc["a"].tolist() == [100, 200, 200]      # 100; 100 + 1200/12; unchanged
    assert b.loc["b"].tolist() == [0, 10, 0]           # [Feb 28, Mar 1) covers Feb 28 only


def test_empty_table_gives_an_empty_balance_matrix():
    b = month_end_mrr(subs(("a", "2026-01-01", None, 1.0)).iloc[:0], "2026-01", "2026-02")
    assert b.shape == (0, 2)
    assert paid_spells(subs(("a", "2026-01-01", None, 1.0)).iloc[:0]).empty


@pytest.mark.parametrize("column, value, rule", [
    ("amount", np.nan, "subscriptions.amount: must be a number >= 0"),
    ("amount", -5.0, "subscriptions.amount: must be a number >= 0"),
    ("customer_id", None, "subscriptions.customer_id: must not be empty"),
    ("start_date", pd.NaT, "subscriptions.start_date: must not be empty"),
    ("end_date", pd.Timestamp("2025-12-01"), "subscriptions.end_date: ends before it starts"),
])
def test_rows_the_ledger_cannot_place_are_refused_with_their_row_number(column, value, rule):
    # Before the fix a NaN amount became -9.2e12 and an empty customer_id was added to the last customer.
    s = subs(("a", "2026-01-01", None, 10.0), ("b", "2026-01-01", None, 10.0))
    s[column] = s[column].astype(object) if column == "customer_id" else s[column]
    s.loc[1, column] = value
    with pytest.raises(DataValidationError, match=rule) as err:
        month_end_mrr(s, "2026-01", "2026-01")
    assert err.value.rows.index.tolist() == [2]          # 1-based position of the bad row
    with pytest.raises(DataValidationError, match=rule):
        paid_spells(s)


def test_missing_columns_and_mixed_currencies():
    from csm_kit.exceptions import MissingTableError
    s = subs(("a", "2026-01-01", None, 10.0))
    with pytest.raises(MissingTableError, match="amount"):
        month_end_mrr(s.drop(columns="amount"), "2026-01", "2026-01")
    s2 = subs(("a", "2026-01-01", None, 10.0), ("b", "2026-01-01", None, 10.0), ("c", "2026-01-01", None, 1.0))
    s2["currency"] = ["EUR", None, "EUR"]                     # one currency plus blanks: fine
    assert month_end_mrr(s2, "2026-01", "2026-01").iloc[:, 0].sum() == 21
    s2["currency"] = ["EUR", "GBP", "EUR"]
    with pytest.raises(DataValidationError, match="different currencies"):
        month_end_mrr(s2, "2026-01", "2026-01")


def test_a_free_plan_between_paid_ones_splits_the_spell():
    # Paid Jan, free Feb (amount 0 is not paying), paid again from March: two spells.
    s = subs(("a", "2026-01-01", "2026-02-01", 10.0), ("a", "2026-02-01", "2026-03-01", 0.0),
             ("a", "2026-03-01", None, 10.0))
    spells = paid_spells(s)
    assert spells["start"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-03-01")]
    assert spells["end"].iloc[0] == pd.Timestamp("2026-02-01")
    assert month_end_mrr(s, "2026-01", "2026-03").loc["a"].tolist() == [10, 0, 10]


def test_balances_do_not_depend_on_row_order():
    rows = [("a", "2026-01-05", "2026-03-10", 33.33), ("b", "2026-02-01", None, 1200.0, "year"),
            ("a", "2026-02-15", None, 12.5, "week"), ("c", "2026-01-31", "2026-02-02", 7.0, "day")]
    forward = month_end_mrr(subs(*rows), "2026-01", "2026-04")
    backward = month_end_mrr(subs(*rows[::-1]), "2026-01", "2026-04")
    pd.testing.assert_frame_equal(forward, backward)
    # a: Jan 33.33; Feb 33.33 + 12.5 x 52 / 12 = 33.33 + 54.1666..; from March 54.1666..
    assert forward.loc["a"].tolist() == pytest.approx([33.33, 33.33 + 12.5 * 52 / 12] + [12.5 * 52 / 12] * 2)
    assert forward.loc["c"].tolist() == pytest.approx([7 * 365.25 / 12, 0, 0, 0])
