"""The monthly KPI table: csm-kit against a straightforward DuckDB SQL reference.

    .venv/bin/python benchmarks/kpis.py --customers 100000
    .venv/bin/python benchmarks/kpis.py --customers 1000000   # ~50M usage rows; minutes

Simulates (once, cached in benchmarks/data/, git-ignored) N accounts over 24
months as Parquet, then runs each side in its own process and prints wall
time and peak memory (RSS) for both:

- kit: ``load_dataset`` (typed and validated) + ``mrr_movements``,
  ``churn_rates``, ``revenue_retention`` (movement and 12-month cohort form),
  ``active_accounts``, ``stickiness``, ``feature_adoption``;
- DuckDB: ``kpi_reference.sql`` over the same Parquet files (no validation).

Then checks that the two agree on every number.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
START, MONTHS = "2024-11", 24
FIRST_REPORTED, LAST = "2025-11", "2026-10"  # the last 12 months: the cohort NRR needs a year behind it

KIT = r"""
import json, resource, sys, time
import pandas as pd
import csm_kit
from csm_kit.metrics import (active_accounts, churn_rates, feature_adoption, mrr_movements,
                             revenue_retention, stickiness)
data, out, first, last = sys.argv[1:5]
t = time.perf_counter()
ds = csm_kit.load_dataset(data, tables=["customers", "subscriptions", "usage_events"])
loaded = time.perf_counter() - t
m = mrr_movements(ds, start=first, end=last)
c = churn_rates(ds, start=first, end=last)
r = revenue_retention(ds, start=first, end=last, form="cohort", window=12)
a = active_accounts(ds, start=first, end=last)
s = stickiness(ds, start=first, end=last)
f = feature_adoption(ds, start=first, end=last)
seconds = time.perf_counter() - t
kpi = m.merge(c[["month", "customers_start", "churned_existing", "churned_joined"]], on="month")
kpi = kpi.merge(r[["month", "nrr", "grr"]].rename(columns={"nrr": "nrr_ttm", "grr": "grr_ttm"}), on="month")
kpi = kpi.merge(a[["month", "active_accounts", "active_users"]], on="month").merge(s[["month", "stickiness"]], on="month")
kpi["month"] = kpi["month"].astype(str)
f = f.assign(month=f["month"].astype(str))[["month", "feature", "adoption"]]
kpi.to_parquet(out + "/kit_kpi.parquet"); f.to_parquet(out + "/kit_adoption.parquet")
print(json.dumps({"seconds": seconds, "load_seconds": loaded,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

DUCK = r"""
import json, resource, sys, time
from pathlib import Path
import duckdb
data, out, first, n_months, sql = sys.argv[1:6]
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET threads TO 2")
script = Path(sql).read_text().format(subs=data + "/subscriptions.parquet", events=data + "/usage_events.parquet",
                                      first_month=first + "-01", n_months=n_months)
for statement in script.split(";"):
    body = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--")).strip()
    if body:
        con.execute(body)
kpi = con.execute("select r.*, u.active_accounts, u.mau as active_users, u.stickiness from revenue r join usage u using (k) order by k").df()
adoption = con.execute("select * from adoption").df()
seconds = time.perf_counter() - t
kpi.to_parquet(out + "/duck_kpi.parquet"); adoption.to_parquet(out + "/duck_adoption.parquet")
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def ensure_data(n: int) -> Path:
    folder = HERE / "data" / f"kpi_{n}"
    if not (folder / "usage_events.parquet").exists():
        print(f"simulating {n:,} accounts x {MONTHS} months (cached in {folder}) ...", flush=True)
        # In a child process: a child's peak RSS counts its parent's peak from before the fork,
        # so simulating here would inflate both measurements below.
        code = ("import csm_kit, sys; csm_kit.simulate(n_customers=int(sys.argv[1]), start=sys.argv[2], "
                "months=int(sys.argv[3]), seed=3).to_dir(sys.argv[4], format='parquet')")
        subprocess.run([sys.executable, "-c", code, str(n), START, str(MONTHS), str(folder)], check=True)
    return folder


def run(code: str, *args) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(out: Path) -> list[str]:
    kit, duck = pd.read_parquet(out / "kit_kpi.parquet"), pd.read_parquet(out / "duck_kpi.parquet")
    months = pd.period_range(FIRST_REPORTED, LAST, freq="M").astype(str)
    duck = duck.assign(month=months[duck["k"].to_numpy()]).set_index("month")
    kit = kit.set_index("month")
    problems = []
    for col in ["mrr_start", "new", "reactivation", "expansion", "contraction", "churn", "mrr_end",
                "customers_start", "churned_existing", "churned_joined", "nrr_ttm", "grr_ttm",
                "active_accounts", "active_users", "stickiness"]:
        if not np.allclose(kit[col].astype(float), duck.loc[kit.index, col].astype(float), rtol=1e-9, atol=1e-4):
            problems.append(col)
    ka = pd.read_parquet(out / "kit_adoption.parquet")
    da = pd.read_parquet(out / "duck_adoption.parquet")
    da = da.assign(month=months[da["k"].to_numpy()]).rename(columns={"event": "feature"})
    both = ka.merge(da, on=["month", "feature"], how="outer", suffixes=("_kit", "_duck")).fillna(0)
    if not np.allclose(both["adoption_kit"], both["adoption_duck"], atol=1e-12):
        problems.append("feature adoption")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    data = ensure_data(args.customers)
    events = pd.read_parquet(data / "usage_events.parquet", columns=["quantity"]).shape[0]
    with tempfile.TemporaryDirectory() as out:
        duck = run(DUCK, data, out, FIRST_REPORTED, 12, HERE / "kpi_reference.sql")
        kit = run(KIT, data, out, FIRST_REPORTED, LAST)
        problems = compare(Path(out))
    print(f"{args.customers:,} accounts, {MONTHS} months simulated, {events:,} usage rows; "
          f"KPIs for {FIRST_REPORTED}..{LAST}")
    print(f"  duckdb reference : {duck['seconds']:7.1f} s   peak {duck['peak_mb']:7,.0f} MB")
    print(f"  csm-kit          : {kit['seconds']:7.1f} s   peak {kit['peak_mb']:7,.0f} MB"
          f"   (of which load + validation {kit['load_seconds']:.1f} s)")
    print("  results agree" if not problems else f"  MISMATCH in: {', '.join(problems)}")


if __name__ == "__main__":
    main()
