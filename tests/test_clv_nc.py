"""BG/NBD and Gamma-Gamma reproduce the published CDNOW fits."""
import numpy as np
import pandas as pd
import pytest

import csm_kit
from csm_kit.exceptions import NotFittedError
from csm_kit.models import BetaGeoModel, GammaGammaModel, rfm_summary
from csm_kit.models.clv_nc import customer_lifetime_value, holdout_comparison, simulate_bgnbd_summary


@pytest.fixture(scope="module")
def summary():
    return rfm_summary(csm_kit.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30",
                       time_unit="week")


def test_rfm_summary_of_cdnow(summary):
    assert len(summary) == 2357 and (summary["frequency"] > 0).sum() == 946
    assert summary.attrs["time_unit"] == "week" and summary["duration_holdout"].iloc[0] == 273 / 7
    assert (summary["recency"] <= summary["T"]).all()


def test_bgnbd_reproduces_fader_hardie_lee_2005(summary):
    m = BetaGeoModel().fit(summary)
    assert {k: round(v, 3) for k, v in m.params_.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(m.log_likelihood_, 1) == -9582.4


def test_gamma_gamma_reproduces_fader_hardie_2013(summary):
    m = GammaGammaModel().fit(summary)
    assert {k: round(v, 2) for k, v in m.params_.items()} == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert m.n_customers_ == 946


def test_holdout_purchases_are_predicted_in_aggregate(summary):
    m = BetaGeoModel().fit(summary)
    predicted = m.expected_purchases(summary, t=summary["duration_holdout"].iloc[0]).sum()
    actual = summary["frequency_holdout"].sum()
    # measured: 1,653 predicted vs 1,882 actual repeat purchase days in weeks 40-78 (-12%)
    assert abs(predicted / actual - 1) < 0.15
    alive = m.probability_alive(summary)
    assert alive.between(0, 1).all() and (alive[summary["frequency"] == 0] == 1).all()


def test_time_units_are_never_mixed(summary):
    m = BetaGeoModel().fit(summary)
    days = rfm_summary(csm_kit.load_cdnow(), calibration_end="1997-09-30", time_unit="day")
    with pytest.raises(ValueError, match="fitted in weeks"):
        m.probability_alive(days)
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_spend(summary)


def test_predictions_match_hardie_excel_sheet(summary):
    # Fader, Hardie & Lee's BG/NBD Excel implementation (also lifetimes' reference tests)
    m = BetaGeoModel().fit(summary)
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    one.attrs["time_unit"] = "week"
    assert round(m.expected_purchases(one, 39).iloc[0], 3) == 1.226
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    assert np.round(m.expected_purchases_new_customer(times), 3).tolist() == [0.008, 0.053, 0.151, 1.040, 1.044, 1.858]


def test_compressed_and_uncompressed_fits_agree(summary):
    full = BetaGeoModel(compress=False).fit(summary)
    fast = BetaGeoModel().fit(summary)
    assert fast.n_rows_ < full.n_rows_ == 2357
    assert fast.log_likelihood_ == pytest.approx(full.log_likelihood_, abs=1e-6)
    for k in fast.params_:
        assert fast.params_[k] == pytest.approx(full.params_[k], rel=1e-5)


def test_standard_errors_are_reported(summary):
    s = BetaGeoModel().fit(summary).summary
    assert list(s.index) == ["r", "alpha", "a", "b"] and (s["std_error"] > 0).all()
    # each interval covers the published estimate and is narrower than the estimate itself
    assert (s["ci_low"] < s["estimate"]).all() and (s["std_error"] < s["estimate"]).all()
    assert s.loc["r", "std_error"] == pytest.approx(0.0126, abs=0.001)


def test_parameters_are_recovered_from_a_simulated_base():
    truth = {"r": 0.4, "alpha": 6.0, "a": 0.6, "b": 3.0}
    T = np.random.default_rng(5).integers(27 * 7, 39 * 7 + 1, 30_000) / 7
    sim = simulate_bgnbd_summary(30_000, **truth, T=T, seed=11, resolution=1 / 7)
    m = BetaGeoModel().fit(sim)
    for k, v in truth.items():
        assert abs(m.params_[k] - v) < 3 * m.standard_errors_[k], (k, m.params_[k], m.standard_errors_[k])


def test_holdout_comparison_groups_by_calibration_frequency(summary):
    m = BetaGeoModel().fit(summary)
    t = holdout_comparison(m, summary)
    assert t["label"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert t["customers"].sum() == 2357 and t.loc[0, "customers"] == (summary["frequency"] == 0).sum()
    assert t["actual_total"].sum() == summary["frequency_holdout"].sum()
    predicted = m.expected_purchases(summary, 39)
    assert t["predicted_total"].sum() == pytest.approx(predicted.sum())
    seven = summary["frequency"] >= 7
    assert t.iloc[-1]["actual"] == pytest.approx(summary.loc[seven, "frequency_holdout"].mean())
    # FHL 2005 Fig. 4: the conditional expectations track the actual means; both rise with frequency
    assert np.all(np.diff(t["predicted"]) > 0)
    assert np.all(np.abs(t["predicted"] - t["actual"]) < 0.25 + 0.25 * t["actual"])
    with pytest.raises(ValueError, match="observation_end"):
        holdout_comparison(m, summary.drop(columns=["frequency_holdout"]))


def test_clv_is_the_discounted_sum_of_monthly_purchases(summary):
    bg, gg = BetaGeoModel().fit(summary), GammaGammaModel().fit(summary)
    head = summary.iloc[:50]
    v = customer_lifetime_value(bg, gg, head, months=3, annual_discount_rate=0.10, gross_margin=0.3)
    month = 365.25 / 12 / 7
    cum = [bg.expected_purchases(head, i * month) for i in range(4)]
    spend = gg.expected_spend(head)
    by_hand = sum(0.3 * spend * (cum[i] - cum[i - 1]) / 1.1 ** (i / 12) for i in (1, 2, 3))
    assert np.allclose(v["clv"], by_hand, rtol=1e-10)
    assert np.allclose(v["expected_purchases"], cum[3])
    undiscounted = customer_lifetime_value(bg, gg, head, months=3, annual_discount_rate=0.0)
    assert np.allclose(undiscounted["clv"], cum[3] * spend)
    # a non-buyer's spend is the population mean p gamma / (q - 1)
    p = gg.params_
    assert v.loc[summary.index[summary["frequency"] == 0][0], "expected_spend"] == pytest.approx(
        p["p"] * p["gamma"] / (p["q"] - 1))


def test_clv_refuses_mixed_units(summary):
    bg, gg = BetaGeoModel().fit(summary), GammaGammaModel().fit(summary)
    days = rfm_summary(csm_kit.load_cdnow(), calibration_end="1997-09-30", time_unit="day")
    gg_days = GammaGammaModel().fit(days)
    with pytest.raises(ValueError, match="fitted in weeks; this summary is in days"):
        customer_lifetime_value(bg, gg_days, days)
    with pytest.raises(ValueError, match="fitted in days; this summary is in weeks"):
        customer_lifetime_value(bg, gg_days, summary)
    with pytest.raises(ValueError, match="fitted in weeks"):
        gg.expected_spend(days)
    no_unit = summary.drop(columns="time_unit")
    no_unit.attrs = {}
    with pytest.raises(ValueError, match="no time_unit column"):
        BetaGeoModel().fit(no_unit)
    # The unit travels in a column: a merge (which drops attrs) keeps it.
    merged = summary.reset_index().merge(pd.DataFrame({"customer_id": summary.index[:5], "extra": 1}),
                                         on="customer_id", how="left").set_index("customer_id")
    assert merged.attrs == {} and BetaGeoModel().fit(merged).time_unit_ == "week"
    weeks_as_days = summary.assign(time_unit="day")
    weeks_as_days.attrs = {"time_unit": "week"}
    with pytest.raises(ValueError, match="column says 'day' but its attrs say 'week'"):
        BetaGeoModel().fit(weeks_as_days)


def test_bad_summaries_are_refused():
    s = pd.DataFrame({"frequency": [1, 0], "recency": [5.0, 0.0], "T": [3.0, 2.0], "monetary_value": [0.0, 0.0]},
                     index=["a", "b"])
    s.attrs["time_unit"] = "week"
    with pytest.raises(ValueError, match=r"between 0 and T.*\['a'\]"):
        BetaGeoModel().fit(s)
    s.loc["a", "recency"] = 2.0
    with pytest.raises(ValueError, match=r"monetary_value must be > 0.*'a'"):
        GammaGammaModel().fit(s)
    with pytest.raises(ValueError, match="no repeat buyers|needs repeat buyers"):
        GammaGammaModel().fit(s.iloc[1:])
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive(s)


def test_gamma_gamma_parameters_are_recovered_from_simulated_spend():
    sim = simulate_bgnbd_summary(40_000, r=0.5, alpha=4.0, a=0.6, b=3.0, T=52.0, seed=2, spend=(6.0, 4.0, 15.0))
    m = GammaGammaModel().fit(sim)
    for k, v in {"p": 6.0, "q": 4.0, "gamma": 15.0}.items():
        assert abs(m.params_[k] - v) < 3 * m.standard_errors_[k], (k, m.params_[k], m.standard_errors_[k])


def test_warm_start_on_a_sample_reaches_the_same_maximum(summary, monkeypatch):
    import csm_kit.models.clv_nc as clv_nc

    plain = BetaGeoModel(compress=False).fit(summary)
    monkeypatch.setattr(clv_nc, "_WARM_ROWS", 200)   # 2,357 rows > 4 x 200: the warm-start path runs
    warm = BetaGeoModel(compress=False).fit(summary)
    assert warm.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
    assert {k: round(v, 3) for k, v in warm.params_.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_gamma_gamma_warm_start_reaches_the_same_maximum(summary, monkeypatch):
    import csm_kit.models.clv_nc as clv_nc

    plain = GammaGammaModel().fit(summary)
    monkeypatch.setattr(clv_nc, "_WARM_ROWS", 100)   # 946 buyers > 4 x 100
    warm = GammaGammaModel().fit(summary)
    assert warm.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
    assert {k: round(v, 2) for k, v in warm.params_.items()} == {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_no_finite_maximum_is_an_error_not_nonsense():
    s = pd.DataFrame({"frequency": [0] * 5, "recency": [0.0] * 5, "T": [3.0, 5, 8, 10, 12]})
    s.attrs["time_unit"] = "week"
    with pytest.raises(ValueError, match="no finite maximum"):   # nobody came back: r runs off to 0
        BetaGeoModel().fit(s)


def test_parameter_intervals_stay_positive_on_the_log_scale(summary):
    bg = BetaGeoModel().fit(summary)
    s = bg.summary
    z = s["std_error"] / s["estimate"]
    assert (s["ci_low"] > 0).all()
    assert s["ci_low"].to_numpy() == pytest.approx((s["estimate"] * np.exp(-1.96 * z)).to_numpy())
    assert s["ci_high"].to_numpy() == pytest.approx((s["estimate"] * np.exp(1.96 * z)).to_numpy())
    # Few customers: a wide interval that the plain Wald form would push below 0 stays positive.
    small = summary.head(60)
    gg = GammaGammaModel().fit(small) if (small["frequency"] > 0).sum() > 10 else None
    if gg is not None:
        assert (gg.summary["ci_low"] > 0).all()


def test_purchase_models_refuse_two_currencies(summary):
    mixed = summary.assign(currency=np.where(np.arange(len(summary)) % 2, "USD", "JPY"))
    bg, gg = BetaGeoModel().fit(summary), GammaGammaModel().fit(summary)
    for call in (lambda: BetaGeoModel().fit(mixed), lambda: GammaGammaModel().fit(mixed),
                 lambda: customer_lifetime_value(bg, gg, mixed)):
        with pytest.raises(csm_kit.exceptions.DataValidationError, match="currency"):
            call()


def test_no_finite_maximum_has_its_own_error_class():
    from csm_kit.models.base import NoFiniteMaximumError

    s = pd.DataFrame({"frequency": [0] * 5, "recency": [0.0] * 5, "T": [3.0, 5, 8, 10, 12], "time_unit": "week"})
    with pytest.raises(NoFiniteMaximumError):
        BetaGeoModel().fit(s)
