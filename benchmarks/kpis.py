"""The monthly KPI table: `csm-kit kpis` against a plain DuckDB SQL reference.

    .venv/bin/python benchmarks/kpis.py                       # 100k accounts
    .venv/bin/python benchmarks/kpis.py --sizes 100000 1000000

Simulates (once, cached in benchmarks/data/, git-ignored; streamed to Parquet
block by block by csm_kit.simulator.scale.write_parquet) N accounts over 24
months, then runs, each in its own process, one after the other, under
``/usr/bin/time -v`` (wall time and peak resident memory of the process):

- reference: ``kpi_reference.sql``, plain DuckDB SQL over the Parquet files
  (no validation);
- kit: ``csm-kit kpis --data <folder> --start --end --out`` as a user runs
  it: every contract rule checked by DuckDB queries over the files
  (``csm_kit.engine.validation``), then the engine's queries over the
  checked views;
- engine: ``csm_kit.engine.kpi_tables`` straight over the Parquet files (the
  same queries without validation; ``--no-engine`` skips it).

Then checks that all three agree on every number (kit and engine exactly, the
reference to 1e-6), and prints the load average before and after each run (the
machine is shared). Results are appended to benchmarks/data/kpis_results.jsonl.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
START, MONTHS = "2024-11", 24
FIRST, LAST = "2025-11", "2026-10"  # the last 12 months: the trailing-12-month NRR needs a year behind it

REFERENCE = r"""
import os, shutil, sys, tempfile
from pathlib import Path
import duckdb
data, out, sql, k0, k1, first_day, next_day, runs = sys.argv[1:9]
tmp = tempfile.mkdtemp(prefix="kpi-reference-")
import atexit
atexit.register(shutil.rmtree, tmp, True)  # spilled files go even when a statement fails
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"SET memory_limit = '{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2 // 2**20}MiB'")
con.execute(f"SET temp_directory = '{tmp}'")
con.execute("SET preserve_insertion_order = false")
con.execute("SET disabled_optimizers = 'partitioned_execution'")
events = data + "/usage_events.parquet"
filters = [""]
if int(runs) > 1:  # customer ranges cut at quantiles of a 1% sample of the usage rows' customer ids
    cuts = ", ".join(str(i / int(runs)) for i in range(1, int(runs)))
    bounds = con.execute(f"SELECT quantile_disc(customer_id, [{cuts}]) FROM (SELECT customer_id FROM "
                         f"read_parquet('{events}') USING SAMPLE 1 PERCENT (bernoulli, 7))").fetchall()[0][0]
    edges = [None, *bounds, None]
    filters = [(f"AND customer_id >= '{lo}' " if lo else "") + (f"AND customer_id < '{hi}'" if hi else "")
               for lo, hi in zip(edges[:-1], edges[1:])]
script = Path(sql).read_text()
head, rest = script.split("-- BEGIN RUN")
block, tail = rest.split("-- END RUN")
def statements(text, run=""):
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    text = text.replace("{run}", run).format(subs=data + "/subscriptions.parquet", events=events, k0=k0, k1=k1,
                                             first_day=first_day, next_day=next_day)
    for statement in text.split(";"):
        if statement.strip():
            yield statement.strip()
for body in [*statements(head), *(b for f in filters for b in statements(block, f)), *statements(tail)]:
    con.execute(body)
con.execute(f"COPY (SELECT r.*, u.active_accounts, u.active_users, u.stickiness FROM revenue r "
            f"LEFT JOIN usage u USING (k) ORDER BY k) TO '{out}/ref_kpi.parquet'")
con.execute(f"COPY (SELECT * FROM adoption ORDER BY k, feature) TO '{out}/ref_adoption.parquet'")
con.close()
shutil.rmtree(tmp, ignore_errors=True)
"""

ENGINE = r"""
import sys
from csm_kit.engine import kpi_tables
data, out, first, last = sys.argv[1:5]
k = kpi_tables({"subscriptions": data + "/subscriptions.parquet", "usage_events": data + "/usage_events.parquet"},
               start=first, end=last)
k.monthly.assign(month=k.monthly["month"].astype(str)).to_parquet(out + "/engine_kpi.parquet")
k.adoption.assign(month=k.adoption["month"].astype(str)).to_parquet(out + "/engine_adoption.parquet")
"""


def ensure_data(n: int) -> Path:
    folder = HERE / "data" / f"kpi_{n}"
    if not (folder / "usage_events.parquet").exists():
        print(f"simulating {n:,} accounts x {MONTHS} months into {folder} ...", flush=True)
        code = ("import sys; from csm_kit.simulator.scale import write_parquet; write_parquet(sys.argv[1], "
                "n_customers=int(sys.argv[2]), start=sys.argv[3], months=int(sys.argv[4]), seed=3)")
        subprocess.run([sys.executable, "-c", code, str(folder), str(n), START, str(MONTHS)], check=True)
    return folder


def timed(cmd: list[str]) -> dict:
    """Run ``cmd`` under /usr/bin/time -v: wall seconds, peak RSS in MB, and its stderr."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{done.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    h, m, s = (float(x) if x else 0.0 for x in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return {"seconds": h * 3600 + m * 60 + s, "peak_mb": rss / 1024, "stderr": done.stderr}


def compare(out: Path, with_engine: bool = True) -> list[str]:
    kit = pd.read_parquet(out / "kit.parquet").set_index("month")
    ref = pd.read_parquet(out / "ref_kpi.parquet")
    ref.index = [str(pd.Period(year=int(k) // 12, month=int(k) % 12 + 1, freq="M")) for k in ref["k"]]
    problems = []
    if with_engine and not kit.equals(pd.read_parquet(out / "engine_kpi.parquet").set_index("month")):
        problems.append("kit != engine")
    for col in [c for c in ref.columns if c != "k"]:
        if not np.allclose(kit[col].astype(float), ref.loc[kit.index, col].astype(float), rtol=1e-12, atol=1e-6,
                           equal_nan=True):
            problems.append(col)
    ka = pd.read_parquet(out / "kit_adoption.parquet")
    ra = pd.read_parquet(out / "ref_adoption.parquet")
    ra["month"] = [str(pd.Period(year=int(k) // 12, month=int(k) % 12 + 1, freq="M")) for k in ra["k"]]
    both = ka.merge(ra, on=["month", "feature"], how="outer", suffixes=("_kit", "_ref")).fillna(0)
    if not (np.allclose(both["adoption_kit"], both["adoption_ref"], atol=1e-12)
            and (both["accounts_kit"] == both["accounts_ref"]).all()):
        problems.append("feature adoption")
    return problems


def load_average() -> float:
    """The machine's 1-minute load average (2 cores here: above 2, the runs wait for CPU)."""
    return os.getloadavg()[0]


def timed_with_load(cmd: list[str]) -> dict:
    before = load_average()
    result = timed(cmd)
    return {**result, "load": (before, load_average())}


def runs_for(events: int) -> int:
    """The reference's customer runs: as DuckDBBackend.usage_plan counts them (rows of the last 12 of 24
    months as if spread evenly, half of a memory_limit of half the machine, 64 bytes a row)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    return max(1, int(np.ceil(events * 12 / MONTHS / (memory // 2 // 64))))


def run(n: int, with_engine: bool = True, with_kit: bool = True) -> dict:
    data = ensure_data(n)
    events = pq.ParquetFile(data / "usage_events.parquet").metadata.num_rows
    first, last = pd.Period(FIRST, "M"), pd.Period(LAST, "M")
    k0, k1 = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    next_day = (last.to_timestamp(how="end").normalize() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        ref = timed_with_load([sys.executable, "-c", REFERENCE, str(data), tmp, str(HERE / "kpi_reference.sql"),
                               str(k0), str(k1), first.to_timestamp().strftime("%Y-%m-%d"), next_day,
                               str(runs_for(events))])
        kit = timed_with_load([str(BIN / "csm-kit"), "kpis", "--data", str(data), "--start", FIRST, "--end", LAST,
                               "--out", str(out / "kit.parquet")]) if with_kit else None
        engine = timed_with_load([sys.executable, "-c", ENGINE, str(data), tmp, FIRST, LAST]) if with_engine else None
        if not with_kit:  # the engine's numbers against the reference's
            (out / "engine_kpi.parquet").rename(out / "kit.parquet")
            (out / "engine_adoption.parquet").rename(out / "kit_adoption.parquet")
        problems = compare(out, with_engine=with_engine and with_kit)
    split = re.search(r"load and validation ([\d.]+) s, KPIs \(duckdb\) ([\d.]+) s", kit["stderr"]) if kit else None
    return {"n": n, "events": events, "ref": ref, "kit": kit, "engine": engine, "problems": problems,
            "validation": float(split.group(1)) if split else None, "queries": float(split.group(2)) if split else None,
            "runs": runs_for(events)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--no-engine", action="store_true", help="skip the engine-alone run")
    parser.add_argument("--no-kit", action="store_true", help="skip csm-kit kpis (the engine is compared instead)")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores")
    print("| accounts | usage rows | reference SQL | csm-kit kpis (validation; queries) | kit / reference | "
          "engine alone | load average (ref; kit; engine) | agree |")
    print("|---:|---:|---:|---:|---:|---:|---|:--:|")
    for n in args.sizes:
        r = run(n, with_engine=not args.no_engine, with_kit=not args.no_kit)
        ref, kit, eng = r["ref"], r["kit"], r["engine"]
        loads = "; ".join(f"{x['load'][0]:.1f}-{x['load'][1]:.1f}" for x in (ref, kit, eng) if x)
        eng_cell = "not run" if eng is None else f"{eng['seconds']:.1f} s, {eng['peak_mb']:,.0f} MB"
        kit_cells = ("not run | |" if kit is None else
                     f"{kit['seconds']:.1f} s ({r['validation']:.1f} s; {r['queries']:.1f} s), {kit['peak_mb']:,.0f} MB | "
                     f"{kit['seconds'] / ref['seconds']:.2f}x time, {kit['peak_mb'] / ref['peak_mb']:.2f}x memory |")
        print(f"| {n:,} | {r['events']:,} | {ref['seconds']:.1f} s, {ref['peak_mb']:,.0f} MB | {kit_cells} "
              f"{eng_cell} | {loads} | {'yes' if not r['problems'] else 'NO: ' + ', '.join(r['problems'])} |",
              flush=True)
        with open(HERE / "data" / "kpis_results.jsonl", "a") as f:
            f.write(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                                **{k: v for k, v in r.items() if k not in ("ref", "kit", "engine")},
                                **{side: None if r[side] is None else {k: v for k, v in r[side].items() if k != "stderr"}
                                   for side in ("ref", "kit", "engine")}}) + "\n")


if __name__ == "__main__":
    main()
