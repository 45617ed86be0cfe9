"""Simple CLV and SaaS LTV: the seeds' examples and hand-computed Dataset cases."""
import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics import saas_ltv, saas_ltv_by_month, simple_clv, simple_clv_by_segment
from tests.test_retention import subs

NO_CHURN = "undefined: no churn in the window, so the formula gives no finite lifetime"


# -- teaching formula --------------------------------------------------------------

def test_seeds_worked_example():
    r = simple_clv(100, 2, 36)                              # $100 x 2 a month x 36 months
    assert r.clv == 7_200
    assert r.inputs == {"average_purchase_value": 100, "purchase_frequency": 2, "lifespan": 36,
                        "time_unit": "month", "gross_margin": 1.0, "acquisition_cost": None}
    assert r.clv_to_cac is None and r.payback_months is None and r.healthy is None


def test_clv_against_acquisition_cost():
    poor = simple_clv(1200, 1, 1, acquisition_cost=1000)   # worth 1,200, costs 1,000 -> 1.2
    assert poor.clv_to_cac == pytest.approx(1.2) and poor.verdict.startswith("poor") and poor.healthy is False
    assert poor.payback_months == pytest.approx(1000 / 1200)   # 1,200 of revenue a month
    assert simple_clv(100, 1, 5, acquisition_cost=1000).verdict.startswith("loses money")  # 500 / 1000
    good = simple_clv(100, 2, 36, acquisition_cost=2000)                                  # 7,200 / 2,000 = 3.6
    assert good.verdict.startswith("healthy") and good.healthy
    assert good.payback_months == pytest.approx(2000 / 200)                               # 200 a month -> 10


def test_gross_margin_and_time_units():
    r = simple_clv(100, 2, 36, gross_margin=0.8, acquisition_cost=800)
    assert r.clv == pytest.approx(100 * 2 * 36 * 0.8)                                     # 5,760
    assert r.payback_months == pytest.approx(800 / (200 * 0.8))                           # 5 months
    # $10 a purchase, 3 purchases a week, for 104 weeks: 10 x 3 x 104 = 3,120.
    # Per month that is 30 a week x 52 / 12 = 130; CAC 260 is paid back in 2 months.
    w = simple_clv(10, 3, 104, acquisition_cost=260, time_unit="week")
    assert w.clv == 3_120 and w.payback_months == pytest.approx(260 / 130)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="lifespan"):
        simple_clv(100, 2, -1)
    with pytest.raises(ValueError, match="acquisition_cost"):
        simple_clv(100, 2, 1, acquisition_cost=np.nan)
    with pytest.raises(ValueError, match="time_unit"):
        simple_clv(100, 2, 1, time_unit="fortnight")
    with pytest.raises(ValueError, match="gross_margin"):
        saas_ltv(100, churn=0.05, gross_margin=80)
    with pytest.raises(ValueError, match="needs churn"):
        saas_ltv(100)
    with pytest.raises(ValueError, match="needs month"):
        saas_ltv(dataset())


# -- SaaS formula --------------------------------------------------------------------

def test_saas_ltv_and_zero_churn():
    r = saas_ltv(100, churn=0.05)
    assert r.ltv == pytest.approx(2000) and r.expected_lifetime_months == pytest.approx(20)  # 100 / 0.05
    assert saas_ltv(100, churn=0.05, gross_margin=0.5).ltv == pytest.approx(1000)
    zero = saas_ltv(100, churn=0.0)
    assert np.isnan(zero.ltv) and zero.reason == NO_CHURN and zero.expected_lifetime_months == np.inf


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


def test_saas_ltv_from_a_dataset_smooths_churn_over_the_window():
    r = saas_ltv(dataset(), month="2026-04", window=3)
    # Start-of-month customers Feb 12, Mar 11, Apr 10; 1 churned in each -> 1/12, 1/11, 1/10.
    assert r.churn_window == pytest.approx((1 / 12, 1 / 11, 1 / 10))
    mean = (1 / 12 + 1 / 11 + 1 / 10) / 3
    assert r.monthly_churn == pytest.approx(mean)
    # ARPA at the end of April: (7 x 100 + 2 x 1000) / 9 = 300.
    assert r.arpa == pytest.approx(300) and r.ltv == pytest.approx(300 / mean) and r.reason == ""
    assert r.month == pd.Period("2026-04", "M")
    pooled = saas_ltv(dataset(), month="2026-04", window=3, smoothing="pooled")
    assert pooled.monthly_churn == pytest.approx(3 / 33)            # (1 + 1 + 1) / (12 + 11 + 10)
    # A churn given by the user overrides the measured one: 300 x 0.5 / 0.1 = 1,500.
    assert saas_ltv(dataset(), month="2026-04", churn=0.1, gross_margin=0.5).ltv == pytest.approx(1_500)


def test_saas_ltv_by_month_per_segment_and_before_any_churn_rate():
    out = saas_ltv_by_month(dataset(), start="2026-04", end="2026-04", by="segment").set_index("segment")
    smb, ent = out.loc["smb"], out.loc["enterprise"]
    mean = (1 / 10 + 1 / 9 + 1 / 8) / 3                               # smb starts 10, 9, 8; 1 leaves each month
    assert smb.arpa == 100 and smb.smoothed_churn == pytest.approx(mean) and smb.ltv == pytest.approx(100 / mean)
    assert ent.smoothed_churn == 0 and np.isnan(ent.ltv) and ent.reason == NO_CHURN
    jan = saas_ltv_by_month(dataset(), start="2026-01", end="2026-01").iloc[0]
    # Nobody paid at the end of December: January has no churn rate at all.
    assert jan.churn_months == 0 and np.isnan(jan.ltv)
    assert jan.reason == "undefined: no customers at the start of any month in the churn window"


def test_saas_ltv_with_nobody_paying():
    s = subs(("a", "2026-01-01", "2026-02-10", 100.0))
    row = saas_ltv_by_month(s, start="2026-03", end="2026-03", window=2).iloc[0]
    # Feb: 1 at start, 1 lost -> 100%; Mar: nobody at start. ARPA undefined at the end of March.
    assert row.smoothed_churn == 1.0 and np.isnan(row.ltv) and row.reason == "undefined: no paying customers at the month end"


# -- teaching formula from data ---------------------------------------------------------

def test_simple_clv_by_segment_from_subscriptions():
    out = simple_clv_by_segment(dataset(), start="2026-01", end="2026-04").set_index("segment")
    smb, ent = out.loc["smb"], out.loc["enterprise"]
    # smb month-end MRR 1000, 900, 800, 700 over 10 + 9 + 8 + 7 = 34 customer-months -> 100 a purchase, 1 a month.
    assert (smb.customers, smb.average_purchase_value, smb.purchase_frequency) == (10, 100, 1)
    churn = (1 / 10 + 1 / 9 + 1 / 8) / 3                              # January has no rate (nobody at its start)
    assert smb.monthly_churn == pytest.approx(churn) and smb.lifespan_months == pytest.approx(1 / churn)
    assert smb.clv == pytest.approx(100 / churn)                      # about 892.6
    assert (smb.cac, smb.cac_customers) == (150, 10)
    assert smb.clv_to_cac == pytest.approx(100 / churn / 150) and smb.payback_months == pytest.approx(1.5)
    assert smb.verdict.startswith("healthy") and smb.note == ""
    # enterprise: no churn -> unbounded lifespan, CLV not given, and the note says why.
    assert ent.monthly_churn == 0 and np.isinf(ent.lifespan_months) and np.isnan(ent.clv)
    assert ent.note == "no churn in the window: lifespan unbounded" and ent.payback_months == pytest.approx(5)


def test_simple_clv_by_segment_observed_and_assumed_lifespans():
    out = simple_clv_by_segment(dataset(), start="2026-01", end="2026-04", lifespan="observed").set_index("segment")
    # smb leavers: 40, 68 and 99 days (Jan 1 -> Feb 10, Mar 10, Apr 10); mean 69 days = 69 / 30.4375 months.
    assert out.loc["smb", "lifespan_months"] == pytest.approx(69 / (365.25 / 12))
    assert np.isnan(out.loc["enterprise", "lifespan_months"])
    assert out.loc["enterprise", "note"] == "lifespan could not be measured"
    fixed = simple_clv_by_segment(dataset(), start="2026-01", end="2026-04", lifespan=36,
                                  gross_margin=0.8).set_index("segment")
    assert fixed.loc["smb", "clv"] == pytest.approx(100 * 1 * 36 * 0.8)                  # 2,880
    assert fixed.loc["smb", "payback_months"] == pytest.approx(150 / (100 * 0.8))       # 1.875
    overall = simple_clv_by_segment(dataset(), start="2026-01", end="2026-04", by=None, lifespan=12).iloc[0]
    # (3400 + 2 x 4 x 1000) / (34 + 8) = 11,400 / 42 a customer-month; CAC (10 x 150 + 2 x 5000) / 12.
    assert overall.average_purchase_value == pytest.approx(11_400 / 42)
    assert overall.cac == pytest.approx(11_500 / 12)


def test_simple_clv_by_segment_from_transactions():
    ds = dataset()
    tx = pd.DataFrame({"transaction_id": [f"t{i}" for i in range(7)],
                       "customer_id": ["s0", "s0", "s0", "s1", "e0", "e0", "s1"],
                       "date": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-03", "2026-02-10",
                                               "2026-01-15", "2026-02-15", "2026-03-01"]),  # last: outside
                       "amount": [50.0, 100.0, 150.0, 100.0, 1000.0, 1000.0, 999.0]})
    out = simple_clv_by_segment(ds.with_tables(transactions=tx), start="2026-01", end="2026-02",
                                source="transactions", lifespan=12).set_index("segment")
    # smb: 400 over 4 purchases = 100; 4 purchases / (2 buyers x 2 months) = 1 a month; x 12 = 1,200.
    assert (out.loc["smb", "average_purchase_value"], out.loc["smb", "purchase_frequency"]) == (100, 1)
    assert out.loc["smb", "clv"] == 1_200
    # enterprise: 2,000 over 2 = 1,000; 2 / (1 buyer x 2 months) = 1 a month; x 12 = 12,000.
    assert out.loc["enterprise", "clv"] == 12_000 and out.loc["enterprise", "customers"] == 1
    tx["currency"] = ["USD"] * 6 + ["EUR"]
    with pytest.raises(DataValidationError, match="different currencies"):
        simple_clv_by_segment(ds.with_tables(transactions=tx), start="2026-01", end="2026-02",
                              source="transactions", lifespan=12)


def test_simple_clv_by_segment_needs_its_tables_and_valid_arguments():
    with pytest.raises(MissingTableError, match="'customers'"):
        simple_clv_by_segment(dataset().with_tables(customers=None), start="2026-01", end="2026-02")
    with pytest.raises(MissingTableError, match="'transactions'"):
        simple_clv_by_segment(dataset(), start="2026-01", end="2026-02", source="transactions")
    with pytest.raises(ValueError, match="lifespan"):
        simple_clv_by_segment(dataset(), start="2026-01", end="2026-02", lifespan="forever")


def test_saas_ltv_uses_and_names_the_churn_pages_convention():
    from csm_kit.metrics.lifetime_value import default_churn_convention
    from csm_kit.metrics.retention import churn_rates

    # Four customers at the start of February; one leaves; one joins and leaves within February:
    # seeds churn (1 + 1) / (4 + 1) = 40%, start churn 1 / 4 = 25%.
    subs = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                         "start_date": pd.to_datetime(["2026-01-05"] * 4 + ["2026-02-03"]),
                         "end_date": pd.to_datetime([None, None, None, "2026-02-15", "2026-02-20"]),
                         "billing_period": "month", "amount": 50.0})
    page = churn_rates(subs, start="2026-02", end="2026-02")
    ltv = saas_ltv(subs, month="2026-02", window=1)
    assert ltv.churn_convention == default_churn_convention() == page["convention"].iloc[0]
    assert ltv.monthly_churn == pytest.approx(page["churn_rate"].iloc[0])
    assert ltv.monthly_churn == pytest.approx(0.4) and ltv.ltv == pytest.approx(50 / 0.4)   # ARPA 50 (3 paying)
    start = saas_ltv(subs, month="2026-02", window=1, convention="start")
    assert start.churn_convention == "start" and start.monthly_churn == pytest.approx(0.25)
    assert "(start churn" in start.convention and f"({default_churn_convention()} churn" in ltv.convention
