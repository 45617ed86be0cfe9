"""Onboarding completion, adoption and time to value, checked against hand-worked cohorts."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics.onboarding import (adoption_rate, milestone_completion, onboarding_completion,
                                        time_to_value, time_to_value_curve, time_to_value_durations)

MILESTONES = pd.DataFrame({
    "milestone": ["setup", "invite", "report", "tour"],
    "order": [1, 2, 3, 4],
    "required": [True, True, False, False],
    "first_value": [False, False, True, False],
})


def dataset(customers, onboarding, milestones=MILESTONES, data_end="2026-06-30"):
    """The three onboarding tables, and one usage event on ``data_end``: the data set runs to that day."""
    customers = pd.DataFrame(customers, columns=["customer_id", "signup_date", "segment"])
    customers["signup_date"] = pd.to_datetime(customers["signup_date"])
    onboarding = pd.DataFrame(onboarding, columns=["customer_id", "milestone", "completed_at"])
    onboarding["completed_at"] = pd.to_datetime(onboarding["completed_at"], format="ISO8601")
    usage = pd.DataFrame({"customer_id": customers["customer_id"].iloc[:1], "user_id": "u",
                          "timestamp": pd.Timestamp(data_end), "event": "login"})
    return Dataset(customers=customers, onboarding=onboarding, milestones=milestones, usage_events=usage)


# within_days = 30, as_of = 2026-03-31
COHORTS = dataset(
    [("a", "2026-01-05", "smb"), ("b", "2026-01-10", "smb"), ("c", "2026-01-20", "ent"),
     ("d", "2026-02-10", "ent"), ("e", "2026-03-15", None), ("g", "2026-03-01", "smb"),
     ("f", "2026-04-02", "smb")],
    [("a", "setup", "2026-01-06 10:00"), ("a", "invite", "2026-01-20 15:00"),   # day 15: done
     ("b", "setup", "2026-01-11"), ("b", "invite", "2026-02-15 08:00"),         # invite on day 36
     ("c", "setup", "2026-01-21"),                                              # never invites
     ("d", "setup", "2026-02-11"), ("d", "invite", "2026-02-12"),               # done on day 2
     ("e", "setup", "2026-03-16"), ("e", "invite", "2026-03-17"),               # done, window open
     ("g", "setup", "2026-03-05"), ("g", "invite", "2026-04-10"),               # invite after as_of
     ("a", "report", "2026-01-25"), ("d", "report", "2026-03-30"),              # first value: day 20, day 48
     ("f", "setup", "2026-04-03")],                                             # f signed up after as_of
)


def test_onboarding_completion_excludes_customers_still_in_window():
    out = onboarding_completion(COHORTS, within_days=30, as_of="2026-03-31").set_index("signup_month")
    jan, feb, mar = (out.loc[pd.Period(m, "M")] for m in ("2026-01", "2026-02", "2026-03"))
    # Jan: a (done day 15), b (invite day 36 > 30), c (no invite): 1 / 3
    assert jan[["customers", "still_in_window", "denominator", "completed"]].tolist() == [3, 0, 3, 1]
    assert jan["completion_rate"] == pytest.approx(1 / 3)
    # Feb: d done day 2: 1 / 1
    assert feb["completion_rate"] == 1.0
    # Mar: e's window ends 14 Apr > 31 Mar -> left out; g's window ends 31 Mar = as_of -> counted,
    #      its invite (10 Apr) is not known at as_of -> 0 / 1. e already finished: completed_in_window 1
    assert mar[["customers", "still_in_window", "denominator", "completed", "completed_in_window"]].tolist() \
        == [2, 1, 1, 0, 1]
    assert mar["completion_rate"] == 0.0
    assert len(out) == 3  # f signed up after as_of
    assert (out["within_days"] == 30).all()


def test_onboarding_completion_include_convention_and_day_boundary():
    inc = onboarding_completion(COHORTS, within_days=30, as_of="2026-03-31", in_window="include")
    mar = inc.set_index("signup_month").loc[pd.Period("2026-03", "M")]
    # e counted with what it did so far (done), g not done: 1 / 2
    assert mar[["denominator", "completed"]].tolist() == [2, 1] and mar["completion_rate"] == 0.5
    # b's invite came on day 36: within 36 days it counts, within 35 it does not
    for days, done in ((36, 2), (35, 1)):  # Jan cohort completed: a, plus b at 36
        jan = onboarding_completion(COHORTS, within_days=days, as_of="2026-03-31").iloc[0]
        assert jan["completed"] == done


def test_onboarding_completion_ignores_milestones_after_as_of():
    ds = dataset([("a", "2026-01-01", None)],
                 [("a", "setup", "2026-01-02"), ("a", "invite", "2026-02-15")])
    early = onboarding_completion(ds, within_days=90, as_of="2026-02-10", by=None, in_window="include")
    # window ends 1 Apr; on 10 Feb the invite is in the future -> not completed yet
    assert early[["customers", "still_in_window", "denominator", "completed"]].iloc[0].tolist() == [1, 1, 1, 0]
    late = onboarding_completion(ds, within_days=90, as_of="2026-04-30", by=None)
    assert late[["denominator", "completed", "completion_rate"]].iloc[0].tolist() == [1, 1, 1.0]


def test_onboarding_completion_by_segment_and_month():
    out = onboarding_completion(COHORTS, within_days=30, as_of="2026-03-31", by="segment")
    got = out.set_index("segment")[["denominator", "completed"]].T.to_dict("list")
    # smb: a (done), b, g -> 1/3; ent: c, d (done) -> 1/2; (missing): e still in window -> 0/0
    assert got == {"(missing)": [0, 0], "ent": [2, 1], "smb": [3, 1]}
    both = onboarding_completion(COHORTS, within_days=30, as_of="2026-03-31", by=["signup_month", "segment"])
    assert len(both) == 3 * 3  # every signup month x every segment, zero rows included
    row = both[(both["signup_month"] == pd.Period("2026-01", "M")) & (both["segment"] == "ent")].iloc[0]
    assert row[["denominator", "completed"]].tolist() == [1, 0]  # c


def test_adoption_rate_first_value_within_n_days():
    out = adoption_rate(COHORTS, within_days=30, as_of="2026-03-31").set_index("signup_month")
    # Jan: a reached report on day 20 -> 1/3; Feb: d on day 48 (> 30) -> 0/1
    assert out.loc[pd.Period("2026-01", "M"), "adoption_rate"] == pytest.approx(1 / 3)
    assert out.loc[pd.Period("2026-02", "M"), ["reached", "adoption_rate"]].tolist() == [0, 0.0]
    wide = adoption_rate(COHORTS, within_days=48, as_of="2026-03-31", by=None)
    # 48 days: d's window ends 10 Feb + 48 = 30 Mar <= 31 Mar (closed); e's (2 May) and g's (18 Apr) are open
    # denominator: a, b, c, d = 4; reached: a (day 20), d (day 48)
    assert wide[["denominator", "reached"]].iloc[0].tolist() == [4, 2]


def test_milestone_completion_long_table():
    out = milestone_completion(COHORTS, within_days=30, as_of="2026-03-31")
    # denominator: customers whose 30-day window closed by 31 Mar: a, b, c, d, g = 5
    assert out["milestone"].tolist() == ["setup", "invite", "report", "tour"]  # plan order
    assert (out["denominator"] == 5).all()
    # setup: all 5 within 30 days; invite: a, d (b on day 36, g after as_of); report: a (d on day 48)
    assert out["completed"].tolist() == [5, 2, 1, 0]
    assert out["completion_rate"].tolist() == pytest.approx([1.0, 0.4, 0.2, 0.0])
    by_month = milestone_completion(COHORTS, within_days=30, as_of="2026-03-31", by="signup_month")
    feb = by_month[by_month["signup_month"] == pd.Period("2026-02", "M")].set_index("milestone")
    assert feb["completed"].to_dict() == {"setup": 1, "invite": 1, "report": 0, "tour": 0}


# Time to value, as_of 2026-06-30. Days to first value (E = reached, C = censored):
# A 5E, B 7C, C 10E, D 12C, E 40E, F 70C (F reaches it on 5 Jul, after as_of: still censored)
AS_OF = pd.Timestamp("2026-06-30")
TTV = dataset(
    [("A", "2026-01-01", "x"), ("B", str((AS_OF - pd.Timedelta(days=7)).date()), "x"),
     ("C", "2026-02-01", "x"), ("D", str((AS_OF - pd.Timedelta(days=12)).date()), "y"),
     ("E", "2026-03-01", "y"), ("F", str((AS_OF - pd.Timedelta(days=70)).date()), "y"),
     ("G", "2026-07-02", "y")],  # signs up after as_of: not counted
    [("A", "report", "2026-01-06 16:45"), ("C", "report", "2026-02-11 09:00"),
     ("E", "report", "2026-04-10 23:00"), ("F", "report", "2026-07-05")],
)


def test_time_to_value_durations_censor_at_as_of():
    d = time_to_value_durations(TTV, as_of="2026-06-30").set_index("customer_id")
    assert d["days"].to_dict() == {"A": 5, "B": 7, "C": 10, "D": 12, "E": 40, "F": 70}
    assert d["reached"].to_dict() == {"A": True, "B": False, "C": True, "D": False, "E": True, "F": False}


def test_time_to_value_kaplan_meier_median_differs_from_finishers():
    out = time_to_value(TTV, as_of="2026-06-30").iloc[0]
    # KM: t=5: 6 at risk, 1 event -> S = 5/6; t=7 censored; t=10: 4 at risk -> S = 5/6 * 3/4 = 0.625;
    #     t=12 censored; t=40: 2 at risk -> S = 0.625 * 1/2 = 0.3125 <= 0.5 -> median 40 days.
    # The naive mean over finishers, (5 + 10 + 40) / 3 = 18.3, and their median, 10, are far lower.
    assert out[["n", "reached", "censored"]].tolist() == [6, 3, 3]
    assert out["median_days"] == 40
    assert out["median_ci_lower"] <= 40 <= out["median_ci_upper"]
    # share by 30 days = 1 - S(30) = 1 - 0.625; by 60 = 1 - 0.3125; 90 > longest follow-up (70, censored)
    assert out["reached_by_30d"] == pytest.approx(0.375)
    assert out["reached_by_60d"] == pytest.approx(0.6875)
    assert np.isnan(out["reached_by_90d"])
    assert out["note"] == ""


def test_time_to_value_median_not_reached_and_groups():
    out = time_to_value(TTV, as_of="2026-06-30", by="segment").set_index("segment")
    # x: A 5E, B 7C, C 10E: S(5) = 2/3, S(10) = 2/3 * 0 -> 0 (C is the last at risk) -> median 10
    assert out.loc["x", "median_days"] == 10
    # y: D 12C, E 40E, F 70C: S(40) = 1/2 (2 at risk, 1 event) -> median 40
    assert out.loc["y", "median_days"] == 40
    # Only B and D (censored) in a group: nobody reached value -> inf with a note
    few = time_to_value(TTV, as_of="2026-06-30", by="signup_month").set_index("signup_month")
    june = few.loc[pd.Period("2026-06", "M")]  # B (signed up 23 Jun) and D (18 Jun)
    assert june["n"] == 2 and june["reached"] == 0
    assert np.isinf(june["median_days"]) and "not reached" in june["note"]


def test_time_to_value_curve_by_hand():
    curve = time_to_value_curve(TTV, as_of="2026-06-30")
    c = curve.set_index("days")
    assert c.loc[[5, 10, 40], "at_risk"].tolist() == [6, 4, 2]
    assert c.loc[[5, 10, 40], "share_reached"].tolist() == pytest.approx([1 / 6, 0.375, 0.6875])
    assert c.loc[7, "censored"] == 1 and c.loc[7, "reached"] == 0


def test_time_to_value_single_customer_reached_on_signup_day():
    ds = dataset([("a", "2026-01-01", None)], [("a", "report", "2026-01-01 12:00")])
    out = time_to_value(ds, as_of="2026-01-31").iloc[0]
    assert out[["n", "reached", "censored", "median_days"]].tolist() == [1, 1, 0, 0.0]
    assert out["reached_by_30d"] == 1.0


def test_results_do_not_depend_on_row_order():
    shuffled = Dataset(customers=COHORTS.customers.sample(frac=1, random_state=3),
                       onboarding=COHORTS.onboarding.sample(frac=1, random_state=4),
                       milestones=MILESTONES.sample(frac=1, random_state=5))
    for fn in (onboarding_completion, milestone_completion, adoption_rate):
        pd.testing.assert_frame_equal(fn(shuffled, within_days=30, as_of="2026-03-31"),
                                      fn(COHORTS, within_days=30, as_of="2026-03-31"))
    ttv_shuffled = TTV.with_tables(customers=TTV.customers.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(time_to_value(ttv_shuffled, as_of="2026-06-30"),
                                  time_to_value(TTV, as_of="2026-06-30"))


def test_bad_input_is_named():
    early = dataset([("a", "2026-01-10", None)], [("a", "setup", "2026-01-09 23:00")])
    with pytest.raises(DataValidationError, match="before signup"):
        onboarding_completion(early, as_of="2026-03-31")
    unknown = dataset([("a", "2026-01-10", None)], [("a", "lunch", "2026-01-11")])
    with pytest.raises(DataValidationError, match="onboarding.milestone"):
        time_to_value(unknown, as_of="2026-03-31")
    two_values = MILESTONES.assign(first_value=[True, False, True, False])
    with pytest.raises(DataValidationError, match="exactly one"):
        time_to_value(dataset([("a", "2026-01-10", None)], [], two_values), as_of="2026-03-31")
    with pytest.raises(MissingTableError, match="milestones"):
        onboarding_completion(COHORTS.with_tables(milestones=None), as_of="2026-03-31")
    with pytest.raises(ValueError, match="in_window"):
        onboarding_completion(COHORTS, as_of="2026-03-31", in_window="maybe")


# -- as_of after the data ------------------------------------------------------------
def test_as_of_after_the_data_is_refused_naming_its_last_complete_month():
    # COHORTS' data runs to 30 June 2026 (dataset()); a later as_of would close every window that is still open
    # each function names itself (the curve and the durations share time_to_value's code, not its name)
    for fn, named in ((onboarding_completion, "onboarding_completion"), (adoption_rate, "adoption_rate"),
                      (milestone_completion, "milestone_completion"), (time_to_value, "time_to_value"),
                      (time_to_value_curve, "time_to_value_curve"),
                      (time_to_value_durations, "time_to_value_durations")):
        with pytest.raises(ValueError) as refused:
            fn(COHORTS, as_of="2026-07-15")
        assert str(refused.value) == (f"{named}(as_of=2026-07): The data ends on 2026-06-30 (last complete "
                                      "month 2026-06), before 2026-07; a month without data would read as zero.")
    assert onboarding_completion(COHORTS, as_of="2026-06-30", by=None)["customers"].iloc[0] == 7


# -- the page and its key numbers -------------------------------------------------------------
PLAN = pd.DataFrame({"milestone": ["setup", "report", "<script>alert(1)</script>"], "order": [1, 2, 3],
                     "required": [True, True, False], "first_value": [False, True, False]})
# Cohorts 2026-04 .. 2026-06 (month 2026-06, cohort_months=3), within_days=30, value_within_days=10:
# a (Apr, smb): setup day 1, report day 4 -> completed, value in 4 days
# b (Apr, smb): setup day 1, report day 40 -> not completed within 30, no value within 10
# c (May, ent): setup day 0, report day 7 -> completed, value in 7 days
# d (Jun 20, ent): setup day 1; its 30-day window is open on 30 June; its 10-day window closed that day, no value
# e (Jan): before the cohorts shown
PAGE = dataset(
    [("a", "2026-04-01", "smb"), ("b", "2026-04-10", "smb"), ("c", "2026-05-01", "ent"), ("d", "2026-06-20", "ent"),
     ("e", "2026-01-15", "smb")],
    [("a", "setup", "2026-04-02"), ("a", "report", "2026-04-05"), ("b", "setup", "2026-04-11"),
     ("b", "report", "2026-05-20"), ("c", "setup", "2026-05-01"), ("c", "report", "2026-05-08"),
     ("d", "setup", "2026-06-21"), ("e", "setup", "2026-01-16"), ("e", "report", "2026-01-17")],
    PLAN)


def test_onboarding_page_by_hand():
    from csm_kit.metrics.onboarding import onboarding_key_numbers, onboarding_page

    page = onboarding_page(PAGE, month="2026-06", within_days=30, value_within_days=10, cohort_months=3)
    assert page.intro.values["signups"] == 4
    cohorts = page.cohorts.frame.set_index(page.cohorts.frame["signup_month"].astype(str))
    # completion: Apr 1/2, May 1/1, Jun: d still in its window -> 0 counted
    assert cohorts[["denominator", "completed"]].to_dict("list") == {"denominator": [2, 1, 0], "completed": [1, 1, 0]}
    # first value within 10 days: Apr 1/2, May 1/1, Jun 0/1 (d's window closed on 30 June)
    assert cohorts[["denominator_value", "reached"]].to_dict("list") == {"denominator_value": [2, 1, 1],
                                                                         "reached": [1, 1, 0]}
    # funnel over a, b, c (d's window open): setup 3/3, report 2/3 (b took 40 days), the optional payload 0/3
    funnel = page.funnel.frame.set_index("milestone")["completed"].to_dict()
    assert funnel == {"setup": 3, "report": 2, "<script>alert(1)</script>": 0}
    assert page.funnel.values["denominator"] == 3
    # time to value, Kaplan-Meier over a, b, c, d: events on days 4 (4 waiting), 7 (3 waiting), 40; d censored at 10
    # S(4) = 3/4, S(7) = 3/4 * 2/3 = 1/2 -> median 7 days
    assert page.ttv.values == {"median_days": 7.0, "n": 4, "censored": 1, "by": "segment", "within_days": 30}
    assert page.ttv.frame["group"].tolist() == ["all", "ent", "smb"]
    assert "&lt;script&gt;" in page.plan.show().html and "<script>" not in page.plan.show().html
    numbers = {k.name: (k.value, k.extra.get("cohort")) for k in onboarding_key_numbers(
        PAGE, month="2026-06", within_days=30, value_within_days=10, cohort_months=3)}
    # the latest cohort whose window closed for everyone: May for completion, June for first value
    assert numbers == {"onboarding_completion": (1.0, "2026-05"), "time_to_value_days": (7.0, None),
                       "adoption_rate": (0.0, "2026-06")}


def test_onboarding_page_says_why_when_it_cannot_measure():
    from csm_kit.metrics.onboarding import onboarding_page

    missing = onboarding_page(PAGE.with_tables(onboarding=None), month="2026-06")
    assert "no onboarding table" in missing.cohorts.reason and not missing.plan.available
    snap = onboarding_page(dataclasses.replace(PAGE, snapshot=True), month="2026-06")
    assert "snapshot" in snap.cohorts.reason and snap.plan.available  # the plan is still the plan
    assert [k.value for k in snap.key_numbers()] == [None, None, None]
    nobody = onboarding_page(PAGE, month="2026-03", cohort_months=1)
    assert nobody.cohorts.reason.startswith("No customer signed up from 2026-03 to 2026-03")
    young = onboarding_page(PAGE, month="2026-06", cohort_months=1)  # only d: its 90 days have not passed
    numbers = {k.name: k for k in young.key_numbers()}
    assert numbers["onboarding_completion"].value is None
    assert "no signup cohort has had 90 days yet" in numbers["onboarding_completion"].extra["note"]
    # d has not reached value after 10 days: fewer than half -> no median, None with a note
    ttv = numbers["time_to_value_days"]
    assert ttv.value is None and "median not reached" in ttv.extra["note"]
    # twelve cohort months asked for, but the data's first sign-up is in January: the cohorts start there
    assert onboarding_page(PAGE, month="2026-06").intro.values["first_cohort"] == pd.Period("2026-01", "M")
    late = onboarding_page(PAGE, month="2026-09")
    assert late.ttv.reason == ("The data ends on 2026-06-30 (last complete month 2026-06), before 2026-09: "
                               "nothing to measure for 2026-09.")


def test_time_to_value_worked_example_matches_the_hand_arithmetic():
    from csm_kit.metrics.onboarding import time_to_value_worked_example

    example = time_to_value_worked_example()
    assert example["kit"].tolist() == [10.0, 4.0] == example["by_hand"].tolist()


# -- the notebook on awkward data ------------------------------------------------------------
ONBOARDING_NUMBERS = ["onboarding_completion", "time_to_value_days", "adoption_rate"]


@pytest.fixture(scope="module")
def onboarding_runs(tmp_path_factory):
    from csm_kit.config import NOTEBOOKS_DIR
    from tests import degenerate_data

    dirs = degenerate_data.build(tmp_path_factory.mktemp("awkward_onboarding"))
    return degenerate_data.run_all(NOTEBOOKS_DIR / "07_onboarding.ipynb", dirs,
                                   tmp_path_factory.mktemp("onboarding_runs")), dirs


@pytest.mark.parametrize("scenario", ["hostile_last_month", "hostile_first_month", "hostile_segment", "one_month",
                                      "one_customer", "minimal", "snapshot", "cdnow"])
def test_onboarding_notebook_on_awkward_data(scenario, onboarding_runs):
    import csm_kit
    from csm_kit.metrics.onboarding import onboarding_key_numbers
    from tests import degenerate_data

    runs, dirs = onboarding_runs
    page, recorded, absent = degenerate_data.check_run(runs[scenario], scenario, ONBOARDING_NUMBERS)
    text = "\n".join(page)
    data, params, _ = degenerate_data.SCENARIOS[scenario]
    if "onboarding" in absent:
        assert "no onboarding or milestones tables" in text
        assert all(recorded[n]["value"] is None for n in ONBOARDING_NUMBERS)
        return
    ds = csm_kit.load_dataset(dirs[data]).for_segment(params.get("segment", "all"))
    expected = {k.name: k.value for k in onboarding_key_numbers(ds, month=params["month"])}
    assert {n: recorded[n]["value"] for n in ONBOARDING_NUMBERS} == pytest.approx(expected)
    if data == "hostile":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the payload milestone, escaped
    if scenario == "hostile_segment":
        assert "Segment **&lt;script&gt;alert\\(1\\)&lt;/script&gt;**" in page[0]


def test_time_to_value_chart_gives_nine_segments_nine_colours_and_draws_nothing_when_unavailable():
    import matplotlib.pyplot as plt

    from csm_kit.metrics.pages import PagePart
    from csm_kit.plotting.onboarding import plot_milestone_funnel, plot_time_to_value

    groups = [f"segment {i}" for i in range(8)] + ["<script>alert(1)</script>"]
    curve = pd.concat([pd.DataFrame({"group": g, "days": [0, 5], "share_reached": [0.0, 0.1 * (i + 1)],
                                     "ci_lower": [1.0, 0.5], "ci_upper": [1.0, 0.95]}) for i, g in enumerate(groups)])
    ax = plot_time_to_value(PagePart(frame=curve, values={"median_days": None, "by": "segment", "within_days": 90}))
    colours = [line.get_color() for line in ax.get_lines() if line.get_label() in groups]
    assert len(colours) == 9 and len(set(colours)) == 9
    assert [t.get_text() for t in ax.get_legend().get_texts()] == groups
    plt.close("all")
    assert plot_milestone_funnel(PagePart(reason="no onboarding")) is None
