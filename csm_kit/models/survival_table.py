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
- The unit travels with the table in its ``time_unit`` column (one value on
  every row): a merge or a filter keeps it, where ``DataFrame.attrs`` would
  be dropped. The models read it (:func:`table_unit`) and refuse a table
  without one unless told the unit.
- Snapshot data (one row per customer, :func:`csm_kit.from_snapshot`):
  tenures are counted back from ``as_of`` and come out exactly as given,
  tenure 0 included (see :func:`survival_table`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..exceptions import MissingTableError
from ..metrics.ledger import check_ledger_rows, paid_spells, subscription_mrr
from ..periods import as_of_day

DAY = pd.Timedelta(days=1)
UNITS = ("day", "week", "month")
#: Text attributes with more distinct values than this are probably ids or numbers read as text.
MAX_LEVELS = 50


def table_unit(table: pd.DataFrame, unit: str | None = None, *, who: str = "the survival table") -> str:
    """The time unit of a survival table's ``tenure`` and ``entry``: from its ``time_unit`` column or ``unit``.

    The unit travels in a column (one value on every row) so that a merge,
    a filter or a copy cannot lose it, as it can lose ``DataFrame.attrs``.
    A table built by hand has no such column: pass ``unit=`` to the model.
    Both given and different, several values in the column, or neither given:
    a clear error (a weekly table read as months would be off 4-fold).

    >>> t = pd.DataFrame({"tenure": [1.0], "churned": [True], "time_unit": "week"})
    >>> table_unit(t)
    'week'
    >>> table_unit(t.drop(columns="time_unit"), "month")
    'month'
    >>> table_unit(t.drop(columns="time_unit"))
    Traceback (most recent call last):
    ...
    ValueError: the survival table has no time_unit column, so the unit of its tenure is unknown: build it with survival_table() (which adds one) or pass unit='month', 'week' or 'day'.
    """
    if unit is not None and unit not in UNITS:
        raise ValueError(f"{who}: unit must be one of {UNITS}, not {unit!r}.")
    if "time_unit" not in table.columns:
        if unit is None:
            raise ValueError(f"{who} has no time_unit column, so the unit of its tenure is unknown: build it with "
                             "survival_table() (which adds one) or pass unit='month', 'week' or 'day'.")
        return unit
    found = pd.unique(table["time_unit"].dropna().astype(str))
    if len(found) != 1 or found[0] not in UNITS or table["time_unit"].isna().any():
        raise ValueError(f"{who}: column 'time_unit' must hold one of {UNITS} on every row; found "
                         f"{sorted(map(str, pd.unique(table['time_unit'].astype(object))))[:5]}.")
    if unit is not None and unit != found[0]:
        raise ValueError(f"{who}: its time_unit column says {found[0]!r} but unit={unit!r} was passed.")
    return str(found[0])


def months_before(start, stop) -> np.ndarray:
    """Calendar months counted back from ``stop`` to ``start``: exact for ``start = stop - k months``.

    ``k`` whole months where ``stop - k months`` (pandas ``DateOffset``: the
    day of month clipped to the month's length) is on or after ``start``,
    plus the fraction of the month before that. A snapshot built back from
    its as-of date (``start = as_of - tenure``) gets its tenure back exactly,
    e.g. 1 month before 31 March is 28 February:

    >>> months_before(pd.to_datetime(["2026-02-28", "2025-03-31", "2026-03-31"]),
    ...               pd.to_datetime(["2026-03-31"] * 3)).tolist()
    [1.0, 12.0, 0.0]
    """
    s, e = pd.DatetimeIndex(start), pd.DatetimeIndex(stop)
    value = {}
    for a, b in set(zip(s, e)):  # distinct (start, stop) pairs: a snapshot has a few hundred tenures
        k = max((b.year - a.year) * 12 + (b.month - a.month), 0)
        while k > 0 and b - pd.DateOffset(months=k) < a:
            k -= 1
        a0, a1 = b - pd.DateOffset(months=k), b - pd.DateOffset(months=k + 1)
        value[(a, b)] = k + (a0 - a).days / (a0 - a1).days
    return np.array([value[pair] for pair in zip(s, e)], dtype=float)


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
                   window_days: int = 90, survey_days: int = 365, onboarding_days: int = 90,
                   attributes=()) -> pd.DataFrame:
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
    - ``attributes``: columns of ``customers`` carried in by customer (e.g.
      ``["SeniorCitizen", "TechSupport", "MonthlyCharges"]``), typed for a
      model: numbers and booleans stay numbers; a text column whose every
      non-missing value parses as a number (``"29.85"``, a CSV read as text)
      becomes numbers; other text stays text (a category, made into dummies
      by :class:`ChurnDrivers`). Each conversion is named in
      ``attrs["notes"]``; a text attribute with more than :data:`MAX_LEVELS`
      levels is flagged there too (an id, or numbers that did not all parse).

    ``time_unit`` is a column (one value, ``unit``, on every row) so that the
    unit survives merges and copies; the models read it from there.

    Snapshot data (``data.snapshot``, one subscription per customer built
    back from the as-of date by :func:`csm_kit.from_snapshot`): each
    customer's row is its subscription as given, whatever its MRR, tenure 0
    kept; a customer still paying is observed up to ``as_of`` itself (not the
    end of that day) and months are counted back from ``as_of``
    (:func:`months_before`), so the tenures are exactly the snapshot's.

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
    attributes : sequence of str
        Columns of ``customers`` to carry into the table (see above).

    Returns
    -------
    DataFrame
        Columns ``customer_id, spell, start, end`` (NaT when censored),
        ``tenure_days, tenure, entry, churned, time_unit`` and the
        covariates; sorted by customer and spell. ``attrs`` holds ``as_of``,
        ``covariates_at``, ``unit`` and ``notes`` (informative only: a merge
        drops them).

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
    window_days = whole_number(window_days, "window_days", unit="days")
    survey_days = whole_number(survey_days, "survey_days", unit="days")
    onboarding_days = whole_number(onboarding_days, "onboarding_days", unit="days")
    if as_of is None:
        raise ValueError("survival_table: as_of is required (the last day observed).")
    day = as_of_day(as_of, name="as_of")
    obs = None if covariates_at is None else as_of_day(covariates_at, name="covariates_at")
    if obs is not None and obs > day:
        raise ValueError(f"survival_table: covariates_at ({obs.date()}) is after as_of ({day.date()}); "
                         "covariates must be observed before the outcome window ends.")
    if isinstance(attributes, str):
        attributes = [attributes]
    subs = _subscriptions(data)
    check_ledger_rows(subs)
    snapshot = bool(getattr(data, "snapshot", False))

    sp = _snapshot_spells(subs) if snapshot else paid_spells(subs)
    sp = sp[sp["start"] <= day]
    if not spells:
        sp = sp[sp["spell"] == 1]
    if obs is not None:
        sp = sp[(sp["start"] <= obs) & (sp["end"].isna() | (sp["end"] > obs))]
    sp = sp.reset_index(drop=True)

    churned = (sp["end"] <= day).to_numpy()  # NaT compares False: still paying
    stop = sp["end"].where(churned, day if snapshot else day + DAY)
    tenure_days = (stop - sp["start"]).dt.days.to_numpy().astype(np.int64)
    tenure = (months_before(sp["start"], stop) if snapshot and unit == "month"
              else _in_unit(sp["start"], stop, tenure_days, unit))
    t = pd.DataFrame({"customer_id": sp["customer_id"].to_numpy(), "spell": sp["spell"].to_numpy(),
                      "start": sp["start"].to_numpy(), "end": sp["end"].where(churned).to_numpy(),
                      "tenure_days": tenure_days, "tenure": tenure})
    if obs is None:
        t["entry"] = 0.0
    else:
        entry_stop = pd.Series(obs + DAY, index=sp.index)
        t["entry"] = _in_unit(sp["start"], entry_stop, (entry_stop - sp["start"]).dt.days.to_numpy(), unit)
    t["churned"] = churned
    t["time_unit"] = unit

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
    if len(attributes):
        extra, more = customer_attributes(data, attributes, t["customer_id"], taken=t.columns)
        for col in extra.columns:
            t[col] = extra[col].to_numpy()
        notes = notes + more
    t = t.sort_values(["customer_id", "spell"], kind="mergesort", ignore_index=True)
    t.attrs.update({"as_of": day, "covariates_at": obs, "unit": unit, "notes": notes})
    return t


def _snapshot_spells(subs: pd.DataFrame) -> pd.DataFrame:
    """A snapshot's one spell per customer: its earliest start and, once every subscription ended, its last end."""
    g = subs.groupby("customer_id", sort=True)
    ended = g["end_date"].apply(lambda e: e.notna().all())
    out = pd.DataFrame({"start": g["start_date"].min(), "end": g["end_date"].max().where(ended)})
    out = out.reset_index()
    out["spell"] = 1
    return out[["customer_id", "spell", "start", "end"]]


def customer_attributes(data, attributes, customer_ids: pd.Series, *, taken=()) -> tuple[pd.DataFrame, list[str]]:
    """Columns of ``customers`` per row of ``customer_ids``, typed for a model, and notes on each conversion.

    Numbers and booleans are kept; text whose every non-missing value parses
    as a number (after trimming spaces) becomes float; other text stays text
    (a category). A text column with more than :data:`MAX_LEVELS` distinct
    values gets a note (probably an id, or numbers that did not all parse).

    Parameters
    ----------
    data : Dataset
        With ``customers``.
    attributes : sequence of str
        Column names of ``customers``.
    customer_ids : Series
        The rows wanted (a customer may appear on several rows).
    taken : sequence of str
        Names already used by the caller's table; an attribute with such a
        name is refused (it would overwrite a column).

    Returns
    -------
    (DataFrame, list of str)
        One column per attribute, aligned with ``customer_ids``; the notes.

    Examples
    --------
    >>> from csm_kit.dataset import Dataset
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["a", "b"], "charges": ["29.85", " 70.5"],
    ...                                      "support": ["Yes", "No"]}))
    >>> cols, notes = customer_attributes(ds, ["charges", "support"], pd.Series(["b", "a"]))
    >>> cols["charges"].tolist(), cols["support"].tolist()
    ([70.5, 29.85], ['No', 'Yes'])
    >>> notes
    ['attribute charges: text read as numbers (every value parses)', 'attribute support: text, used as a category (2 levels)']
    """
    customers = None if isinstance(data, pd.DataFrame) else getattr(data, "customers", None)
    if customers is None:
        raise MissingTableError("survival_table(attributes=...) needs the 'customers' table, which this data "
                                "does not have (pass a Dataset with customers).")
    attributes = list(attributes)
    unknown = [a for a in attributes if a not in customers.columns]
    if unknown:
        raise ValueError(f"survival_table: attribute(s) {unknown} are not columns of the customers table; it has "
                         f"{list(customers.columns)}.")
    clash = [a for a in attributes if a in set(taken) or a == "customer_id"]
    if clash:
        raise ValueError(f"survival_table: attribute(s) {clash} are already columns of the survival table; "
                         "rename them in customers first.")
    dup = customers["customer_id"].duplicated()
    if dup.any():
        raise ValueError(f"survival_table: customers has repeated customer_id "
                         f"{customers.loc[dup, 'customer_id'].head(5).tolist()}, so attributes are ambiguous.")
    by_id = customers.set_index("customer_id")
    out, notes = pd.DataFrame(index=range(len(customer_ids))), []
    for a in attributes:
        x = by_id[a]
        if x.dtype == bool or str(x.dtype) == "boolean" or pd.api.types.is_numeric_dtype(x):
            values = x
        else:
            text = x.astype("string").str.strip()
            parsed = pd.to_numeric(text.where(text != ""), errors="coerce")
            given = text.notna() & (text != "")
            if given.any() and parsed[given].notna().all():
                values = parsed.astype(float)
                notes.append(f"attribute {a}: text read as numbers (every value parses)")
            else:
                values = x.astype(object).where(x.notna(), None)
                levels = int(text[given].nunique())
                note = f"attribute {a}: text, used as a category ({levels} levels)"
                if levels > MAX_LEVELS:
                    bad = text[given & parsed.isna()].head(3).tolist()
                    note += (f"; more than {MAX_LEVELS} levels: an id, or numbers with some values that do not "
                             f"parse (e.g. {bad})")
                notes.append(note)
        out[a] = values.reindex(customer_ids.to_numpy()).to_numpy()
    return out, notes
