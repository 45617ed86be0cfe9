"""Targets file checks and the scorecard: status, previous month, noise flags (z worked by hand)."""
import math

import numpy as np
import pandas as pd
import pytest

from csm_kit.metrics.scorecard import load_targets, metric_values, scorecard, target_status

TARGETS = {
    "nps": {"label": "NPS", "unit": "points", "direction": "higher", "goal": 40, "warning": 20},
    "churn": {"label": "Churn", "unit": "share", "direction": "lower", "goal": 0.02, "warning": 0.04},
}


def card(metric, values, targets=TARGETS, **counts):
    """A scorecard for 2026-10 from one metric's values for 2026-09 and 2026-10."""
    frame = pd.DataFrame({"metric": metric, "month": ["2026-09", "2026-10"][-len(values):], "value": values,
                          **counts})
    return scorecard(frame, month="2026-10", targets=targets).iloc[0]


# -- status --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, status", [(45, "green"), (40, "green"), (30, "yellow"), (20, "yellow"),
                                           (19.9, "red"), (-10, "red")])
def test_status_where_higher_is_better(value, status):
    # goal 40 met -> green (40 itself too); between 20 and 40 -> yellow (20 itself too); below 20 -> red
    assert card("nps", [value]).status == status


@pytest.mark.parametrize("value, status", [(0.01, "green"), (0.02, "green"), (0.03, "yellow"), (0.04, "yellow"),
                                           (0.05, "red")])
def test_status_where_lower_is_better(value, status):
    assert card("churn", [value]).status == status


def test_no_target_and_no_value():
    assert card("custom", [7.0]).status == "no target" and card("custom", [7.0]).label == "custom"
    assert target_status(np.nan, TARGETS["churn"]) == "no value" and target_status(1, None) == "no target"
    # a metric with last month's value but none this month still gets a row
    frame = pd.DataFrame({"metric": ["churn", "nps"], "month": ["2026-09", "2026-10"], "value": [0.03, 10.0]})
    s = scorecard(frame, month="2026-10", targets=TARGETS).set_index("metric")
    assert s.loc["churn", "status"] == "no value" and s.loc["churn", "previous"] == 0.03


def test_previous_change_target_and_order():
    frame = pd.DataFrame({"metric": ["extra", "churn", "churn", "nps"], "month": ["2026-10", "2026-09", "2026-10",
                                                                                  "2026-10"],
                          "value": [1.0, 0.05, 0.03, 35.0]})
    s = scorecard(frame, month=pd.Period("2026-10", "M"), targets=TARGETS)
    # targets-file order first (nps, churn), then the rest in input order
    assert s["metric"].tolist() == ["nps", "churn", "extra"]
    churn = s.set_index("metric").loc["churn"]
    # 0.03 - 0.05 = -0.02; target = the goal 0.02, warning 0.04
    assert churn.change == pytest.approx(-0.02) and (churn.target, churn.warning) == (0.02, 0.04)
    assert churn.label == "Churn" and churn.unit == "share" and churn.direction == "lower"
    nps = s.set_index("metric").loc["nps"]
    assert np.isnan(nps.previous) and np.isnan(nps.change)  # no September value
    assert (s["month"] == pd.Period("2026-10", "M")).all()


# -- noise ---------------------------------------------------------------------------------------

def adjusted_wald(promoters, passives, detractors):
    """Adjusted NPS (fraction) and its variance: n' = n + 3, 0.75 pseudo-promoter and -detractor."""
    n = promoters + passives + detractors + 3
    p, d = (promoters + 0.75) / n, (detractors + 0.75) / n
    return p - d, (p + d - (p - d) ** 2) / n


def nps_frame(before, after):
    return {"promoters": [before[0], after[0]], "passives": [before[1], after[1]], "detractors": [before[2], after[2]]}


def test_small_sample_nps_move_is_noise_but_the_same_move_on_a_large_sample_is_not():
    # 10 answers each month: 5/3/2 (NPS +30) -> 3/4/3 (NPS 0).
    # before: p' = 5.75/13 = .44231, d' = 2.75/13 = .21154, NPS' = .23077, var = (.65385 - .05325)/13 = .046199
    # after:  p' = d' = 3.75/13 = .28846, NPS' = 0, var = .57692/13 = .044379
    # z = .23077 / sqrt(.046199 + .044379) = .23077 / .30096 = 0.767 < 1.96 -> within noise
    (m1, v1), (m2, v2) = adjusted_wald(5, 3, 2), adjusted_wald(3, 4, 3)
    assert abs(m2 - m1) / math.sqrt(v1 + v2) == pytest.approx(0.767, abs=1e-3)
    small = card("nps", [30.0, 0.0], **nps_frame((5, 3, 2), (3, 4, 3)))
    assert small.within_noise is True and small.note == "within sampling noise (95% test)"
    assert small.change == pytest.approx(-30)

    # 1,000 answers each: 500/300/200 -> 300/400/300, the same 30-point fall.
    # before: NPS' = (500.75 - 200.75)/1003 = .29910, var = (.69940 - .08946)/1003 = .00060812
    # after:  NPS' = 0, var = .59970/1003 = .00059791; z = .29910 / sqrt(.00120603) = 8.61 > 1.96
    (m1, v1), (m2, v2) = adjusted_wald(500, 300, 200), adjusted_wald(300, 400, 300)
    assert abs(m2 - m1) / math.sqrt(v1 + v2) == pytest.approx(8.61, abs=0.01)
    large = card("nps", [30.0, 0.0], **nps_frame((500, 300, 200), (300, 400, 300)))
    assert large.within_noise is False and large.note == "beyond sampling noise (95% test)"


def test_share_noise_uses_successes_and_n():
    # Agresti-Caffo: 8/10 -> 9/10: p~ = 9/12 = .75 and 10/12 = .8333;
    # se = sqrt(.75 x .25/12 + .8333 x .1667/12) = sqrt(.015625 + .011574) = .16492; z = .0833/.16492 = .51
    share = {"label": "CSAT", "unit": "share", "direction": "higher", "goal": 0.85, "warning": 0.75}
    targets = {"csat": share}
    small = card("csat", [0.8, 0.9], targets=targets, successes=[8, 9], n=[10, 10])
    assert small.within_noise is True and small.status == "green"
    # 800/1000 -> 900/1000: p~ = 801/1002 = .79940, 901/1002 = .89920;
    # se = sqrt(.7994 x .2006/1002 + .8992 x .1008/1002) = .015827; z = .0998/.015827 = 6.3 -> a real move
    assert card("csat", [0.8, 0.9], targets=targets, successes=[800, 900], n=[1000, 1000]).within_noise is False


def test_no_noise_flag_without_both_months_counts_or_when_switched_off():
    only_now = card("nps", [30.0, 0.0], promoters=[None, 3], passives=[None, 4], detractors=[None, 3])
    assert only_now.within_noise is None and only_now.note == ""
    assert card("churn", [0.05, 0.03]).within_noise is None  # not a survey metric: no counts
    frame = pd.DataFrame({"metric": "nps", "month": ["2026-09", "2026-10"], "value": [30.0, 0.0],
                          **nps_frame((5, 3, 2), (3, 4, 3))})
    assert scorecard(frame, month="2026-10", targets=TARGETS, noise=False).loc[0, "within_noise"] is None
    # at 50% confidence the interval is narrower (z = 0.674): a 0.767 move is beyond it
    assert scorecard(frame, month="2026-10", targets=TARGETS, noise=0.5).loc[0, "within_noise"] is False


def test_bad_values_are_refused():
    ok = {"metric": ["nps", "nps"], "month": ["2026-10", "2026-10"], "value": [1.0, 2.0]}
    with pytest.raises(ValueError, match="one value per metric and month"):
        scorecard(pd.DataFrame(ok), month="2026-10", targets=TARGETS)
    with pytest.raises(ValueError, match="missing \\['value'\\]"):
        scorecard(pd.DataFrame({"metric": ["nps"], "month": ["2026-10"]}), month="2026-10", targets=TARGETS)
    with pytest.raises(ValueError, match="'value' must hold numbers"):
        scorecard(pd.DataFrame({"metric": ["nps"], "month": ["2026-10"], "value": ["high"]}), month="2026-10",
                  targets=TARGETS)
    with pytest.raises(ValueError, match="YYYY-MM"):
        scorecard(pd.DataFrame({"metric": ["nps"], "month": ["Oct"], "value": [1.0]}), month="2026-10")
    with pytest.raises(ValueError, match="noise must be"):
        scorecard(pd.DataFrame({"metric": ["nps"], "month": ["2026-10"], "value": [1.0]}), month="2026-10",
                  noise=95)


# -- from metrics.json ---------------------------------------------------------------------------

def test_values_from_two_months_of_metrics_json():
    def doc(month, nps, counts):
        return {"month": month, "notebooks": {"satisfaction": {
            "nps_relationship": {"name": "nps_relationship", "value": nps, "unit": "points", "label": "NPS",
                                 "promoters": counts[0], "passives": counts[1], "detractors": counts[2]},
            "rows_surveys": {"name": "rows_surveys", "value": 99, "scorecard": False},
            "top_theme": {"name": "top_theme", "value": "pricing"}}}}

    values = metric_values(doc("2026-09", 30.0, (5, 3, 2)), doc("2026-10", 0.0, (3, 4, 3)))
    assert values["metric"].tolist() == ["nps_relationship"] * 2  # scorecard=False and text values left out
    row = scorecard(values, month="2026-10").iloc[0]  # the kit's own targets: goal 40, warning 20
    assert (row.label, row.previous, row.value, row.status, row.within_noise) == (
        "Relationship NPS", 30.0, 0.0, "red", True)


# -- targets files -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("x: {label: X, unit: u, direction: up, goal: 1, warning: 0}", "x: direction must be 'higher' or 'lower'"),
    ("x: {label: X, unit: u, direction: higher, goal: 1}", "x: missing fields \\['warning'\\]"),
    ("x: {label: X, unit: u, direction: higher, goal: 1, warning: 2}", "warning level 2 is on the wrong side"),
    ("x: {label: X, unit: u, direction: lower, goal: 1, warning: 0.5}", "warning level 0.5 is on the wrong side"),
    ("x: {label: X, unit: u, direction: lower, goal: 1, warning: 2, colour: red}", "unknown fields \\['colour'\\]"),
    ("x: {label: X, unit: u, direction: lower, goal: high, warning: 2}", "goal must be a number"),
    ("x: 5", "x: expected a mapping"),
    ("- nps\n- csat", "maps metric names"),
    ("x: {label: X", "not valid YAML"),
])
def test_bad_targets_files_are_refused(tmp_path, text, message):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_targets(path)


def test_a_warning_equal_to_the_goal_is_allowed(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("x: {label: X, unit: u, direction: higher, goal: 1, warning: 1}\n")
    assert load_targets(path)["x"]["warning"] == 1


def test_the_shipped_targets_cover_the_kits_headline_metrics():
    targets = load_targets()
    assert {"nps_relationship", "csat_support", "ces_support", "logo_churn", "grr", "nrr", "quick_ratio",
            "mrr_growth", "stickiness", "onboarding_completion", "time_to_value_days", "first_response_hours",
            "health_green_share"} <= set(targets)
    assert targets["nps_relationship"]["direction"] == "higher"
    assert targets["first_response_hours"]["direction"] == "lower"
