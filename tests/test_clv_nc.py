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


# -- one dropout probability for everyone: the a, b -> inf limit of BG/NBD -------------------------------------

def _by_hand(params, time_unit="week"):
    m = BetaGeoModel()
    m.params_, m.time_unit_ = dict(params), time_unit
    return m


def _rows(x, tx, T):
    s = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    s.attrs["time_unit"] = "week"
    return s


def test_common_dropout_formulas_by_integrating_over_the_purchase_rate():
    # An independent path: with one p, integrate the individual-level BG/NBD over lambda ~ Gamma(r, alpha)
    # numerically instead of using the closed forms.
    from scipy import integrate, stats

    from csm_kit.models.clv_nc import _bgnbd_common_loglik, _codes

    r, alpha, p = 0.7, 5.0, 0.15
    m = _by_hand({"r": r, "alpha": alpha, "p": p})
    rows = _rows([0, 1, 4, 9], [0.0, 3.0, 20.0, 35.5], [30.0, 10.0, 39.0, 40.0])
    alive = m.probability_alive(rows)
    expected = m.expected_purchases(rows, 26.0)
    x, tx, T = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ll = _bgnbd_common_loglik((r, alpha, p), x, tx, T, np.ones(4), (_codes(x), _codes(tx), _codes(T)), False)[0]
    total = 0.0
    for i in range(4):
        xi, txi, Ti = x[i], tx[i], T[i]
        prior = stats.gamma(r, scale=1 / alpha).pdf
        stay = integrate.quad(lambda lam: (1 - p) ** xi * lam ** xi * np.exp(-lam * Ti) * prior(lam), 0, np.inf)[0]
        gone = 0.0 if xi == 0 else integrate.quad(
            lambda lam: p * (1 - p) ** (xi - 1) * lam ** xi * np.exp(-lam * txi) * prior(lam), 0, np.inf)[0]
        assert alive.iloc[i] == pytest.approx(stay / (stay + gone), rel=1e-7)
        total += np.log(stay + gone)   # the density of the purchase times (no x!, as in FHL's eq. 6)
        # alive: lambda | history ~ Gamma(r + x, alpha + T); an alive customer buys (1 - e^(-lambda p t)) / p
        post = stats.gamma(r + xi, scale=1 / (alpha + Ti)).pdf
        ahead = integrate.quad(lambda lam: (1 - np.exp(-lam * p * 26.0)) / p * post(lam), 0, np.inf)[0]
        assert expected.iloc[i] == pytest.approx(stay / (stay + gone) * ahead, rel=1e-7)
    assert ll == pytest.approx(total, abs=1e-6)   # quad's accuracy
    new = integrate.quad(lambda lam: (1 - np.exp(-lam * p * 52.0)) / p * stats.gamma(r, scale=1 / alpha).pdf(lam),
                         0, np.inf)[0]
    assert m.expected_purchases_new_customer(52.0) == pytest.approx(new, rel=1e-7)
    # by hand for one customer: x = 1, t_x = 3, T = 10 -> 1 / (1 + 0.15 / 0.85 x (15 / 8)^1.7)
    assert alive.iloc[1] == pytest.approx(1 / (1 + 0.15 / 0.85 * (15 / 8) ** 1.7), rel=1e-12)
    assert alive.iloc[0] == 1.0


def test_common_dropout_formulas_are_the_limits_of_the_full_model():
    from csm_kit.models.clv_nc import _bgnbd_common_loglik, _bgnbd_loglik, _codes

    r, alpha, p = 1.4, 66.0, 0.09
    common = _by_hand({"r": r, "alpha": alpha, "p": p})
    rows = _rows([0, 1, 3, 10, 25], [0.0, 30.0, 60.0, 100.0, 129.0], [100.0, 100.0, 100.0, 130.0, 130.0])
    x, tx, T = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    idx, w = (_codes(x), _codes(tx), _codes(T)), np.array([3.0, 1, 2, 1, 1])
    ll_c, g_c = _bgnbd_common_loglik((r, alpha, p), x, tx, T, w, idx)
    gaps = []
    for K in (1e6, 1e7):
        full = _by_hand({"r": r, "alpha": alpha, "a": p * K, "b": (1 - p) * K})
        gap = max(
            np.max(np.abs(full.probability_alive(rows) / common.probability_alive(rows) - 1)),
            np.max(np.abs(full.expected_purchases(rows, 52.0) / common.expected_purchases(rows, 52.0) - 1)),
            np.max(np.abs(full.expected_purchases_new_customer([1.0, 52.0, 520.0])
                          / common.expected_purchases_new_customer([1.0, 52.0, 520.0]) - 1)))
        # measured 1.05e-5 at K = 1e6 (the x = 25 customer's expectation), 1.05e-6 at 1e7
        assert gap < 100 / K
        gaps.append(gap)
        ll_f, g_f = _bgnbd_loglik((r, alpha, p * K, (1 - p) * K), x, tx, T, w, idx)
        assert ll_f == pytest.approx(ll_c, abs=1e3 / K)
        # d/dp along a = pK, b = (1 - p) K is K (d/da - d/db); r and alpha's gradients are the same
        assert np.allclose([g_f[0], g_f[1], K * (g_f[2] - g_f[3])], g_c, rtol=1e3 / K)
    assert gaps[1] < gaps[0] / 5       # the gap shrinks like 1 / K: the formulas are the limits


def test_one_dropout_probability_gives_the_common_model_wherever_the_optimiser_starts():
    from csm_kit.models.clv_nc import _bgnbd_loglik, _codes, _maximise

    # Beta(1e7, 9e7) is p = 0.1 for everyone to 4 decimals
    T = np.random.default_rng(5).integers(27 * 7, 39 * 7 + 1, 20_000) / 7
    sim = simulate_bgnbd_summary(20_000, r=0.4, alpha=6.0, a=1e7, b=9e7, T=T, seed=11, resolution=1 / 7)
    starts = [None, (0.5, 1.0, 0.5, 3.0), (3.0, 100.0, 2.0, 20.0), (0.2, 5.0, 50.0, 500.0)]
    fits = [BetaGeoModel().fit(sim, initial_point=s) for s in starts]
    # What the plain four-parameter fit does here: BFGS stops somewhere on the ridge, wherever it started
    # (measured a + b from 1.0e6 to 2.2e6 over these starts, a / (a + b) = 0.0977 at each).
    rows = sim.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
    x, tx, T_, w = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T", "w"))
    idx = (_codes(x), _codes(tx), _codes(T_))
    ends = [np.exp(_maximise(lambda th: _bgnbd_loglik(th, x, tx, T_, w, idx), np.array(s or (1, 3.3, 1, 1)),
                             w.sum())) for s in starts]
    sizes = [e[2] + e[3] for e in ends]
    assert max(sizes) / min(sizes) > 1.5 and min(sizes) > 1e5
    first = fits[0]
    assert list(first.params_) == ["r", "alpha", "p"] and not first.dropout_heterogeneity_
    assert first.dropout_lr_statistic_ < 1e-3 and first.converged_
    for k, v in {"r": 0.4, "alpha": 6.0, "p": 0.1}.items():
        assert abs(first.params_[k] - v) < 3 * first.standard_errors_[k], (k, first.params_[k])
    head = sim.iloc[:200]
    for m in fits[1:]:
        assert not m.dropout_heterogeneity_
        for k in first.params_:
            assert m.params_[k] == pytest.approx(first.params_[k], rel=1e-5)
        assert m.log_likelihood_ == pytest.approx(first.log_likelihood_, abs=1e-6)
        assert np.allclose(m.expected_purchases(head, 39.0), first.expected_purchases(head, 39.0), rtol=1e-5)
    assert list(first.summary.index) == ["r", "alpha", "p"]
    assert "one dropout probability" in repr(first)


def test_simulated_companies_with_one_dropout_probability_fit_the_same_from_any_start():
    full = rfm_summary(csm_kit.simulate(n_customers=800, months=30, seed=23), calibration_end="2026-04",
                       time_unit="week")
    fits = [BetaGeoModel().fit(full, initial_point=s) for s in (None, (0.5, 1.0, 0.5, 3.0), (3.0, 100.0, 2.0, 20.0))]
    # measured (scipy 1.17.1, numpy 2.4.6): r = 1.441, alpha = 66.15, p = 0.0891, log-likelihood -1615.985;
    # the four-parameter fit alone stopped at a = 1.4e5, b = 1.4e6 with a Hessian not positive definite
    for m in fits:
        assert not m.dropout_heterogeneity_
        assert {k: round(v, 3) for k, v in m.params_.items()} == {"r": 1.441, "alpha": 66.145, "p": 0.089}
        assert round(m.log_likelihood_, 3) == -1615.985
        assert m.expected_purchases(full, 52.0).sum() == pytest.approx(fits[0].expected_purchases(full, 52.0).sum(),
                                                                       rel=1e-6)


def test_cdnow_keeps_its_beta_dropout(summary):
    m = BetaGeoModel().fit(summary)
    assert m.dropout_heterogeneity_ and list(m.params_) == ["r", "alpha", "a", "b"]
    # 2 (-9582.43 - ll with one p): the spread in dropout is far beyond the 5% threshold 2.7055
    assert round(m.dropout_lr_statistic_, 1) == 42.4


def test_the_threshold_is_the_boundary_likelihood_ratio_test_at_5_percent():
    from scipy import stats

    from csm_kit.models.clv_nc import COMMON_DROPOUT_LR_THRESHOLD

    # a 50:50 mix of chi2_0 and chi2_1: P(stat > c) = P(chi2_1 > c) / 2 = 5%
    assert stats.chi2.sf(COMMON_DROPOUT_LR_THRESHOLD, 1) / 2 == pytest.approx(0.05, abs=1e-5)


def test_clv_and_holdout_table_with_one_dropout_probability(summary):
    K = 1e7
    common = _by_hand({"r": 0.243, "alpha": 4.414, "p": 0.25})
    full = _by_hand({"r": 0.243, "alpha": 4.414, "a": 0.25 * K, "b": 0.75 * K})
    gg = GammaGammaModel().fit(summary)
    head = summary.iloc[:50]
    v = customer_lifetime_value(common, gg, head, months=3, annual_discount_rate=0.10)
    limit = customer_lifetime_value(full, gg, head, months=3, annual_discount_rate=0.10)
    assert np.allclose(v["clv"], limit["clv"], rtol=1e-4)
    month = 365.25 / 12 / 7
    cum = [common.expected_purchases(head, i * month) for i in range(4)]
    by_hand = sum(gg.expected_spend(head) * (cum[i] - cum[i - 1]) / 1.1 ** (i / 12) for i in (1, 2, 3))
    assert np.allclose(v["clv"], by_hand, rtol=1e-10)
    t = holdout_comparison(common, summary)
    assert t["predicted_total"].sum() == pytest.approx(common.expected_purchases(summary, 39).sum())


def test_initial_point_is_checked(summary):
    with pytest.raises(ValueError, match="initial_point must be 4 positive numbers"):
        BetaGeoModel().fit(summary, initial_point=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="initial_point must be 4 positive numbers"):
        BetaGeoModel().fit(summary, initial_point=(1.0, 2.0, -3.0, 1.0))
    m = BetaGeoModel().fit(summary, initial_point=(0.5, 2.0, 2.0, 5.0))
    assert {k: round(v, 3) for k, v in m.params_.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_warm_start_on_ridge_data_reaches_the_same_fit(monkeypatch):
    import csm_kit.models.clv_nc as clv_nc

    full = rfm_summary(csm_kit.simulate(n_customers=800, months=30, seed=23), calibration_end="2026-04",
                       time_unit="week")
    plain = BetaGeoModel().fit(full)
    monkeypatch.setattr(clv_nc, "_WARM_ROWS", 60)   # 344 distinct rows > 4 x 60: both fits start from a sample's
    warm = BetaGeoModel().fit(full)
    assert warm.n_rows_ > 240 and not warm.dropout_heterogeneity_
    assert warm.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
    for k in plain.params_:
        assert warm.params_[k] == pytest.approx(plain.params_[k], rel=1e-5)
