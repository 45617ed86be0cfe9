"""Time and peak memory of the simulator at several sizes (each size in its own process).

    .venv/bin/python benchmarks/simulate.py            # 10k and 100k accounts
    .venv/bin/python benchmarks/simulate.py 1000000    # add sizes as arguments

Prints one line per size: accounts, months, seconds, peak RSS, rows produced.
Figures from a run are kept in benchmarks/README.md.
"""
from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import csm_kit
n, months = int(sys.argv[1]), int(sys.argv[2])
t = time.perf_counter()
ds = csm_kit.simulate(n_customers=n, start="2024-11", months=months, seed=1)
seconds = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"customers": n, "months": months, "seconds": round(seconds, 1), "peak_mb": round(peak_mb),
                  "rows": {name: len(df) for name, df in ds}}))
"""


def main(sizes: list[int], months: int = 24) -> None:
    print(f"{'customers':>10} {'months':>6} {'seconds':>8} {'peak MB':>8}  rows")
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(months)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        total = sum(r["rows"].values())
        print(f"{r['customers']:>10,} {r['months']:>6} {r['seconds']:>8.1f} {r['peak_mb']:>8,}  {total:,} "
              f"(usage {r['rows']['usage_events']:,})", flush=True)


if __name__ == "__main__":
    main([10_000, 100_000] + [int(a) for a in sys.argv[1:]])
