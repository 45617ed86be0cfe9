"""Cohort retention tables: logo and revenue, by first paid month.

Conventions
-----------
- A customer's cohort is the month its first paid spell began (all history).
- Age k of a cohort is the month ``cohort + k``; age 0 is the cohort month.
- Logo retention at age k = customers of the cohort paying on the last day of
  ``cohort + k`` / customers in the cohort. Customers who joined and left
  inside their first month belong to the cohort (they are in the size) and
  count as not retained from age 0 on, so age 0 can be below 100%.
- Revenue retention at age k = the cohort's MRR at the end of ``cohort + k`` /
  its MRR at the end of the cohort month. Expansion can take it above 100%.
- Ages not yet reached (``cohort + k`` after ``end``) are blank (NaN), never 0.
- The weighted average row pools the cohorts that have reached age k:
  sum of retained / sum of cohort sizes (logo), sum of MRR at k / sum of MRR
  at age 0 (revenue). It is the size-weighted mean of the cohort rates, so a
  small cohort cannot swing it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import month_index, months as month_range, to_month
from .coverage import check_months
from .ledger import month_end_mrr, paid_spells

KINDS = ("logo", "revenue")


def cohort_retention(data, *, end, start=None, kind: str = "logo", max_age: int | None = None,
                     long: bool = False) -> pd.DataFrame:
    """Cohort retention table by first paid month.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions``, or the subscriptions table.
    end : str or Period
        Last month observed (inclusive); later ages are blank.
    start : str or Period, optional
        First cohort shown (default: the first cohort in the data).
    kind : {"logo", "revenue"}
        Share of customers still paying, or share of the cohort's month-0 MRR.
    max_age : int, optional
        Last age (in months) shown.
    long : bool
        Return the tidy long form (one row per cohort and age) for plotting.

    Returns
    -------
    DataFrame
        Wide (default): index ``cohort`` (Period) plus a final row
        ``"weighted average"``; columns ``cohort_size`` (customers), for
        revenue also ``starting_mrr``, then ages ``0, 1, 2, ...``.
        Long: columns ``cohort, age, cohort_size, base, retained, retention``
        (``base``/``retained`` are customers or MRR), without the average row.

    Examples
    --------
    Two January customers (one leaves in February), one February customer:

    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-05", "2026-01-09", "2026-02-02"]),
    ...     "end_date": pd.to_datetime([None, "2026-02-10", None]),
    ...     "billing_period": "month", "amount": [100.0, 50.0, 80.0]})
    >>> cohort_retention(subs, end="2026-03").round(3)
                      cohort_size    0      1    2
    cohort
    2026-01                     2  1.0  0.500  0.5
    2026-02                     1  1.0  1.000  NaN
    weighted average            3  1.0  0.667  0.5
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}.")
    subs = data if isinstance(data, pd.DataFrame) else (data.require("subscriptions", by="cohort_retention")
                                                        or data.subscriptions)
    check_months(data, start, end, fn="cohort_retention", tables=["subscriptions"])
    end = to_month(end)
    spells = paid_spells(subs)
    firsts = spells[spells["spell"] == 1].set_index("customer_id")["start"].dt.to_period("M")
    if firsts.empty:
        return pd.DataFrame()
    first_cohort = to_month(start) if start is not None else firsts.min()
    firsts = firsts[(firsts >= first_cohort) & (firsts <= end)]
    cohorts = month_range(first_cohort, end)
    n = len(cohorts)

    balances = month_end_mrr(subs, first_cohort, end).reindex(firsts.index)
    values = balances.to_numpy()
    measure = (values > 0).astype(float) if kind == "logo" else values
    c = month_index(firsts.dt.to_timestamp(), first_cohort)  # cohort position of each customer
    # Shift each customer's row so column k is its age k (ages past `end` stay NaN).
    ages = np.arange(n)
    cols = c[:, None] + ages[None, :]
    reached = cols < n
    by_age = np.where(reached, np.take_along_axis(measure, np.minimum(cols, n - 1), axis=1), np.nan)

    size = np.bincount(c, minlength=n).astype(float)
    sums = np.zeros((n, n))
    np.add.at(sums, c, np.nan_to_num(by_age))
    base = size if kind == "logo" else sums[:, 0]
    reached_cohort = (np.arange(n)[:, None] + ages[None, :]) < n
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(reached_cohort & (base[:, None] > 0), sums / base[:, None], np.nan)

    keep = size > 0
    last_age = n - 1 if max_age is None else min(max_age, n - 1)
    age_cols = list(range(last_age + 1))
    if long:
        cc, aa = np.nonzero(reached_cohort[:, : last_age + 1] & keep[:, None])
        return pd.DataFrame({"cohort": cohorts[cc], "age": aa, "cohort_size": size[cc].astype(int),
                             "base": base[cc], "retained": sums[cc, aa], "retention": rate[cc, aa]})

    table = pd.DataFrame(rate[:, : last_age + 1], index=pd.Index(cohorts, name="cohort"), columns=age_cols)
    table.insert(0, "cohort_size", size.astype(int))
    if kind == "revenue":
        table.insert(1, "starting_mrr", base)
    table = table[keep]
    # Weighted average over the cohorts that have reached each age.
    reached_kept = reached_cohort[keep][:, : last_age + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (np.where(reached_kept, sums[keep][:, : last_age + 1], 0).sum(axis=0)
                  / np.where(reached_kept, base[keep][:, None], 0).sum(axis=0))
    average = {"cohort_size": int(size.sum()), **dict(zip(age_cols, pooled))}
    if kind == "revenue":
        average["starting_mrr"] = base[keep].sum()
    table.index = table.index.astype(object)
    table.loc["weighted average"] = pd.Series(average)
    table["cohort_size"] = table["cohort_size"].astype(int)
    return table
