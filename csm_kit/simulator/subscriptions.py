"""Subscriptions: when each account churns, comes back, and changes its seats.

The monthly churn hazard of an account (the data-generating process the
survival models and the health score are judged against)::

    h = min(0.6, base[segment] * exp(- 0.45 * engagement
                                     - 0.40 * satisfaction
                                     + 0.70 * not_onboarded
                                     + 0.50 * log(support_pain)))

with base 0.030 (smb), 0.016 (mid_market), 0.008 (enterprise): the
coefficients of :data:`TRUE_CHURN_DRIVERS`. ``not_onboarded`` is 1 when the
required milestones were not all reached within 90 days of signup.

Monthly billers can leave at any monthly anniversary; quarterly and annual
billers only at renewal, with the hazard accumulated over the term
(``1 - (1 - h)^3`` or ``1 - (1 - h)^12``). A few monthly accounts give up in
their first weeks (more often when disengaged): they join and churn in the
same month when they signed up early enough. Some churned accounts come
back months later on a monthly plan (a reactivation). Seats change at
anniversaries (renewals for annual and quarterly plans): engaged accounts
mostly expand, disengaged ones contract; some larger accounts buy an add-on.
Rows that end with the account's spell carry a cancel reason (most of them).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .accounts import BILLING, BILLING_MONTHS, PLAN, PRICE_PER_SEAT
from .calendar import Calendar, ids

TRUE_CHURN_DRIVERS = {
    "base_monthly_hazard": {"smb": 0.030, "mid_market": 0.016, "enterprise": 0.008},
    "engagement": -0.45,          # per standard deviation of latent engagement (seen in usage)
    "satisfaction": -0.40,        # per standard deviation of latent satisfaction (seen in NPS/CSAT)
    "not_onboarded": 0.70,        # required milestones not reached within 90 days
    "log_support_pain": 0.50,     # per unit of log ticket-rate multiplier (seen in ticket counts)
    "onboarded_within_days": 90,  # window for the required milestones
    "hazard_cap": 0.60,           # no account's monthly hazard exceeds this
}
CHANGE_SLOTS = 3
REACTIVATION_PROBABILITY = 0.18
ADDON_PRICE = {1: 300.0, 2: 1200.0}  # mid_market, enterprise; monthly


def monthly_hazard(acc: pd.DataFrame, onboarded: np.ndarray) -> np.ndarray:
    d = TRUE_CHURN_DRIVERS
    base = np.array(list(d["base_monthly_hazard"].values()))[acc["segment_code"].to_numpy()]
    risk = (d["engagement"] * acc["engagement"].to_numpy() + d["satisfaction"] * acc["satisfaction"].to_numpy()
            + d["not_onboarded"] * (~onboarded) + d["log_support_pain"] * np.log(acc["support_pain"].to_numpy()))
    return np.minimum(base * np.exp(risk), d["hazard_cap"])


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
    # A returning account pays monthly again, so it leaves on a monthly anniversary of its return.
    day2 = np.nan_to_num(start2, nan=0).astype(np.int64)
    month2 = cal.month_of(day2)
    end2 = cal.anniversary(month2, day2 - cal.month_starts[month2], months2).astype(float)
    end2[end2 >= cal.end] = np.nan
    return pd.DataFrame({"start1": start.astype(float), "end1": end, "flop": flop,
                         "start2": start2, "end2": np.where(np.isnan(start2), np.nan, end2)})


def subscriptions_table(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame,
                        cal: Calendar, first_id: int = 1) -> pd.DataFrame:
    """One row per subscription (seat changes split a row), ids ``S...`` numbered from ``first_id``."""
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
    day = np.take_along_axis(day, order, 1)
    factor, grow = np.take_along_axis(factor, order, 1), np.take_along_axis(grow, order, 1)
    day[:, 1:][day[:, 1:] == day[:, :-1]] = np.inf  # one change per anniversary
    # Apply the changes in date order; each moves the seat count by at least one seat, and a
    # contraction of a one-seat account is no change at all (no row is split without a change).
    seats_now = acc["seats"].to_numpy().astype(float)
    after = np.empty((n, CHANGE_SLOTS))
    for j in range(CHANGE_SLOTS):
        target = np.round(seats_now * factor[:, j])
        target = np.where(grow[:, j], np.maximum(target, seats_now + 1), np.maximum(1, np.minimum(target, seats_now - 1)))
        real = np.isfinite(day[:, j]) & (target != seats_now)
        day[:, j] = np.where(real, day[:, j], np.inf)
        seats_now = np.where(real, target, seats_now)
        after[:, j] = seats_now
    order = np.argsort(day, axis=1, kind="stable")  # dropped changes to the back
    day, after = np.take_along_axis(day, order, 1), np.take_along_axis(after, order, 1)

    bounds = np.column_stack([start, day, np.full(n, np.inf)])           # n x (slots + 2)
    piece_end = np.minimum(bounds[:, 1:], np.where(np.isnan(end), np.inf, end)[:, None])
    piece_start = bounds[:, :-1]
    seats = np.column_stack([acc["seats"].to_numpy().astype(float), after])
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
    reason = _cancel_reasons(rng, acc, spells, subs)
    return pd.DataFrame({
        "subscription_id": ids("S", len(subs), 8, start=first_id),
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
        "cancel_reason": reason,
    })


CANCEL_REASONS = np.array(["not_using", "price", "missing_features", "switched_competitor", "poor_support",
                           "budget_cuts", "business_closed"], dtype=object)
REASON_UNKNOWN = 0.3  # share of cancellations with no reason recorded


def _cancel_reasons(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame,
                    subs: pd.DataFrame) -> np.ndarray:
    """The stated reason on rows that end with their account's spell (not on seat changes), else None.

    The reason follows the account's hidden traits (disengaged: not using it; dissatisfied:
    features and competitors; support pain: poor support), drawn once per account and spell
    with the Gumbel-max trick so that a plan and its add-on ending together give the same reason.
    """
    n = len(acc)
    e, s = acc["engagement"].to_numpy(), acc["satisfaction"].to_numpy()
    pain = np.log(acc["support_pain"].to_numpy())
    score = np.column_stack([0.2 - e, np.full(n, 0.3), -0.2 - 0.6 * s, -0.4 - 0.6 * s, -0.8 + pain,
                             np.full(n, -0.3), np.full(n, -1.5)])
    picks = [np.argmax(score + rng.gumbel(size=score.shape), axis=1) for _ in range(2)]  # spell 1, spell 2
    unknown = rng.random((n, 2)) < REASON_UNKNOWN
    c = subs["c"].to_numpy()
    end = subs["end"].to_numpy(dtype=float)
    spell = np.where(end == spells["end2"].to_numpy()[c], 1, 0)
    ends_spell = np.isfinite(end) & ((end == spells["end1"].to_numpy()[c]) | (spell == 1))
    chosen = np.where(spell == 1, picks[1][c], picks[0][c])
    known = ends_spell & ~unknown[c, spell]
    return np.where(known, CANCEL_REASONS[chosen], None)
