"""Accounts: who signs up when, in which segment, on what terms, with what hidden traits."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, ids

SEGMENTS = np.array(["smb", "mid_market", "enterprise"], dtype=object)
SEGMENT_SHARE = np.array([0.62, 0.28, 0.10])
PLAN = np.array(["starter", "growth", "enterprise"], dtype=object)
PRICE_PER_SEAT = np.array([25.0, 40.0, 60.0])  # list price per seat per month
SEATS_MEAN = np.array([4.0, 22.0, 120.0])
# Billing mix per segment: month, quarter, year
BILLING = np.array(["month", "quarter", "year"], dtype=object)
BILLING_MONTHS = np.array([1, 3, 12])
BILLING_MIX = np.array([[0.80, 0.05, 0.15], [0.45, 0.15, 0.40], [0.15, 0.10, 0.75]])
REGIONS = np.array(["north_america", "emea", "apac", "latam"], dtype=object)
INDUSTRIES = np.array(["software", "retail", "finance", "healthcare", "manufacturing", "education"], dtype=object)
CHANNELS = np.array(["organic", "paid_search", "partner", "outbound"], dtype=object)
CHANNEL_CAC = np.array([150.0, 450.0, 600.0, 1500.0])  # per account, scaled by segment below
SEGMENT_CAC_SCALE = np.array([1.0, 4.0, 15.0])
MONTHLY_GROWTH = 0.03  # signups grow 3% a month


def draw_accounts(rng: np.random.Generator, n: int, cal: Calendar) -> pd.DataFrame:
    """One row per account with its terms and latent traits (index = account number)."""
    weights = (1 + MONTHLY_GROWTH) ** np.arange(cal.months)
    month = rng.choice(cal.months, size=n, p=weights / weights.sum())
    length = cal.month_starts[month + 1] - cal.month_starts[month]
    dom = (rng.random(n) * length).astype(np.int64)
    seg = rng.choice(3, size=n, p=SEGMENT_SHARE)
    seats = np.maximum(1, rng.poisson(SEATS_MEAN[seg] * rng.lognormal(0, 0.35, n))).astype(np.int64)
    billing = (rng.random(n)[:, None] > np.cumsum(BILLING_MIX[seg], axis=1)).sum(axis=1)
    discounted = rng.random(n) < 0.2
    discount = np.where(discounted, rng.choice([0.10, 0.15, 0.20, 0.25], size=n), 0.0)
    free = (seg == 0) & (rng.random(n) < 0.03)
    channel = rng.choice(4, size=n, p=[0.45, 0.25, 0.15, 0.15])
    # Latent traits: engagement and satisfaction are correlated; support pain is a ticket-rate multiplier.
    engagement = rng.standard_normal(n)
    satisfaction = 0.45 * engagement + np.sqrt(1 - 0.45**2) * rng.standard_normal(n)
    support_pain = rng.lognormal(0.0, 0.6, n)
    return pd.DataFrame({
        "customer_id": ids("C", n),
        "signup_day": cal.month_starts[month] + dom,
        "signup_month": month,
        "day_of_month": dom,
        "segment_code": seg,
        "seats": seats,
        "billing_code": billing,
        "discount": discount,
        "free": free,
        "channel_code": channel,
        "region": REGIONS[rng.choice(4, size=n, p=[0.45, 0.3, 0.17, 0.08])],
        "industry": INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)],
        "acquisition_cost": np.round(CHANNEL_CAC[channel] * SEGMENT_CAC_SCALE[seg] * rng.lognormal(0, 0.3, n), 2),
        "engagement": engagement,
        "satisfaction": satisfaction,
        "support_pain": support_pain,
    })


def customers_table(acc: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    seg = acc["segment_code"].to_numpy()
    return pd.DataFrame({
        "customer_id": acc["customer_id"].to_numpy(),
        "signup_date": cal.dates(acc["signup_day"].to_numpy()),
        "segment": SEGMENTS[seg],
        "plan": np.where(acc["free"], "free", PLAN[seg]).astype(object),
        "region": acc["region"].to_numpy(),
        "industry": acc["industry"].to_numpy(),
        "acquisition_channel": CHANNELS[acc["channel_code"].to_numpy()],
        "acquisition_cost": acc["acquisition_cost"].to_numpy(),
    })
