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
