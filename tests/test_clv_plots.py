"""CLV plots: each returns an Axes with a title, labelled axes, and the right number of things drawn."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import csm_kit  # noqa: E402
from csm_kit.models import BetaGeoModel, ShiftedBetaGeoModel, SurvivalCLV, rfm_summary  # noqa: E402
from csm_kit.models import clv_plots  # noqa: E402
from csm_kit.plotting import use_style  # noqa: E402


@pytest.fixture(autouse=True)
def _style():
    # the kit's style for these tests only: other tests (and doctests) see matplotlib's settings as found
    with matplotlib.rc_context():
        use_style()
        yield
    plt.close("all")


@pytest.fixture(scope="module")
def cdnow():
    s = rfm_summary(csm_kit.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30",
                    time_unit="week")
    return BetaGeoModel().fit(s), s


def labelled(ax):
    return bool((ax.get_title("left") or ax.get_title()) and ax.get_xlabel() and ax.get_ylabel())


def test_sbg_projection():
    m = ShiftedBetaGeoModel(time_unit="year").fit([1000, 631, 468, 382, 326, 289, 262, 241])
    fig, given = plt.subplots()
    ax = m.plot_projection(12, ax=given)
    assert ax is given and labelled(ax)
    actual, projected, divider = ax.get_lines()
    assert np.isfinite(actual.get_ydata()).sum() == 8 and len(projected.get_xdata()) == 13
    assert projected.get_ydata()[7] == pytest.approx(1000 * m.survival(7))
    assert list(divider.get_xdata()) == [7, 7]
    short = ShiftedBetaGeoModel(time_unit="year").fit([1000, 631, 468, 382])
    ax = short.plot_projection(actual=[1000, 631, 468, 382, 326, 289, 262, 241])
    held = ax.get_lines()[-1]
    assert len(ax.get_lines()) == 4 and list(held.get_xdata()) == [4, 5, 6, 7] and held.get_ydata()[0] == 326
    assert len(ax.get_lines()[1].get_xdata()) == 8   # projected over the held-out years too


def test_matrices(cdnow):
    m, _ = cdnow
    ax = clv_plots.plot_probability_alive_matrix(m, max_frequency=10, T=39)
    assert labelled(ax) and len(ax.images) == 1
    img = ax.images[0].get_array()
    assert img.shape == (40, 11)                 # recency 0..39 by frequency 0..10
    assert (img[:, 0] == 1).all() and img[39, 10] > img[0, 10]   # recent buyers are alive
    ax = m.plot_expected_purchases_matrix(t=10)
    assert labelled(ax) and len(ax.images) == 1 and ax.images[0].get_array().shape[1] == m.max_frequency_ + 1
    assert "10 weeks" in ax.get_title("left")


def test_holdout_comparison_plot(cdnow):
    m, s = cdnow
    ax = clv_plots.plot_holdout_comparison(m, s)
    assert labelled(ax) and len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"
    assert len(ax.get_lines()[0].get_xdata()) == 8


def test_clv_distribution_by_segment():
    ids = [f"c{i}" for i in range(60)]
    s = pd.DataFrame({1: [0.9] * 60, 2: [0.8] * 60}, index=ids)
    seg = pd.Series(["smb", "mid_market", "enterprise"] * 20, index=ids)
    m = SurvivalCLV(horizon_months=2, n_bootstrap=100).fit(s, pd.Series(np.arange(60.0) + 1, index=ids), seg)
    ax = m.plot_distribution()
    assert labelled(ax) and "USD" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["enterprise", "mid_market", "smb"]
    (bars,) = ax.containers
    assert len(bars.lines[0].get_xdata()) == 3   # one mean per segment
    assert ax.get_xscale() == "linear"            # medians within 20-fold of each other
    spread = SurvivalCLV(horizon_months=2, n_bootstrap=0).fit(
        s, pd.Series(np.where(seg == "enterprise", 5000.0, 10.0), index=ids), seg)
    ax = spread.plot_distribution()
    assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()
    single = SurvivalCLV(horizon_months=2, n_bootstrap=0).fit(s, pd.Series(1.0, index=ids))
    assert [t.get_text() for t in single.plot_distribution().get_yticklabels()] == ["all"]
