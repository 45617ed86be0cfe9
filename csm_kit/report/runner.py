"""`run_report`: every area notebook through papermill, into one monthly report folder.

The report is built in a temporary folder beside its target and moved into
place only when every notebook has run and exported, so a failed run never
touches an earlier good report. Failed notebooks are kept under
``<out>/.failed/<report>/`` for inspection. Everything that can be checked
before a notebook starts is checked first: the month against the data's
coverage, the segment, every parameter's name and type, and that the
report's folder is free or an earlier report (:mod:`.publish`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import unicodedata
import warnings
from concurrent.futures import CancelledError, ThreadPoolExecutor
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
from .manifest import environment, git_revision, utc_now
from .parameters import check_user_parameters, notebook_parameters, parameters_for
from .publish import (check_target, new_work_folder, private_folder, remove_stale, swap_into_place,
                      terminating_cleanly)
from .engines import ENV as FITS_ENV
from .kernels import EXTRA_ARGUMENTS, KERNEL, START_ATTEMPTS, KernelPool
from .snapshot import ENV as SNAPSHOT_ENV, is_url, redact, write_snapshot

#: How the runner's kernels start and stop (nbclient options, passed through papermill). Every output of a
#: notebook has arrived when its last cell has replied, so the kernel is stopped at once instead of asked to
#: shut down and waited for (0.5-1.2 s a notebook, idle); its input history is kept in memory, not in the
#: user's IPython history database, which two kernels at once would otherwise both write.
KERNEL_OPTIONS = {"shutdown_kernel": "immediate", "extra_arguments": list(EXTRA_ARGUMENTS)}
#: What nbclient raises when a fresh kernel's process ends before it answers (nothing of the notebook has run).
DIED_AT_START = "Kernel died before replying to kernel_info"


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


def _execute(nb: Path, output: Path, parameters: dict, progress: bool, teaching: bool, km=None,
             export: bool = True) -> _Outcome:
    """Run one notebook, then export its HTML in the same worker (overlapping the other kernel's run).

    ``km``: a running kernel's manager (:mod:`.kernels`), which papermill's
    nbclient uses without owning it (it stays running); None: papermill
    starts a fresh kernel for this notebook and stops it after.
    ``export`` False: the notebook only (:func:`_export` later). A fresh
    kernel that dies before it answers (see :mod:`.kernels`: a port taken
    between its choice and the kernel's bind) is started again, as the pool
    does for its kernels: no cell has run, so nothing is run twice.
    """
    started = time.perf_counter()
    kernel = {"km": km} if km is not None else KERNEL_OPTIONS
    for attempt in range(1, (1 if km is not None else START_ATTEMPTS) + 1):
        try:
            papermill.execute_notebook(str(nb), str(output), parameters=parameters, kernel_name=KERNEL,
                                       cwd=str(nb.parent), progress_bar=progress and {"desc": nb.stem},
                                       start_timeout=120, **kernel)
        except Exception as exc:  # kept and reported with the notebook's name by the caller
            if km is None and attempt < START_ATTEMPTS and DIED_AT_START in str(exc):
                continue
            return _Outcome(nb, output, time.perf_counter() - started, exc)
        break
    done = _Outcome(nb, output, time.perf_counter() - started, None)
    return _export(done, teaching) if export else done


def _export(outcome: _Outcome, teaching: bool) -> _Outcome:
    """The outcome of a notebook that ran, with its page's HTML (or the export's error)."""
    started = time.perf_counter()
    try:
        from .html import notebook_html  # nbconvert: imported while the other kernel runs, not before the first

        page = notebook_html(outcome.output, teaching=teaching)
    except Exception as exc:
        return _Outcome(outcome.notebook, outcome.output, outcome.seconds, exc)
    return _Outcome(outcome.notebook, outcome.output, outcome.seconds, None, page, time.perf_counter() - started)


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


_SAFE_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_.-]{0,59}")


def report_name(month, segment=None) -> str:
    """The report's folder name: ``2026-10`` for everyone, ``2026-10_<segment>`` for one segment.

    A segment name that is already a safe, lower-case file name (letters,
    digits, ``_ . -``) is used as it is. Any other name (capitals, spaces,
    accents, other scripts, slashes) becomes a readable ASCII slug plus the
    first 8 hex digits of the SHA-256 of the exact name, so two segments
    never share a folder, whatever the file system folds together.

    >>> report_name("2026-10"), report_name("2026-10", "enterprise")
    ('2026-10', '2026-10_enterprise')
    >>> report_name("2026-10", "Mid Market") == report_name("2026-10", "mid market")
    False
    >>> report_name("2026-10", "Mid Market")
    '2026-10_mid-market-97c9e313'
    >>> report_name("2026-10", "日本") != report_name("2026-10", "中国")
    True
    """
    if segment in (None, "", "all"):
        return str(month)
    text = str(segment)
    if _SAFE_SEGMENT.fullmatch(text) and not text.endswith(".") and not re.search(r"-[0-9a-f]{8}$", text):
        return f"{month}_{text}"
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")[:40].strip("-") or "segment"
    return f"{month}_{slug}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


_report_name = report_name


def check_month(month, dataset) -> None:
    """Refuse a reporting month outside the data: before its first month, or after its last complete month.

    A month after the data would publish a plausible report of nothing
    (churn 0%, no active accounts); a month before it fails late in several
    notebooks. The message names the data's coverage.

    >>> import pandas as pd
    >>> from csm_kit.dataset import Dataset
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["a", "b"],
    ...     "signup_date": pd.to_datetime(["2026-01-05", "2026-03-31"])}))
    >>> check_month(to_month("2026-03"), ds)
    >>> check_month(to_month("2026-04"), ds)
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.ReportError: --month 2026-04 is outside the data: it runs from 2026-01-05 to 2026-03-31, so the months it can report are 2026-01 to 2026-03.
    """
    coverage = dataset.coverage
    first, last = coverage["first"].dropna(), coverage["last"].dropna()
    if first.empty or last.empty:
        raise ReportError("The data has no dates, so no month can be reported.")
    first, last = min(first), max(last)
    first_month, last_month = first.to_period("M"), latest_complete_month(last)
    span = f"it runs from {first.date()} to {last.date()}"
    if last_month < first_month:
        raise ReportError(f"The data covers no complete month ({span}); a monthly report needs one.")
    if not first_month <= month <= last_month:
        raise ReportError(f"--month {month} is outside the data: {span}, so the months it can report are "
                          f"{first_month} to {last_month}.")


def data_label(source) -> str:
    """How the index names the data: a folder's or file's name, a database URL's backend and database.

    Never a local path (it says nothing to a reader, and shows where files live) nor a password.

    >>> data_label("/home/ana/exports/acme-2026"), data_label("postgresql://u:pw@db.internal/cs")
    ('acme-2026', 'postgresql database cs')
    """
    text = str(source)
    if is_url(text):
        try:
            import sqlalchemy

            url = sqlalchemy.engine.make_url(text)
            return f"{url.get_backend_name()} database {Path(url.database or '').name or url.host or ''}".strip()
        except Exception:
            return redact(text).split("://", 1)[0] + " database"
    return Path(text).name or text


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
    # A survey wave last month's report showed again is no previous value: the notebook's previous= (the
    # previous distinct wave) is used instead, so a wave is never compared with itself.
    for recorded in metrics.values():
        for name, p in recorded.items():
            if p.get("wave") is not None and earlier.get(name, {}).get("wave") == p.get("wave"):
                earlier.pop(name)
    fallback = {name: p for recorded in recorded_previous(metrics).values() for name, p in recorded.items()
                if name not in earlier}
    docs = [{"month": str(month - 1), "notebooks": {"earlier report": earlier, "recorded": fallback}},
            {"month": str(month), "notebooks": metrics}]
    return scorecard(metric_values(*docs), month=month)


def run_report(month=None, *, data, out="reports", segment: str | None = None, teaching: bool = False,
               jobs: int = 2, notebooks_dir=None, parameters: dict | None = None,
               progress: bool = True, mapping=None, pdf: bool | None = None, share_fits: bool = True,
               fresh_kernels: bool = False, kernels: KernelPool | None = None) -> Path:
    """Run the report notebooks for one month and write ``<out>/<YYYY-MM>[_<segment>]/``.

    Parameters
    ----------
    month : str, optional
        Reporting month ``YYYY-MM``; default: the latest complete month of the
        data. A month before the data's first month or after its last
        complete month is refused.
    data : str or Path
        The data source (anything :func:`csm_kit.load_dataset` reads; empty:
        the bundled sample, as in the notebooks). A URL's password is never written anywhere: the notebooks get the URL
        with the password masked and read the runner's validated copy.
    out : str or Path
        Folder that holds the reports.
    segment : str, optional
        Restrict every notebook to one customer segment (``"all"`` or None: everyone).
    teaching : bool
        Keep the cells tagged ``teaching`` in the HTML.
    jobs : int
        Notebooks run at once, each worker in its own kernel (2 on 2 cores).
    notebooks_dir : Path, optional
        Where the notebooks are (default: the kit's ``notebooks/``); relative
        to the current directory.
    parameters : dict, optional
        The user's own notebook parameters (business assumptions such as
        ``gross_margin``): each goes to the notebooks that declare it,
        converted to the declared type; a name no notebook declares, a value
        of the wrong type, or one of the runner's own parameters (month,
        data, segment, teaching) is refused before anything runs.
    progress : bool
        Show a tqdm progress bar (cells done) per notebook.
    mapping : optional
        Column mapping for the loader (passed to :func:`csm_kit.load_dataset`
        as ``mapping=``); the notebooks get the data loaded with it.
    pdf : bool, optional
        Write ``report.pdf`` (the index and every page, by headless Chromium):
        True requires it, False skips it, None (default) writes it when
        Chromium and Playwright are available and says in the manifest why not otherwise.
    share_fits : bool
        Fit each model (the churn-risk engine) once per report and give the
        same fit to every notebook that asks for it (:mod:`.engines`);
        False: every notebook fits its own (the numbers are the same, only slower).
    fresh_kernels : bool
        Run every notebook in its own fresh kernel, started for it and stopped
        after it, as papermill does alone. Default (False): each of the
        ``jobs`` workers starts one kernel, imports the kit in it once, and
        runs its notebooks in it one after another, the kernel reset between
        two notebooks to the state of a fresh one (:mod:`.kernels`,
        :mod:`.kernel_state`); the pages and numbers are the same, the
        sample report takes about a quarter less wall time and CPU. A failed
        notebook's kernel is replaced.
    kernels : KernelPool, optional
        Reused kernels already started (by the CLI, so they warm up while it
        imports the runner); default: the run starts its own. Closed when the run ends.

    Returns
    -------
    Path
        The report folder. It holds the executed notebooks, one HTML per notebook,
        ``index.html``, ``report.pdf``, ``metrics.json``, ``scorecard.csv`` and ``manifest.json``.

    Raises
    ------
    DataValidationError
        The data breaks the contract (checked once, before any notebook runs).
    ReportError
        A notebook, a parameter, the month or the output folder is wrong; the message names it.
    ValueError
        ``month``, ``segment`` or ``jobs`` is not a valid value.

    Notes
    -----
    A failed run keeps the executed notebooks under ``<out>/.failed/<report>/``;
    the next successful run of the same report removes that folder. A run
    stopped by SIGTERM removes its build folder and data snapshot; leftovers
    of a run killed outright are removed by the next run (:mod:`.publish`).

    Examples
    --------
    >>> folder = run_report("2026-10", data="data/sample")   # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())              # doctest: +SKIP
    ['00_data_overview.html', '00_data_overview.ipynb', 'index.html', 'manifest.json', 'metrics.json', ...]
    """
    started_at, clock = utc_now(), time.perf_counter()
    opened = [kernels] if kernels is not None else []  # closed when the run ends, however it ends
    try:
        folder = _run_report(month, data=data, out=out, segment=segment, teaching=teaching, jobs=jobs,
                             notebooks_dir=notebooks_dir, parameters=parameters, progress=progress,
                             mapping=mapping, pdf=pdf, share_fits=share_fits, fresh_kernels=fresh_kernels,
                             opened=opened, started_at=started_at, clock=clock)
    except BaseException:  # don't wait for a kernel still importing: its worker stops it when done
        for pool in opened:
            pool.close(wait=False)
        raise
    for pool in opened:
        pool.close()
    return folder


def _run_report(month, *, data, out, segment, teaching, jobs, notebooks_dir, parameters, progress, mapping, pdf,
                share_fits, fresh_kernels, opened, started_at, clock) -> Path:
    from ..io.loaders import load_dataset
    from ..metrics.pages import last_observed_day
    from . import pdf as pdf_module

    timings = {}  # seconds of each step of the run, for manifest.json
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs is the number of notebooks run at once (1 or more), not {jobs!r}.")
    if month is not None:
        month = to_month(month)  # a badly written month fails before the data is read
    notebooks = [nb.resolve() for nb in report_notebooks(Path(notebooks_dir).resolve() if notebooks_dir else None)]
    declared = {nb: notebook_parameters(nb) for nb in notebooks}
    check_user_parameters(declared, parameters)
    pdf_missing = pdf_module.unavailable() if pdf is not False else "not asked for"
    if pdf is True and pdf_missing:
        raise ReportError(f"Cannot write report.pdf: {pdf_missing}.")
    kernels = None
    if not fresh_kernels:  # given (started by the CLI), or started now: they import the kit while the data is read
        kernels = opened[0] if opened else KernelPool(jobs, cwd=notebooks[0].parent)
        opened[:] = [kernels]
    if data is None or str(data) == "":  # as in the notebooks: empty means the bundled sample
        from ..config import SAMPLE_DIR

        data = SAMPLE_DIR
    source = str(data) if is_url(str(data)) else str(Path(data).resolve())
    shown_source = redact(source)  # what notebooks, manifest, pages and messages see
    step = time.perf_counter()
    dataset = load_dataset(source) if mapping is None else load_dataset(source, mapping=mapping)
    timings["load_and_validate"] = time.perf_counter() - step
    if month is None:
        try:
            month = latest_complete_month(last_observed_day(dataset))
        except ValueError:
            raise ReportError("Cannot choose a month: the data has no dates; pass --month.") from None
    month = to_month(month)
    check_month(month, dataset)
    if segment not in (None, "", "all"):
        dataset.for_segment(segment)  # unknown segment -> clear error now, not in every notebook

    wanted = {"month": str(month), "data": shown_source, "segment": segment or "all", "teaching": teaching}
    plan = {nb: parameters_for(nb, wanted, parameters, declared[nb]) for nb in notebooks}
    user_parameters = {k: v for nb_plan in plan.values() for k, v in nb_plan.items() if k not in wanted}

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)  # leftovers of runs killed outright (their owner process is gone)
    name = report_name(month, segment)
    target = out / name
    check_target(target, name)  # a folder of the user's with this name is never replaced
    announced, announced_fits = os.environ.get(SNAPSHOT_ENV), os.environ.get(FITS_ENV)
    build = snapshot_dir = printer = None
    with terminating_cleanly():
        try:
            # Built beside the target (same file system, so the final rename is atomic).
            build = new_work_folder(out, name)
            # The notebooks' load_dataset(data) gets the data validated above, from a pickle in a
            # private folder (0700, outside --out: it holds the whole customer data set)
            step = time.perf_counter()
            snapshot_dir = private_folder()
            snap = write_snapshot(dataset, source, snapshot_dir, mapping=mapping)
            if snap is not None:
                os.environ[SNAPSHOT_ENV] = str(snap)  # inherited by fresh kernels, given to reused ones before each notebook
            os.environ.pop(FITS_ENV, None)
            if share_fits:  # fitted models shared by the notebooks, private as the snapshot
                fits = snapshot_dir / "fits"
                fits.mkdir(mode=0o700)
                fits.chmod(0o700)
                os.environ[FITS_ENV] = str(fits)
            timings["before_notebooks"] = step - clock
            timings["snapshot"] = time.perf_counter() - step
            step = time.perf_counter()
            threading.Thread(target=_import_for_the_end, name="csm-kit-imports", daemon=True).start()
            if not pdf_missing:  # Playwright and Chromium start while the notebooks run, not after them
                printer = pdf_module.Printer()
            outcomes = _run_all(notebooks, build, plan, progress, teaching, jobs,
                                order=start_order(notebooks, previous_seconds(out)), kernels=kernels)
            timings["notebooks"] = time.perf_counter() - step
            step = time.perf_counter()
            _restore_env(SNAPSHOT_ENV, announced)
            _restore_env(FITS_ENV, announced_fits)
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
            card = _scorecard(json_safe(metrics), month, out / report_name(month - 1, segment))
            from ..display import csv_safe

            csv_safe(card).to_csv(build / "scorecard.csv", index=False)
            rows = json_safe(card.to_dict("records"))
            (build / "metrics.json").write_text(json.dumps(json_safe({"month": str(month),
                                                                      "segment": segment or "all",
                                                                      "notebooks": metrics}), indent=2))
            from .html import index_html

            title = f"Customer-success report, {month}" + (f": {segment} segment" if segment not in
                                                             (None, "", "all") else "")
            meta = (f"Data: {data_label(source)} · fingerprint {dataset.fingerprint} · "
                    f"segment: {segment or 'all'}")
            (build / "index.html").write_text(index_html(title=title, meta=meta, areas=areas, scorecard_rows=rows,
                                                         warnings=list(dataset.warnings),
                                                         pdf_href=None if pdf_missing else "report.pdf"),
                                              encoding="utf-8")
            timings["index"] = time.perf_counter() - step
            pdf_seconds, pdf_note = 0.0, pdf_missing
            if not pdf_missing:
                pdf_started = time.perf_counter()
                pages = [build / "index.html"] + [build / a["href"] for a in areas]
                try:
                    pdf_module.write_pdf(pages, build / "report.pdf", title=title, printer=printer)
                except ReportError as exc:  # asked for: the run fails; by default the pages are published without
                    if pdf is True:
                        raise
                    pdf_note = str(exc)
                    warnings.warn(f"{pdf_note} The report is published without report.pdf.", stacklevel=2)
                    (build / "report.pdf").unlink(missing_ok=True)
                    (build / "index.html").write_text(index_html(title=title, meta=meta, areas=areas,
                                                                 scorecard_rows=rows, warnings=list(dataset.warnings)),
                                                      encoding="utf-8")  # no link to a PDF that isn't there
                pdf_seconds = time.perf_counter() - pdf_started
            manifest = {
                "report": name, "parameters": wanted | user_parameters,
                "data": {"source": shown_source, "fingerprint": dataset.fingerprint,
                         "warnings": list(dataset.warnings)},
                "git_revision": git_revision(PROJECT_ROOT),
                "environment": environment(),
                "notebooks": [{"notebook": o.notebook.name, "seconds": round(o.seconds, 2),
                               "html_seconds": round(o.html_seconds, 2)} for o in outcomes],
                "pdf": {"file": "report.pdf", "seconds": round(pdf_seconds, 2)} if (build / "report.pdf").exists()
                else {"file": None, "reason": pdf_note},
                "kernels": ({"mode": "reused", "started": kernels.kernels_started} if kernels is not None
                            else {"mode": "fresh", "started": len(notebooks)}),
                "timings": {k: round(v, 2) for k, v in timings.items()},
                "started": started_at, "finished": utc_now(),
                "wall_seconds": round(time.perf_counter() - clock, 2),
            }
            if mapping is not None:
                manifest["data"]["mapping"] = redact(mapping) if isinstance(mapping, (str, Path)) else "given"
            (build / "manifest.json").write_text(json.dumps(json_safe(manifest), indent=2))
            swap_into_place(build, target, name)
            shutil.rmtree(out / ".failed" / name, ignore_errors=True)  # an older failure no longer applies
        finally:
            if printer is not None:
                printer.close()
            _restore_env(SNAPSHOT_ENV, announced)
            _restore_env(FITS_ENV, announced_fits)
            for folder in (snapshot_dir, build):
                if folder is not None:
                    _remove(folder)
    return target


def previous_seconds(out: Path) -> dict[str, float]:
    """Seconds each notebook took in the newest earlier report under ``out`` (its ``manifest.json``), by file name.

    Empty when there is none (a first report) or its manifest cannot be read.

    >>> import tempfile
    >>> previous_seconds(Path(tempfile.mkdtemp()))
    {}
    """
    manifests = []
    for path in Path(out).glob("*/manifest.json"):
        try:
            manifests.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(manifests, reverse=True):
        try:
            rows = json.loads(path.read_text()).get("notebooks", [])
            return {r["notebook"]: float(r["seconds"]) for r in rows if isinstance(r, dict) and "seconds" in r}
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return {}


def start_order(notebooks: list[Path], seconds: dict[str, float]) -> list[Path]:
    """The order notebooks are started in: longest first by ``seconds`` (earlier runs), unknown ones first.

    With two kernels at once, a long notebook started last runs alone while the
    other core waits; starting the longest first leaves the short ones to fill
    in at the end. Notebooks of equal (or unknown) length keep their report
    order. The report itself is always in report order.

    >>> nbs = [Path("00_a.ipynb"), Path("01_b.ipynb"), Path("02_c.ipynb"), Path("03_d.ipynb")]
    >>> [p.name for p in start_order(nbs, {"00_a.ipynb": 5.0, "01_b.ipynb": 9.0, "02_c.ipynb": 5.0})]
    ['03_d.ipynb', '01_b.ipynb', '00_a.ipynb', '02_c.ipynb']
    """
    return sorted(notebooks, key=lambda nb: -seconds.get(nb.name, float("inf")))


def _run_all(notebooks, build: Path, plan: dict, progress: bool, teaching: bool, jobs: int,
             order: list[Path] | None = None, kernels: KernelPool | None = None) -> list[_Outcome]:
    """Every notebook, ``jobs`` at a time, started in ``order``; outcomes in report order.

    ``kernels``: run them in the pool's reused kernels; None: each in a
    fresh kernel of its own. On an interruption, queued notebooks are cancelled at once.
    """
    if kernels is not None:
        return _run_in(kernels, notebooks, build, plan, progress, teaching, order)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {nb: pool.submit(_execute, nb, build / nb.name, plan[nb], progress, teaching)
                   for nb in (order or notebooks)}
        return [futures[nb].result() for nb in notebooks]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _run_in(kernels: KernelPool, notebooks, build: Path, plan: dict, progress: bool, teaching: bool,
            order: list[Path] | None) -> list[_Outcome]:
    """Every notebook in the pool's reused kernels, queued in ``order``; outcomes in report order.

    A notebook whose kernel could not start or be reset fails with that
    reason, as one that raised; the others still run. Each page's HTML is
    exported in a thread of its own while the kernel goes on to its next notebook.
    """
    exporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csm-kit-html")
    exports = {}

    def task(nb):
        def run(km):
            outcome = _execute(nb, build / nb.name, plan[nb], progress, teaching, km=km, export=False)
            if outcome.error is None:
                exports[nb] = exporter.submit(_export, outcome, teaching)
            return outcome, outcome.error is None
        return run

    futures = {nb: kernels.submit(task(nb), nb.parent) for nb in (order or notebooks)}
    try:
        outcomes = []
        for nb in notebooks:
            try:
                outcome = futures[nb].result()
            except CancelledError:
                raise
            except Exception as exc:
                outcome = _Outcome(nb, build / nb.name, 0.0, exc)
            outcomes.append(exports[nb].result() if nb in exports else outcome)
        return outcomes
    finally:
        for future in futures.values():
            future.cancel()
        exporter.shutdown(wait=False, cancel_futures=True)


def _import_for_the_end() -> None:
    """Import what the run needs after its notebooks (the scorecard's metrics, the HTML export), while they run.

    The runner's process is idle while its kernels work; importing
    ``csm_kit.metrics`` (every metric module, 1-2 s) then, instead of after
    the last notebook, takes it off the report's wall time. A failure here is
    left for the real import to report.
    """
    try:
        from . import html  # noqa: F401
        from ..metrics import scorecard  # noqa: F401
    except Exception:
        pass


def _remove(folder: Path) -> None:
    """Remove one of the runner's own folders, even while a kernel may still write into it.

    The folder is first renamed (a writer opening a file by its old path then
    fails instead of re-creating it), then deleted.
    """
    folder = Path(folder)
    if not folder.exists():
        return
    doomed = folder.with_name(folder.name + "0")  # still a name remove_stale() recognises
    try:
        os.replace(folder, doomed)
    except OSError:
        doomed = folder
    for _ in range(5):
        shutil.rmtree(doomed, ignore_errors=True)
        if not doomed.exists():
            return
        time.sleep(0.1)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
