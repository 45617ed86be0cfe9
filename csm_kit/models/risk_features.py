"""What the data knew about each paying account on one day: the churn-risk engine's inputs.

Two rules make every number here honest for a backtest:

- :func:`known_at` cuts a Dataset back to what was known on ``as_of``: rows
  dated after it are dropped, and a subscription ending after ``as_of`` is
  open-ended (a cancellation scheduled for later was not visible that day);
- :func:`snapshot_features` reads only rows dated on or before its ``day``.

Renewals (:func:`renewal_schedule`): a subscription billed every ``p``
months renews on the same day of the month every ``p`` months after its
*anchor* (the first day of its term), clipped to the month's last day (a term
that starts on 31 January renews on 28 or 29 February, 31 March, 30 April, ...,
always computed from the anchor, never chained). Weekly and daily billing
renew every 7 days and every day. An account leaving at a renewal ``r`` has
``r`` as its first unpaid day, so it churns within a horizon ``(day, day + h]``
exactly when ``r <= day + h``; a renewal on the horizon's last day counts.
The anchor is the subscription's start, or the start of the paid spell when
the subscription started on one of the spell's own anniversaries (a seat
change at renewal does not move the renewal calendar). A
``commitment_end`` after ``day``, where the data has that column, is the next
renewal.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import BILLING_PERIOD_MONTHS
from ..metrics.ledger import paid_spells, subscription_mrr
from ..periods import as_of_day

DAY = pd.Timedelta(days=1)
DAYS_PER_MONTH = 365.25 / 12
#: Billing periods that renew on a calendar month (months per term); the others renew every N days.
CALENDAR_MONTHS = {"month": 1, "quarter": 3, "year": 12}
PERIOD_DAYS = {"week": 7, "day": 1}
#: The engine's features, in the order of its coefficients (segment dummies are added after them).
FEATURES = ("log_tenure", "new_account", "log_exposure", "no_renewal", "usage_level", "usage_trend",
            "usage_users", "activity_trend", "activity_change", "nps", "nps_missing", "csat", "csat_missing",
            "tickets_recent", "tickets_rate",
            "onboarding_gap", "onboarding_gap_new", "mrr_change", "log_mrr", "reactivated")
#: ``DataFrame.attrs`` key :func:`compact_usage` sets: the usage table has one row per customer, user and day.
USER_DAYS = "one_row_per_user_day"
TIME_COLUMNS = {"usage_events": "timestamp", "surveys": "responded_at", "tickets": "opened_at",
                "onboarding": "completed_at", "transactions": "date", "survey_sends": "sent_at"}


def known_at(data, as_of):
    """The Dataset as it stood at the end of ``as_of``: nothing dated later, no later end date.

    Subscriptions starting after ``as_of`` are dropped and an ``end_date``
    after ``as_of`` becomes empty (still running as far as anyone knew);
    customers who signed up later are dropped; event tables keep rows dated
    on or before ``as_of`` (any time that day).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "customer_id": ["a", "b"], "plan": "p",
    ...     "start_date": pd.to_datetime(["2026-01-01", "2026-07-01"]),
    ...     "end_date": pd.to_datetime(["2026-08-01", None]), "billing_period": "month", "amount": 10.0})
    >>> known_at(Dataset(subscriptions=subs), "2026-06-30").subscriptions[["customer_id", "end_date"]]
      customer_id end_date
    0           a      NaT
    """
    day = as_of_day(as_of)
    nxt = day + DAY
    tables = {}
    if data.subscriptions is not None:
        subs = data.subscriptions[data.subscriptions["start_date"] <= day].copy()
        subs.loc[subs["end_date"] > day, "end_date"] = pd.NaT
        tables["subscriptions"] = subs.reset_index(drop=True)
    if data.customers is not None:
        tables["customers"] = data.customers[data.customers["signup_date"] <= day].reset_index(drop=True)
    for name, column in TIME_COLUMNS.items():
        frame = getattr(data, name)
        if frame is not None and column in frame.columns:
            tables[name] = frame[frame[column] < nxt].reset_index(drop=True)
    return data.with_tables(**tables)


def compact_usage(data):
    """The Dataset with ``usage_events`` summed per customer, user and day (timestamps at midnight).

    Every usage feature of :func:`snapshot_features` and
    :func:`~csm_kit.metrics.health_measures.health_measures` counts whole days
    (windows run from midnight to midnight), events (quantity summed) or
    distinct users, so they are the same on the compact table, which is much
    smaller: fitting reads it at every snapshot. Its rows are sorted by day,
    then customer and user.

    >>> from csm_kit import Dataset
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "a"], "user_id": ["u", "u", "v"], "event": ["x", "y", "x"],
    ...                    "timestamp": pd.to_datetime(["2026-01-02 09:00", "2026-01-02 17:00", "2026-01-02 10:00"]),
    ...                    "quantity": pd.array([2, 1, 0], dtype="Int64")})
    >>> compact_usage(Dataset(usage_events=ev)).usage_events
      customer_id user_id  timestamp  quantity
    0           a       u 2026-01-02         3
    1           a       v 2026-01-02         0
    """
    ev = data.usage_events
    if ev is None or ev.empty:
        return data
    q = ev["quantity"].fillna(1).astype(np.int64) if "quantity" in ev.columns else pd.Series(1, index=ev.index)
    frame = pd.DataFrame({"customer_id": ev["customer_id"].to_numpy(), "user_id": ev["user_id"].to_numpy(),
                          "timestamp": ev["timestamp"].dt.normalize().to_numpy(), "quantity": q.to_numpy()})
    # Sorted by day (then customer and user), so that each snapshot cuts its window out with a binary search.
    out = (frame.groupby(["timestamp", "customer_id", "user_id"], sort=True, observed=True)["quantity"].sum()
           .reset_index()[["customer_id", "user_id", "timestamp", "quantity"]])
    out.attrs[USER_DAYS] = True  # rows are user-days already: snapshot_features need not de-duplicate them
    return data.with_tables(usage_events=out)


def add_months(days, months) -> np.ndarray:
    """``days`` (datetime64) moved ``months`` calendar months, the day of the month clipped to the month's end.

    >>> add_months(np.array(["2026-01-31", "2026-01-31", "2025-11-30"], dtype="datetime64[D]"), np.array([1, 2, 3]))
    array(['2026-02-28', '2026-03-31', '2026-02-28'], dtype='datetime64[D]')
    """
    d = np.asarray(days, dtype="datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(dom, length - 1).astype("timedelta64[D]")


def renewal_schedule(anchor, billing_period, day, horizon_days: int) -> pd.DataFrame:
    """Next renewal after ``day`` and the renewals in ``(day, day + horizon_days]`` of each term.

    Parameters
    ----------
    anchor : array of dates
        First day of each term's renewal calendar (see the module docstring).
    billing_period : array of str
        ``month``, ``quarter``, ``year``, ``week`` or ``day``.
    day : date
        The day the risk is judged on (every anchor on or before it).
    horizon_days : int

    Returns
    -------
    DataFrame
        ``next_renewal`` (first renewal strictly after ``day``), ``renewals``
        (renewals in the window, the window's last day included) and
        ``exposure_months`` (months of contract that come up for renewal in the
        window: renewals x months per term; 2 or 3 for a monthly account over 90
        days, 12 for an annual one renewing in the window, 0 for one mid-term).

    Examples
    --------
    >>> r = renewal_schedule(pd.to_datetime(["2026-01-31", "2025-12-15", "2026-04-01"]),
    ...                      ["month", "year", "quarter"], "2026-06-30", 90)
    >>> r["next_renewal"].dt.strftime("%Y-%m-%d").tolist(), r["renewals"].tolist()
    (['2026-07-31', '2026-12-15', '2026-07-01'], [2, 0, 1])
    """
    day_ = np.datetime64(as_of_day(day).date(), "D")
    last = day_ + np.timedelta64(int(horizon_days), "D")
    a = pd.DatetimeIndex(anchor).to_numpy().astype("datetime64[D]")
    period = np.asarray(billing_period, dtype=object)
    n = len(a)
    nxt = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    count = np.zeros(n, dtype=np.int64)
    months = np.array([CALENDAR_MONTHS.get(p, 0) for p in period], dtype=np.int64)
    cal = months > 0
    if cal.any():
        p, an = months[cal], a[cal]
        elapsed = (day_.astype("datetime64[M]") - an.astype("datetime64[M]")).astype(np.int64)
        k = np.maximum(elapsed // p - 1, 1)  # a term index at or before the next renewal
        r = add_months(an, k * p)
        for _ in range(3):  # at most two steps to pass day
            late = r <= day_
            k = np.where(late, k + 1, k)
            r = np.where(late, add_months(an, k * p), r)
        nxt[cal] = r
        c = np.zeros(len(r), dtype=np.int64)
        for j in range(int(np.ceil(horizon_days / (28 * p.min()))) + 2):
            c += add_months(an, (k + j) * p) <= last
        count[cal] = c
    for name, step in PERIOD_DAYS.items():
        rows = period == name
        if rows.any():
            an = a[rows]
            k = (day_ - an).astype(np.int64) // step + 1
            first = an + (k * step).astype("timedelta64[D]")
            nxt[rows] = first
            count[rows] = np.maximum((last - first).astype(np.int64) // step + 1, 0)
    unknown = ~cal & ~np.isin(period, list(PERIOD_DAYS))
    if unknown.any():
        raise ValueError(f"renewal_schedule: unknown billing period(s) {sorted(set(period[unknown]))}; "
                         f"allowed: {', '.join(BILLING_PERIOD_MONTHS)}.")
    term_months = np.array([BILLING_PERIOD_MONTHS[p] for p in period], dtype=float)
    return pd.DataFrame({"next_renewal": pd.DatetimeIndex(nxt), "renewals": count,
                         "exposure_months": count * term_months})


def _paying(subs: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The subscriptions covering ``day`` (start <= day < end) with an MRR above 0, their MRR in ``_mrr``."""
    covers = subs[(subs["start_date"] <= day) & (subs["end_date"].isna() | (subs["end_date"] > day))]
    covers = covers.assign(_mrr=subscription_mrr(covers).to_numpy())
    return covers[covers["_mrr"] > 0]


def current_terms(subs: pd.DataFrame, day, spells: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer paying on ``day``: its main subscription (largest MRR) and the paid spell it is in.

    Returns a DataFrame indexed by ``customer_id`` with ``billing_period``,
    ``anchor`` (see the module docstring), ``spell_start``, ``spell`` (1 for
    the first paid spell), ``mrr`` (all subscriptions covering the day) and,
    where the data has it, ``commitment_end``. ``spells`` is
    :func:`~csm_kit.metrics.ledger.paid_spells` of ``subs`` when the caller
    already has it (it is computed otherwise).
    """
    day = as_of_day(day)
    covers = _paying(subs, day)
    total = covers.groupby("customer_id")["_mrr"].sum()
    main = (covers.sort_values(["customer_id", "_mrr", "start_date"], ascending=[True, False, True], kind="mergesort")
            .drop_duplicates("customer_id").set_index("customer_id"))
    spells = paid_spells(subs) if spells is None else spells
    live = spells[(spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))].set_index("customer_id")
    out = pd.DataFrame({"billing_period": main["billing_period"], "start_date": main["start_date"]})
    out["spell_start"] = live["start"].reindex(out.index)
    out["spell"] = live["spell"].reindex(out.index).fillna(1).astype(int)
    out["mrr"] = total.reindex(out.index)
    # Anchor on the spell start when the subscription began on one of the spell's anniversaries.
    months = out["billing_period"].map(CALENDAR_MONTHS).fillna(0).astype(int).to_numpy()
    start = out["start_date"].to_numpy().astype("datetime64[D]")
    spell_start = out["spell_start"].to_numpy().astype("datetime64[D]")
    elapsed = (start.astype("datetime64[M]") - spell_start.astype("datetime64[M]")).astype(np.int64)
    on_anniversary = (months > 0) & (elapsed % np.maximum(months, 1) == 0) & (
        add_months(spell_start, elapsed) == start)
    out["anchor"] = pd.DatetimeIndex(np.where(on_anniversary, spell_start, start))
    if "commitment_end" in main.columns:
        out["commitment_end"] = main["commitment_end"]
    return out.sort_index()


def _window_rows(frame: pd.DataFrame, time: str, day: pd.Timestamp, lo: int, hi: int) -> pd.DataFrame:
    """The rows dated in days ``(day - hi, day - lo]``, ``hi > lo >= 0``, in their order.

    A table sorted by ``time`` (:func:`compact_usage` returns one) is cut with
    two binary searches; another is filtered row by row.
    """
    t = frame[time]
    start, stop = day + DAY - hi * DAY, day + DAY - lo * DAY
    if t.is_monotonic_increasing:
        first, last = t.searchsorted([start, stop], side="left")
        return frame.iloc[first:last]
    return frame[(t >= start) & (t < stop)]


def _window_sum(frame: pd.DataFrame, time: str, day: pd.Timestamp, lo: int, hi: int, value=None) -> pd.Series:
    """Per customer: rows (or ``value`` summed) dated in days ``(day - hi, day - lo]``, ``hi > lo >= 0``."""
    sub = _window_rows(frame, time, day, lo, hi)
    if value is None:
        return sub.groupby("customer_id").size()
    return sub.groupby("customer_id")[value].sum()


#: Days of usage back from the snapshot day that any usage feature reads (``usage_trend``'s base: days 31-180).
USAGE_DAYS = 180


def snapshot_features(data, day, *, horizon_days: int = 90, segments=None, spells=None) -> pd.DataFrame:
    """The engine's features for every account paying on ``day``, from rows dated on or before it.

    ======================  ==================================================================
    feature                 value (days counted back from ``day``, ``day`` included)
    ======================  ==================================================================
    ``log_tenure``          ``log(1 + months in the current paid spell)``
    ``new_account``         1 when the spell is under 90 days old
    ``log_exposure``        ``log(0.5 + exposure_months)``: months of contract renewing in the horizon
    ``no_renewal``          1 when no renewal falls in ``(day, day + horizon_days]``
    ``usage_level``         ``log(1 + events)`` in the last 30 days (quantity summed)
    ``usage_trend``         ``log(1 + events, last 30 days) - log(1 + events per 30 days, days 31-180)``;
                            0 when the spell is under 60 days old
    ``usage_users``         ``log(1 + distinct users)`` in the last 30 days
    ``activity_trend``      ``log(1 + active user-days, last 30 days) - log(1 + active user-days per 30
                            days, days 31-180)`` (a user active on a day counts once, however many
                            events); 0 when the spell is under 60 days old
    ``activity_change``     ``log(1 + active user-days, last 30 days) - log(1 + active user-days, days
                            31-60)``: the latest month against the one before; 0 under 60 days
    ``nps``, ``csat``       latest NPS answer (0-10) and mean CSAT (1-5) within 365 days; the
                            training mean when none (then ``nps_missing``/``csat_missing`` = 1)
    ``tickets_recent``      ``log(1 + tickets opened in the last 90 days)``
    ``tickets_rate``        ``log(1 + tickets per 30 days)`` over the last 365 days of the spell
    ``onboarding_gap``      share of required milestones not done, for spells 90+ days old (else 0)
    ``onboarding_gap_new``  the same share for spells under 90 days old (else 0)
    ``mrr_change``          ``log(MRR now / MRR 90 days ago)``, 0 when not paying then
    ``log_mrr``             ``log(1 + MRR)``
    ``reactivated``         1 for a second or later paid spell
    ======================  ==================================================================

    Missing tables give 0 for their features (and 1 for the ``_missing`` flags).
    ``spells``: :func:`~csm_kit.metrics.ledger.paid_spells` of the data's
    subscriptions, when the caller computes many snapshots of one data set.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted): the features above, ``seg_<name>``
        dummies for ``segments`` (all but the first), and context columns
        ``tenure_days``, ``mrr``, ``billing_period``, ``next_renewal``,
        ``renewals``, ``exposure_months``, ``usage_30``, ``usage_base``,
        ``active_days_30``, ``onboarding_share``, ``tickets_90``.
    """
    day = as_of_day(day)
    subs = data.subscriptions
    spells = paid_spells(subs) if spells is None else spells
    terms = current_terms(subs, day, spells)
    ids = terms.index
    out = pd.DataFrame(index=ids)
    tenure = (day - terms["spell_start"]).dt.days.to_numpy() + 1
    out["tenure_days"] = tenure
    sched = renewal_schedule(terms["anchor"], terms["billing_period"].to_numpy(), day, horizon_days)
    sched.index = ids
    if "commitment_end" in terms.columns:
        ce = terms["commitment_end"]
        later = ce.notna() & (ce > day)
        sched.loc[later, "next_renewal"] = ce[later]
        months = terms["billing_period"].map(BILLING_PERIOD_MONTHS)
        inside = later & (ce <= day + pd.Timedelta(days=horizon_days))
        sched.loc[later, "renewals"] = inside[later].astype(int)
        span = ((ce - terms["start_date"]).dt.days / DAYS_PER_MONTH).round().clip(lower=1)
        sched.loc[later, "exposure_months"] = np.where(inside[later], np.maximum(span[later], months[later]), 0.0)
    out["billing_period"] = terms["billing_period"]
    out["next_renewal"] = sched["next_renewal"]
    out["renewals"] = sched["renewals"]
    out["exposure_months"] = sched["exposure_months"].astype(float)
    out["mrr"] = terms["mrr"].astype(float)

    out["log_tenure"] = np.log1p(tenure / DAYS_PER_MONTH)
    out["new_account"] = (tenure < 90).astype(float)
    out["log_exposure"] = np.log(0.5 + out["exposure_months"])
    out["no_renewal"] = (out["exposure_months"] == 0).astype(float)

    ev = data.usage_events
    if ev is not None:
        # Every usage feature reads these days only: cut them out once (a binary search on compact usage).
        ev = _window_rows(ev, "timestamp", day, 0, USAGE_DAYS)
        ev = ev[ev["customer_id"].isin(ids)]
        if "quantity" in ev.columns:
            ev = ev.assign(_q=ev["quantity"].fillna(1).astype(float))
        else:
            ev = ev.assign(_q=1.0)
        u30 = _window_sum(ev, "timestamp", day, 0, 30, "_q").reindex(ids, fill_value=0.0)
        base = _window_sum(ev, "timestamp", day, 30, 180, "_q").reindex(ids, fill_value=0.0)
        base_days = np.clip(tenure - 30, 0, 150)
        per30 = base / np.maximum(base_days, 1) * 30
        recent = _window_rows(ev, "timestamp", day, 0, 30)
        users = recent.groupby("customer_id")["user_id"].nunique().reindex(ids, fill_value=0)
        out["usage_level"] = np.log1p(u30.to_numpy())
        out["usage_trend"] = np.where(base_days >= 30, np.log1p(u30.to_numpy()) - np.log1p(per30.to_numpy()), 0.0)
        out["usage_users"] = np.log1p(users.to_numpy(dtype=float))
        out["usage_30"] = u30.to_numpy()
        out["usage_base"] = np.where(base_days >= 30, per30.to_numpy(), np.nan)
        # Active user-days (a user's rows on one day count once): how often, not how much.
        active = ev[["customer_id", "user_id", "timestamp"]]  # ev holds the USAGE_DAYS (180) days already
        if not ev.attrs.get(USER_DAYS):
            active = active.assign(timestamp=active["timestamp"].dt.normalize()).drop_duplicates()
        days30, days60, days_base = (_window_sum(active, "timestamp", day, lo, hi).reindex(ids, fill_value=0)
                                     .to_numpy(dtype=float) for lo, hi in ((0, 30), (30, 60), (30, 180)))
        days_per30 = days_base / np.maximum(base_days, 1) * 30
        out["activity_trend"] = np.where(base_days >= 30, np.log1p(days30) - np.log1p(days_per30), 0.0)
        out["activity_change"] = np.where(tenure >= 60, np.log1p(days30) - np.log1p(days60), 0.0)
        out["active_days_30"] = days30
    else:
        out["usage_level"] = out["usage_trend"] = out["usage_users"] = 0.0
        out["activity_trend"] = out["activity_change"] = 0.0
        out["usage_30"] = out["usage_base"] = out["active_days_30"] = np.nan

    sv = data.surveys
    for name, survey, how in (("nps", "nps", "last"), ("csat", "csat", "mean")):
        value = pd.Series(np.nan, index=ids)
        if sv is not None:
            rows = sv[(sv["survey"] == survey) & sv["customer_id"].isin(ids) & (sv["responded_at"] < day + DAY)
                      & (sv["responded_at"] >= day + DAY - 365 * DAY)]
            if name == "nps" and "touchpoint" in rows.columns and (rows["touchpoint"] == "relationship").any():
                rows = rows[rows["touchpoint"] == "relationship"]
            if how == "last":
                got = rows.sort_values("responded_at", kind="mergesort").groupby("customer_id")["score"].last()
            else:
                got = rows.groupby("customer_id")["score"].mean()
            value = got.reindex(ids).astype(float)
        out[name] = value.to_numpy()  # filled with the training mean by the model
        out[f"{name}_missing"] = value.isna().to_numpy().astype(float)

    tk = data.tickets
    if tk is not None:
        tk = tk[tk["customer_id"].isin(ids)]
        t90 = _window_sum(tk, "opened_at", day, 0, 90).reindex(ids, fill_value=0).astype(float)
        t365 = _window_sum(tk, "opened_at", day, 0, 365).reindex(ids, fill_value=0).astype(float)
        out["tickets_recent"] = np.log1p(t90.to_numpy())
        out["tickets_rate"] = np.log1p(t365.to_numpy() / np.clip(tenure, 30, 365) * 30)
        out["tickets_90"] = t90.to_numpy()
    else:
        out["tickets_recent"] = out["tickets_rate"] = 0.0
        out["tickets_90"] = np.nan

    share = pd.Series(np.nan, index=ids)
    if data.onboarding is not None and data.milestones is not None:
        required = data.milestones.loc[data.milestones["required"].astype(bool), "milestone"]
        if len(required):
            ob = data.onboarding
            done = ob[ob["milestone"].isin(required) & (ob["completed_at"] < day + DAY) & ob["customer_id"].isin(ids)]
            share = (done.drop_duplicates(["customer_id", "milestone"]).groupby("customer_id").size()
                     / len(required)).reindex(ids, fill_value=0.0)
    gap = (1 - share.fillna(1.0)).to_numpy()
    out["onboarding_gap"] = np.where(tenure >= 90, gap, 0.0)
    out["onboarding_gap_new"] = np.where(tenure < 90, gap, 0.0)
    out["onboarding_share"] = share.to_numpy()

    before = day - pd.Timedelta(days=90)
    then = _paying(subs, before).groupby("customer_id")["_mrr"].sum().reindex(ids)  # current_terms' "mrr" then
    out["mrr_change"] = np.where(then.notna() & (then > 0), np.log(out["mrr"] / then.where(then > 0)), 0.0)
    out["log_mrr"] = np.log1p(out["mrr"])
    out["reactivated"] = (terms["spell"] > 1).astype(float).to_numpy()

    if segments is not None and len(segments) > 1 and data.customers is not None and "segment" in data.customers:
        seg = data.customers.set_index("customer_id")["segment"].reindex(ids)
        for s in segments[1:]:
            out[f"seg_{s}"] = (seg == s).astype(float).to_numpy()
    return out
