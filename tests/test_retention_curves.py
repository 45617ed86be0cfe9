"""RetentionCurves: Kaplan-Meier values, medians, at-risk counts and log-rank checked by hand."""
import matplotlib
import numpy as np
import pandas as pd
import pytest

from csm_kit.datasets import load_sample
from csm_kit.exceptions import NotFittedError
from csm_kit.models import RetentionCurves, survival_table

matplotlib.use("Agg")

TINY = pd.DataFrame({"tenure": [1.0, 2, 2, 3, 4], "churned": [True, True, False, True, False], "time_unit": "month"})


def test_kaplan_meier_by_hand():
    rc = RetentionCurves(times=[0.5, 1, 2, 3, 4, 5]).fit(TINY)
    # S(1) = 4/5; S(2) = 0.8 * 3/4 (the censored 2 is still at risk at 2); S(3) = 0.6 * 1/2.
    r = rc.retention_
    assert r["retention"].iloc[:5].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])
    assert np.isnan(r["retention"].iloc[5])  # beyond the longest tenure: not known, not 0
    assert r["at_risk"].tolist()[:5] == [5, 5, 4, 2, 1]
    assert (r["ci_low"].iloc[1:5] < r["retention"].iloc[1:5]).all() and (r["ci_high"].iloc[1:5] > r["retention"].iloc[1:5]).all()
    m = rc.median_lifetime_.iloc[0]
    assert m["median"] == 3.0 and m["median_reached"] and m["customers"] == 5 and m["churned"] == 3


def test_left_truncation_counts_customers_only_from_entry():
    t = TINY.assign(entry=[0.0, 0, 0, 2.5, 0])  # the churn at 3 was only observed from 2.5
    r = RetentionCurves(times=[1, 2, 3]).fit(t).retention_
    # At risk at 1: four (the 2.5 entrant is not there yet): S(1) = 3/4; at 2: three -> 3/4 * 2/3;
    # at 3: the entrant and the 4 -> 1/2 * 1/2.
    assert r["retention"].tolist() == pytest.approx([0.75, 0.5, 0.25])
    assert r["at_risk"].tolist() == [4, 3, 2]


def test_logrank_on_a_constructed_case():
    t = pd.DataFrame({"tenure": [1.0, 3, 2, 4], "churned": True, "g": ["a", "a", "b", "b"], "time_unit": "month"})
    rc = RetentionCurves(by="g").fit(t)
    # Observed in a: 2; expected 1/2 + 1/3 + 1/2 + 0; variance 1/4 + 2/9 + 1/4 -> chi2 = (2/3)^2 / (13/18).
    assert rc.logrank_["test_statistic"].item() == pytest.approx((2 / 3) ** 2 / (13 / 18))
    assert rc.logrank_["df"].item() == 1
    assert rc.pairwise_logrank_[["group_a", "group_b"]].values.tolist() == [["a", "b"]]


def test_degenerate_tables():
    nobody = RetentionCurves(times=[1, 2]).fit(TINY.assign(churned=False))
    assert nobody.retention_["retention"].tolist() == [1.0, 1.0]
    assert not nobody.median_lifetime_["median_reached"].item() and np.isnan(nobody.median_lifetime_["median"].item())
    one = RetentionCurves(by="g", times=[1]).fit(pd.DataFrame({"tenure": [2.0], "churned": [True], "g": ["x"]}), unit="month")
    assert one.logrank_ is None and one.retention_["retention"].item() == 1.0
    assert one.median_lifetime_["median"].item() == 2.0


def test_errors():
    with pytest.raises(NotFittedError):
        RetentionCurves().summary
    with pytest.raises(ValueError, match="churned"):
        RetentionCurves().fit(TINY.drop(columns="churned"))
    with pytest.raises(ValueError, match="tenure.*>= 0"):
        RetentionCurves().fit(TINY.assign(tenure=[1.0, -2, 2, 3, 4]))
    with pytest.raises(ValueError, match="by='plan'"):
        RetentionCurves(by="plan").fit(TINY)
    with pytest.raises(ValueError, match="no rows"):
        RetentionCurves().fit(TINY.iloc[:0])


def test_sample_by_segment_summary_and_plot():
    t = survival_table(load_sample(), as_of="2026-10-31")
    rc = RetentionCurves(by="segment").fit(t)
    s = rc.summary.set_index("group")
    assert list(s.index) == ["enterprise", "mid_market", "smb"]
    assert (s["retention_12"] > s["retention_24"]).all()
    assert s.loc["enterprise", "retention_12"] > s.loc["smb", "retention_12"]  # base hazard 0.8% vs 3.0%
    assert rc.logrank_["p_value"].item() < 1e-6
    assert s["customers"].sum() == len(t)
    ax = rc.plot()
    assert ax.get_xlabel() == "Tenure (months)" and len(ax.get_lines()) >= 3
    assert "3 groups by segment" in repr(rc)
    cohorts = RetentionCurves(by="cohort", cohort_freq="Y").fit(t).retention_
    last = cohorts[cohorts["group"] == "2026"].set_index("tenure")["retention"]
    assert np.isnan(last[24]) and np.isnan(last[12]) and last[3] > 0  # not reached yet: blank, not 0
