"""The RFM summary that non-contractual CLV models are fitted on.

Column vocabulary (as in the papers and PyMC-Marketing): ``frequency`` =
repeat purchases (distinct purchase days after the first), ``recency`` =
time from the first to the last purchase, ``T`` = time from the first
purchase to the end of the calibration period, ``monetary_value`` = mean
value of the repeat purchases (purchases on one day are added up first), all
in one stated ``time_unit``, which the summary carries in a ``time_unit``
column (one value on every row, so a merge or a filter cannot lose it;
``.attrs`` too, for information), and ``currency`` (when the transactions
have one): amounts in two currencies are refused, never averaged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError
from ..periods import as_of_day

DAYS_PER_UNIT = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


def rfm_summary(data, *, calibration_end, observation_end=None, time_unit: str = "week") -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer, with an optional holdout.

    Calibration is every purchase day up to and including ``calibration_end``;
    the holdout is the days after it up to and including ``observation_end``.
    A customer whose first purchase is on ``calibration_end`` has T = 0;
    customers whose first purchase is later are left out (they are not in
    the calibration cohort).

    Parameters
    ----------
    data : Dataset or DataFrame
        The ``transactions`` table (customer_id, date, amount).
    calibration_end : date
        Last day of the calibration period (inclusive).
    observation_end : date, optional
        Last day of a holdout period (after ``calibration_end``): adds
        ``frequency_holdout`` (purchase days in the holdout),
        ``monetary_holdout`` (their mean value) and ``duration_holdout``.
    time_unit : {"day", "week", "month", "year"}
        A month is 365.25 / 12 days, a year 365.25.

    Returns
    -------
    DataFrame
        Index ``customer_id``; columns ``frequency, recency, T,
        monetary_value``, the holdout columns, ``time_unit`` and, when the
        transactions have a ``currency`` column, ``currency``.

    Raises
    ------
    DataValidationError
        Transactions in more than one currency (convert them first, or
        filter to one currency), or a missing/empty required column.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "a"],
    ...                    "date": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-08", "2026-01-15",
    ...                                            "2026-01-29"]),
    ...                    "amount": [10.0, 5.0, 15.0, 7.0, 30.0]})
    >>> rfm_summary(tx, calibration_end="2026-01-15", observation_end="2026-02-12").drop(columns="time_unit").T
    customer_id           a    b
    frequency           1.0  0.0
    recency             1.0  0.0
    T                   2.0  0.0
    monetary_value     20.0  0.0
    frequency_holdout   1.0  0.0
    monetary_holdout   30.0  0.0
    duration_holdout    4.0  4.0
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be one of {list(DAYS_PER_UNIT)}, not {time_unit!r}.")
    tx = data if isinstance(data, pd.DataFrame) else (data.require("transactions", by="rfm_summary") or data.transactions)
    _check_transactions(tx)
    cal_end = as_of_day(calibration_end, name="calibration_end")
    obs_end = None if observation_end is None else as_of_day(observation_end, name="observation_end")
    if obs_end is not None and obs_end <= cal_end:
        raise ValueError(f"observation_end ({obs_end.date()}) must be after calibration_end ({cal_end.date()}).")
    unit = DAYS_PER_UNIT[time_unit]
    daily = (tx.assign(day=tx["date"].dt.normalize()).groupby(["customer_id", "day"], sort=True)["amount"].sum()
             .reset_index())
    cal = daily[daily["day"] <= cal_end].copy()
    if cal.empty:
        raise ValueError(f"No transaction on or before calibration_end {cal_end.date()}.")
    cal["nth"] = cal.groupby("customer_id").cumcount()
    g = cal.groupby("customer_id")
    first, last = g["day"].min(), g["day"].max()
    out = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (last - first).dt.days / unit,
        "T": (cal_end - first).dt.days / unit,
        "monetary_value": cal[cal["nth"] > 0].groupby("customer_id")["amount"].mean().reindex(first.index).fillna(0.0),
    })
    if obs_end is not None:
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)]
        h = hold.groupby("customer_id")["amount"]
        out["frequency_holdout"] = h.size().reindex(out.index).fillna(0).astype(int)
        out["monetary_holdout"] = h.mean().reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (obs_end - cal_end).days / unit
    out["time_unit"] = time_unit
    currencies = tx["currency"].dropna().unique() if "currency" in tx.columns else []
    if len(currencies) == 1:
        out["currency"] = str(currencies[0])
    out.attrs["time_unit"] = time_unit
    return out


def _check_transactions(tx: pd.DataFrame) -> None:
    missing = [c for c in ("customer_id", "date", "amount") if c not in tx.columns]
    if missing:
        raise DataValidationError("transactions", None, f"missing column(s) {missing}",
                                  detail=f"the table has {list(tx.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(tx["date"]):
        raise DataValidationError("transactions", "date", "must be dates (datetime64)", detail=f"got {tx['date'].dtype}")
    for column, bad in (("customer_id", tx["customer_id"].isna()), ("date", tx["date"].isna()),
                        ("amount", ~np.isfinite(pd.to_numeric(tx["amount"], errors="coerce").astype(float)))):
        if bad.any():
            rows = tx.loc[bad, ["customer_id", "date", "amount"]].head(5)
            rows.index = np.flatnonzero(bad.to_numpy())[:5] + 1
            raise DataValidationError("transactions", column, "must not be empty (a number for amount)", rows=rows)
    check_single_currency(tx, "transactions")


def check_single_currency(table: pd.DataFrame, name: str) -> None:
    """Refuse a table of amounts in more than one ``currency`` (a mean of USD and JPY is no number).

    >>> check_single_currency(pd.DataFrame({"customer_id": ["a", "b"], "currency": ["USD", "JPY"]}), "transactions")
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.DataValidationError: ...
    """
    if "currency" not in table.columns:
        return
    currencies = table["currency"].dropna().unique()
    if len(currencies) > 1:
        shown = [c for c in ("customer_id", "date", "amount", "currency") if c in table.columns]
        sample = table.drop_duplicates("currency").head(5)
        rows = sample[shown].copy()
        if isinstance(table.index, pd.RangeIndex):
            rows.index = sample.index + 1
        raise DataValidationError(name, "currency", "purchase and CLV models cannot mix amounts in different "
                                  "currencies", rows=rows,
                                  detail=f"found {sorted(map(str, currencies))}; convert first or filter to one currency")


def check_summary(summary: pd.DataFrame, by: str, monetary: bool = False) -> None:
    """Check an RFM summary's columns and rules, naming the offending customers.

    Rules: ``frequency`` a whole number >= 0; ``0 <= recency <= T``;
    ``recency == 0`` when ``frequency == 0``; with ``monetary``,
    ``monetary_value`` present and finite.

    >>> s = pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [3.0]})
    >>> check_summary(s, "fit")
    Traceback (most recent call last):
    ...
    ValueError: fit: recency must lie between 0 and T; offending customers: [0]
    """
    needed = ["frequency", "recency", "T"] + (["monetary_value"] if monetary else [])
    missing = [c for c in needed if c not in summary.columns]
    if missing:
        raise ValueError(f"{by} needs RFM summary column(s) {missing}; the table has {list(summary.columns)}.")
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    rules = [("frequency must be a whole number >= 0", ~((x >= 0) & (x == np.round(x)))),
             ("recency must lie between 0 and T", ~((tx >= 0) & (tx <= T + 1e-12))),
             ("recency must be 0 when frequency is 0", (x == 0) & (tx != 0))]
    if monetary:
        rules.append(("monetary_value must be a finite number", ~np.isfinite(summary["monetary_value"].to_numpy(float))))
    for rule, bad in rules:
        if bad.any():
            raise ValueError(f"{by}: {rule}; offending customers: {summary.index[bad][:5].tolist()}")
