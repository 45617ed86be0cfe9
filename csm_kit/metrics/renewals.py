"""Renewals: which subscriptions come up for renewal soon, what they are worth, and how likely they are to stay.

Renewal calendar (one definition, used by :func:`renewals` and :func:`renewal_pipeline`)
----------------------------------------------------------------------------------------
A subscription paying on ``as_of`` renews on the first of its renewal days
strictly after ``as_of``:

1. ``commitment_end`` after ``as_of`` (the end of the committed term, where
   the data has that column): that day, *basis* ``"commitment end"``;
2. else ``term_months`` (the committed term, where given): every
   ``term_months`` calendar months from the term's anchor, *basis*
   ``"term"``;
3. else the billing period: every 1, 3 or 12 months for ``month``,
   ``quarter`` and ``year``, every 7 days or every day for ``week`` and
   ``day``, *basis* ``"billing period"``.

The anchor is the subscription's ``start_date`` (or, in rule 2 and 3 after a
``commitment_end`` on or before ``as_of``, that ``commitment_end``: the
contract then runs on from the end of its commitment). Months are counted
from the anchor, never chained, with the day of month clipped to the
month's end (:func:`csm_kit.models.risk_features.add_months`, the risk
engine's calendar): a term started on 31 January renews on 28 (29) February,
31 March, 30 April.

Monthly, weekly and daily plans without a term or commitment renew all the
time: every such customer would be "renewing" in any 90-day window, which
is not the event a CSM prepares for. They are left out unless
``include_monthly=True`` (then listed at their next monthly/weekly/daily
renewal day).

A renewal window ``within_days`` is ``(as_of, as_of + within_days]``: the
day after ``as_of`` to the window's last day, both included (as the risk
engine counts a churn horizon).

What is known at ``as_of`` only: a subscription is listed when it pays on
``as_of`` (``start_date <= as_of`` and no ``end_date`` on or before it); an
``end_date`` after ``as_of`` is future information and is not used (the
survival table's and the risk engine's rule), so a report for a past month
does not know of cancellations that came later. A subscription cancelled
before ``as_of`` is not listed: there is nothing left to renew.

Values: ``mrr`` is the subscription's MRR (:func:`~csm_kit.metrics.ledger.subscription_mrr`),
``arr = 12 x mrr``. Health band and score come from
:func:`~csm_kit.metrics.health.health_scores` at ``as_of``; ``p_churn`` from
the churn-risk engine :class:`csm_kit.models.risk.ChurnRisk` (fitted on the
history before ``as_of``, horizon ``within_days``), with
``arr_at_risk = p_churn x arr``. Either is left out, with the reason in
``attrs["notes"]``, when the data cannot give it (no usage data for
health, too little history for risk).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..exceptions import MissingTableError
from ..models.risk_features import CALENDAR_MONTHS, PERIOD_DAYS, add_months
from ..periods import as_of_day, to_month
from .coverage import check_not_snapshot
from .pages import check_report_parameters
from .ledger import subscription_mrr

DAY = pd.Timedelta(days=1)
#: How a renewal date was found, in the order the rules are tried.
BASES = ("commitment end", "term", "billing period")
COLUMNS = ("customer_id", "subscription_id", "plan", "billing_period", "basis", "renewal_date",
           "days_to_renewal", "mrr", "arr", "owner")


def _check_within(within_days) -> int:
    return whole_number(within_days, "within_days", unit="days")


def paying_subscriptions(ds, *, as_of, fn: str = "paying_subscriptions") -> pd.DataFrame:
    """Subscriptions paying on ``as_of`` (MRR > 0), with an ``mrr`` column; end dates after ``as_of`` ignored.

    ``start_date <= as_of`` and no ``end_date`` on or before ``as_of``; one
    currency only (amounts in two currencies are refused).

    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2", "s3"], "customer_id": ["a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-11-01"]),
    ...     "end_date": pd.to_datetime(["2026-10-31", None, None]), "billing_period": "month", "amount": 10.0})
    >>> paying_subscriptions(Dataset(subscriptions=subs), as_of="2026-10-31")["subscription_id"].tolist()
    ['s2']
    """
    day = as_of_day(as_of)
    if ds.subscriptions is None:
        raise MissingTableError(f"{fn} needs the 'subscriptions' table, which this data set ({ds.source}) does not have.")
    subs = ds.subscriptions
    live = subs[(subs["start_date"] <= day) & (subs["end_date"].isna() | (subs["end_date"] > day))].copy()
    if "currency" in live.columns and live["currency"].dropna().nunique() > 1:
        from ..models.rfm import check_single_currency

        check_single_currency(live, "subscriptions")
    live["mrr"] = subscription_mrr(live).to_numpy()
    return live[live["mrr"] > 0].reset_index(drop=True)


def next_renewals(subscriptions: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """The renewal calendar of each subscription: its basis, anchor, step and next renewal after ``as_of``.

    Rules: module docstring (commitment end, else term, else billing period;
    months from the anchor with the month-end rule).

    Parameters
    ----------
    subscriptions : DataFrame
        Rows with ``start_date``, ``billing_period`` and optionally
        ``term_months`` and ``commitment_end`` (all paying on ``as_of``).
    as_of : date

    Returns
    -------
    DataFrame
        Aligned with ``subscriptions``: ``basis``, ``anchor``,
        ``step_months`` (0 for weekly/daily), ``step_days`` (0 for calendar
        months), ``renewal_date`` (first renewal strictly after ``as_of``).

    Examples
    --------
    >>> subs = pd.DataFrame({"start_date": pd.to_datetime(["2026-01-31", "2025-11-15", "2025-12-01"]),
    ...     "billing_period": ["month", "quarter", "month"], "term_months": pd.array([None, None, 12], "Int64")})
    >>> next_renewals(subs, as_of="2026-02-28")[["basis", "renewal_date"]]
                basis renewal_date
    0  billing period   2026-03-31
    1  billing period   2026-05-15
    2            term   2026-12-01
    """
    day = as_of_day(as_of)
    s = subscriptions.reset_index(drop=True)
    n = len(s)
    period = s["billing_period"].to_numpy(dtype=object)
    unknown = ~np.isin(period, list(CALENDAR_MONTHS) + list(PERIOD_DAYS))
    if unknown.any():
        raise ValueError(f"next_renewals: unknown billing period(s) {sorted(set(period[unknown]))}.")
    step_months = np.array([CALENDAR_MONTHS.get(p, 0) for p in period], dtype=np.int64)
    step_days = np.array([PERIOD_DAYS.get(p, 0) for p in period], dtype=np.int64)
    basis = np.full(n, "billing period", dtype=object)
    anchor = s["start_date"].to_numpy().astype("datetime64[D]")
    if "term_months" in s.columns:
        term = s["term_months"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        has_term = ~np.isnan(term)
        step_months = np.where(has_term, np.nan_to_num(term).astype(np.int64), step_months)
        step_days = np.where(has_term, 0, step_days)
        basis[has_term] = "term"
    commit_next = np.zeros(n, dtype=bool)
    day_d = np.datetime64(day.date(), "D")
    if "commitment_end" in s.columns:
        ce = s["commitment_end"].to_numpy().astype("datetime64[D]")
        known = ~np.isnat(ce)
        commit_next = known & (ce > day_d)
        past = known & ~commit_next
        anchor = np.where(past, ce, anchor)  # the contract runs on from the end of its commitment
        basis[commit_next] = "commitment end"
    nxt = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    cal = (step_months > 0) & ~commit_next
    if cal.any():
        a, p = anchor[cal], step_months[cal]
        elapsed = (day_d.astype("datetime64[M]") - a.astype("datetime64[M]")).astype(np.int64)
        k = np.maximum(elapsed // p - 1, 1)  # a term index at or before the next renewal
        r = add_months(a, k * p)
        late = r <= day_d
        while late.any():  # at most two steps past as_of
            k = np.where(late, k + 1, k)
            r = np.where(late, add_months(a, k * p), r)
            late = r <= day_d
        nxt[cal] = r
    fixed = (step_days > 0) & ~commit_next & ~cal
    if fixed.any():
        a, st = anchor[fixed], step_days[fixed]
        k = (day_d - a).astype(np.int64) // st + 1
        nxt[fixed] = a + (k * st).astype("timedelta64[D]")
    if commit_next.any():
        nxt[commit_next] = s["commitment_end"].to_numpy().astype("datetime64[D]")[commit_next]
    return pd.DataFrame({"basis": basis, "anchor": pd.DatetimeIndex(anchor.astype("datetime64[ns]")),
                         "step_months": np.where(commit_next, 0, step_months),
                         "step_days": np.where(commit_next, 0, step_days),
                         "renewal_date": pd.DatetimeIndex(nxt.astype("datetime64[ns]"))})


def _renewing(sched: pd.DataFrame, subs: pd.DataFrame, include_monthly: bool) -> np.ndarray:
    """Which subscriptions have a renewal a CSM works: terms, commitments, quarterly and yearly billing."""
    if include_monthly:
        return np.ones(len(sched), dtype=bool)
    frequent = (sched["basis"] == "billing period") & subs["billing_period"].isin(["month", "week", "day"]).to_numpy()
    return ~frequent.to_numpy()


def _owners(ds, ids: pd.Series) -> np.ndarray:
    c = ds.customers
    if c is None or "owner" not in c.columns:
        return np.full(len(ids), None, dtype=object)
    return c.set_index("customer_id")["owner"].reindex(ids).to_numpy(dtype=object)


def account_health(ds, *, as_of, health=True, risk=True, horizon_days: int = 90):
    """Health band/score and churn probability per account paying on ``as_of``, or why each is missing.

    Parameters
    ----------
    ds : Dataset
    as_of : date
    health : bool or DataFrame
        True: :func:`~csm_kit.metrics.health.health_scores` at ``as_of``;
        False: none; a DataFrame with ``customer_id, band`` (and ``score``): used as given.
    risk : bool or DataFrame
        True: :class:`csm_kit.models.risk.ChurnRisk` with ``horizon_days``,
        fitted before ``as_of`` and scored on it; False: none; a DataFrame
        with ``customer_id, p_churn``: used as given.
    horizon_days : int
        The risk horizon.

    Returns
    -------
    (DataFrame, list of str)
        Indexed by ``customer_id``: ``health_band``, ``health_score``,
        ``p_churn`` (columns only for what is available); and notes saying
        what is missing and why.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> given = pd.DataFrame({"customer_id": ["a"], "band": ["red"], "score": [12.0]})
    >>> scores, notes = account_health(Dataset(), as_of="2026-10-31", health=given, risk=False)
    >>> scores.to_dict("index"), notes
    ({'a': {'health_band': 'red', 'health_score': 12.0}}, ['Churn risk was not asked for.'])
    """
    day = as_of_day(as_of)
    out = pd.DataFrame(index=pd.Index([], name="customer_id"))
    parts, notes = [], []

    def health_scores_now():
        from .health import health_scores

        return health_scores(ds, as_of=day)

    def churn_risk_now():
        from ..models.risk import ChurnRisk
        from ..report.engines import fitted

        return fitted(ChurnRisk(horizon_days=horizon_days), ds, as_of=day).predict(ds, as_of=day)  # once per report

    h = _given_or_computed(health, health_scores_now, notes, what="Health bands", are="are", were="were")
    if h is not None:
        cols = {"band": "health_band", "score": "health_score"}
        parts.append(h[[c for c in cols if c in h.columns]].rename(columns=cols))
    r = _given_or_computed(risk, churn_risk_now, notes, what="Churn risk", are="is", were="was")
    if r is not None:
        parts.append(r[["p_churn"]])
    if parts:
        out = pd.concat(parts, axis=1)
        out.index.name = "customer_id"
    return out, notes


def _given_or_computed(given, compute, notes: list, *, what: str, are: str, were: str) -> pd.DataFrame | None:
    """One column source of :func:`account_health`: computed (``given is True``), given (a DataFrame) or none.

    A frame comes back indexed by ``customer_id``; when there is none, the
    sentence saying why is appended to ``notes`` (``False``: not asked for;
    ``compute`` failing on too little data: not available, with its reason).
    """
    if given is True:
        try:
            frame = compute()
        except (ValueError, LookupError, RuntimeError) as exc:  # too little data to fit or score
            notes.append(f"{what} {are} not available: {exc}")
            return None
    else:
        frame = given if isinstance(given, pd.DataFrame) else None
        if given is False:
            notes.append(f"{what} {were} not asked for.")
    if frame is None:
        return None
    return frame.set_index("customer_id") if "customer_id" in frame.columns else frame


def renewals(ds, *, as_of, within_days: int = 90, include_monthly: bool = False, health=True,
             risk=True) -> pd.DataFrame:
    """Each subscription whose next renewal falls in ``(as_of, as_of + within_days]``, with its value and risk.

    Renewal dates follow the module's calendar: ``commitment_end`` after
    ``as_of``, else every ``term_months`` from the start, else the billing
    period (quarterly and yearly; monthly, weekly and daily plans only with
    ``include_monthly=True``), months counted from the anchor with the
    month-end rule (31 Jan -> 28/29 Feb -> 31 Mar). Only what is known at
    ``as_of`` is used (an end date after it is ignored).
    ``arr = 12 x mrr``; ``arr_at_risk = p_churn x arr``.

    Parameters
    ----------
    ds : Dataset
        With ``subscriptions`` (and ``customers`` for owners; usage etc. for
        health and risk). A snapshot data set is refused (``SnapshotError``):
        its start dates are counted back from one day, so anniversaries
        carry no renewal dates.
    as_of : date
        The last day known (a month means its last day).
    within_days : int, default 90
        Window length; its last day is included.
    include_monthly : bool, default False
        Also list monthly/weekly/daily plans without a term (module docstring).
    health, risk : bool or DataFrame
        See :func:`account_health` (False: leave the columns out; a
        DataFrame: precomputed ``customer_id, band[, score]`` /
        ``customer_id, p_churn``).

    Returns
    -------
    DataFrame
        One row per subscription, by ``renewal_date`` then
        ``subscription_id``: ``customer_id, subscription_id, plan,
        billing_period, basis, renewal_date, days_to_renewal, mrr, arr,
        owner`` (None when unknown), then ``health_band, health_score``,
        ``p_churn, arr_at_risk`` when available. ``attrs``: ``as_of``,
        ``within_days``, ``notes`` (what is missing and why).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2", "s3"], "customer_id": ["a", "b", "c"],
    ...     "plan": "pro", "start_date": pd.to_datetime(["2025-01-31", "2026-08-15", "2026-09-01"]),
    ...     "end_date": pd.NaT, "billing_period": ["year", "quarter", "month"], "amount": [1200.0, 300.0, 50.0]})
    >>> r = renewals(Dataset(subscriptions=subs), as_of="2026-10-31", within_days=92, health=False, risk=False)
    >>> r[["subscription_id", "renewal_date", "days_to_renewal", "arr"]]
      subscription_id renewal_date  days_to_renewal     arr
    0              s2   2026-11-15               15  1200.0
    1              s1   2027-01-31               92  1200.0
    """
    day = as_of_day(as_of)
    within = _check_within(within_days)
    check_not_snapshot(ds, "renewals")
    live = paying_subscriptions(ds, as_of=day, fn="renewals")
    sched = next_renewals(live, as_of=day)
    keep = _renewing(sched, live, include_monthly) & (sched["renewal_date"] <= day + within * DAY).to_numpy()
    live, sched = live[keep].reset_index(drop=True), sched[keep].reset_index(drop=True)
    out = pd.DataFrame({
        "customer_id": live["customer_id"].to_numpy(dtype=object),
        "subscription_id": (live["subscription_id"] if "subscription_id" in live.columns
                            else pd.Series([None] * len(live))).to_numpy(dtype=object),
        "plan": (live["plan"] if "plan" in live.columns else pd.Series([None] * len(live))).to_numpy(dtype=object),
        "billing_period": live["billing_period"].to_numpy(dtype=object),
        "basis": sched["basis"].to_numpy(dtype=object),
        "renewal_date": sched["renewal_date"].to_numpy(),
        "days_to_renewal": (sched["renewal_date"] - day).dt.days.to_numpy(dtype=np.int64),
        "mrr": live["mrr"].to_numpy(dtype=float),
        "arr": 12.0 * live["mrr"].to_numpy(dtype=float),
        "owner": _owners(ds, live["customer_id"]),
    })
    scores, notes = account_health(ds, as_of=day, health=health, risk=risk, horizon_days=within)
    for col in scores.columns:
        out[col] = scores[col].reindex(out["customer_id"]).to_numpy()
    if "p_churn" in out.columns:
        out["arr_at_risk"] = out["p_churn"].astype(float) * out["arr"]
    out = out.sort_values(["renewal_date", "subscription_id"], kind="mergesort", ignore_index=True)
    if not include_monthly:
        notes = notes + ["Monthly, weekly and daily plans without a term renew all the time and are not listed."]
    out.attrs.update({"as_of": day, "within_days": within, "notes": notes})
    return out


def renewal_pipeline(ds, *, as_of, months: int = 12, include_monthly: bool = False) -> pd.DataFrame:
    """Renewal ARR due per calendar month, for the ``months`` months after ``as_of``.

    Every renewal day of every subscription paying on ``as_of`` in
    ``(as_of, end of the last month]`` counts (a quarterly subscription
    renews four times in a year, a term once), each with the subscription's
    ARR (``12 x mrr``) on ``as_of``; calendar rules as :func:`renewals`. The
    first month is the month of the day after ``as_of``.

    Parameters
    ----------
    ds : Dataset
    as_of : date
    months : int, default 12
    include_monthly : bool, default False

    Returns
    -------
    DataFrame
        One row per month (every month, zeros included): ``month``
        (Period), ``renewals``, ``arr``.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "customer_id": ["a", "b"], "plan": "pro",
    ...     "start_date": pd.to_datetime(["2026-01-31", "2025-12-10"]), "end_date": pd.NaT,
    ...     "billing_period": ["quarter", "year"], "amount": [300.0, 1200.0]})
    >>> p = renewal_pipeline(Dataset(subscriptions=subs), as_of="2026-10-31", months=6)
    >>> p.assign(month=p["month"].astype(str)).to_dict("list")
    {'month': ['2026-11', '2026-12', '2027-01', '2027-02', '2027-03', '2027-04'], 'renewals': [0, 1, 1, 0, 0, 1], 'arr': [0.0, 1200.0, 1200.0, 0.0, 0.0, 1200.0]}
    """
    months = whole_number(months, "months")
    day = as_of_day(as_of)
    first = to_month(day + DAY)
    index = pd.period_range(first, first + (int(months) - 1), freq="M", name="month")
    last = index[-1].end_time.normalize()
    check_not_snapshot(ds, "renewal_pipeline")
    live = paying_subscriptions(ds, as_of=day, fn="renewal_pipeline")
    sched = next_renewals(live, as_of=day)
    keep = _renewing(sched, live, include_monthly)
    live, sched = live[keep].reset_index(drop=True), sched[keep].reset_index(drop=True)
    arr = 12.0 * live["mrr"].to_numpy(dtype=float)
    dates, values = [], []
    r = sched["renewal_date"].to_numpy().astype("datetime64[D]")
    anchor = sched["anchor"].to_numpy().astype("datetime64[D]")
    sm, sd = sched["step_months"].to_numpy(), sched["step_days"].to_numpy()
    first_k = np.zeros(len(r), dtype=np.int64)
    cal = sm > 0
    # index of the next renewal on each calendar: months between anchor and it, over the step
    first_k[cal] = ((r[cal].astype("datetime64[M]") - anchor[cal].astype("datetime64[M]")).astype(np.int64)
                    // sm[cal])
    fixed = sd > 0
    first_k[fixed] = (r[fixed] - anchor[fixed]).astype(np.int64) // sd[fixed]
    last_d = np.datetime64(last.date(), "D")
    current = r.copy()
    j = 0
    while len(current) and (current <= last_d).any():
        ok = ~np.isnat(current) & (current <= last_d)
        dates.append(current[ok])
        values.append(arr[ok])
        j += 1
        nxt = np.full(len(r), np.datetime64("NaT"), dtype="datetime64[D]")
        nxt[cal] = add_months(anchor[cal], (first_k[cal] + j) * sm[cal])
        nxt[fixed] = anchor[fixed] + ((first_k[fixed] + j) * sd[fixed]).astype("timedelta64[D]")
        current = nxt  # commitment ends (no step) renew once in the window
    if dates:
        occ = pd.DataFrame({"month": pd.DatetimeIndex(np.concatenate(dates)).to_period("M"),
                            "arr": np.concatenate(values)})
        g = occ.groupby("month")
        counts, sums = g.size(), g["arr"].sum()
    else:
        counts = sums = pd.Series(dtype=float)
    return pd.DataFrame({"month": index, "renewals": counts.reindex(index, fill_value=0).to_numpy(dtype=np.int64),
                         "arr": sums.reindex(index, fill_value=0.0).to_numpy(dtype=float)})


# -- the report page ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RenewalsPage:
    """Everything the renewals and book-of-business page shows (:func:`renewals_page`).

    Attributes
    ----------
    month : Period
        The reporting month; ``as_of`` is its last day (a snapshot's own day for snapshot data).
    segment : str
        The segment reported on (``"all"``: everyone).
    as_of : Timestamp
    within_days : int
    upcoming : PagePart
        :func:`renewals` in ``(as_of, as_of + within_days]``, at-risk first:
        largest ``arr_at_risk`` first when churn risk is known, else red
        health first, then largest ARR. ``values``: ``renewals``, ``arr``,
        ``arr_at_risk`` (None without risk), ``red`` (None without health).
    pipeline : PagePart
        :func:`renewal_pipeline` for ``pipeline_months`` months. ``values``: ``arr``, ``renewals``.
    book : PagePart
        :func:`~csm_kit.metrics.portfolio.portfolio` by owner. ``values``:
        ``owners`` (named owners), ``no_owner_accounts``.
    notes : tuple of str
        What could not be computed and why (health, risk, monthly plans, owners).
    currency : str
    """

    month: pd.Period
    segment: str
    as_of: pd.Timestamp
    within_days: int
    upcoming: object
    pipeline: object
    book: object
    notes: tuple = ()
    currency: str = "USD"

    def headline(self):
        """The page's first sentence (the segment named in a segment report), escaped."""
        from ..display import format_number, text

        where = "" if self.segment in ("", "all") else "Segment **{segment}**: "
        if not self.upcoming.available:
            return text(where + "{reason}", segment=self.segment, reason=self.upcoming.reason)
        v = self.upcoming.values
        sentence = ("{n:int} subscriptions worth {arr} a year come up for renewal in the {days:int} days "
                    "after {day}")
        risk = v.get("arr_at_risk")
        sentence += "; the churn-risk engine expects {risk} of that ARR to be lost." if risk is not None else "."
        money = {k: format_number(x, "money", currency=self.currency) for k, x in (("arr", v["arr"]), ("risk", risk))}
        return text(where + sentence, segment=self.segment, n=v["renewals"], days=self.within_days,
                    day=str(self.as_of.date()), **money)

    def note(self):
        """The notes as one escaped paragraph (nothing when there are none)."""
        from ..display import text

        return text(" ".join("{n%d}" % i for i in range(len(self.notes))),
                    **{f"n{i}": n for i, n in enumerate(self.notes)})

    def key_numbers(self) -> list:
        """The page's recorded numbers (see :func:`renewals_key_numbers`)."""
        from ..key_numbers import KeyNumber

        u, p, b = self.upcoming, self.pipeline, self.book
        w = self.within_days
        why = {} if u.available else {"note": u.reason}
        return [
            KeyNumber("renewals_due", u.values.get("renewals"), "subscriptions",
                      f"Subscriptions renewing in the next {w} days", dict(why)),
            KeyNumber("renewal_arr_due", u.values.get("arr"), self.currency, f"ARR renewing in the next {w} days",
                      dict(why)),
            KeyNumber("renewal_arr_at_risk", u.values.get("arr_at_risk"), self.currency,
                      f"Renewing ARR expected to be lost (churn risk x ARR), next {w} days",
                      {"convention": "sum of p_churn x ARR over renewals in the window", "scorecard": False, **why}),
            KeyNumber("renewal_pipeline_arr", p.values.get("arr"), self.currency,
                      f"ARR renewing in the next {p.values.get('months', 12)} months",
                      {"scorecard": False, **({} if p.available else {"note": p.reason})}),
            KeyNumber("accounts_without_owner", b.values.get("no_owner_accounts"), "customers",
                      "Paying accounts without an owner", {"scorecard": False,
                                                          **({} if b.available else {"note": b.reason})}),
        ]


def _currency(ds) -> str:
    subs = ds.subscriptions
    if subs is not None and "currency" in subs.columns:
        found = subs["currency"].dropna().unique()
        if len(found) == 1:
            return str(found[0])
    return "USD"


def renewals_page(ds, *, month, within_days: int = 90, pipeline_months: int = 12, include_monthly: bool = False,
                  segment: str = "all") -> RenewalsPage:
    """The renewals and book-of-business page for ``month``: renewals due (at-risk first), pipeline, books.

    ``as_of`` is the month's last day (for a snapshot data set, the
    snapshot's day). Health and churn risk are computed once
    (:func:`account_health`, risk horizon ``within_days``) and shared by the
    renewal list and the books. A part that cannot be computed says why in
    one sentence: no subscriptions table, a snapshot (no renewal dates), a
    month after the data. Computed once per Dataset object and parameters.

    Parameters
    ----------
    ds : Dataset
        The report's data (already restricted to the segment).
    month : str or Period
    within_days : int
        The renewal window and risk horizon.
    pipeline_months : int
        Months in the pipeline.
    include_monthly : bool
        Also list monthly plans without a term (see the module docstring).
    segment : str
        The segment's name, for the headline only.

    Returns
    -------
    RenewalsPage

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> page = renewals_page(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), month="2026-10")
    >>> page.upcoming.available, page.upcoming.reason
    (False, 'This data set has no subscriptions table, so renewals cannot be measured.')
    >>> [k.value for k in page.key_numbers()]
    [None, None, None, None, None]
    """
    within = _check_within(within_days)
    pipeline_months = whole_number(pipeline_months, "pipeline_months")
    return _renewals_page(ds, str(to_month(month)), within, int(pipeline_months), bool(include_monthly), str(segment))


_UPCOMING_SHOWN = ["renewal_date", "customer_id", "owner", "plan", "billing_period", "basis", "arr", "health_band",
                   "p_churn", "arr_at_risk"]
_FORMATS = {"arr": "money", "arr_at_risk": "money", "p_churn": "share", "mrr": "money", "renewal_arr": "money",
            "mrr_at_risk": "money", "accounts": "int", "renewals": "int", "renewals_due": "int", "red": "int",
            "yellow": "int", "green": "int", "no_band": "int"}


@functools.lru_cache(maxsize=2)
def _renewals_page(ds, month: str, within: int, pipeline_months: int, include_monthly: bool,
                   segment: str) -> RenewalsPage:
    from .pages import PagePart, after_data_reason, missing_reason, snapshot_reason, unavailable
    from .portfolio import NO_OWNER, portfolio

    period = to_month(month)
    currency = _currency(ds)
    labels = {"arr": f"ARR ({currency})", "arr_at_risk": f"ARR at risk ({currency})", "p_churn": "Churn risk",
              "mrr": f"MRR ({currency})", "mrr_at_risk": f"MRR at risk ({currency})",
              "renewal_arr": f"Renewal ARR ({currency})", "no_band": "No health score"}
    common = dict(month=period, segment=segment, within_days=within, currency=currency)
    if not ds.has("subscriptions") or not ds.has("customers"):
        missing = [t for t in ("customers", "subscriptions") if not ds.has(t)]
        why = unavailable(missing_reason(missing, "renewals"))
        return RenewalsPage(as_of=month_end_day(period), upcoming=why, pipeline=why, book=why, **common)
    snapshot = bool(getattr(ds, "snapshot", False))
    if snapshot:  # known up to its own day, whatever its latest (counted back) start date
        from ..io.snapshot_import import snapshot_as_of

        day = snapshot_as_of(ds)
        late = (f"This snapshot was taken on {day.date()}, before {period}: nothing to measure for {period}."
                if period.start_time > day else None)
    else:
        day = month_end_day(period)
        late = after_data_reason(ds, period)
    if late:
        why = unavailable(late)
        return RenewalsPage(as_of=month_end_day(period), upcoming=why, pipeline=why, book=why, **common)
    scores, notes = account_health(ds, as_of=day, health=True, risk=True, horizon_days=within)
    health = (scores.rename(columns={"health_band": "band", "health_score": "score"}).reset_index()
              if "health_band" in scores.columns else False)
    risk = scores[["p_churn"]].reset_index() if "p_churn" in scores.columns else False

    if snapshot:
        why = unavailable(snapshot_reason("the renewal calendar (renewal dates and the pipeline)"))
        upcoming = pipeline = why
    else:
        due = renewals(ds, as_of=day, within_days=within, include_monthly=include_monthly, health=health, risk=risk)
        notes += [n for n in due.attrs["notes"] if n.startswith("Monthly")]
        if "arr_at_risk" in due.columns:
            order = due.sort_values(["arr_at_risk", "arr"], ascending=False, kind="mergesort")
        elif "health_band" in due.columns:
            order = due.assign(_red=due["health_band"].eq("red")).sort_values(["_red", "arr"], ascending=False,
                                                                                  kind="mergesort")
        else:
            order = due.sort_values("arr", ascending=False, kind="mergesort")
        shown = order[[c for c in _UPCOMING_SHOWN if c in order.columns]].reset_index(drop=True)
        values = {"renewals": int(len(due)), "arr": float(due["arr"].sum()),
                  "arr_at_risk": float(due["arr_at_risk"].sum()) if "arr_at_risk" in due.columns else None,
                  "red": int(due["health_band"].eq("red").sum()) if "health_band" in due.columns else None}
        caption = (None if len(due) else f"No subscription comes up for renewal in the {within} days after "
                   f"{day.date()}.")
        upcoming = PagePart(frame=order.reset_index(drop=True), shown=shown, values=values, formats=_FORMATS,
                            labels=labels, max_rows=25, caption=caption)
        pipe = renewal_pipeline(ds, as_of=day, months=pipeline_months, include_monthly=include_monthly)
        pipeline = PagePart(frame=pipe, formats=_FORMATS, labels=labels,
                            values={"arr": float(pipe["arr"].sum()), "renewals": int(pipe["renewals"].sum()),
                                    "months": pipeline_months})
    book_frame = portfolio(ds, as_of=day, within_days=within, health=health, risk=risk)
    notes += [n for n in book_frame.attrs["notes"] if "owner" in n or "snapshot" in n]
    no_owner = book_frame.loc[book_frame["owner"] == NO_OWNER, "accounts"]
    book = PagePart(frame=book_frame, formats=_FORMATS, labels=labels, max_rows=30,
                    values={"owners": int((book_frame["owner"] != NO_OWNER).sum()),
                            "no_owner_accounts": int(no_owner.sum()) if len(no_owner) else 0})
    return RenewalsPage(as_of=day, upcoming=upcoming, pipeline=pipeline, book=book,
                        notes=tuple(dict.fromkeys(notes)), **common)


def month_end_day(period) -> pd.Timestamp:
    """The last day of a reporting month (the page's ``as_of``)."""
    return as_of_day(to_month(period))


def renewals_key_numbers(ds, *, month, within_days: int = 90, pipeline_months: int = 12,
                         include_monthly: bool = False, **report_parameters) -> list:
    """The renewals page's key numbers, for the scorecard, the index and ``metrics.json``.

    ``renewals_due`` and ``renewal_arr_due`` (subscriptions and ARR renewing in
    the ``within_days`` after the month's end), ``renewal_arr_at_risk``
    (``sum of p_churn x ARR`` over them), ``renewal_pipeline_arr`` (ARR renewing
    in the next ``pipeline_months`` months, every renewal counted) and
    ``accounts_without_owner``, read from :func:`renewals_page` with the same
    parameters. A number that cannot be computed has value None and a
    ``note`` saying why.

    Parameters
    ----------
    ds : Dataset
    month : str or Period
    within_days, pipeline_months, include_monthly
        The notebook's parameters (see :func:`renewals_page`).
    **report_parameters
        ``data``, ``segment``, ``teaching`` may be passed and are not used;
        anything else is refused.

    Returns
    -------
    list of KeyNumber

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> [k.name for k in renewals_key_numbers(Dataset(), month="2026-10")]
    ['renewals_due', 'renewal_arr_due', 'renewal_arr_at_risk', 'renewal_pipeline_arr', 'accounts_without_owner']
    """
    check_report_parameters("renewals_key_numbers", report_parameters)
    return renewals_page(ds, month=month, within_days=within_days, pipeline_months=pipeline_months,
                         include_monthly=include_monthly,
                         segment=report_parameters.get("segment", "all")).key_numbers()


def renewal_worked_example() -> pd.DataFrame:
    """The renewal calendar on four hand-made subscriptions: each next renewal worked out by hand beside the kit's.

    For the page's teaching cell: a monthly plan started on 31 January
    (renews on the last day of shorter months, then on the 31st again), a
    quarterly plan, a 24-month term billed monthly, and a commitment ending in
    December, all seen on 28 February 2026.

    >>> example = renewal_worked_example()
    >>> example["kit"].tolist(), bool((example["kit"] == example["by_hand"]).all())
    (['2026-03-31', '2026-05-15', '2027-01-10', '2026-12-01'], True)
    """
    subs = pd.DataFrame({
        "subscription": ["monthly, 31st", "quarterly", "24-month term", "commitment end"],
        "start_date": pd.to_datetime(["2026-01-31", "2025-11-15", "2025-01-10", "2025-12-01"]),
        "billing_period": ["month", "quarter", "month", "month"],
        "term_months": pd.array([None, None, 24, None], dtype="Int64"),
        "commitment_end": pd.to_datetime([None, None, None, "2026-12-01"]),
        "by_hand": ["2026-03-31", "2026-05-15", "2027-01-10", "2026-12-01"],
        "why": ["31 Jan + 2 months (28 Feb is today)", "15 Nov + 6 months (15 Feb passed)",
                "10 Jan 2025 + 24 months", "the committed term ends"],
    })
    cal = next_renewals(subs, as_of="2026-02-28")
    return subs.assign(basis=cal["basis"].to_numpy(),
                       kit=cal["renewal_date"].dt.strftime("%Y-%m-%d").to_numpy())[
        ["subscription", "start_date", "billing_period", "term_months", "commitment_end", "basis", "why", "by_hand",
         "kit"]]
