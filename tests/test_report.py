"""The report runner: success, failures, misspelt parameters, atomic replacement."""
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from csm_kit.exceptions import DataValidationError, ReportError
from csm_kit.record import MIME_TYPE, json_safe, read_recorded
from csm_kit.report import report_notebooks, run_report

PARAMS = 'month = "2026-10"  # month\ndata = "../data/sample"  # data\nsegment = "all"  # segment'


def _notebook(path: Path, *cells, params: str = PARAMS) -> Path:
    """A report notebook: the parameters cell, then code cells (a str) or ready-made cells."""
    params = new_code_cell(params)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, *[new_code_cell(c) if isinstance(c, str) else c for c in cells]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny_notebooks(tmp_path):
    """Two quick notebooks that record numbers and draw a plot."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "00_first.ipynb",
              "import csm_kit\nfrom csm_kit.record import record\nds = csm_kit.load_dataset(data)",
              "record('customers', len(ds.customers), unit='customers', label='Customers')\n"
              "record('month_seen', month)",
              "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
              "plt.plot([1, 2, 3]); plt.title('a plot'); plt.show()")
    _notebook(folder / "01_second.ipynb", "from csm_kit.record import record\nrecord('segment_seen', segment)")
    return folder


def test_report_writes_every_artefact(tmp_path, small_data_dir, tiny_notebooks):
    out = tmp_path / "reports"
    folder = run_report("2026-09", data=small_data_dir, out=out, notebooks_dir=tiny_notebooks, progress=False)
    assert folder == out / "2026-09"
    names = {p.name for p in folder.iterdir()}
    assert {"00_first.ipynb", "00_first.html", "01_second.ipynb", "01_second.html", "index.html",
            "metrics.json", "manifest.json", "scorecard.csv"} <= names

    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["month"] == "2026-09"
    assert metrics["notebooks"]["00_first"]["customers"]["value"] == 150
    assert metrics["notebooks"]["00_first"]["month_seen"]["value"] == "2026-09"  # the parameter reached it
    assert metrics["notebooks"]["01_second"]["segment_seen"]["value"] == "all"

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["month"] == "2026-09"
    assert len(manifest["data"]["fingerprint"]) == 16
    assert [n["notebook"] for n in manifest["notebooks"]] == ["00_first.ipynb", "01_second.ipynb"]
    assert manifest["environment"]["csm_kit"]

    page = (folder / "00_first.html").read_text()
    assert "data:image/png;base64" in page  # the plot is embedded: the file can be emailed alone
    assert "load_dataset" not in page  # code hidden
    index = (folder / "index.html").read_text()
    assert "00_first.html" in index and "Customers" in index


def test_page_prose_says_a_number_parameter_as_the_value_it_ran_with(tmp_path, small_data_dir):
    """"the next `horizon_days` days" reads "the next 60 days" on the page of a report run with -p horizon_days=60."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    prose = new_markdown_cell("Churn in the next `horizon_days` days (`share` of them), by `model`; see `print`.")
    _notebook(folder / "00_prose.ipynb", prose, "from csm_kit.record import record\nrecord('days', horizon_days)",
              params=PARAMS + "\nhorizon_days: int = 90  # days\nshare: float = 0.25  # share\n"
                              "model: str = 'cox'  # model")
    page_of = {}
    for days in (None, "60"):
        out = run_report("2026-09", data=small_data_dir, out=tmp_path / f"reports-{days}", notebooks_dir=folder,
                         parameters={"horizon_days": days} if days else None, progress=False, pdf=False)
        page_of[days] = (out / "00_prose.html").read_text()
        assert json.loads((out / "metrics.json").read_text())["notebooks"]["00_prose"]["days"]["value"] == int(days or 90)
    assert "Churn in the next 90 days (0.25 of them), by <code>model</code>; see <code>print</code>." in page_of[None]
    assert "Churn in the next 60 days (0.25 of them)" in page_of["60"]
    assert "horizon_days" not in page_of["60"].split("<body")[1]
    # the executed notebook kept in the report folder is the notebook as run: the names stay there
    kept = nbformat.read(tmp_path / "reports-60" / "2026-09" / "00_prose.ipynb", as_version=4)
    assert any("`horizon_days`" in c.source for c in kept.cells if c.cell_type == "markdown")


def test_month_defaults_to_latest_complete_month(tmp_path, small_data_dir, tiny_notebooks):
    folder = run_report(None, data=small_data_dir, out=tmp_path, notebooks_dir=tiny_notebooks, progress=False)
    assert folder.name == "2026-10"  # the simulation ends on 2026-10-31


def test_misspelt_parameter_is_refused_before_anything_runs(tmp_path, small_data_dir, tiny_notebooks):
    with pytest.raises(ReportError, match="No report notebook has a parameter 'mnth'"):
        run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks,
                   parameters={"mnth": "2026-08"}, progress=False)
    assert not (tmp_path / "r").exists()


def test_notebook_without_required_parameters_is_refused(tmp_path, small_data_dir):
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "00_bare.ipynb")
    with pytest.raises(ReportError, match="00_bare.ipynb has no parameter month, data, segment"):
        run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=folder, progress=False)


def test_failure_names_notebook_and_cell_and_keeps_the_good_report(tmp_path, small_data_dir, tiny_notebooks):
    out = tmp_path / "reports"
    good = run_report("2026-09", data=small_data_dir, out=out, notebooks_dir=tiny_notebooks, progress=False)
    before = {p.name: p.read_bytes() for p in good.iterdir()}

    _notebook(tiny_notebooks / "02_broken.ipynb", "x = 1", "raise RuntimeError('boom in cell two')")
    with pytest.raises(ReportError) as err:
        run_report("2026-09", data=small_data_dir, out=out, notebooks_dir=tiny_notebooks, progress=False)
    message = str(err.value)
    # cells counted from 1 as in the notebook: parameters, "x = 1", then the failing one
    assert "02_broken.ipynb: cell 3 (`raise RuntimeError('boom in cell two')`)" in message
    assert "RuntimeError: boom in cell two" in message
    assert {p.name: p.read_bytes() for p in good.iterdir()} == before  # untouched, byte for byte
    kept = out / ".failed" / "2026-09" / "02_broken.ipynb"
    assert kept.exists() and "boom in cell two" in kept.read_text()
    assert sorted(p.name for p in out.iterdir()) == [".failed", "2026-09"]  # no half-built folders left

    (tiny_notebooks / "02_broken.ipynb").unlink()  # fixed: the next good run replaces the report
    run_report("2026-09", data=small_data_dir, out=out, notebooks_dir=tiny_notebooks, progress=False)
    assert not (out / ".failed" / "2026-09").exists()  # the old failure no longer describes this report


def test_bad_data_stops_before_any_notebook(tmp_path, small_data_dir, tiny_notebooks):
    bad = tmp_path / "bad"
    shutil.copytree(small_data_dir, bad)
    customers = (bad / "customers.csv").read_text().splitlines()
    customers.append(customers[1])  # a duplicate customer_id
    (bad / "customers.csv").write_text("\n".join(customers) + "\n")
    with pytest.raises(DataValidationError, match="customers.customer_id"):
        run_report("2026-09", data=bad, out=tmp_path / "r", notebooks_dir=tiny_notebooks, progress=False)


def test_segment_report_goes_to_its_own_folder(tmp_path, small_data_dir, tiny_notebooks):
    import csm_kit

    segment = sorted(csm_kit.load_dataset(small_data_dir).customers["segment"].unique())[0]
    folder = run_report("2026-09", data=small_data_dir, out=tmp_path, segment=segment,
                        notebooks_dir=tiny_notebooks, progress=False)
    assert folder.name == f"2026-09_{segment}"
    assert json.loads((folder / "metrics.json").read_text())["notebooks"]["01_second"]["segment_seen"]["value"] == segment
    with pytest.raises(ValueError, match="Unknown segment 'nope'"):
        run_report("2026-09", data=small_data_dir, out=tmp_path, segment="nope", notebooks_dir=tiny_notebooks)


def test_recorded_values_round_trip_through_a_notebook_node():
    nb = new_notebook(cells=[new_code_cell("")])
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={
        MIME_TYPE: json_safe({"name": "nps", "value": float("nan"), "unit": None, "label": "NPS"}),
        "text/plain": "NPS: —"})]
    assert read_recorded(nb) == {"nps": {"name": "nps", "value": None, "unit": None, "label": "NPS"}}


def test_end_to_end_with_the_kit_notebooks(kit_report):
    folder = kit_report  # every notebook of the kit on the small data set (shared with the browser check)
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(
        ["index.html"] + [f"{nb.stem}.html" for nb in report_notebooks()])
    assert {"metrics.json", "scorecard.csv", "manifest.json"} <= {p.name for p in folder.iterdir()}
    metrics = json.loads((folder / "metrics.json").read_text())["notebooks"]
    assert metrics["00_data_overview"]["customers_total"]["value"] == 150
    index = (folder / "index.html").read_text()
    assert "Data overview" in index and "Customers in the data" in index


def test_kit_notebooks_run_on_a_data_set_without_optional_tables(tmp_path):
    from csm_kit.config import CDNOW_DIR

    folder = run_report("1998-06", data=CDNOW_DIR, out=tmp_path, progress=False)
    page = (folder / "00_data_overview.html").read_text()
    assert "not in this data set" in page.lower() and "subscriptions" in page


def test_index_scorecard_uses_targets_and_last_months_report(tmp_path, small_data_dir):
    folder = tmp_path / "nbs"
    folder.mkdir()
    # logo churn recorded as 4.5% in September and 3% in October (target: 2% goal, 4% warning, lower is better)
    _notebook(folder / "00_churn.ipynb", "from csm_kit.record import record\n"
              "record('logo_churn', 0.045 if month == '2026-09' else 0.03, unit='share', label='Logo churn')")
    run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=folder, progress=False)
    october = run_report("2026-10", data=small_data_dir, out=tmp_path / "r", notebooks_dir=folder, progress=False)
    import pandas as pd

    card = pd.read_csv(october / "scorecard.csv").set_index("metric")
    assert card.loc["logo_churn", "status"] == "yellow"
    assert card.loc["logo_churn", "previous"] == 0.045 and round(card.loc["logo_churn", "change"], 3) == -0.015
    index = (october / "index.html").read_text()
    assert "3.0%" in index and "4.5%" in index and "-1.5 pts" in index and "yellow" in index


def test_teaching_cells_reach_the_html_only_when_asked(tmp_path, small_data_dir):
    folder = tmp_path / "nbs"
    folder.mkdir()
    lesson = new_markdown_cell("Promoters minus detractors: the lesson text.")
    lesson.metadata["tags"] = ["teaching"]
    _notebook(folder / "00_lesson.ipynb", new_markdown_cell("# Lesson\n\nAlways shown."), lesson,
              "print('teaching is', teaching)", params=PARAMS + "\nteaching = False  # teaching")
    plain = run_report("2026-09", data=small_data_dir, out=tmp_path / "a", notebooks_dir=folder, progress=False)
    page = (plain / "00_lesson.html").read_text()
    assert "Always shown." in page and "the lesson text" not in page and "teaching is False" in page
    taught = run_report("2026-09", data=small_data_dir, out=tmp_path / "b", notebooks_dir=folder,
                        teaching=True, progress=False)
    page = (taught / "00_lesson.html").read_text()
    assert "the lesson text" in page and "teaching is True" in page
    assert "<a href='00_lesson.html'>Lesson</a>" in (taught / "index.html").read_text()  # title from the heading


def test_report_folder_has_ordinary_permissions_and_manifest_times(tmp_path, small_data_dir, tiny_notebooks):
    import os

    folder = run_report("2026-09", data=small_data_dir, out=tmp_path, notebooks_dir=tiny_notebooks, progress=False)
    umask = os.umask(0)
    os.umask(umask)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask  # not tempfile's private 0700
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["started"] <= manifest["finished"] and manifest["started"].endswith("+00:00")
    assert set(manifest["environment"]) >= {"csm_kit", "python", "pandas"}
    assert all(n["seconds"] > 0 for n in manifest["notebooks"])
    assert "git_revision" in manifest  # None when the kit is not a git checkout


def test_bad_arguments_are_refused_before_the_data_is_read(tmp_path, tiny_notebooks):
    missing = tmp_path / "no-such-data"
    with pytest.raises(ValueError, match="YYYY-MM"):
        run_report("Oct 2026", data=missing, out=tmp_path, notebooks_dir=tiny_notebooks)
    with pytest.raises(ValueError, match="jobs"):
        run_report("2026-10", data=missing, out=tmp_path, notebooks_dir=tiny_notebooks, jobs=0)


def test_first_report_takes_previous_month_from_what_the_notebooks_recorded(tmp_path, small_data_dir):
    folder = tmp_path / "nbs"
    folder.mkdir()
    # NPS +30 (50/30/20 of 100) last month, +20 (40/40/20) now: a 10-point drop inside sampling noise;
    # CSAT 60% of 50 -> 90% of 200 is beyond it. Logo churn 4.5% recorded as previous, 3% now.
    _notebook(folder / "00_area.ipynb", "from csm_kit.record import record\n"
              "record('nps_relationship', 20.0, unit='points', label='NPS', promoters=40, passives=40, detractors=20,\n"
              "       previous=30.0, previous_promoters=50, previous_passives=30, previous_detractors=20)\n"
              "record('csat_support', 0.9, unit='share', successes=180, n=200,\n"
              "       previous=0.6, previous_successes=30, previous_n=50)\n"
              "record('logo_churn', 0.03, unit='share', previous=0.045)")
    first = run_report("2026-10", data=small_data_dir, out=tmp_path / "r", notebooks_dir=folder, progress=False)
    import pandas as pd

    card = pd.read_csv(first / "scorecard.csv").set_index("metric")
    assert card.loc["nps_relationship", "previous"] == 30 and card.loc["nps_relationship", "change"] == -10
    assert card.loc["nps_relationship", "within_noise"] == True  # noqa: E712 (read back from CSV)
    assert card.loc["csat_support", "within_noise"] == False  # noqa: E712
    assert card.loc["logo_churn", "previous"] == 0.045
    index = (first / "index.html").read_text()
    assert "within noise" in index and "beyond noise" in index and "-10" in index

    # once last month's report exists, it is what the previous column shows (what readers saw then)
    _notebook(folder / "00_area.ipynb", "from csm_kit.record import record\n"
              "record('logo_churn', 0.05 if month == '2026-09' else 0.03, unit='share', previous=0.045)")
    run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=folder, progress=False)
    again = run_report("2026-10", data=small_data_dir, out=tmp_path / "r", notebooks_dir=folder, progress=False)
    assert pd.read_csv(again / "scorecard.csv").set_index("metric").loc["logo_churn", "previous"] == 0.05


def test_notebooks_get_the_runners_validated_snapshot_of_the_same_data(tmp_path, small_data_dir, tiny_notebooks):
    import csm_kit

    _notebook(tiny_notebooks / "02_snapshot.ipynb",
              "import csm_kit\nfrom csm_kit.record import record\nfrom csm_kit.report.snapshot import read_snapshot\n"
              "record('snapshot_used', str(read_snapshot(data) is not None))\n"
              "record('fingerprint', csm_kit.load_dataset(data).fingerprint)")
    folder = run_report("2026-09", data=small_data_dir, out=tmp_path, notebooks_dir=tiny_notebooks, progress=False)
    recorded = json.loads((folder / "metrics.json").read_text())["notebooks"]["02_snapshot"]
    assert recorded["snapshot_used"]["value"] == "True"
    assert recorded["fingerprint"]["value"] == csm_kit.load_dataset(small_data_dir).fingerprint
    assert not list(tmp_path.glob(".*snapshot*")) and not list(tmp_path.rglob("*.pkl"))  # never in --out


def test_snapshot_is_used_only_for_the_same_unchanged_source(tmp_path, small_data_dir, monkeypatch):
    import os

    import csm_kit
    from csm_kit.report.snapshot import ENV, read_snapshot, write_snapshot

    data = tmp_path / "data"
    shutil.copytree(small_data_dir, data)
    ds = csm_kit.load_dataset(data)
    snap = write_snapshot(ds, data, tmp_path)
    assert read_snapshot(data) is None  # not announced: a notebook run by hand loads as usual
    monkeypatch.setenv(ENV, str(snap))
    assert read_snapshot(data) is not None and read_snapshot(str(data) + "/") is not None
    assert csm_kit.load_dataset(data) is not ds  # a copy, equal in every table
    assert csm_kit.load_dataset(data).fingerprint == ds.fingerprint
    assert read_snapshot(small_data_dir) is None  # another source
    assert csm_kit.load_dataset(data, tables=["customers"]).subscriptions is None  # a partial load loads
    os.utime(data / "tickets.csv", ns=(1, 1))  # a file touched since: load again
    assert read_snapshot(data) is None
    assert write_snapshot(ds, {"customers": ds.customers}, tmp_path) is None  # in memory: nothing to match


def test_notebooks_start_longest_first_after_a_first_report_and_the_report_keeps_its_order(tmp_path, small_data_dir):
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name in ("00_a", "01_b", "02_c"):
        _notebook(folder / f"{name}.ipynb", "import time\nfrom csm_kit.record import record\n"
                  f"record('started_{name}', time.time())")
    out = tmp_path / "r"

    def started(report):
        recorded = json.loads((report / "metrics.json").read_text())["notebooks"]
        return sorted(recorded, key=lambda nb: recorded[nb][f"started_{nb}"]["value"])

    first = run_report("2026-10", data=small_data_dir, out=out, notebooks_dir=folder, progress=False, pdf=False, jobs=1)
    assert started(first) == ["00_a", "01_b", "02_c"]  # nothing known yet: report order
    manifest = json.loads((first / "manifest.json").read_text())
    seconds = {"00_a.ipynb": 1.0, "01_b.ipynb": 9.0, "02_c.ipynb": 4.0}
    for row in manifest["notebooks"]:
        row["seconds"] = seconds[row["notebook"]]
    (first / "manifest.json").write_text(json.dumps(manifest))
    second = run_report("2026-10", data=small_data_dir, out=out, notebooks_dir=folder, progress=False, pdf=False, jobs=1)
    assert started(second) == ["01_b", "02_c", "00_a"]  # longest first, as the earlier report measured
    again = json.loads((second / "manifest.json").read_text())
    assert [n["notebook"] for n in again["notebooks"]] == ["00_a.ipynb", "01_b.ipynb", "02_c.ipynb"]
    assert set(again["timings"]) >= {"load_and_validate", "snapshot", "notebooks", "index"}
    assert list(json.loads((second / "metrics.json").read_text())["notebooks"]) == ["00_a", "01_b", "02_c"]
