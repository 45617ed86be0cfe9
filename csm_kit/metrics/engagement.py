"""Product engagement: active users and accounts, stickiness, feature adoption, depth and trend.

Conventions
-----------
- Activity is read from ``usage_events``. A row counts as activity when its
  ``quantity`` is > 0; a missing ``quantity`` (or no such column) means 1, as
  the contract says. Rows with ``quantity == 0`` stand for zero occurrences
  (pre-aggregated exports often carry them) and are not activity.
- A *user* is a (customer_id, user_id) pair. The contract makes ``user_id``
  unique across the data set, so this is the user; if one ``user_id`` shows
  up under two accounts it counts once per account.
- An *account is active* in a period when any of its users has an event in
  it. Periods are calendar days or calendar months, in the timestamp's own
  clock (naive UTC).
- Reporting months are explicit: ``start`` and ``end`` are ``"YYYY-MM"``
  (inclusive). ``start=None`` begins at the first month with activity. A
  month after the data (:func:`~csm_kit.metrics.pages.last_dated_day`) is
  refused with an error naming the data's last complete month: it would
  otherwise read as a month of zeros.
- The report page (:func:`engagement_page`) and its key numbers
  (:func:`engagement_key_numbers`) are built from these functions; charts
  are in :mod:`csm_kit.plotting.engagement`.

Why the code is fast
--------------------
Everything stands on integer codes: customer, user and feature names are
factorised once (one hash per row), a timestamp becomes a day number, and
"distinct users per day" is then ``pd.unique`` over one int64 key
``user * n_days + day`` followed by ``np.bincount``. That is a single hash
pass per distinct count, with no repeated ``groupby(...).nunique()`` on raw
string columns and no per-customer Python loop. Hashing the string ids is
the main cost; DuckDB's ``GROUP BY customer_id, user_id, day`` over the same
pandas frame measured about the same (5-7 s for 5M synthetic events with
object string ids on 2 cores, either way) and its result would still need
encoding, so the kit keeps one pandas path. Categorical or Arrow-string id columns make factorising cheaper.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..exceptions import DataValidationError, MissingTableError
from ..periods import as_of_day, latest_complete_month, month_end, month_start, months as month_range, to_month
from .pages import (MISSING_GROUP, PagePart, after_data_reason, check_report_parameters, last_dated_day, missing_reason,
                     offending_rows as _rows, refuse_months_after_data, unavailable)

_ONE_DAY = np.timedelta64(1, "D")


# -- input --------------------------------------------------------------------
def _events_table(data, fn: str) -> pd.DataFrame:
    """The usage_events table from a Dataset or a DataFrame, with its columns checked."""
    events = data if isinstance(data, pd.DataFrame) else _require(data, "usage_events", fn)
    missing = [c for c in ("customer_id", "user_id", "timestamp", "event") if c not in events.columns]
    if missing:
        raise MissingTableError(f"{fn} needs usage_events column(s) {missing}, which the table does not have.")
    if not pd.api.types.is_datetime64_any_dtype(events["timestamp"]):
        raise DataValidationError("usage_events", "timestamp", "must be a datetime column",
                                  detail=f"dtype is {events['timestamp'].dtype}; load with csm_kit.load_dataset")
    empty = events["timestamp"].isna().to_numpy()
    if empty.any():
        raise DataValidationError("usage_events", "timestamp", "must not be empty", rows=_rows(events, empty))
    return events  # empty ids and names are caught when they are factorised


def _require(ds, name: str, fn: str) -> pd.DataFrame:
    ds.require(name, by=fn)
    return getattr(ds, name)


def _end(data, events: pd.DataFrame, end, fn: str, name: str = "end") -> pd.Period:
    """``end`` as a month, refused when the data does not reach it (a month of zeros is not a result)."""
    return refuse_months_after_data(end, last_dated_day(data, "timestamp"), fn=fn, name=name)


def _customer_groups(data, customers: pd.Index, by: str | None, fn: str) -> tuple[np.ndarray, pd.Index]:
    """Group code of each customer (aligned with ``customers``) and the group labels.

    ``by`` is a column of ``customers`` (segment, plan, region, ...). Customers
    with an empty value, or absent from the customers table, are grouped under
    ``"(missing)"`` rather than dropped.
    """
    if by is None:
        return np.zeros(len(customers), dtype=np.int64), pd.Index(["all"])
    if isinstance(data, pd.DataFrame):
        raise ValueError(f"{fn}(by={by!r}) needs a Dataset with the customers table, not a DataFrame.")
    table = _require(data, "customers", fn)
    if by not in table.columns:
        raise MissingTableError(f"{fn}(by={by!r}) needs customers.{by}, which the table does not have.")
    values = table.set_index("customer_id")[by].astype(object)
    labels = values.reindex(customers).where(lambda s: s.notna(), MISSING_GROUP)
    groups = pd.Index(sorted(set(values.dropna().astype(str)) | set(labels.astype(str))), name=by)
    return groups.get_indexer(labels.astype(str)), groups


# -- the one aggregation everything uses --------------------------------------------
@dataclass(frozen=True)
class _Activity:
    """Activity rows of a window of months as integer codes (one entry per event row)."""

    months: pd.PeriodIndex     # the reporting months
    first_day: pd.Timestamp    # day 0
    n_days: int
    customer: np.ndarray       # customer code per row
    customers: pd.Index        # customer_id of each code
    user: np.ndarray           # (customer, user) pair code per row
    user_customer: np.ndarray  # customer code of each user code
    day: np.ndarray            # day number per row (0 = first_day)
    day_month: np.ndarray      # month number (0 = months[0]) of each day number
    quantity: np.ndarray       # occurrences per row (>= 1)
    event: np.ndarray | None = None  # feature code per row
    features: pd.Index | None = None

    @property
    def month(self) -> np.ndarray:
        return self.day_month[self.day]


def _activity(events: pd.DataFrame, start, end, *, with_event: bool = False) -> _Activity:
    """Encode the activity rows of months ``start``..``end`` (``start=None``: first active month)."""
    hi = month_end(end) + pd.Timedelta(days=1)
    ts = events["timestamp"]
    keep = (ts < hi).to_numpy()
    if "quantity" in events.columns:
        quantity = events["quantity"].fillna(1).to_numpy(dtype=np.int64)
        keep &= quantity > 0
    else:
        quantity = np.ones(len(events), dtype=np.int64)
    if start is None:
        first = ts[keep].min()
        start = to_month(end) if pd.isna(first) else min(to_month(first), to_month(end))
    months = month_range(start, end)
    lo = month_start(months[0])
    keep &= (ts >= lo).to_numpy()
    columns = ["customer_id", "user_id", "timestamp"] + (["event"] if with_event else [])
    ev = events[columns] if keep.all() else events.loc[keep, columns]
    quantity = quantity[keep]

    customer, customers, user, user_customer = _encode_users(ev)
    day = ((ev["timestamp"].to_numpy() - lo.to_datetime64()) // _ONE_DAY).astype(np.int64)
    n_days = int((hi - lo) / pd.Timedelta(days=1))
    all_days = pd.date_range(lo, periods=n_days, freq="D")
    day_month = (all_days.year - months[0].year) * 12 + (all_days.month - months[0].month)
    event = features = None
    if with_event:
        event, features = pd.factorize(ev["event"], sort=True)
        _no_empty(ev, "event", event)
    return _Activity(months, lo, n_days, customer, pd.Index(customers, name="customer_id"), user,
                     user_customer, day, np.asarray(day_month, dtype=np.int64), quantity, event, features)


def _encode_users(ev: pd.DataFrame):
    """Integer codes of customers and users: (customer per row, customer labels, user per row, customer per user).

    Hashing strings is the costly step, so user_id is hashed once and each
    user's account is read from its first row. The contract makes a user
    belong to one account; one cheap comparison checks it, and if some
    user_id appears under two accounts the slower (customer, user) pairing
    is used instead.
    """
    codes, names = pd.factorize(ev["user_id"])
    _no_empty(ev, "user_id", codes)
    user, first = _first_rows(codes, names)
    cust_label = ev["customer_id"].to_numpy()
    user_cust_label = cust_label[first]
    if (cust_label == user_cust_label[user]).all():
        user_customer, customers = pd.factorize(user_cust_label, sort=True)
        _no_empty(ev.iloc[first], "customer_id", user_customer)
        return user_customer[user], customers, user, user_customer
    customer, customers = pd.factorize(cust_label, sort=True)
    _no_empty(ev, "customer_id", customer)
    # A user is a (customer, user) pair: one int64 key, factorised again.
    user, pair_first = _first_rows(*pd.factorize(customer.astype(np.int64) * (user.max(initial=0) + 1) + user))
    return customer, customers, user, customer[pair_first]


def _no_empty(df: pd.DataFrame, column: str, codes: np.ndarray) -> None:
    """Raise on empty values, which factorize marks with code -1."""
    empty = codes < 0
    if empty.any():
        raise DataValidationError("usage_events", column, "must not be empty", rows=_rows(df, empty))


def _first_rows(codes: np.ndarray, uniques) -> tuple[np.ndarray, np.ndarray]:
    """The codes again and, per code, the position of its first row.

    ``pd.factorize`` (unsorted) numbers values in order of appearance, so a
    row is a first occurrence exactly when its code exceeds every earlier one.
    """
    seen = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]])) if len(codes) else codes
    first = np.flatnonzero(codes > seen)
    return codes, first[: len(uniques)]


def _distinct(entity: np.ndarray, period: np.ndarray, n_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (entity, period) pairs among rows, as two arrays (one hash pass)."""
    key = pd.unique(entity.astype(np.int64) * n_periods + period)
    return key // n_periods, key % n_periods


def _count(period: np.ndarray, n_periods: int, group: np.ndarray | None = None, n_groups: int = 1,
           weights: np.ndarray | None = None) -> np.ndarray:
    """Counts (or weighted sums) per group and period, shape (n_groups, n_periods)."""
    g = np.zeros(len(period), dtype=np.int64) if group is None else group
    flat = np.bincount(g * n_periods + period, weights=weights, minlength=n_groups * n_periods)
    return flat.reshape(n_groups, n_periods)


# -- public functions ------------------------------------------------------------
def active_accounts(data, *, start=None, end, freq: str = "M", by: str | None = None) -> pd.DataFrame:
    """Active users and active accounts per calendar day or month.

    ``active_users(P)`` = number of distinct users with an activity row in
    period P; ``active_accounts(P)`` = number of distinct accounts with at
    least one active user in P. Monthly figures are distinct counts over the
    month (MAU), not sums of daily counts.

    Conventions: rows with ``quantity == 0`` are not activity (alternative:
    filter the table yourself to count them); periods are calendar days or
    calendar months of the naive-UTC timestamps (alternative: shift the
    timestamps to local time before calling).

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``usage_events`` (and ``customers`` when ``by`` is
        given), or the ``usage_events`` table itself.
    start, end : str or Period
        First and last month, inclusive (``"YYYY-MM"``). ``start=None``
        starts at the first month with activity.
    freq : {"M", "D"}
        ``"M"``: one row per calendar month (column ``month``, Period[M]);
        ``"D"``: one row per calendar day of those months (column ``day``).
    by : str, optional
        A ``customers`` column (``"segment"``, ``"plan"``, ...): one row per
        period and value. Customers with no value are grouped as
        ``"(missing)"``.

    Returns
    -------
    DataFrame
        ``month`` or ``day``, [``by``], ``active_users``, ``active_accounts``.
        Periods without activity are rows of zeros.

    Examples
    --------
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b"], "user_id": ["u1", "u2", "u3", "u3"],
    ...     "timestamp": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 10:00", "2026-01-06 08:00", "2026-03-02 11:00"]),
    ...     "event": ["login"] * 4})
    >>> active_accounts(ev, end="2026-03")
         month  active_users  active_accounts
    0  2026-01             3                2
    1  2026-02             0                0
    2  2026-03             1                1
    """
    if freq not in ("M", "D"):
        raise ValueError(f"freq must be 'M' (calendar months) or 'D' (days), not {freq!r}.")
    events = _events_table(data, "active_accounts")
    act = _activity(events, start, _end(data, events, end, "active_accounts"))
    groups_of_customer, groups = _customer_groups(data, act.customers, by, "active_accounts")
    if freq == "D":
        n_periods, to_period = act.n_days, np.arange(act.n_days)
        index = pd.date_range(act.first_day, periods=act.n_days, freq="D", name="day")
    else:
        n_periods, to_period = len(act.months), act.day_month
        index = act.months
    ud_user, ud_day = _distinct(act.user, act.day, act.n_days)  # the customer-user-day table, once
    period = to_period[ud_day]
    users, user_periods = (ud_user, ud_day) if freq == "D" else _distinct(ud_user, period, n_periods)
    accounts, account_periods = _distinct(act.user_customer[ud_user], period, n_periods)
    n_users = _count(user_periods, n_periods, groups_of_customer[act.user_customer[users]], len(groups))
    n_accounts = _count(account_periods, n_periods, groups_of_customer[accounts], len(groups))
    return _tidy(index, groups if by else None, {"active_users": n_users, "active_accounts": n_accounts})


def _tidy(index: pd.Index, groups: pd.Index | None, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """A long frame from (n_groups, n_periods) arrays: period first, then group."""
    n_groups, n_periods = next(iter(values.values())).shape
    out = pd.DataFrame({index.name: np.repeat(index, n_groups) if groups is not None else index})
    if groups is not None:
        out[groups.name] = np.tile(groups.to_numpy(), n_periods)
    for name, arr in values.items():
        out[name] = arr.T.reshape(-1)
    return out


def stickiness(data, *, start=None, end, level: str = "user") -> pd.DataFrame:
    """DAU/MAU per calendar month: the average day's share of the month's active users.

    ``stickiness(M) = mean_dau(M) / mau(M)``, where ``mean_dau(M)`` is the sum
    over the calendar days of M of the day's active users divided by the
    number of calendar days in M (days without activity count as 0, so
    weekends and holidays pull it down), and ``mau(M)`` the distinct users
    active in M. 1.0 means every monthly user is active every day.

    Alternatives: ``level="account"`` measures accounts (daily active
    accounts / monthly active accounts). Business-day denominators are not
    offered: filter the events to weekdays and rescale if you need them. A
    month only partly covered by the data is understated; report complete
    months (see :func:`csm_kit.periods.latest_complete_month`).

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``usage_events``, or the table itself.
    start, end : str or Period
        First and last month, inclusive; ``start=None`` = first active month.
    level : {"user", "account"}
        What is counted as active.

    Returns
    -------
    DataFrame
        ``month``, ``days`` (calendar days), ``mean_daily_active``,
        ``monthly_active``, ``stickiness`` (NaN when nobody was active).

    Examples
    --------
    Two users in February 2026 (28 days): u1 on 14 days, u2 on 7 days.

    >>> days = pd.date_range("2026-02-01", periods=14, freq="D")
    >>> ev = pd.DataFrame({"customer_id": "a", "user_id": ["u1"] * 14 + ["u2"] * 7,
    ...                    "timestamp": days.append(days[:7]), "event": "login"})
    >>> stickiness(ev, end="2026-02")   # (14 + 7) / 28 = 0.75 DAU, / 2 MAU
         month  days  mean_daily_active  monthly_active  stickiness
    0  2026-02    28               0.75               2       0.375
    """
    if level not in ("user", "account"):
        raise ValueError(f"level must be 'user' or 'account', not {level!r}.")
    events = _events_table(data, "stickiness")
    act = _activity(events, start, _end(data, events, end, "stickiness"))
    who, active_days = _distinct(act.user, act.day, act.n_days)  # the customer-user-day table
    if level == "account":
        who, active_days = _distinct(act.user_customer[who], active_days, act.n_days)
    _, active_months = _distinct(who, act.day_month[active_days], len(act.months))
    # Sum of daily actives per month = number of distinct (who, day) pairs in it.
    daily_sum = np.bincount(act.day_month[active_days], minlength=len(act.months))
    monthly = np.bincount(active_months, minlength=len(act.months))
    days = np.asarray(act.months.days_in_month, dtype=np.int64)
    mean_dau = daily_sum / days
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(monthly > 0, mean_dau / np.maximum(monthly, 1), np.nan)
    return pd.DataFrame({"month": act.months, "days": days, "mean_daily_active": mean_dau,
                         "monthly_active": monthly, "stickiness": ratio})


def _eligible_codes(eligible, features: pd.Index, customers: pd.Index) -> dict[str, np.ndarray]:
    """Per feature named in ``eligible``, a boolean mask over customer codes."""
    if isinstance(eligible, pd.DataFrame):
        missing = {"feature", "customer_id"} - set(eligible.columns)
        if missing:
            raise ValueError(f"eligible needs columns 'feature' and 'customer_id'; missing {sorted(missing)}.")
        eligible = {f: g["customer_id"] for f, g in eligible.groupby("feature", sort=False)}
    if not isinstance(eligible, dict):
        raise ValueError("eligible must be a dict {feature: customer_ids} or a DataFrame (feature, customer_id).")
    return {f: customers.isin(pd.Index(ids)) for f, ids in eligible.items() if f in features}


def feature_adoption(data, *, start=None, end, features=None, eligible=None) -> pd.DataFrame:
    """Share of the month's active customers that used each feature.

    ``adoption(M, f) = adopters(M, f) / denominator(M, f)``, where the
    denominator is the customers active in M (any event) and, when
    ``eligible`` lists who can use ``f``, only those of them eligible for it;
    ``adopters`` are denominator customers with at least one ``f`` event in M.
    A feature is the ``event`` column's value.

    Alternatives: denominator = all active customers (default, or features
    missing from ``eligible``) or active customers eligible for the feature
    (``basis`` column says which). Customers who used a feature they were not
    listed as eligible for are counted in ``adopters_not_eligible``, not in
    the share, so it stays within [0, 1] and nothing is lost silently.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``usage_events``, or the table itself.
    start, end : str or Period
        First and last month, inclusive; ``start=None`` = first active month.
    features : list of str, optional
        Features to report (a feature never used gets rows of 0 adoption).
        Default: every event name seen in the period.
    eligible : dict or DataFrame, optional
        ``{feature: customer_ids}`` or a frame with columns ``feature`` and
        ``customer_id``: who can use each feature (e.g. plan-gated features).

    Returns
    -------
    DataFrame
        ``month``, ``feature``, ``active_customers``, ``basis``
        (``"active"`` or ``"active_eligible"``), ``denominator``,
        ``adopters``, ``adoption`` (NaN when the denominator is 0),
        ``adopters_not_eligible``.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b"], "user_id": ["u1", "u1", "u2"],
    ...                    "timestamp": pd.to_datetime(["2026-01-03", "2026-01-04", "2026-01-09"]),
    ...                    "event": ["login", "export", "login"]})
    >>> feature_adoption(ev, end="2026-01")[["month", "feature", "denominator", "adopters", "adoption"]]
         month feature  denominator  adopters  adoption
    0  2026-01  export            2         1       0.5
    1  2026-01   login            2         2       1.0
    """
    events = _events_table(data, "feature_adoption")
    act = _activity(events, start, _end(data, events, end, "feature_adoption"), with_event=True)
    n_months = len(act.months)
    wanted = act.features if features is None else pd.Index(list(features))
    eligible_masks = {} if eligible is None else _eligible_codes(eligible, wanted, act.customers)

    active_c, active_m = _distinct(act.customer, act.month, n_months)
    active = np.bincount(active_m, minlength=n_months)
    # Distinct (customer, feature, month): one int64 key per row.
    n_features = max(len(act.features), 1)
    cf, used_m = _distinct(act.customer * n_features + act.event, act.month, n_months)
    used_c, used_f = cf // n_features, cf % n_features

    frames = []
    for feature in wanted:  # a handful of features, each vectorised over customers
        code = act.features.get_loc(feature) if feature in act.features else -1
        rows = used_f == code
        ok = eligible_masks.get(feature)
        if ok is None:
            denominator, basis = active, "active"
            adopters, outside = np.bincount(used_m[rows], minlength=n_months), np.zeros(n_months, dtype=np.int64)
        else:
            denominator, basis = np.bincount(active_m[ok[active_c]], minlength=n_months), "active_eligible"
            is_ok = ok[used_c[rows]]
            adopters = np.bincount(used_m[rows][is_ok], minlength=n_months)
            outside = np.bincount(used_m[rows][~is_ok], minlength=n_months)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(denominator > 0, adopters / np.maximum(denominator, 1), np.nan)
        frames.append(pd.DataFrame({
            "month": act.months, "feature": feature, "active_customers": active, "basis": basis,
            "denominator": denominator, "adopters": adopters, "adoption": share,
            "adopters_not_eligible": outside}))
    columns = ["month", "feature", "active_customers", "basis", "denominator", "adopters", "adoption",
               "adopters_not_eligible"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["month", "feature"], kind="mergesort", ignore_index=True)[columns]


def _universe(data, act: _Activity, last_day: pd.Timestamp) -> pd.Index:
    """Customers to report on: those with activity, plus (when known) every customer signed up by ``last_day``."""
    ids = act.customers
    if not isinstance(data, pd.DataFrame) and data.has("customers"):
        c = data.customers
        ids = ids.union(pd.Index(c.loc[c["signup_date"] <= last_day, "customer_id"]))
    return pd.Index(ids, name="customer_id").sort_values()


def _seats(data, customers: pd.Index, months: pd.PeriodIndex) -> np.ndarray:
    """Seats (subscriptions.quantity) covering each month's last day, shape (customers, months); NaN if unknown."""
    seats = np.full((len(customers), len(months)), np.nan)
    if isinstance(data, pd.DataFrame) or not data.has("subscriptions") or "quantity" not in data.subscriptions:
        return seats
    subs = data.subscriptions
    rows = customers.get_indexer(subs["customer_id"])
    qty = subs["quantity"].astype("float64").to_numpy()
    for j, m in enumerate(months):  # a handful of months, vectorised over subscriptions
        me = month_end(m)
        live = ((subs["start_date"] <= me) & (subs["end_date"].isna() | (subs["end_date"] > me))).to_numpy()
        live &= rows >= 0
        has = np.zeros(len(customers), dtype=bool)
        has[rows[live]] = True
        total = np.bincount(rows[live], weights=np.nan_to_num(qty[live]), minlength=len(customers))
        seats[has, j] = total[has]
    return seats


def account_usage(data, *, start=None, end) -> pd.DataFrame:
    """Breadth, depth and frequency of use per account and month.

    Per customer c and month M:

    - ``active_users``: distinct users of c active in M;
    - ``active_days``: distinct days in M with any activity of c (frequency);
    - ``events``: occurrences (sum of ``quantity``, 1 per row when absent);
    - ``features_used``: distinct event names (breadth);
    - ``events_per_active_user`` = events / active_users (depth; NaN with no
      active user);
    - ``seats``: ``subscriptions.quantity`` summed over subscriptions covering
      M's last day, and ``seat_utilisation`` = active_users / seats (NaN when
      the data has no seat counts or no seats).

    The rows cover every customer with activity in the period and, when the
    Dataset has ``customers``, every customer signed up by the month's end
    (rows of zeros for inactive months), so a quiet account is visible.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``usage_events`` (optional ``customers`` and
        ``subscriptions``), or the ``usage_events`` table itself.
    start, end : str or Period
        First and last month, inclusive; ``start=None`` = first active month.

    Returns
    -------
    DataFrame
        ``customer_id``, ``month`` and the columns above, sorted by customer
        and month.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": "a", "user_id": ["u1", "u1", "u2"],
    ...                    "timestamp": pd.to_datetime(["2026-01-03", "2026-01-03", "2026-01-09"]),
    ...                    "event": ["login", "export", "login"], "quantity": [1, 4, 1]})
    >>> account_usage(ev, end="2026-01").iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'customer_id': 'a', 'month': Period('2026-01', 'M'), 'active_users': 2, 'active_days': 2,
     'events': 6, 'features_used': 2, 'events_per_active_user': 3.0, 'seats': nan, 'seat_utilisation': nan}
    """
    events = _events_table(data, "account_usage")
    act = _activity(events, start, _end(data, events, end, "account_usage"), with_event=True)
    n_months = len(act.months)
    universe = _universe(data, act, month_end(act.months[-1]))
    row_of = universe.get_indexer(act.customers)  # customer code -> row in the result
    n = len(universe)
    ud_user, ud_day = _distinct(act.user, act.day, act.n_days)  # the customer-user-day table
    users, um = _distinct(ud_user, act.day_month[ud_day], n_months)
    users_c = act.user_customer[users]
    days_c, days_d = _distinct(act.user_customer[ud_user], ud_day, act.n_days)
    n_features = max(len(act.features), 1)
    cf, fm = _distinct(act.customer * n_features + act.event, act.month, n_months)

    active_users = _count(um, n_months, row_of[users_c], n)
    active_days = _count(act.day_month[days_d], n_months, row_of[days_c], n)
    events = _count(act.month, n_months, row_of[act.customer], n, weights=act.quantity.astype(float))
    features_used = _count(fm, n_months, row_of[cf // n_features], n)
    seats = _seats(data, universe, act.months)
    with np.errstate(invalid="ignore", divide="ignore"):
        depth = np.where(active_users > 0, events / np.maximum(active_users, 1), np.nan)
        utilisation = np.where(seats > 0, active_users / np.where(seats > 0, seats, 1), np.nan)
    out = pd.DataFrame({
        "customer_id": np.repeat(universe.to_numpy(), n_months),
        "month": np.tile(act.months, n),
        "active_users": active_users.reshape(-1), "active_days": active_days.reshape(-1),
        "events": np.rint(events).astype(np.int64).reshape(-1), "features_used": features_used.reshape(-1),
        "events_per_active_user": depth.reshape(-1), "seats": seats.reshape(-1),
        "seat_utilisation": utilisation.reshape(-1)})
    if not isinstance(data, pd.DataFrame) and data.has("customers"):
        signup = data.customers.set_index("customer_id")["signup_date"].reindex(out["customer_id"]).to_numpy()
        ends = np.tile(np.asarray([month_end(m).to_datetime64() for m in act.months]), n)
        out = out[~(signup > ends)].reset_index(drop=True)  # no rows before a customer existed
    return out


_TREND_MEASURES = ("user_days", "active_days", "events")


def usage_trend(data, *, as_of, window_months: int = 3, measure: str = "user_days") -> pd.DataFrame:
    """Change in each account's activity: the last N months against the N before.

    With monthly activity ``y_1 .. y_2N`` (oldest first) over the 2N complete
    months ending at ``as_of``:

    - ``previous = y_1 + .. + y_N``, ``recent = y_N+1 + .. + y_2N``;
    - ``ratio = recent / previous`` (NaN when ``previous`` is 0: no baseline);
    - ``slope``: least-squares slope of ``y`` on month number 0..2N-1, in
      measure units per month (``numpy.polyfit`` on all accounts at once);
    - ``relative_slope = slope / mean(y)``: the monthly change as a share of
      the account's own average level (NaN when the mean is 0), so small and
      large accounts compare.

    The window ends with the last complete month on or before ``as_of``
    (a partial month would read as a decline); events after it are ignored.
    Accounts that signed up inside the window have a short baseline and so a
    high ratio: read the ratio with signup dates in mind.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``usage_events`` (and ``customers``, to include
        accounts with no activity at all), or the ``usage_events`` table.
    as_of : str or Timestamp
        The day the trend is measured at.
    window_months : int
        N, months in each half of the comparison.
    measure : {"user_days", "active_days", "events"}
        Monthly activity: sum over days of the account's active users
        (default; counts both how many use it and how often), days with any
        activity, or occurrences (sum of ``quantity``).

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id``, ``previous``, ``recent``,
        ``ratio``, ``slope``, ``relative_slope``.

    Examples
    --------
    Account a: 1 user-day in each of Jan-Mar, 2 in each of Apr-Jun.

    >>> ts = pd.to_datetime(["2026-01-05", "2026-02-05", "2026-03-05"] +
    ...                     [f"2026-0{m}-0{d}" for m in (4, 5, 6) for d in (1, 2)])
    >>> ev = pd.DataFrame({"customer_id": "a", "user_id": "u1", "timestamp": ts, "event": "login"})
    >>> usage_trend(ev, as_of="2026-06-30")
      customer_id  previous  recent  ratio     slope  relative_slope
    0           a       3.0     6.0    2.0  0.257143        0.171429
    """
    if measure not in _TREND_MEASURES:
        raise ValueError(f"measure must be one of {_TREND_MEASURES}, not {measure!r}.")
    window_months = whole_number(window_months, "window_months")
    last = latest_complete_month(as_of_day(as_of))
    n_months = 2 * window_months
    events = _events_table(data, "usage_trend")
    _end(data, events, last, "usage_trend", name="as_of")
    act = _activity(events, last - (n_months - 1), last)
    universe = _universe(data, act, month_end(last))
    row_of = universe.get_indexer(act.customers)
    if measure == "user_days":
        users, days = _distinct(act.user, act.day, act.n_days)
        y = _count(act.day_month[days], n_months, row_of[act.user_customer[users]], len(universe))
    elif measure == "active_days":
        users, days = _distinct(act.user, act.day, act.n_days)
        cust, days = _distinct(act.user_customer[users], days, act.n_days)
        y = _count(act.day_month[days], n_months, row_of[cust], len(universe))
    else:
        y = _count(act.month, n_months, row_of[act.customer], len(universe), weights=act.quantity.astype(float))
    y = y.astype(float)
    previous, recent = y[:, :window_months].sum(axis=1), y[:, window_months:].sum(axis=1)
    slope = np.polyfit(np.arange(n_months), y.T, 1)[0] if len(universe) else np.empty(0)
    level = y.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(previous > 0, recent / np.where(previous > 0, previous, 1), np.nan)
        relative = np.where(level > 0, slope / np.where(level > 0, level, 1), np.nan)
    return pd.DataFrame({"customer_id": universe.to_numpy(), "previous": previous, "recent": recent,
                         "ratio": ratio, "slope": slope, "relative_slope": relative})


# -- the report page ---------------------------------------------------------------
#: Usage-trend classes, in the order the page lists them.
TREND_CLASSES = ("steady or growing", "fell a little", "fell far", "stopped using", "new use (no baseline)",
                 "no use in either window")


@dataclass(frozen=True)
class EngagementPage:
    """Everything the engagement page shows, each part computed or saying why not (:func:`engagement_page`).

    Attributes
    ----------
    month : Period
        The reporting month.
    segment : str
        The segment reported on (``"all"``: every customer).
    active, stickiness, adoption, depth, trend, watch : PagePart
        Active accounts and users per month; DAU/MAU of users and accounts
        per month; feature adoption (features x last three months); quartiles
        of usage depth among the month's active accounts; accounts per usage
        trend class; the largest accounts whose usage fell far or stopped.
    """

    month: pd.Period
    segment: str
    active: object
    stickiness: object
    adoption: object
    depth: object
    trend: object
    watch: object

    def headline(self):
        """The page's first sentence (the segment named in a segment report), escaped."""
        from ..display import text

        where = "" if self.segment in ("", "all") else "Segment **{segment}**: "
        if not self.active.available:
            from .pages import reason_headline

            return reason_headline(self.segment, self.active.reason)
        v = self.active.values
        sticky = self.stickiness.values.get("stickiness_users")
        return text(where + "{accounts:int} accounts and {users:int} users were active in {month}; on an average "
                    "day {sticky:share} of the month's active users used the product.", segment=self.segment,
                    accounts=v["active_accounts"], users=v["active_users"], month=str(self.month), sticky=sticky)

    def key_numbers(self) -> list:
        """The page's recorded numbers (see :func:`engagement_key_numbers`)."""
        from ..key_numbers import KeyNumber

        period, a, s, t = self.month, self.active, self.stickiness, self.trend
        note = {} if a.available else {"note": a.reason}
        falls_to = t.values.get("falls_to", "fell far")
        return [
            KeyNumber("stickiness", s.values.get("stickiness_users"), "share", "Stickiness (DAU/MAU)",
                      {"convention": "mean daily active users over calendar days / monthly active users", **note}),
            KeyNumber("stickiness_accounts", s.values.get("stickiness_accounts"), "share",
                      "Account stickiness (daily / monthly active accounts)", {"scorecard": False, **note}),
            KeyNumber("active_accounts", a.values.get("active_accounts"), "customers",
                      f"Active accounts in {period}", dict(note)),
            KeyNumber("active_users", a.values.get("active_users"), "users", f"Active users in {period}",
                      {"scorecard": False, **note}),
            KeyNumber("falling_usage_accounts", t.values.get("falling"), "customers",
                      f"Paying accounts whose usage {falls_to} or stopped",
                      {"scorecard": False, **({} if t.available else {"note": t.reason})}),
        ]


def engagement_page(ds, *, month, trend_months: int = 12, window_months: int = 3, decline_ratio: float = 0.5,
                    segment: str = "all") -> EngagementPage:
    """The engagement page of the report for ``month``: every table, chart input and key number.

    Each part is a :class:`~csm_kit.metrics.pages.PagePart`: a table and its
    headline numbers, or one sentence saying why it could not be computed
    (no ``usage_events`` table, no activity in the month...). The parts are:

    - ``active``: :func:`active_accounts` over the ``trend_months`` months
      ending at ``month`` (from the first month with activity);
    - ``stickiness``: :func:`stickiness` of users and of accounts;
    - ``adoption``: :func:`feature_adoption` of each feature in the last
      three months, ordered by this month's adoption;
    - ``depth``: quartiles of :func:`account_usage` over the accounts active
      in ``month`` (and how many of the accounts signed up by its end were);
    - ``trend`` and ``watch``: :func:`usage_trend` (user-days, the last
      ``window_months`` complete months against the ones before) of the
      accounts paying at the month end (every account when the data has no
      subscriptions), each put in one class of :data:`TREND_CLASSES`:
      no use in either window; new use (none before); stopped (none now);
      fell far (``ratio <= decline_ratio``); fell a little (``ratio < 1``);
      steady or growing. ``watch`` lists the accounts that fell far or
      stopped, largest MRR first.

    The page is computed once per Dataset object and parameters (the
    notebook and :func:`engagement_key_numbers` share it), so don't change a
    Dataset's tables in place between calls.

    Parameters
    ----------
    ds : Dataset
        The report's data (already restricted to the segment).
    month : str or Period
        The reporting month, ``"YYYY-MM"``; refused when after the data.
    trend_months : int
        Months of history in the series.
    window_months : int
        N of the usage trend.
    decline_ratio : float
        Recent / earlier use at or below which an account "fell far".
    segment : str
        The segment's name, for the headline only.

    Returns
    -------
    EngagementPage

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> page = engagement_page(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), month="2026-10")
    >>> page.active.available, page.active.reason
    (False, 'This data set has no usage_events table, so active accounts cannot be measured.')
    >>> [k.value for k in page.key_numbers()]
    [None, None, None, None, None]
    """
    trend_months = whole_number(trend_months, "trend_months")
    if not 0 <= decline_ratio < 1:
        raise ValueError(f"decline_ratio must be at least 0 and below 1, not {decline_ratio!r}.")
    page = _engagement_page(ds, str(to_month(month)), int(trend_months), window_months, float(decline_ratio))
    return dataclasses.replace(page, segment=str(segment))


@functools.lru_cache(maxsize=2)
def _engagement_page(ds, month: str, trend_months: int, window_months: int, decline_ratio: float) -> EngagementPage:
    period, segment = to_month(month), "all"  # the segment only names the page: set by engagement_page
    parts = dict.fromkeys(("active", "stickiness", "adoption", "depth", "trend", "watch"))
    if not ds.has("usage_events"):
        for name, what in (("active", "active accounts"), ("stickiness", "stickiness"),
                           ("adoption", "feature adoption"), ("depth", "usage depth"), ("trend", "the usage trend"),
                           ("watch", "falling usage")):
            parts[name] = unavailable(missing_reason(["usage_events"], what))
        return EngagementPage(period, segment, **parts)
    late = after_data_reason(ds, period)
    if late:
        return EngagementPage(period, segment, **{k: unavailable(late) for k in parts})
    first = period - (trend_months - 1)
    parts["active"] = _active_part(ds, period, first)
    parts["stickiness"] = _stickiness_part(ds, period, first)
    parts["adoption"] = _adoption_part(ds, period)
    parts["depth"] = _depth_part(ds, period)
    parts["trend"], parts["watch"] = _trend_parts(ds, period, window_months, decline_ratio)
    return EngagementPage(period, segment, **parts)


def _active_part(ds, period, first):
    active = active_accounts(ds, end=period)
    active = active[active["month"] >= first].reset_index(drop=True)
    now = active[active["month"] == period].iloc[0]
    return PagePart(frame=active, shown=active.tail(6), formats={"active_users": "int", "active_accounts": "int"},
                    values={"active_accounts": int(now["active_accounts"]), "active_users": int(now["active_users"])})


def _stickiness_part(ds, period, first):
    users = stickiness(ds, end=period)
    accounts = stickiness(ds, end=period, level="account")
    sticky = users[["month", "mean_daily_active", "monthly_active"]].assign(
        stickiness_users=users["stickiness"].to_numpy(), stickiness_accounts=accounts["stickiness"].to_numpy())
    sticky = sticky[sticky["month"] >= first].reset_index(drop=True)
    now = sticky[sticky["month"] == period].iloc[0]
    values = {k: (None if pd.isna(now[k]) else float(now[k])) for k in ("stickiness_users", "stickiness_accounts")}
    return PagePart(frame=sticky, shown=sticky.tail(6), values=values,
                    formats={"mean_daily_active": "decimal", "monthly_active": "int", "stickiness_users": "share",
                             "stickiness_accounts": "share"},
                    labels={"mean_daily_active": "Daily active users (mean)", "monthly_active": "Monthly active users",
                            "stickiness_users": "Stickiness, users", "stickiness_accounts": "Stickiness, accounts"})


def _adoption_part(ds, period):
    first = ds.usage_events["timestamp"].min()
    start = period - 2 if pd.isna(first) else min(max(period - 2, first.to_period("M")), period)
    adoption = feature_adoption(ds, start=start, end=period)  # the last three months, none before the data
    now = adoption[(adoption["month"] == period) & (adoption["denominator"] > 0)]
    if now.empty:
        return unavailable(f"No account was active in {period}, so no feature adoption can be measured.")
    now = now.sort_values(["adoption", "feature"], ascending=[False, True], kind="mergesort", ignore_index=True)
    wide = adoption.pivot(index="feature", columns="month", values="adoption").reindex(now["feature"])
    wide.columns = [str(m) for m in wide.columns]
    return PagePart(frame=now[["feature", "denominator", "adopters", "adoption"]], shown=wide,
                    formats={c: "share" for c in wide.columns}, index=True,
                    labels={"feature": "Feature"}, values={"denominator": int(now["denominator"].iloc[0])})


_DEPTH_MEASURES = {"active_users": "Active users", "active_days": "Active days",
                   "events_per_active_user": "Events per active user", "features_used": "Features used",
                   "seat_utilisation": "Seat utilisation (active users / seats)"}


def _depth_part(ds, period):
    usage = account_usage(ds, start=period, end=period)
    active = usage[usage["active_users"] > 0].reset_index(drop=True)
    if active.empty:
        return unavailable(f"No account was active in {period}, so usage depth cannot be measured.")
    rows = []
    for column, name in _DEPTH_MEASURES.items():
        v = active[column].dropna().to_numpy(dtype=float)
        q = np.percentile(v, [25, 50, 75]) if len(v) else [np.nan] * 3
        rows.append({"measure": name, "accounts": len(v), "q1": q[0], "median": q[1], "q3": q[2]})
    return PagePart(frame=active, shown=pd.DataFrame(rows),
                    formats={"accounts": "int", "q1": "ratio", "median": "ratio", "q3": "ratio"},
                    labels={"measure": "Measure", "accounts": "Accounts", "q1": "25%", "median": "Median", "q3": "75%"},
                    values={"active": len(active), "accounts": len(usage), "as_of": month_end(period),
                            "days_in_month": int(period.days_in_month)},
                    caption=f"{len(active):,} of {len(usage):,} accounts signed up by {month_end(period).date()} "
                            f"were active in {period}.")


def _trend_parts(ds, period, window_months, decline_ratio):
    trend = usage_trend(ds, as_of=month_end(period), window_months=window_months)
    if ds.has("subscriptions"):
        from .ledger import month_end_mrr

        mrr = month_end_mrr(ds, period, period).iloc[:, 0].rename("mrr")
        trend = trend.join(mrr, on="customer_id")
        trend = trend[trend["mrr"] > 0].reset_index(drop=True)
        basis = f"paying accounts on {month_end(period).date()}"
    else:
        basis = "accounts (no subscriptions table: paying status unknown)"
    falls_to = f"fell to {decline_ratio:.0%} or less"
    trend["trend"] = np.select(
        [(trend["previous"] == 0) & (trend["recent"] == 0), trend["previous"] == 0, trend["recent"] == 0,
         trend["ratio"] <= decline_ratio, trend["ratio"] < 1],
        ["no use in either window", "new use (no baseline)", "stopped using", "fell far", "fell a little"],
        default="steady or growing")
    counts = trend["trend"].value_counts().reindex(list(TREND_CLASSES), fill_value=0)
    counts = pd.DataFrame({"trend": [falls_to if c == "fell far" else c for c in TREND_CLASSES],
                           "accounts": counts.to_numpy()})
    falling = trend[trend["trend"].isin(["fell far", "stopped using"])]
    values = {"falling": len(falling), "accounts": len(trend), "basis": basis, "falls_to": falls_to,
              "window_months": window_months}
    trend_part = PagePart(frame=counts, formats={"accounts": "int"}, values=values)
    if ds.has("customers"):
        extra = [c for c in ("segment", "plan") if c in ds.customers.columns]
        falling = falling.join(ds.customers.set_index("customer_id")[extra], on="customer_id")
    order = "mrr" if "mrr" in falling else "previous"
    watch = falling.sort_values([order, "customer_id"], ascending=[False, True], kind="mergesort")
    shown = [c for c in ("customer_id", "segment", "plan", "mrr", "previous", "recent", "ratio") if c in watch]
    watch = watch[shown].reset_index(drop=True)
    caption = (f"{len(watch):,} {basis} whose usage {falls_to} or stopped"
               + ("; the 20 largest:" if len(watch) > 20 else "." if watch.empty else ":"))
    watch_part = PagePart(frame=watch, shown=watch.head(20), values=values, caption=caption,
                          formats={"mrr": "money", "previous": "int", "recent": "int", "ratio": "share"},
                          labels={"previous": "User-days before", "recent": "User-days now",
                                  "ratio": "Now / before"})
    return trend_part, watch_part


def engagement_key_numbers(ds, *, month, trend_months: int = 12, window_months: int = 3, decline_ratio: float = 0.5,
                           **report_parameters) -> list:
    """The engagement page's key numbers, for the scorecard, the index and ``metrics.json``.

    ``stickiness`` (users' DAU/MAU in ``month``), ``stickiness_accounts``,
    ``active_accounts``, ``active_users`` and ``falling_usage_accounts``
    (paying accounts whose usage fell to ``decline_ratio`` or less of before,
    or stopped), all read from :func:`engagement_page` with the same
    parameters, so the page and the index cannot disagree. A number that
    cannot be computed has value None and a ``note`` saying why.

    Parameters
    ----------
    ds : Dataset
        The report's data.
    month : str or Period
        The reporting month.
    trend_months, window_months, decline_ratio
        The notebook's parameters (see :func:`engagement_page`).
    **report_parameters
        ``data``, ``segment``, ``teaching`` may be passed and are not used;
        anything else is refused.

    Returns
    -------
    list of KeyNumber

    Examples
    --------
    >>> from csm_kit import simulate
    >>> numbers = engagement_key_numbers(simulate(n_customers=30, start="2026-01", months=4, seed=3), month="2026-04")
    >>> [k.name for k in numbers]
    ['stickiness', 'stickiness_accounts', 'active_accounts', 'active_users', 'falling_usage_accounts']
    """
    check_report_parameters("engagement_key_numbers", report_parameters)
    return engagement_page(ds, month=month, trend_months=trend_months, window_months=window_months,
                           decline_ratio=decline_ratio).key_numbers()


def stickiness_worked_example() -> pd.DataFrame:
    """The teaching example: one account, two users in February 2026 (28 days), by hand and by the kit.

    u1 is active on the 1st to the 14th, u2 on the 1st to the 7th. Users:
    mean DAU = (14 + 7) / 28 = 0.75, MAU = 2, DAU/MAU = 0.375. Accounts: the
    account is active on 14 days, 14 / 28 = 0.5, one monthly active account,
    ratio 0.5.

    >>> stickiness_worked_example()[["level", "by_hand", "kit"]]
          level  by_hand    kit
    0     users    0.375  0.375
    1  accounts    0.500  0.500
    """
    days = pd.date_range("2026-02-01", periods=14, freq="D")
    events = pd.DataFrame({"customer_id": "a", "user_id": ["u1"] * 14 + ["u2"] * 7,
                           "timestamp": days.append(days[:7]), "event": "login"})
    return pd.DataFrame({
        "level": ["users", "accounts"],
        "formula": ["mean DAU (14 + 7) / 28 = 0.75, MAU 2: 0.75 / 2", "active on 14 of 28 days, 1 account: 14 / 28"],
        "by_hand": [(14 + 7) / 28 / 2, 14 / 28],
        "kit": [float(stickiness(events, end="2026-02")["stickiness"].iloc[0]),
                float(stickiness(events, end="2026-02", level="account")["stickiness"].iloc[0])]})
