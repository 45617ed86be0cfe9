"""Recurring revenue: MRR, its movements, NRR and GRR, quick ratio, ARPA.

Everything here stands on the month-end balances of
:func:`csm_kit.metrics.ledger.month_end_mrr` (see that module for how a
subscription becomes MRR). Movements compare each customer's balance at the
end of month M with the end of M-1:

==============  ==========================================  =====================
movement        balance change                               note
==============  ==========================================  =====================
new             0 -> x, never paid before                    first paid spell ever
reactivation    0 -> x, paid before                          any earlier paid spell
expansion       x -> y, y > x > 0
contraction     x -> y, 0 < y < x
churn           x -> 0
==============  ==========================================  =====================

so that, exactly (balances are summed in integer micro-units)::

    MRR(M) = MRR(M-1) + new + reactivation + expansion - contraction - churn

Customers who join and leave inside one month never appear in a month-end
balance: they are counted in ``joined_and_left``, with no MRR.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import month_index, months as month_range, to_month
from .ledger import MICRO, month_end_mrr, paid_spells
from .retention import _first_month, customer_groups

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")


def _subs(data, fn):
    if isinstance(data, pd.DataFrame):
        return data
    data.require("subscriptions", by=fn)
    return data.subscriptions


def _window(subs, start, end):
    end = to_month(end)
    start = to_month(start) if start is not None else _first_month(subs)
    return start, end


def _movement_arrays(subs, start, end):
    """Balances (micro-units) from start-1 to end, and each customer's movement per month."""
    balances = month_end_mrr(subs, start - 1, end)
    micro = np.rint(balances.to_numpy() * MICRO).astype(np.int64)
    before, after = micro[:, :-1], micro[:, 1:]
    spells = paid_spells(subs)
    firsts = spells[spells["spell"] == 1]
    first_k = np.full(len(balances), np.iinfo(np.int64).max // 2)
    first_k[balances.index.get_indexer(firsts["customer_id"])] = month_index(firsts["start"], start)
    k = np.arange(after.shape[1])[None, :]
    starts = (before == 0) & (after > 0)
    kinds = {
        "new": starts & (first_k[:, None] >= k),
        "reactivation": starts & (first_k[:, None] < k),
        "expansion": (before > 0) & (after > before),
        "contraction": (after > 0) & (after < before),
        "churn": (before > 0) & (after == 0),
    }
    # Joined and left inside the month: a paid spell that starts and ends in it.
    ended = spells["end"].notna()
    same = ended & (spells["start"].dt.to_period("M") == spells["end"].dt.to_period("M"))
    # ...and that the customer was not paying at either month end around it.
    jl_rows = balances.index.get_indexer(spells.loc[same, "customer_id"])
    jl_k = month_index(spells.loc[same, "start"], start)
    joined_left = np.zeros(after.shape, dtype=bool)
    ok = (jl_k >= 0) & (jl_k < after.shape[1])
    joined_left[jl_rows[ok], jl_k[ok]] = True
    joined_left &= (before == 0) & (after == 0)
    return balances.index, balances.columns[1:], before, after, kinds, joined_left


def mrr_movements(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """MRR movements per month, reconciling opening and closing MRR exactly.

    ``mrr_end = mrr_start + new + reactivation + expansion - contraction - churn``

    Also the gross and net MRR churn rates:

    - ``gross_mrr_churn = (churn + contraction) / mrr_start``
    - ``net_mrr_churn = (churn + contraction - expansion - reactivation) / mrr_start``
      (negative when expansion outweighs losses)

    Both are NaN when ``mrr_start`` is 0.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions`` (and ``customers`` for ``by``), or the table.
    start, end : str or Period
        First and last month, inclusive; ``start`` defaults to the first
        subscription's month. Movements in ``start`` compare with the end of
        the month before it.
    by : str, optional
        ``"segment"``, ``"billing_period"``, ``"plan"``, ... (see
        :func:`csm_kit.metrics.retention.customer_groups`).

    Returns
    -------
    DataFrame
        One row per month (and group): ``month``, ``mrr_start``, the five
        movements (positive amounts), ``mrr_end``, ``<movement>_customers``
        counts, ``joined_and_left``, ``gross_mrr_churn``, ``net_mrr_churn``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-10"]),
    ...     "end_date": pd.to_datetime([None, None, "2026-02-15", None]),
    ...     "billing_period": ["month", "month", "month", "year"],
    ...     "amount": [100.0, 20.0, 50.0, 1200.0]})
    >>> m = mrr_movements(subs, start="2026-02", end="2026-02")
    >>> m[["mrr_start", "new", "expansion", "churn", "mrr_end"]]
       mrr_start    new  expansion  churn  mrr_end
    0      150.0  100.0       20.0   50.0    220.0
    """
    subs = _subs(data, "mrr_movements")
    start, end = _window(subs, start, end)
    ids, cols, before, after, kinds, joined_left = _movement_arrays(subs, start, end)
    change = after - before
    amounts = {
        "new": np.where(kinds["new"], change, 0),
        "reactivation": np.where(kinds["reactivation"], change, 0),
        "expansion": np.where(kinds["expansion"], change, 0),
        "contraction": np.where(kinds["contraction"], -change, 0),
        "churn": np.where(kinds["churn"], -change, 0),
    }
    key = customer_groups(data, by, ids).to_numpy()

    def per_group(values, name):
        frame = pd.DataFrame(values, columns=cols).groupby(key).sum().stack()
        return frame.rename(name)

    parts = [per_group(before, "mrr_start")] + [per_group(amounts[m], m) for m in MOVEMENTS]
    parts += [per_group(after, "mrr_end")]
    parts += [per_group(kinds[m].astype(np.int64), f"{m}_customers") for m in MOVEMENTS]
    parts += [per_group(joined_left.astype(np.int64), "joined_and_left")]
    out = pd.concat(parts, axis=1)
    money = ["mrr_start", *MOVEMENTS, "mrr_end"]
    out[money] = out[money] / MICRO  # integer micro-units -> currency, after summing
    out.index.names = ["group", "month"]
    out = out.reset_index().sort_values(["month", "group"], kind="mergesort", ignore_index=True)
    start_mrr = out["mrr_start"].where(out["mrr_start"] > 0)
    out["gross_mrr_churn"] = (out["churn"] + out["contraction"]) / start_mrr
    out["net_mrr_churn"] = (out["churn"] + out["contraction"] - out["expansion"] - out["reactivation"]) / start_mrr
    if by:
        return out.rename(columns={"group": by})
    return out.drop(columns="group")


def mrr_movement_log(data, *, start=None, end) -> pd.DataFrame:
    """One row per customer and month with a movement: the log that explains every total.

    Summing ``change`` by ``month`` and ``movement`` gives :func:`mrr_movements`
    (with contraction and churn as negative changes).

    Returns
    -------
    DataFrame
        ``customer_id, month, movement, mrr_before, mrr_after, change``,
        sorted by month and customer.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-01-01"]),
    ...     "end_date": pd.to_datetime([None, "2026-02-15"]),
    ...     "billing_period": "month", "amount": [100.0, 50.0]})
    >>> mrr_movement_log(subs, start="2026-02", end="2026-02")
      customer_id    month movement  mrr_before  mrr_after  change
    0           b  2026-02    churn        50.0        0.0   -50.0
    """
    subs = _subs(data, "mrr_movement_log")
    start, end = _window(subs, start, end)
    ids, cols, before, after, kinds, _ = _movement_arrays(subs, start, end)
    label = np.full(before.shape, "", dtype=object)
    for name in MOVEMENTS:
        label[kinds[name]] = name
    rows, ks = np.nonzero(label != "")
    log = pd.DataFrame({"customer_id": ids.to_numpy()[rows], "month": cols[ks], "movement": label[rows, ks],
                        "mrr_before": before[rows, ks] / MICRO, "mrr_after": after[rows, ks] / MICRO})
    log["change"] = (after[rows, ks] - before[rows, ks]) / MICRO
    return log.sort_values(["month", "customer_id"], kind="mergesort", ignore_index=True)


def mrr(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """MRR, ARR, paying customers and ARPA at each month end.

    - ``mrr``: sum of customers' MRR on the month's last day (a balance).
    - ``arr = 12 * mrr``.
    - ``paying_customers``: customers with MRR > 0 at that moment.
    - ``arpa = mrr / paying_customers`` (NaN with no paying customer).

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "start_date": pd.to_datetime(["2026-01-01"] * 3),
    ...     "end_date": pd.NaT, "billing_period": ["month", "year", "month"], "amount": [100.0, 1200.0, 0.0]})
    >>> mrr(subs, start="2026-01", end="2026-01")
         month    mrr     arr  paying_customers   arpa
    0  2026-01  200.0  2400.0                 2  100.0
    """
    subs = _subs(data, "mrr")
    start, end = _window(subs, start, end)
    balances = month_end_mrr(subs, start, end)
    micro = np.rint(balances.to_numpy() * MICRO).astype(np.int64)
    key = customer_groups(data, by, balances.index).to_numpy()
    total = pd.DataFrame(micro, columns=balances.columns).groupby(key).sum().stack().rename("mrr") / MICRO
    paying = pd.DataFrame((micro > 0).astype(np.int64), columns=balances.columns).groupby(key).sum()
    out = pd.concat([total, paying.stack().rename("paying_customers")], axis=1)
    out.index.names = ["group", "month"]
    out = out.reset_index().sort_values(["month", "group"], kind="mergesort", ignore_index=True)
    out["arr"] = 12 * out["mrr"]
    out["arpa"] = out["mrr"] / out["paying_customers"].where(out["paying_customers"] > 0)
    cols = ["month"] + ([by] if by else []) + ["mrr", "arr", "paying_customers", "arpa"]
    return out.rename(columns={"group": by} if by else {})[cols]


def arpa(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """Average revenue per account: ``MRR / paying customers`` at each month end.

    Both counted at the same moment (the month's last day), so a customer who
    joined and left inside the month is in neither.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-01"] * 2),
    ...     "end_date": pd.NaT, "billing_period": "month", "amount": [100.0, 50.0]})
    >>> arpa(subs, start="2026-01", end="2026-01")["arpa"].item()
    75.0
    """
    out = mrr(data, start=start, end=end, by=by)
    return out[["month"] + ([by] if by else []) + ["mrr", "paying_customers", "arpa"]]


def revenue_retention(data, *, start=None, end, form: str = "movement", window: int = 12) -> pd.DataFrame:
    """Net and gross revenue retention (NRR, GRR), in one of two forms.

    ``form="movement"`` (one month):

    - ``nrr = (mrr_start - churn - contraction + expansion) / mrr_start``
    - ``grr = (mrr_start - churn - contraction) / mrr_start``

    Reactivations and new customers are not retention and are left out.
    Worked example: start 10.0M, contraction 0.6M, churn 0.9M, expansion
    1.8M -> GRR 85%, NRR 103%.

    ``form="cohort"`` (trailing ``window`` months, what public companies
    report): the customers paying at the end of month M - window, and

    - ``nrr = their MRR at the end of M / their MRR at the end of M - window``
    - ``grr`` = the same with each customer capped at its starting MRR
      (``min(now, then)``), so GRR <= 100% always.

    Parameters
    ----------
    data : Dataset or DataFrame
    start, end : str or Period
        Months reported (inclusive).
    form : {"movement", "cohort"}
    window : int
        Look-back of the cohort form in months (default 12).

    Returns
    -------
    DataFrame
        One row per month: ``month``, ``form``, ``mrr_start`` (base),
        the components (movement form: ``churn``, ``contraction``,
        ``expansion``; cohort form: ``customers_base``, ``mrr_now``,
        ``mrr_now_capped``), ``nrr``, ``grr``. NaN with a zero base.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
    ...     "end_date": pd.to_datetime([None, "2026-02-10", None]),
    ...     "billing_period": "month", "amount": [100.0, 50.0, 50.0]})
    >>> revenue_retention(subs, start="2026-02", end="2026-02")[["mrr_start", "churn", "nrr", "grr"]]
       mrr_start  churn   nrr   grr
    0      200.0   50.0  0.75  0.75
    """
    subs = _subs(data, "revenue_retention")
    start, end = _window(subs, start, end)
    if form == "movement":
        m = mrr_movements(subs, start=start, end=end)
        base = m["mrr_start"].where(m["mrr_start"] > 0)
        out = m[["month", "mrr_start", "churn", "contraction", "expansion"]].copy()
        out["nrr"] = (m["mrr_start"] - m["churn"] - m["contraction"] + m["expansion"]) / base
        out["grr"] = (m["mrr_start"] - m["churn"] - m["contraction"]) / base
    elif form == "cohort":
        if window < 1:
            raise ValueError("window must be at least 1 month.")
        balances = month_end_mrr(subs, start - window, end)
        micro = np.rint(balances.to_numpy() * MICRO).astype(np.int64)
        then, now = micro[:, :-window], micro[:, window:]
        in_base = then > 0
        base_sum = np.where(in_base, then, 0).sum(axis=0)
        now_sum = np.where(in_base, now, 0).sum(axis=0)
        capped = np.where(in_base, np.minimum(now, then), 0).sum(axis=0)
        out = pd.DataFrame({"month": balances.columns[window:], "mrr_start": base_sum / MICRO,
                            "customers_base": in_base.sum(axis=0), "mrr_now": now_sum / MICRO,
                            "mrr_now_capped": capped / MICRO})
        base = out["mrr_start"].where(out["mrr_start"] > 0)
        out["nrr"] = out["mrr_now"] / base
        out["grr"] = out["mrr_now_capped"] / base
    else:
        raise ValueError(f"form must be 'movement' or 'cohort', not {form!r}.")
    out.insert(1, "form", form if form == "movement" else f"cohort_{window}m")
    return out.reset_index(drop=True)


def quick_ratio(data, *, start=None, end, include_reactivation: bool = True) -> pd.DataFrame:
    """SaaS quick ratio: growth MRR over lost MRR, per month.

    ``quick_ratio = (new + expansion [+ reactivation]) / (churn + contraction)``

    Above 4 is often called efficient growth; below 1 the business shrinks.
    With no losses the ratio is undefined: ``inf`` when there were gains,
    NaN when there were neither, and ``defined`` is False with a ``note``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
    ...     "end_date": pd.NaT, "billing_period": "month", "amount": [100.0, 40.0]})
    >>> quick_ratio(subs, start="2026-02", end="2026-02")[["gains", "losses", "quick_ratio", "note"]]
       gains  losses  quick_ratio                             note
    0   40.0     0.0          inf  no lost MRR: ratio is unbounded
    """
    m = mrr_movements(data, start=start, end=end)
    gains = m["new"] + m["expansion"] + (m["reactivation"] if include_reactivation else 0.0)
    losses = m["churn"] + m["contraction"]
    out = pd.DataFrame({"month": m["month"], "gains": gains, "losses": losses})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["quick_ratio"] = np.where(losses > 0, gains / losses.where(losses > 0, 1.0),
                                      np.where(gains > 0, np.inf, np.nan))
    out["defined"] = losses > 0
    out["note"] = np.where(losses > 0, "", np.where(gains > 0, "no lost MRR: ratio is unbounded",
                                                    "no gains and no losses"))
    return out
