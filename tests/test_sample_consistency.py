"""On the sample data the metrics are plausible and agree with each other."""
import numpy as np
import pandas as pd
import pytest

import csm_kit
from csm_kit import metrics as m

START, END = "2025-11", "2026-10"


@pytest.fixture(scope="module")
def ds():
    return csm_kit.load_sample()


def test_retention_is_one_minus_churn_and_counts_reconcile(ds):
    r = m.retention_rates(ds, start=START, end=END)
    assert np.allclose(r["retention_rate"], 1 - r["churn_rate"])
    assert (r["customers_end"] == r["customers_start"] + r["joined"] - r["churned"]).all()
    assert r["churn_rate"].between(0.005, 0.10).all()  # a few percent a month
    paying = m.mrr(ds, start=START, end=END)["paying_customers"].to_numpy()
    assert (r["customers_end"].to_numpy() == paying).all()


def test_movements_reconcile_with_balances_and_the_log(ds):
    mv = m.mrr_movements(ds, start=START, end=END)
    assert np.allclose(mv["mrr_end"], m.mrr(ds, start=START, end=END)["mrr"], rtol=0, atol=1e-6)
    log = m.mrr_movement_log(ds, start=START, end=END)
    signed = log.pivot_table(index="month", columns="movement", values="change", aggfunc="sum").fillna(0)
    for movement in ("new", "reactivation", "expansion"):
        assert np.allclose(signed[movement].to_numpy(), mv[movement].to_numpy(), atol=1e-6)
    for movement in ("contraction", "churn"):
        assert np.allclose(-signed[movement].to_numpy(), mv[movement].to_numpy(), atol=1e-6)


@pytest.mark.parametrize("form", ["movement", "cohort"])
def test_nrr_at_least_grr_and_grr_at_most_one(ds, form):
    r = m.revenue_retention(ds, start=START, end=END, form=form)
    assert (r["grr"] <= 1).all() and (r["nrr"] >= r["grr"]).all() and (r["grr"] > 0.5).all()


def test_survey_and_usage_metrics_in_range(ds):
    nps = m.survey_summary(ds, survey="nps", start="2026-01", end="2026-01")
    assert nps["n"].sum() > 50 and nps["score"].between(-100, 100).all()
    assert m.stickiness(ds, start=START, end=END)["stickiness"].between(0, 1).all()
    adoption = m.feature_adoption(ds, start=START, end=END)["adoption"]
    assert adoption.between(0, 1).all()


def test_health_score_predicts_churn_on_the_sample(ds):
    bt = m.health_backtest(ds, as_of="2026-06-30", horizon_days=90, data_end="2026-10-31")
    rates = bt.by_band.set_index("band")["churn_rate"]
    assert bt.auc > 0.6
    assert rates["red"] > rates["green"]
