"""NPS, CSAT, CES and survey_summary: values computed by hand on small cases."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics import ces, csat, nps, survey_summary
from csm_kit.metrics.intervals import nps_interval, wilson_interval

# -- NPS -------------------------------------------------------------------------------

def test_nps_worked_example():
    # 50 promoters, 30 passives, 20 detractors: 50% - 20% = +30
    r = nps([9, 10] * 25 + [7, 8] * 15 + [0, 6] * 10)
    assert (r.score, r.n, r.promoters, r.passives, r.detractors) == (30.0, 100, 50, 30, 20)
    assert (r.pct_promoters, r.pct_passives, r.pct_detractors) == (50.0, 30.0, 20.0)
    # adjusted-Wald, worked in test_intervals: [14.0509, 44.2015]
    assert (r.ci_low, r.ci_high) == pytest.approx((14.0509, 44.2015), abs=1e-3)
    assert "adjusted-Wald" in r.convention and "0-10" in r.convention
    assert r.label == "NPS" and r.higher_is_better


def test_nps_category_boundaries():
    # 6 is a detractor, 7 and 8 passives, 9 a promoter: 1P 2A 1D of 4 -> (1-1)/4 = 0
    r = nps([6, 7, 8, 9])
    assert (r.promoters, r.passives, r.detractors, r.score) == (1, 2, 1, 0.0)


def test_nps_teacher_example():
    # 2 promoters, 1 detractor of 3: 100 * (2 - 1) / 3 = 33.33
    assert nps([10, 9, 3]).score == pytest.approx(100 / 3)


def test_nps_empty_gives_nan_not_error():
    r = nps([])
    assert r.n == 0 and math.isnan(r.score) and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert math.isnan(nps([], sent=0).response_rate)
    assert nps([], sent=10).response_rate == 0.0


def test_nps_single_response():
    # one 9: score +100; adjusted interval [-48.50, 98.50] extended to include +100
    r = nps([9])
    assert (r.score, r.n) == (100.0, 1)
    assert r.ci_low == pytest.approx(-48.4986, abs=1e-3) and r.ci_high == 100.0


def test_nps_all_passives():
    # 10 passives: score 0, interval +/- 18.47 (see test_intervals)
    r = nps([7, 8] * 5)
    assert r.score == 0.0
    assert (r.ci_low, r.ci_high) == pytest.approx((-18.4651, 18.4651), abs=1e-3)


def test_nps_all_promoters_interval_clipped():
    r = nps([10] * 20)
    assert r.score == 100.0
    assert r.ci_low == pytest.approx(69.6834, abs=1e-3) and r.ci_high == 100.0


def test_nps_response_rate():
    r = nps([10, 9, 3], sent=12)
    assert r.response_rate == 0.25 and r.sent == 12
    assert nps([10]).response_rate is None
    with pytest.raises(ValueError, match="only 2 invitations"):
        nps([10, 9, 3], sent=2)
    with pytest.raises(ValueError, match="sent"):
        nps([10], sent=-1)


@pytest.mark.parametrize("bad, shown", [
    ([10, 11], "11"), ([7.5, 9], "7.5"), ([9, None], "None"), ([9, float("nan")], "nan"),
    (["9", 10], "'9'"), ([True, 9], "True"), ([-1], "-1"),
])
def test_nps_invalid_scores_named(bad, shown):
    with pytest.raises(ValueError, match="whole numbers from 0 to 10") as err:
        nps(bad)
    assert shown in str(err.value)


def test_nps_rejects_non_sequences():
    with pytest.raises(ValueError, match="sequence"):
        nps(9)
    with pytest.raises(ValueError, match="sequence"):
        nps("9, 10")


def test_nps_accepts_series_numpy_and_nullable_ints():
    s = pd.Series([10, 9, 3], index=[7, 3, 5])
    assert nps(s).score == pytest.approx(100 / 3)
    assert nps(np.array([10, 9, 3])).score == pytest.approx(100 / 3)
    assert nps(pd.Series([10, 9, 3], dtype="Int64")).n == 3
    with pytest.raises(ValueError, match="<NA>"):
        nps(pd.Series([10, None], dtype="Int64").astype(object))


def test_nps_str_for_reports():
    assert str(nps([10, 9, 3], sent=6)) == "NPS +33.3 (95% CI -51.3 to +84.7; n=3; response rate 50.0%)"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=80), st.randoms(use_true_random=False),
       st.floats(0.5, 0.99))
def test_nps_properties(scores, rnd, confidence):
    r = nps(scores, confidence=confidence)
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert nps(shuffled, confidence=confidence) == r
    assert -100 <= r.ci_low <= r.score <= r.ci_high <= 100
    assert r.pct_promoters + r.pct_passives + r.pct_detractors == pytest.approx(100)


# -- CSAT ------------------------------------------------------------------------------

ANSWERS = [5] * 10 + [4] * 20 + [3] * 10 + [2] * 5 + [1] * 5


def test_csat_top2_worked_example():
    # 10 fives + 20 fours = 30 of 50 = 60%; mean (50+80+30+10+5)/50 = 175/50 = 3.50
    r = csat(ANSWERS)
    assert (r.score, r.n, r.satisfied, r.pct_satisfied, r.mean) == (60.0, 50, 30, 60.0, 3.5)
    assert r.method == "top_box"
    # Wilson 30/50 (see test_intervals): [46.1816, 72.3916]; scipy agrees
    ci = stats.binomtest(30, 50).proportion_ci(method="wilson")
    assert (r.ci_low, r.ci_high) == pytest.approx((100 * ci.low, 100 * ci.high))
    assert (r.ci_low, r.ci_high) == pytest.approx((46.1816, 72.3916), abs=1e-3)
    assert "4-5 (top-2 box) on 1-5" in r.convention and "Wilson" in r.convention


def test_csat_mean_method():
    # squared deviations from 3.5: 10*2.25 + 20*0.25 + 10*0.25 + 5*2.25 + 5*6.25 = 72.5
    # sd = sqrt(72.5/49) = 1.216385; se = 0.172024; t(0.975, 49) = 2.009575; half = 0.345696
    r = csat(ANSWERS, method="mean")
    assert r.score == 3.5 and r.pct_satisfied == 60.0
    assert (r.ci_low, r.ci_high) == pytest.approx((3.154304, 3.845696), abs=1e-5)
    assert "mean" in r.convention and "t interval" in r.convention
    assert csat(ANSWERS, method="top2").score == 60.0  # synonym


def test_csat_other_scales():
    # 1-10, top-2 box = 9-10: [10, 9] of [10, 9, 8, 2] = 50%; top-3 (8-10) = 75%
    assert csat([10, 9, 8, 2], scale=(1, 10)).score == 50.0
    assert csat([10, 9, 8, 2], scale=(1, 10), top_box=3).score == 75.0
    # 1-7, top-2 box = 6-7: 2 of 4
    r = csat([7, 6, 5, 1], scale=(1, 7))
    assert r.score == 50.0 and "6-7 (top-2 box) on 1-7" in r.convention
    with pytest.raises(ValueError, match="from 1 to 10"):
        csat([0], scale=(1, 10))


def test_csat_edge_cases():
    r = csat([])
    assert r.n == 0 and math.isnan(r.score) and math.isnan(r.mean)
    one = csat([4], method="mean")  # a single answer has no t interval
    assert one.score == 4.0 and math.isnan(one.ci_low)
    # all the same answer: zero-width t interval; Wilson 0/3 for top box
    same = csat([3, 3, 3])
    assert same.score == 0.0 and same.ci_low == 0.0
    assert same.ci_high == pytest.approx(100 * wilson_interval(0, 3)[1])
    assert csat([1, 2], sent=4).response_rate == 0.5


def test_csat_bad_arguments():
    with pytest.raises(ValueError, match="top_box"):
        csat([5], top_box=5)  # 1-5 has at most a top-4 box
    with pytest.raises(ValueError, match="method"):
        csat([5], method="median")
    with pytest.raises(ValueError, match="scale"):
        csat([5], scale=(5, 1))
    with pytest.raises(ValueError, match="whole numbers from 1 to 5"):
        csat([4.5])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_csat_properties(scores, rnd):
    r = csat(scores)
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert csat(shuffled) == r
    assert 0 <= r.ci_low <= r.score <= r.ci_high <= 100


# -- CES -------------------------------------------------------------------------------

def test_ces_2_by_hand():
    # [7, 6, 5, 4, 3]: mean 5, agree (5-7) = 3 of 5 = 60%
    # sd = sqrt(10/4) = 1.581139, se = 0.707107, t(0.975, 4) = 2.776445, half = 1.963243
    r = ces([7, 6, 5, 4, 3])
    assert (r.score, r.n, r.easy, r.pct_easy) == (5.0, 5, 3, 60.0)
    assert (r.ci_low, r.ci_high) == pytest.approx((3.036757, 6.963243), abs=1e-5)
    # Wilson 3/5: centre 0.556546, half 0.325828
    assert (r.easy_ci_low, r.easy_ci_high) == pytest.approx((23.0718, 88.2374), abs=1e-3)
    assert r.higher_is_better and r.version == "2.0" and r.scale == (1, 7)
    assert "higher is better" in r.convention and "5-7" in r.convention


def test_ces_original_lower_is_better():
    # [1, 2, 2, 4] on 1-5: mean 9/4 = 2.25; easy (1-2) = 3 of 4 = 75%
    r = ces([1, 2, 2, 4], version="original")
    assert (r.score, r.pct_easy, r.scale) == (2.25, 75.0, (1, 5))
    assert r.higher_is_better is False
    assert "lower is better" in r.label and "lower is better" in r.convention and "1-2" in r.convention
    with pytest.raises(ValueError, match="from 1 to 5"):
        ces([6], version="original")


def test_ces_interval_clipped_and_errors():
    # [7, 1]: mean 4, sd 4.243, t(0.975, 1) = 12.706: the t interval runs far past 1-7; clipped
    r = ces([7, 1])
    assert (r.ci_low, r.ci_high) == (1.0, 7.0)
    with pytest.raises(ValueError, match="version"):
        ces([5], version="3")
    assert math.isnan(ces([]).score)


# -- survey_summary -------------------------------------------------------------------------

def _dataset(with_sends=True):
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                              "signup_date": pd.to_datetime(["2025-01-01"] * 4),
                              "segment": ["smb", "smb", "ent", "ent"]})
    surveys = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(1, 8)],
        "customer_id": ["a", "b", "c", "d", "a", "c", "b"],
        "survey": ["nps"] * 6 + ["csat"],
        "score": [10.0, 6.0, 9.0, 8.0, 3.0, 10.0, 5.0],
        "responded_at": pd.to_datetime(["2026-01-03 00:00:00", "2026-01-10 00:00:00", "2026-01-15 00:00:00", "2026-01-31 23:59:00",
                                        "2026-01-20 00:00:00", "2026-01-21 00:00:00", "2026-01-05 00:00:00"]),
        "touchpoint": ["relationship"] * 4 + ["support"] * 2 + ["support"],
    })
    sends = pd.DataFrame({
        "send_id": [f"s{i}" for i in range(1, 15)],
        "customer_id": ["a", "a", "b", "b", "c", "c", "d", "d", "a", "b", "c", "d", "a", "c"],
        "survey": ["nps"] * 14,
        "touchpoint": ["relationship"] * 8 + ["support"] * 4 + ["relationship"] * 2,
        "sent_at": pd.to_datetime(["2026-01-01"] * 12 + ["2026-02-10"] * 2),
    })
    return Dataset(customers=customers, surveys=surveys, survey_sends=sends if with_sends else None)


def test_survey_summary_by_touchpoint():
    df = survey_summary(_dataset(), "nps", start="2026-01", end="2026-02")
    assert df[["month", "touchpoint"]].astype(str).values.tolist() == [
        ["2026-01", "relationship"], ["2026-02", "relationship"], ["2026-01", "support"], ["2026-02", "support"]]
    rel_jan, rel_feb, sup_jan, sup_feb = (df.iloc[i] for i in range(4))
    # relationship, January: 10, 6, 9, 8 -> 2P 1A 1D of 4 -> (2-1)/4 = +25; 4 of 8 sends = 50%
    assert (rel_jan.n, rel_jan.promoters, rel_jan.passives, rel_jan.detractors) == (4, 2, 1, 1)
    assert rel_jan.score == 25.0 and rel_jan.sent == 8 and rel_jan.response_rate == 0.5
    # n' = 7, p' = 2.75/7, d' = 1.75/7, NPS' = 1/7 = 0.142857
    # var = (0.642857 - 0.020408)/7 = 0.088921, se = 0.298196, z*se = 0.584454
    assert (rel_jan.ci_low, rel_jan.ci_high) == pytest.approx((-44.1597, 72.7311), abs=1e-3)
    # relationship, February: no answers, 2 sends -> n 0, NaN score, rate 0
    assert rel_feb.n == 0 and math.isnan(rel_feb.score) and math.isnan(rel_feb.ci_low)
    assert rel_feb.promoters == 0 and rel_feb.sent == 2 and rel_feb.response_rate == 0.0
    # support, January: 3 and 10 -> 1P 1D -> 0; 2 of 4 sends (the CSAT answer is not NPS)
    assert (sup_jan.n, sup_jan.score, sup_jan.sent, sup_jan.response_rate) == (2, 0.0, 4, 0.5)
    # support, February: nothing sent, nothing answered
    assert sup_feb.n == 0 and sup_feb.sent == 0 and math.isnan(sup_feb.response_rate)
    assert str(df["month"].dtype) == "period[M]"
    assert "adjusted-Wald" in df.attrs["convention"]


def test_survey_summary_matches_nps_on_each_group():
    df = survey_summary(_dataset(), "nps", end="2026-01")
    rel = nps([10, 6, 9, 8])
    row = df[df.touchpoint == "relationship"].iloc[0]
    assert (row.score, row.ci_low, row.ci_high, row.pct_promoters) == pytest.approx(
        (rel.score, rel.ci_low, rel.ci_high, rel.pct_promoters))


def test_survey_summary_by_segment():
    df = survey_summary(_dataset(), "nps", start="2026-01", end="2026-02", by=("segment",))
    assert list(df.columns[:3]) == ["month", "touchpoint", "segment"]
    assert len(df) == 8  # 2 touchpoints x 2 segments x 2 months
    jan = df[df.month == pd.Period("2026-01", "M")].set_index(["touchpoint", "segment"])
    # relationship smb: a 10, b 6 -> 1P 1D -> 0; sends a,a,b,b = 4 -> 50%
    assert (jan.loc[("relationship", "smb"), "score"], jan.loc[("relationship", "smb"), "response_rate"]) == (0.0, 0.5)
    # relationship ent: c 9, d 8 -> 1P 1A -> +50
    assert jan.loc[("relationship", "ent"), "score"] == 50.0
    # support smb: a 3 -> -100; support ent: c 10 -> +100; support sends a, b (smb), c, d (ent)
    assert jan.loc[("support", "smb"), "score"] == -100.0 and jan.loc[("support", "ent"), "score"] == 100.0
    assert jan.loc[("support", "smb"), "sent"] == 2 and jan.loc[("support", "smb"), "response_rate"] == 0.5
    feb = df[df.month == pd.Period("2026-02", "M")].set_index(["touchpoint", "segment"])
    assert feb["n"].tolist() == [0, 0, 0, 0]
    assert feb.loc[("relationship", "smb"), "sent"] == 1 and feb.loc[("support", "ent"), "sent"] == 0


def test_survey_summary_unknown_segment_is_kept():
    ds = _dataset()
    customers = ds.customers.assign(segment=["smb", None, "ent", "ent"])
    df = survey_summary(ds.with_tables(customers=customers), "nps", end="2026-01", by=("segment",),
                        touchpoint="relationship")
    assert df.set_index("segment")["n"].to_dict() == {"ent": 2, "smb": 1, "unknown": 1}


def test_survey_summary_default_start_and_filter():
    df = survey_summary(_dataset(), "nps", end="2026-02", touchpoint="support")
    assert df["touchpoint"].unique().tolist() == ["support"]
    assert df["month"].astype(str).tolist() == ["2026-01", "2026-02"]  # start = first month with data
    with pytest.raises(ValueError, match="onboarding"):
        survey_summary(_dataset(), "nps", end="2026-02", touchpoint="onboarding")


def test_survey_summary_without_sends():
    df = survey_summary(_dataset(with_sends=False), "nps", end="2026-01")
    assert df["sent"].isna().all() and df["response_rate"].isna().all()


def test_survey_summary_row_order_does_not_matter():
    ds = _dataset()
    shuffled = ds.with_tables(surveys=ds.surveys.sample(frac=1, random_state=3),
                              survey_sends=ds.survey_sends.sample(frac=1, random_state=4))
    for by in (("touchpoint",), ("segment",)):
        pd.testing.assert_frame_equal(survey_summary(ds, end="2026-02", by=by),
                                      survey_summary(shuffled, end="2026-02", by=by))


def test_survey_summary_csat_and_scales():
    surveys = pd.DataFrame({
        "response_id": ["1", "2", "3", "4", "5"], "customer_id": ["a"] * 5, "survey": ["csat"] * 5,
        "score": [5.0, 4.0, 2.0, 10.0, 8.0],
        "responded_at": pd.to_datetime(["2026-03-01"] * 5),
        "touchpoint": ["support"] * 3 + ["onboarding"] * 2,
        "scale_min": [None, None, None, 1.0, 1.0], "scale_max": [None, None, None, 10.0, 10.0],
    })
    df = survey_summary(Dataset(surveys=surveys), "csat", end="2026-03").set_index("touchpoint")
    # support on 1-5 (default): 5, 4 in the top-2 box, 2 not -> 2/3 = 66.67%
    assert df.loc["support", "score"] == pytest.approx(200 / 3)
    assert (df.loc["support", "scale_min"], df.loc["support", "scale_max"]) == (1.0, 5.0)
    # onboarding on 1-10: top-2 box = 9-10 -> 10 yes, 8 no -> 50%; mean 9
    assert df.loc["onboarding", "score"] == 50.0 and df.loc["onboarding", "mean"] == 9.0
    low, high = wilson_interval(1, 2)
    assert (df.loc["onboarding", "ci_low"], df.loc["onboarding", "ci_high"]) == pytest.approx((100 * low, 100 * high))
    # mean method: support mean (5+4+2)/3 = 3.667; matches csat()
    m = survey_summary(Dataset(surveys=surveys), "csat", end="2026-03", method="mean").set_index("touchpoint")
    ref = csat([5, 4, 2], method="mean")
    assert (m.loc["support", "score"], m.loc["support", "ci_low"], m.loc["support", "ci_high"]) == pytest.approx(
        (ref.score, ref.ci_low, ref.ci_high))


def test_survey_summary_refuses_mixed_scales_in_a_group():
    surveys = pd.DataFrame({
        "response_id": ["1", "2"], "customer_id": ["a", "b"], "survey": ["csat"] * 2, "score": [5.0, 9.0],
        "responded_at": pd.to_datetime(["2026-03-01", "2026-03-02"]), "touchpoint": ["support"] * 2,
        "scale_min": [1.0, 1.0], "scale_max": [5.0, 10.0],
    })
    with pytest.raises(DataValidationError, match="different scales") as err:
        survey_summary(Dataset(surveys=surveys), "csat", end="2026-03")
    assert err.value.table == "surveys" and len(err.value.rows) == 2


def test_survey_summary_bad_scores_named():
    ds = _dataset()
    bad = ds.surveys.copy()
    bad.loc[1, "score"] = 11.0
    with pytest.raises(DataValidationError, match="whole numbers on their scale") as err:
        survey_summary(ds.with_tables(surveys=bad), end="2026-01")
    assert err.value.rows.index.tolist() == [2] and err.value.rows["response_id"].tolist() == ["r2"]
    off_scale = ds.surveys.assign(scale_min=0.0, scale_max=5.0)
    with pytest.raises(DataValidationError, match="0-10"):
        survey_summary(ds.with_tables(surveys=off_scale), end="2026-01")
    missing = ds.surveys.copy()
    missing.loc[0, "touchpoint"] = None
    with pytest.raises(DataValidationError, match="must not be empty"):
        survey_summary(ds.with_tables(surveys=missing), end="2026-01")


def test_survey_summary_ces_versions():
    surveys = pd.DataFrame({
        "response_id": ["1", "2", "3"], "customer_id": ["a"] * 3, "survey": ["ces"] * 3,
        "score": [7.0, 5.0, 2.0], "responded_at": pd.to_datetime(["2026-03-01"] * 3),
        "touchpoint": ["support"] * 3})
    row = survey_summary(Dataset(surveys=surveys), "ces", end="2026-03").iloc[0]
    # mean 14/3 = 4.667; easy (5-7) = 2 of 3
    ref = ces([7, 5, 2])
    assert (row.score, row.pct_easy, row.easy) == pytest.approx((14 / 3, 200 / 3, 2))
    assert (row.ci_low, row.ci_high, row.easy_ci_low) == pytest.approx((ref.ci_low, ref.ci_high, ref.easy_ci_low))
    orig = survey_summary(Dataset(surveys=surveys.assign(score=[1.0, 2.0, 5.0])), "ces", end="2026-03",
                          version="original")
    # original 1-5: easy = 1-2 -> 2 of 3
    assert orig.iloc[0].pct_easy == pytest.approx(200 / 3)
    assert "lower is better" in orig.attrs["convention"]


def test_survey_summary_missing_tables_and_arguments():
    with pytest.raises(MissingTableError, match="surveys"):
        survey_summary(Dataset(), end="2026-01")
    ds = _dataset()
    with pytest.raises(MissingTableError, match="customers"):
        survey_summary(ds.with_tables(customers=None), end="2026-01", by=("segment",))
    with pytest.raises(ValueError, match="by may contain"):
        survey_summary(ds, end="2026-01", by=("region",))
    with pytest.raises(ValueError, match="survey must be"):
        survey_summary(ds, "csi", end="2026-01")


@settings(max_examples=30, deadline=None)
@given(st.permutations(list(range(7))))
def test_survey_summary_any_row_order(order):
    ds = _dataset()
    expected = survey_summary(ds, end="2026-02", by=("segment",))
    got = survey_summary(ds.with_tables(surveys=ds.surveys.iloc[order]), end="2026-02", by=("segment",))
    pd.testing.assert_frame_equal(expected, got)


# -- survey waves: the previous value is the previous distinct wave ------------------------------------------

def _waves_data():
    from csm_kit import Dataset

    rows = [("2026-01-10", 10), ("2026-01-11", 9), ("2026-01-12", 3),        # January: +33.3
            ("2026-07-02", 6), ("2026-07-03", 10), ("2026-07-04", 8)]        # July: 0
    surveys = pd.DataFrame({"response_id": [f"r{i}" for i in range(len(rows) + 1)],
                            "customer_id": [f"c{i}" for i in range(len(rows) + 1)],
                            "survey": ["nps"] * len(rows) + ["csat"], "score": [float(s) for _, s in rows] + [4.0],
                            "touchpoint": ["relationship"] * len(rows) + ["support"],
                            "responded_at": pd.to_datetime([d for d, _ in rows] + ["2026-10-31"])})
    return Dataset(surveys=surveys)


def test_nps_waves_compare_distinct_waves_in_every_month_after_them():
    from csm_kit.metrics.satisfaction import nps_waves

    for month in ("2026-07", "2026-08", "2026-10"):  # the month of the wave and the quiet months after it
        w = nps_waves(_waves_data(), month=month)
        assert str(w.latest["month"]) == "2026-07" and str(w.previous["month"]) == "2026-01"
        assert w.latest["score"] == 0.0 and w.previous["score"] == pytest.approx(100 / 3)
        assert w.change.change == pytest.approx(-100 / 3) and w.change.n_before == 3 and w.change.n_after == 3
        assert w.new_this_month == (month == "2026-07")


def test_nps_waves_with_one_wave_or_none():
    from csm_kit import Dataset
    from csm_kit.metrics.satisfaction import nps_waves

    w = nps_waves(_waves_data(), month="2026-03")
    assert str(w.latest["month"]) == "2026-01" and w.previous is None and w.change is None
    before = nps_waves(_waves_data().with_tables(surveys=_waves_data().surveys.iloc[3:]), month="2026-06")
    assert not before.available and "first survey was sent or answered in 2026-07, after 2026-06" in before.reason
    support_first = _waves_data().surveys.iloc[3:].assign(
        responded_at=lambda d: d["responded_at"].where(d["survey"] == "nps", pd.Timestamp("2026-02-01")))
    early = nps_waves(_waves_data().with_tables(surveys=support_first), month="2026-06")
    assert "No relationship NPS answers up to 2026-06" in early.reason
    assert "no surveys table" in nps_waves(Dataset(), month="2026-06").reason
    assert nps_waves(_waves_data(), month="2027-01").reason == (
        "The data ends on 2026-10-31 (last complete month 2026-10), before 2027-01: "
        "no answers can be reported for 2027-01.")
