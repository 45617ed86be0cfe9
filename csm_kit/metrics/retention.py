"""Logo churn and retention per month, under a stated convention.

Who counts (customer level; *paying* = MRR > 0, see :mod:`csm_kit.metrics.ledger`)
------------------------------------------------------------------------------
For a month M:

- ``customers_start``: paying on the last day of M-1.
- ``joined``: not paying at the start, and began a paid spell during M;
  ``new`` if it is the customer's first paid spell ever (all history, not only
  the reported window), ``reactivated`` otherwise.
- ``customers_end``: paying on the last day of M.
- ``churned_existing``: paying at the start, not at the end.
- ``churned_joined``: joined during M and gone again by its end (a customer who
  joins and churns in the same month).
- ``churned`` = churned_existing + churned_joined.

A customer who leaves and comes back inside M, paying at both ends, is
retained: churn is judged customer by customer at month ends, plus the
joiners who never reached one. Identity: customers_end = customers_start +
joined - churned.

Conventions (``convention=``)
-----------------------------
==================  ===========================================================  =========================
name                churn rate                                                   used by
==================  ===========================================================  =========================
``"seeds"``         churned / (customers_start + churned_joined)                  the kit's default
``"start"``         churned_existing / customers_start                            ChartMogul B2B, ProfitWell
``"start_plus_new"`` churned / (customers_start + new)                            Stripe
``"average"``       churned / ((customers_start + customers_end) / 2)             finance teams
==================  ===========================================================  =========================

The default follows the seed texts: customers who join and leave in the same
period count in both the start figure and the churned figure; new customers
who stay are not counted until the next period.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import MissingTableError
from ..periods import month_index, months as month_range, to_month
from .coverage import check_months
from .ledger import month_end_mrr, paid_spells, subscription_mrr

CONVENTIONS = ("seeds", "start", "start_plus_new", "average")
#: The convention of the report's headline logo churn (the churn page, the scorecard, CLV's default).
DEFAULT_CONVENTION = "seeds"
COUNT_COLUMNS = ["customers_start", "new", "reactivated", "joined", "churned_existing",
                 "churned_joined", "churned", "customers_end"]


def first_subscription_month(subs: pd.DataFrame) -> pd.Period:
    """The month of the earliest ``start_date``: where a series of monthly metrics starts by default.

    >>> first_subscription_month(pd.DataFrame({"start_date": pd.to_datetime(["2026-03-05", "2025-11-30"])}))
    Period('2025-11', 'M')
    """
    if subs.empty:
        raise ValueError("There are no subscriptions, so there is no first month; pass start=.")
    return subs["start_date"].min().to_period("M")


def customer_flows(data, *, start=None, end) -> dict[str, pd.DataFrame]:
    """Per-customer, per-month flags behind :func:`churn_rates` (the log that explains it).

    Returns a dict of boolean customer x month DataFrames: ``paying_start``,
    ``paying_end``, ``joined``, ``new``, ``reactivated``, ``churned_existing``,
    ``churned_joined``. Rows are every customer with a subscription; columns
    the months from ``start`` to ``end``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "billing_period": ["month", "month"],
    ...     "amount": [10.0, 10.0], "start_date": pd.to_datetime(["2026-01-03", "2026-02-02"]),
    ...     "end_date": pd.to_datetime(["2026-02-10", "2026-02-20"])})
    >>> flows = customer_flows(subs, start="2026-02", end="2026-02")
    >>> flows["churned_existing"]["2026-02"].tolist(), flows["churned_joined"]["2026-02"].tolist()
    ([True, False], [False, True])
    """
    subs = data if isinstance(data, pd.DataFrame) else _subscriptions(data)
    check_months(data, start, end, fn="customer_flows", tables=["subscriptions"])
    end = to_month(end)
    start = to_month(start) if start is not None else first_subscription_month(subs)
    cols = month_range(start, end)
    balances = month_end_mrr(subs, start - 1, end)
    paying = balances.to_numpy() > 0
    paying_start, paying_end = paying[:, :-1], paying[:, 1:]

    # Spell starts per customer and month (month index 0 = `start`).
    spells = paid_spells(subs)
    row = balances.index.get_indexer(spells["customer_id"])
    k = month_index(spells["start"], start)
    inside = (k >= 0) & (k < len(cols))
    began = np.zeros(paying_end.shape, dtype=bool)
    began[row[inside], k[inside]] = True
    first_k = np.full(len(balances), np.iinfo(np.int64).max // 2)
    firsts = spells["spell"].to_numpy() == 1
    first_k[row[firsts]] = k[firsts]

    joined = began & ~paying_start
    first_here = first_k[:, None] == np.arange(len(cols))[None, :]
    flags = {
        "paying_start": paying_start,
        "paying_end": paying_end,
        "joined": joined,
        "new": joined & first_here,
        "reactivated": joined & ~first_here,
        "churned_existing": paying_start & ~paying_end,
        "churned_joined": joined & ~paying_end,
    }
    return {name: pd.DataFrame(v, index=balances.index, columns=cols) for name, v in flags.items()}


def _subscriptions(data) -> pd.DataFrame:
    data.require("subscriptions", by="churn_rates")
    return data.subscriptions


def customer_groups(data, by: str | None, customer_ids: pd.Index) -> pd.Series:
    """The group label of each customer for a ``by=`` breakdown.

    ``segment``, ``plan``, ``region``, ``industry``, ``acquisition_channel``
    come from ``customers``; ``billing_period`` is the billing period of the
    customer's largest paid subscription (by MRR; ties: the earliest), a
    per-customer simplification: a customer who switches from monthly to
    annual billing is counted in one group throughout. Missing labels are
    ``"(missing)"``.
    """
    if by is None:
        return pd.Series("all", index=customer_ids)
    if isinstance(data, pd.DataFrame):
        raise MissingTableError(f"by={by!r} needs a Dataset (with customers), not a bare table.")
    if by == "billing_period":
        subs = data.subscriptions.assign(_mrr=subscription_mrr(data.subscriptions))
        largest = (subs[subs["_mrr"] > 0].sort_values(["customer_id", "_mrr", "start_date"],
                                                       ascending=[True, False, True], kind="mergesort")
                   .drop_duplicates("customer_id").set_index("customer_id")["billing_period"])
        return largest.reindex(customer_ids).fillna("(missing)")
    data.require("customers", by=f"by={by!r}")
    if by not in data.customers.columns:
        raise MissingTableError(f"by={by!r}: customers has no column {by!r}.")
    labels = data.customers.set_index("customer_id")[by]
    return labels.reindex(customer_ids).fillna("(missing)").astype(str)


def _rate(counts: pd.DataFrame, convention: str) -> tuple[pd.Series, pd.Series]:
    churned = counts["churned"].astype(float)
    if convention == "seeds":
        return churned, counts["customers_start"] + counts["churned_joined"]
    if convention == "start":
        return counts["churned_existing"].astype(float), counts["customers_start"].astype(float)
    if convention == "start_plus_new":
        return churned, counts["customers_start"] + counts["new"]
    if convention == "average":
        return churned, (counts["customers_start"] + counts["customers_end"]) / 2
    raise ValueError(f"convention must be one of {CONVENTIONS}, not {convention!r}.")


def churn_rates(data, *, start=None, end, convention: str = DEFAULT_CONVENTION, by: str | None = None) -> pd.DataFrame:
    """Logo churn rate per month, with every count needed to rebuild it by hand.

    ``churn_rate = numerator / denominator`` where, by convention (module
    docstring has the table):

    - ``"seeds"`` (default): (churned_existing + churned_joined) / (customers_start + churned_joined)
    - ``"start"``: churned_existing / customers_start
    - ``"start_plus_new"``: (churned_existing + churned_joined) / (customers_start + new);
      reactivations are not added to the denominator (they are not new customers)
    - ``"average"``: (churned_existing + churned_joined) / ((customers_start + customers_end) / 2)

    A zero denominator gives NaN.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions`` (and ``customers`` for ``by``), or the
        subscriptions table itself.
    start, end : str or Period
        First and last month (inclusive). ``start`` defaults to the month of the
        first subscription.
    convention : str
        One of ``"seeds"``, ``"start"``, ``"start_plus_new"``, ``"average"``.
    by : str, optional
        Break down by ``"segment"``, ``"billing_period"``, ``"plan"``, ... (see
        :func:`customer_groups`).

    Returns
    -------
    DataFrame
        One row per month (and group): ``month``, [group], the counts
        ``customers_start, new, reactivated, joined, churned_existing,
        churned_joined, churned, customers_end``, ``numerator``,
        ``denominator``, ``churn_rate`` and ``convention``.

    Examples
    --------
    Four customers at the start of February; one leaves; one joins and leaves
    within February:

    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
    ...     "start_date": pd.to_datetime(["2026-01-05"] * 4 + ["2026-02-03"]),
    ...     "end_date": pd.to_datetime([None, None, None, "2026-02-15", "2026-02-20"]),
    ...     "billing_period": "month", "amount": 50.0})
    >>> r = churn_rates(subs, start="2026-02", end="2026-02")
    >>> r[["customers_start", "churned_existing", "churned_joined", "denominator", "churn_rate"]]
       customers_start  churned_existing  churned_joined  denominator  churn_rate
    0                4                 1               1          5.0         0.4
    >>> churn_rates(subs, start="2026-02", end="2026-02", convention="start")["churn_rate"].item()
    0.25
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, not {convention!r}.")
    subs = data if isinstance(data, pd.DataFrame) else _subscriptions(data)
    check_months(data, start, end, fn="churn_rates", tables=["subscriptions"])
    flows = customer_flows(subs, start=start, end=end)
    cols = flows["paying_end"].columns
    groups = customer_groups(data, by, flows["paying_end"].index)
    key = groups.to_numpy()

    sums = {name: pd.DataFrame(frame.to_numpy(dtype=np.int64), columns=cols).groupby(key).sum()
            for name, frame in flows.items()}
    tidy = {name: s.stack().rename(name) for name, s in sums.items()}
    counts = pd.concat(tidy.values(), axis=1)
    counts.index.names = ["group", "month"]
    counts = counts.reset_index().rename(columns={"paying_start": "customers_start", "paying_end": "customers_end"})
    counts["churned"] = counts["churned_existing"] + counts["churned_joined"]
    numerator, denominator = _rate(counts, convention)
    counts["numerator"] = numerator
    counts["denominator"] = denominator.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        counts["churn_rate"] = np.where(counts["denominator"] > 0, counts["numerator"] / counts["denominator"], np.nan)
    counts["convention"] = convention
    counts = counts.sort_values(["month", "group"], kind="mergesort", ignore_index=True)
    columns = ["month"] + ([by] if by else []) + COUNT_COLUMNS + ["numerator", "denominator", "churn_rate", "convention"]
    return counts.rename(columns={"group": by} if by else {})[columns]


def retention_rates(data, *, start=None, end, convention: str = DEFAULT_CONVENTION, by: str | None = None) -> pd.DataFrame:
    """Logo retention (persistence) rate per month: ``1 - churn_rate`` under the same convention.

    The classic ``(customers_end - new) / customers_start`` is a different
    number (new customers who stayed are taken out of the end count, but
    reactivated ones are not); it is given as the column
    ``classic_retention_rate`` so the two can be compared.

    Parameters and returns as :func:`churn_rates`, plus ``retention_rate`` and
    ``classic_retention_rate``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "start_date": pd.to_datetime(["2026-01-05"] * 4),
    ...     "end_date": pd.to_datetime([None, None, None, "2026-02-15"]),
    ...     "billing_period": "month", "amount": 50.0})
    >>> retention_rates(subs, start="2026-02", end="2026-02")[["churn_rate", "retention_rate"]]
       churn_rate  retention_rate
    0        0.25            0.75
    """
    rates = churn_rates(data, start=start, end=end, convention=convention, by=by)
    rates["retention_rate"] = 1.0 - rates["churn_rate"]
    start_n = rates["customers_start"].astype(float)
    rates["classic_retention_rate"] = np.where(
        start_n > 0, (rates["customers_end"] - rates["new"]) / start_n.where(start_n > 0, 1.0), np.nan)
    return rates


@dataclass(frozen=True)
class MonthChurn:
    """The logo churn of one month under one convention: the report's headline churn number.

    Attributes
    ----------
    month : Period
    convention : str
    rate : float or None
        ``numerator / denominator`` (None when unavailable or 0 / 0).
    churned, customers_start, reactivated : int or None
        Counts behind it (``churned`` = churned_existing + churned_joined).
    numerator, denominator : float or None
    previous_rate, previous_churned : float or None
        The month before, under the same convention (None before the data).
    reason : str
        Why ``rate`` is None ("" when it is a number).
    """

    month: pd.Period
    convention: str
    rate: float | None
    churned: int | None
    customers_start: int | None
    reactivated: int | None
    numerator: float | None
    denominator: float | None
    previous_rate: float | None
    previous_churned: int | None
    reason: str = ""

    @property
    def available(self) -> bool:
        """Whether the month's churn rate is a number."""
        return self.rate is not None

    @property
    def label(self) -> str:
        """What the number is, for a reader: ``"Logo churn in 2026-10 (seeds convention)"``."""
        return f"Logo churn in {self.month} ({self.convention} convention)"


def _number(value):
    return None if value is None or pd.isna(value) else float(value)


def month_churn(data, *, month, convention: str = DEFAULT_CONVENTION) -> MonthChurn:
    """The logo churn rate of ``month``: the one number the churn page, the scorecard and CLV all use.

    ``rate`` is :func:`churn_rates` for ``month`` under ``convention`` (default
    :data:`DEFAULT_CONVENTION`, ``"seeds"``: churned / (customers at the start +
    customers who joined and left in the month)); ``previous_rate`` the same for
    the month before. Nothing raises for degenerate data: a data set without
    subscriptions, a snapshot, a month outside the data or a month nobody was
    paying give ``rate=None`` and ``reason`` says why.

    Parameters
    ----------
    data : Dataset
    month : str or Period
        The reporting month (``"YYYY-MM"``).
    convention : str
        One of :data:`CONVENTIONS`.

    Returns
    -------
    MonthChurn

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "start_date": pd.to_datetime(["2026-01-05"] * 4),
    ...     "end_date": pd.to_datetime([None, None, None, "2026-02-15"]),
    ...     "billing_period": "month", "amount": 50.0})
    >>> c = month_churn(Dataset(subscriptions=subs), month="2026-02")
    >>> c.rate, c.churned, c.customers_start, c.previous_rate, c.convention  # nobody paid at the start of January
    (0.25, 1, 4, None, 'seeds')
    >>> month_churn(Dataset(), month="2026-02").reason[:40]
    'This data set has no subscriptions, so t'
    """
    from .pages import ledger_reason

    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, not {convention!r}.")
    month = to_month(month)
    empty = dict(month=month, convention=convention, rate=None, churned=None, customers_start=None,
                 reactivated=None, numerator=None, denominator=None, previous_rate=None, previous_churned=None)
    reason = ledger_reason(data, month)
    if reason:
        return MonthChurn(**empty, reason=reason)
    first = data.subscriptions["start_date"].min().to_period("M")
    rates = churn_rates(data, start=max(first, month - 1), end=month, convention=convention).set_index("month")
    this = rates.loc[month]
    before = rates.loc[month - 1] if (month - 1) in rates.index else None
    rate = _number(this["churn_rate"])
    return MonthChurn(
        month=month, convention=convention, rate=rate, churned=int(this["churned"]),
        customers_start=int(this["customers_start"]), reactivated=int(this["reactivated"]),
        numerator=float(this["numerator"]), denominator=float(this["denominator"]),
        previous_rate=None if before is None else _number(before["churn_rate"]),
        previous_churned=None if before is None else int(before["churned"]),
        reason="" if rate is not None else f"Nobody was paying at the start of {month}: the churn rate is undefined.")
