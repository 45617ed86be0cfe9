"""Targets file checks and the scorecard: status, previous month, noise flags."""
import math

import numpy as np
import pandas as pd
import pytest

from csm_kit.metrics.scorecard import load_targets, scorecard, target_status

HIGHER = {"direction": "higher", "goal": 40, "warning": 20, "label": "NPS", "unit": "points"}
LOWER = {"direction": "lower", "goal": 0.02, "warning": 0.04, "label": "Churn", "unit": "share"}


def test_status_for_higher_and_lower_is_better():
    assert [target_status(v, HIGHER) for v in (45, 40, 30, 20, 19)] == ["green", "green", "yellow", "yellow", "red"]
    assert [target_status(v, LOWER) for v in (0.01, 0.03, 0.05)] == ["green", "yellow", "red"]
    assert target_status(1.0, None) == "no target" and target_status(np.nan, LOWER) == "no value"


def test_scorecard_previous_change_and_missing_previous():
    v = pd.DataFrame({"metric": ["logo_churn", "logo_churn", "mrr_growth", "custom"],
                      "month": ["2026-09", "2026-10", "2026-10", "2026-10"], "value": [0.05, 0.03, 0.025, 7.0]})
    s = scorecard(v, month="2026-10").set_index("metric")
    assert s.loc["logo_churn", "change"] == pytest.approx(-0.02) and s.loc["logo_churn", "status"] == "yellow"
    assert np.isnan(s.loc["mrr_growth", "previous"]) and s.loc["mrr_growth", "status"] == "green"
    assert s.loc["custom", "status"] == "no target" and s.loc["custom", "label"] == "custom"


def nps_rows(before, after):
    return pd.DataFrame({"metric": "nps_relationship", "month": ["2026-09", "2026-10"],
                         "value": [100 * (before[0] - before[2]) / sum(before), 100 * (after[0] - after[2]) / sum(after)],
                         "promoters": [before[0], after[0]], "passives": [before[1], after[1]],
                         "detractors": [before[2], after[2]]})


def adjusted(p, a, d):
    n = p + a + d + 3
    pp, dd = (p + 0.75) / n, (d + 0.75) / n
    return pp - dd, (pp + dd - (pp - dd) ** 2) / n


def test_small_sample_nps_move_is_flagged_as_noise_but_a_large_one_is_not():
    small_before, small_after = (5, 3, 2), (3, 4, 3)          # NPS +30 -> 0 on 10 answers each
    (m1, v1), (m2, v2) = adjusted(*small_before), adjusted(*small_after)
    z_small = abs(m2 - m1) / math.sqrt(v1 + v2)                  # about 0.77 < 1.96
    assert z_small < 1.96
    s = scorecard(nps_rows(small_before, small_after), month="2026-10").iloc[0]
    assert bool(s.within_noise) is True and s.note == "within sampling noise" and s.change == pytest.approx(-30)

    big_before, big_after = (500, 300, 200), (300, 400, 300)   # the same move on 1,000 answers each
    (m1, v1), (m2, v2) = adjusted(*big_before), adjusted(*big_after)
    assert abs(m2 - m1) / math.sqrt(v1 + v2) > 1.96
    assert scorecard(nps_rows(big_before, big_after), month="2026-10").iloc[0].within_noise == False


def test_share_metric_noise_uses_successes_and_n():
    v = pd.DataFrame({"metric": "csat_support", "month": ["2026-09", "2026-10"], "value": [0.80, 0.90],
                      "successes": [8, 9], "n": [10, 10]})
    assert scorecard(v, month="2026-10").iloc[0].within_noise == True  # noqa: E712


@pytest.mark.parametrize("text, message", [
    ("x: {label: X, unit: u, direction: up, goal: 1, warning: 0}", "direction must be"),
    ("x: {label: X, unit: u, direction: higher, goal: 1}", "missing \\['warning'\\]"),
    ("x: {label: X, unit: u, direction: higher, goal: 1, warning: 2}", "wrong side of the goal"),
    ("x: {label: X, unit: u, direction: lower, goal: 1, warning: 0.5, colour: red}", "unknown \\['colour'\\]"),
])
def test_bad_targets_files_are_refused(tmp_path, text, message):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_targets(path)


def test_the_shipped_targets_load():
    targets = load_targets()
    assert targets["nps_relationship"]["direction"] == "higher" and targets["logo_churn"]["direction"] == "lower"
