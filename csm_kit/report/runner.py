"""`run_report`: every area notebook through papermill, into one monthly report folder.

The report is built in a temporary folder beside its target and moved into
place only when every notebook has run and exported, so a failed run never
touches an earlier good report. Failed notebooks are kept under
``<out>/.failed/<report>/`` for inspection.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError
from papermill.execute import ERROR_MARKER_TAG

from ..config import NOTEBOOKS_DIR, PROJECT_ROOT
from ..exceptions import ReportError
from ..periods import latest_complete_month, to_month
from ..record import json_safe, read_recorded
from .html import index_html, notebook_html
from .manifest import environment, git_revision, utc_now
from .parameters import parameters_for
from .snapshot import ENV as SNAPSHOT_ENV, write_snapshot

KERNEL = "python3"


def report_notebooks(notebooks_dir: Path | None = None) -> list[Path]:
    """The report's notebooks: ``NN_name.ipynb`` at the top of the folder, in order.

    Sub-folders (``notebooks/learn/``) and notebooks without the two-digit
    prefix are not part of the report.

    >>> [p.name for p in report_notebooks()][:1]
    ['00_data_overview.ipynb']
    """
    folder = Path(notebooks_dir or NOTEBOOKS_DIR)
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not found:
        raise ReportError(f"No report notebooks (NN_name.ipynb) in {folder}.")
    return found


def _first_markdown(path: Path) -> str:
    try:
        cells = nbformat.read(path, as_version=4).cells
    except (OSError, ValueError):
        return ""
    return next((c.source for c in cells if c.cell_type == "markdown" and c.source.strip()), "")


def notebook_title(path: Path) -> str:
    """The name a reader sees in the index: the notebook's first ``# heading``, else its file name.

    >>> notebook_title(report_notebooks()[0])
    'Data overview'
    >>> notebook_title(Path("03_revenue_and_mrr.ipynb"))  # no such file: from the name
    'Revenue and mrr'
    """
    heading = re.search(r"^#\s+(.+?)\s*$", _first_markdown(path), flags=re.M)
    if heading:
        return heading.group(1)
    return path.stem.split("_", 1)[-1].replace("_", " ").capitalize()


def notebook_blurb(path: Path, limit: int = 220) -> str:
    """The first sentence after the notebook's ``# heading``: what the page answers, for the index.

    Markdown emphasis and code marks are dropped; cut at ``limit`` characters.

    >>> notebook_blurb(report_notebooks()[0])
    'What this report was computed from: the tables that were loaded, ...'
    """
    text = re.sub(r"^#.*$", "", _first_markdown(path), flags=re.M)
    text = " ".join(re.sub(r"[*_`]", "", text).split())
    sentence = re.match(r"(.+?[.!?])(\s|$)", text)
    text = sentence.group(1) if sentence else text
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class _Outcome:
    notebook: Path
    output: Path
    seconds: float
    error: BaseException | None
    html: str | None = None
    html_seconds: float = 0.0


def _execute(nb: Path, output: Path, parameters: dict, progress: bool, teaching: bool) -> _Outcome:
    """Run one notebook, then export its HTML in the same worker (overlapping the other kernel's run)."""
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(nb), str(output), parameters=parameters, kernel_name=KERNEL,
                                   cwd=str(nb.parent), progress_bar=progress and {"desc": nb.stem},
                                   start_timeout=120)
    except Exception as exc:  # kept and reported with the notebook's name by the caller
        return _Outcome(nb, output, time.perf_counter() - started, exc)
    executed = time.perf_counter()
    try:
        page = notebook_html(output, teaching=teaching)
    except Exception as exc:
        return _Outcome(nb, output, executed - started, exc)
    return _Outcome(nb, output, executed - started, None, page, time.perf_counter() - executed)


def _source_cell_number(executed: Path, index: int) -> int:
    """1-based number of a failed cell as its author counts them.

    papermill's ``cell_index`` counts its injected-parameters cell; the notebook it
    writes on failure also has two marker cells added, which are dropped first.
    """
    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return index + 1
    cells = [c for c in cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    injected = [i for i, c in enumerate(cells) if "injected-parameters" in c.metadata.get("tags", [])]
    return index + 1 - sum(1 for i in injected if i < index)


def _describe_failure(outcome: _Outcome) -> str:
    exc = outcome.error
    if isinstance(exc, PapermillExecutionError):
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
        return (f"{outcome.notebook.name}: cell {_source_cell_number(outcome.output, exc.cell_index)} "
                f"(`{first_line.strip()}`) raised {exc.ename}: {exc.evalue}")
    return f"{outcome.notebook.name}: {type(exc).__name__}: {exc}"


def _report_name(month, segment) -> str:
    """``2026-10`` for everyone, ``2026-10_enterprise`` for one segment (made safe as a folder name)."""
    if segment in (None, "", "all"):
        return str(month)
    return f"{month}_{re.sub(r'[^A-Za-z0-9_.-]+', '-', str(segment))}"


def _swap_into_place(built: Path, target: Path) -> None:
    """Replace ``target`` with ``built`` using renames on one file system."""
    backup = target.with_name(f".{target.name}.previous")
    if backup.exists():
        shutil.rmtree(backup)
    if target.exists():
        os.replace(target, backup)
    os.replace(built, target)
    if backup.exists():
        shutil.rmtree(backup)


#: Counts behind survey metrics, also recorded for the previous month as ``previous_<count>=``.
_COUNTS = ("promoters", "passives", "detractors", "successes", "n")


def recorded_previous(metrics: dict) -> dict:
    """Last month's values as the notebooks recorded them, in the shape of ``metrics.json``'s ``notebooks``.

    A notebook that computes a monthly series can give the month before with
    ``record(name, value, previous=..., previous_promoters=..., ...)``: the
    scorecard then has a previous value (and a noise test) on a first report,
    when no report of last month sits beside it.

    >>> recorded_previous({"01_satisfaction": {"nps": {"name": "nps", "value": 20.0, "unit": "points",
    ...     "label": "NPS", "previous": 30.0, "previous_promoters": 5, "previous_passives": 3,
    ...     "previous_detractors": 2}, "csat": {"name": "csat", "value": 0.8}}})
    {'01_satisfaction': {'nps': {'name': 'nps', 'value': 30.0, 'unit': 'points', 'label': 'NPS', 'promoters': 5, 'passives': 3, 'detractors': 2}}}
    """
    found = {}
    for notebook, recorded in metrics.items():
        for name, p in recorded.items():
            if p.get("previous") is None:
                continue
            earlier = {"name": name, "value": p["previous"], "unit": p.get("unit"), "label": p.get("label"),
                       **{c: p[f"previous_{c}"] for c in _COUNTS if f"previous_{c}" in p}}
            if "scorecard" in p:
                earlier["scorecard"] = p["scorecard"]
            found.setdefault(notebook, {})[name] = earlier
    return found


def _scorecard(metrics: dict, month, previous_report: Path):
    """The scorecard of this month's recorded numbers against targets and the previous month.

    The previous month's values come from last month's report beside this one
    (what readers were shown then) and, for metrics it lacks or when there is
    none, from the ``previous=`` values the notebooks recorded.
    """
    from ..metrics.scorecard import metric_values, scorecard

    earlier = {}
    previous = previous_report / "metrics.json"
    if previous.exists():
        for recorded in json.loads(previous.read_text()).get("notebooks", {}).values():
            earlier.update(recorded)
    fallback = {name: p for recorded in recorded_previous(metrics).values() for name, p in recorded.items()
                if name not in earlier}
    docs = [{"month": str(month - 1), "notebooks": {"earlier report": earlier, "recorded": fallback}},
            {"month": str(month), "notebooks": metrics}]
    return scorecard(metric_values(*docs), month=month)


def run_report(month=None, *, data, out="reports", segment: str | None = None, teaching: bool = False,
               jobs: int = 2, notebooks_dir=None, parameters: dict | None = None,
               progress: bool = True) -> Path:
    """Run the report notebooks for one month and write ``<out>/<YYYY-MM>[_<segment>]/``.

    Parameters
    ----------
    month : str, optional
        Reporting month ``YYYY-MM``; default: the latest complete month of the data.
    data : str or Path
        The data source (anything :func:`csm_kit.load_dataset` reads).
    out : str or Path
        Folder that holds the reports.
    segment : str, optional
        Restrict every notebook to one customer segment (``"all"`` or None: everyone).
    teaching : bool
        Keep the cells tagged ``teaching`` in the HTML.
    jobs : int
        Notebooks run at once (each kernel costs ~1.7 s to start, so 2 on 2 cores).
    notebooks_dir : Path, optional
        Where the notebooks are (default: the kit's ``notebooks/``).
    parameters : dict, optional
        Extra notebook parameters; each name must be declared by every notebook.
    progress : bool
        Show a tqdm progress bar (cells done) per notebook.

    Returns
    -------
    Path
        The report folder. It holds the executed notebooks, one HTML per notebook,
        ``index.html``, ``metrics.json``, ``scorecard.csv`` and ``manifest.json``.

    Raises
    ------
    DataValidationError
        The data breaks the contract (checked once, before any notebook runs).
    ReportError
        A notebook or a parameter is wrong; the message names it.
    ValueError
        ``month``, ``segment`` or ``jobs`` is not a valid value.

    Notes
    -----
    A failed run keeps the executed notebooks under ``<out>/.failed/<report>/``;
    the next successful run of the same report removes that folder.

    Examples
    --------
    >>> folder = run_report("2026-10", data="data/sample")   # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())              # doctest: +SKIP
    ['00_data_overview.html', '00_data_overview.ipynb', 'index.html', 'manifest.json', 'metrics.json', 'scorecard.csv']
    """
    from ..io.loaders import load_dataset

    started_at, clock = utc_now(), time.perf_counter()
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs is the number of notebooks run at once (1 or more), not {jobs!r}.")
    if month is not None:
        month = to_month(month)  # a badly written month fails before the data is read
    notebooks = report_notebooks(notebooks_dir)
    source = str(data) if "://" in str(data) else str(Path(data).resolve())
    dataset = load_dataset(source)  # validates once; a DataValidationError stops here
    if month is None:
        last = dataset.coverage["last"].max()
        if last is None or last != last:
            raise ReportError("Cannot choose a month: the data has no dates; pass --month.")
        month = latest_complete_month(last)
    month = to_month(month)
    if segment not in (None, "", "all"):
        dataset.for_segment(segment)  # unknown segment -> clear error now, not in every notebook

    wanted = {"month": str(month), "data": source, "segment": segment or "all", "teaching": teaching}
    plan = {nb: parameters_for(nb, wanted, parameters) for nb in notebooks}

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    name = _report_name(month, segment)
    target = out / name
    # Built beside the target (same file system, so the final rename is atomic); mkdir, not
    # mkdtemp, so the report gets the user's usual permissions rather than 0700.
    build = out / f".{name}.building-{uuid.uuid4().hex[:8]}"
    build.mkdir()
    # The notebooks' load_dataset(data) gets the data validated above from a pickle (snapshot.py)
    snap = write_snapshot(dataset, source, out / f".{name}.snapshot-{uuid.uuid4().hex[:8]}.pkl")
    announced = os.environ.get(SNAPSHOT_ENV)
    try:
        if snap is not None:
            os.environ[SNAPSHOT_ENV] = str(snap)  # inherited by the kernels started below
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(lambda nb: _execute(nb, build / nb.name, plan[nb], progress, teaching), notebooks))
        _restore_env(SNAPSHOT_ENV, announced)
        failed = [o for o in outcomes if o.error is not None]
        if failed:
            kept = out / ".failed" / name
            if kept.exists():
                shutil.rmtree(kept)
            kept.mkdir(parents=True)
            for o in failed:
                if o.output.exists():
                    shutil.copy2(o.output, kept / o.output.name)
            lines = "\n".join("  " + _describe_failure(o) for o in failed)
            raise ReportError(f"The {name} report failed; the earlier report (if any) is untouched.\n"
                              f"{lines}\nExecuted notebooks kept for inspection in {kept}")

        metrics, areas = {}, []
        for o in outcomes:
            (build / f"{o.notebook.stem}.html").write_text(o.html, encoding="utf-8")
            metrics[o.notebook.stem] = read_recorded(o.output)
            areas.append({"title": notebook_title(o.notebook), "href": f"{o.notebook.stem}.html",
                          "blurb": notebook_blurb(o.notebook)})
        card = _scorecard(json_safe(metrics), month, out / _report_name(month - 1, segment))
        card.to_csv(build / "scorecard.csv", index=False)
        rows = json_safe(card.to_dict("records"))
        (build / "metrics.json").write_text(json.dumps(json_safe({"month": str(month), "segment": segment or "all",
                                                                  "notebooks": metrics}), indent=2))
        meta = f"Data: {dataset.source} · fingerprint {dataset.fingerprint} · segment: {segment or 'all'}"
        (build / "index.html").write_text(index_html(title=f"Customer-success report, {month}", meta=meta,
                                                     areas=areas, scorecard_rows=rows,
                                                     warnings=list(dataset.warnings)), encoding="utf-8")
        manifest = {
            "report": name, "parameters": wanted | (parameters or {}),
            "data": {"source": dataset.source, "fingerprint": dataset.fingerprint,
                     "warnings": list(dataset.warnings)},
            "git_revision": git_revision(PROJECT_ROOT),
            "environment": environment(),
            "notebooks": [{"notebook": o.notebook.name, "seconds": round(o.seconds, 2),
                           "html_seconds": round(o.html_seconds, 2)} for o in outcomes],
            "started": started_at, "finished": utc_now(),
            "wall_seconds": round(time.perf_counter() - clock, 2),
        }
        (build / "manifest.json").write_text(json.dumps(json_safe(manifest), indent=2))
        _swap_into_place(build, target)
        shutil.rmtree(out / ".failed" / name, ignore_errors=True)  # an older failure no longer applies
    finally:
        _restore_env(SNAPSHOT_ENV, announced)
        if snap is not None:
            snap.unlink(missing_ok=True)
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return target


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
