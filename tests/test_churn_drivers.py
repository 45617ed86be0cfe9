"""ChurnDrivers: the simulator's true drivers recovered, predictions checked against lifelines, bad input refused."""
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from csm_kit.datasets import load_sample
from csm_kit.exceptions import NotFittedError
from csm_kit.models import ChurnDrivers, survival_table
from csm_kit.models.churn_drivers import CovariateWarning, ipcw_brier
from csm_kit.simulator import TRUE_CHURN_DRIVERS

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def sample_tables():
    ds = load_sample()
    return (survival_table(ds, as_of="2026-10-31", covariates_at="2025-10-31", spells=True),
            survival_table(ds, as_of="2026-10-31", covariates_at="2026-10-31", spells=True))


def exponential_table(n=600, seed=0, beta=(0.5, -0.7)):
    """Exponential lifetimes with hazard 0.1 * exp(beta . x), uniform censoring: a known Cox truth."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.5, n).astype(float)
    life = rng.exponential(1 / (0.1 * np.exp(beta[0] * x1 + beta[1] * x2)))
    cens = rng.uniform(0, 30, n)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "tenure": np.minimum(life, cens),
                         "entry": 0.0, "churned": life <= cens, "x1": x1, "x2": x2, "time_unit": "month"})


def test_recovers_the_simulators_true_drivers(sample_tables):
    train, _ = sample_tables
    m = ChurnDrivers(holdout=0).fit(train)
    s = m.summary
    # Engagement (seen in usage), satisfaction (survey scores), onboarding and support pain (tickets),
    # with the signs of TRUE_CHURN_DRIVERS.
    assert TRUE_CHURN_DRIVERS["engagement"] < 0 and s.loc["usage_share", "coef"] < 0
    assert TRUE_CHURN_DRIVERS["not_onboarded"] > 0 and s.loc["onboarded", "coef"] < 0
    assert TRUE_CHURN_DRIVERS["log_support_pain"] > 0 and s.loc["tickets", "coef"] > 0
    assert TRUE_CHURN_DRIVERS["satisfaction"] < 0 and s.loc["csat", "coef"] < 0 and s.loc["nps", "coef"] < 0
    for driver in ("usage_share", "onboarded", "tickets", "csat"):
        assert s.loc[driver, "p_value"] < 0.05, driver
    # Onboarding's hazard ratio is close to the truth exp(-0.70) = 0.50.
    assert 0.35 < s.loc["onboarded", "hazard_ratio"] < 0.7
    # Nothing the simulator does not use comes out significant (segment sets the base hazard).
    noise = [c for c in s.index if c.startswith(("billing_period", "reactivated")) or c.endswith("missing")]
    assert not s.loc[noise, "significant"].any()


def test_holdout_checks(sample_tables):
    train, _ = sample_tables
    m = ChurnDrivers(holdout=0.25, seed=0).fit(train)
    v = m.validation_
    assert v.customers + m.n_rows_ == len(train)
    assert 0.65 < v.concordance < 0.9
    assert v.brier < v.brier_null  # beats predicting everyone the average
    cal = v.calibration
    assert cal["customers"].sum() == v.customers and cal["predicted"].is_monotonic_increasing
    # The riskiest band really churns more than the safest.
    assert cal["observed"].iloc[-1] > cal["observed"].iloc[0]
    # Same seed, same split; another seed, another split.
    assert ChurnDrivers(holdout=0.25, seed=0).fit(train).validation_.concordance == v.concordance
    assert ChurnDrivers(holdout=0.25, seed=1).fit(train).validation_.concordance != v.concordance


def test_exact_fit_matches_lifelines_and_recovers_a_known_truth():
    from lifelines import CoxPHFitter

    t = exponential_table()
    m = ChurnDrivers(covariates=["x1", "x2"], discrete=False, holdout=0, penalizer=0.0).fit(t)
    ref = CoxPHFitter().fit(t[["tenure", "churned", "x1", "x2"]], "tenure", "churned")
    assert m.params_.to_numpy() == pytest.approx(ref.params_.to_numpy(), rel=1e-6)
    assert abs(m.params_["x1"] - 0.5) < 0.15 and abs(m.params_["x2"] + 0.7) < 0.25
    # S(t | x) = S0(t) ** exp(beta (x - mean)), checked against lifelines just after event times
    # (lifelines interpolates linearly between event times; the step function is flat there).
    times = np.sort(t.loc[t["churned"], "tenure"].to_numpy())[[10, 100, 200]] + 1e-9
    mine = m.conditional_survival(t.head(5), times, start=np.zeros(5))
    theirs = ref.predict_survival_function(t.head(5)[["x1", "x2"]], times=times).T.to_numpy()
    assert mine == pytest.approx(theirs, rel=1e-6)
    # PH test equals lifelines' on an untruncated fit.
    from lifelines.statistics import proportional_hazard_test

    lt = proportional_hazard_test(ref, t[["tenure", "churned", "x1", "x2"]], time_transform="rank").summary
    assert m.ph_test_["test_statistic"].to_numpy() == pytest.approx(lt["test_statistic"].to_numpy(), rel=1e-6)


def test_predict_survival_shape_for_survival_clv(sample_tables):
    train, now = sample_tables
    m = ChurnDrivers(strata=["billing_period"]).fit(train)
    p = m.predict_survival(now, 24)
    assert p.index.name == "customer_id" and list(p.columns) == list(range(1, 25))
    assert len(p) == now["customer_id"].nunique() == (~now["churned"]).sum()
    assert ((p >= 0) & (p <= 1)).all().all() and (np.diff(p.to_numpy(), axis=1) <= 1e-12).all()
    # Conditional on tenure: an annual biller 2 months into its year cannot leave before its renewal.
    annual = now[(now["billing_period"] == "year") & (now["tenure"] % 12 > 1) & (now["tenure"] % 12 < 2)]
    if len(annual):
        assert (p.loc[annual["customer_id"], list(range(1, 10))] == 1.0).all().all()


def test_discrete_conditioning_by_hand():
    # Churn at whole months; one covariate held at its mean. Baseline: 4 at risk at month 1, 1 churns; ...
    t = pd.DataFrame({"customer_id": list("abcd"), "tenure": [1.0, 2.0, 3.0, 3.0], "entry": 0.0,
                      "churned": [True, True, False, False], "x": [0.0, 1.0, 0.0, 1.0], "time_unit": "month"})
    m = ChurnDrivers(covariates=["x"], holdout=0, penalizer=0.0).fit(t)
    at_mean = pd.DataFrame({"customer_id": ["z"], "tenure": [1.5], "churned": [False], "x": [0.5]})
    # Alive at 1.5 months: the month-2 churn is still ahead; S(2)/S(1) = exp(-(H0(2) - H0(1))).
    H = m.cox_.baseline_cumulative_hazard_.iloc[:, 0]
    assert m.predict_survival(at_mean, 1).iloc[0, 0] == pytest.approx(np.exp(-(H[2.0] - H[1.0])))
    # At exactly 2.0 months (paying on as_of, the anniversary is tomorrow), month 2's churn is still ahead too.
    assert m.predict_survival(at_mean.assign(tenure=2.0), 1).iloc[0, 0] == pytest.approx(np.exp(-(H[2.0] - H[1.0])))


def test_constant_and_collinear_covariates_are_dropped_with_a_warning():
    t = exponential_table().assign(const=1.0)
    t["x1_copy"] = 2 * t["x1"] + 1
    t["x3"] = t["x1"] - t["x2"]  # a linear combination
    with pytest.warns(CovariateWarning) as record:
        m = ChurnDrivers(covariates=["x1", "x2", "const", "x1_copy", "x3"], holdout=0).fit(t)
    msg = str(record[0].message)
    assert "const (constant at 1)" in msg and "x1_copy (perfectly collinear with x1)" in msg
    assert "x3 (a linear combination of x1, x2)" in msg
    assert m.design_columns_ == ["x1", "x2"] and set(m.dropped_) == {"const", "x1_copy", "x3"}


def test_missing_values_get_an_indicator_or_an_error(sample_tables):
    train, _ = sample_tables
    m = ChurnDrivers(covariates=["nps", "usage_share"], holdout=0).fit(train)
    assert "nps missing" in m.design_columns_ and m.fill_["nps"] == pytest.approx(train["nps"].mean())
    with pytest.raises(ValueError, match="'nps' has .* missing value"):
        ChurnDrivers(covariates=["nps"], missing="error").fit(train)


def test_single_segment_skips_the_constant_default_quietly(sample_tables):
    train, _ = sample_tables
    smb = train[train["segment"] == "smb"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CovariateWarning)
        m = ChurnDrivers(holdout=0).fit(smb)
    assert not any(c.startswith("segment") for c in m.design_columns_)


def test_degenerate_and_bad_input():
    t = exponential_table(n=50)
    with pytest.raises(ValueError, match="no churn"):
        ChurnDrivers(covariates=["x1"]).fit(t.assign(churned=False))
    with pytest.raises(ValueError, match="no usable covariate"), pytest.warns(CovariateWarning):
        ChurnDrivers(covariates=["x1"], holdout=0).fit(t.head(1).assign(churned=True))
    with pytest.raises(ValueError, match=r"covariate\(s\) \['nope'\]"):
        ChurnDrivers(covariates=["nope"]).fit(t)
    with pytest.raises(ValueError, match="tenure.*>= 0"):
        ChurnDrivers(covariates=["x1"]).fit(t.assign(tenure=-1.0))
    with pytest.raises(ValueError, match="entry"):
        ChurnDrivers(covariates=["x1"]).fit(t.assign(entry=t["tenure"] + 1))
    with pytest.raises(ValueError, match="needs column"):
        ChurnDrivers().fit(t.drop(columns="churned"))
    with pytest.raises(ValueError, match="customer_id"):
        ChurnDrivers(covariates=["x1"], holdout=0.2).fit(t.drop(columns="customer_id"))
    m = ChurnDrivers(covariates=["x1"])
    for call in (lambda: m.summary, lambda: m.predict_survival(t, 3), lambda: m.plot_hazard_ratios(),
                 lambda: m.score(t)):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()
    assert "not fitted" in repr(m)


def test_summary_repr_and_forest_plot(sample_tables):
    train, _ = sample_tables
    m = ChurnDrivers(holdout=0.25).fit(train)
    s = m.summary
    assert (s["hr_ci_low"] < s["hazard_ratio"]).all() and (s["hazard_ratio"] < s["hr_ci_high"]).all()
    assert s["hazard_ratio"].to_numpy() == pytest.approx(np.exp(s["coef"]).to_numpy())
    assert set(m.ph_test_["covariate"]) == set(s.index)
    assert f"fitted on {m.n_rows_:,} rows" in repr(m) and "holdout concordance" in repr(m)
    ax = m.plot_hazard_ratios()
    assert ax.get_xscale() == "log" and len(ax.get_yticklabels()) == len(s)


def test_ipcw_brier_without_censoring_is_the_plain_brier():
    r = np.array([1.0, 2.0, 4.0, 6.0])
    e = np.array([True, True, True, True])
    p = np.array([0.9, 0.6, 0.2, 0.1])
    plain = np.mean((np.array([1, 1, 0, 0]) - p) ** 2)
    assert ipcw_brier(r, e, p, 3.0) == pytest.approx(plain)


def test_scale_only_changes_the_unit_of_the_hazard_ratio(sample_tables):
    train, _ = sample_tables
    per_tenth = ChurnDrivers(covariates=["usage_share", "onboarded"], holdout=0, penalizer=0.0).fit(train)
    per_one = ChurnDrivers(covariates=["usage_share", "onboarded"], holdout=0, penalizer=0.0, scale={}).fit(train)
    assert per_tenth.params_["usage_share"] == pytest.approx(0.1 * per_one.params_["usage_share"], rel=1e-6)
    assert per_tenth.params_["onboarded"] == pytest.approx(per_one.params_["onboarded"], rel=1e-6)
    assert per_tenth.label("usage_share") == "usage_share (per 0.1)"


def test_fits_on_every_row_by_default_and_a_holdout_is_asked_for():
    t = exponential_table(n=200)
    m = ChurnDrivers(covariates=["x1"]).fit(t)
    assert m.n_rows_ == 200 and m.validation_ is None and "holdout" not in repr(m)
    held = ChurnDrivers(covariates=["x1"], holdout=0.25).fit(t)
    assert held.n_rows_ == 150 and held.validation_.customers == 50


def test_a_text_covariate_with_hundreds_of_levels_is_refused_at_once():
    import time

    t = exponential_table(n=2000)
    t["charges"] = t["x1"].round(3).astype(str)          # a number column read as text
    t.loc[0, "charges"] = " "
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"'charges' is text with [\d,]+ distinct values .*probably a number column "
                                         r"read as text .*not parsing: \[' '\]"):
        ChurnDrivers(covariates=["x1", "charges"]).fit(t)
    assert time.perf_counter() - start < 5  # refused before the design matrix, not after minutes of screening
    t["account"] = t["customer_id"]
    with pytest.raises(ValueError, match="'account' is text .*an id or free text"):
        ChurnDrivers(covariates=["account"]).fit(t)
    few = t.assign(colour=np.where(t["x1"] > 0, "red", "blue"))
    assert ChurnDrivers(covariates=["colour"]).fit(few).design_columns_ in (["colour=red"], ["colour=blue"])


def test_a_weekly_table_is_not_read_as_months_and_scoring_checks_the_unit():
    t = exponential_table(n=300)
    weekly = t.assign(time_unit="week")
    m = ChurnDrivers(covariates=["x1"]).fit(weekly)
    assert m.unit_ == "week" and "tenure in whole weeks" in repr(m)
    with pytest.raises(ValueError, match="tenure in months but the model was fitted in weeks"):
        m.predict_survival(t.assign(time_unit="month"), 3)


def test_ph_test_uses_efron_residuals_identical_to_lifelines():
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(3)
    n = 400
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, n).astype(float)
    T = np.ceil(rng.exponential(10 * np.exp(-0.5 * x1 + 0.4 * x2))).clip(1, 30)   # many ties (whole months)
    E = rng.random(n) < 0.7
    t = pd.DataFrame({"customer_id": np.arange(n), "tenure": T, "churned": E, "x1": x1, "x2": x2,
                      "time_unit": "month"})
    m = ChurnDrivers(covariates=["x1", "x2"], penalizer=0.0, log=()).fit(t)
    df = pd.DataFrame({"x1": x1, "x2": x2, "T": T, "E": E.astype(int)})
    ref = CoxPHFitter().fit(df, "T", "E")            # Efron ties, as lifelines always fits
    assert m.params_.to_numpy() == pytest.approx(ref.params_.to_numpy(), rel=1e-6)
    ours, _ = m._schoenfeld(m._train_df)
    theirs = ref.compute_residuals(df, "schoenfeld").sort_index()
    assert ours == pytest.approx(theirs.to_numpy(), abs=1e-10)
    assert m.ph_test_.attrs["ties"] == "efron"
    # With one event per time, Efron is Breslow: a hand check on three rows.
    tiny = pd.DataFrame({"tenure": [1.0, 2.0, 3.0], "churned": [True, True, False], "x": [1.0, 0.0, 1.0],
                         "time_unit": "month"})
    m3 = ChurnDrivers(covariates=["x"], penalizer=0.0, discrete=False).fit(tiny)
    b = float(m3.params_["x"])
    r, _ = m3._schoenfeld(m3._train_df)
    # Event at 1: risk set all three, E = (2 e^b) / (2 e^b + 1); event at 2: rows 2, 3, E = e^b / (1 + e^b).
    expected = [1 - 2 * np.exp(b) / (2 * np.exp(b) + 1), 0 - np.exp(b) / (1 + np.exp(b))]
    assert r[:, 0] == pytest.approx(expected)


def test_a_merged_weekly_table_predicts_the_same_churners_as_a_monthly_one():
    # Issue 9: a weekly table merged with one column (the merge drops attrs) was read as months: 7 churners, not 59.
    from csm_kit.datasets import load_sample
    from csm_kit.models import at_risk

    ds = load_sample()
    extra = pd.DataFrame({"customer_id": ds.customers["customer_id"], "flag": 1.0})
    expected = {}
    for unit in ("month", "week"):
        train = survival_table(ds, as_of="2026-10", covariates_at="2025-10", spells=True, unit=unit)
        now = survival_table(ds, as_of="2026-10", covariates_at="2026-10", spells=True, unit=unit)
        train, now = (t.merge(extra, on="customer_id", how="left") for t in (train, now))
        assert train.attrs == {}
        m = ChurnDrivers(strata=["billing_period"]).fit(train)
        assert m.unit_ == unit
        expected[unit] = at_risk(m, now, horizon_days=90)["p_churn"].sum()
    assert 50 < expected["month"] < 70 and abs(expected["week"] / expected["month"] - 1) < 0.1


def test_predict_survival_is_in_months_whatever_the_unit():
    t = exponential_table(n=800, seed=4)
    weekly = t.assign(tenure=t["tenure"] * 52 / 12, time_unit="week")
    monthly = ChurnDrivers(covariates=["x1", "x2"], discrete=False).fit(t)
    by_week = ChurnDrivers(covariates=["x1", "x2"], discrete=False).fit(weekly)
    m = monthly.predict_survival(t, 6)
    w = by_week.predict_survival(weekly, 6)
    assert list(w.columns) == list(range(1, 7))
    assert w.to_numpy() == pytest.approx(m.to_numpy(), abs=1e-9)   # the same model, tenures rescaled
