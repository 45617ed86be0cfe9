"""Time and peak memory of the simulator at several sizes (each size in its own process).

    .venv/bin/python benchmarks/simulate.py                       # 10k and 100k accounts, in memory and streamed
    .venv/bin/python benchmarks/simulate.py 1000000               # add sizes as arguments
    .venv/bin/python benchmarks/simulate.py --streamed 10000000   # only the Parquet writer (10M: ~560M usage rows)
    .venv/bin/python benchmarks/simulate.py --in-memory 1000000   # only simulate(), only the sizes given

Two ways to simulate: ``simulate()`` builds the Dataset in memory (pandas
frames with object strings); ``write_parquet`` streams the same data to
Parquet one block of 100k accounts at a time. Prints one line per size and
way: accounts, seconds (wall, and the process's CPU time), peak RSS of the
process, rows produced, and the machine's 1-minute load average before and
after the run (on a shared machine, wall time is only meaningful with it).
Figures from a run are kept in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

IN_MEMORY = r"""
import json, resource, sys, time
import csm_kit
n, months = int(sys.argv[1]), int(sys.argv[2])
t, cpu = time.perf_counter(), time.process_time()
ds = csm_kit.simulate(n_customers=n, start="2024-11", months=months, seed=1)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": {name: len(df) for name, df in ds}}))
"""

STREAMED = r"""
import json, resource, sys, time
import pyarrow.parquet as pq
from csm_kit.simulator.scale import write_parquet
n, months, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t, cpu = time.perf_counter(), time.process_time()
folder = write_parquet(out, n_customers=n, start="2024-11", months=months, seed=1)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet")}
print(json.dumps({"seconds": seconds, "cpu": cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": rows}))
"""


def _run(code: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", help="more sizes (accounts)")
    parser.add_argument("--streamed", action="store_true", help="only the Parquet writer, only the sizes given")
    parser.add_argument("--in-memory", action="store_true", help="only simulate(), only the sizes given")
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    if args.streamed and args.in_memory:
        parser.error("--streamed and --in-memory exclude each other")
    sizes = args.sizes if args.streamed or args.in_memory else [10_000, 100_000] + args.sizes
    ways = ["streamed"] if args.streamed else ["in memory"] if args.in_memory else ["in memory", "streamed"]
    print(f"{'customers':>11} {'way':>9} {'seconds':>8} {'cpu s':>7} {'peak MB':>8} {'load':>9}  rows")
    for n in sizes:
        for way in ways:
            before = os.getloadavg()[0]
            with tempfile.TemporaryDirectory(dir=".") as tmp:
                r = _run(IN_MEMORY, n, args.months) if way == "in memory" else _run(STREAMED, n, args.months, tmp)
            load = f"{before:.1f}-{os.getloadavg()[0]:.1f}"
            total = sum(r["rows"].values())
            print(f"{n:>11,} {way:>9} {r['seconds']:>8.1f} {r['cpu']:>7.1f} {r['peak_mb']:>8,.0f} {load:>9}  {total:,} "
                  f"(usage {r['rows']['usage_events']:,})", flush=True)


if __name__ == "__main__":
    main()
