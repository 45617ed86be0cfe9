"""The monthly KPI table: `csm-kit kpis` against a plain DuckDB SQL reference.

    .venv/bin/python benchmarks/kpis.py                       # 100k accounts
    .venv/bin/python benchmarks/kpis.py --sizes 100000 1000000

Simulates (once, cached in benchmarks/data/, git-ignored; streamed to Parquet
block by block by csm_kit.simulator.scale.write_parquet) N accounts over 24
months, then runs, each in its own process, one after the other, under
``/usr/bin/time -v`` (wall time and peak resident memory of the process):

- reference: ``kpi_reference.sql``, plain DuckDB SQL over the Parquet files
  (no validation);
- kit: ``csm-kit kpis --data <folder> --start --end --out`` (``load_dataset``
  reads and validates customers, subscriptions and usage, then the engine's
  queries run on DuckDB over the validated frames);
- engine: ``csm_kit.engine.kpi_tables`` straight over the Parquet files (the
  same queries without validation: what the kit costs once validation no
  longer needs pandas).

Then checks that all three agree on every number (kit and engine exactly).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
START, MONTHS = "2024-11", 24
FIRST, LAST = "2025-11", "2026-10"  # the last 12 months: the trailing-12-month NRR needs a year behind it

REFERENCE = r"""
import sys
from pathlib import Path
import duckdb
data, out, sql, k0, k1, first_day, next_day = sys.argv[1:8]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
script = Path(sql).read_text().format(subs=data + "/subscriptions.parquet", events=data + "/usage_events.parquet",
                                      k0=k0, k1=k1, first_day=first_day, next_day=next_day)
for statement in script.split(";"):
    body = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--")).strip()
    if body:
        con.execute(body)
con.execute(f"COPY (SELECT r.*, u.active_accounts, u.active_users, u.stickiness FROM revenue r "
            f"LEFT JOIN usage u USING (k) ORDER BY k) TO '{out}/ref_kpi.parquet'")
con.execute(f"COPY (SELECT * FROM adoption ORDER BY k, feature) TO '{out}/ref_adoption.parquet'")
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


def compare(out: Path, kit_file: str = "kit.parquet", kit_adoption: str = "kit_adoption.parquet") -> list[str]:
    kit = pd.read_parquet(out / kit_file).set_index("month")
    engine = pd.read_parquet(out / "engine_kpi.parquet").set_index("month")
    ref = pd.read_parquet(out / "ref_kpi.parquet")
    ref.index = [str(pd.Period(year=int(k) // 12, month=int(k) % 12 + 1, freq="M")) for k in ref["k"]]
    problems = []
    if not kit.equals(engine):
        problems.append("kit != engine")
    for col in [c for c in ref.columns if c != "k"]:
        if not np.allclose(kit[col].astype(float), ref.loc[kit.index, col].astype(float), rtol=1e-12, atol=1e-6,
                           equal_nan=True):
            problems.append(col)
    ka = pd.read_parquet(out / kit_adoption)
    ra = pd.read_parquet(out / "ref_adoption.parquet")
    ra["month"] = [str(pd.Period(year=int(k) // 12, month=int(k) % 12 + 1, freq="M")) for k in ra["k"]]
    both = ka.merge(ra, on=["month", "feature"], how="outer", suffixes=("_kit", "_ref")).fillna(0)
    if not (np.allclose(both["adoption_kit"], both["adoption_ref"], atol=1e-12)
            and (both["accounts_kit"] == both["accounts_ref"]).all()):
        problems.append("feature adoption")
    return problems


def run(n: int, with_kit: bool = True) -> dict:
    data = ensure_data(n)
    events = pq.ParquetFile(data / "usage_events.parquet").metadata.num_rows
    first, last = pd.Period(FIRST, "M"), pd.Period(LAST, "M")
    k0, k1 = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    next_day = (last.to_timestamp(how="end").normalize() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        ref = timed([sys.executable, "-c", REFERENCE, str(data), tmp, str(HERE / "kpi_reference.sql"), str(k0),
                     str(k1), first.to_timestamp().strftime("%Y-%m-%d"), next_day])
        engine = timed([sys.executable, "-c", ENGINE, str(data), tmp, FIRST, LAST])
        if not with_kit:  # load_dataset holds every row in pandas: 560M usage rows do not fit in 24 GB
            return {"n": n, "events": events, "ref": ref, "kit": None, "engine": engine,
                    "problems": compare(out, kit_file="engine_kpi.parquet", kit_adoption="engine_adoption.parquet")}
        kit = timed([str(BIN / "csm-kit"), "kpis", "--data", str(data), "--start", FIRST, "--end", LAST,
                     "--out", str(out / "kit.parquet")])
        problems = compare(out)
    split = re.search(r"load and validation ([\d.]+) s, KPIs \(duckdb\) ([\d.]+) s", kit["stderr"])
    return {"n": n, "events": events, "ref": ref, "kit": kit, "engine": engine, "problems": problems,
            "load": float(split.group(1)), "queries": float(split.group(2))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--kit-up-to", type=int, default=1_000_000,
                        help="run csm-kit kpis only up to this many accounts (it loads every row into pandas)")
    args = parser.parse_args()
    print("| accounts | usage rows | reference SQL | csm-kit kpis (load + validation; queries) | kit / ref | "
          "engine on Parquet, no validation | agree |")
    print("|---:|---:|---:|---:|---:|---:|:--:|")
    for n in args.sizes:
        r = run(n, with_kit=n <= args.kit_up_to)
        ref, kit, eng = r["ref"], r["kit"], r["engine"]
        kit_cells = ("not run (does not fit) | |" if kit is None else
                     f"{kit['seconds']:.1f} s ({r['load']:.1f} s; {r['queries']:.1f} s), {kit['peak_mb']:,.0f} MB | "
                     f"{kit['seconds'] / ref['seconds']:.1f}x time, {kit['peak_mb'] / ref['peak_mb']:.1f}x memory |")
        print(f"| {n:,} | {r['events']:,} | {ref['seconds']:.1f} s, {ref['peak_mb']:,.0f} MB | {kit_cells} "
              f"{eng['seconds']:.1f} s, {eng['peak_mb']:,.0f} MB | "
              f"{'yes' if not r['problems'] else 'NO: ' + ', '.join(r['problems'])} |", flush=True)


if __name__ == "__main__":
    main()
