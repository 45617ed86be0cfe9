"""The report runner on hostile input: it stops before anything runs, or publishes safely.

Issue 9's classes: parameters checked against the data before any notebook
runs; publishing never loses or leaks anything (a user's folder, a killed
run's leftovers, the data snapshot, a database password); CSV the kit
writes never starts a cell with a formula.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import csm_kit
from csm_kit.cli import main
from csm_kit.exceptions import ReportError
from csm_kit.report import run_report
from csm_kit.report.publish import OWNER_FILE, SNAPSHOT_PREFIX, remove_stale
from csm_kit.report.runner import report_name
from csm_kit.report.snapshot import ENV
from tests.test_report import PARAMS, _notebook

ROOT = Path(__file__).resolve().parents[1]
CSM_KIT = Path(sys.executable).with_name("csm-kit")


def _marker_notebooks(folder: Path, marker: Path) -> Path:
    """One notebook that writes ``marker`` when it runs: its absence proves no notebook started."""
    folder.mkdir(exist_ok=True)
    _notebook(folder / "00_marker.ipynb", f"open({str(marker)!r}, 'w').write(month)\n"
              "from csm_kit.record import record\nrecord('month_seen', month)")
    return folder


# --- the month is checked against the data before any notebook runs --------------------------------

@pytest.mark.parametrize("month, word", [("2026-02", "2026-03 to 2026-10"), ("2026-11", "2026-03 to 2026-10"),
                                         ("2031-01", "2026-03 to 2026-10")])
def test_month_outside_the_data_stops_before_any_notebook(tmp_path, small_data_dir, month, word, capsys):
    marker = tmp_path / "ran"
    notebooks = _marker_notebooks(tmp_path / "nbs", marker)
    code = main(["report", "--data", str(small_data_dir), "--month", month, "--out", str(tmp_path / "r"),
                 "--notebooks", str(notebooks), "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"--month {month} is outside the data" in err and word in err
    assert "2026-03-01" in err  # the data's first day is named
    assert not marker.exists() and not (tmp_path / "r").exists()


def test_first_and_last_month_of_the_data_are_accepted(tmp_path, small_data_dir):
    notebooks = _marker_notebooks(tmp_path / "nbs", tmp_path / "ran")
    for month in ("2026-03", "2026-10"):
        folder = run_report(month, data=small_data_dir, out=tmp_path / "r", notebooks_dir=notebooks,
                            progress=False, pdf=False)
        assert json.loads((folder / "metrics.json").read_text())["notebooks"]["00_marker"]["month_seen"]["value"] \
            == month


def test_data_without_a_complete_month_is_refused(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,2026-10-03\nc2,2026-10-20\n")
    with pytest.raises(ReportError, match="no complete month"):
        run_report(None, data=tmp_path, out=tmp_path / "r", pdf=False)


# --- runner-owned and user parameters -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["month", "data", "segment", "teaching"])
def test_runner_parameters_cannot_be_overridden_with_p(tmp_path, small_data_dir, name, capsys):
    marker = tmp_path / "ran"
    notebooks = _marker_notebooks(tmp_path / "nbs", marker)
    code = main(["report", "--data", str(small_data_dir), "--month", "2026-09", "--out", str(tmp_path / "r"),
                 "--notebooks", str(notebooks), "-p", f"{name}=2026-05", "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1 and f"-p {name}=... is refused" in err and not marker.exists()


@pytest.fixture
def assumption_notebooks(tmp_path):
    """00 declares gross_margin (float) and horizon_months (int); 01 declares neither."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "00_clv.ipynb",
              "from csm_kit.record import record\nrecord('margin', gross_margin)\n"
              "record('margin_type', type(gross_margin).__name__)\nrecord('horizon', horizon_months)",
              params=('month: str = "2026-10"  # month\ndata: str = ""  # data\nsegment: str = "all"  # segment\n'
                      'gross_margin: float = 0.8  # share of revenue kept after cost of service\n'
                      'horizon_months: int = 36  # months of revenue counted'))
    _notebook(folder / "01_other.ipynb", "from csm_kit.record import record\n"
              "record('has_margin', str('gross_margin' in globals()))")
    return folder


def test_business_assumption_reaches_the_notebooks_that_declare_it_with_its_type(tmp_path, small_data_dir,
                                                                                 assumption_notebooks):
    out = tmp_path / "r"
    assert main(["report", "--data", str(small_data_dir), "--month", "2026-09", "--out", str(out),
                 "--notebooks", str(assumption_notebooks), "-p", "gross_margin=0.75", "-p", "horizon_months=24",
                 "--no-pdf"]) == 0
    metrics = json.loads((out / "2026-09" / "metrics.json").read_text())["notebooks"]
    assert metrics["00_clv"]["margin"]["value"] == 0.75 and metrics["00_clv"]["margin_type"]["value"] == "float"
    assert metrics["00_clv"]["horizon"]["value"] == 24
    assert metrics["01_other"]["has_margin"]["value"] == "False"  # not passed where not declared
    manifest = json.loads((out / "2026-09" / "manifest.json").read_text())
    assert manifest["parameters"]["gross_margin"] == 0.75 and manifest["parameters"]["horizon_months"] == 24


@pytest.mark.parametrize("given, message", [
    ("gross_margin=seventy", "declares gross_margin as float; 'seventy' is not one"),
    ("gross_margin=nan", "declares gross_margin as float; 'nan' is not one"),
    ("horizon_months=2.5", "declares horizon_months as int; '2.5' is not one"),
    ("discount_rate=0.1", "No report notebook has a parameter 'discount_rate'"),
])
def test_bad_business_assumption_is_refused_before_anything_runs(tmp_path, small_data_dir, assumption_notebooks,
                                                                 given, message, capsys):
    code = main(["report", "--data", str(small_data_dir), "--month", "2026-09", "--out", str(tmp_path / "r"),
                 "--notebooks", str(assumption_notebooks), "-p", given, "--no-pdf"])
    assert code == 1 and message in capsys.readouterr().err
    assert not (tmp_path / "r" / "2026-09").exists()


def test_kit_notebook_parameters_are_typed_for_papermill():
    # every parameter of every report notebook has a type papermill reads and a help text
    from csm_kit.report import report_notebooks
    from csm_kit.report.parameters import notebook_parameters

    for nb in report_notebooks():
        for name, spec in notebook_parameters(nb).items():
            assert spec["inferred_type_name"] not in (None, "None"), f"{nb.name}: {name} has no type"
            assert spec["help"].strip(), f"{nb.name}: {name} has no help text"


def test_notebooks_folder_given_as_a_relative_path(tmp_path, small_data_dir, monkeypatch):
    notebooks = _marker_notebooks(tmp_path / "nbs", tmp_path / "ran")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--data", str(small_data_dir), "--month", "2026-09", "--out", "reports",
                 "--notebooks", "nbs", "--no-pdf"]) == 0
    assert (tmp_path / "reports" / "2026-09" / "00_marker.html").exists() and (tmp_path / "ran").exists()


def test_a_notebook_runs_under_the_papermill_cli_from_the_repository_root(tmp_path):
    # no --cwd, data left at its default "": the notebook finds the bundled sample wherever it runs
    output = tmp_path / "out.ipynb"
    done = subprocess.run([str(Path(sys.executable).with_name("papermill")), "notebooks/00_data_overview.ipynb",
                           str(output), "--kernel", "python3", "--no-progress-bar"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Unable to parse line" not in done.stderr  # every parameter line is one papermill understands
    from csm_kit.record import read_recorded

    assert read_recorded(output)["customers_total"]["value"] == 2000


# --- segment folders -----------------------------------------------------------------------------------

def test_segment_folders_are_unique_and_safe():
    names = ["日本", "中国", "Ünïcode", "unicode", "Mid Market", "mid market", "../../etc", ".hidden", "a/b",
             "con", "enterprise", "x" * 300]
    folders = [report_name("2026-10", n) for n in names]
    assert len(set(folders)) == len(folders) and len({f.lower() for f in folders}) == len(folders)
    for folder in folders:
        assert "/" not in folder and not folder.startswith(".") and len(folder) < 80
        assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in folder), folder
    assert report_name("2026-10", "enterprise") == "2026-10_enterprise"


def test_two_non_ascii_segments_get_their_own_report(tmp_path, small_data_dir):
    data = tmp_path / "data"
    ds = csm_kit.load_dataset(small_data_dir)
    renamed = {"smb": "日本", "mid_market": "中国", "enterprise": "한국"}
    ds.with_tables(customers=ds.customers.assign(segment=ds.customers["segment"].map(renamed))).to_dir(data)
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "00_seg.ipynb", "from csm_kit.record import record\nrecord('segment_seen', segment)")
    folders = {s: run_report("2026-09", data=data, out=tmp_path / "r", segment=s, notebooks_dir=notebooks,
                             progress=False, pdf=False) for s in ("日本", "中国")}
    assert folders["日本"] != folders["中国"]
    for segment, folder in folders.items():
        seen = json.loads((folder / "metrics.json").read_text())["notebooks"]["00_seg"]["segment_seen"]["value"]
        assert seen == segment
        assert f"{segment} segment" in (folder / "index.html").read_text()  # named in the headline


# --- publishing: the user's folders, killed runs, the snapshot ------------------------------------------

def test_a_users_folder_with_the_months_name_is_never_replaced(tmp_path, small_data_dir, capsys):
    out = tmp_path / "r"
    mine = out / "2026-09"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my own notes")
    marker = tmp_path / "ran"
    notebooks = _marker_notebooks(tmp_path / "nbs", marker)
    code = main(["report", "--data", str(small_data_dir), "--month", "2026-09", "--out", str(out),
                 "--notebooks", str(notebooks), "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1 and "is not a csm-kit report" in err and "left untouched" in err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"] and (mine / "notes.txt").read_text() == "my own notes"
    assert not marker.exists()
    assert sorted(p.name for p in out.iterdir()) == ["2026-09"]  # nothing half-built left beside it

    # a file of that name, or a folder whose manifest names another report, is refused too
    (mine / "manifest.json").write_text(json.dumps({"report": "2026-08"}))
    with pytest.raises(ReportError, match="not a csm-kit report"):
        run_report("2026-09", data=small_data_dir, out=out, notebooks_dir=notebooks, progress=False, pdf=False)


def test_an_earlier_report_is_replaced(tmp_path, small_data_dir):
    notebooks = _marker_notebooks(tmp_path / "nbs", tmp_path / "ran")
    first = run_report("2026-09", data=small_data_dir, out=tmp_path, notebooks_dir=notebooks, progress=False,
                       pdf=False)
    (first / "stale.txt").write_text("from the first run")
    again = run_report("2026-09", data=small_data_dir, out=tmp_path, notebooks_dir=notebooks, progress=False,
                       pdf=False)
    assert again == first and not (again / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _slow_notebooks(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    _notebook(folder / "00_slow.ipynb", "import time\ntime.sleep(120)")
    return folder


def _start_report(tmp_path, small_data_dir, notebooks, out):
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    # Output to files, not pipes: the notebook kernels inherit the report's stderr and may outlive it by
    # a moment (each exits when it sees its parent gone), so a pipe's end-of-file would time the kernels,
    # not the report.
    proc = subprocess.Popen([str(CSM_KIT), "report", "--data", str(small_data_dir), "--month", "2026-09",
                             "--out", str(out), "--notebooks", str(notebooks), "--no-pdf"],
                            env=env, stdout=(tmp_path / "stdout.txt").open("w"),
                            stderr=(tmp_path / "stderr.txt").open("w"), text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the notebook runs: its build folder and snapshot exist
        building = list(out.glob(".2026-09.building-*")) if out.exists() else []
        snapshots = list((tmp_path / "tmp").glob(SNAPSHOT_PREFIX + "*"))
        if building and snapshots and list(building[0].glob("*.ipynb")):
            return proc, building, snapshots
        if proc.poll() is not None:
            pytest.fail(f"the report ended early: {(tmp_path / 'stderr.txt').read_text()}")
        time.sleep(0.2)
    proc.kill()
    pytest.fail("the report never started its notebook")


def test_sigterm_removes_the_build_folder_and_the_snapshot(tmp_path, small_data_dir):
    out = tmp_path / "r"
    proc, building, snapshots = _start_report(tmp_path, small_data_dir, _slow_notebooks(tmp_path / "nbs"), out)
    assert snapshots[0].stat().st_mode & 0o777 == 0o700  # private while it exists
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM" in err
    assert list(out.iterdir()) == []  # no build folder, no report
    assert list((tmp_path / "tmp").glob(SNAPSHOT_PREFIX + "*")) == []


def test_after_kill_9_the_next_run_removes_the_leftovers_and_only_them(tmp_path, small_data_dir):
    out = tmp_path / "r"
    proc, building, snapshots = _start_report(tmp_path, small_data_dir, _slow_notebooks(tmp_path / "nbs"), out)
    proc.kill()
    proc.wait(timeout=60)
    assert building[0].exists() and snapshots[0].exists()  # nothing could clean up
    not_ours = out / ".2026-09.building-0123456789ab"  # the runner's name pattern, but no owner file
    not_ours.mkdir()
    notebooks = _marker_notebooks(tmp_path / "nbs2", tmp_path / "ran")
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    done = subprocess.run([str(CSM_KIT), "report", "--data", str(small_data_dir), "--month", "2026-09", "--out",
                           str(out), "--notebooks", str(notebooks), "--no-pdf"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not building[0].exists() and not snapshots[0].exists()
    assert not_ours.exists()  # not the runner's: never touched
    assert sorted(p.name for p in out.iterdir()) == [".2026-09.building-0123456789ab", "2026-09"]
    assert list((tmp_path / "tmp").glob(SNAPSHOT_PREFIX + "*")) == []


def test_remove_stale_keeps_folders_of_live_owners(tmp_path):
    from csm_kit.report.publish import new_work_folder

    mine = new_work_folder(tmp_path, "2026-09")
    assert (mine / OWNER_FILE).exists()
    assert remove_stale(tmp_path) == [] and mine.exists()  # this process is alive


def test_the_snapshot_is_private_and_never_inside_out(tmp_path, small_data_dir):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "00_where.ipynb",
              f"import os, stat\nfrom csm_kit.record import record\npath = os.environ[{ENV!r}]\n"
              "record('snapshot_path', path)\n"
              "record('folder_mode', oct(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)))")
    out = tmp_path / "r"
    folder = run_report("2026-09", data=small_data_dir, out=out, notebooks_dir=notebooks, progress=False, pdf=False)
    seen = json.loads((folder / "metrics.json").read_text())["notebooks"]["00_where"]
    path = Path(seen["snapshot_path"]["value"])
    assert out not in path.parents and seen["folder_mode"]["value"] == "0o700"
    assert not path.exists() and not path.parent.exists()  # removed when the run ended
    assert not [p for p in out.rglob("*") if p.suffix == ".pkl"]


# --- a database password never reaches a file or a message ---------------------------------------------

SECRET = "Sup3r-s3cret-pw"


@pytest.fixture
def password_url(tmp_path, small_data_dir):
    """An SQLAlchemy URL that needs a password: SQLite behind a test dialect that checks it on connect."""
    import sqlalchemy
    from sqlalchemy.dialects import registry

    database = tmp_path / "cs.sqlite"
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    ds = csm_kit.load_dataset(small_data_dir)
    with engine.begin() as con:
        for name, frame in ds:
            frame.to_sql(name, con, index=False)
    engine.dispose()
    registry.register("sqlitepw", "tests.password_dialect", "PasswordSQLiteDialect")
    return f"sqlitepw://analyst:{SECRET}@/{database}"


def test_password_dialect_really_needs_the_password(password_url):
    import sqlalchemy

    with pytest.raises(Exception, match="password"):
        sqlalchemy.create_engine(password_url.replace(SECRET, "wrong")).connect()
    assert len(csm_kit.load_dataset(password_url).customers) == 150


def test_a_password_in_the_url_reaches_no_file_and_no_message(tmp_path, password_url, capfd):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "00_db.ipynb",
              "import csm_kit\nfrom csm_kit.record import record\nprint('data is', data)\n"
              "ds = csm_kit.report_data(data)\nrecord('customers', len(ds.customers), unit='customers')",
              "raise_if_asked = None")
    out = tmp_path / "r"
    assert main(["report", "--data", password_url, "--month", "2026-09", "--out", str(out),
                 "--notebooks", str(notebooks)]) == 0
    folder = out / "2026-09"
    # the notebooks got the masked URL and the runner's copy of the data: they never connected
    assert json.loads((folder / "metrics.json").read_text())["notebooks"]["00_db"]["customers"]["value"] == 150
    assert "analyst:***@" in (folder / "00_db.ipynb").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["data"]["source"].startswith("sqlitepw://analyst:***@")
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the password is in {path.name}"
    captured = capfd.readouterr()
    assert SECRET not in captured.out and SECRET not in captured.err

    # a failing run's messages and kept notebooks carry no password either
    _notebook(notebooks / "01_fails.ipynb", "raise RuntimeError('data was ' + data)")
    assert main(["report", "--data", password_url, "--month", "2026-09", "--out", str(out),
                 "--notebooks", str(notebooks), "--no-pdf"]) == 1
    captured = capfd.readouterr()
    assert "data was sqlitepw://analyst:***@" in captured.err and SECRET not in captured.err + captured.out
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the password is in {path}"


# --- the column mapping travels to the loader and into the snapshot's key ------------------------------

def test_mapping_is_passed_to_the_loader_and_keys_the_snapshot(tmp_path, small_data_dir, monkeypatch):
    import csm_kit.io.loaders as loaders
    from csm_kit.report.snapshot import read_snapshot, write_snapshot

    seen = []
    real = loaders.load_dataset

    def load_dataset(source, *, mapping=None, **kwargs):
        seen.append(mapping)
        return real(source, **kwargs)

    monkeypatch.setattr(loaders, "load_dataset", load_dataset)
    notebooks = _marker_notebooks(tmp_path / "nbs", tmp_path / "ran")
    run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=notebooks, progress=False,
               pdf=False, mapping={"customers": {"id": "customer_id"}})
    assert seen == [{"customers": {"id": "customer_id"}}]

    ds = real(small_data_dir)
    snap = write_snapshot(ds, small_data_dir, tmp_path, mapping={"customers": {"id": "customer_id"}})
    monkeypatch.setenv(ENV, str(snap))
    assert read_snapshot(small_data_dir) is not None  # a notebook asking for no mapping gets the runner's
    assert read_snapshot(small_data_dir, mapping={"customers": {"id": "customer_id"}}) is not None
    assert read_snapshot(small_data_dir, mapping={"customers": {"key": "customer_id"}}) is None


# --- CSV the kit writes --------------------------------------------------------------------------------

def test_scorecard_csv_never_starts_a_cell_with_a_formula(tmp_path, small_data_dir):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "00_labels.ipynb", "from csm_kit.record import record\n"
              "record('a', 1.0, label='=HYPERLINK(\"http://evil.invalid\")')\n"
              "record('b', -2.0, label='+1+1', unit='@cmd')\nrecord('c', 3.0, label='-x')\nrecord('d', 4.0, label='@x')")
    folder = run_report("2026-09", data=small_data_dir, out=tmp_path, notebooks_dir=notebooks, progress=False,
                        pdf=False)
    card = pd.read_csv(folder / "scorecard.csv", dtype=str, keep_default_na=False)
    cells = card.drop(columns=["value", "previous", "change", "target", "warning"]).to_numpy().ravel()
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@")] == []
    assert "'=HYPERLINK(\"http://evil.invalid\")" in set(card["label"])  # kept, as text
    assert card.set_index("metric").loc["b", "value"] == "-2.0"  # numbers untouched


# --- the HTML export is a second defence: raw HTML, Markdown or JavaScript outputs stay inert -----------

def test_raw_html_markdown_and_javascript_outputs_are_sanitized(tmp_path, small_data_dir):
    from html.parser import HTMLParser

    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    # a notebook that bypasses csm_kit.display: each payload goes out as raw HTML, Markdown and JavaScript
    _notebook(notebooks / "00_raw.ipynb",
              "from IPython.display import HTML, Javascript, Markdown, display\n"
              "payloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '<svg onload=alert(3)>',\n"
              "            '<iframe src=\"javascript:alert(4)\"></iframe>', '<a href=\"javascript:alert(5)\">x</a>',\n"
              "            '<style>body{display:none}</style>', '<b onmouseover=alert(6)>bold</b>', '[m](javascript:alert(7))']\n"
              "for p in payloads:\n    display(HTML(p))\n    display(Markdown(p))\n"
              "display(Javascript('alert(8)'))\n"
              "display(HTML('<table class=\"csm-table\"><tr><th>kept</th></tr><tr><td>cell</td></tr></table>'))")
    folder = run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=notebooks,
                        progress=False, pdf=False)

    class Live(HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "svg", "object", "embed"):
                self.found.append(tag)
            for name, value in attrs:
                if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                    self.found.append(f"{tag} {name}={value}")

    page = (folder / "00_raw.html").read_text()
    body = page[page.index("<body"):]
    parser = Live()
    parser.feed(body)
    assert parser.found == []
    assert "display:none" not in body and "alert(8)" not in body
    assert "<th>kept</th>" in body and "<td>cell</td>" in body  # ordinary tables survive the sanitizer


def test_a_pdf_failure_publishes_the_pages_without_it_unless_the_pdf_was_asked_for(tmp_path, small_data_dir,
                                                                                   monkeypatch):
    import csm_kit.report.pdf as pdf

    def broken(*args, **kwargs):
        raise ReportError("Chromium could not print report.pdf: crashed")

    monkeypatch.setattr(pdf, "unavailable", lambda: None)
    monkeypatch.setattr(pdf, "write_pdf", broken)
    notebooks = _marker_notebooks(tmp_path / "nbs", tmp_path / "ran")
    with pytest.warns(UserWarning, match="published without report.pdf"):
        folder = run_report("2026-09", data=small_data_dir, out=tmp_path / "a", notebooks_dir=notebooks,
                            progress=False)
    assert not (folder / "report.pdf").exists() and "report.pdf" not in (folder / "index.html").read_text()
    assert "crashed" in json.loads((folder / "manifest.json").read_text())["pdf"]["reason"]
    with pytest.raises(ReportError, match="crashed"):
        run_report("2026-09", data=small_data_dir, out=tmp_path / "b", notebooks_dir=notebooks, progress=False,
                   pdf=True)
    assert not (tmp_path / "b" / "2026-09").exists()
