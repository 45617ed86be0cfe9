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
