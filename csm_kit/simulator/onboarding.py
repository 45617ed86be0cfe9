"""Onboarding: the milestone plan, and when (if ever) each account reaches each milestone.

Engaged accounts move faster and finish more often; finishing the required
milestones within 90 days lowers churn (see ``TRUE_CHURN_DRIVERS``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar

MILESTONES = pd.DataFrame({
    "milestone": ["account_created", "data_connected", "first_report", "team_invited", "integration_live"],
    "order": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
    "required": [True, True, True, False, False],
    "first_value": [False, True, False, False, False],
    "description": ["Account created at signup", "First data source connected: the first value moment",
                    "First report built and shared", "A second user invited",
                    "An integration with another tool switched on"],
})
# Per milestone after the first: base log-odds of ever reaching it, and mean days after the previous one.
REACH_LOGIT = np.array([1.6, 1.8, 1.0, -0.2])
MEAN_GAP_DAYS = np.array([6.0, 8.0, 12.0, 20.0])


def draw_onboarding(rng: np.random.Generator, acc: pd.DataFrame) -> np.ndarray:
    """Days from signup to each milestone (n x 5); NaN = never reached. Milestones come in order."""
    n = len(acc)
    e = acc["engagement"].to_numpy()
    reach = rng.random((n, 4)) < 1 / (1 + np.exp(-(REACH_LOGIT[None, :] + 1.2 * e[:, None])))
    reach = np.cumprod(reach, axis=1).astype(bool)  # a milestone needs the ones before it
    gaps = rng.exponential(MEAN_GAP_DAYS[None, :] * np.exp(-0.4 * e)[:, None], size=(n, 4))
    days = np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1)
    days[:, 1:][~reach] = np.nan
    return days


def onboarded_within(days: np.ndarray, within: float = 90.0) -> np.ndarray:
    """Whether all required milestones (the first three) were reached within ``within`` days."""
    return np.nan_to_num(days[:, 2], nan=np.inf) <= within


def onboarding_table(acc: pd.DataFrame, days: np.ndarray, cal: Calendar) -> pd.DataFrame:
    """One row per reached milestone, dated before the end of the window."""
    n = len(acc)
    seconds = (acc["signup_day"].to_numpy()[:, None] * 86400.0 + 9 * 3600 + days * 86400.0)
    rows, cols = np.nonzero(~np.isnan(days) & (seconds < cal.end * 86400.0))
    return pd.DataFrame({
        "customer_id": acc["customer_id"].to_numpy()[rows],
        "milestone": MILESTONES["milestone"].to_numpy()[cols],
        "completed_at": cal.instants(np.floor(seconds[rows, cols])),
    }).sort_values(["customer_id", "completed_at"], kind="mergesort", ignore_index=True) if n else pd.DataFrame(
        columns=["customer_id", "milestone", "completed_at"])
