"""Recurring revenue: MRR, its movements, NRR and GRR, quick ratio, ARPA.

Everything here stands on the month-end balances of the ledger
(:func:`csm_kit.metrics.ledger.month_end_mrr`; see that module for how a
subscription becomes MRR, and for the customer-level rule: cancelling one of
two subscriptions is contraction, not churn). Movements compare each
customer's balance at the end of month M with the end of M-1:

==============  ===========================  =====================================
movement        balance change               note
==============  ===========================  =====================================
new             0 -> x, never paid before    judged on all history, not the window
reactivation    0 -> x, paid before          any earlier paid day, even pre-window
expansion       x -> y, y > x > 0            e.g. a second subscription, upgrade
contraction     x -> y, 0 < y < x            e.g. one of two subscriptions ends
churn           x -> 0                       includes a move to a free plan
==============  ===========================  =====================================

so that, exactly (balances are summed in integer micro-units)::

    MRR(M) = MRR(M-1) + new + reactivation + expansion - contraction - churn

Customers who start and stop paying inside one month never appear in a
month-end balance: they are counted in ``joined_and_left``, with no MRR.
:func:`mrr_movement_log` lists every customer behind every total.

The work is done on the dense customer x month balance matrix with NumPy
(differences along months, boolean masks, group sums), so a million
customers over two years takes seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..periods import month_index, to_month
from .coverage import check_months
from .ledger import MICRO, month_end_micro, subscription_mrr
from .retention import first_subscription_month, customer_groups

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
_NEVER = np.iinfo(np.int64).max // 2
_NO_START_NOTE = "no MRR at the start of the month: rate undefined"


# -- shared machinery -----------------------------------------------------------

def subscriptions_of(data, fn: str) -> pd.DataFrame:
    """The subscriptions table: ``data`` itself when it is a DataFrame, else the Dataset's table.

    A Dataset without subscriptions raises :class:`~csm_kit.exceptions.MissingTableError`
    naming ``fn``, the function that needed them.

    >>> from csm_kit import Dataset
    >>> subscriptions_of(Dataset(), "mrr")
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.MissingTableError: mrr needs the 'subscriptions' table, which this data set (memory) does not have.
    """
    if isinstance(data, pd.DataFrame):
        return data
    data.require("subscriptions", by=fn)
    return data.subscriptions


def _window(subs: pd.DataFrame, start, end, data=None, fn: str = "this function") -> tuple[pd.Period, pd.Period]:
    check_months(data, start, end, fn=fn, tables=["subscriptions"])
    end = to_month(end)
    start = to_month(start) if start is not None else first_subscription_month(subs)
    if end < start:
        raise ValueError(f"The period ends ({end}) before it starts ({start}).")
    return start, end


@dataclass(frozen=True)
class _Ledger:
    """Balances and per-customer movements for months ``start..end`` (int64 micro-units)."""

    customers: pd.Index       # sorted customer ids: the matrix rows
    months: pd.PeriodIndex    # start..end: the matrix columns
    before: np.ndarray        # balance at the end of the previous month
    after: np.ndarray         # balance at the end of the month
    kinds: dict               # movement name -> boolean matrix
    joined_left: np.ndarray   # boolean matrix: started and stopped paying inside the month


def _ledger(subs: pd.DataFrame, start: pd.Period, end: pd.Period) -> _Ledger:
    # Balances from the month before `start`, so the first month has an opening balance.
    customers, codes, cols, micro = month_end_micro(subs, start - 1, end)
    before, after = micro[:, :-1], micro[:, 1:]
    n, t = after.shape

    # Rows that ever make a customer paying: MRR > 0 over at least one day.
    paid = np.rint(subscription_mrr(subs).to_numpy() * MICRO) > 0
    paid &= ~(subs["end_date"] <= subs["start_date"]).to_numpy(dtype=bool)
    k_start = month_index(subs["start_date"], start)

    # First paid month over all history (months before `start` are negative),
    # so a customer who paid before the window and comes back is a reactivation.
    first_k = np.full(n, _NEVER, dtype=np.int64)
    firsts = pd.Series(k_start[paid]).groupby(codes[paid]).min()
    first_k[firsts.index.to_numpy()] = firsts.to_numpy()

    starts = (before == 0) & (after > 0)
    new = starts & (first_k[:, None] == np.arange(t)[None, :])
    kinds = {
        "new": new,
        "reactivation": starts & ~new,
        "expansion": (before > 0) & (after > before),
        "contraction": (after > 0) & (after < before),
        "churn": (before > 0) & (after == 0),
    }

    # Joined and left: a paid subscription whose first and last covered day fall
    # in the same month, for a customer paying at neither month end around it.
    k_last = month_index(subs["end_date"] - pd.Timedelta(days=1), start)
    inside = paid & (k_start == k_last) & (k_start >= 0) & (k_start < t)
    joined_left = np.zeros((n, t), dtype=bool)
    joined_left[codes[inside], k_start[inside]] = True
    joined_left &= (before == 0) & (after == 0)
    return _Ledger(pd.Index(customers, name="customer_id"), cols[1:], before, after, kinds, joined_left)


def sums_by_group(data, by: str | None, customers: pd.Index, matrices: dict) -> tuple[pd.Index, dict]:
    """Column sums of customer x month matrices per group of customers (int64).

    ``matrices`` maps names to arrays or to zero-argument functions making
    them, so that only one temporary matrix exists at a time (a million
    customers x 24 months is 200 MB per int64 matrix). Rows are sorted by
    group once, then ``np.add.reduceat`` sums each block: no long format.
    ``by`` None sums every customer into one group, ``"all"``.

    Returns
    -------
    (Index, dict)
        The groups (sorted) and, per name, a groups x months int64 array.

    Examples
    --------
    >>> sums_by_group(None, None, pd.Index(["a", "b"]), {"mrr": np.array([[1, 2], [3, 4]])})
    (Index(['all'], dtype='object'), {'mrr': array([[4, 6]])})
    """
    def make(m):
        return m() if callable(m) else m

    if by is None:
        return pd.Index(["all"]), {k: make(m).sum(axis=0, dtype=np.int64)[None, :] for k, m in matrices.items()}
    labels = customer_groups(data, by, customers).to_numpy()
    codes, groups = pd.factorize(labels, sort=True)
    if len(groups) == 0:
        return groups, {k: np.zeros((0, make(m).shape[1]), dtype=np.int64) for k, m in matrices.items()}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(groups)))
    return groups, {k: np.add.reduceat(make(m)[order], bounds, axis=0, dtype=np.int64)
                    for k, m in matrices.items()}


def _tidy(groups: pd.Index, months: pd.PeriodIndex, sums: dict, by: str | None) -> pd.DataFrame:
    """Group x month arrays -> one row per month (and group), months first."""
    g = len(groups)
    out = {"month": months.repeat(g)}
    if by:
        out[by] = np.tile(np.asarray(groups, dtype=object), len(months))
    out.update({k: v.T.ravel() for k, v in sums.items()})
    return pd.DataFrame(out)


def _rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0 (never a ZeroDivisionError)."""
    return numerator / denominator.where(denominator != 0)


def _movement_table(data, start, end, by, fn) -> pd.DataFrame:
    subs = subscriptions_of(data, fn)
    start, end = _window(subs, start, end, data, fn)
    L = _ledger(subs, start, end)
    before, after, kinds = L.before, L.after, L.kinds
    money = {"mrr_start": before,
             "new": lambda: np.where(kinds["new"], after, 0),                  # from 0
             "reactivation": lambda: np.where(kinds["reactivation"], after, 0),  # from 0
             "expansion": lambda: np.where(kinds["expansion"], after - before, 0),
             "contraction": lambda: np.where(kinds["contraction"], before - after, 0),
             "churn": lambda: np.where(kinds["churn"], before, 0),              # to 0
             "mrr_end": after}
    counts = {f"{m}_customers": kinds[m] for m in MOVEMENTS}
    counts.update(joined_and_left=L.joined_left, paying_customers_start=lambda: before > 0,
                  paying_customers_end=lambda: after > 0)
    groups, sums = sums_by_group(data, by, L.customers, {**money, **counts})
    out = _tidy(groups, L.months, sums, by)
    out[list(money)] = out[list(money)] / MICRO  # integer micro-units -> currency, after summing
    return out


# -- public functions -----------------------------------------------------------

def mrr(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """MRR, ARR, paying customers and ARPA at each month end.

    - ``mrr`` = sum of customers' MRR on the month's last day (a balance, not
      a flow); a subscription's MRR is ``amount x (1 - discount) / months in
      its billing period``, so $1,200 a year is $100.
    - ``arr = 12 x mrr`` (the run-rate convention; not booked annual revenue).
    - ``paying_customers`` = customers whose MRR that day is > 0 (free plans
      do not count).
    - ``arpa = mrr / paying_customers``, NaN when nobody pays.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions`` (and ``customers`` for ``by``), or the
        subscriptions table itself.
    start, end : str or Period
        First and last month, inclusive (``"YYYY-MM"``). ``start`` defaults to
        the month of the first subscription.
    by : str, optional
        Break down by ``"segment"``, ``"plan"``, ``"region"`` ... (columns of
        ``customers``) or ``"billing_period"`` (of the customer's largest paid
        subscription); see :func:`csm_kit.metrics.retention.customer_groups`.

    Returns
    -------
    DataFrame
        One row per month (and group): ``month``, [``by``], ``mrr``, ``arr``,
        ``paying_customers``, ``arpa``.

    Raises
    ------
    DataValidationError
        Subscriptions in more than one currency, or rows the ledger cannot
        place (see :mod:`csm_kit.metrics.ledger`).

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "start_date": pd.to_datetime(["2026-01-01"] * 3),
    ...     "end_date": pd.NaT, "billing_period": ["month", "year", "month"], "amount": [100.0, 1200.0, 0.0]})
    >>> mrr(subs, start="2026-01", end="2026-01")
         month    mrr     arr  paying_customers   arpa
    0  2026-01  200.0  2400.0                 2  100.0
    """
    subs = subscriptions_of(data, "mrr")
    start, end = _window(subs, start, end, data, "mrr")
    customers, _, months, micro = month_end_micro(subs, start, end)
    groups, sums = sums_by_group(data, by, pd.Index(customers), {"mrr": micro, "paying_customers": micro > 0})
    out = _tidy(groups, months, sums, by)
    out["mrr"] = out["mrr"] / MICRO
    out["arr"] = 12 * out["mrr"]
    out["arpa"] = _rate(out["mrr"], out["paying_customers"])
    return out[["month"] + ([by] if by else []) + ["mrr", "arr", "paying_customers", "arpa"]]


def arpa(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """Average revenue per account: ``arpa = MRR / paying customers`` at each month end.

    Numerator and denominator are taken at the same moment (the month's last
    day), so a customer who joined and left inside the month is in neither.
    Alternatives some tools use, not offered here: dividing by all accounts
    (free ones included) or by the month's average customer count.

    Parameters
    ----------
    data : Dataset or DataFrame
        As :func:`mrr`.
    start, end : str or Period
        First and last month, inclusive.
    by : str, optional
        Group breakdown, as :func:`mrr` (``"segment"`` gives ARPA per segment).

    Returns
    -------
    DataFrame
        ``month``, [``by``], ``mrr``, ``paying_customers``, ``arpa`` (NaN
        with no paying customer).

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-01"] * 2),
    ...     "end_date": pd.NaT, "billing_period": "month", "amount": [100.0, 50.0]})
    >>> arpa(subs, start="2026-01", end="2026-01")["arpa"].item()
    75.0
    """
    out = mrr(data, start=start, end=end, by=by)
    return out[["month"] + ([by] if by else []) + ["mrr", "paying_customers", "arpa"]]


def mrr_movements(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """MRR movements per month, reconciling opening and closing MRR exactly.

    ``mrr_end = mrr_start + new + reactivation + expansion - contraction - churn``

    where ``mrr_start`` is the balance at the end of the previous month and
    each customer's change between the two month ends is classified as in the
    module table (new vs reactivation is judged on the customer's whole
    history: a customer who paid before ``start`` and returns is a
    reactivation). Amounts are positive; the identity holds exactly because
    balances are summed in integer micro-units.

    Also the MRR churn rates:

    - ``gross_mrr_churn = (churn + contraction) / mrr_start``
    - ``net_mrr_churn = (churn + contraction - expansion - reactivation) / mrr_start``
      (negative when gains from existing and returning customers outweigh
      losses). Some tools leave reactivation out of net churn; rebuild that
      from the columns if needed.

    and the month-over-month growth of the balance,
    ``mrr_growth = (mrr_end - mrr_start) / mrr_start``.

    All three are NaN when ``mrr_start`` is 0, and ``note`` says so.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions`` (and ``customers`` for ``by``), or the
        subscriptions table itself.
    start, end : str or Period
        First and last month, inclusive; ``start`` defaults to the month of the
        first subscription. Movements in ``start`` compare with the end of the
        month before it.
    by : str, optional
        ``"segment"``, ``"billing_period"``, ``"plan"``, ... (see :func:`mrr`).
        A customer belongs to one group throughout.

    Returns
    -------
    DataFrame
        One row per month (and group): ``month``, [``by``], ``mrr_start``,
        ``new``, ``reactivation``, ``expansion``, ``contraction``, ``churn``,
        ``mrr_end``; customer counts ``<movement>_customers``,
        ``joined_and_left`` (started and stopped paying inside the month: in
        no balance and no movement), ``paying_customers_start``,
        ``paying_customers_end``;
        ``gross_mrr_churn``, ``net_mrr_churn``, ``mrr_growth`` and ``note``.

    See Also
    --------
    mrr_movement_log : the customers behind every figure.

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
    >>> round(m["gross_mrr_churn"].item(), 4)   # 50 / 150
    0.3333
    >>> round(m["mrr_growth"].item(), 4)        # (220 - 150) / 150
    0.4667
    """
    out = _movement_table(data, start, end, by, "mrr_movements")
    lost = out["churn"] + out["contraction"]
    out["gross_mrr_churn"] = _rate(lost, out["mrr_start"])
    out["net_mrr_churn"] = _rate(lost - out["expansion"] - out["reactivation"], out["mrr_start"])
    out["mrr_growth"] = _rate(out["mrr_end"] - out["mrr_start"], out["mrr_start"])
    out["note"] = np.where(out["mrr_start"] > 0, "", _NO_START_NOTE)
    return out


def mrr_movement_log(data, *, start=None, end, by: str | None = None,
                     include_joined_and_left: bool = True) -> pd.DataFrame:
    """One row per customer and month with a movement: the log behind every total.

    Grouping the log by ``month`` and ``movement`` gives :func:`mrr_movements`
    exactly: the sum of ``change`` is the movement's amount (contraction and
    churn as negative changes) and the number of rows is its
    ``<movement>_customers`` count. Rows with movement ``"joined_and_left"``
    (``change`` 0) are the customers behind the ``joined_and_left`` count.

    Parameters
    ----------
    data : Dataset or DataFrame
        As :func:`mrr_movements`.
    start, end : str or Period
        First and last month, inclusive.
    by : str, optional
        Adds the customer's group as a column (see :func:`mrr`).
    include_joined_and_left : bool
        Whether to list the customers who started and stopped paying inside a
        month (default True).

    Returns
    -------
    DataFrame
        ``customer_id``, ``month``, [``by``], ``movement``, ``mrr_before``
        (end of the previous month), ``mrr_after`` (end of the month),
        ``change = mrr_after - mrr_before``; sorted by month and customer.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-03"]),
    ...     "end_date": pd.to_datetime([None, "2026-02-15", "2026-02-20"]),
    ...     "billing_period": "month", "amount": [100.0, 50.0, 30.0]})
    >>> mrr_movement_log(subs, start="2026-02", end="2026-02")
      customer_id    month         movement  mrr_before  mrr_after  change
    0           b  2026-02            churn        50.0        0.0   -50.0
    1           c  2026-02  joined_and_left         0.0        0.0     0.0
    """
    subs = subscriptions_of(data, "mrr_movement_log")
    start, end = _window(subs, start, end, data, "mrr_movement_log")
    L = _ledger(subs, start, end)
    masks = dict(L.kinds)
    if include_joined_and_left:
        masks["joined_and_left"] = L.joined_left
    names = np.array(list(masks), dtype=object)
    found = [np.nonzero(m) for m in masks.values()]
    rows = np.concatenate([f[0] for f in found]).astype(np.int64)
    ks = np.concatenate([f[1] for f in found]).astype(np.int64)
    kind = np.repeat(np.arange(len(found)), [len(f[0]) for f in found])
    order = np.lexsort((rows, ks))  # by month, then customer (the rows are sorted ids)
    rows, ks, kind = rows[order], ks[order], kind[order]
    before, after = L.before[rows, ks], L.after[rows, ks]
    log = pd.DataFrame({"customer_id": L.customers.to_numpy()[rows], "month": L.months[ks]})
    if by:
        log[by] = customer_groups(data, by, L.customers).to_numpy()[rows]
    log["movement"] = names[kind]
    log["mrr_before"] = before / MICRO
    log["mrr_after"] = after / MICRO
    log["change"] = (after - before) / MICRO
    return log


def revenue_retention(data, *, start=None, end, form: str = "movement", window: int = 12,
                      by: str | None = None) -> pd.DataFrame:
    """Net and gross revenue retention (NRR, GRR), in one of two forms.

    ``form="movement"`` (one month, from :func:`mrr_movements`):

    - ``nrr = (mrr_start - churn - contraction + expansion) / mrr_start``
    - ``grr = (mrr_start - churn - contraction) / mrr_start``

    New and reactivated MRR are not retention and are left out of both (the
    ``reactivation`` column is shown for reference). Worked example from the
    conventions: start 10.0M, contraction 0.6M, churn 0.9M, expansion 1.8M
    -> GRR 85%, NRR 103%.

    ``form="cohort"`` (trailing ``window`` months; with 12, what public
    companies report): the base is the customers paying at the end of month
    M - window, and

    - ``nrr = their MRR at the end of M / their MRR at the end of M - window``
    - ``grr`` = the same with each customer capped at its starting MRR
      (``min(now, then)``), so GRR <= 100% always.

    A customer of the base who left and came back counts with its MRR now.
    Components are given so either rate can be rebuilt by hand:
    ``mrr_now = mrr_start + expansion - contraction - churn`` and
    ``mrr_now_capped = mrr_start - contraction - churn``.

    Parameters
    ----------
    data : Dataset or DataFrame
        As :func:`mrr_movements`.
    start, end : str or Period
        Months reported, inclusive (the cohort form looks back ``window``
        months before each).
    form : {"movement", "cohort"}
    window : int
        Look-back of the cohort form in months (default 12).
    by : str, optional
        Group breakdown, as :func:`mrr`.

    Returns
    -------
    DataFrame
        One row per month (and group): ``month``, [``by``], ``form``,
        ``mrr_start`` (the base), the components (movement form:
        ``paying_customers_start``, ``churn``, ``churn_customers``, ``contraction``,
        ``contraction_customers``, ``expansion``, ``expansion_customers``,
        ``reactivation``; cohort form: ``customers_base``,
        ``customers_retained``, ``expansion``, ``contraction``, ``churn``,
        ``mrr_now``, ``mrr_now_capped``), ``nrr``, ``grr`` and ``note`` (NaN
        rates with a zero base, and the note says so).

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
    if form == "movement":
        m = _movement_table(data, start, end, by, "revenue_retention")
        keys = ["month"] + ([by] if by else [])
        out = m[keys + ["mrr_start", "paying_customers_start", "churn", "churn_customers", "contraction",
                        "contraction_customers", "expansion", "expansion_customers", "reactivation"]].copy()
        kept = out["mrr_start"] - out["churn"] - out["contraction"]
        out["nrr"] = _rate(kept + out["expansion"], out["mrr_start"])
        out["grr"] = _rate(kept, out["mrr_start"])
        out.insert(len(keys), "form", "movement")
        base_note = _NO_START_NOTE
    elif form == "cohort":
        window = whole_number(window, "window", unit="months")
        subs = subscriptions_of(data, "revenue_retention")
        start, end = _window(subs, start, end, data, "revenue_retention")
        customers, _, months, micro = month_end_micro(subs, start - window, end)
        then, now = micro[:, :-window], micro[:, window:]
        base = then > 0
        matrices = {
            "mrr_start": lambda: np.where(base, then, 0),
            "customers_base": base,
            "customers_retained": lambda: base & (now > 0),
            "expansion": lambda: np.where(base & (now > then), now - then, 0),
            "contraction": lambda: np.where(base & (now > 0) & (now < then), then - now, 0),
            "churn": lambda: np.where(base & (now == 0), then, 0),
            "mrr_now": lambda: np.where(base, now, 0),
            "mrr_now_capped": lambda: np.where(base, np.minimum(now, then), 0),
        }
        groups, sums = sums_by_group(data, by, pd.Index(customers), matrices)
        out = _tidy(groups, months[window:], sums, by)
        money = ["mrr_start", "expansion", "contraction", "churn", "mrr_now", "mrr_now_capped"]
        out[money] = out[money] / MICRO
        out["nrr"] = _rate(out["mrr_now"], out["mrr_start"])
        out["grr"] = _rate(out["mrr_now_capped"], out["mrr_start"])
        out.insert(1 + bool(by), "form", f"cohort_{window}m")
        base_note = f"nobody was paying {window} months earlier: rate undefined"
    else:
        raise ValueError(f"form must be 'movement' or 'cohort', not {form!r}.")
    out["note"] = np.where(out["mrr_start"] > 0, "", base_note)
    return out


def quick_ratio(data, *, start=None, end, by: str | None = None,
                include_reactivation: bool = True) -> pd.DataFrame:
    """SaaS quick ratio: MRR gained over MRR lost, per month.

    ``quick_ratio = (new + expansion [+ reactivation]) / (churn + contraction)``

    Reactivation counts as a gain by default (``include_reactivation=False``
    gives the stricter form some tools use). Above 4 is often called
    efficient growth and below 1 the business shrinks: rules of thumb, not
    laws. With no lost MRR the ratio has no finite value: ``inf`` when there
    were gains, NaN when there were neither; ``defined`` is False and
    ``note`` says which.

    Parameters
    ----------
    data : Dataset or DataFrame
        As :func:`mrr_movements`.
    start, end : str or Period
        First and last month, inclusive.
    by : str, optional
        Group breakdown, as :func:`mrr`.
    include_reactivation : bool
        Count reactivated MRR as a gain (default True).

    Returns
    -------
    DataFrame
        ``month``, [``by``], ``new``, ``expansion``, ``reactivation``,
        ``churn``, ``contraction``, ``gains``, ``losses``, ``quick_ratio``,
        ``defined``, ``includes_reactivation``, ``note``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
    ...     "end_date": pd.NaT, "billing_period": "month", "amount": [100.0, 40.0]})
    >>> quick_ratio(subs, start="2026-02", end="2026-02")[["gains", "losses", "quick_ratio", "note"]]
       gains  losses  quick_ratio                             note
    0   40.0     0.0          inf  no lost MRR: ratio is unbounded
    """
    m = _movement_table(data, start, end, by, "quick_ratio")
    keys = ["month"] + ([by] if by else [])
    out = m[keys + ["new", "expansion", "reactivation", "churn", "contraction"]].copy()
    out["gains"] = out["new"] + out["expansion"] + (out["reactivation"] if include_reactivation else 0.0)
    out["losses"] = out["churn"] + out["contraction"]
    defined = out["losses"] > 0
    gained = out["gains"] > 0
    out["quick_ratio"] = np.where(defined, _rate(out["gains"], out["losses"]), np.where(gained, np.inf, np.nan))
    out["defined"] = defined
    out["includes_reactivation"] = include_reactivation
    out["note"] = np.where(defined, "", np.where(gained, "no lost MRR: ratio is unbounded",
                                                 "no MRR gained or lost: ratio undefined"))
    return out
