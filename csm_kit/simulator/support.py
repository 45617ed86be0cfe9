"""Support tickets.

Accounts with more "support pain" (a hidden trait that also raises churn)
open more tickets; urgent tickets get faster answers. Tickets still open at
the end of the window have no resolution time (censored).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, active_months, ids

PRIORITIES = np.array(["low", "normal", "high", "urgent"], dtype=object)
FIRST_RESPONSE_HOURS = np.array([10.0, 5.0, 2.0, 0.5])
CHANNELS = np.array(["email", "chat", "phone", "web"], dtype=object)
CATEGORIES = np.array(["how_to", "bug", "billing", "integration", "performance"], dtype=object)


def tickets_frame(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame, cal: Calendar,
                  first_id: int = 1) -> pd.DataFrame:
    """Tickets with their account number ``c`` and times in seconds (inf = not yet); ids from ``first_id``."""
    c_all = np.arange(len(acc))
    am = pd.concat([active_months(cal, c_all, spells["start1"].to_numpy(), spells["end1"].to_numpy()),
                    active_months(cal, c_all, spells["start2"].to_numpy(), spells["end2"].to_numpy())],
                   ignore_index=True)
    c = am["c"].to_numpy()
    lam = 0.22 * acc["support_pain"].to_numpy()[c] * (acc["seats"].to_numpy()[c] / 5.0) ** 0.3 \
        * (am["hi"] - am["lo"]).to_numpy() / 30.44
    k = rng.poisson(lam)
    r = np.repeat(np.arange(len(am)), k)
    lo, hi = am["lo"].to_numpy()[r], am["hi"].to_numpy()[r]
    opened = (lo + rng.random(len(r)) * (hi - lo)) * 86400
    priority = rng.choice(4, size=len(r), p=[0.3, 0.45, 0.2, 0.05])
    first = opened + 3600 * rng.lognormal(np.log(FIRST_RESPONSE_HOURS[priority]), 0.8)
    resolved = first + 3600 * rng.lognormal(np.log(20.0), 1.0, len(r))
    end = cal.end * 86400.0
    frame = pd.DataFrame({"c": c[r], "opened": np.floor(opened), "first": np.where(first < end, np.floor(first), np.inf),
                          "resolved": np.where(resolved < end, np.floor(resolved), np.inf), "priority": priority,
                          "channel": rng.choice(4, size=len(r), p=[0.5, 0.3, 0.1, 0.1]),
                          "category": rng.integers(0, len(CATEGORIES), len(r))})
    frame = frame.sort_values(["c", "opened"], kind="mergesort", ignore_index=True)
    frame["ticket_id"] = ids("T", len(frame), 8, start=first_id)
    return frame


def tickets_table(acc: pd.DataFrame, frame: pd.DataFrame, cal: Calendar, csat: np.ndarray) -> pd.DataFrame:
    def when(seconds):
        return pd.DatetimeIndex(np.where(np.isinf(seconds), np.datetime64("NaT"),
                                         cal.instants(np.nan_to_num(seconds, posinf=0).astype(np.int64))))
    return pd.DataFrame({
        "ticket_id": frame["ticket_id"].to_numpy(), "customer_id": acc["customer_id"].to_numpy()[frame["c"].to_numpy()],
        "opened_at": cal.instants(frame["opened"].to_numpy().astype(np.int64)),
        "first_response_at": when(frame["first"].to_numpy()), "resolved_at": when(frame["resolved"].to_numpy()),
        "priority": PRIORITIES[frame["priority"].to_numpy()], "channel": CHANNELS[frame["channel"].to_numpy()],
        "csat": csat, "category": CATEGORIES[frame["category"].to_numpy()],
    })
