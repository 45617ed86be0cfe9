"""The raw measures behind a health score, built from the tables as of one day.

Every measure looks only at rows dated on or before ``as_of`` (its
*window* is the N calendar days ending on ``as_of``, both ends included),
so a score computed for a past day is the score a CSM would have seen that
day: the basis of an honest backtest. Grading the values into points and
weighting them is :mod:`csm_kit.metrics.health`'s job.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..arguments import required_day, whole_number
from .ledger import MICRO, paid_spells, subscription_mrr

DAY = pd.Timedelta(days=1)


#: What ``as_of`` is for the health functions, in the error when it is missing.
HEALTH_DAY = "the day the health score is computed for"


def _in_window(times: pd.Series, day: pd.Timestamp, days: int) -> pd.Series:
    """True for instants in the ``days`` calendar days ending on ``day`` (both days included)."""
    return (times >= day - (days - 1) * DAY) & (times < day + DAY)


def paying_accounts(data, as_of) -> pd.Index:
    """Customers paying on ``as_of``: a paid spell covers that day.

    A spell is ``[start, end)`` (:func:`csm_kit.metrics.ledger.paid_spells`),
    so a customer whose last paid day is ``as_of - 1`` is not paying on ``as_of``.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions``, or that table.
    as_of : date

    Returns
    -------
    Index
        Customer ids, named ``customer_id``, sorted.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "billing_period": "month", "amount": [10.0, 10.0],
    ...                      "start_date": pd.to_datetime(["2026-01-01", "2026-01-01"]),
    ...                      "end_date": pd.to_datetime([None, "2026-03-01"])})
    >>> list(paying_accounts(subs, "2026-02-28")), list(paying_accounts(subs, "2026-03-01"))
    (['a', 'b'], ['a'])
    """
    day = required_day(as_of, meaning=HEALTH_DAY)
    spells = paid_spells(data)
    live = (spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))
    return pd.Index(sorted(spells.loc[live, "customer_id"].unique()), name="customer_id", dtype=object)


def _mrr_on(subs: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Each customer's MRR on one day (subscriptions with start <= day < end), in exact micro-units."""
    covers = (subs["start_date"] <= day) & (subs["end_date"].isna() | (subs["end_date"] > day))
    micro = np.rint(subscription_mrr(subs[covers]).to_numpy() * MICRO).astype(np.int64)
    return pd.Series(micro, index=subs.loc[covers, "customer_id"].to_numpy()).groupby(level=0).sum() / MICRO


def health_measures(data, *, as_of, accounts=None, usage_days: int = 30, survey_days: int = 365,
                    ticket_days: int = 90, billing_months: int = 3) -> pd.DataFrame:
    """Raw values of the default health measures per account, from data up to ``as_of`` only.

    ==============  ==========================================================  =====================
    measure         value                                                       missing (NaN) when
    ==============  ==========================================================  =====================
    usage           distinct days with a usage event (quantity > 0) in the      no usage_events table
                    ``usage_days`` days ending on ``as_of``; 0 if none
    satisfaction    latest *relationship* NPS answer (0-10) in the              no surveys table, or
                    ``survey_days`` days ending on ``as_of``                    no answer in the window
    support         tickets opened in the ``ticket_days`` days ending on        no tickets table
                    ``as_of``; 0 if none
    onboarding      required milestones completed by ``as_of`` / required      no onboarding or
                    milestones (0 for an account with none completed)           milestones table
    billing         MRR on ``as_of`` / MRR on the same day ``billing_months``   not paying then (too
                    months earlier; < 1 is contraction                          new to judge)
    ==============  ==========================================================  =====================

    Transactional surveys (post-ticket, post-onboarding) are left out of
    satisfaction: they rate one interaction, not the relationship, and the
    kit never pools the two. A measure that is missing is excluded from the
    score by :func:`~csm_kit.metrics.health.health_scores`, which renormalises
    the other weights and reports the coverage.

    Parameters
    ----------
    data : Dataset
        Needs ``subscriptions``; every other table is optional.
    as_of : date
        The day scored. Rows dated after it are ignored (no leakage from the future).
    accounts : sequence of str, optional
        Accounts to measure; default: those paying on ``as_of``.
    usage_days, survey_days, ticket_days : int
        Window lengths in calendar days (defaults 30, 365, 90).
    billing_months : int
        How far back the billing measure compares MRR (default 3).

    Returns
    -------
    DataFrame
        Index ``customer_id`` (sorted); columns ``usage, satisfaction,
        support, onboarding, billing`` (float), NaN where missing.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"subscription_id": ["s1"], "customer_id": ["a"], "plan": "pro",
    ...     "start_date": pd.to_datetime(["2026-01-01"]), "end_date": pd.NaT,
    ...     "billing_period": "month", "amount": [100.0]})
    >>> events = pd.DataFrame({"customer_id": "a", "user_id": "u1", "event": "login",
    ...     "timestamp": pd.to_datetime(["2026-06-02 09:00", "2026-06-02 15:00",
    ...                                  "2026-06-30 23:59", "2026-07-01 00:00"])})
    >>> health_measures(Dataset(subscriptions=subs, usage_events=events), as_of="2026-06-30")
                 usage  satisfaction  support  onboarding  billing
    customer_id
    a              2.0           NaN      NaN         NaN      1.0
    """
    data.require("subscriptions", by="health_measures")
    usage_days = whole_number(usage_days, "usage_days", unit="days")
    survey_days = whole_number(survey_days, "survey_days", unit="days")
    ticket_days = whole_number(ticket_days, "ticket_days", unit="days")
    billing_months = whole_number(billing_months, "billing_months")
    day = required_day(as_of, meaning=HEALTH_DAY)
    ids = (pd.Index(pd.unique(pd.Index(accounts)), name="customer_id").sort_values()
           if accounts is not None else paying_accounts(data, day))
    out = pd.DataFrame(index=ids, columns=["usage", "satisfaction", "support", "onboarding", "billing"],
                       dtype=float)

    if data.usage_events is not None:
        ev = data.usage_events
        keep = _in_window(ev["timestamp"], day, usage_days)
        if "quantity" in ev.columns:
            keep &= ev["quantity"].fillna(1).gt(0).to_numpy(dtype=bool)
        days = pd.DataFrame({"customer_id": ev.loc[keep, "customer_id"],
                             "day": ev.loc[keep, "timestamp"].dt.normalize()})
        active_days = days.drop_duplicates().groupby("customer_id").size()
        out["usage"] = active_days.reindex(ids, fill_value=0).astype(float)

    if data.surveys is not None:
        sv = data.surveys
        rel = sv[(sv["survey"] == "nps") & (sv["touchpoint"] == "relationship")
                 & _in_window(sv["responded_at"], day, survey_days)]
        latest = rel.sort_values("responded_at", kind="mergesort").drop_duplicates("customer_id", keep="last")
        out["satisfaction"] = latest.set_index("customer_id")["score"].reindex(ids).astype(float)

    if data.tickets is not None:
        tk = data.tickets
        opened = tk[_in_window(tk["opened_at"], day, ticket_days)].groupby("customer_id").size()
        out["support"] = opened.reindex(ids, fill_value=0).astype(float)

    if data.onboarding is not None and data.milestones is not None:
        required = data.milestones.loc[data.milestones["required"].astype(bool), "milestone"]
        if len(required):  # a plan with no required milestone says nothing about onboarding
            ob = data.onboarding
            done = ob[ob["milestone"].isin(required) & (ob["completed_at"] < day + DAY)]
            share = done.drop_duplicates(["customer_id", "milestone"]).groupby("customer_id").size() / len(required)
            out["onboarding"] = share.reindex(ids, fill_value=0).astype(float)

    subs = data.subscriptions
    now = _mrr_on(subs, day).reindex(ids, fill_value=0.0)
    then = _mrr_on(subs, day - pd.DateOffset(months=billing_months)).reindex(ids, fill_value=0.0)
    out["billing"] = now / then.where(then > 0)
    return out


#: The measures of a fitted health score (:func:`csm_kit.metrics.health.fit_health`), in reading order.
FITTED_MEASURES = ("usage", "usage_trend", "satisfaction", "support", "onboarding", "billing", "renewal")
NEW_ACCOUNT_DAYS = 90


def fitted_measures(data, *, as_of, horizon_days: int = 90, spells=None, known: bool = False) -> pd.DataFrame:
    """Raw values of the fitted health score's measures, per account paying on ``as_of``, from data up to it.

    The five measures of :func:`health_measures` (``usage, satisfaction,
    support, onboarding, billing``, same definitions) and two more:

    - ``usage_trend``: events (quantity summed) in the last 30 days / events
      per 30 days in the 150 days before them; missing for accounts under 60
      days old (no earlier usage to compare with);
    - ``renewal``: months of contract that come up for renewal in
      ``(as_of, as_of + horizon_days]``
      (:func:`csm_kit.models.risk_features.renewal_schedule`): 0 for an annual
      account mid-term (it cannot leave in the horizon), 2 or 3 for a monthly
      one over 90 days, 12 for an annual one renewing inside the window.

    New accounts are not judged on what they had no time to do: ``usage`` is
    missing for an account paying for under 30 days and ``onboarding`` for one
    under 90 days (the window for the required milestones), so the score rests
    on the other measures and its coverage says so.

    ``spells`` (:func:`~csm_kit.metrics.ledger.paid_spells` of the data) and
    ``known=True`` (the data is already cut back to ``as_of`` or earlier by
    :func:`csm_kit.models.risk_features.known_at`) save work when one data set
    is measured at many days.

    Returns
    -------
    DataFrame
        Index ``customer_id`` (sorted); the columns of :data:`FITTED_MEASURES`, plus ``tenure_days``.

    Examples
    --------
    >>> from csm_kit import simulate
    >>> m = fitted_measures(simulate(n_customers=100, months=12, seed=3), as_of="2024-08-31")
    >>> list(m.columns)
    ['usage', 'usage_trend', 'satisfaction', 'support', 'onboarding', 'billing', 'renewal', 'tenure_days']
    """
    from ..models.risk_features import known_at, snapshot_features

    day = required_day(as_of, meaning=HEALTH_DAY)
    cut = data if known else known_at(data, day)
    f = snapshot_features(cut, day, horizon_days=horizon_days, spells=spells)
    base = health_measures(cut, as_of=day, accounts=f.index)
    out = base.reindex(f.index)
    tenure = f["tenure_days"].to_numpy()
    out.loc[tenure < 30, "usage"] = np.nan
    out.loc[tenure < NEW_ACCOUNT_DAYS, "onboarding"] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = f["usage_30"] / f["usage_base"]
    out.insert(1, "usage_trend", trend.where(f["usage_base"] > 0).where(tenure >= 60).to_numpy())
    if data.usage_events is None:
        out["usage_trend"] = np.nan
    out["renewal"] = f["exposure_months"].to_numpy()
    out["tenure_days"] = tenure
    return out[list(FITTED_MEASURES) + ["tenure_days"]]
