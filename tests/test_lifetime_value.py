"""Simple CLV and SaaS LTV: the seeds' example and hand-computed Dataset cases."""
import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.metrics.lifetime_value import saas_ltv, saas_ltv_by_month, simple_clv, simple_clv_by_segment
from tests.test_retention import subs


def test_seeds_worked_example():
    assert simple_clv(100, 2, 36).clv == 7_200  # $100 x 2 a month x 36 months


def test_clv_against_acquisition_cost():
    poor = simple_clv(1200, 1, 1, acquisition_cost=1000)   # worth 1,200, cost 1,000 -> 1.2
    assert poor.clv_to_cac == pytest.approx(1.2) and poor.verdict.startswith("poor")
    assert simple_clv(100, 1, 5, acquisition_cost=1000).verdict.startswith("loses money")  # 500 < 1000
    assert simple_clv(100, 2, 36, acquisition_cost=2000).verdict.startswith("healthy")     # 3.6
    assert simple_clv(100, 2, 36).clv_to_cac is None


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="lifespan"):
        simple_clv(100, 2, -1)
    with pytest.raises(ValueError, match="gross_margin"):
        saas_ltv(100, churn=0.05, gross_margin=80)


def test_saas_ltv_and_zero_churn():
    assert saas_ltv(100, churn=0.05).ltv == pytest.approx(2000)            # 100 / 0.05
    assert saas_ltv(100, churn=0.05).expected_lifetime_months == pytest.approx(20)
    zero = saas_ltv(100, churn=0.0)
    assert np.isnan(zero.ltv) and "no churn" in zero.reason


def dataset():
    # 10 smb customers at $100 from Jan; 1 leaves each of Feb, Mar, Apr. 2 enterprise at $1000/month, none leave.
    rows = [(f"s{i}", "2026-01-01", {0: "2026-02-10", 1: "2026-03-10", 2: "2026-04-10"}.get(i), 100.0)
            for i in range(10)]
    rows += [(f"e{i}", "2026-01-01", None, 1000.0) for i in range(2)]
    customers = pd.DataFrame({"customer_id": [r[0] for r in rows],
                              "signup_date": pd.to_datetime(["2026-01-01"] * 12),
                              "segment": ["smb"] * 10 + ["enterprise"] * 2,
                              "acquisition_cost": [150.0] * 10 + [5000.0] * 2})
    return Dataset(customers=customers, subscriptions=subs(*rows))


def test_saas_ltv_by_month_pools_churn_over_the_window():
    out = saas_ltv_by_month(dataset(), start="2026-04", end="2026-04", window=3).iloc[0]
    # Start-of-month customers Feb 12, Mar 11, Apr 10; churned 1 each -> 3 / 33.
    assert out.smoothed_churn == pytest.approx(3 / 33)
    # ARPA end of April: (7 x 100 + 2 x 1000) / 9 = 300.
    assert out.arpa == pytest.approx(300)
    assert out.ltv == pytest.approx(300 / (3 / 33))


def test_simple_clv_by_segment_with_cac_and_payback():
    out = simple_clv_by_segment(dataset(), month="2026-04", window=4).set_index("segment")
    smb, ent = out.loc["smb"], out.loc["enterprise"]
    # smb: starts Jan 0, Feb 10, Mar 9, Apr 8 = 27; churned 3 -> 1/9 a month; lifespan 9 months; ARPA 100.
    assert smb.monthly_churn == pytest.approx(3 / 27) and smb.clv == pytest.approx(900)
    assert smb.cac == 150 and smb.clv_to_cac == pytest.approx(6) and smb.payback_months == pytest.approx(1.5)
    # enterprise: no churn -> infinite lifespan: CLV not finite, stated rather than divided by zero.
    assert ent.monthly_churn == 0 and np.isinf(ent.clv)
