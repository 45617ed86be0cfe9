"""Intervals and change tests, checked by hand and against scipy's own implementations."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from csm_kit.metrics.intervals import (
    mean_change, mean_interval, nps_change, nps_interval, proportion_change, wilson_interval, z_value,
)

Z = 1.959963984540054  # Phi^-1(0.975)


def test_z_value():
    assert z_value(0.95) == pytest.approx(Z)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    for bad in (0, 1, 95, -0.5, "0.95"):
        with pytest.raises(ValueError, match="confidence"):
            z_value(bad)


# -- Wilson -------------------------------------------------------------------

def test_wilson_by_hand():
    # k=30, n=50: p=0.6, z^2=3.841459; denom = 1 + 3.841459/50 = 1.076829
    # centre = (0.6 + 3.841459/100) / 1.076829 = 0.638415 / 1.076829 = 0.592866
    # half = 1.959964/1.076829 * sqrt(0.24/50 + 3.841459/10000) = 1.820130 * 0.072000 = 0.131050
    low, high = wilson_interval(30, 50)
    assert low == pytest.approx(0.592866 - 0.131050, abs=1e-5)
    assert high == pytest.approx(0.592866 + 0.131050, abs=1e-5)


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 10), (3, 5), (30, 50), (99, 100), (1, 1000)])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, confidence):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, confidence)
    assert low == pytest.approx(ci.low, abs=1e-9)
    assert high == pytest.approx(ci.high, abs=1e-9)


def test_wilson_vectorised_and_empty():
    low, high = wilson_interval(np.array([0, 30, 0]), np.array([0, 50, 10]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] == pytest.approx(wilson_interval(30, 50)[0])
    # 0 of 10: low is exactly 0, high = z^2/n / (1 + z^2/n) = 0.384146 / 1.384146 = 0.277532
    assert low[2] == 0.0 and high[2] == pytest.approx(0.277532, abs=1e-6)
    with pytest.raises(ValueError, match="exceed"):
        wilson_interval(6, 5)
    with pytest.raises(ValueError, match="counts"):
        wilson_interval(-1, 5)


# -- mean (t) ------------------------------------------------------------------

def test_mean_interval_matches_scipy():
    x = np.array([5, 4, 4, 3, 5, 1, 2], dtype=float)
    ci = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    low, high = mean_interval(x.mean(), x.std(ddof=1), len(x))
    assert (low, high) == pytest.approx((ci.low, ci.high))


def test_mean_interval_by_hand():
    # mean 3.5, sd 1, n 50: t(0.975, 49) = 2.009575; half = 2.009575 / sqrt(50) = 0.284197
    low, high = mean_interval(3.5, 1.0, 50)
    assert low == pytest.approx(3.5 - 0.284197, abs=1e-6)
    assert high == pytest.approx(3.5 + 0.284197, abs=1e-6)
    # Fewer than 2 answers: no interval.
    assert all(math.isnan(v) for v in mean_interval(4.0, np.nan, 1))
    assert all(math.isnan(v) for v in mean_interval(np.nan, np.nan, 0))


# -- NPS (adjusted-Wald) -----------------------------------------------------------------

def test_nps_interval_worked_example():
    # 50/30/20: n' = 103, p' = 50.75/103 = 0.492718, d' = 20.75/103 = 0.201456
    # NPS' = 0.291262; var = (0.694175 - 0.291262^2)/103 = (0.694175 - 0.084834)/103 = 0.0059159
    # se = 0.076915; z*se = 0.150753 -> [0.140509, 0.442015]
    low, high = nps_interval(50, 30, 20)
    assert low == pytest.approx(14.0509, abs=1e-3)
    assert high == pytest.approx(44.2015, abs=1e-3)


def test_nps_interval_all_passives_is_symmetric():
    # 0/10/0: n' = 13, p' = d' = 0.75/13 = 0.057692, NPS' = 0
    # var = 0.115385/13 = 0.0088757, se = 0.094211, z*se = 0.184651
    low, high = nps_interval(0, 10, 0)
    assert low == pytest.approx(-18.4651, abs=1e-3)
    assert high == pytest.approx(18.4651, abs=1e-3)


def test_nps_interval_all_promoters_clipped():
    # 20/0/0: n' = 23, p' = 20.75/23 = 0.902174, d' = 0.75/23 = 0.032609, NPS' = 0.869565
    # var = (0.934783 - 0.756144)/23 = 0.0077669, se = 0.088130, z*se = 0.172731
    # -> [0.696834, 1.042296], the top clipped to 100
    low, high = nps_interval(20, 0, 0)
    assert low == pytest.approx(69.6834, abs=1e-3)
    assert high == 100.0


def test_nps_interval_single_response_contains_observed_score():
    # 1/0/0: n' = 4, p' = 1.75/4, d' = 0.75/4, NPS' = 0.25
    # var = (0.625 - 0.0625)/4 = 0.140625, se = 0.375, z*se = 0.734986
    # -> [-0.484986, 0.984986]: misses the observed +100, so the top is extended to 100.
    low, high = nps_interval(1, 0, 0)
    assert low == pytest.approx(-48.4986, abs=1e-3)
    assert high == 100.0
    assert nps_interval(0, 0, 1) == pytest.approx((-100.0, 48.4986), abs=1e-3)


def test_nps_interval_empty_is_nan():
    assert all(math.isnan(v) for v in nps_interval(0, 0, 0))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.floats(0.5, 0.999))
def test_nps_interval_bounds_and_contains_score(p, a, d, confidence):
    n = p + a + d
    low, high = nps_interval(p, a, d, confidence)
    if n == 0:
        assert math.isnan(low) and math.isnan(high)
        return
    score = 100 * (p - d) / n
    assert -100 <= low <= score + 1e-9
    assert score - 1e-9 <= high <= 100


# -- change tests ----------------------------------------------------------------------

def test_proportion_change_within_noise_by_hand():
    # 30/50 -> 35/50. Agresti-Caffo: p1 = 31/52 = 0.596154, p2 = 36/52 = 0.692308, diff = 0.096154
    # var = 0.596154*0.403846/52 + 0.692308*0.307692/52 = 0.0046298 + 0.0040965 = 0.0087263
    # se = 0.093415, z*se = 0.183090 -> [-0.086936, 0.279244]: contains 0
    t = proportion_change(30, 50, 35, 50)
    assert (t.before, t.after) == (0.6, 0.7)
    assert t.change == pytest.approx(0.1)
    assert t.ci_low == pytest.approx(-0.086936, abs=1e-5)
    assert t.ci_high == pytest.approx(0.279244, abs=1e-5)
    assert t.within_noise is True
    assert t.p_value == pytest.approx(2 * stats.norm.sf(0.096154 / 0.093415), abs=1e-4)
    assert t.p_value > 0.05


def test_proportion_change_real_move_by_hand():
    # 10/100 -> 30/100: p1 = 11/102 = 0.107843, p2 = 31/102 = 0.303922, diff = 0.196078
    # var = 0.107843*0.892157/102 + 0.303922*0.696078/102 = 0.00094327 + 0.0020741 = 0.0030174
    # se = 0.054931, z*se = 0.107663 -> [0.088415, 0.303741]: excludes 0
    t = proportion_change(10, 100, 30, 100)
    assert t.ci_low == pytest.approx(0.088415, abs=1e-5)
    assert t.ci_high == pytest.approx(0.303741, abs=1e-5)
    assert t.within_noise is False and t.p_value < 0.05


def test_proportion_change_empty_sample_is_noise():
    t = proportion_change(0, 0, 5, 10)
    assert t.within_noise is True
    assert math.isnan(t.ci_low) and math.isnan(t.p_value)


def test_proportion_change_vectorised():
    t = proportion_change(np.array([30, 10]), np.array([50, 100]), np.array([35, 30]), np.array([50, 100]))
    assert t.within_noise.tolist() == [True, False]
    assert t.ci_low[1] == pytest.approx(proportion_change(10, 100, 30, 100).ci_low)


def test_nps_change_by_hand():
    # before 50/30/20: NPS' = 0.291262, var1 = 0.0059159 (see nps_interval test)
    # after 60/20/20: p' = 60.75/103 = 0.589806, d' = 0.201456, NPS' = 0.388350
    #   var2 = (0.791262 - 0.150816)/103 = 0.0062179
    # diff = 0.097087; se = sqrt(0.0121338) = 0.110154; z*se = 0.215898 -> [-0.118811, 0.312985]
    t = nps_change((50, 30, 20), (60, 20, 20))
    assert (t.before, t.after, t.change) == (30.0, 40.0, 10.0)
    assert t.ci_low == pytest.approx(-11.8811, abs=1e-3)
    assert t.ci_high == pytest.approx(31.2985, abs=1e-3)
    assert t.within_noise is True
    # the p-value uses the same standard error: z = 0.097087/0.110154 = 0.881374
    assert t.p_value == pytest.approx(2 * stats.norm.sf(0.881374), abs=1e-4)


def test_nps_change_accepts_results_and_flags_big_moves():
    from csm_kit.metrics.satisfaction import nps

    before = nps([0] * 60 + [10] * 40)   # -20
    after = nps([0] * 20 + [10] * 80)    # +60
    t = nps_change(before, after)
    assert t.change == pytest.approx(80.0)
    assert t.within_noise is False and t.p_value < 0.001
    with pytest.raises(ValueError, match="NPSResult"):
        nps_change((1, 2), (1, 2, 3))


def test_mean_change_welch_by_hand():
    # before mean 4.2, var 2.8/4 = 0.7; after mean 2.4, var 1.2/4 = 0.3; n = 5 each
    # se = sqrt(0.7/5 + 0.3/5) = sqrt(0.2); Welch df = 0.04 / (0.14^2/4 + 0.06^2/4) = 6.896552
    t = mean_change([5, 4, 4, 3, 5], [2, 3, 2, 3, 2])
    half = stats.t.ppf(0.975, 6.896552) * math.sqrt(0.2)
    assert t.change == pytest.approx(-1.8)
    assert (t.ci_low, t.ci_high) == pytest.approx((-1.8 - half, -1.8 + half), abs=1e-5)
    assert t.within_noise is False


def test_mean_change_undefined_cases():
    assert mean_change([5], [1, 2]).within_noise is True
    t = mean_change([4, 4], [5, 5])  # no spread at all: the t test is undefined
    assert t.within_noise is True and math.isnan(t.p_value)
    with pytest.raises(ValueError, match="missing"):
        mean_change([4, np.nan], [5, 5])
