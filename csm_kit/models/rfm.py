"""The RFM summary that non-contractual CLV models are fitted on.

Column vocabulary (as in the papers and PyMC-Marketing): ``frequency`` =
repeat purchases (distinct purchase days after the first), ``recency`` =
time from the first to the last purchase, ``T`` = time from the first
purchase to the end of the calibration period, ``monetary_value`` = mean
value of the repeat purchases (purchases on one day are added up first), all
in one stated ``time_unit``, which the summary carries in ``.attrs``.
"""
from __future__ import annotations

import pandas as pd

DAYS_PER_UNIT = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


def rfm_summary(data, *, calibration_end, observation_end=None, time_unit: str = "week") -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer, with an optional holdout.

    Parameters
    ----------
    data : Dataset or DataFrame
        The ``transactions`` table (customer_id, date, amount).
    calibration_end : date
        Last day of the calibration period (inclusive). Customers whose first
        purchase is after it are left out.
    observation_end : date, optional
        Last day of a holdout period: adds ``frequency_holdout`` (purchase
        days in the holdout), ``monetary_holdout`` and ``duration_holdout``.
    time_unit : {"day", "week", "month", "year"}

    Returns
    -------
    DataFrame
        Index ``customer_id``; ``.attrs["time_unit"]`` is the unit.
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be one of {list(DAYS_PER_UNIT)}, not {time_unit!r}.")
    tx = data if isinstance(data, pd.DataFrame) else (data.require("transactions", by="rfm_summary") or data.transactions)
    cal_end = pd.Timestamp(calibration_end).normalize()
    unit = DAYS_PER_UNIT[time_unit]
    daily = (tx.assign(day=tx["date"].dt.normalize()).groupby(["customer_id", "day"], sort=True)["amount"].sum()
             .reset_index())
    cal = daily[daily["day"] <= cal_end].copy()
    cal["nth"] = cal.groupby("customer_id").cumcount()
    g = cal.groupby("customer_id")
    first, last = g["day"].min(), g["day"].max()
    out = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (last - first).dt.days / unit,
        "T": (cal_end - first).dt.days / unit,
        "monetary_value": cal[cal["nth"] > 0].groupby("customer_id")["amount"].mean().reindex(first.index).fillna(0.0),
    })
    if observation_end is not None:
        obs_end = pd.Timestamp(observation_end).normalize()
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)]
        h = hold.groupby("customer_id")["amount"]
        out["frequency_holdout"] = h.size().reindex(out.index).fillna(0).astype(int)
        out["monetary_holdout"] = h.mean().reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (obs_end - cal_end).days / unit
    out.attrs["time_unit"] = time_unit
    return out
