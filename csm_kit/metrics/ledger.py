"""The recurring-revenue ledger: MRR per subscription, month-end balances, paid spells.

Every revenue and retention metric stands on the three functions here, so
that "the number doesn't match" can always be traced to one definition.

Conventions
-----------
- MRR of a subscription = amount x (1 - discount) / months in its billing
  period (month 1, quarter 3, year 12, week 12/52, day 12/365.25). A free plan
  (amount 0) has MRR 0 and does not make a customer paying.
- A subscription covers ``[start_date, end_date)``; an empty ``end_date``
  means still active.
- A customer is *paying* on a day when the sum of its subscriptions' MRR that
  day is > 0. Churn and retention are decided at the customer level:
  cancelling one of two subscriptions is contraction, not churn.
- MRR(M) is a balance: the customers' MRR on the last day of month M.
- Balances are added up in integer micro-units (1e-6 of the currency), so
  movement totals reconcile with balances exactly, whatever the row order.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import BILLING_PERIOD_MONTHS
from ..exceptions import DataValidationError, MissingTableError
from ..periods import month_index, months as month_range, to_month

MICRO = 1_000_000  # balances are summed as integers of 1e-6 currency units


def _subscriptions(data) -> pd.DataFrame:
    """The subscriptions table from a Dataset or a DataFrame."""
    if isinstance(data, pd.DataFrame):
        return data
    data.require("subscriptions", by="the revenue ledger")
    return data.subscriptions


_NEEDED = ("customer_id", "start_date", "end_date", "billing_period", "amount")


def check_ledger_rows(subs: pd.DataFrame) -> None:
    """Refuse rows the ledger cannot place, instead of silently mis-adding them.

    Loaders validate the whole contract; this repeats the few rules the
    arithmetic depends on for tables passed in directly as DataFrames.
    Row numbers are 1-based positions. Shared by every function that adds
    subscriptions up (the ledger, revenue, lifetime value, the survival table).

    Raises
    ------
    MissingTableError
        A column the ledger needs is missing.
    DataValidationError
        A rule is broken; the error names the column, the rule and the first rows.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-01", "2026-03-01"]),
    ...     "end_date": pd.to_datetime([None, "2026-02-01"]), "billing_period": "month", "amount": [10.0, 5.0]})
    >>> check_ledger_rows(subs)
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.DataValidationError: subscriptions.end_date: ends before it starts (1 row(s))...
    """
    missing = [c for c in _NEEDED if c not in subs.columns]
    if missing:
        raise MissingTableError(f"The revenue ledger needs subscriptions column(s) {missing}; "
                                f"the table has {list(subs.columns)}.")
    rules = [
        ("customer_id", "must not be empty", subs["customer_id"].isna()),
        ("start_date", "must not be empty", subs["start_date"].isna()),
        ("amount", "must be a number >= 0", ~(subs["amount"] >= 0)),
        ("end_date", "ends before it starts", subs["end_date"] < subs["start_date"]),
    ]
    for column, rule, bad in rules:
        bad = bad.to_numpy(dtype=bool)
        if bad.any():
            shown = [c for c in ("subscription_id", "customer_id", "start_date", "end_date", "amount")
                     if c in subs.columns]
            rows = subs.loc[bad, shown].head(5)
            rows.index = np.flatnonzero(bad)[:5] + 1
            raise DataValidationError("subscriptions", column, rule, rows=rows,
                                      detail=f"{int(bad.sum()):,} row(s)")


def _check_single_currency(subs: pd.DataFrame) -> None:
    if "currency" not in subs.columns:
        return
    currencies = subs["currency"].dropna().unique()
    if len(currencies) > 1:
        shown = [c for c in ("subscription_id", "customer_id", "currency") if c in subs.columns]
        sample = subs.drop_duplicates("currency").head(5)[shown]
        raise DataValidationError(
            "subscriptions", "currency", "MRR cannot add up amounts in different currencies",
            rows=sample, detail=f"found {sorted(currencies)}; convert first or filter to one currency",
        )


def subscription_mrr(subscriptions: pd.DataFrame) -> pd.Series:
    """Monthly recurring revenue of each subscription row.

    ``mrr = amount * (1 - discount) / months_per_billing_period``

    Parameters
    ----------
    subscriptions : DataFrame
        The ``subscriptions`` table (``amount``, ``billing_period``, optional
        ``discount``).

    Returns
    -------
    Series
        MRR per row, aligned with ``subscriptions``, named ``mrr``.

    Examples
    --------
    >>> subs = pd.DataFrame({"amount": [1200.0, 100.0, 300.0],
    ...                      "billing_period": ["year", "month", "quarter"],
    ...                      "discount": [0.0, 0.25, None]})
    >>> subscription_mrr(subs).tolist()
    [100.0, 75.0, 100.0]
    """
    months_per_period = subscriptions["billing_period"].map(BILLING_PERIOD_MONTHS)
    unknown = months_per_period.isna()
    if unknown.any():
        rows = subscriptions.loc[unknown, ["billing_period"]].head(5)
        raise DataValidationError(
            "subscriptions", "billing_period", "unknown billing period", rows=rows,
            detail=f"allowed: {', '.join(BILLING_PERIOD_MONTHS)}",
        )
    discount = subscriptions["discount"].fillna(0.0) if "discount" in subscriptions else 0.0
    return (subscriptions["amount"] * (1.0 - discount) / months_per_period).rename("mrr")


def month_end_mrr(data, start, end) -> pd.DataFrame:
    """Each customer's MRR on the last day of every month from ``start`` to ``end``.

    A subscription counts at the end of month M when
    ``start_date <= last_day(M) < end_date``: it covers the months from the
    month of ``start_date`` to the month before ``end_date``'s month. A
    subscription that starts and ends inside one month never shows in a
    month-end balance.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions``, or the table itself.
    start, end : str or Period
        First and last month, inclusive (``"YYYY-MM"``).

    Returns
    -------
    DataFrame
        Index ``customer_id`` (every customer with a subscription row, paying
        or not), one column per month (``PeriodIndex`` named ``month``),
        values MRR (float, rounded to 1e-6).

    Examples
    --------
    >>> subs = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start_date": pd.to_datetime(["2026-01-15", "2026-02-10", "2026-02-01"]),
    ...     "end_date": pd.to_datetime([None, "2026-03-05", "2026-02-20"]),
    ...     "billing_period": ["month", "month", "month"],
    ...     "amount": [100.0, 50.0, 80.0]})
    >>> month_end_mrr(subs, "2026-01", "2026-03")
    month        2026-01  2026-02  2026-03
    customer_id
    a              100.0    150.0    100.0
    b                0.0      0.0      0.0
    """
    customers, _, cols, micro = month_end_micro(_subscriptions(data), start, end)
    return pd.DataFrame(micro / MICRO, index=pd.Index(customers, name="customer_id"), columns=cols)


def month_end_micro(subs: pd.DataFrame, start, end):
    """The arithmetic of :func:`month_end_mrr`, in integer micro-units.

    Returns ``(customers, codes, months, balances)``: the sorted customer ids,
    each subscription row's position in them, the ``PeriodIndex`` of months
    and the int64 customer x month balance matrix. Revenue metrics use this
    form directly so that sums stay exact and nothing is converted twice.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["b", "a"], "start_date": pd.to_datetime(["2026-01-10", "2026-02-01"]),
    ...     "end_date": pd.NaT, "billing_period": ["month", "year"], "amount": [10.0, 120.0]})
    >>> customers, codes, months, micro = month_end_micro(subs, "2026-01", "2026-02")
    >>> list(customers), codes.tolist(), [str(m) for m in months], micro.tolist()
    (['a', 'b'], [1, 0], ['2026-01', '2026-02'], [[0, 10000000], [10000000, 10000000]])
    """
    check_ledger_rows(subs)
    _check_single_currency(subs)
    cols = month_range(start, end)
    n_months = len(cols)
    mrr_micro = np.rint(subscription_mrr(subs).to_numpy() * MICRO).astype(np.int64)

    customer_codes, customers = pd.factorize(subs["customer_id"], sort=True)
    first = month_index(subs["start_date"], cols[0])
    # Months covered end the month before end_date's month; no end_date -> beyond the range.
    last = month_index(subs["end_date"], cols[0]) - 1
    first_c = np.clip(first, 0, n_months)
    stop_c = np.clip(last + 1, 0, n_months)
    covers = stop_c > first_c

    # Difference array: +mrr at the first covered month, -mrr after the last.
    diff = np.zeros((len(customers), n_months + 1), dtype=np.int64)
    np.add.at(diff, (customer_codes[covers], first_c[covers]), mrr_micro[covers])
    np.add.at(diff, (customer_codes[covers], stop_c[covers]), -mrr_micro[covers])
    # Cumulate the whole (contiguous) array, then drop the spill column: 10x faster than a sliced view.
    return customers, customer_codes, cols, np.ascontiguousarray(np.cumsum(diff, axis=1)[:, :n_months])


def paid_spells(data) -> pd.DataFrame:
    """Each customer's spells of paying: maximal intervals with MRR > 0.

    A spell is ``[start, end)`` in days; ``end`` is NaT while it lasts.
    Subscriptions that touch (one ends the day another starts, as in a plan
    change) make one spell, not a churn and a reactivation.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions``, or the table itself.

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``spell`` (1 for the first paid spell, 2 for
        the first reactivation, ...), ``start``, ``end``; sorted by customer
        and start. Zero-length spells are left out.

    Examples
    --------
    >>> subs = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-05-01"]),
    ...     "end_date": pd.to_datetime(["2026-02-01", "2026-03-01", None]),
    ...     "billing_period": ["month"] * 3, "amount": [10.0, 20.0, 10.0]})
    >>> paid_spells(subs)
      customer_id  spell      start        end
    0           a      1 2026-01-01 2026-03-01
    1           a      2 2026-05-01        NaT
    """
    subs = _subscriptions(data)
    check_ledger_rows(subs)
    paying = subs[subscription_mrr(subs).to_numpy() > 0]
    starts = pd.DataFrame({"customer_id": paying["customer_id"].to_numpy(),
                           "date": paying["start_date"].to_numpy(), "delta": 1})
    ended = paying[paying["end_date"].notna()]
    ends = pd.DataFrame({"customer_id": ended["customer_id"].to_numpy(),
                         "date": ended["end_date"].to_numpy(), "delta": -1})
    events = pd.concat([starts, ends], ignore_index=True)
    # On one day, starts before ends: a plan change on day d leaves no gap.
    events = events.sort_values(["customer_id", "date", "delta"], ascending=[True, True, False],
                                kind="mergesort", ignore_index=True)
    live = events.groupby("customer_id", sort=False)["delta"].cumsum()
    opens = events[(live == 1) & (events["delta"] == 1)]
    closes = events[(live == 0) & (events["delta"] == -1)]

    spells = opens[["customer_id", "date"]].rename(columns={"date": "start"}).reset_index(drop=True)
    spells["spell"] = spells.groupby("customer_id", sort=False).cumcount() + 1
    close_dates = closes[["customer_id", "date"]].rename(columns={"date": "end"}).reset_index(drop=True)
    close_dates["spell"] = close_dates.groupby("customer_id", sort=False).cumcount() + 1
    spells = spells.merge(close_dates, on=["customer_id", "spell"], how="left")
    spells = spells[~(spells["end"] == spells["start"])]
    # Renumber after dropping zero-length spells.
    spells["spell"] = spells.groupby("customer_id", sort=False).cumcount() + 1
    return spells[["customer_id", "spell", "start", "end"]].reset_index(drop=True)
