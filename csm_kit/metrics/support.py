"""Support: ticket volume per account, response and resolution times, support CSAT, backlog.

Conventions
-----------
- A ticket belongs to the month it was opened in.
- ``as_of`` is a day; everything up to its end is known. A response or
  resolution stamped later is not known yet: the ticket counts as still
  waiting, and its waiting time is *censored* at the end of ``as_of``.
- Times are hours from ``opened_at``. Medians are Kaplan-Meier medians
  (lifelines), because open tickets are exactly the slow ones: a plain
  median over answered tickets only is biased low. The plain median is
  given beside it, labelled, for comparison.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import qth_survival_time

from ..exceptions import DataValidationError, MissingTableError
from ..periods import as_of_day, month_end, month_index, month_start, months as month_range, to_month
from ._areas import MISSING_GROUP, data_last_day, offending_rows as _rows, refuse_months_after_data
from .ledger import month_end_mrr

_CENSOR_AT = ("as_of", "month_end")
_ONE_HOUR = pd.Timedelta(hours=1)


def _tickets(data, fn: str) -> pd.DataFrame:
    """The tickets table, checked: timestamps present and in order."""
    data.require("tickets", by=fn)
    tickets = data.tickets
    missing = [c for c in ("ticket_id", "customer_id", "opened_at", "first_response_at", "resolved_at")
               if c not in tickets.columns]
    if missing:
        raise MissingTableError(f"{fn} needs tickets column(s) {missing}, which the table does not have.")
    for col in ("opened_at", "first_response_at", "resolved_at"):
        if not pd.api.types.is_datetime64_any_dtype(tickets[col]):
            raise DataValidationError("tickets", col, "must be a datetime column",
                                      detail=f"dtype is {tickets[col].dtype}; load with csm_kit.load_dataset")
    empty = tickets["opened_at"].isna().to_numpy()
    if empty.any():
        raise DataValidationError("tickets", "opened_at", "must not be empty", rows=_rows(tickets, empty))
    for col in ("first_response_at", "resolved_at"):
        early = (tickets[col] < tickets["opened_at"]).to_numpy()
        if early.any():
            raise DataValidationError("tickets", col, "must not be before opened_at",
                                      rows=_rows(tickets[["ticket_id", "opened_at", col]], early))
    return tickets


def ticket_times(data, *, as_of, censor_at: str = "as_of") -> pd.DataFrame:
    """Hours to first response and to resolution per ticket, censored where not known.

    For a ticket opened at ``o`` and a horizon ``h`` (the end of ``as_of``,
    or with ``censor_at="month_end"`` the end of the month it was opened in):
    ``first_response_hours = (first_response_at - o)`` when the response came
    before ``h`` (``responded=True``), else ``h - o`` (censored); the same for
    resolution. ``"month_end"`` reproduces what the month's report knew at the
    time; ``"as_of"`` uses everything known now.

    Parameters
    ----------
    data : Dataset
        With ``tickets``.
    as_of : str or Timestamp
        The day the data is known up to. Tickets opened after it are left out.
    censor_at : {"as_of", "month_end"}
        The horizon, see above.

    Returns
    -------
    DataFrame
        ``ticket_id``, ``customer_id``, ``month`` (opened), ``horizon``,
        ``first_response_hours``, ``responded``, ``resolution_hours``,
        ``resolved``; in tickets-table order.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> t = pd.DataFrame({"ticket_id": ["t1", "t2"], "customer_id": ["a", "a"],
    ...     "opened_at": pd.to_datetime(["2026-01-30 10:00", "2026-01-31 12:00"]),
    ...     "first_response_at": pd.to_datetime(["2026-01-30 12:00", None]),
    ...     "resolved_at": pd.to_datetime(["2026-02-02 10:00", None]),
    ...     "priority": "normal", "channel": "email"})
    >>> ds = Dataset(tickets=t, customers=pd.DataFrame({"customer_id": ["a"],
    ...                                                 "signup_date": pd.to_datetime(["2026-01-01"])}))
    >>> ticket_times(ds, as_of="2026-01-31")[["ticket_id", "first_response_hours", "responded",
    ...                                       "resolution_hours", "resolved"]]
      ticket_id  first_response_hours  responded  resolution_hours  resolved
    0        t1                   2.0       True              38.0     False
    1        t2                  12.0      False              12.0     False
    """
    if censor_at not in _CENSOR_AT:
        raise ValueError(f"censor_at must be one of {_CENSOR_AT}, not {censor_at!r}.")
    as_of = as_of_day(as_of)
    tickets = _tickets(data, "ticket_times")
    refuse_months_after_data(as_of.to_period("M"), data_last_day(data), fn="ticket_times", name="as_of")
    end_of_as_of = as_of + pd.Timedelta(days=1)
    t = tickets[tickets["opened_at"] < end_of_as_of]
    month = t["opened_at"].dt.to_period("M")
    if censor_at == "as_of":
        horizon = pd.Series(end_of_as_of, index=t.index)
    else:
        horizon = ((month + 1).dt.start_time).clip(upper=end_of_as_of)
    out = pd.DataFrame({"ticket_id": t["ticket_id"].to_numpy(), "customer_id": t["customer_id"].to_numpy(),
                        "month": month.to_numpy(), "horizon": horizon.to_numpy()})
    for col, name, flag in (("first_response_at", "first_response_hours", "responded"),
                            ("resolved_at", "resolution_hours", "resolved")):
        known = (t[col] < horizon).to_numpy()
        stop = np.where(known, t[col].to_numpy(), horizon.to_numpy())
        out[name] = (stop - t["opened_at"].to_numpy()) / _ONE_HOUR.to_timedelta64()
        out[flag] = known
    return out


def _km_median(hours: np.ndarray, observed: np.ndarray) -> float:
    """Kaplan-Meier median (lifelines): first time with S(t) <= 0.5; inf if never, NaN if no data."""
    if len(hours) == 0:
        return np.nan
    return float(KaplanMeierFitter().fit(hours, event_observed=observed).median_survival_time_)


def _plain_median(hours: np.ndarray, observed: np.ndarray) -> float:
    return float(np.median(hours[observed])) if observed.any() else np.nan


def support_summary(data, *, start=None, end, by: str | None = None, as_of=None,
                    censor_at: str = "as_of") -> pd.DataFrame:
    """Monthly support figures: volume per account, response and resolution times, CSAT, backlog.

    Per month M (and group):

    - ``tickets_opened``: tickets opened in M;
    - ``accounts``: the denominator, stated in ``accounts_basis``: customers
      paying at M's last day (MRR > 0, from ``subscriptions``, as everywhere
      in the kit) when the Dataset has subscriptions, otherwise customers
      signed up by M's last day; ``tickets_per_account = tickets_opened /
      accounts`` (NaN with no accounts). Tickets of non-paying customers
      still count in the numerator;
    - ``median_first_response_hours`` / ``median_resolution_hours``:
      Kaplan-Meier medians over M's tickets, tickets still waiting censored
      at the horizon (``censor_at``, see :func:`ticket_times`); ``inf`` when
      under half were answered/resolved by then. ``unanswered`` /
      ``unresolved`` count the censored tickets;
    - ``median_first_response_hours_answered`` /
      ``median_resolution_hours_resolved``: plain medians over the tickets
      answered/resolved only (biased low when tickets are still open; shown
      to explain the difference, not to report);
    - ``csat_responses``, ``csat_top2``: tickets of M with a ``csat`` score,
      and the share scoring 4 or 5 (NaN without scores or without the
      column);
    - ``backlog``: tickets open at the end of M (opened by then, not resolved
      by then), whenever they were opened.

    Parameters
    ----------
    data : Dataset
        With ``tickets`` and ``customers`` (``subscriptions`` optional).
    start, end : str or Period
        First and last month, inclusive. ``start=None`` = month of the first ticket.
    by : str, optional
        A tickets column (``"priority"``, ``"channel"``, ``"category"``) or a
        customers column (``"segment"``...). For a customers column the
        accounts denominator is that group's; for a tickets column it is all
        accounts. Empty values are grouped as ``"(missing)"``.
    as_of : str or Timestamp, optional
        The day the data is known up to; default the last day of ``end``.
        Must not be before it.
    censor_at : {"as_of", "month_end"}
        Horizon for waiting tickets: the end of ``as_of`` (everything known
        now) or the end of the ticket's month (what was known then).

    Returns
    -------
    DataFrame
        ``month``, [``by``], ``tickets_opened``, ``accounts``,
        ``accounts_basis``, ``tickets_per_account``,
        ``median_first_response_hours``,
        ``median_first_response_hours_answered``, ``unanswered``,
        ``median_resolution_hours``, ``median_resolution_hours_resolved``,
        ``unresolved``, ``csat_responses``, ``csat_top2``, ``backlog``.
        Months without tickets are rows of zeros and NaN.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> t = pd.DataFrame({"ticket_id": ["t1", "t2", "t3"], "customer_id": ["a", "b", "b"],
    ...     "opened_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-10 09:00", "2026-01-31 09:00"]),
    ...     "first_response_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-10 13:00", None]),
    ...     "resolved_at": pd.to_datetime(["2026-01-06 09:00", None, None]),
    ...     "priority": "normal", "channel": "email", "csat": [5.0, 2.0, None]})
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2025-12-01"] * 2)})
    >>> s = support_summary(Dataset(tickets=t, customers=c), end="2026-01")
    >>> s.loc[0, ["tickets_opened", "tickets_per_account", "median_first_response_hours",
    ...           "median_first_response_hours_answered", "csat_top2", "backlog"]]
    tickets_opened                            3
    tickets_per_account                     1.5
    median_first_response_hours             4.0
    median_first_response_hours_answered    2.5
    csat_top2                               0.5
    backlog                                   2
    Name: 0, dtype: object
    """
    tickets, months, as_of = _window(data, start, end, as_of, censor_at, "support_summary")
    groups, ticket_group, customer_group = _groups(data, tickets, by, "support_summary")
    known = (tickets["opened_at"] < as_of + pd.Timedelta(days=1)).to_numpy()
    times = ticket_times(data, as_of=as_of, censor_at=censor_at)  # rows of tickets[known]
    accounts, basis = _accounts(data, months, customer_group, len(groups))
    month_of = month_index(tickets["opened_at"], months[0])  # 0 = first reported month
    csat = tickets["csat"].to_numpy(dtype=float) if "csat" in tickets.columns else np.full(len(tickets), np.nan)

    rows = []
    for j, m in enumerate(months):  # months x groups: a handful of small KM fits
        end_of_m = month_start(m + 1)
        open_at_end = ((tickets["opened_at"] < end_of_m) & ~(tickets["resolved_at"] < end_of_m)).to_numpy()
        for g, label in enumerate(groups):
            mine = (month_of == j) & (ticket_group == g) & known
            sel = times[mine[known]]
            fr, ok_fr = sel["first_response_hours"].to_numpy(), sel["responded"].to_numpy()
            rs, ok_rs = sel["resolution_hours"].to_numpy(), sel["resolved"].to_numpy()
            scores = csat[mine][~np.isnan(csat[mine])]
            n_accounts = int(accounts[g if customer_group is not None else 0, j])
            rows.append({"month": m} | ({by: label} if by else {}) | {
                "tickets_opened": len(sel), "accounts": n_accounts, "accounts_basis": basis,
                "tickets_per_account": len(sel) / n_accounts if n_accounts else np.nan,
                "median_first_response_hours": _km_median(fr, ok_fr),
                "median_first_response_hours_answered": _plain_median(fr, ok_fr),
                "unanswered": int((~ok_fr).sum()),
                "median_resolution_hours": _km_median(rs, ok_rs),
                "median_resolution_hours_resolved": _plain_median(rs, ok_rs),
                "unresolved": int((~ok_rs).sum()),
                "csat_responses": len(scores),
                "csat_top2": float((scores >= 4).mean()) if len(scores) else np.nan,
                "backlog": int((open_at_end & (ticket_group == g)).sum())})
    return pd.DataFrame(rows)


def _window(data, start, end, as_of, censor_at: str, fn: str):
    """The checked tickets, the months reported (``start`` defaults to the first ticket's month) and ``as_of``."""
    if censor_at not in _CENSOR_AT:
        raise ValueError(f"censor_at must be one of {_CENSOR_AT}, not {censor_at!r}.")
    data.require("tickets", "customers", by=fn)
    tickets = _tickets(data, fn)
    if start is None:
        start = min(to_month(tickets["opened_at"].min()), to_month(end)) if len(tickets) else end
    months = month_range(start, refuse_months_after_data(end, data_last_day(data), fn=fn))
    as_of = month_end(months[-1]) if as_of is None else as_of_day(as_of)
    if as_of < month_end(months[-1]):
        raise ValueError(f"as_of ({as_of.date()}) is before the end of the last month reported ({months[-1]}).")
    return tickets, months, as_of


def _groups(data, tickets: pd.DataFrame, by, fn: str):
    """Group labels, the group code of each ticket, and of each customer (None unless by is a customers column)."""
    if by is None:
        return pd.Index(["all"]), np.zeros(len(tickets), dtype=np.int64), None
    if by in tickets.columns:
        values = tickets[by].astype(object).where(tickets[by].notna(), MISSING_GROUP).astype(str)
        groups = pd.Index(sorted(values.unique()), name=by)
        return groups, groups.get_indexer(values), None
    customers = data.customers
    if by not in customers.columns:
        raise MissingTableError(f"{fn}(by={by!r}) needs a tickets or customers column named {by!r}.")
    of_customer = customers.set_index("customer_id")[by].astype(object)
    of_customer = of_customer.where(of_customer.notna(), MISSING_GROUP).astype(str)
    labels = tickets["customer_id"].map(of_customer)
    labels = labels.where(labels.notna(), MISSING_GROUP).astype(str)  # tickets of unknown customers
    groups = pd.Index(sorted(set(labels) | set(of_customer)), name=by)
    return groups, groups.get_indexer(labels), pd.Series(groups.get_indexer(of_customer), index=of_customer.index)


def _accounts(data, months: pd.PeriodIndex, customer_group: pd.Series | None, n_groups: int):
    """Accounts per group and month (shape n_groups x months; one row when not grouping by customers)."""
    n_rows = n_groups if customer_group is not None else 1
    out = np.zeros((n_rows, len(months)), dtype=np.int64)
    if data.has("subscriptions"):
        mrr = month_end_mrr(data.subscriptions, months[0], months[-1])
        paying = mrr.to_numpy() > 0
        group = np.zeros(len(mrr), dtype=np.int64)
        if customer_group is not None:
            found = customer_group.reindex(mrr.index)
            unknown = found.isna().to_numpy()
            if unknown.any():
                subs = data.subscriptions
                bad = subs["customer_id"].isin(mrr.index[unknown]).to_numpy()
                raise DataValidationError("subscriptions", "customer_id", "must be one of customers.customer_id",
                                          rows=_rows(subs[["subscription_id", "customer_id"]], bad))
            group = found.to_numpy(dtype=np.int64)
        for j in range(len(months)):
            out[:, j] = np.bincount(group[paying[:, j]], minlength=n_rows)
        return out, "paying at month end"
    signup = data.customers["signup_date"].to_numpy()
    group = np.zeros(len(signup), dtype=np.int64) if customer_group is None else customer_group.to_numpy()
    for j, m in enumerate(months):
        out[:, j] = np.bincount(group[signup <= month_end(m).to_datetime64()], minlength=n_rows)
    return out, "signed up by month end"


def _km_percentiles(hours: np.ndarray, observed: np.ndarray, shares) -> list[float]:
    """Kaplan-Meier times by which each share of tickets was done: first t with S(t) <= 1 - p (inf if never)."""
    if len(hours) == 0:
        return [np.nan] * len(shares)
    sf = KaplanMeierFitter().fit(hours, event_observed=observed).survival_function_
    return [float(qth_survival_time(1.0 - p, sf)) for p in shares]


def _percentile_label(p: float) -> str:
    return f"p{100 * p:g}".replace(".", "_")


def ticket_time_percentiles(data, *, start=None, end, by: str | None = None, as_of=None,
                            censor_at: str = "as_of", percentiles=(0.5, 0.75, 0.9)) -> pd.DataFrame:
    """Kaplan-Meier percentiles of first-response and resolution hours, per month (and group).

    The p-th percentile is the time by which a share p of the month's
    tickets had been answered (or resolved): the first time ``t`` with
    ``S(t) <= 1 - p``, where ``S`` is the Kaplan-Meier curve of the tickets
    still waiting, tickets not answered by the horizon being censored there
    (:func:`ticket_times`). ``p = 0.5`` gives :func:`support_summary`'s
    median. It is ``inf`` when fewer than a share p were answered by the
    horizon (the tail is not known yet). Service levels are usually set on
    a high percentile ("90% of urgent tickets answered within 1 hour"), which
    a median hides.

    Parameters
    ----------
    data : Dataset
        With ``tickets`` and ``customers``.
    start, end : str or Period
        First and last month, inclusive. ``start=None`` = month of the first ticket.
    by : str, optional
        A tickets column (``"priority"``, ``"channel"``...) or a customers
        column; empty values are grouped as ``"(missing)"``.
    as_of : str or Timestamp, optional
        The day the data is known up to; default the last day of ``end``.
    censor_at : {"as_of", "month_end"}
        Horizon for waiting tickets, as in :func:`support_summary`.
    percentiles : sequence of float
        Shares strictly between 0 and 1.

    Returns
    -------
    DataFrame
        ``month``, [``by``], ``tickets``, then
        ``first_response_hours_p50``, ... and ``resolution_hours_p50``, ...
        (one column per percentile; ``p50`` for 0.5, ``p97_5`` for 0.975).
        Months without tickets have NaN percentiles.

    Examples
    --------
    Four tickets answered after 1, 2, 4 and 12 hours, a fifth still waiting
    (censored): S(1) = 0.8, S(2) = 0.6, S(4) = 0.4, S(12) = 0.2. Half were
    answered by 4 h, three quarters by 12 h; 90% is not reached yet.

    >>> from csm_kit import Dataset
    >>> opened = pd.Timestamp("2026-01-05 09:00")
    >>> hours = pd.to_timedelta([1, 2, 4, 12], unit="h")
    >>> t = pd.DataFrame({"ticket_id": ["t1", "t2", "t3", "t4", "t5"], "customer_id": "a",
    ...     "opened_at": opened, "first_response_at": list(opened + hours) + [pd.NaT],
    ...     "resolved_at": pd.NaT})
    >>> c = pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime(["2025-12-01"])})
    >>> out = ticket_time_percentiles(Dataset(tickets=t, customers=c), end="2026-01")
    >>> out.loc[0, ["first_response_hours_p50", "first_response_hours_p75", "first_response_hours_p90"]]
    first_response_hours_p50     4.0
    first_response_hours_p75    12.0
    first_response_hours_p90     inf
    Name: 0, dtype: object
    """
    shares = tuple(percentiles)
    if not shares or not all(isinstance(p, (int, float, np.floating)) and 0 < p < 1 for p in shares):
        raise ValueError(f"percentiles must be shares strictly between 0 and 1, not {percentiles!r}.")
    tickets, months, as_of = _window(data, start, end, as_of, censor_at, "ticket_time_percentiles")
    groups, ticket_group, _ = _groups(data, tickets, by, "ticket_time_percentiles")
    known = (tickets["opened_at"] < as_of + pd.Timedelta(days=1)).to_numpy()
    times = ticket_times(data, as_of=as_of, censor_at=censor_at)  # rows of tickets[known]
    month_of = month_index(tickets["opened_at"], months[0])
    rows = []
    for j, m in enumerate(months):  # months x groups: a handful of small KM fits
        for g, label in enumerate(groups):
            sel = times[((month_of == j) & (ticket_group == g))[known]]
            row = {"month": m} | ({by: label} if by else {}) | {"tickets": len(sel)}
            for name, flag in (("first_response_hours", "responded"), ("resolution_hours", "resolved")):
                values = _km_percentiles(sel[name].to_numpy(), sel[flag].to_numpy(), shares)
                row |= {f"{name}_{_percentile_label(p)}": v for p, v in zip(shares, values)}
            rows.append(row)
    return pd.DataFrame(rows)
