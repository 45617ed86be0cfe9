"""sBG: reproduces Fader & Hardie (2007) and behaves on degenerate input."""
import numpy as np
import pandas as pd
import pytest

from csm_kit.exceptions import NotFittedError
from csm_kit.models.sbg import ShiftedBetaGeoModel, cohort_survivors

HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.mark.parametrize("counts, gamma, delta", [(HIGH_END, 0.668, 3.806), (REGULAR, 0.704, 1.182)])
def test_reproduces_the_published_fits(counts, gamma, delta):
    m = ShiftedBetaGeoModel(time_unit="year").fit(counts)
    assert round(m.params_["gamma"], 3) == gamma and round(m.params_["delta"], 3) == delta
    assert m.converged_


def test_survival_and_retention_rates_follow_the_formulas():
    m = ShiftedBetaGeoModel().fit(REGULAR)
    g, d = m.params_["gamma"], m.params_["delta"]
    # S(1) = delta / (gamma + delta); S(2) = S(1) * (delta + 1) / (gamma + delta + 1)
    assert m.survival(1) == pytest.approx(d / (g + d))
    assert m.survival(2) == pytest.approx(d / (g + d) * (d + 1) / (g + d + 1))
    assert m.retention_rate([1, 2]).tolist() == pytest.approx([d / (g + d), (d + 1) / (g + d + 1)])
    assert np.all(np.diff(m.retention_rate(np.arange(1, 12))) > 0)  # rising retention: heterogeneity


def test_projection_tracks_the_actual_counts():
    p = ShiftedBetaGeoModel().fit(REGULAR).projection(12)
    fitted = p.dropna(subset=["actual"])
    assert np.abs(fitted["projected"] - fitted["actual"]).max() < 15  # within 1.5 points of 1,000 every year
    assert p["actual"].isna().sum() == 5 and (np.diff(p["projected"]) < 0).all()


def test_discounted_expected_lifetime_matches_the_series():
    m = ShiftedBetaGeoModel().fit(HIGH_END)
    series = sum(m.survival(t) / 1.1**t for t in range(3000))
    assert m.discounted_expected_lifetime(0.10) == pytest.approx(series, rel=1e-9)
    with pytest.raises(ValueError, match="discount rate"):
        m.discounted_expected_lifetime(0)


def test_errors_before_fit_and_on_bad_counts():
    with pytest.raises(NotFittedError, match="not fitted"):
        ShiftedBetaGeoModel().survival(1)
    with pytest.raises(ValueError, match="never increase"):
        ShiftedBetaGeoModel().fit([1000, 900, 950])
    with pytest.raises(ValueError, match="Nobody churned"):
        ShiftedBetaGeoModel().fit([100, 100, 100])


def test_summary_has_standard_errors():
    s = ShiftedBetaGeoModel().fit(REGULAR).summary
    assert list(s.index) == ["gamma", "delta"] and (s["std_error"] > 0).all()
    assert (s["ci_low"] < s["estimate"]).all()


def test_conditional_survival_is_the_ratio_of_survivals():
    m = ShiftedBetaGeoModel().fit(HIGH_END)
    assert m.conditional_survival(3, 2) == pytest.approx(m.survival(5) / m.survival(3))
    assert m.conditional_survival(np.array([[0], [4]]), np.array([[1, 2]])).shape == (2, 2)
    # survivors of more renewals are more loyal: their one-period survival is higher
    assert np.all(np.diff(m.conditional_survival(np.arange(10), 1)) > 0)
    with pytest.raises(ValueError, match=">= 0"):
        m.conditional_survival(-1, 1)


def _subs(rows):
    return pd.DataFrame([dict(zip(("customer_id", "start_date", "end_date", "amount"), r), billing_period="month")
                         for r in rows]).astype({"start_date": "datetime64[ns]", "end_date": "datetime64[ns]"})


def test_cohort_survivors_by_hand():
    subs = _subs([
        ("a", "2026-01-01", "2026-02-01", 10.0),   # pays exactly one month: gone at tenure 1
        ("b", "2026-01-31", "2026-03-15", 10.0),   # last day of the month; lasts 1.5 months
        ("c", "2026-01-10", "2026-03-01", 10.0),   # leaves, then comes back: reactivation ignored
        ("c", "2026-05-01", None, 10.0),
        ("d", "2026-01-20", "2026-01-25", 10.0),   # joins and leaves inside the cohort month
        ("e", "2026-01-15", None, 10.0),           # stays
        ("f", "2026-02-01", None, 10.0),           # February cohort: not counted
        ("g", "2026-01-05", None, 0.0),            # free plan: never paying, not in the cohort
    ])
    s = cohort_survivors(subs, cohort="2026-01", end="2026-05")
    # tenure 0: a b c d e (d left Jan 25, after its start); 1: b (Feb 28 covered), c (Feb 10), e; a ended on Feb 1
    # tenure 2: e only (b ended Mar 15 before Mar 31; c ended Mar 1 before Mar 10); 3, 4: e
    assert s.tolist() == [5, 3, 1, 1, 1]
    assert list(s.index) == [0, 1, 2, 3, 4] and s.name == "survivors"
    with pytest.raises(ValueError, match="No customer's first paid spell began in 2026-03"):
        cohort_survivors(subs, cohort="2026-03", end="2026-05")
    with pytest.raises(ValueError, match="at least one month"):
        cohort_survivors(subs, cohort="2026-01", end="2026-01")


def test_pooled_cohorts_count_ages_all_of_them_reached():
    subs = _subs([("a", "2026-01-15", "2026-03-01", 10.0), ("b", "2026-02-10", None, 10.0),
                  ("c", "2026-02-28", "2026-04-28", 10.0), ("d", "2026-03-02", None, 10.0)])
    s = cohort_survivors(subs, cohort="2026-01", cohort_end="2026-02", end="2026-04")
    # a, b, c pooled (d joined in March); ages 0..2, as a February joiner reaches tenure 2 by Apr 30.
    # tenure 1: a (Feb 15 < Mar 1), b, c (Mar 28 < Apr 28); tenure 2: b only (a left Mar 1, c on Apr 28 itself)
    assert s.tolist() == [3, 3, 1]
    with pytest.raises(ValueError, match="cohort_end"):
        cohort_survivors(subs, cohort="2026-02", cohort_end="2026-01", end="2026-04")
