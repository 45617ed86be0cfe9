"""The survival table: one row per customer (or paid spell), its tenure, churned or censored at ``as_of``.

Every survival model of the kit (Kaplan-Meier curves, Cox churn drivers, the
at-risk list, survival-curve CLV) reads this one table, so that tenure and
churn are defined once, the same way as the monthly churn rates.

Conventions (the ledger's, :mod:`csm_kit.metrics.ledger`)
----------------------------------------------------------
- A customer is *paying* on a day when its subscriptions' MRR that day is
  > 0; a *paid spell* is a maximal run of paying days, ``[start, end)``
  (:func:`~csm_kit.metrics.ledger.paid_spells`): a plan change that ends one
  subscription the day another starts is not churn, and cancelling one of
  two subscriptions is contraction, not churn.
- *Churn* is the end of a paid spell; a later spell is a *reactivation*,
  as in :func:`~csm_kit.metrics.retention.churn_rates`. A customer who joins
  and leaves inside one month is churned (tenure under a month), as the
  monthly rates count it (``churned_joined``).
- Observation ends at the end of the day ``as_of``. A spell is *churned*
  when its ``end`` is on or before ``as_of`` (the customer is not paying on
  ``as_of``); otherwise it is *censored*: an end date after ``as_of`` (a
  scheduled cancellation) is future information and is not used.
- ``tenure_days = min(end, as_of + 1 day) - start``: a customer who started
  on ``as_of`` itself has tenure 1 day, censored. Spells starting after
  ``as_of`` are left out.
- Tenure in months counts calendar months from the start day (month 1 ends
  on the first monthly anniversary; a start on the 31st has its
  anniversaries on the last day of shorter months, as billing does), plus
  the elapsed fraction of the current month. A monthly biller who churns at
  its 12th renewal has tenure exactly 12. Weeks are days / 7.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import MissingTableError
from ..metrics.ledger import _check_rows, paid_spells, subscription_mrr

DAY = pd.Timedelta(days=1)
UNITS = ("day", "week", "month")


def calendar_months(start, stop) -> np.ndarray:
    """Calendar months from ``start`` to ``stop`` (whole months to the last anniversary, plus a fraction).

    ``k`` whole months where the k-th anniversary (the start's day of month,
    clipped to the month's length) is on or before ``stop``, plus
    ``(stop - anniversary_k) / (anniversary_{k+1} - anniversary_k)``.

    Parameters
    ----------
    start, stop : array-like of datetime64
        Days (``stop >= start``).

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> calendar_months(pd.to_datetime(["2026-01-31", "2026-01-05", "2026-01-05"]),
    ...                 pd.to_datetime(["2026-02-28", "2027-01-05", "2026-01-20"])).round(4).tolist()
    [1.0, 12.0, 0.4839]
    """
    s = pd.DatetimeIndex(start).to_numpy().astype("datetime64[D]")
    e = pd.DatetimeIndex(stop).to_numpy().astype("datetime64[D]")
    s_month = s.astype("datetime64[M]")
    day0 = (s - s_month.astype("datetime64[D]")).astype(np.int64)  # day of month - 1

    def anniversary(k):
        m = s_month + k
        length = ((m + 1).astype("datetime64[D]") - m.astype("datetime64[D]")).astype(np.int64)
        return m.astype("datetime64[D]") + np.minimum(day0, length - 1)

    k = (e.astype("datetime64[M]") - s_month).astype(np.int64)
    k = np.where(anniversary(k) > e, k - 1, k)
    a0, a1 = anniversary(k), anniversary(k + 1)
    return k + (e - a0).astype(np.int64) / (a1 - a0).astype(np.int64)


def _in_unit(start, stop, days: np.ndarray, unit: str) -> np.ndarray:
    if unit == "day":
        return days.astype(float)
    if unit == "week":
        return days / 7.0
    return calendar_months(start, stop)


def _subscriptions(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    data.require("subscriptions", by="survival_table")
    return data.subscriptions


def _at_reference(subs: pd.DataFrame, rows: pd.DataFrame, ref: pd.Series) -> pd.DataFrame:
    """Plan, billing period (of the largest subscription), MRR and seats of each row's customer on its day ``ref``."""
    s = subs.assign(_mrr=subscription_mrr(subs).to_numpy())
    keep = ["customer_id", "start_date", "end_date", "plan", "billing_period", "_mrr"]
    keep += ["quantity"] if "quantity" in s.columns else []
    s = s[[c for c in keep if c in s.columns]]
    left = pd.DataFrame({"_row": np.arange(len(rows)), "customer_id": rows["customer_id"].to_numpy(),
                         "_ref": ref.to_numpy()})
    m = left.merge(s, on="customer_id", how="inner")
    m = m[(m["start_date"] <= m["_ref"]) & (m["end_date"].isna() | (m["end_date"] > m["_ref"])) & (m["_mrr"] > 0)]
    g = m.groupby("_row")
    out = pd.DataFrame(index=np.arange(len(rows)))
    out["mrr"] = g["_mrr"].sum().reindex(out.index, fill_value=0.0).round(6)
    if "quantity" in m.columns:
        out["seats"] = g["quantity"].sum().reindex(out.index).astype(float)
    largest = m.sort_values(["_row", "_mrr", "start_date"], ascending=[True, False, True],
                            kind="mergesort").drop_duplicates("_row").set_index("_row")
    for col in ("plan", "billing_period"):
        if col in largest.columns:
            out[col] = largest[col].reindex(out.index)
    return out


def _in_window(times: pd.Series, day: pd.Timestamp, days: int) -> pd.Series:
    """Instants in the ``days`` calendar days ending on ``day`` (both included)."""
    return (times >= day - (days - 1) * DAY) & (times < day + DAY)


def _behaviour(data, rows: pd.DataFrame, day: pd.Timestamp, window_days: int, survey_days: int,
               onboarding_days: int) -> tuple[pd.DataFrame, list[str]]:
    """Behavioural covariates per row from rows dated on or before ``day`` only; absent tables give no column."""
    ids = rows["customer_id"]
    out = pd.DataFrame(index=rows.index)
    notes = []
    if isinstance(data, pd.DataFrame):
        return out, ["behavioural covariates need a Dataset, not a bare subscriptions table"]

    if data.usage_events is not None:
        ev = data.usage_events
        keep = _in_window(ev["timestamp"], day, window_days)
        if "quantity" in ev.columns:
            keep &= ev["quantity"].fillna(1).gt(0).to_numpy(dtype=bool)
        w = ev.loc[keep, ["customer_id", "user_id", "timestamp"]]
        days_used = (pd.DataFrame({"customer_id": w["customer_id"], "d": w["timestamp"].dt.normalize()})
                     .drop_duplicates().groupby("customer_id").size())
        users = w.drop_duplicates(["customer_id", "user_id"]).groupby("customer_id").size()
        # Share of the window's paying days with usage, so a customer in its first weeks is not "inactive".
        paying_days = np.minimum(window_days, (day + DAY - rows["start"]).dt.days.to_numpy())
        out["usage_share"] = days_used.reindex(ids, fill_value=0).to_numpy() / paying_days
        out["active_users"] = users.reindex(ids, fill_value=0).to_numpy().astype(float)
    else:
        notes.append("no usage_events: usage_share and active_users left out")

    if data.surveys is not None:
        sv = data.surveys[_in_window(data.surveys["responded_at"], day, survey_days)]
        for name, mask in (("nps", (sv["survey"] == "nps") & (sv["touchpoint"] == "relationship")),
                           ("csat", sv["survey"] == "csat")):
            part = sv[mask].sort_values("responded_at", kind="mergesort").drop_duplicates("customer_id", keep="last")
            out[name] = part.set_index("customer_id")["score"].reindex(ids).to_numpy(dtype=float)
    else:
        notes.append("no surveys: nps and csat left out")

    if data.tickets is not None:
        tk = data.tickets
        opened = tk[_in_window(tk["opened_at"], day, window_days)].groupby("customer_id").size()
        out["tickets"] = opened.reindex(ids, fill_value=0).to_numpy().astype(float)
    else:
        notes.append("no tickets: tickets left out")

    if data.onboarding is not None and data.milestones is not None:
        required = data.milestones.loc[data.milestones["required"].astype(bool), "milestone"]
        if len(required):
            signup = (data.customers.set_index("customer_id")["signup_date"] if data.customers is not None
                      else rows.groupby("customer_id")["start"].min())
            ob = data.onboarding[data.onboarding["milestone"].isin(required)
                                 & (data.onboarding["completed_at"] < day + DAY)]
            ob = ob.assign(_signup=signup.reindex(ob["customer_id"]).to_numpy())
            ob = ob[ob["completed_at"] < ob["_signup"] + onboarding_days * DAY]
            n_done = ob.drop_duplicates(["customer_id", "milestone"]).groupby("customer_id").size()
            out["onboarded"] = (n_done.reindex(ids, fill_value=0).to_numpy() == len(required)).astype(float)
        else:
            notes.append("no required milestone: onboarded left out")
    else:
        notes.append("no onboarding/milestones: onboarded left out")
    return out, notes


def survival_table(data, *, as_of, covariates_at=None, unit: str = "month", spells: bool = False,
                   window_days: int = 90, survey_days: int = 365, onboarding_days: int = 90) -> pd.DataFrame:
    """One row per customer (or per paid spell): tenure, churned or censored at ``as_of``, and covariates.

    Tenure and churn follow the ledger's conventions (module docstring):
    ``tenure = min(end, as_of + 1 day) - start`` in ``unit``, ``churned =
    end <= as_of``. With ``spells=False`` a customer's row is its *first*
    paid spell (time to first churn; a reactivated customer counts as
    churned at the end of its first spell); with ``spells=True`` every paid
    spell started on or before ``as_of`` is a row (``spell`` 1, 2, ...).

    Covariates, never using rows dated after their reference day:

    - always: ``segment`` (customers), ``cohort`` (month of the spell's
      start), ``spell``, ``reactivated`` (spell > 1), and ``plan``,
      ``billing_period`` (of the largest subscription by MRR), ``mrr`` and
      ``seats`` on the reference day: the spell's start, or
      ``covariates_at`` when given.
    - with ``covariates_at`` (the observation date, on or before ``as_of``):
      only spells paying on that day are kept (the population at risk
      then), ``entry`` is their tenure at the end of that day (left
      truncation: fit with it, see :class:`ChurnDrivers`), and behavioural
      covariates come from rows dated on or before it:
      ``usage_share`` (distinct days with usage / paying days in the last
      ``window_days``), ``active_users`` (distinct users in that window),
      ``nps`` (latest relationship NPS answer within ``survey_days``),
      ``csat`` (latest CSAT answer, any touchpoint, within ``survey_days``;
      NaN without one), ``tickets`` (opened in the last ``window_days``),
      ``onboarded`` (1 when every required milestone was completed within
      ``onboarding_days`` of signup, counting completions up to the
      observation date only). A column whose table is absent is left out
      (listed in ``attrs["notes"]``).

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions`` (other tables optional), or the
        subscriptions table itself.
    as_of : date
        Last day observed (for a month: its last day).
    covariates_at : date, optional
        Observation date of the covariates (``<= as_of``). ``None``: no
        behavioural covariates, every spell kept, ``entry`` 0.
    unit : {"month", "week", "day"}
        Unit of ``tenure`` and ``entry``.
    spells : bool
        One row per paid spell instead of per customer.
    window_days, survey_days, onboarding_days : int
        Windows of the behavioural covariates (90, 365, 90 days).

    Returns
    -------
    DataFrame
        Columns ``customer_id, spell, start, end`` (NaT when censored),
        ``tenure_days, tenure, entry, churned`` and the covariates; sorted by
        customer and spell. ``attrs`` holds ``as_of``, ``covariates_at``,
        ``unit`` and ``notes``.

    Examples
    --------
    One customer churned at its second monthly renewal, one still paying, one
    who started on the last day:

    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "billing_period": "month",
    ...     "amount": 100.0, "plan": "pro",
    ...     "start_date": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-03-31"]),
    ...     "end_date": pd.to_datetime(["2026-03-10", None, None])})
    >>> t = survival_table(subs, as_of="2026-03-31")
    >>> t[["customer_id", "tenure_days", "tenure", "churned"]].round(3)
      customer_id  tenure_days  tenure  churned
    0           a           59   2.000     True
    1           b           59   2.000    False
    2           c            1   0.033    False
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}.")
    for name, value in (("window_days", window_days), ("survey_days", survey_days),
                        ("onboarding_days", onboarding_days)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"survival_table: {name} must be a whole number >= 1, not {value!r}.")
    if as_of is None:
        raise ValueError("survival_table: as_of is required (the last day observed).")
    day = pd.Timestamp(as_of).normalize()
    obs = None if covariates_at is None else pd.Timestamp(covariates_at).normalize()
    if obs is not None and obs > day:
        raise ValueError(f"survival_table: covariates_at ({obs.date()}) is after as_of ({day.date()}); "
                         "covariates must be observed before the outcome window ends.")
    subs = _subscriptions(data)
    _check_rows(subs)

    sp = paid_spells(subs)
    sp = sp[sp["start"] <= day]
    if not spells:
        sp = sp[sp["spell"] == 1]
    if obs is not None:
        sp = sp[(sp["start"] <= obs) & (sp["end"].isna() | (sp["end"] > obs))]
    sp = sp.reset_index(drop=True)

    churned = (sp["end"] <= day).to_numpy()  # NaT compares False: still paying
    stop = sp["end"].where(churned, day + DAY)
    tenure_days = (stop - sp["start"]).dt.days.to_numpy().astype(np.int64)
    t = pd.DataFrame({"customer_id": sp["customer_id"].to_numpy(), "spell": sp["spell"].to_numpy(),
                      "start": sp["start"].to_numpy(), "end": sp["end"].where(churned).to_numpy(),
                      "tenure_days": tenure_days,
                      "tenure": _in_unit(sp["start"], stop, tenure_days, unit)})
    if obs is None:
        t["entry"] = 0.0
    else:
        entry_stop = pd.Series(obs + DAY, index=sp.index)
        t["entry"] = _in_unit(sp["start"], entry_stop, (entry_stop - sp["start"]).dt.days.to_numpy(), unit)
    t["churned"] = churned

    customers = None if isinstance(data, pd.DataFrame) else data.customers
    if customers is not None and "segment" in customers.columns:
        t["segment"] = customers.set_index("customer_id")["segment"].reindex(t["customer_id"]).to_numpy()
    t["cohort"] = t["start"].dt.to_period("M")
    t["reactivated"] = t["spell"] > 1
    ref = t["start"] if obs is None else pd.Series(obs, index=t.index)
    ref_cols = _at_reference(subs, t, ref)
    for col in ref_cols.columns:
        t[col] = ref_cols[col].to_numpy()

    notes = []
    if obs is not None:
        extra, notes = _behaviour(data, t, obs, window_days, survey_days, onboarding_days)
        for col in extra.columns:
            t[col] = extra[col].to_numpy()
    t = t.sort_values(["customer_id", "spell"], kind="mergesort", ignore_index=True)
    t.attrs.update({"as_of": day, "covariates_at": obs, "unit": unit, "notes": notes})
    return t
