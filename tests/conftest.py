"""Shared fixtures: a small simulated data set on disk, made once per test session."""
import pytest


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory):
    """150 simulated customers over 8 months (2026-03 .. 2026-10), as CSV files."""
    import csm_kit

    folder = tmp_path_factory.mktemp("small_data")
    csm_kit.simulate(n_customers=150, start="2026-03", months=8, seed=7).to_dir(folder, format="csv")
    return folder
