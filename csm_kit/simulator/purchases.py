"""One-off purchases: training and services bought during the first paid spell.

Larger and more engaged accounts buy more, and larger ones pay more per
purchase; these are the non-contractual revenue in ``transactions``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, ids


def transactions_table(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame, cal: Calendar,
                       first_id: int = 1) -> pd.DataFrame:
    """One-off purchases (training, services) during the first paid spell; ids numbered from ``first_id``."""
    start = spells["start1"].to_numpy()
    stop = np.where(np.isnan(spells["end1"].to_numpy()), cal.end, spells["end1"].to_numpy())
    months = (stop - start) / 30.44
    seg = acc["segment_code"].to_numpy()
    k = rng.poisson(0.05 * months * np.exp(0.4 * acc["engagement"].to_numpy()) * (1 + seg))
    c = np.repeat(np.arange(len(acc)), k)
    day = start[c] + rng.random(len(c)) * (stop[c] - start[c])
    seconds = np.floor(day * 86400)
    amount = np.round(rng.lognormal(np.log(np.array([250.0, 900.0, 3000.0])[seg[c]]), 0.5), 2)
    order = np.lexsort((seconds, c))
    return pd.DataFrame({"transaction_id": ids("P", len(c), 8, start=first_id), "customer_id": acc["customer_id"].to_numpy()[c[order]],
                         "date": cal.instants(seconds[order].astype(np.int64)), "amount": amount[order],
                         "currency": "USD"})
