"""at_risk: one row per active customer, probabilities, MRR at risk and drivers that add up."""
import numpy as np
import pandas as pd
import pytest

from csm_kit.datasets import load_sample
from csm_kit.models import ChurnDrivers, at_risk, survival_table


@pytest.fixture(scope="module")
def fitted():
    ds = load_sample()
    train = survival_table(ds, as_of="2026-10-31", covariates_at="2025-10-31", spells=True)
    now = survival_table(ds, as_of="2026-10-31", covariates_at="2026-10-31", spells=True)
    return ChurnDrivers(holdout=0).fit(train), now


def test_one_row_per_active_customer_sorted_by_mrr_at_risk(fitted):
    m, now = fitted
    r = at_risk(m, now)
    assert len(r) == (~now["churned"]).sum() and r["customer_id"].is_unique
    assert r["mrr_at_risk"].is_monotonic_decreasing
    assert r["mrr_at_risk"].to_numpy() == pytest.approx((r["mrr"] * r["p_churn"]).to_numpy())
    assert ((r["p_churn"] >= 0) & (r["p_churn"] <= 1)).all()
    assert ((r["expected_months"] > 0) & (r["expected_months"] <= 24)).all()
    assert r.attrs["horizon_days"] == 90
    by_p = at_risk(m, now, sort_by="p_churn")
    assert by_p["p_churn"].is_monotonic_decreasing


def test_probability_agrees_with_predict_survival_and_grows_with_horizon(fitted):
    m, now = fitted
    # 365.25 / 4 days is exactly three months: the same number as predict_survival's column 3... within a
    # day's rounding, so compare 91 days (>= 3 months for every calendar) with months 3 and 4.
    r = at_risk(m, now, horizon_days=91, sort_by="p_churn").set_index("customer_id")
    ps = m.predict_survival(now, 4)
    p = r["p_churn"].reindex(ps.index)
    assert (p >= 1 - ps[3] - 1e-12).all() and (p <= 1 - ps[4] + 1e-12).all()
    longer = at_risk(m, now, horizon_days=365).set_index("customer_id")["p_churn"].reindex(ps.index)
    assert (longer >= p - 1e-12).all()


def test_expected_months_is_the_area_under_the_conditional_curve(fitted):
    m, now = fitted
    r = at_risk(m, now, lifetime_months=12).set_index("customer_id")
    ps = m.predict_survival(now, 12)
    # The curve falls between the month ends, so its area lies between the right and left Riemann sums.
    low, high = ps.sum(axis=1), 1 + ps.iloc[:, :-1].sum(axis=1)
    e = r["expected_months"].reindex(ps.index)
    assert (e >= low - 0.01).all() and (e <= high + 0.01).all()


def test_drivers_name_what_raises_the_risk(fitted):
    m, now = fitted
    row = now[~now["churned"]].head(1).copy()
    worst = row.assign(customer_id="worst", usage_share=0.0, tickets=12.0, onboarded=0.0, csat=1.0)
    best = row.assign(customer_id="best", usage_share=0.9, tickets=0.0, onboarded=1.0, csat=5.0)
    table = pd.concat([now, worst, best], ignore_index=True)
    r = at_risk(m, table, sort_by="p_churn", top=6).set_index("customer_id")
    w = r.loc["worst"]
    assert w["p_churn"] > r.loc["best", "p_churn"] and w["risk_multiplier"] > 1 > r.loc["best", "risk_multiplier"]
    assert "product used on: 0% of days" in w["drivers"] and "onboarded within 90 days: no" in w["drivers"]
    assert "tickets in the last 90 days: 12" in w["drivers"]
    # Contributions add up to the customer's log hazard relative to the average customer.
    contrib = m.contributions(table.set_index("customer_id").loc[["worst"]].reset_index())
    assert np.exp(contrib.sum(axis=1).item()) == pytest.approx(w["risk_multiplier"])
    assert not any(p for p in r.loc["best", ["driver_1", "driver_2"]] if "usage" in p or "tickets" in p)


def test_bad_input(fitted):
    m, now = fitted
    with pytest.raises(ValueError, match="no active"):
        at_risk(m, now.assign(churned=True))
    with pytest.raises(ValueError, match="horizon_days"):
        at_risk(m, now, horizon_days=0)
    with pytest.raises(ValueError, match="sort_by"):
        at_risk(m, now, sort_by="name")
    with pytest.raises(ValueError, match="customer_id"):
        at_risk(m, now.drop(columns="customer_id"))


def test_expected_months_exact_sum_matches_a_fine_numerical_integral(fitted):
    m, now = fitted
    alive = now[~now["churned"]].head(40)
    r = at_risk(m, alive, lifetime_months=6).set_index("customer_id")
    u = (np.arange(6000) + 0.5) / 1000  # 1/1000-month midpoints over 6 months
    fine = m.conditional_survival(alive, u).sum(axis=1) / 1000
    assert r["expected_months"].reindex(alive["customer_id"]).to_numpy() == pytest.approx(fine, abs=2e-3)


def test_at_risk_on_a_dataset_keeps_the_columns_and_reads_the_engine():
    ds = load_sample()
    r = at_risk(ds, as_of="2026-10", horizon_days=90)
    # the same accounts as the Cox list: everyone paying on 2026-10-31
    now = survival_table(ds, as_of="2026-10-31", covariates_at="2026-10-31", spells=True)
    assert sorted(r["customer_id"]) == sorted(now.loc[~now["churned"], "customer_id"].unique())
    for column in ("customer_id", "segment", "tenure_months", "mrr", "p_churn", "mrr_at_risk", "expected_months",
                   "risk_multiplier", "drivers", "driver_1", "driver_2", "driver_3", "monthly_hazard",
                   "next_renewal", "status"):
        assert column in r.columns, column
    assert r["mrr_at_risk"].is_monotonic_decreasing and r.attrs["horizon_days"] == 90
    assert r["mrr_at_risk"].to_numpy() == pytest.approx((r["mrr"] * r["p_churn"]).to_numpy())
    # the first driver is the first phrase of the drivers text
    named = r[r["drivers"] != ""]
    assert (named["drivers"].str.split("; ").str[0] == named["driver_1"]).all()
    with pytest.raises(TypeError, match="takes the Dataset only"):
        at_risk(ds, now, as_of="2026-10-31")
    with pytest.raises(ValueError, match="as_of is required"):
        at_risk(ds)
