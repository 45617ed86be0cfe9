"""The survival page (area 04): every part is there or says why, on the sample, a snapshot and degenerate data."""
import numpy as np
import pandas as pd
import pytest

import csm_kit
from csm_kit import Dataset
from csm_kit.key_numbers import AREAS, key_numbers_function
from csm_kit.models import RetentionCurves, survival_table
from csm_kit.models.survival_report import (RETENTION_DEFINITION, censoring_example, survival_analysis,
                                            survival_key_numbers)

NAMES = ["median_lifetime_months", "retention_3m", "retention_6m", "retention_12m", "retention_24m",
         "cox_concordance_holdout", "mrr_at_risk_90d", "customers_expected_to_churn_90d"]


@pytest.fixture(scope="module")
def small():
    return csm_kit.simulate(n_customers=400, months=24, seed=11)


def test_registered_and_names_kept(small):
    assert key_numbers_function("04_survival_churn") is survival_key_numbers
    numbers = survival_key_numbers(small, month="2025-10")
    assert [k.name for k in numbers] == NAMES


def test_key_numbers_are_the_pages_numbers(small):
    a = survival_analysis(small, month="2025-10")
    k = {n.name: n for n in survival_key_numbers(small, month="2025-10")}
    t = survival_table(small, as_of="2025-10-31")
    km = RetentionCurves(times=[12]).fit(t).retention_["retention"].iloc[0]
    assert k["retention_12m"].value == pytest.approx(km)
    assert "first paid day" in k["retention_12m"].label and k["retention_12m"].extra["definition"] == RETENTION_DEFINITION
    assert k["mrr_at_risk_90d"].value == pytest.approx(a.risk["mrr_at_risk"].sum())
    assert k["cox_concordance_holdout"].value == pytest.approx(a.validation.concordance)
    # the model used is fitted on every customer observed; the holdout copy on three quarters
    assert a.drivers.n_rows_ == len(survival_table(small, as_of="2025-10-31", covariates_at="2024-10-31", spells=True))
    # expected churners with the engine's 90% range: sum p +- 1.645 sd, on the page and in the key number
    expected, sd = a.risk["p_churn"].sum(), a.risk.attrs["expected_sd"]
    low, high = k["customers_expected_to_churn_90d"].extra["range_90"]
    assert k["customers_expected_to_churn_90d"].value == pytest.approx(expected) and sd > 0
    assert (low, high) == pytest.approx((expected - 1.6448536 * sd, expected + 1.6448536 * sd))
    assert f"(90% range {low:,.0f} to {high:,.0f})" in str(a.risk_text())
    # the page and its key numbers share one computation (cached), so they cannot disagree
    assert survival_analysis(small, month="2025-10", segment="x").drivers is a.drivers


def test_no_subscriptions_and_a_month_before_the_data():
    a = survival_analysis(Dataset(), month="2026-10")
    assert not a.available and "no subscriptions" in a.reason and a.retention_section().reason == a.reason
    assert all(k.value is None for k in survival_key_numbers(Dataset(), month="2026-10"))
    ds = csm_kit.simulate(n_customers=50, months=6, seed=2, start="2026-01")
    early = survival_analysis(ds, month="2025-06")
    assert not early.available and "after 2025-06-30" in early.reason
    assert "Segment" in str(survival_analysis(ds, month="2025-06", segment="smb").headline())


def test_single_month_of_data_says_why_there_are_no_drivers():
    ds = csm_kit.simulate(n_customers=120, months=1, seed=5, start="2026-10")
    a = survival_analysis(ds, month="2026-10")
    assert a.available and a.drivers is None and "after the drivers' observation date" in a.drivers_reason
    k = {n.name: n.value for n in survival_key_numbers(ds, month="2026-10")}
    assert k["cox_concordance_holdout"] is None and k["mrr_at_risk_90d"] is None
    assert k["retention_3m"] is None   # nobody observed 3 months yet: unknown, not 0


def subs_rows(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "start_date", "end_date"])
    df["start_date"], df["end_date"] = pd.to_datetime(df["start_date"]), pd.to_datetime(df["end_date"])
    return df.assign(subscription_id=df["customer_id"], plan="pro", billing_period="month", amount=100.0)


def test_one_customer_and_everyone_churned():
    one = Dataset(subscriptions=subs_rows([("a", "2026-01-05", "2026-04-05")]))
    a = survival_analysis(one, month="2026-10", lookback_months=8)
    # One churn at 3 months: S(3) = 0 by hand, median 3.
    k = {n.name: n.value for n in survival_key_numbers(one, month="2026-10", lookback_months=8)}
    assert k["retention_3m"] == 0.0 and k["median_lifetime_months"] == 3.0
    assert a.drivers is None and "Only 1 churned among 1 customers" in a.drivers_reason
    gone = Dataset(subscriptions=subs_rows([(f"c{i}", "2025-01-01", f"2025-{1 + i % 11 + 1:02d}-01")
                                            for i in range(80)]))
    b = survival_analysis(gone, month="2026-10", lookback_months=3)
    assert b.available and int(b.table["churned"].sum()) == 80 and b.risk is None and b.risk_reason


def test_a_segment_report_names_its_segment_and_eight_segments_are_fine(small):
    a = survival_analysis(small.for_segment("smb"), month="2025-10", segment="smb")
    assert a.by_segment is None and "smb segment alone" in a.segment_reason
    assert str(a.headline()).startswith("Segment **smb**")
    cust = small.customers.assign(segment=[f"<script>s{i % 9}</script>" for i in range(len(small.customers))])
    many = Dataset(customers=cust, subscriptions=small.subscriptions, usage_events=small.usage_events)
    b = survival_analysis(many, month="2025-10")
    assert len(b.by_segment.fitters_) == 9
    html = b.segment_section().show().html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_snapshot_survival_drivers_and_at_risk():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(4)
    n = 600
    senior = rng.integers(0, 2, n)
    months = np.minimum(rng.geometric(0.03 * np.exp(0.9 * senior)), 72) - 1      # tenure 0 happens
    churned = rng.random(n) < 0.5
    frame = pd.DataFrame({"id": [f"k{i}" for i in range(n)], "tenure": months, "Churn": np.where(churned, "Yes", "No"),
                          "SeniorCitizen": senior, "Charges": [f"{v:.2f}" for v in rng.uniform(20, 100, n)]})
    ds = csm_kit.from_snapshot(frame, customer_id="id", tenure="tenure", churned="Churn", as_of="2026-10-15",
                               mrr="Charges", attributes=["SeniorCitizen"])
    a = survival_analysis(ds, month="2026-10")
    assert a.as_of == pd.Timestamp("2026-10-15") and (a.table["tenure"] == 0).any()
    ref = KaplanMeierFitter().fit(months, churned)
    assert a.overall.retention_["retention"].tolist() == pytest.approx(ref.survival_function_at_times([3, 6, 12, 24]).tolist())
    assert "SeniorCitizen" in a.drivers.design_columns_ and a.drivers.hazard_ratios_["SeniorCitizen"] > 1
    assert a.risk is not None and len(a.risk) == int((~churned).sum())


def test_teaching_example_by_hand():
    ex = censoring_example()
    assert ex["kit"].to_numpy() == pytest.approx(ex["by_hand"].to_numpy())


@pytest.mark.parametrize("segment", ["smb", "mid_market", "enterprise"])
def test_every_sample_segment_in_the_first_month_of_data(segment):
    ds = csm_kit.load_sample().for_segment(segment)
    a = survival_analysis(ds, month="2023-11", segment=segment)
    assert a.available and a.drivers is None and "after the drivers' observation date" in a.drivers_reason
    k = {n.name: n.value for n in survival_key_numbers(ds, month="2023-11", segment=segment)}
    assert k["retention_3m"] is None and k["mrr_at_risk_90d"] is None   # a month of history: nothing at 3 months
