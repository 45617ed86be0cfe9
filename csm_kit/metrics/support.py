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
- A month (or ``as_of``) after the data is refused, naming the data's last
  complete month: it would otherwise read as a month without tickets.
- The report page (:func:`support_page`) and its key numbers
  (:func:`support_key_numbers`) are built from these functions; charts are
  in :mod:`csm_kit.plotting.support`.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import qth_survival_time

from ..arguments import whole_number
from ..exceptions import DataValidationError, MissingTableError
from ..periods import as_of_day, month_end, month_index, month_start, months as month_range, to_month
from .pages import (MISSING_GROUP, PagePart, check_report_parameters, last_dated_day, offending_rows as _rows,
                    refuse_months_after_data)
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
    refuse_months_after_data(as_of.to_period("M"), last_dated_day(data), fn="ticket_times", name="as_of")
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
    months = month_range(start, refuse_months_after_data(end, last_dated_day(data), fn=fn))
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


# -- the report page ---------------------------------------------------------------
_PRIORITY_ORDER = ("urgent", "high", "normal", "low")
_SPLITS = ("priority", "channel")


@dataclass(frozen=True)
class SupportPage:
    """Everything the support page shows, each part computed or saying why not (:func:`support_page`).

    Attributes
    ----------
    month : Period
        The reporting month (figures known as of its last day).
    segment : str
        The segment reported on (``"all"``: every customer).
    high_percentile : float
        The high percentile shown beside the median.
    volume : PagePart
        :func:`support_summary` per month (tickets, per paying account, backlog, times, CSAT).
    categories : PagePart
        The month's figures by ticket category.
    times : PagePart
        :func:`ticket_time_percentiles` per month (median and high percentile).
    splits : dict of str to PagePart
        The month's percentiles and counts by ``priority`` and by ``channel``.
    spread : PagePart
        Hours to first response of each of the month's answered tickets.
    csat : PagePart
        Ticket CSAT (top-2-box) per month with Wilson 95% intervals.
    """

    month: pd.Period
    segment: str
    high_percentile: float
    volume: object
    categories: object
    times: object
    splits: dict
    spread: object
    csat: object

    @property
    def high(self) -> str:
        """The column suffix of the high percentile (``"p90"`` for 0.9)."""
        return _percentile_label(self.high_percentile)

    def headline(self):
        """The page's first sentence (the segment named in a segment report), escaped."""
        from ..display import text

        where = "" if self.segment in ("", "all") else "Segment **{segment}**: "
        if not self.volume.available:
            from .pages import reason_headline

            return reason_headline(self.segment, self.volume.reason)
        v = self.volume.values
        t = self.times.values
        if not v["tickets_opened"]:
            return text(where + "No ticket was opened in {month}.", segment=self.segment, month=str(self.month))
        per = ("no paying account at the month end" if v["tickets_per_account"] is None
               else f"{v['tickets_per_account']:.2f} per account")
        return text(where + "{tickets:int} tickets were opened in {month} ({per}); half had a first response within "
                    "{median} hours.", segment=self.segment, tickets=v["tickets_opened"], month=str(self.month),
                    per=per, median=_hours(t.get("first_response_p50")))

    def key_numbers(self) -> list:
        """The page's recorded numbers (see :func:`support_key_numbers`)."""
        from ..key_numbers import KeyNumber

        vol, t = self.volume, self.times
        note = {} if vol.available else {"note": vol.reason}
        convention = ("Kaplan-Meier median over the month's tickets, calendar hours, open tickets censored at the "
                      "month end")
        v, tv = vol.values, t.values
        not_yet = "not reached yet: too few of the month's tickets done by its end"

        def hours(key):  # inf (a percentile not reached yet) is not a number of hours: None, with a note
            value = tv.get(key)
            return (None, {"note": not_yet}) if value is not None and not np.isfinite(value) else (value, {})
        csat = self.csat.values.get("now") if self.csat.available else None
        csat_extra = ({"successes": csat["successes"], "n": csat["n"]} if csat else
                      {"note": self.csat.reason if not self.csat.available else "no rated ticket this month"})
        (fr, fr_note), (high, high_note), (rs, rs_note) = (hours(k) for k in (
            "first_response_p50", "first_response_high", "resolution_p50"))
        return [
            KeyNumber("first_response_hours", fr, "hours", "Median first response",
                      {"tickets": v.get("tickets_opened"), "convention": convention, **note, **fr_note}),
            KeyNumber("first_response_hours_high", high, "hours",
                      f"First response, {self.high_percentile:.0%} of tickets within",
                      {"scorecard": False, **note, **high_note}),
            KeyNumber("resolution_hours", rs, "hours", "Median resolution time",
                      {"convention": convention, **note, **rs_note}),
            KeyNumber("tickets_opened", v.get("tickets_opened"), "tickets", f"Tickets opened in {self.month}", note),
            KeyNumber("tickets_per_account", v.get("tickets_per_account"), "ratio", "Tickets per paying account",
                      {"scorecard": False, **note}),
            KeyNumber("support_backlog", v.get("backlog"), "tickets", "Tickets open at the month end",
                      {"scorecard": False, **note}),
            KeyNumber("ticket_csat_top2", csat["rate"] if csat else None, "share", "Ticket CSAT (top-2-box)",
                      {**csat_extra, "scorecard": False}),
        ]


def _hours(value) -> str:
    if value is None:
        return "an unknown number of"
    return "more than the follow-up (not reached yet)" if not np.isfinite(value) else f"{value:.1f}"


def _finite_or_none(value):
    value = float(value)
    return None if not np.isfinite(value) else value


def support_page(ds, *, month, trend_months: int = 12, high_percentile: float = 0.9,
                 segment: str = "all") -> SupportPage:
    """The support page of the report for ``month``: every table, chart input and key number.

    The months shown are the ``trend_months`` ending at ``month`` (from the
    first ticket's month); times are Kaplan-Meier percentiles with tickets
    still waiting censored at the end of ``month`` (:func:`support_summary`,
    :func:`ticket_time_percentiles`). Each part is a
    :class:`~csm_kit.metrics.pages.PagePart` (a table and its headline
    numbers, or one sentence saying why not: no ``tickets`` table, no
    ticket in the month, no rated ticket...). ``times.values`` holds this
    month's ``first_response_p50``, ``first_response_high``,
    ``resolution_p50`` (None when not reached yet: a median is only known
    once half the tickets are answered).

    Parameters
    ----------
    ds : Dataset
        The report's data (already restricted to the segment).
    month : str or Period
        The reporting month, ``"YYYY-MM"``.
    trend_months : int
        Months of history shown.
    high_percentile : float
        The high percentile beside the median (strictly between 0.5 and 1).
    segment : str
        The segment's name, for the headline only.

    Returns
    -------
    SupportPage

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> page = support_page(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), month="2026-10")
    >>> page.volume.reason
    'This data set has no tickets table, so ticket volume cannot be measured.'
    >>> [k.value for k in page.key_numbers()]
    [None, None, None, None, None, None, None]
    """
    trend_months = whole_number(trend_months, "trend_months")
    if not (isinstance(high_percentile, (int, float, np.floating)) and 0.5 < high_percentile < 1):
        raise ValueError(f"high_percentile must be a share between 0.5 and 1, not {high_percentile!r}.")
    page = _support_page(ds, str(to_month(month)), int(trend_months), float(high_percentile))
    return dataclasses.replace(page, segment=str(segment))


@functools.lru_cache(maxsize=2)
def _support_page(ds, month: str, trend_months: int, high_percentile: float) -> SupportPage:
    segment = "all"  # the segment only names the page: set by support_page
    from .pages import after_data_reason, missing_reason, tables_missing, unavailable

    period = to_month(month)
    missing = tables_missing(ds, "tickets", "customers")
    whats = {"volume": "ticket volume", "categories": "tickets by category", "times": "response times",
             "spread": "the spread of response times", "csat": "ticket satisfaction"}
    late = None if missing else after_data_reason(ds, period)
    if missing or late:
        parts = {k: unavailable(late or missing_reason(missing, w)) for k, w in whats.items()}
        splits = {c: unavailable(late or missing_reason(missing, f"tickets by {c}")) for c in _SPLITS}
        return SupportPage(period, segment, high_percentile, splits=splits, **parts)
    opened = ds.tickets["opened_at"]
    start = min(max(period - (trend_months - 1), to_month(opened.min())), period) if len(opened) else period
    percentiles = (0.5, high_percentile)
    high = _percentile_label(high_percentile)
    summary = support_summary(ds, start=start, end=period)
    now = summary.iloc[-1]
    volume = PagePart(frame=summary, shown=summary[["month", "tickets_opened", "accounts", "tickets_per_account",
                                                    "backlog", "unanswered", "unresolved"]].tail(6),
                      formats={"tickets_opened": "int", "accounts": "int", "tickets_per_account": "{:.3f}",
                               "backlog": "int", "unanswered": "int", "unresolved": "int"},
                      labels={"accounts": "Paying accounts" if now["accounts_basis"] == "paying at month end"
                              else "Accounts signed up", "backlog": "Open at month end",
                              "unanswered": "Still unanswered", "unresolved": "Still unresolved"},
                      values={"tickets_opened": int(now["tickets_opened"]), "backlog": int(now["backlog"]),
                              "tickets_per_account": _finite_or_none(now["tickets_per_account"])})
    hours = {"median_first_response_hours": "{:.1f} h", "median_resolution_hours": "{:.1f} h", "csat_top2": "share"}
    if "category" not in ds.tickets.columns:
        categories = unavailable("The tickets table has no category column, so tickets by category cannot be shown.")
    else:
        by_cat = support_summary(ds, start=period, end=period, by="category")
        by_cat = by_cat.sort_values(["tickets_opened", "category"], ascending=[False, True], kind="mergesort")
        categories = PagePart(frame=by_cat[["category", "tickets_opened", "median_first_response_hours",
                                            "median_resolution_hours", "csat_responses", "csat_top2"]]
                              .reset_index(drop=True), formats=hours | {"tickets_opened": "int",
                                                                        "csat_responses": "int"},
                              labels={"csat_top2": "Ticket CSAT (top-2-box)", "csat_responses": "Rated tickets"})
    times = ticket_time_percentiles(ds, start=start, end=period, percentiles=percentiles)
    t_now = times.iloc[-1]
    times_part = PagePart(frame=times, values={
        "first_response_p50": float(t_now["first_response_hours_p50"]) if t_now["tickets"] else None,
        "first_response_high": float(t_now[f"first_response_hours_{high}"]) if t_now["tickets"] else None,
        "resolution_p50": float(t_now["resolution_hours_p50"]) if t_now["tickets"] else None,
        "high": high, "high_percentile": high_percentile, "goal": _response_goal()})
    splits = {}
    for column in _SPLITS:
        if column not in ds.tickets.columns:
            splits[column] = unavailable(f"The tickets table has no {column} column, so tickets by {column} "
                                         f"cannot be shown.")
            continue
        counts = support_summary(ds, start=period, end=period, by=column)
        split = ticket_time_percentiles(ds, start=period, end=period, by=column, percentiles=percentiles)
        split = split.merge(counts[[column, "unanswered", "unresolved", "csat_responses", "csat_top2"]], on=column)
        split = split.drop(columns="month")
        if column == "priority":
            rank = {v: i for i, v in enumerate(_PRIORITY_ORDER)}
            split = split.assign(_rank=split[column].map(rank).fillna(len(rank))).sort_values(
                ["_rank", column], kind="mergesort").drop(columns="_rank")
        else:
            split = split.sort_values(["tickets", column], ascending=[False, True], kind="mergesort")
        split = split.reset_index(drop=True)
        fmt = {c: "{:.1f}" for c in split.columns if c.endswith(("_p50", high))}
        splits[column] = PagePart(frame=split, formats=fmt | {"csat_top2": "share", "tickets": "int"},
                                  labels=_split_labels(split.columns, high, high_percentile),
                                  values={"column": column, "high": high, "high_percentile": high_percentile})
    spread = _spread_part(ds, period, t_now)
    csat = _csat_part(ds, summary)
    return SupportPage(period, segment, high_percentile, volume=volume, categories=categories, times=times_part,
                       splits=splits, spread=spread, csat=csat)


def _split_labels(columns, high: str, share: float) -> dict:
    labels = {"csat_top2": "Ticket CSAT (top-2-box)", "csat_responses": "Rated tickets",
              "unanswered": "Still unanswered", "unresolved": "Still unresolved"}
    for c in columns:
        for measure, name in (("first_response_hours", "First response"), ("resolution_hours", "Resolution")):
            if c == f"{measure}_p50":
                labels[c] = f"{name}, median (h)"
            elif c == f"{measure}_{high}":
                labels[c] = f"{name}, {share:.0%} within (h)"
    return labels


def _response_goal():
    from .scorecard import load_targets

    target = load_targets().get("first_response_hours", {})
    return target.get("goal")


def _spread_part(ds, period, t_now):
    from .pages import unavailable

    times = ticket_times(ds, as_of=month_end(period))
    month_times = times[times["month"] == period]
    answered = month_times.loc[month_times["responded"], "first_response_hours"].reset_index(drop=True)
    if answered.empty:
        return unavailable(f"No ticket opened in {period} has been answered yet, so there is no spread of response "
                           f"times to show.")
    waiting = len(month_times) - len(answered)
    caption = (f"{waiting:,} of the {len(month_times):,} tickets opened in {period} were still waiting for a first "
               f"response on {month_end(period).date()}." if waiting else None)
    return PagePart(frame=answered.to_frame("first_response_hours"), caption=caption, values={
        "tickets": len(month_times), "waiting": waiting, "median": float(t_now["first_response_hours_p50"]),
        "mean_answered": float(answered.mean())})


def _csat_part(ds, summary):
    from .pages import unavailable
    from .intervals import wilson_interval

    if "csat" not in ds.tickets.columns:
        return unavailable("The tickets table has no csat column, so ticket satisfaction cannot be measured.")
    rated = summary[summary["csat_responses"] > 0].reset_index(drop=True)
    if rated.empty:
        return unavailable("No ticket carries a satisfaction score in these months.")
    successes = np.rint(rated["csat_top2"] * rated["csat_responses"]).astype(int)
    low, high = wilson_interval(successes.to_numpy(), rated["csat_responses"].to_numpy())
    frame = pd.DataFrame({"month": rated["month"], "csat_responses": rated["csat_responses"],
                          "csat_top2": rated["csat_top2"], "ci_low": low, "ci_high": high})
    last = summary.iloc[-1]
    now = ({"rate": float(last["csat_top2"]), "n": int(last["csat_responses"]),
            "successes": int(round(last["csat_top2"] * last["csat_responses"]))} if last["csat_responses"] else None)
    return PagePart(frame=frame, values={"now": now}, formats={"csat_top2": "share", "ci_low": "share",
                                                               "ci_high": "share", "csat_responses": "int"})


def support_key_numbers(ds, *, month, trend_months: int = 12, high_percentile: float = 0.9,
                        **report_parameters) -> list:
    """The support page's key numbers, for the scorecard, the index and ``metrics.json``.

    ``first_response_hours`` and ``resolution_hours`` (Kaplan-Meier medians
    of the month's tickets, open tickets censored at the month end; None
    until half are answered), ``first_response_hours_high`` (the
    ``high_percentile``), ``tickets_opened``, ``tickets_per_account``,
    ``support_backlog`` and ``ticket_csat_top2`` (with ``successes`` and
    ``n``), all read from :func:`support_page` with the same parameters. A
    number that cannot be computed has value None and a ``note`` saying why.

    Parameters
    ----------
    ds : Dataset
        The report's data.
    month : str or Period
        The reporting month.
    trend_months, high_percentile
        The notebook's parameters (see :func:`support_page`).
    **report_parameters
        ``data``, ``segment``, ``teaching`` may be passed and are not used;
        anything else is refused.

    Returns
    -------
    list of KeyNumber

    Examples
    --------
    >>> from csm_kit import simulate
    >>> numbers = support_key_numbers(simulate(n_customers=40, start="2026-01", months=6, seed=3), month="2026-06")
    >>> [k.name for k in numbers][:4]
    ['first_response_hours', 'first_response_hours_high', 'resolution_hours', 'tickets_opened']
    """
    check_report_parameters("support_key_numbers", report_parameters)
    return support_page(ds, month=month, trend_months=trend_months, high_percentile=high_percentile).key_numbers()


def support_worked_example() -> pd.DataFrame:
    """The teaching example: five January tickets answered after 1, 2, 4 and 12 hours, one still waiting.

    Waiting share after each answer: 4/5, 3/5, 2/5, 1/5, so the median is
    4 h, 75% are answered by 12 h, and 90% is not reached yet; over the four
    answered tickets alone the median would be (2 + 4) / 2 = 3 h.

    >>> support_worked_example()[["estimate", "by_hand", "kit"]]
                               estimate  by_hand  kit
    0               Kaplan-Meier median      4.0  4.0
    1                  75% answered within     12.0 12.0
    2                  90% answered within      inf  inf
    3  median over answered only (biased)      3.0  3.0
    """
    from .. import Dataset

    tickets = pd.DataFrame({  # t6, opened in February, only shows the data runs to the end of February
        "ticket_id": ["t1", "t2", "t3", "t4", "t5", "t6"], "customer_id": ["a", "a", "b", "b", "a", "a"],
        "opened_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-10 09:00", "2026-01-20 09:00", "2026-01-31 12:00",
                                     "2026-01-15 09:00", "2026-02-28 09:00"]),
        "first_response_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-10 13:00", "2026-01-20 21:00", None,
                                             "2026-01-15 11:00", "2026-02-28 10:00"]),
        "resolved_at": pd.to_datetime(["2026-01-05 17:00", "2026-01-12 09:00", "2026-02-03 09:00", None,
                                       "2026-01-15 12:00", None])})
    example = Dataset(tickets=tickets, customers=pd.DataFrame(
        {"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2025-12-01", "2025-12-15"])}))
    kit = ticket_time_percentiles(example, start="2026-01", end="2026-01", as_of="2026-02-28",
                                  percentiles=(0.5, 0.75, 0.9)).iloc[0]
    plain = support_summary(example, start="2026-01", end="2026-01", as_of="2026-02-28").iloc[0]
    return pd.DataFrame({
        "estimate": ["Kaplan-Meier median", "75% answered within", "90% answered within",
                     "median over answered only (biased)"],
        "by_hand": [4.0, 12.0, np.inf, 3.0],
        "kit": [float(kit["first_response_hours_p50"]), float(kit["first_response_hours_p75"]),
                float(kit["first_response_hours_p90"]), float(plain["median_first_response_hours_answered"])]})
