"""Product usage: rows per user, day and feature, with a count of events.

Engaged accounts use the product more often and use more features; usage
fades in the two months before an account leaves. The ``intensity``
parameter scales the number of rows (about ``intensity`` rows per paying
account and month), which keeps a million-account simulation tractable.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, active_months

FEATURES = np.array(["dashboard", "reports", "alerts", "export", "integrations", "api", "collaboration"], dtype=object)
CORE = 3  # the first three features are what everyone uses


def usage_table(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame, cal: Calendar,
                intensity: float) -> pd.DataFrame:
    cols = ["customer_id", "user_id", "timestamp", "event", "quantity"]
    if intensity <= 0 or len(acc) == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, [object, object, "datetime64[ns]", object, "Int64"])})
    c_all = np.arange(len(acc))
    am = pd.concat([active_months(cal, c_all, spells["start1"].to_numpy(), spells["end1"].to_numpy()),
                    active_months(cal, c_all, spells["start2"].to_numpy(), spells["end2"].to_numpy())],
                   ignore_index=True)
    e = acc["engagement"].to_numpy()[am["c"].to_numpy()]
    seats = acc["seats"].to_numpy()[am["c"].to_numpy()]
    share = (am["hi"] - am["lo"]).to_numpy() / 30.44
    fading = np.where(am["until_end"].to_numpy() < 61, 0.35, 1.0)
    lam = intensity * np.exp(0.7 * e - 0.245) * (seats / 5.0) ** 0.25 * share * fading
    k = rng.poisson(lam)
    r = np.repeat(np.arange(len(am)), k)
    lo, hi = am["lo"].to_numpy()[r], am["hi"].to_numpy()[r]
    day = lo + np.floor(rng.random(len(r)) * (hi - lo)).astype(np.int64)
    c = am["c"].to_numpy()[r]
    users = np.minimum(acc["seats"].to_numpy()[c], 25)
    user = np.floor(rng.random(len(r)) ** (1 + np.exp(-e[r])) * users).astype(np.int64)  # a few power users
    explore = rng.random(len(r)) < 1 / (1 + np.exp(-(e[r] - 0.3)))
    feature = np.where(explore, rng.integers(0, len(FEATURES), len(r)), rng.integers(0, CORE, len(r)))
    seconds = day * 86400 + 8 * 3600 + np.floor(rng.random(len(r)) * 10 * 3600).astype(np.int64)
    quantity = 1 + rng.poisson(2.0 * np.exp(0.3 * e[r]))
    order = np.lexsort((feature, user, seconds, c))
    c, user, seconds, feature, quantity = c[order], user[order], seconds[order], feature[order], quantity[order]
    customer_id = acc["customer_id"].to_numpy()[c]
    # Build each user's id once and share it across that user's rows: at a million accounts
    # the per-row strings would otherwise cost several GB.
    pairs, row_pair = np.unique(c * 32 + user, return_inverse=True)
    names = (pd.Series(acc["customer_id"].to_numpy()[pairs // 32]) + "-U"
             + pd.Series(pairs % 32).astype(str).str.zfill(2)).to_numpy(dtype=object)
    user_id = names[row_pair]
    return pd.DataFrame({"customer_id": customer_id, "user_id": user_id, "timestamp": cal.instants(seconds),
                         "event": FEATURES[feature], "quantity": pd.array(quantity, dtype="Int64")})
