"""Time and peak memory of the simulator at several sizes (each size in its own process).

    .venv/bin/python benchmarks/simulate.py                       # 10k and 100k accounts, in memory and streamed
    .venv/bin/python benchmarks/simulate.py 1000000               # add sizes as arguments
    .venv/bin/python benchmarks/simulate.py --streamed 10000000   # only the Parquet writer (10M: ~560M usage rows)

Two ways to simulate: ``simulate()`` builds the Dataset in memory (pandas
frames with object strings); ``write_parquet`` streams the same data to
Parquet one block of 100k accounts at a time. Prints one line per size and
way: accounts, seconds, peak RSS of the process, rows produced. Figures from a
run are kept in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

IN_MEMORY = r"""
import json, resource, sys, time
import csm_kit
n, months = int(sys.argv[1]), int(sys.argv[2])
t = time.perf_counter()
ds = csm_kit.simulate(n_customers=n, start="2024-11", months=months, seed=1)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": {name: len(df) for name, df in ds}}))
"""

STREAMED = r"""
import json, resource, sys, time
import pyarrow.parquet as pq
from csm_kit.simulator.scale import write_parquet
n, months, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
folder = write_parquet(out, n_customers=n, start="2024-11", months=months, seed=1)
seconds = time.perf_counter() - t
rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet")}
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": rows}))
"""


def _run(code: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", help="more sizes (accounts)")
    parser.add_argument("--streamed", action="store_true", help="only the Parquet writer, only the sizes given")
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    sizes = args.sizes if args.streamed else [10_000, 100_000] + args.sizes
    print(f"{'customers':>11} {'way':>9} {'seconds':>8} {'peak MB':>8}  rows")
    for n in sizes:
        ways = ["streamed"] if args.streamed else ["in memory", "streamed"]
        for way in ways:
            with tempfile.TemporaryDirectory(dir=".") as tmp:
                r = _run(IN_MEMORY, n, args.months) if way == "in memory" else _run(STREAMED, n, args.months, tmp)
            total = sum(r["rows"].values())
            print(f"{n:>11,} {way:>9} {r['seconds']:>8.1f} {r['peak_mb']:>8,.0f}  {total:,} "
                  f"(usage {r['rows']['usage_events']:,})", flush=True)


if __name__ == "__main__":
    main()
