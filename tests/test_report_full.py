"""Full reports CI runs: the sample report for every segment, and a report on a second simulated company.

Each is the real ``csm-kit report`` path (every kit notebook, PDF included
when Chromium is there). A segment report names its segment in the index
headline and in every area page, records for that segment only, and its
pages pass the presentation scan of tests/test_report_presentation.py. The
second company (another simulator seed, size and time span than the test
fixtures) must report as cleanly as the sample.

These take minutes, so they run under ``make test`` (CSM_KIT_FULL_REPORTS=1,
as CI does) and are skipped in a quick local ``pytest``.
"""
import json
import os

import pytest

import csm_kit
from csm_kit.config import SAMPLE_DIR
from csm_kit.report import report_notebooks, run_report
from tests.test_report_presentation import RULES, visible

pytestmark = pytest.mark.skipif(os.environ.get("CSM_KIT_FULL_REPORTS") != "1",
                                reason="full reports run under `make test` (CSM_KIT_FULL_REPORTS=1)")
SEGMENTS = sorted(csm_kit.load_dataset(SAMPLE_DIR, tables=["customers"]).customers["segment"].dropna().unique())
PAGES = ["index"] + [nb.stem for nb in report_notebooks()]


@pytest.fixture(scope="module")
def segment_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("segment_reports")
    return {s: run_report(None, data=SAMPLE_DIR, out=out, segment=s, progress=False) for s in SEGMENTS}


@pytest.fixture(scope="module")
def second_company(tmp_path_factory):
    data = tmp_path_factory.mktemp("second_company")
    csm_kit.simulate(n_customers=400, start="2025-01", months=22, seed=2027).to_dir(data, format="csv")
    return run_report(None, data=data, out=tmp_path_factory.mktemp("second_company_report"), progress=False)


def _scan(folder, stem):
    text, headers = visible(folder / ("index.html" if stem == "index" else f"{stem}.html"))
    problems = [f"{rule}: {m.group(0)!r}" for rule, pattern in RULES.items() for m in pattern.finditer(text)]
    return text, problems


@pytest.mark.parametrize("segment", SEGMENTS)
def test_segment_report_names_its_segment_everywhere(segment_reports, segment):
    folder = segment_reports[segment]
    assert json.loads((folder / "metrics.json").read_text())["segment"] == segment
    for stem in PAGES:
        text, problems = _scan(folder, stem)
        assert segment in text, f"{stem}: the {segment} report never names its segment"
        assert problems == [], f"{segment} {stem}: {problems[:5]}"
    assert f"{segment} segment" in (folder / "index.html").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["segment"] == segment


def test_segment_reports_count_only_their_customers(segment_reports):
    counts = {s: json.loads((f / "metrics.json").read_text())["notebooks"]["00_data_overview"]["customers_total"]["value"]
              for s, f in segment_reports.items()}
    assert sum(counts.values()) == 2000 and all(c > 0 for c in counts.values())


@pytest.mark.parametrize("stem", PAGES)
def test_second_company_reports_cleanly(second_company, stem):
    _, problems = _scan(second_company, stem)
    assert problems == [], f"{stem}: {problems[:5]}"
    metrics = json.loads((second_company / "metrics.json").read_text())
    assert metrics["month"] == "2026-10"
    if stem != "index":
        assert metrics["notebooks"][stem], f"{stem} recorded nothing"
