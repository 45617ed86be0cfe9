"""Subscriptions: when each account churns, comes back, and changes its seats.

The monthly churn hazard of an account (the data-generating process the
survival models and the health score are judged against)::

    h = base[segment] * exp(  engagement_coef   * engagement
                            + satisfaction_coef * satisfaction
                            + not_onboarded_coef * (required milestones not done within 90 days)
                            + support_pain_coef * log(support_pain) )

Monthly billers can leave at any monthly anniversary; quarterly and annual
billers only at renewal, with the hazard accumulated over the term
(``1 - (1 - h)^3`` or ``1 - (1 - h)^12``). A few monthly accounts give up in
their first weeks (more often when disengaged): they join and churn in the
same month when they signed up early enough. Some churned accounts come
back months later on a monthly plan (a reactivation). Seats change at
anniversaries (renewals for annual and quarterly plans): engaged accounts
mostly expand, disengaged ones contract; some larger accounts buy an add-on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .accounts import BILLING, BILLING_MONTHS, PLAN, PRICE_PER_SEAT
from .calendar import Calendar

TRUE_CHURN_DRIVERS = {
    "base_monthly_hazard": {"smb": 0.030, "mid_market": 0.016, "enterprise": 0.008},
    "engagement": -0.45,          # per standard deviation of latent engagement (seen in usage)
    "satisfaction": -0.40,        # per standard deviation of latent satisfaction (seen in NPS/CSAT)
    "not_onboarded": 0.70,        # required milestones not reached within 90 days
    "log_support_pain": 0.50,     # per unit of log ticket-rate multiplier (seen in ticket counts)
}
CHANGE_SLOTS = 3
REACTIVATION_PROBABILITY = 0.18
ADDON_PRICE = {1: 300.0, 2: 1200.0}  # mid_market, enterprise; monthly


def monthly_hazard(acc: pd.DataFrame, onboarded: np.ndarray) -> np.ndarray:
    d = TRUE_CHURN_DRIVERS
    base = np.array(list(d["base_monthly_hazard"].values()))[acc["segment_code"].to_numpy()]
    risk = (d["engagement"] * acc["engagement"].to_numpy() + d["satisfaction"] * acc["satisfaction"].to_numpy()
            + d["not_onboarded"] * (~onboarded) + d["log_support_pain"] * np.log(acc["support_pain"].to_numpy()))
    return np.minimum(base * np.exp(risk), 0.6)


def _terms_survived(rng, hazard_per_term: np.ndarray) -> np.ndarray:
    """Renewals an account survives before leaving (>= 1): a geometric draw."""
    u = rng.random(len(hazard_per_term))
    return np.floor(np.log(u) / np.log1p(-hazard_per_term)).astype(np.int64) + 1


def draw_spells(rng: np.random.Generator, acc: pd.DataFrame, hazard: np.ndarray, cal: Calendar) -> pd.DataFrame:
    """First and (for some) second paid spell per account, in days; NaN end = still active."""
    n = len(acc)
    term = BILLING_MONTHS[acc["billing_code"].to_numpy()]
    start = acc["signup_day"].to_numpy()
    h_term = 1 - (1 - hazard) ** term
    renewals = _terms_survived(rng, h_term)
    end = cal.anniversary(acc["signup_month"].to_numpy(), acc["day_of_month"].to_numpy(), renewals * term)
    e = acc["engagement"].to_numpy()
    flop = (term == 1) & (rng.random(n) < 0.03 * np.exp(-0.8 * e))
    end = np.where(flop, start + rng.integers(5, 26, n), end).astype(float)
    free = acc["free"].to_numpy()
    end[free | (end >= cal.end)] = np.nan

    churned = ~np.isnan(end) & ~flop
    back = churned & (rng.random(n) < REACTIVATION_PROBABILITY)
    gap_months = 1 + rng.geometric(1 / 5, n)
    start2 = np.where(back, np.nan_to_num(end) + 30 * gap_months + rng.integers(0, 28, n), np.nan)
    start2[start2 >= cal.end] = np.nan
    months2 = _terms_survived(rng, hazard)
    end2 = start2 + np.round(30.44 * months2)
    end2[end2 >= cal.end] = np.nan
    return pd.DataFrame({"start1": start.astype(float), "end1": end, "flop": flop,
                         "start2": start2, "end2": np.where(np.isnan(start2), np.nan, end2)})


def subscriptions_table(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame,
                        cal: Calendar) -> pd.DataFrame:
    n = len(acc)
    seg = acc["segment_code"].to_numpy()
    billing = acc["billing_code"].to_numpy()
    term = BILLING_MONTHS[billing]
    start, end = spells["start1"].to_numpy(), spells["end1"].to_numpy()
    stop = np.where(np.isnan(end), cal.end, end)
    length_months = np.maximum(0, cal.month_of(np.minimum(stop, cal.end - 1).astype(np.int64))
                               - acc["signup_month"].to_numpy())

    # Seat changes at anniversaries (renewals for longer terms), before the spell ends.
    k = np.ceil(rng.random((n, CHANGE_SLOTS)) * np.maximum(length_months, 1)[:, None] / term[:, None]) * term[:, None]
    active = (rng.random((n, CHANGE_SLOTS)) < 0.45) & ~acc["free"].to_numpy()[:, None] & ~spells["flop"].to_numpy()[:, None]
    day = cal.anniversary(np.repeat(acc["signup_month"].to_numpy()[:, None], CHANGE_SLOTS, 1),
                          np.repeat(acc["day_of_month"].to_numpy()[:, None], CHANGE_SLOTS, 1), k.astype(np.int64))
    day = np.where(active & (day < stop[:, None]) & (day > start[:, None]), day, np.inf)
    grow = rng.random((n, CHANGE_SLOTS)) < 1 / (1 + np.exp(-(0.9 * acc["engagement"].to_numpy()[:, None] + 0.4)))
    factor = np.where(grow, 1 + rng.uniform(0.1, 0.6, (n, CHANGE_SLOTS)), 1 - rng.uniform(0.1, 0.4, (n, CHANGE_SLOTS)))
    order = np.argsort(day, axis=1, kind="stable")
    day, factor = np.take_along_axis(day, order, 1), np.take_along_axis(factor, order, 1)
    factor = np.where(np.isinf(day), 1.0, factor)

    bounds = np.column_stack([start, day, np.full(n, np.inf)])           # n x (slots + 2)
    piece_end = np.minimum(bounds[:, 1:], np.where(np.isnan(end), np.inf, end)[:, None])
    piece_start = bounds[:, :-1]
    seats = np.maximum(1, np.round(acc["seats"].to_numpy()[:, None]
                                   * np.column_stack([np.ones(n), np.cumprod(factor, axis=1)])))
    valid = np.isfinite(piece_start) & (piece_start < piece_end)
    rows, j = np.nonzero(valid)
    price = np.where(acc["free"].to_numpy(), 0.0, PRICE_PER_SEAT[seg])
    main = pd.DataFrame({
        "c": rows, "plan": np.where(acc["free"].to_numpy()[rows], "free", PLAN[seg[rows]]),
        "start": piece_start[rows, j], "end": piece_end[rows, j],
        "billing_code": billing[rows], "quantity": seats[rows, j],
        "amount": seats[rows, j] * price[rows] * term[rows], "discount": acc["discount"].to_numpy()[rows],
    })

    # Add-ons: a flat monthly subscription some larger accounts add mid-spell.
    addon = (seg > 0) & (rng.random(n) < 0.2) & (length_months >= 3)
    a = np.nonzero(addon)[0]
    a_start = cal.anniversary(acc["signup_month"].to_numpy()[a], acc["day_of_month"].to_numpy()[a],
                              rng.integers(1, np.maximum(length_months[a], 2)))
    keep = a_start < stop[a]
    a, a_start = a[keep], a_start[keep]
    addons = pd.DataFrame({"c": a, "plan": "analytics_addon", "start": a_start.astype(float), "end": end[a],
                           "billing_code": 0, "quantity": 1, "amount": np.vectorize(ADDON_PRICE.get)(seg[a]) if len(a) else [],
                           "discount": 0.0})

    # Reactivations: back on a monthly plan with roughly the seats they left with.
    r = np.nonzero(~np.isnan(spells["start2"].to_numpy()))[0]
    last_seats = seats[np.arange(n), np.maximum(valid.sum(axis=1) - 1, 0)]
    again = pd.DataFrame({"c": r, "plan": PLAN[seg[r]], "start": spells["start2"].to_numpy()[r],
                          "end": spells["end2"].to_numpy()[r], "billing_code": 0, "quantity": last_seats[r],
                          "amount": last_seats[r] * PRICE_PER_SEAT[seg[r]], "discount": 0.0})

    subs = pd.concat([main, addons, again], ignore_index=True)
    subs = subs.sort_values(["c", "start", "plan"], kind="mergesort", ignore_index=True)
    return pd.DataFrame({
        "subscription_id": ("S" + pd.Series(np.arange(1, len(subs) + 1)).astype(str).str.zfill(8)).to_numpy(dtype=object),
        "customer_id": acc["customer_id"].to_numpy()[subs["c"].to_numpy()],
        "plan": subs["plan"].to_numpy(dtype=object),
        "start_date": cal.dates(subs["start"].to_numpy().astype(np.int64)),
        "end_date": pd.DatetimeIndex(np.where(np.isinf(subs["end"]) | subs["end"].isna(), np.datetime64("NaT"),
                                              cal.dates(np.nan_to_num(subs["end"].to_numpy(), posinf=0).astype(np.int64)))),
        "billing_period": BILLING[subs["billing_code"].to_numpy().astype(np.int64)],
        "amount": subs["amount"].to_numpy(dtype=float),
        "quantity": pd.array(subs["quantity"].to_numpy().astype(np.int64), dtype="Int64"),
        "discount": subs["discount"].to_numpy(dtype=float),
        "currency": "USD",
    })
