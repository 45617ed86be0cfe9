"""sBG: reproduces Fader & Hardie (2007) and behaves on degenerate input."""
import numpy as np
import pytest

from csm_kit.exceptions import NotFittedError
from csm_kit.models.sbg import ShiftedBetaGeoModel

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
