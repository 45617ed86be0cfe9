"""Health scores: grading, renormalised weights, bands, no leakage, backtest AUC by hand."""
import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.metrics.health import (DEFAULT_MEASURES, HealthMeasure, health_backtest, health_measures,
                                    health_scores, questionnaire_health, score_band)
from tests.test_retention import subs

SPEC = [HealthMeasure("usage", 0.5, red_at=4, green_beyond=12),
        HealthMeasure("nps", 0.3, red_at=6, green_beyond=8),
        HealthMeasure("tickets", 0.2, red_at=5, green_beyond=2, higher_is_better=False)]


def raw(**columns):
    return pd.DataFrame(columns, index=pd.Index([f"c{i}" for i in range(len(next(iter(columns.values()))))],
                                                 name="customer_id"))


def test_thresholds_put_boundary_values_in_the_worse_band():
    usage = SPEC[0].grade([4, 4.5, 12, 12.5])
    assert usage.tolist() == [0, 50, 50, 100]
    tickets = SPEC[2].grade([5, 4, 2, 1])
    assert tickets.tolist() == [0, 50, 50, 100]
    assert score_band([0, 40, 41, 70, 71]).tolist() == ["red", "red", "yellow", "yellow", "green"]


def test_missing_measure_renormalises_weights_and_shows_coverage():
    out = health_scores(raw(usage=[20.0], nps=[np.nan], tickets=[3.0]), measures=SPEC).iloc[0]
    # usage green 100 (w .5), tickets yellow 50 (w .2); nps missing.
    # score = (.5 x 100 + .2 x 50) / (.5 + .2) = 60 / .7 = 85.71; coverage = .7
    assert out.score == pytest.approx(60 / 0.7) and out.coverage == pytest.approx(0.7)
    assert out.band == "green"
    assert out.usage_contribution + out.tickets_contribution == pytest.approx(out.score)
    assert np.isnan(out.nps_contribution)


def test_contributions_sum_to_score_and_single_account():
    out = health_scores(raw(usage=[8.0], nps=[10.0], tickets=[6.0]), measures=SPEC).iloc[0]
    # 0.5 x 50 + 0.3 x 100 + 0.2 x 0 = 55 -> yellow
    assert out.score == pytest.approx(55) and out.band == "yellow" and out.coverage == 1
    assert out[["usage_contribution", "nps_contribution", "tickets_contribution"]].sum() == pytest.approx(55)


def test_account_with_no_measures_has_no_score():
    out = health_scores(raw(usage=[np.nan], nps=[np.nan], tickets=[np.nan]), measures=SPEC).iloc[0]
    assert np.isnan(out.score) and out.band is None and out.coverage == 0


def dataset(extra_events=None):
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": pd.to_datetime(["2026-01-01"] * 3)})
    s = subs(("a", "2026-01-01", None, 100.0), ("b", "2026-01-01", "2026-07-10", 100.0),
             ("c", "2026-01-01", None, 100.0), ("c", "2026-01-01", "2026-05-01", 50.0))
    days = pd.date_range("2026-05-02", "2026-05-31")  # a: active every day of the last 30
    events = pd.DataFrame({"customer_id": "a", "user_id": "u1", "timestamp": days, "event": "report"})
    events = pd.concat([events, pd.DataFrame({"customer_id": "b", "user_id": "u2",
                                              "timestamp": pd.to_datetime(["2026-05-20", "2026-05-21"]),
                                              "event": "report"})], ignore_index=True)
    if extra_events is not None:
        events = pd.concat([events, extra_events], ignore_index=True)
    surveys = pd.DataFrame({"response_id": ["r1", "r2"], "customer_id": ["a", "b"], "survey": "nps",
                            "score": [9.0, 3.0], "touchpoint": "relationship",
                            "responded_at": pd.to_datetime(["2026-03-01", "2026-04-01"])})
    return Dataset(customers=customers, subscriptions=s, usage_events=events, surveys=surveys)


def test_measures_from_tables_and_no_leakage_from_the_future():
    m = health_measures(dataset(), as_of="2026-05-31")
    assert m.loc["a", "usage"] == 30 and m.loc["b", "usage"] == 2 and m.loc["c", "usage"] == 0
    assert m.loc["a", "satisfaction"] == 9 and np.isnan(m.loc["c", "satisfaction"])
    # c: 150 at end of Feb -> 100 at end of May (one subscription ended 2026-05-01): 100/150
    assert m.loc["c", "billing"] == pytest.approx(100 / 150) and m.loc["a", "billing"] == 1
    assert m["support"].isna().all() and m["onboarding"].isna().all()  # tables absent: measure missing
    future = pd.DataFrame({"customer_id": "c", "user_id": "u3", "event": "report",
                           "timestamp": pd.date_range("2026-06-01", periods=20)})
    pd.testing.assert_frame_equal(health_measures(dataset(future), as_of="2026-05-31"), m)


def test_default_scores_without_support_or_onboarding_tables():
    s = health_scores(dataset(), as_of="2026-05-31").set_index("customer_id")
    # weights present: usage .3, satisfaction .2 (a, b), billing .2 -> coverage .7 for a and b, .5 for c
    assert s.loc["a", "coverage"] == pytest.approx(0.7) and s.loc["c", "coverage"] == pytest.approx(0.5)
    # a: usage 30 green, nps 9 green, billing 1.0 green -> 100
    assert s.loc["a", "score"] == pytest.approx(100)
    # b: usage 2 red, nps 3 red, billing 1.0 green -> (.2 x 100) / .7 = 28.57 -> red
    assert s.loc["b", "score"] == pytest.approx(20 / 0.7) and s.loc["b", "band"] == "red"


def test_backtest_auc_and_lift_by_hand():
    bt = health_backtest(dataset(), as_of="2026-05-31", horizon_days=60, data_end="2026-07-31")
    # b churns on 2026-07-10 (within 60 days); a and c stay.
    # Scores: a 100, b 28.6, c: usage 0 red, billing 0.667 red -> 0. AUC: pairs (stayer > churner):
    # (a, b) yes, (c, b) no -> 1/2.
    assert (bt.accounts, bt.churned) == (3, 1)
    assert bt.auc == pytest.approx(0.5)
    red = bt.by_band.set_index("band").loc["red"]
    assert (red.accounts, red.churned) == (2, 1)
    assert red.lift == pytest.approx((1 / 2) / (1 / 3))


def test_backtest_refuses_a_horizon_beyond_the_data():
    with pytest.raises(ValueError, match="after the data"):
        health_backtest(dataset(), as_of="2026-07-01", horizon_days=90, data_end="2026-07-31")


def test_questionnaire_sums_answers_and_checks_the_scale():
    out = questionnaire_health(pd.DataFrame({"growing": [8, 10], "hiring": [2, 10]}, index=["x", "y"]))
    assert out["total"].tolist() == [10, 20] and out["percent"].tolist() == [50.0, 100.0]
    with pytest.raises(ValueError, match="1 to 10"):
        questionnaire_health({"growing": 11})


def test_default_measures_weights_sum_to_one():
    assert sum(m.weight for m in DEFAULT_MEASURES) == pytest.approx(1.0)
