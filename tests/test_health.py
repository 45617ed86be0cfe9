"""Health scores: grading, renormalised weights, coverage, contributions, no leakage, backtest, questionnaire.

Every expected number is worked out by hand in the comments.
"""
import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.metrics.health import (DEFAULT_MEASURES, HealthMeasure, health_backtest, health_scores,
                                    questionnaire_health, score_band)
from csm_kit.metrics.health_measures import health_measures, paying_accounts

AS_OF = "2026-05-31"
SPEC = [HealthMeasure("usage", 0.5, red_at=4, green_beyond=12),
        HealthMeasure("nps", 0.3, red_at=6, green_beyond=8),
        HealthMeasure("tickets", 0.2, red_at=5, green_beyond=2, higher_is_better=False)]


def raw(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"), dtype=float)


# -- grading and bands ---------------------------------------------------------------------------

def test_thresholds_put_boundary_values_in_the_worse_grade():
    # usage, higher is better: <= 4 red, (4, 12] yellow, > 12 green
    assert SPEC[0].grade([4, 4.5, 12, 12.5]).tolist() == [0, 50, 50, 100]
    # tickets, lower is better: >= 5 red, [2, 5) yellow, < 2 green
    assert SPEC[2].grade([5, 4, 2, 1]).tolist() == [0, 50, 50, 100]
    # linear between red_at 4 (0 points) and green_beyond 12 (100): 8 -> 100 x 4/8 = 50; 6 -> 25
    linear = HealthMeasure("usage", 1, red_at=4, green_beyond=12, grading="linear")
    assert linear.grade([0, 4, 6, 8, 12, 30]).tolist() == [0, 0, 25, 50, 100, 100]
    # lower is better, linear: red_at 5, green_beyond 1: 3 -> 100 x (3-5)/(1-5) = 50
    tickets = HealthMeasure("t", 1, red_at=5, green_beyond=1, higher_is_better=False, grading="linear")
    assert tickets.grade([6, 3, 0]).tolist() == [0, 50, 100]


def test_score_bands_boundary_goes_to_the_lower_band():
    assert score_band([0, 40, 40.5, 70, 70.5, 100]).tolist() == ["red", "red", "yellow", "yellow", "green", "green"]
    assert score_band([50, 50.1], bands=(30, 50)).tolist() == ["yellow", "green"]


@pytest.mark.parametrize("kwargs, message", [
    ({"weight": 0}, "weight must be a positive"),
    ({"red_at": 12, "green_beyond": 4}, "red_at \\(12\\) must be below green_beyond"),
    ({"grading": "smooth"}, "grading must be one of"),
    ({"red_at": 4, "green_beyond": 4, "grading": "linear"}, "two different thresholds"),
])
def test_bad_measure_specs_are_refused(kwargs, message):
    args = {"name": "usage", "weight": 1, "red_at": 4, "green_beyond": 12} | kwargs
    with pytest.raises(ValueError, match=message):
        HealthMeasure(**args)


def test_bad_spec_bands_and_frames_are_refused():
    frame = raw(usage=[1.0], nps=[8.0], tickets=[0.0])
    with pytest.raises(ValueError, match="unique"):
        health_scores(frame, spec=[SPEC[0], SPEC[0]])
    with pytest.raises(ValueError, match="bands"):
        health_scores(frame, spec=SPEC, bands=(70, 40))
    with pytest.raises(ValueError, match="no column for \\['tickets'\\]"):
        health_scores(frame.drop(columns="tickets"), spec=SPEC)
    with pytest.raises(ValueError, match="more than once: \\['c0'\\]"):
        health_scores(pd.concat([frame, frame]), spec=SPEC)
    with pytest.raises(ValueError, match="as_of is required"):
        health_scores(Dataset(subscriptions=subscriptions(("a", "2026-01-01", None, 10.0))))


# -- scoring -------------------------------------------------------------------------------------

def test_missing_measure_renormalises_weights_and_shows_coverage():
    out = health_scores(raw(usage=[20.0], nps=[np.nan], tickets=[3.0]), spec=SPEC).iloc[0]
    # usage 20 > 12 green 100 (w .5); tickets 3 in [2, 5) yellow 50 (w .2); nps missing.
    # score = (.5 x 100 + .2 x 50) / (.5 + .2) = 60 / .7 = 85.714; coverage = .7 / 1.0
    assert out.score == pytest.approx(85.7142857) and out.coverage == pytest.approx(0.7)
    assert out.band == "green"
    # contributions: .5/.7 x 100 = 71.43 and .2/.7 x 50 = 14.29; nps contributes nothing (NaN)
    assert out.usage_contribution == pytest.approx(71.4285714)
    assert out.tickets_contribution == pytest.approx(14.2857143)
    assert np.isnan(out.nps_contribution) and np.isnan(out.nps_points)


def test_contributions_sum_to_the_score_for_every_account():
    out = health_scores(raw(usage=[8.0, 2.0, 30.0], nps=[10.0, 7.0, np.nan], tickets=[6.0, 0.0, 9.0]), spec=SPEC)
    # c0: .5 x 50 + .3 x 100 + .2 x 0 = 55            -> yellow
    # c1: .5 x 0 + .3 x 50 + .2 x 100 = 35            -> red
    # c2: (.5 x 100 + .2 x 0) / .7 = 71.43, coverage .7 -> green
    assert out["score"].tolist() == pytest.approx([55, 35, 50 / 0.7])
    assert out["band"].tolist() == ["yellow", "red", "green"]
    assert out["coverage"].tolist() == pytest.approx([1, 1, 0.7])
    parts = out[["usage_contribution", "nps_contribution", "tickets_contribution"]].sum(axis=1)
    assert parts.tolist() == pytest.approx(out["score"].tolist())


def test_a_score_exactly_on_a_band_boundary_takes_the_lower_band():
    spec = [HealthMeasure("usage", 0.4, 4, 12), HealthMeasure("nps", 0.6, 6, 8)]
    out = health_scores(raw(usage=[20.0, 0.0], nps=[7.0, 9.0]), spec=spec)
    # c0: .4 x 100 + .6 x 50 = 70 -> yellow (not green); c1: .4 x 0 + .6 x 100 = 60 -> yellow
    assert out["score"].tolist() == pytest.approx([70, 60]) and out["band"].tolist() == ["yellow", "yellow"]
    out = health_scores(raw(usage=[20.0], nps=[3.0]), spec=spec)
    # .4 x 100 + .6 x 0 = 40 -> red (not yellow)
    assert out.loc[0, "score"] == pytest.approx(40) and out.loc[0, "band"] == "red"


def test_single_account_and_an_account_with_no_measure():
    out = health_scores(raw(usage=[np.nan], nps=[np.nan], tickets=[np.nan]), spec=SPEC)
    assert len(out) == 1 and np.isnan(out.loc[0, "score"]) and out.loc[0, "band"] is None
    assert out.loc[0, "coverage"] == 0


# -- measures from the tables --------------------------------------------------------------------

def subscriptions(*rows):
    """rows: (customer, start, end or None, amount[, billing_period])."""
    return pd.DataFrame({
        "subscription_id": [f"s{i}" for i in range(len(rows))],
        "customer_id": [r[0] for r in rows], "plan": "pro",
        "start_date": pd.to_datetime([r[1] for r in rows]), "end_date": pd.to_datetime([r[2] for r in rows]),
        "billing_period": [r[4] if len(r) > 4 else "month" for r in rows], "amount": [float(r[3]) for r in rows]})


def events(customer, timestamps, quantity=None):
    frame = pd.DataFrame({"customer_id": customer, "user_id": f"u_{customer}", "event": "report",
                          "timestamp": pd.to_datetime(list(timestamps), format="ISO8601")})
    frame["quantity"] = pd.array([1] * len(frame) if quantity is None else quantity, dtype="Int64")
    return frame


def shop(future=False, surveys=True):
    """Accounts a, b, c paying on 2026-05-31; d stops that very day; e starts after it.

    With future=True, rows dated after 2026-05-31 are added to every table.
    """
    subs = subscriptions(
        ("a", "2026-01-01", None, 100),
        ("b", "2026-01-01", "2026-04-15", 100), ("b", "2026-04-15", "2026-07-10", 60),  # downgrade, no gap
        ("c", "2026-04-01", None, 1200, "year"),                                      # annual plan: MRR 100
        ("d", "2026-01-01", "2026-05-31", 100),                                       # last paid day 05-30
        ("e", "2026-06-01", None, 100))
    usage = pd.concat([
        events("a", list(pd.date_range("2026-05-01", "2026-05-31")) + ["2026-05-31 18:00"]),
        events("b", ["2026-05-20 09:00", "2026-05-20 17:00", "2026-05-21"], quantity=[1, 1, 0]),
    ], ignore_index=True)
    survey = pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4"], "customer_id": ["a", "a", "a", "b"], "survey": "nps",
        "score": [9.0, 7.0, 2.0, 3.0], "touchpoint": ["relationship", "relationship", "support", "relationship"],
        "responded_at": pd.to_datetime(["2025-09-01 00:00", "2026-04-01 00:00", "2026-05-01 00:00",
                                        "2025-05-31 23:00"])})
    tickets = pd.DataFrame({
        "ticket_id": ["t1", "t2", "t3", "t4"], "customer_id": "b",
        "opened_at": pd.to_datetime(["2026-03-02 12:00", "2026-03-03 00:00", "2026-04-10 00:00", "2026-05-31 23:00"]),
        "first_response_at": pd.NaT, "resolved_at": pd.NaT, "priority": "normal", "channel": "email"})
    milestones = pd.DataFrame({"milestone": ["m1", "m2", "m3"], "order": pd.array([1, 2, 3], dtype="Int64"),
                               "required": [True, True, False], "first_value": [False, True, False]})
    onboarding = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "milestone": ["m1", "m2", "m3", "m1"],
                               "completed_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-01",
                                                               "2026-01-10"])})
    if future:
        subs = pd.concat([subs, subscriptions(("c", "2026-06-10", None, 500))], ignore_index=True)
        subs["subscription_id"] = [f"s{i}" for i in range(len(subs))]
        usage = pd.concat([usage, events("c", pd.date_range("2026-06-01", periods=20))], ignore_index=True)
        survey = pd.concat([survey, pd.DataFrame({
            "response_id": ["r9"], "customer_id": ["c"], "survey": "nps", "score": [10.0],
            "touchpoint": "relationship", "responded_at": pd.to_datetime(["2026-06-15"])})], ignore_index=True)
        tickets = pd.concat([tickets, tickets.assign(ticket_id=["t5", "t6", "t7", "t8"], customer_id="a",
                                                     opened_at=pd.date_range("2026-06-01", periods=4))],
                            ignore_index=True)
        onboarding = pd.concat([onboarding, pd.DataFrame({"customer_id": ["b", "c"], "milestone": ["m2", "m1"],
                                                          "completed_at": pd.to_datetime(["2026-06-05",
                                                                                          "2026-06-02"])})],
                               ignore_index=True)
    return Dataset(subscriptions=subs, usage_events=usage, surveys=survey if surveys else None, tickets=tickets,
                   onboarding=onboarding, milestones=milestones)


def test_paying_accounts_on_the_day():
    # d's subscription ends 2026-05-31 ([start, end)): not paying that day; e starts after it.
    assert list(paying_accounts(shop().subscriptions, AS_OF)) == ["a", "b", "c"]


def test_measures_built_from_the_tables():
    m = health_measures(shop(), as_of=AS_OF)
    assert list(m.index) == ["a", "b", "c"]
    # usage: window 2026-05-02 .. 05-31. a: 30 days (05-01 outside; two events on 05-31 = one day);
    # b: 05-20 twice = 1 day (05-21 has quantity 0); c: none -> 0
    assert m["usage"].tolist() == [30, 1, 0]
    # satisfaction: latest relationship NPS in 2025-06-01 .. 2026-05-31. a: 7 (2026-04-01; the later 2 is a
    # support survey, not pooled); b: answered 2025-05-31, one day too early -> missing; c: never
    assert m.loc["a", "satisfaction"] == 7 and m[["satisfaction"]].iloc[1:].isna().all().all()
    # support: tickets opened 2026-03-03 .. 05-31: b has t2, t3, t4 (t1 on 03-02 is outside) -> 3
    assert m["support"].tolist() == [0, 3, 0]
    # onboarding: 2 required milestones (m3 optional). a 2/2, b 1/2, c 0/2
    assert m["onboarding"].tolist() == [1.0, 0.5, 0.0]
    # billing: MRR 05-31 / MRR 02-28. a 100/100; b 60/100 (downgraded); c paid nothing on 02-28 -> missing
    assert m.loc["a", "billing"] == 1 and m.loc["b", "billing"] == pytest.approx(0.6)
    assert np.isnan(m.loc["c", "billing"])


def test_default_scores_by_hand():
    s = health_scores(shop(), as_of=AS_OF).set_index("customer_id")
    # weights: usage .3, satisfaction .2, support .15, onboarding .15, billing .2
    # a: usage 30 green, nps 7 yellow, 0 tickets green, onboarding 1.0 green, billing 1.0 green
    #    = 30 + .2 x 50 + 15 + 15 + 20 = 90 -> green, coverage 1
    assert s.loc["a", "score"] == pytest.approx(90) and s.loc["a", "band"] == "green"
    assert s.loc["a", "coverage"] == pytest.approx(1)
    # b: usage 1 red, nps missing, 3 tickets yellow, onboarding .5 red (on the threshold), billing .6 red
    #    = (.15 x 50) / (.3 + .15 + .15 + .2) = 7.5 / .8 = 9.375 -> red, coverage .8
    assert s.loc["b", "score"] == pytest.approx(9.375) and s.loc["b", "coverage"] == pytest.approx(0.8)
    # c: usage 0 red, nps missing, 0 tickets green, onboarding 0 red, billing missing
    #    = (.15 x 100) / (.3 + .15 + .15) = 15 / .6 = 25 -> red, coverage .6
    assert s.loc["c", "score"] == pytest.approx(25) and s.loc["c", "coverage"] == pytest.approx(0.6)
    assert s.loc["b", "band"] == s.loc["c", "band"] == "red"


def test_no_survey_table_excludes_satisfaction_and_lowers_coverage():
    s = health_scores(shop(surveys=False), as_of=AS_OF).set_index("customer_id")
    # a without its satisfaction (w .2): (30 + 15 + 15 + 20) / .8 = 100, coverage .8
    assert s.loc["a", "score"] == pytest.approx(100) and s.loc["a", "coverage"] == pytest.approx(0.8)
    assert s["satisfaction_value"].isna().all() and s["satisfaction_contribution"].isna().all()


def test_rows_dated_after_as_of_change_nothing():
    before = health_scores(shop(), as_of=AS_OF)
    after = health_scores(shop(future=True), as_of=AS_OF)
    pd.testing.assert_frame_equal(before, after)
    # ...while the same future rows do count once they are in the past: c's June usage (20 days)
    assert health_measures(shop(future=True), as_of="2026-06-30").loc["c", "usage"] == 20


# -- backtest ------------------------------------------------------------------------------------

def churn_shop():
    """Three stayers and two churners; usage on 2026-05-31 decides the score."""
    subs = subscriptions(
        ("s1", "2026-01-01", None, 100),
        ("s2", "2026-01-01", None, 100), ("s2", "2026-01-01", "2026-06-15", 50),  # contraction, not churn
        ("s3", "2026-01-01", "2026-07-31", 100),        # ends one day after the 60-day horizon
        ("c1", "2026-01-01", "2026-07-30", 100),        # ends on the horizon's last day: churned
        ("c2", "2026-01-01", "2026-06-01", 100), ("c2", "2026-07-01", None, 100))  # churns, then comes back
    active = {"s1": 20, "s2": 10, "s3": 4, "c1": 6, "c2": 2}  # active days in May
    usage = pd.concat([events(c, pd.date_range("2026-05-31", periods=n, freq="-1D")) for c, n in active.items()]
                      + [events("s1", ["2026-07-31 12:00"])], ignore_index=True)  # the data's last day
    return Dataset(subscriptions=subs, usage_events=usage)


def test_backtest_auc_lift_and_counts_by_hand():
    # One measure, linear from 0 days (0 points) to 20 days (100): points = 5 x days.
    # Scores: s1 100, s2 50, s3 20 | c1 30, c2 10.
    spec = [HealthMeasure("usage", 1.0, red_at=0, green_beyond=20, grading="linear")]
    bt = health_backtest(churn_shop(), as_of=AS_OF, horizon_days=60, spec=spec)
    scores = bt.scores.set_index("customer_id")
    assert scores["score"].to_dict() == pytest.approx({"c1": 30, "c2": 10, "s1": 100, "s2": 50, "s3": 20})
    assert scores["churned"].to_dict() == {"c1": True, "c2": True, "s1": False, "s2": False, "s3": False}
    # AUC = P(churner scores lower than stayer) over 2 x 3 = 6 pairs:
    # c1 (30) < s1 100 yes, < s2 50 yes, < s3 20 no; c2 (10) < all three -> 5/6
    assert bt.auc == pytest.approx(5 / 6)
    assert (bt.accounts, bt.churned, bt.unscored) == (5, 2, 0) and bt.churn_rate == pytest.approx(0.4)
    # bands: red s3 20, c1 30, c2 10 (2 of 3 churned); yellow s2; green s1
    band = bt.by_band.set_index("band")
    assert band["accounts"].tolist() == [3, 1, 1] and band["churned"].tolist() == [2, 0, 0]
    # red lift = (2/3) / (2/5) = 1.667
    assert bt.red_lift == pytest.approx((2 / 3) / 0.4) and band.loc["green", "lift"] == 0
    assert bt.horizon_end == pd.Timestamp("2026-07-30")


def test_backtest_refuses_a_horizon_beyond_the_data():
    spec = [HealthMeasure("usage", 1.0, red_at=0, green_beyond=20)]
    # the data's last date is 2026-07-31 (s1's last event): 61 days fits exactly (and now s3, ending
    # 07-31, churns inside the horizon too: 3 churners), 62 does not
    assert health_backtest(churn_shop(), as_of=AS_OF, horizon_days=61, spec=spec).churned == 3
    with pytest.raises(ValueError, match="horizon ends 2026-08-01, after the data \\(2026-07-31\\)"):
        health_backtest(churn_shop(), as_of=AS_OF, horizon_days=62, spec=spec)
    with pytest.raises(ValueError, match="after the data"):
        health_backtest(churn_shop(), as_of=AS_OF, horizon_days=30, spec=spec, data_end="2026-06-15")


def test_backtest_with_no_churner_has_no_auc():
    spec = [HealthMeasure("usage", 1.0, red_at=0, green_beyond=20)]
    # a one-day horizon (05-31, 06-01]: only c2, whose spell ends 06-01, has churned
    assert health_backtest(churn_shop(), as_of=AS_OF, horizon_days=1, spec=spec).churned == 1
    bt = health_backtest(churn_shop().for_customers(["s1", "s2"]), as_of=AS_OF, horizon_days=30, spec=spec)
    assert bt.churned == 0 and np.isnan(bt.auc) and np.isnan(bt.red_lift)


# -- questionnaire -------------------------------------------------------------------------------

def test_questionnaire_sums_answers():
    answers = pd.DataFrame({"customers_growing": [8, 10, 1], "hiring": [2, 10, 1], "volume_up": [5, 10, 1]},
                           index=pd.Index(["x", "y", "z"], name="customer_id"))
    out = questionnaire_health(answers)
    # x: 8 + 2 + 5 = 15 of 30 -> 50%; y: 30 -> 100%; z: 3 -> 10% (the floor of a 1-10 scale is not 0)
    assert out["total"].tolist() == [15, 30, 3] and out["percent"].tolist() == pytest.approx([50, 100, 10])
    assert (out["max_total"] == 30).all() and list(out.index) == ["x", "y", "z"]
    # a subset of the questions, on a 1-5 scale: 4 + 2 = 6 of 10 -> 60%
    one = questionnaire_health({"customers_growing": 4, "hiring": 2, "volume_up": 5},
                               questions=["customers_growing", "hiring"], scale=(1, 5))
    assert one.loc[0, "percent"] == pytest.approx(60)


@pytest.mark.parametrize("answers, kwargs, message", [
    ({"growing": 11}, {}, "whole numbers from 1 to 10"),
    ({"growing": 0}, {}, "whole numbers from 1 to 10"),
    ({"growing": 7.5}, {}, "whole numbers"),
    ({"growing": None}, {}, "no blanks"),
    ({"growing": "high"}, {}, "whole numbers"),
    ({"growing": 5}, {"scale": (10, 1)}, "lowest < highest"),
    ({"growing": 5}, {"questions": ["hiring"]}, "no answers for questions \\['hiring'\\]"),
])
def test_questionnaire_refuses_bad_answers(answers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        questionnaire_health(answers, **kwargs)


def test_default_measures_weights_sum_to_one():
    assert sum(m.weight for m in DEFAULT_MEASURES) == pytest.approx(1.0)


# -- the score fitted to the company's history ----------------------------------------------------

def test_thresholds_come_from_churned_and_stayed_medians():
    from csm_kit.metrics.health import _thresholds

    # churners' median 2, stayers' median 6: higher is better, red at 2, green beyond 6
    assert _thresholds(np.array([1, 2, 3.0]), np.array([5, 6, 7.0])) == (2.0, 6.0, True)
    # tickets: churners 4, stayers 1 -> lower is better
    assert _thresholds(np.array([3, 4, 5.0]), np.array([0, 1, 2.0])) == (4.0, 1.0, False)
    # equal medians (3 and 3): the quartiles on the bad and good sides, 3 -> 12 for renewal-like values
    assert _thresholds(np.array([3, 3, 3, 12.0, 12]), np.array([0, 3, 3, 3, 3.0])) == (12.0, 3.0, False)
    # no difference at all: no measure
    assert _thresholds(np.array([1, 1, 1.0]), np.array([1, 1, 1.0])) is None


@pytest.fixture(scope="module")
def company():
    import csm_kit

    return csm_kit.simulate(n_customers=1500, months=30, seed=21)


def test_default_score_is_fitted_on_history_and_its_bands_rank_churn(company):
    from csm_kit.metrics.health import fit_health

    fit = fit_health(company, as_of="2025-12-31")
    assert fit.snapshots[-1] + pd.Timedelta(days=90) <= pd.Timestamp("2025-12-31")
    assert fit.table["weight"].sum() == pytest.approx(1.0) and (fit.table["weight"] > 0).all()
    assert {"usage", "renewal"} <= set(fit.table["measure"])
    # the history's bands: red 20% of the scores, yellow 30%; their churn rates fall red > yellow > green
    hist = fit.history.set_index("band")
    assert hist.loc["red", "accounts"] / hist["accounts"].sum() == pytest.approx(0.20, abs=0.04)
    assert hist.loc["red", "churn_rate"] > hist.loc["yellow", "churn_rate"] > hist.loc["green", "churn_rate"]
    bt = health_backtest(company, as_of="2025-12-31")
    assert bt.fitted is not None and bt.bands_rank_churn and bt.auc > 0.75
    # the explanation still adds up: contributions sum to the score
    s = bt.scores.dropna(subset=["score"])
    parts = s[[c for c in s.columns if c.endswith("_contribution")]].sum(axis=1, min_count=1)
    assert parts.to_numpy() == pytest.approx(s["score"].to_numpy())


def test_new_accounts_are_not_judged_on_usage_or_onboarding_they_had_no_time_for(company):
    s = health_scores(company, as_of="2025-12-31")
    assert s.attrs["fitted"] is not None
    tenure = (pd.Timestamp("2025-12-31") - company.subscriptions.groupby("customer_id")["start_date"].min()
              ).dt.days.reindex(s["customer_id"]).to_numpy()
    assert s.loc[tenure < 29, "usage_value"].isna().all() and s.loc[tenure < 89, "onboarding_value"].isna().all()
    assert s.loc[tenure >= 100, "usage_value"].notna().mean() > 0.9


def test_your_own_weights_are_used_as_given_on_a_dataset(company):
    spec = [HealthMeasure("usage", 2.0, red_at=2, green_beyond=8),
            HealthMeasure("renewal", 1.0, red_at=12, green_beyond=0, higher_is_better=False, grading="linear")]
    s = health_scores(company, as_of="2025-12-31", spec=spec, bands=(30, 60)).dropna(subset=["score"])
    assert s.attrs["fitted"] is None and s.attrs["bands"] == (30.0, 60.0)
    both = s["usage_points"].notna() & s["renewal_points"].notna()
    by_hand = (2 * s["usage_points"] + s["renewal_points"]) / 3
    assert s.loc[both, "score"].to_numpy() == pytest.approx(by_hand[both].to_numpy())


# -- the health page on awkward data: it says what it could not compute, never stops ---------------

@pytest.fixture(scope="module")
def small_company():
    import csm_kit

    return csm_kit.simulate(n_customers=300, months=18, seed=22)


def page_and_numbers(ds, month):
    from csm_kit.metrics.health_page import health_key_numbers, health_page

    page = health_page(ds, month=month)
    numbers = {k.name: k.value for k in health_key_numbers(ds, month=month)}
    return page, numbers


def test_health_page_numbers_match_the_scores(small_company):
    import matplotlib.pyplot as plt

    from csm_kit.plotting.health import (plot_backtest, plot_band_trend, plot_bands_by_segment, plot_contributions,
                                         plot_score_distribution)
    from csm_kit.plotting.risk import plot_calibration

    page, numbers = page_and_numbers(small_company, "2025-04")
    s = health_scores(small_company, as_of="2025-04-30").dropna(subset=["score"])
    assert numbers["health_green_share"] == pytest.approx((s["band"] == "green").mean())
    assert numbers["health_red_share"] == pytest.approx((s["band"] == "red").mean())
    bt = health_backtest(small_company, as_of=pd.Timestamp("2025-04-30") - pd.Timedelta(days=90), data_end="2025-04-30")
    assert numbers["health_backtest_auc"] == pytest.approx(bt.auc)
    assert numbers["health_bands_rank_churn"] == bt.bands_rank_churn
    for plot, part in ((plot_score_distribution, page.scores), (plot_band_trend, page.trend),
                       (plot_bands_by_segment, page.by_segment), (plot_contributions, page.contributions),
                       (plot_backtest, page.backtest), (plot_calibration, page.calibration)):
        assert plot(part) is not None, part
    plt.close("all")
    assert "paying accounts scored" in str(page.headline())


@pytest.mark.parametrize("case", ["snapshot", "one customer", "everyone churned", "one month", "nine segments"])
def test_health_page_on_degenerate_data(small_company, case):
    from dataclasses import replace

    import csm_kit

    ds, month = small_company, "2025-04"
    if case == "snapshot":
        ds = replace(ds, snapshot=True)
    elif case == "one customer":
        paying = paying_accounts(ds, "2025-04-30")
        ds = ds.for_customers(paying[:1])
    elif case == "everyone churned":
        subs = ds.subscriptions.copy()
        subs["end_date"] = subs["end_date"].fillna(pd.Timestamp("2025-03-01")).clip(upper=pd.Timestamp("2025-03-01"))
        subs["end_date"] = subs[["start_date", "end_date"]].max(axis=1)
        ds = ds.with_tables(subscriptions=subs)
    elif case == "one month":
        ds, month = csm_kit.simulate(n_customers=80, start="2026-03", months=1, seed=4), "2026-03"
    else:
        names = [f"seg{i}" for i in range(8)] + ["<script>alert(1)</script>"]
        seg = np.array(names, dtype=object)[np.arange(len(ds.customers)) % 9]
        ds = ds.with_tables(customers=ds.customers.assign(segment=seg))
    page, numbers = page_and_numbers(ds, month)
    assert set(numbers) >= {"health_green_share", "health_red_share", "health_red_mrr", "health_backtest_auc"}
    shown = [getattr(page, p).show() for p in ("measures", "bands", "backtest", "calibration", "red", "by_segment")]
    text = " ".join(getattr(s, "html", str(s)) for s in shown)
    assert "<script>" not in text and "nan" not in text.lower().split() and "None" not in text
    if case in ("snapshot", "everyone churned"):
        assert numbers["health_green_share"] is None and not page.bands.available
    if case in ("one customer", "one month"):
        assert numbers["health_backtest_auc"] is None and page.backtest.reason
    if case == "nine segments":
        assert page.by_segment.available and len(page.by_segment.frame) == 9
        assert "&lt;script&gt;" in page.by_segment.show().html


# -- notebook 08 on awkward data (tests/degenerate_data.py): it runs, says why, records the library's numbers --

HEALTH_NUMBERS = ["health_green_share", "health_red_share", "health_red_mrr", "health_coverage",
                  "health_backtest_auc", "health_red_lift", "health_bands_rank_churn"]


@pytest.fixture(scope="module")
def health_runs(tmp_path_factory):
    from csm_kit.config import NOTEBOOKS_DIR
    from tests import degenerate_data

    dirs = degenerate_data.build(tmp_path_factory.mktemp("awkward_health"))
    out = tmp_path_factory.mktemp("health_runs")
    return degenerate_data.run_all(NOTEBOOKS_DIR / "08_health.ipynb", dirs, out), dirs


@pytest.mark.parametrize("scenario", ["hostile_last_month", "hostile_first_month", "hostile_segment", "one_month",
                                      "one_customer", "minimal", "cdnow"])
def test_notebook_08_on_awkward_data(scenario, health_runs):
    import csm_kit
    from csm_kit.metrics.health_page import health_key_numbers
    from tests import degenerate_data

    runs, dirs = health_runs
    data, params, absent = degenerate_data.SCENARIOS[scenario]
    ds = csm_kit.load_dataset(dirs[data]).for_segment(params.get("segment", "all"))
    expected = {k.name: k.value for k in health_key_numbers(ds, **params)}
    page, recorded, _ = degenerate_data.check_run(runs[scenario], scenario, HEALTH_NUMBERS)
    for name in HEALTH_NUMBERS:
        got, want = recorded[name]["value"], expected[name]
        if isinstance(want, float):
            assert got == pytest.approx(want), name
        else:
            assert got == want, name
    if "subscriptions" in absent:
        assert all(expected[n] is None for n in HEALTH_NUMBERS)
        assert any("no subscriptions table" in p for p in page)


def test_notebook_08_escapes_a_payload_in_every_text_column(hostile_data_dir, tmp_path):
    import re

    import papermill

    from csm_kit.config import NOTEBOOKS_DIR
    from tests import degenerate_data

    nb = papermill.execute_notebook(str(NOTEBOOKS_DIR / "08_health.ipynb"), str(tmp_path / "08.ipynb"),
                                    parameters={"data": str(hostile_data_dir), "month": "2026-10"},
                                    kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=False,
                                    start_timeout=120)
    text = "\n".join(degenerate_data.page_outputs(nb))
    assert "<script" not in text.lower() and "<iframe" not in text.lower()
    assert not re.search(r"<(img|svg|b)\b[^>]*\bon\w+=", text, flags=re.I), "an injected element"
    assert "&lt;" in text  # payload segments and customer ids shown, escaped
