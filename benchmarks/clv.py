"""Non-contractual CLV: csm-kit's BG/NBD and Gamma-Gamma against the `lifetimes` package, in one run.

    .venv/bin/pip install lifetimes        # benchmark only: not a dependency of the kit
    .venv/bin/python benchmarks/clv.py                 # CDNOW, then 1M simulated customers
    .venv/bin/python benchmarks/clv.py --customers 200000

1. CDNOW (2,357 customers, weeks, calibration to 1997-09-30): BG/NBD and
   Gamma-Gamma fits, parameters side by side; 12-month CLV with lifetimes'
   conventions on both sides (weekly data: months of 4.345 weeks; 1% a
   month), and the largest difference.
2. At scale: an RFM summary of N customers drawn from the BG/NBD process at
   CDNOW-like parameters (T between 27 and 39 weeks in whole days, recency in
   whole days, Gamma-Gamma spend): fit times (lifetimes per customer and with
   its ``weights`` on the compressed rows), parameter recovery, and the
   12-month CLV.

Each timing is the median of ``--repeat`` runs for the kit and one run for
lifetimes at scale (it is slow). Nothing is asserted; figures are printed.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import csm_kit
from csm_kit.models import (BetaGeoModel, GammaGammaModel, customer_lifetime_value, rfm_summary,
                            simulate_bgnbd_summary)

TRUTH = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = (6.25, 3.74, 15.44)
MONTHLY_RATE = 0.01  # lifetimes' default discount, per month


def timed(fn, repeat=1):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def load_lifetimes():
    try:
        import lifetimes
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        return lifetimes, BetaGeoFitter, GammaGammaFitter, None
    except Exception as exc:  # archived package: say exactly why it is missing
        return None, None, None, f"{type(exc).__name__}: {exc}"


def ours_clv(bg, gg, s):
    return customer_lifetime_value(bg, gg, s, months=12, annual_discount_rate=(1 + MONTHLY_RATE) ** 12 - 1,
                                   days_per_month=4.345 * 7)


def theirs_clv(lt_bg, lt_gg, s):
    return lt_gg.customer_lifetime_value(lt_bg, s["frequency"], s["recency"], s["T"], s["monetary_value"],
                                         time=12, discount_rate=MONTHLY_RATE, freq="W")


def fmt(params):
    return ", ".join(f"{k}={v:.3f}" for k, v in params.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    lifetimes, LtBG, LtGG, why = load_lifetimes()
    print(f"csm-kit {csm_kit.__version__}; lifetimes "
          f"{lifetimes.__version__ if lifetimes else 'NOT AVAILABLE: ' + why}")

    print("\n== CDNOW (2,357 customers, weeks) ==")
    s, t = timed(lambda: rfm_summary(csm_kit.load_cdnow(), calibration_end="1997-09-30", time_unit="week"))
    print(f"rfm_summary: {t:.3f} s")
    bg, t_bg = timed(lambda: BetaGeoModel().fit(s), args.repeat)
    gg, t_gg = timed(lambda: GammaGammaModel().fit(s), args.repeat)
    print(f"kit  BG/NBD   {t_bg:7.3f} s  {fmt(bg.params_)}  LL {bg.log_likelihood_:.2f}")
    if lifetimes:
        lt_bg, t = timed(lambda: LtBG().fit(s["frequency"], s["recency"], s["T"]), args.repeat)
        print(f"lifetimes     {t:7.3f} s  {fmt(lt_bg.params_.to_dict())}  ({t / t_bg:.1f}x the kit's time)")
    print(f"kit  Gamma-Gamma {t_gg:.3f} s  {fmt(gg.params_)}  (lifetimes calls gamma 'v')")
    buyers = s[s["frequency"] > 0]
    if lifetimes:
        lt_gg, t = timed(lambda: LtGG().fit(buyers["frequency"], buyers["monetary_value"]), args.repeat)
        print(f"lifetimes        {t:.3f} s  {fmt(lt_gg.params_.to_dict())}")
    mine, t_mine = timed(lambda: ours_clv(bg, gg, s), args.repeat)
    print(f"kit  12-month CLV {t_mine:.3f} s, mean {mine['clv'].mean():.2f} USD")
    if lifetimes:
        theirs, t = timed(lambda: theirs_clv(lt_bg, lt_gg, s))
        gap = np.max(np.abs(mine["clv"].to_numpy() - theirs.to_numpy()) / np.maximum(np.abs(theirs.to_numpy()), 1e-9))
        print(f"lifetimes        {t:.3f} s, mean {theirs.mean():.2f} USD; largest relative difference {gap:.1e} "
              "(fitted parameters differ in the 5th-7th digit)")

    n = args.customers
    print(f"\n== {n:,} simulated customers (BG/NBD at the CDNOW parameters, weeks, whole days) ==")
    T = np.random.default_rng(args.seed).integers(27 * 7, 39 * 7 + 1, n) / 7
    sim, t = timed(lambda: simulate_bgnbd_summary(n, **TRUTH, T=T, seed=args.seed, resolution=1 / 7, spend=SPEND))
    print(f"simulate: {t:.2f} s")
    rows = sim.groupby(["frequency", "recency", "T"]).size()
    print(f"distinct (frequency, recency, T) rows: {len(rows):,} ({len(rows) / n:.1%} of customers)")
    bg, t_bg = timed(lambda: BetaGeoModel().fit(sim), args.repeat)
    print(f"kit  BG/NBD (compressed)      {t_bg:7.2f} s  {fmt(bg.params_)}")
    se = bg.standard_errors_
    print("     recovery: " + ", ".join(f"{k} {bg.params_[k] - v:+.4f} ({(bg.params_[k] - v) / se[k]:+.1f} se)"
                                        for k, v in TRUTH.items()))
    _, t_full = timed(lambda: BetaGeoModel(compress=False).fit(sim))
    print(f"kit  BG/NBD (per customer)    {t_full:7.2f} s")
    if lifetimes:
        w = rows.reset_index(name="weight")
        lt_w, t = timed(lambda: LtBG().fit(w["frequency"], w["recency"], w["T"], weights=w["weight"]))
        print(f"lifetimes (weights, compressed) {t:5.2f} s  {fmt(lt_w.params_.to_dict())}  ({t / t_bg:.1f}x)")
        lt_full, t = timed(lambda: LtBG().fit(sim["frequency"], sim["recency"], sim["T"]))
        print(f"lifetimes (per customer)      {t:7.2f} s  ({t / t_bg:.1f}x)")
    gg, t_gg = timed(lambda: GammaGammaModel().fit(sim))
    print(f"kit  Gamma-Gamma on {int((sim['frequency'] > 0).sum()):,} repeat buyers {t_gg:.2f} s  {fmt(gg.params_)}")
    mine, t_mine = timed(lambda: ours_clv(bg, gg, sim), args.repeat)
    print(f"kit  12-month CLV             {t_mine:7.2f} s, mean {mine['clv'].mean():.2f} USD")
    if lifetimes:
        b = sim[sim["frequency"] > 0]
        lt_gg = LtGG().fit(b["frequency"], b["monetary_value"])
        theirs, t = timed(lambda: theirs_clv(lt_full, lt_gg, sim))
        print(f"lifetimes 12-month CLV        {t:7.2f} s, mean {theirs.mean():.2f} USD  ({t / t_mine:.1f}x)")


if __name__ == "__main__":
    main()
