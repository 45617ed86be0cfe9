"""Survival-curve CLV: hand-computed cases, the geometric closed form, and the teaching formulas."""
import numpy as np
import pandas as pd
import pytest

from csm_kit.exceptions import NotFittedError
from csm_kit.metrics.lifetime_value import saas_ltv, simple_clv
from csm_kit.models import ShiftedBetaGeoModel
from csm_kit.models.survival_clv import (SurvivalCLV, discount_factors, survival_matrix_from_curve,
                                         survival_matrix_from_sbg)


def geometric(churn, horizon, ids=("a",)):
    t = np.arange(1, horizon + 1)
    return pd.DataFrame([(1 - churn) ** t] * len(ids), index=list(ids), columns=list(t))


def test_two_customers_by_hand():
    s = pd.DataFrame({1: [0.9, 0.5], 2: [0.8, 0.25], 3: [0.7, 0.0]}, index=["a", "b"])
    m = SurvivalCLV(gross_margin=0.5, annual_discount_rate=0, horizon_months=3, n_bootstrap=0)
    m.fit(s, pd.Series({"b": 200.0, "a": 100.0}))
    # a: (0.9 + 0.8 + 0.7) x 100 x 0.5 = 120; b: (0.5 + 0.25 + 0) x 200 x 0.5 = 75
    assert m.clv_["clv"].tolist() == pytest.approx([120.0, 75.0])
    assert m.clv_["expected_months"].tolist() == pytest.approx([2.4, 0.75])
    assert m.clv_.loc["b", "mrr"] == 200.0
    assert m.summary.loc["all", "clv_total"] == pytest.approx(195.0)
    assert m.summary.loc["all", "clv_mean"] == pytest.approx(97.5)


def test_discounting_conventions_by_hand():
    s = pd.DataFrame({1: [1.0], 2: [1.0]}, index=["a"])
    end = SurvivalCLV(annual_discount_rate=0.10, horizon_months=2, n_bootstrap=0).fit(s, pd.Series({"a": 100.0}))
    start = SurvivalCLV(annual_discount_rate=0.10, horizon_months=2, timing="start", n_bootstrap=0).fit(
        s, pd.Series({"a": 100.0}))
    assert end.clv_["clv"].iloc[0] == pytest.approx(100 * (1.1 ** (-1 / 12) + 1.1 ** (-2 / 12)))
    assert start.clv_["clv"].iloc[0] == pytest.approx(100 * (1 + 1.1 ** (-1 / 12)))
    assert end.monthly_discount_rate_ == pytest.approx(1.1 ** (1 / 12) - 1)
    assert discount_factors(12, 0.10)[-1] == pytest.approx(1 / 1.1)  # a year ahead: exactly the annual rate
    assert "10.0% a year" in end.convention_ and "end of each month" in end.convention_


def test_constant_churn_equals_the_geometric_sum():
    c, mrr, g, annual, h = 0.05, 100.0, 0.8, 0.10, 60
    m = SurvivalCLV(gross_margin=g, annual_discount_rate=annual, horizon_months=h, n_bootstrap=0)
    clv = m.fit(geometric(c, h), pd.Series({"a": mrr})).clv_["clv"].iloc[0]
    q = (1 - c) / (1 + annual) ** (1 / 12)
    assert clv == pytest.approx(mrr * g * q * (1 - q**h) / (1 - q), rel=1e-12)


def test_approaches_the_teaching_formula_with_long_horizon_and_no_discount():
    c, mrr, g = 0.05, 100.0, 0.8
    # remaining lifetime sum_{t>=1} (1-c)^t = (1-c)/c = 19 months
    simple = simple_clv(mrr, 1, (1 - c) / c, gross_margin=g).clv          # 100 x 1 x 19 x 0.8 = 1,520
    assert simple == pytest.approx(1520.0)
    gaps = []
    for h, annual in [(24, 0.2), (120, 0.05), (600, 0.01), (3000, 0.0)]:
        m = SurvivalCLV(gross_margin=g, annual_discount_rate=annual, horizon_months=h, n_bootstrap=0)
        gaps.append(simple - m.fit(geometric(c, h), pd.Series({"a": mrr})).clv_["clv"].iloc[0])
    assert all(np.diff(gaps) < 0) and gaps[0] > 500 and abs(gaps[-1]) < 1e-6
    # adding the month already billed gives the SaaS formula, ARPA x margin / churn
    assert simple + mrr * g == pytest.approx(saas_ltv(mrr, churn=c, gross_margin=g).ltv)


def test_segments_get_seeded_bootstrap_intervals():
    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(300)]
    s = geometric(0.03, 12, ids)
    mrr = pd.Series(rng.gamma(2, 50, 300), index=ids)
    seg = pd.Series(np.where(np.arange(300) < 200, "smb", "enterprise"), index=ids)
    a = SurvivalCLV(horizon_months=12, n_bootstrap=400, seed=1).fit(s, mrr, seg)
    b = SurvivalCLV(horizon_months=12, n_bootstrap=400, seed=1).fit(s, mrr, seg)
    pd.testing.assert_frame_equal(a.by_segment_, b.by_segment_)
    t = a.summary
    assert list(t.index) == ["enterprise", "smb", "all"]
    assert t.loc["smb", "customers"] == 200 and t.loc["all", "customers"] == 300
    assert (t["clv_mean_low"] < t["clv_mean"]).all() and (t["clv_mean"] < t["clv_mean_high"]).all()
    assert t.loc["smb", "clv_mean"] == pytest.approx(a.clv_.loc[seg == "smb", "clv"].mean())
    assert t.loc["smb", "clv_total_high"] == pytest.approx(200 * t.loc["smb", "clv_mean_high"])
    # the interval of a mean of 200 customers is roughly +-2 standard errors
    se = a.clv_.loc[seg == "smb", "clv"].std() / np.sqrt(200)
    width = t.loc["smb", "clv_mean_high"] - t.loc["smb", "clv_mean_low"]
    assert 3.0 * se < width < 5.0 * se
    assert a.clv_.loc["c250", "segment"] == "enterprise"


def test_one_customer_and_no_interval():
    m = SurvivalCLV(horizon_months=1, annual_discount_rate=0).fit(pd.DataFrame({1: [0.5]}, index=["x"]),
                                                                    pd.Series({"x": 10.0}))
    row = m.summary.loc["all"]
    assert row["clv_mean"] == row["clv_mean_low"] == row["clv_mean_high"] == 5.0
    none = SurvivalCLV(horizon_months=1, n_bootstrap=0).fit(pd.DataFrame({1: [0.5]}, index=["x"]),
                                                            pd.Series({"x": 10.0}))
    assert np.isnan(none.summary.loc["all", "clv_mean_low"])


def test_bad_input_and_not_fitted():
    s = pd.DataFrame({1: [0.9, 0.8], 2: [0.8, 0.9]}, index=["a", "b"])
    m = SurvivalCLV(horizon_months=2, n_bootstrap=0)
    with pytest.raises(NotFittedError, match="not fitted"):
        m.summary
    with pytest.raises(ValueError, match=r"never increase.*\['b'\]"):
        m.fit(s, pd.Series({"a": 1.0, "b": 1.0}))
    good = pd.DataFrame({1: [0.9, 0.8], 2: [0.8, 0.7]}, index=["a", "b"])
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        m.fit(good, pd.Series({"a": 1.0}))
    with pytest.raises(ValueError, match=r"not in survival \['z'\]"):
        m.fit(good, pd.Series({"a": 1.0, "b": 1.0, "z": 1.0}))
    with pytest.raises(ValueError, match=">= 0"):
        m.fit(good, pd.Series({"a": -1.0, "b": 1.0}))
    with pytest.raises(ValueError, match="columns 1..3"):
        SurvivalCLV(horizon_months=3).fit(good, pd.Series({"a": 1.0, "b": 1.0}))
    with pytest.raises(ValueError, match="timing"):
        SurvivalCLV(timing="middle", horizon_months=2).fit(good, pd.Series({"a": 1.0, "b": 1.0}))
    with pytest.raises(ValueError, match="segment"):
        m.fit(good, pd.Series({"a": 1.0, "b": 1.0}), segment=pd.Series({"a": "smb"}))
    # a longer matrix is cut to the horizon
    assert m.fit(pd.concat([good, good[[2]].rename(columns={2: 3}) * 0.5], axis=1),
                 pd.Series({"a": 1.0, "b": 1.0})).clv_["expected_months"].tolist() == pytest.approx([1.7, 1.5])


# -- survival matrices ---------------------------------------------------------------------

CURVE = pd.Series([1.0, 0.8, 0.6, 0.5, 0.4], index=[0, 1, 2, 3, 4])


def test_curve_matrix_is_the_conditional_step_function():
    tenure = pd.Series({"new": 0.0, "mid": 2.0, "half": 1.5})
    s = survival_matrix_from_curve(CURVE, tenure, 2, tail="error")
    assert s.loc["new"].tolist() == pytest.approx([0.8, 0.6])
    assert s.loc["mid"].tolist() == pytest.approx([0.5 / 0.6, 0.4 / 0.6])
    # tenure 1.5 reads S(1.5) = S(1) = 0.8, S(2.5) = 0.6, S(3.5) = 0.5
    assert s.loc["half"].tolist() == pytest.approx([0.6 / 0.8, 0.5 / 0.8])
    assert list(s.columns) == [1, 2]


def test_curve_tails_beyond_the_data():
    tenure = pd.Series({"old": 3.0, "past": 6.0})
    with pytest.raises(ValueError, match="ends at tenure 4"):
        survival_matrix_from_curve(CURVE, tenure, 3, tail="error")
    flat = survival_matrix_from_curve(CURVE, tenure, 3, tail="flat")
    assert flat.loc["old"].tolist() == pytest.approx([0.8, 0.8, 0.8]) and flat.loc["past"].tolist() == [1, 1, 1]
    # constant hazard from the last 2 months: monthly survival k = (0.4 / 0.6)^(1/2)
    k = (0.4 / 0.6) ** 0.5
    ch = survival_matrix_from_curve(CURVE, tenure, 3, tail_months=2)
    assert ch.loc["old"].tolist() == pytest.approx([0.8, 0.8 * k, 0.8 * k**2])
    assert ch.loc["past"].tolist() == pytest.approx([k, k**2, k**3])


def test_curves_by_group_and_a_curve_that_reaches_zero():
    curves = pd.DataFrame({"smb": [1.0, 0.5, 0.25], "ent": [1.0, 0.9, 0.81]}, index=[0, 1, 2])
    s = survival_matrix_from_curve(curves, pd.Series({"x": 0.0, "y": 1.0}), 1,
                                   group=pd.Series({"x": "smb", "y": "ent"}))
    assert s[1].tolist() == pytest.approx([0.5, 0.9])
    with pytest.raises(ValueError, match="needs group"):
        survival_matrix_from_curve(curves, pd.Series({"x": 0.0}), 1)
    with pytest.raises(ValueError, match="no curve.*'x'"):
        survival_matrix_from_curve(curves, pd.Series({"x": 0.0}), 1, group=pd.Series({"x": "mid"}))
    dead = pd.Series([1.0, 0.5, 0.0], index=[0, 1, 2])
    with pytest.raises(ValueError, match=r"S\(tenure\) = 0.*'z'"):
        survival_matrix_from_curve(dead, pd.Series({"z": 2.0}), 1)
    with pytest.raises(ValueError, match="never increase"):
        survival_matrix_from_curve(pd.Series([1.0, 0.5, 0.7]), pd.Series({"z": 0.0}), 1)
    with pytest.raises(ValueError, match=r">= 0 months.*'z'"):
        survival_matrix_from_curve(CURVE, pd.Series({"z": -1.0}), 1)


def test_kaplan_meier_curve_from_lifelines_feeds_survival_clv():
    from lifelines import KaplanMeierFitter

    # 5 customers, tenure in months; two churned at 1 and 3, the rest censored
    km = KaplanMeierFitter().fit([1, 3, 4, 4, 5], event_observed=[1, 1, 0, 0, 0])
    curve = km.survival_function_.iloc[:, 0]
    s = survival_matrix_from_curve(curve, pd.Series({"a": 0.0}), 3, tail="flat")
    # S(1) = 4/5; at 3 months 4 are at risk and 1 churns: S(3) = 4/5 x 3/4 = 0.6
    assert s.loc["a"].tolist() == pytest.approx([0.8, 0.8, 0.6])
    clv = SurvivalCLV(horizon_months=3, annual_discount_rate=0, n_bootstrap=0).fit(s, pd.Series({"a": 30.0}))
    assert clv.clv_["clv"].iloc[0] == pytest.approx(30 * 2.2)


def test_sbg_matrix_conditions_on_tenure():
    m = ShiftedBetaGeoModel(time_unit="month").fit([1000, 631, 468, 382, 326, 289, 262, 241])
    s = survival_matrix_from_sbg(m, pd.Series({"new": 0, "old": 5}), 3)
    assert s.loc["new"].tolist() == pytest.approx(m.survival([1, 2, 3]).tolist())
    assert s.loc["old", 2] == pytest.approx(m.survival(7) / m.survival(5))
    g, d = m.params_["gamma"], m.params_["delta"]
    assert s.loc["old", 1] == pytest.approx((d + 5) / (g + d + 5))  # the retention rate at renewal 6
    with pytest.raises(ValueError, match="fitted in years"):
        survival_matrix_from_sbg(ShiftedBetaGeoModel(time_unit="year").fit([100, 60, 40]), pd.Series({"a": 0}), 2)


def test_active_customers_and_retention_curves_by_segment():
    from csm_kit.models import RetentionCurves, survival_table
    from csm_kit.models.survival_clv import active_customers

    subs = pd.DataFrame({"customer_id": ["a", "b", "c", "c"], "billing_period": "month", "plan": "pro",
                         "amount": [100.0, 50.0, 80.0, 90.0],
                         "start_date": pd.to_datetime(["2026-01-31", "2026-02-01", "2026-01-05", "2026-03-05"]),
                         "end_date": pd.to_datetime([None, "2026-03-01", "2026-02-05", None])})
    a = active_customers(subs, month="2026-03")
    # b left on Mar 1; c came back on Mar 5: tenure counts from its current spell
    assert list(a.index) == ["a", "c"] and a["mrr"].tolist() == [100.0, 90.0]
    assert a.loc["c", "tenure"] < a.loc["a", "tenure"] and (a["segment"] == "all").all()
    curves = RetentionCurves().fit(survival_table(subs, as_of="2026-03-31", spells=True))
    s = survival_matrix_from_curve(curves, a["tenure"], 2, tail="flat")
    km = curves.fitters_["all"].survival_function_.iloc[:, 0]
    expected = survival_matrix_from_curve(km, a["tenure"], 2, tail="flat")
    pd.testing.assert_frame_equal(s, expected)


def test_cox_predictions_feed_survival_clv():
    """ChurnDrivers.predict_survival -> SurvivalCLV: each CLV is the hand sum, and riskier customers are worth less."""
    from csm_kit.models import ChurnDrivers
    from csm_kit.models.survival_clv import discount_factors

    rng = np.random.default_rng(3)
    n = 400
    x = rng.binomial(1, 0.5, n).astype(float)           # x = 1 doubles the monthly hazard (0.05 -> 0.10)
    life = rng.exponential(1 / (0.05 * np.exp(np.log(2) * x)))
    cens = rng.uniform(1, 36, n)
    table = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "tenure": np.minimum(life, cens),
                          "churned": life <= cens, "x": x, "time_unit": "month"})
    cox = ChurnDrivers(covariates=["x"], holdout=0, discrete=False, penalizer=0).fit(table)
    survival = cox.predict_survival(table, months=24)
    alive = table.set_index("customer_id").loc[survival.index]
    mrr = pd.Series(100.0, index=survival.index)
    clv = SurvivalCLV(gross_margin=0.8, annual_discount_rate=0.10, horizon_months=24, n_bootstrap=0).fit(survival, mrr)

    hand = 100.0 * 0.8 * (survival.to_numpy() * discount_factors(24, 0.10)).sum(axis=1)
    np.testing.assert_allclose(clv.clv_["clv"].to_numpy(), hand)
    # Same MRR: customers with twice the hazard are worth less on average.
    low, high = (clv.clv_["clv"][alive["x"] == v] for v in (0.0, 1.0))
    assert len(low) and len(high)
    assert survival.shape == (int((~table["churned"]).sum()), 24)
    assert float(np.exp(cox.summary.loc["x", "coef"])) == pytest.approx(2.0, rel=0.35)
    assert low.mean() > high.mean()


def test_matrix_from_a_constant_hazard_by_hand():
    from csm_kit.models import survival_matrix_from_hazard

    s = survival_matrix_from_hazard(pd.Series({"a": 0.1, "b": 0.5, "c": 0.0}), 3)
    assert s.loc["a"].tolist() == pytest.approx([0.9, 0.81, 0.729])
    assert s.loc["b"].tolist() == pytest.approx([0.5, 0.25, 0.125]) and s.loc["c"].tolist() == [1.0, 1.0, 1.0]
    # CLV of b with MRR 100, no discounting: 100 x (0.5 + 0.25 + 0.125) = 87.5
    m = SurvivalCLV(annual_discount_rate=0, horizon_months=3, n_bootstrap=0).fit(s, pd.Series({"a": 0.0, "b": 100.0,
                                                                                                "c": 0.0}))
    assert m.clv_.loc["b", "clv"] == pytest.approx(87.5)
    with pytest.raises(ValueError, match="probability in"):
        survival_matrix_from_hazard(pd.Series({"a": 1.5}), 3)
