"""The sample monthly report, timed: where its wall time goes.

Builds ``csm-kit report --month 2026-10`` on the bundled sample in a
subprocess (as a user runs it, into a temporary folder) and prints the
breakdown from the report's ``manifest.json`` and its executed notebooks:

- the whole command (wall, and the CPU seconds of it and its kernels);
- the runner's steps: checks, data load and validation, snapshot, the
  notebooks (two kernels at once), index and scorecard, PDF;
- per notebook: seconds, of which kernel start (until its first cell; with
  reused kernels, the client's connection only: the kernel started and
  imported the kit before), the first code cell (imports, data, the page's
  computation), the other cells (mostly charts), kernel stop;
- the imports a kernel pays before any work, timed in a fresh interpreter;
- the machine's load average before and after (other work shares the cores).

Nothing is asserted; speed is measured here, never in tests.

Usage::

    .venv/bin/python benchmarks/report.py                  # one run
    .venv/bin/python benchmarks/report.py --runs 2         # the second run starts the notebooks longest first
    .venv/bin/python benchmarks/report.py --no-share-fits  # every notebook fits its own models (for comparison)
    .venv/bin/python benchmarks/report.py --runs 2 --jobs 3
    .venv/bin/python benchmarks/report.py --before         # the runner without these speed-ups, same machine state
    .venv/bin/python benchmarks/report.py --fresh-kernels  # one kernel per notebook (csm-kit report --fresh-kernels)
    .venv/bin/python benchmarks/report.py --compare 3      # reused and fresh kernels in turn, 3 of each, same load
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
MONTH = "2026-10"
IMPORTS = "import csm_kit, csm_kit.plotting, csm_kit.metrics, csm_kit.models, lifelines, seaborn, matplotlib.pyplot"


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def import_seconds() -> float:
    """Wall seconds of the kit's usual imports in a fresh interpreter (best of 3)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([str(PYTHON), "-c", IMPORTS], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    base = min(_python_start() for _ in range(3))
    return best - base


def _python_start() -> float:
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "-c", "pass"], check=True)
    return time.perf_counter() - started


def notebook_breakdown(path: Path) -> dict:
    """Kernel start, first cell, other cells and kernel stop of one executed notebook (papermill's times)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pm = nb.metadata.get("papermill", {})
    cells = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("papermill", {}).get("start_time")]
    if not cells or not pm.get("start_time"):
        return {}
    times = [(_t(c.metadata.papermill["start_time"]), _t(c.metadata.papermill["end_time"])) for c in cells]
    code = [i for i, c in enumerate(cells) if "parameters" not in c.metadata.get("tags", [])
            and "injected-parameters" not in c.metadata.get("tags", [])]
    first = code[0] if code else 0
    return {"start": (times[0][0] - _t(pm["start_time"])).total_seconds(),
            "first_cell": (times[first][1] - times[first][0]).total_seconds(),
            "other_cells": sum((e - s).total_seconds() for i, (s, e) in enumerate(times) if i != first),
            "stop": (_t(pm["end_time"]) - times[-1][1]).total_seconds()}


#: The runner without this work's speed-ups, for a comparison at the same load: every notebook fits its own
#: models, kernels are asked to shut down and waited for, notebooks start in report order, nothing is imported
#: ahead.
BEFORE = ("import csm_kit.report.runner as r; r.KERNEL_OPTIONS = {}; r.start_order = lambda nbs, seconds: nbs; "
          "r._import_for_the_end = lambda: None; ")


def run(out: Path, share_fits: bool, jobs: int = 2, before: bool = False, fresh_kernels: bool = False) -> dict:
    env = dict(os.environ)
    command = [str(ROOT / ".venv" / "bin" / "csm-kit"), "report", "--month", MONTH, "--out", str(out),
               "--jobs", str(jobs)] + (["--fresh-kernels"] if fresh_kernels else [])
    if before or not share_fits:  # the runner's switches have no CLI flags: run it through Python
        command = [str(PYTHON), "-c", (BEFORE if before else "") + "from csm_kit.report import run_report; "
                   f"run_report({MONTH!r}, data='', out={str(out)!r}, progress=False, "
                   f"share_fits={share_fits and not before}, jobs={jobs}, "
                   f"fresh_kernels={fresh_kernels or before})"]
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"the report failed:\n{done.stderr[-3000:]}")
    folder = out / MONTH
    manifest = json.loads((folder / "manifest.json").read_text())
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "load_before": load_before, "load_after": os.getloadavg(), "manifest": manifest,
            "notebooks": {n["notebook"]: {"seconds": n["seconds"], "html": n.get("html_seconds", 0.0),
                                          **notebook_breakdown(folder / n["notebook"])}
                          for n in manifest["notebooks"]}}


def show(result: dict, label: str) -> None:
    m = result["manifest"]
    steps = m.get("timings", {})
    print(f"\n## {label}")
    print(f"load average before {result['load_before'][0]:.2f} (5 min {result['load_before'][1]:.2f}), "
          f"after {result['load_after'][0]:.2f}")
    print(f"command wall {result['wall']:.1f} s; runner wall_seconds {m['wall_seconds']:.1f} s; "
          f"CPU of the command and its kernels {result['cpu']:.1f} s")
    if "kernels" in m:
        print(f"  kernels: {m['kernels']['mode']}, {m['kernels']['started']} started")
    for name in ("before_notebooks", "load_and_validate", "snapshot", "notebooks", "index"):
        if name in steps:
            print(f"  {name:18s} {steps[name]:6.2f} s")
    print(f"  {'pdf':18s} {m.get('pdf', {}).get('seconds', 0.0):6.2f} s")
    print(f"  {'(before run_report: CLI start and imports)':18s} {result['wall'] - m['wall_seconds']:.2f} s")
    rows = result["notebooks"]
    print(f"\n| notebook | seconds | kernel start | first cell | other cells | kernel stop | HTML |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['seconds']:.1f} | {r.get('start', 0):.2f} | {r.get('first_cell', 0):.2f} | "
              f"{r.get('other_cells', 0):.2f} | {r.get('stop', 0):.2f} | {r['html']:.2f} |")
    total = {k: sum(r.get(k, 0) for r in rows.values()) for k in ("seconds", "start", "first_cell", "other_cells",
                                                                  "stop", "html")}
    print(f"| **sum** | {total['seconds']:.1f} | {total['start']:.1f} | {total['first_cell']:.1f} | "
          f"{total['other_cells']:.1f} | {total['stop']:.1f} | {total['html']:.1f} |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs into the same folder (the second starts the "
                        "notebooks longest first, from the first's manifest)")
    parser.add_argument("--no-share-fits", action="store_true", help="every notebook fits its own models")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (csm-kit report --jobs)")
    parser.add_argument("--before", action="store_true", help="the runner without this work's speed-ups "
                        "(fits not shared, a fresh kernel per notebook shut down gracefully, report order, "
                        "no imports ahead)")
    parser.add_argument("--fresh-kernels", action="store_true", help="a fresh kernel per notebook "
                        "(csm-kit report --fresh-kernels)")
    parser.add_argument("--compare", type=int, default=0, metavar="N", help="N runs with reused and N with fresh "
                        "kernels, in turn (which goes first alternates), each kind into its own folder; a summary")
    args = parser.parse_args(argv)
    print(f"imports a kernel pays ({IMPORTS.replace('import ', '')}): {import_seconds():.2f} s, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="csm-kit-bench-report-") as tmp:
        if args.compare:
            rows = []
            for i in range(args.compare):
                for fresh in ((False, True) if i % 2 == 0 else (True, False)):
                    kind = "fresh" if fresh else "reused"
                    result = run(Path(tmp) / kind, share_fits=not args.no_share_fits, jobs=args.jobs,
                                 fresh_kernels=fresh)
                    show(result, f"{kind} kernels, run {i + 1}, --jobs {args.jobs}")
                    rows.append((kind, i + 1, result))
            summary(rows)
            reused, fresh = Path(tmp) / "reused" / MONTH, Path(tmp) / "fresh" / MONTH
            names = ["metrics.json", "scorecard.csv"] + sorted(p.name for p in fresh.glob("[0-9][0-9]_*.html"))
            differ = [n for n in names if (reused / n).read_bytes() != (fresh / n).read_bytes()]
            print(f"\nlast reused and fresh reports: {len(names) - len(differ)} of {len(names)} files identical "
                  f"(metrics.json, scorecard.csv, every page){'; differ: ' + ', '.join(differ) if differ else ''}")
            return
        for i in range(args.runs):
            result = run(Path(tmp), share_fits=not args.no_share_fits, jobs=args.jobs, before=args.before,
                         fresh_kernels=args.fresh_kernels)
            show(result, f"run {i + 1}, --jobs {args.jobs}" + (" (fits not shared)" if args.no_share_fits else "")
                 + (" (runner as before)" if args.before else "")
                 + (" (fresh kernels)" if args.fresh_kernels and not args.before else ""))


def summary(rows) -> None:
    """One line per run of a comparison, in the order they ran."""
    print("\n| kernels | run | load average (start -> end) | command wall | CPU seconds | before run_report | "
          "notebooks | PDF | notebook-seconds |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for kind, i, r in rows:
        m = r["manifest"]
        print(f"| {kind} | {i} | {r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f} | {r['wall']:.1f} s | "
              f"{r['cpu']:.1f} | {r['wall'] - m['wall_seconds']:.1f} s | {m['timings'].get('notebooks', 0):.1f} s | "
              f"{m.get('pdf', {}).get('seconds', 0.0):.1f} s | "
              f"{sum(n['seconds'] for n in r['notebooks'].values()):.1f} |")


if __name__ == "__main__":
    main()
