"""Cox churn-driver fits at scale: csm-kit's ChurnDrivers against lifelines' CoxPHFitter on the same data.

    .venv/bin/python benchmarks/survival.py                 # 100k customers
    .venv/bin/python benchmarks/survival.py --sizes 100000 1000000
    .venv/bin/python benchmarks/survival.py --continuous 20000 100000

A survival table is synthesised directly (simulating a million accounts takes
minutes and is measured in simulate.py): 36 months of tenure, churn from a
known Cox model in six covariates shaped like survival_table's (usage share,
tickets, onboarded, NPS with 75% missing, segment, billing period), right
censoring, no left truncation. For each size, in this process:

- ``lifelines``: ``CoxPHFitter(penalizer=0.01).fit`` on the month-resolution
  design matrix the kit builds (the reference: lifelines directly);
- ``csm-kit``: ``ChurnDrivers(holdout=0).fit`` on the table: design matrix,
  the constant/collinear screen, the same lifelines fit, baseline and the
  proportional-hazards test;
- ``at_risk`` for every active customer (90-day probability, 24-month
  restricted mean lifetime, top drivers).

``--continuous`` sizes fit both on exact (day-resolution) tenures instead,
where the cost follows the number of distinct event times.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from csm_kit.models import ChurnDrivers, at_risk

BETA = {"usage_share": -2.0, "tickets": 0.4, "onboarded": -0.7, "nps": -0.15}


def synthetic_table(n: int, seed: int = 0) -> pd.DataFrame:
    """n customers with a known Cox truth, monthly renewals, censored at up to 36 months."""
    rng = np.random.default_rng(seed)
    usage = rng.beta(2, 6, n)
    tickets = rng.poisson(1.0, n).astype(float)
    onboarded = (rng.random(n) < 0.55).astype(float)
    nps = np.where(rng.random(n) < 0.25, rng.integers(0, 11, n), np.nan)
    segment = rng.choice(["smb", "mid_market", "enterprise"], n, p=[0.6, 0.3, 0.1])
    billing = rng.choice(["month", "quarter", "year"], n, p=[0.7, 0.1, 0.2])
    lin = (BETA["usage_share"] * usage + BETA["tickets"] * np.log1p(tickets) + BETA["onboarded"] * onboarded
           + BETA["nps"] * np.nan_to_num(nps - 7.5) + np.where(segment == "smb", 0.6, 0.0))
    life_days = rng.exponential(30.4375 / (0.03 * np.exp(lin)))
    censor_days = rng.uniform(1, 36 * 30.4375, n)
    days = np.ceil(np.minimum(life_days, censor_days))
    return pd.DataFrame({"customer_id": np.char.add("c", np.arange(n).astype(str)),
                         "tenure_days": days.astype(np.int64), "tenure": days / 30.4375, "entry": 0.0,
                         "churned": life_days <= censor_days, "usage_share": usage, "tickets": tickets,
                         "onboarded": onboarded, "nps": nps, "segment": segment, "billing_period": billing,
                         "mrr": rng.gamma(2, 100, n), "time_unit": "month"})


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def run(n: int, discrete: bool) -> dict:
    from lifelines import CoxPHFitter

    table = synthetic_table(n)
    covs = ["usage_share", "tickets", "onboarded", "nps", "segment", "billing_period"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kit, kit_s = timed(lambda: ChurnDrivers(covariates=covs, holdout=0, discrete=discrete).fit(table))
        design = kit._train_df.drop(columns="_entry")
        ref, ref_s = timed(lambda: CoxPHFitter(penalizer=0.01).fit(design, "_duration", "_event"))
        risk, risk_s = timed(lambda: at_risk(kit, table))
    same = np.allclose(kit.params_.to_numpy(), ref.params_.to_numpy(), rtol=1e-5, atol=1e-8)
    return {"customers": n, "durations": "whole months" if discrete else "exact (days)",
            "distinct_times": int(design["_duration"].nunique()), "events": int(table["churned"].sum()),
            "lifelines_s": round(ref_s, 2), "csm_kit_fit_s": round(kit_s, 2), "at_risk_s": round(risk_s, 2),
            "same_coefficients": same, "active_scored": len(risk)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000], help="customers, month resolution")
    ap.add_argument("--continuous", type=int, nargs="*", default=[20_000], help="customers, exact durations")
    args = ap.parse_args()
    rows = [run(n, True) for n in args.sizes] + [run(n, False) for n in args.continuous]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
