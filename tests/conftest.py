"""Shared fixtures: a small simulated data set on disk and the kit's report on it, made once per test session."""
import pytest


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory):
    """150 simulated customers over 8 months (2026-03 .. 2026-10), as CSV files."""
    import csm_kit

    folder = tmp_path_factory.mktemp("small_data")
    csm_kit.simulate(n_customers=150, start="2026-03", months=8, seed=7).to_dir(folder, format="csv")
    return folder


@pytest.fixture(scope="session")
def kit_report(small_data_dir, tmp_path_factory):
    """The monthly report of the kit's own notebooks on the small data set, run once per session."""
    from csm_kit.report import run_report

    return run_report("2026-10", data=small_data_dir, out=tmp_path_factory.mktemp("kit_report"), progress=False)


@pytest.fixture(scope="session")
def hostile_data_dir(tmp_path_factory):
    """The small data set's company (seed 7) with a script or formula payload in every text value (tests/hostile.py)."""
    from tests.hostile import write_hostile

    return write_hostile(tmp_path_factory.mktemp("hostile_data"))


@pytest.fixture(scope="session")
def hostile_report(hostile_data_dir, tmp_path_factory):
    """The kit's report on the hostile data set, run once per session (checked as text and in the browser)."""
    from csm_kit.report import run_report

    return run_report("2026-10", data=hostile_data_dir, out=tmp_path_factory.mktemp("hostile_report"),
                      progress=False)


@pytest.fixture(scope="session")
def screenshots(pytestconfig):
    """Paths of screenshots a test took; listed in the summary at the end of the run."""
    shots = []
    pytestconfig._csm_kit_screenshots = shots
    return shots


def pytest_terminal_summary(terminalreporter):
    shots = getattr(terminalreporter.config, "_csm_kit_screenshots", [])
    if shots:
        terminalreporter.section("report screenshots (headless Chromium)")
        for path in shots:
            terminalreporter.write_line(str(path))
