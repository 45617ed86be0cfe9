"""csm_kit.arguments: the one check of whole-number arguments."""
import numpy as np
import pytest

from csm_kit.arguments import whole_number


@pytest.mark.parametrize("value, expected", [
    (1, 1), (12, 12), (np.int64(3), 3), (np.int32(7), 7), (2.0, 2), (np.float64(5.0), 5), (10**12, 10**12),
])
def test_accepted_values_come_back_as_python_ints(value, expected):
    got = whole_number(value, "trend_months")
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 2.5, np.float64(0.5), float("nan"), float("inf"),
                                   "3", "", None, [3], 0, -1, np.int64(-4), 0.0])
def test_refused_values_name_the_argument_and_the_value(value):
    with pytest.raises(ValueError) as err:
        whole_number(value, "window_months")
    assert str(err.value) == f"window_months must be a whole number >= 1, not {value!r}."


def test_minimum_and_unit():
    assert whole_number(0, "within_days", minimum=0) == 0
    assert whole_number(np.int64(0), "within_days", minimum=0) == 0
    with pytest.raises(ValueError, match=r"^within_days must be a whole number of days >= 0, not -1\.$"):
        whole_number(-1, "within_days", minimum=0, unit="days")
    with pytest.raises(ValueError, match=r"^horizon_days must be a whole number of days >= 1, not 0\.$"):
        whole_number(0, "horizon_days", unit="days")
    assert whole_number(5, "shown", minimum=5) == 5
    with pytest.raises(ValueError, match=">= 5, not 4"):
        whole_number(4, "shown", minimum=5)
    with pytest.raises(ValueError, match="not True"):
        whole_number(True, "within_days", minimum=0)


def test_maximum_gives_the_range_and_context_says_where_it_comes_from():
    assert whole_number(10, "min_score", minimum=0, maximum=10) == 10
    assert whole_number(np.float64(4.0), "top_box", maximum=4) == 4
    with pytest.raises(ValueError, match=r"^min_score must be a whole number from 0 to 10, not 11\.$"):
        whole_number(11, "min_score", minimum=0, maximum=10)
    with pytest.raises(ValueError, match=r"^top_box must be a whole number from 1 to 4 on a 1-5 scale, not True\.$"):
        whole_number(True, "top_box", maximum=4, context="on a 1-5 scale")


def test_bounded_metric_arguments_refuse_bools_and_strings_and_take_whole_floats():
    """top_box, sent, min_score and within_days once had checks of their own that let True (and "3") through."""
    from csm_kit.metrics.feedback import referral_candidates
    from csm_kit.metrics.satisfaction import csat, nps

    scores = pd.Series([9, 10, 3, 7])
    assert nps(scores, sent=8.0).response_rate == nps(scores, sent=8).response_rate == 0.5
    for bad in (True, "8", -1, 7.5):
        with pytest.raises(ValueError) as err:
            nps(scores, sent=bad)
        assert str(err.value) == f"sent must be a whole number of invitations >= 0, not {bad!r}."
    answers = pd.Series([5, 4, 4, 2, 1])
    assert csat(answers, top_box=2.0).score == csat(answers, top_box=2).score == 60.0  # the 4s and 5s: 3 of 5 answers
    for bad in (True, 0, 5, "2"):
        with pytest.raises(ValueError) as err:
            csat(answers, top_box=bad)
        assert str(err.value) == f"top_box must be a whole number from 1 to 4 on a 1-5 scale, not {bad!r}."
    surveys = pd.DataFrame({"response_id": ["1"], "customer_id": ["a"], "survey": "nps", "touchpoint": "relationship",
                            "score": [10.0], "comment": ["Great"], "responded_at": pd.to_datetime(["2026-03-15"])})
    assert len(referral_candidates(surveys, as_of="2026-03-31", min_score=9.0, within_days=30.0)) == 1
    for name, bad, sentence in (("min_score", True, "a whole number from 0 to 10"),
                                ("min_score", 11, "a whole number from 0 to 10"),
                                ("within_days", 0, "a whole number of days >= 1"),
                                ("within_days", "30", "a whole number of days >= 1")):
        with pytest.raises(ValueError) as err:
            referral_candidates(surveys, as_of="2026-03-31", **{name: bad})
        assert str(err.value) == f"{name} must be {sentence}, not {bad!r}."


@pytest.mark.parametrize("bad", [True, 95, 0, 1, "0.95", None, float("nan")])
def test_confidence_is_checked_once_with_one_sentence(bad):
    from csm_kit.arguments import confidence_level
    from csm_kit.metrics.intervals import wilson_interval

    assert confidence_level(np.float32(0.5)) == 0.5 and confidence_level(0.9) == 0.9
    for call in (lambda: confidence_level(bad), lambda: wilson_interval(3, 10, confidence=bad)):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == f"confidence must be a number strictly between 0 and 1 (e.g. 0.95), not {bad!r}."


# -- every count argument of the metrics goes through whole_number: same refusals, same sentence -------------
import pandas as pd  # noqa: E402

from csm_kit import Dataset  # noqa: E402


def _subs():
    return pd.DataFrame({"customer_id": ["a"], "subscription_id": ["s1"], "plan": ["pro"], "start_date":
                         pd.to_datetime(["2026-01-01"]), "end_date": pd.NaT, "billing_period": ["year"],
                         "amount": [1200.0]})


def _calls():
    from csm_kit.metrics.engagement import engagement_page, usage_trend
    from csm_kit.metrics.health import fit_health, health_backtest
    from csm_kit.metrics.health_measures import health_measures
    from csm_kit.metrics.health_page import health_page
    from csm_kit.metrics.onboarding import adoption_rate, milestone_completion, onboarding_completion, onboarding_page
    from csm_kit.metrics.renewals import renewal_pipeline, renewals, renewals_page
    from csm_kit.metrics.satisfaction_page import satisfaction_page
    from csm_kit.metrics.support import support_page
    ds, paying = Dataset(), Dataset(subscriptions=_subs())
    day, month = "2026-06-30", "2026-06"
    return [  # (call taking the value, argument name, minimum, unit)
        (lambda v: usage_trend(ds, as_of=day, window_months=v), "window_months", 1, ""),
        (lambda v: engagement_page(ds, month=month, trend_months=v), "trend_months", 1, ""),
        (lambda v: health_backtest(paying, as_of=day, horizon_days=v), "horizon_days", 1, "days"),
        (lambda v: fit_health(paying, as_of=day, horizon_days=v), "horizon_days", 1, "days"),
        (lambda v: health_measures(paying, as_of=day, usage_days=v), "usage_days", 1, "days"),
        (lambda v: health_measures(paying, as_of=day, billing_months=v), "billing_months", 1, ""),
        (lambda v: health_page(ds, month=month, horizon_days=v), "horizon_days", 1, "days"),
        (lambda v: health_page(ds, month=month, red_accounts_shown=v), "red_accounts_shown", 1, ""),
        (lambda v: onboarding_completion(ds, as_of=day, within_days=v), "within_days", 0, "days"),
        (lambda v: adoption_rate(ds, as_of=day, within_days=v), "within_days", 0, "days"),
        (lambda v: milestone_completion(ds, as_of=day, within_days=v), "within_days", 0, "days"),
        (lambda v: onboarding_page(ds, month=month, value_within_days=v), "value_within_days", 0, "days"),
        (lambda v: onboarding_page(ds, month=month, cohort_months=v), "cohort_months", 1, ""),
        (lambda v: renewals(paying, as_of=day, within_days=v, health=False, risk=False), "within_days", 1, "days"),
        (lambda v: renewal_pipeline(paying, as_of=day, months=v), "months", 1, ""),
        (lambda v: renewals_page(ds, month=month, pipeline_months=v), "pipeline_months", 1, ""),
        (lambda v: support_page(ds, month=month, trend_months=v), "trend_months", 1, ""),
        (lambda v: satisfaction_page(ds, month=month, trend_months=v), "trend_months", 1, ""),
    ]


@pytest.mark.parametrize("bad", [True, 2.5, "3", None])
def test_metric_count_arguments_refuse_with_the_shared_sentence(bad):
    for call, name, minimum, unit in _calls():
        of = f" of {unit}" if unit else ""
        with pytest.raises(ValueError) as err:
            call(bad)
        assert str(err.value) == f"{name} must be a whole number{of} >= {minimum}, not {bad!r}.", name
        with pytest.raises(ValueError, match=f"^{name} must be a whole number{of} >= {minimum}, not {minimum - 1}"):
            call(minimum - 1)


def test_a_whole_float_or_numpy_int_gives_the_same_result_as_the_int():
    from csm_kit.metrics.renewals import renewal_pipeline
    paying = Dataset(subscriptions=_subs())
    expected = renewal_pipeline(paying, as_of="2026-06-30", months=8)
    assert len(expected) == 8 and expected["arr"].sum() == 1200.0
    for same in (8.0, np.int64(8)):
        pd.testing.assert_frame_equal(renewal_pipeline(paying, as_of="2026-06-30", months=same), expected)


def test_required_day_refuses_none_with_its_meaning_and_parses_like_as_of_day():
    from csm_kit.arguments import required_day
    from csm_kit.periods import as_of_day
    for v in ("2026-10", pd.Period("2026-10", "M"), "2026-10-31", pd.Timestamp("2026-10-31")):
        assert required_day(v) == as_of_day(v) == pd.Timestamp("2026-10-31")
    with pytest.raises(ValueError, match=r"^as_of is required: the day the data is known up to\.$"):
        required_day(None)
    with pytest.raises(ValueError, match=r"^censor_at is required: the last day observed\.$"):
        required_day(None, name="censor_at", meaning="the last day observed")
    with pytest.raises(ValueError, match="^data_end is a day"):
        required_day("2026", name="data_end")


def test_health_functions_say_what_a_missing_as_of_is_for():
    from csm_kit.metrics.health import health_backtest, health_scores
    from csm_kit.metrics.health_measures import health_measures
    paying = Dataset(subscriptions=_subs())
    for call in (lambda: health_measures(paying, as_of=None), lambda: health_scores(paying),
                 lambda: health_backtest(paying, as_of=None)):
        with pytest.raises(ValueError, match=r"^as_of is required: the day the health score is computed for\.$"):
            call()
    with pytest.raises(ValueError, match="^data_end is a day"):
        health_backtest(paying, as_of="2026-03-31", data_end="soon")


# -- the models' count arguments go through whole_number too ------------------------------------------------
def _model_calls():
    import csm_kit
    from csm_kit.models import ChurnDrivers, survival_table
    from csm_kit.models.at_risk import at_risk
    from csm_kit.models.clv_nc import BetaGeoModel, GammaGammaModel, customer_lifetime_value
    from csm_kit.models.clv_report import clv_analysis
    from csm_kit.models.risk import ChurnRisk
    from csm_kit.models.survival_clv import (survival_matrix_from_curve, survival_matrix_from_hazard,
                                             survival_matrix_from_sbg)
    from csm_kit.models.survival_report import survival_analysis
    from csm_kit.models.sbg import ShiftedBetaGeoModel
    ds = csm_kit.simulate(n_customers=60, start="2025-01", months=8, seed=3)
    table = survival_table(ds, as_of="2025-08-31", covariates_at="2025-05-31", spells=True)
    drivers = ChurnDrivers(covariates=["usage_share", "tickets"], holdout=0).fit(table)
    s = pd.DataFrame({"frequency": [0, 2], "recency": [0, 20.0], "T": [30.0, 30.0], "monetary_value": [0.0, 40.0]})
    s.attrs["time_unit"] = "week"
    bg, gg = BetaGeoModel(), GammaGammaModel()
    bg.params_, bg.time_unit_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, "week"
    gg.params_, gg.time_unit_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}, "week"
    sbg = ShiftedBetaGeoModel(time_unit="month").fit([1000, 631, 468, 382, 326, 289, 262, 241])
    curve, tenure = pd.Series([1.0, 0.5, 0.25, 0.25], index=[0, 1, 2, 3]), pd.Series({"a": 0.0, "b": 1.0})
    empty, day = Dataset(), "2025-08-31"
    return [  # (call taking the value, argument name, unit, a cheap result to compare 2.0 with 2, or None)
        (lambda v: at_risk(drivers, table, horizon_days=v), "horizon_days", "days",
         lambda v: at_risk(drivers, table, horizon_days=v)["p_churn"].to_numpy()),
        (lambda v: at_risk(drivers, table, lifetime_months=v), "lifetime_months", "",
         lambda v: at_risk(drivers, table, lifetime_months=v)["expected_months"].to_numpy()),
        (lambda v: at_risk(ds, as_of=day, lifetime_months=v), "lifetime_months", "", None),
        (lambda v: drivers.predict_survival(table, months=v), "months", "",
         lambda v: drivers.predict_survival(table, months=v).to_numpy()),
        (lambda v: customer_lifetime_value(bg, gg, s, months=v), "months", "",
         lambda v: customer_lifetime_value(bg, gg, s, months=v)["clv"].to_numpy()),
        (lambda v: clv_analysis(empty, month="2025-08", horizon_months=v), "horizon_months", "months", None),
        (lambda v: clv_analysis(empty, month="2025-08", clv_months=v), "clv_months", "months", None),
        (lambda v: clv_analysis(empty, month="2025-08", holdout_months=v), "holdout_months", "months", None),
        (lambda v: ChurnRisk(horizon_days=v).fit(ds, as_of=day), "horizon_days", "days", None),
        (lambda v: ChurnRisk(history_months=v).fit(ds, as_of=day), "history_months", "", None),
        (lambda v: survival_matrix_from_curve(curve, tenure, v, tail="flat"), "horizon_months", "",
         lambda v: survival_matrix_from_curve(curve, tenure, v, tail="flat").to_numpy()),
        (lambda v: survival_matrix_from_hazard(pd.Series({"a": 0.1}), v), "horizon_months", "",
         lambda v: survival_matrix_from_hazard(pd.Series({"a": 0.1}), v).to_numpy()),
        (lambda v: survival_matrix_from_sbg(sbg, tenure, v), "horizon_months", "",
         lambda v: survival_matrix_from_sbg(sbg, tenure, v).to_numpy()),
        (lambda v: survival_analysis(empty, month="2025-08", horizon_days=v), "horizon_days", "days", None),
        (lambda v: survival_analysis(empty, month="2025-08", lookback_months=v), "lookback_months", "months", None),
        (lambda v: survival_table(ds, as_of=day, window_days=v), "window_days", "days",
         lambda v: survival_table(ds, as_of=day, covariates_at="2025-05-31", window_days=v)),
        (lambda v: survival_table(ds, as_of=day, survey_days=v), "survey_days", "days", None),
        (lambda v: survival_table(ds, as_of=day, onboarding_days=v), "onboarding_days", "days", None),
    ]


def test_model_count_arguments_refuse_with_the_shared_sentence_and_take_a_whole_float():
    for call, name, unit, result in _model_calls():
        of = f" of {unit}" if unit else ""
        for bad in (0, True, 2.5, "3", None):
            with pytest.raises(ValueError) as err:
                call(bad)
            assert str(err.value) == f"{name} must be a whole number{of} >= 1, not {bad!r}.", name
        if result is not None:
            expected = result(2)
            assert expected.size > 0, name
            if isinstance(expected, pd.DataFrame):
                pd.testing.assert_frame_equal(result(2.0), expected)
            else:
                np.testing.assert_array_equal(result(2.0), expected, err_msg=name)
