"""Onboarding: completion within N days, adoption (first value) and time to value.

Conventions
-----------
- Days are calendar days: a milestone completed at any time on day
  ``signup_date + k`` took ``k`` days. "Within N days" means ``k <= N``.
- ``as_of`` is a day; everything up to its end is known. Milestones completed
  after ``as_of`` are ignored (they were not known then), so re-running an old
  month gives the same numbers. Customers who signed up after ``as_of`` do
  not exist yet.
- A milestone completed before the signup day is impossible and raises
  :class:`~csm_kit.exceptions.DataValidationError` naming the rows.
- Cohorts: ``by="signup_month"`` (default for rates), any ``customers``
  column (``"segment"``, ``"plan"``...), a list of those, or ``None`` (all).
  Empty values form the group ``"(missing)"``.
- An ``as_of`` in a month after the data is refused (every window would
  look closed), naming the data's last complete month.
- The report page (:func:`onboarding_page`) and its key numbers
  (:func:`onboarding_key_numbers`) are built from these functions; charts
  are in :mod:`csm_kit.plotting.onboarding`.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from ..arguments import whole_number
from ..exceptions import DataValidationError, MissingTableError
from ..periods import as_of_day, months as month_range
from .pages import (MISSING_GROUP, check_report_parameters, last_dated_day, offending_rows as _rows,
                    refuse_months_after_data)

_IN_WINDOW = ("exclude", "include")
_REACHED_BY_DAYS = (30, 60, 90)


# -- input --------------------------------------------------------------------
def _tables(data, fn: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """customers, onboarding and milestones, checked against each other."""
    data.require("customers", "onboarding", "milestones", by=fn)
    customers, onboarding, milestones = data.customers, data.onboarding, data.milestones
    for name, table, cols in (("customers", customers, ("customer_id", "signup_date")),
                              ("onboarding", onboarding, ("customer_id", "milestone", "completed_at")),
                              ("milestones", milestones, ("milestone", "required", "first_value"))):
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise MissingTableError(f"{fn} needs {name} column(s) {missing}, which the table does not have.")
    unknown = ~onboarding["milestone"].isin(milestones["milestone"]).to_numpy()
    if unknown.any():
        raise DataValidationError("onboarding", "milestone", "must be one of milestones.milestone",
                                  rows=_rows(onboarding, unknown))
    twice = onboarding.duplicated(["customer_id", "milestone"], keep=False).to_numpy()
    if twice.any():
        raise DataValidationError("onboarding", "milestone", "a customer reaches each milestone once",
                                  rows=_rows(onboarding, twice))
    signup = onboarding["customer_id"].map(customers.set_index("customer_id")["signup_date"])
    stranger = signup.isna().to_numpy()
    if stranger.any():
        raise DataValidationError("onboarding", "customer_id", "must be a customer with a signup_date",
                                  rows=_rows(onboarding, stranger))
    early = (onboarding["completed_at"].dt.normalize() < signup).to_numpy()
    if early.any():
        raise DataValidationError("onboarding", "completed_at", "a milestone cannot be completed before signup",
                                  rows=_rows(onboarding.assign(signup_date=signup), early))
    return customers, onboarding, milestones


@dataclass(frozen=True)
class _CheckedDay:
    """A day already checked against the whole data set (the page checks once, then works on a subset of it)."""

    day: pd.Timestamp


def _as_of(data, as_of, fn: str) -> pd.Timestamp:
    """``as_of`` as a day, refused when the data does not reach its month (every window would look closed)."""
    if isinstance(as_of, _CheckedDay):
        return as_of.day
    day = as_of_day(as_of)
    refuse_months_after_data(day.to_period("M"), last_dated_day(data), fn=fn, name="as_of")
    return day


def _first_value_milestone(milestones: pd.DataFrame) -> str:
    flagged = milestones.loc[milestones["first_value"].astype(bool), "milestone"]
    if len(flagged) != 1:
        raise DataValidationError("milestones", "first_value", "exactly one milestone marks first value",
                                  detail=f"found {len(flagged)}: {list(flagged)[:5]}")
    return flagged.iloc[0]


def _cohorts(customers: pd.DataFrame, by) -> tuple[pd.DataFrame, list[str]]:
    """The cohort key columns of each customer and the list of their names."""
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    out = pd.DataFrame(index=customers.index)
    for key in keys:
        if key == "signup_month":
            out[key] = customers["signup_date"].dt.to_period("M")
        elif key in customers.columns:
            out[key] = customers[key].astype(object).where(customers[key].notna(), MISSING_GROUP)
        else:
            raise MissingTableError(f"by={key!r} is neither 'signup_month' nor a customers column.")
    return out, keys


def _complete_grid(table: pd.DataFrame, keys: list[str], fill: dict) -> pd.DataFrame:
    """Add zero rows for cohorts without customers (every signup month between the first and last)."""
    if not keys or table.empty:
        return table
    levels = []
    for key in keys:
        values = table.index.get_level_values(key).unique()
        levels.append(month_range(values.min(), values.max()) if key == "signup_month" else values.sort_values())
    full = pd.MultiIndex.from_product(levels, names=keys) if len(keys) > 1 else pd.Index(levels[0], name=keys[0])
    return table.reindex(full).fillna(fill)


def _known_days(onboarding: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Milestones known at ``as_of``: customer_id, milestone, days since signup (whole calendar days)."""
    day = onboarding["completed_at"].dt.normalize()
    known = onboarding.loc[(day <= as_of).to_numpy(), ["customer_id", "milestone"]].copy()
    signup = known["customer_id"].map(customers.set_index("customer_id")["signup_date"])
    known["days"] = (day[known.index] - signup).dt.days
    return known


# -- completion rates -----------------------------------------------------------
def _share_within(data, fn: str, which: str, within_days: int, as_of, by, in_window: str) -> pd.DataFrame:
    """Per cohort, customers who completed every milestone of ``which`` within ``within_days``."""
    if in_window not in _IN_WINDOW:
        raise ValueError(f"in_window must be one of {_IN_WINDOW}, not {in_window!r}.")
    within_days = whole_number(within_days, "within_days", minimum=0, unit="days")
    customers, onboarding, milestones = _tables(data, fn)
    as_of = _as_of(data, as_of, fn)
    if which == "required":
        targets = milestones.loc[milestones["required"].astype(bool), "milestone"]
        if targets.empty:
            raise DataValidationError("milestones", "required", "at least one milestone must be required")
    else:
        targets = pd.Series([_first_value_milestone(milestones)])
    cust = customers[customers["signup_date"] <= as_of]
    known = _known_days(onboarding, cust, as_of)
    hits = known[known["milestone"].isin(targets) & (known["days"] <= within_days)]
    done = hits.groupby("customer_id").size() == targets.nunique()
    completed = cust["customer_id"].isin(done.index[done.to_numpy()]).to_numpy()
    waiting = (cust["signup_date"] + pd.Timedelta(days=within_days) > as_of).to_numpy()
    counted = ~waiting if in_window == "exclude" else np.ones(len(cust), dtype=bool)

    keys_frame, keys = _cohorts(cust, by)
    flags = pd.DataFrame({"customers": 1, "still_in_window": waiting.astype(int),
                          "denominator": counted.astype(int), "completed": (completed & counted).astype(int),
                          "completed_in_window": (completed & waiting).astype(int)}, index=cust.index)
    if keys:
        table = flags.join(keys_frame).groupby(keys, sort=True).sum()
        table = _complete_grid(table, keys, 0).astype(np.int64).reset_index()
    else:
        table = flags.sum().to_frame().T.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rate"] = np.where(table["denominator"] > 0,
                                 table["completed"] / table["denominator"].where(table["denominator"] > 0, 1),
                                 np.nan)
    table["within_days"] = within_days
    return table


def onboarding_completion(data, *, within_days: int = 90, as_of, by="signup_month",
                          in_window: str = "exclude") -> pd.DataFrame:
    """Share of each signup cohort that completed all required milestones within N days.

    ``completion_rate = completed / denominator``, where ``completed``
    counts customers with every ``milestones.required`` milestone done at
    most ``within_days`` calendar days after signup (and known by ``as_of``).

    Convention for customers whose N-day window has not ended by ``as_of``
    (``signup_date + N > as_of``), reported in ``still_in_window``:

    - ``in_window="exclude"`` (default): left out of the denominator, as
      their outcome is not known yet. Young cohorts then rest on few
      customers; ``denominator`` shows how many.
    - ``in_window="include"``: counted, with what they completed so far. A
      lower bound, biased down for recent cohorts.

    ``completed_in_window`` counts window customers who already finished,
    whatever the convention.

    Parameters
    ----------
    data : Dataset
        With ``customers``, ``onboarding`` and ``milestones``.
    within_days : int
        N, calendar days allowed after signup.
    as_of : str or Timestamp
        The day the data is known up to (a month ``"YYYY-MM"`` means its last day).
    by : str, list of str or None
        ``"signup_month"``, a ``customers`` column, a list of those, or None.
    in_window : {"exclude", "include"}
        See above.

    Returns
    -------
    DataFrame
        Cohort columns, ``customers`` (signed up by ``as_of``),
        ``still_in_window``, ``denominator``, ``completed``,
        ``completed_in_window``, ``completion_rate`` (NaN when the
        denominator is 0), ``within_days``. Signup months without customers
        are rows of zeros.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> ds = Dataset(
    ...     customers=pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                             "signup_date": pd.to_datetime(["2026-01-01", "2026-01-10", "2026-03-20"])}),
    ...     milestones=pd.DataFrame({"milestone": ["setup", "invite"], "order": [1, 2],
    ...                              "required": [True, True], "first_value": [True, False]}),
    ...     onboarding=pd.DataFrame({"customer_id": ["a", "a", "b"], "milestone": ["setup", "invite", "setup"],
    ...                              "completed_at": pd.to_datetime(["2026-01-02", "2026-01-20", "2026-01-11"])}))
    >>> onboarding_completion(ds, within_days=30, as_of="2026-03-31")[
    ...     ["signup_month", "still_in_window", "denominator", "completed", "completion_rate"]]
      signup_month  still_in_window  denominator  completed  completion_rate
    0      2026-01                0            2          1              0.5
    1      2026-02                0            0          0              NaN
    2      2026-03                1            0          0              NaN
    """
    table = _share_within(data, "onboarding_completion", "required", within_days, as_of, by, in_window)
    return table.rename(columns={"rate": "completion_rate"})


def adoption_rate(data, *, within_days: int = 30, as_of, by="signup_month",
                  in_window: str = "exclude") -> pd.DataFrame:
    """Share of each signup cohort that reached first value within N days.

    ``adoption_rate = reached / denominator``: customers whose
    ``milestones.first_value`` milestone was done at most ``within_days``
    calendar days after signup. The denominator follows the same
    ``in_window`` convention as :func:`onboarding_completion` (default: leave
    out customers whose window is still open at ``as_of``). For the whole
    distribution of days to first value, censoring included, see
    :func:`time_to_value`.

    Parameters
    ----------
    data : Dataset
        With ``customers``, ``onboarding`` and ``milestones``.
    within_days : int
        N, calendar days allowed after signup (default 30).
    as_of : str or Timestamp
        The day the data is known up to.
    by : str, list of str or None
        ``"signup_month"``, a ``customers`` column, a list of those, or None.
    in_window : {"exclude", "include"}
        Whether customers still in their window count in the denominator.

    Returns
    -------
    DataFrame
        Cohort columns, ``customers``, ``still_in_window``, ``denominator``,
        ``reached``, ``reached_in_window``, ``adoption_rate``, ``within_days``.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> ds = Dataset(
    ...     customers=pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2)}),
    ...     milestones=pd.DataFrame({"milestone": ["setup", "report"], "order": [1, 2],
    ...                              "required": [True, True], "first_value": [False, True]}),
    ...     onboarding=pd.DataFrame({"customer_id": ["a"], "milestone": ["report"],
    ...                              "completed_at": pd.to_datetime(["2026-01-15"])}))
    >>> adoption_rate(ds, as_of="2026-01-31", by=None)[["customers", "denominator", "reached", "adoption_rate"]]
       customers  denominator  reached  adoption_rate
    0          2            2        1            0.5
    """
    table = _share_within(data, "adoption_rate", "first_value", within_days, as_of, by, in_window)
    return table.rename(columns={"completed": "reached", "completed_in_window": "reached_in_window",
                                 "rate": "adoption_rate"})


def milestone_completion(data, *, within_days: int = 90, as_of, by=None,
                         in_window: str = "exclude") -> pd.DataFrame:
    """Completion rate of every milestone within N days, per cohort (a long table).

    ``completion_rate(m) = customers with m done within N days / denominator``,
    with the denominator of :func:`onboarding_completion` (``in_window``
    convention: by default customers whose window is open at ``as_of`` are
    left out). Shows where onboarding stalls: the rates fall along the plan.

    Parameters
    ----------
    data : Dataset
        With ``customers``, ``onboarding`` and ``milestones``.
    within_days : int
        N, calendar days allowed after signup.
    as_of : str or Timestamp
        The day the data is known up to.
    by : str, list of str or None
        ``"signup_month"``, a ``customers`` column, a list of those, or None.
    in_window : {"exclude", "include"}
        Whether customers still in their window count in the denominator.

    Returns
    -------
    DataFrame
        Cohort columns, ``milestone``, ``order``, ``required``,
        ``first_value``, ``denominator``, ``completed``, ``completion_rate``;
        ordered by cohort and plan order.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> ds = Dataset(
    ...     customers=pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2)}),
    ...     milestones=pd.DataFrame({"milestone": ["setup", "report"], "order": [1, 2],
    ...                              "required": [True, False], "first_value": [False, True]}),
    ...     onboarding=pd.DataFrame({"customer_id": ["a", "b", "b"], "milestone": ["setup", "setup", "report"],
    ...                              "completed_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-05-01"])}))
    >>> milestone_completion(ds, within_days=30, as_of="2026-05-31")[["milestone", "completed", "completion_rate"]]
      milestone  completed  completion_rate
    0     setup          2              1.0
    1    report          0              0.0
    """
    if in_window not in _IN_WINDOW:
        raise ValueError(f"in_window must be one of {_IN_WINDOW}, not {in_window!r}.")
    within_days = whole_number(within_days, "within_days", minimum=0, unit="days")
    customers, onboarding, milestones = _tables(data, "milestone_completion")
    as_of = _as_of(data, as_of, "milestone_completion")
    cust = customers[customers["signup_date"] <= as_of]
    waiting = cust["signup_date"] + pd.Timedelta(days=within_days) > as_of
    counted = cust[~waiting] if in_window == "exclude" else cust
    keys_frame, keys = _cohorts(counted, by)
    group_of = keys_frame.set_index(counted["customer_id"]) if keys else None

    known = _known_days(onboarding, counted, as_of)
    hits = known[known["days"] <= within_days]
    plan = milestones[["milestone"] + [c for c in ("order",) if c in milestones] + ["required", "first_value"]]
    if keys:
        denominators = keys_frame.groupby(keys, sort=True).size()
        denominators = _complete_grid(denominators.to_frame("denominator"), keys, 0)["denominator"]
        done = hits.join(group_of, on="customer_id").groupby(keys + ["milestone"]).size()
        grid = denominators.reset_index().merge(plan, how="cross")
        grid["completed"] = pd.MultiIndex.from_frame(grid[keys + ["milestone"]]).map(done.to_dict())
    else:
        grid = plan.assign(denominator=len(counted))
        grid["completed"] = grid["milestone"].map(hits.groupby("milestone").size())
    grid["completed"] = grid["completed"].fillna(0).astype(np.int64)
    grid["denominator"] = grid["denominator"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid["completion_rate"] = np.where(grid["denominator"] > 0, grid["completed"] / grid["denominator"]
                                           .where(grid["denominator"] > 0, 1), np.nan)
    order = keys + (["order"] if "order" in grid else []) + ["milestone"]
    grid = grid.sort_values(order, kind="mergesort", ignore_index=True)
    grid["within_days"] = within_days
    return grid[keys + [c for c in plan.columns] + ["denominator", "completed", "completion_rate", "within_days"]]


# -- time to value ------------------------------------------------------------
def time_to_value_durations(data, *, as_of) -> pd.DataFrame:
    """Days from signup to first value for every customer, censored at ``as_of``.

    ``days = day(first value) - signup_date`` for customers who reached the
    ``milestones.first_value`` milestone by ``as_of`` (``reached=True``);
    ``days = as_of - signup_date`` for the others (``reached=False``: right
    censored, they may still get there). This is the per-customer log behind
    :func:`time_to_value`.

    Parameters
    ----------
    data : Dataset
        With ``customers``, ``onboarding`` and ``milestones``.
    as_of : str or Timestamp
        The day the data is known up to.

    Returns
    -------
    DataFrame
        ``customer_id``, ``signup_date``, ``value_date`` (NaT when not
        reached), ``days`` (int), ``reached`` (bool); one row per customer
        signed up by ``as_of``, in customers-table order.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> ds = Dataset(
    ...     customers=pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2)}),
    ...     milestones=pd.DataFrame({"milestone": ["report"], "order": [1], "required": [True],
    ...                              "first_value": [True]}),
    ...     onboarding=pd.DataFrame({"customer_id": ["a"], "milestone": ["report"],
    ...                              "completed_at": pd.to_datetime(["2026-01-15 14:00"])}))
    >>> time_to_value_durations(ds, as_of="2026-01-31")
      customer_id signup_date value_date  days  reached
    0           a  2026-01-01 2026-01-15    14     True
    1           b  2026-01-01        NaT    30    False
    """
    return _durations(data, as_of, "time_to_value_durations")


def _durations(data, as_of, fn: str) -> pd.DataFrame:
    """:func:`time_to_value_durations`, its errors naming ``fn`` (the public function called)."""
    customers, onboarding, milestones = _tables(data, fn)
    as_of = _as_of(data, as_of, fn)
    first_value = _first_value_milestone(milestones)
    cust = customers[customers["signup_date"] <= as_of]
    reached = onboarding[(onboarding["milestone"] == first_value)
                         & (onboarding["completed_at"].dt.normalize() <= as_of)]
    value_date = cust["customer_id"].map(reached.set_index("customer_id")["completed_at"].dt.normalize())
    out = pd.DataFrame({"customer_id": cust["customer_id"].to_numpy(),
                        "signup_date": cust["signup_date"].to_numpy(),
                        "value_date": value_date.to_numpy()})
    out["reached"] = out["value_date"].notna()
    out["days"] = (out["value_date"].fillna(as_of) - out["signup_date"]).dt.days.astype(np.int64)
    return out[["customer_id", "signup_date", "value_date", "days", "reached"]]


def _ttv_groups(data, as_of, by, fn: str):
    durations = _durations(data, as_of, fn)
    if by is None:
        return durations, [], [((), durations)]
    customers = data.customers.set_index("customer_id")
    frame = customers.reindex(durations["customer_id"]).reset_index()
    keys_frame, keys = _cohorts(frame.assign(signup_date=durations["signup_date"].to_numpy()), by)
    durations = pd.concat([durations, keys_frame.reset_index(drop=True)], axis=1)
    groups = [((k,) if not isinstance(k, tuple) else k, g) for k, g in durations.groupby(keys, sort=True)]
    return durations, keys, groups


def time_to_value(data, *, as_of, by=None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier time to value: median days from signup to first value, censoring included.

    Many customers have not reached first value yet. Dropping them (a mean
    or median over finishers) describes only the fast ones; counting them as
    failures understates success. Kaplan-Meier uses them as *censored* at
    ``as_of``: each is known to have taken longer than its days so far.

    ``S(t) = prod over event days t_i <= t of (1 - d_i / n_i)`` with ``d_i``
    customers reaching value on day ``t_i`` and ``n_i`` customers still
    waiting just before it (lifelines ``KaplanMeierFitter``).
    ``median_days`` is the first day with ``S(t) <= 0.5``; it is ``inf``
    when fewer than half have reached value during the follow-up (the
    ``note`` column says so). ``reached_by_30d`` etc. are ``1 - S(t)``:
    the estimated share reaching value within 30/60/90 days, NaN beyond the
    longest follow-up when not all have reached it.

    Parameters
    ----------
    data : Dataset
        With ``customers``, ``onboarding`` and ``milestones``.
    as_of : str or Timestamp
        The day the data is known up to; later milestones are ignored.
    by : str, list of str or None
        ``"signup_month"``, a ``customers`` column, a list of those, or None.
    alpha : float
        1 - confidence level of the median's interval (lifelines'
        exponential Greenwood bands, read with ``median_survival_times``).

    Returns
    -------
    DataFrame
        One row per group: group columns, ``n``, ``reached``, ``censored``,
        ``median_days``, ``median_ci_lower``, ``median_ci_upper``,
        ``reached_by_30d``, ``reached_by_60d``, ``reached_by_90d``, ``note``.
        See :func:`time_to_value_curve` for the whole curve and
        :func:`time_to_value_durations` for each customer.

    Examples
    --------
    Five customers: value on days 2, 4 and 10; two still waiting after 3 and 6 days.

    >>> from csm_kit import Dataset
    >>> ds = Dataset(
    ...     customers=pd.DataFrame({"customer_id": list("abcde"),
    ...         "signup_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-08", "2026-01-05"])}),
    ...     milestones=pd.DataFrame({"milestone": ["report"], "order": [1], "required": [True],
    ...                              "first_value": [True]}),
    ...     onboarding=pd.DataFrame({"customer_id": ["a", "b", "c"], "milestone": "report",
    ...                              "completed_at": pd.to_datetime(["2026-01-03", "2026-01-05", "2026-01-11"])}))
    >>> ttv = time_to_value(ds, as_of="2026-01-11")
    >>> ttv[["n", "reached", "censored", "median_days"]]   # S(2) = 4/5, S(4) = 4/5 * 2/3 = 0.53, S(10) = 0
       n  reached  censored  median_days
    0  5        3         2         10.0
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}.")
    _, keys, groups = _ttv_groups(data, as_of, by, "time_to_value")
    rows = []
    for key, g in groups:  # a handful of groups; lifelines does the work
        row = dict(zip(keys, key))
        n, reached = len(g), int(g["reached"].sum())
        row.update(n=n, reached=reached, censored=n - reached)
        if n == 0:
            row.update(median_days=np.nan, median_ci_lower=np.nan, median_ci_upper=np.nan,
                       note="no customers")
            row.update({f"reached_by_{d}d": np.nan for d in _REACHED_BY_DAYS})
            rows.append(row)
            continue
        kmf = KaplanMeierFitter(alpha=alpha).fit(g["days"], event_observed=g["reached"])
        ci = median_survival_times(kmf.confidence_interval_).iloc[0]
        median = float(kmf.median_survival_time_)
        row.update(median_days=median, median_ci_lower=float(ci.iloc[0]), median_ci_upper=float(ci.iloc[1]))
        last_day, tail = g["days"].max(), float(kmf.survival_function_.iloc[-1, 0])
        for d in _REACHED_BY_DAYS:
            share = 1.0 - float(kmf.survival_function_at_times(d).iloc[0])
            row[f"reached_by_{d}d"] = share if d <= last_day or tail == 0 else np.nan
        row["note"] = "" if np.isfinite(median) else "median not reached: under half reached value in the follow-up"
        rows.append(row)
    if not rows:  # by=... with no customers at all
        rows.append({**{k: None for k in keys}, "n": 0, "reached": 0, "censored": 0, "median_days": np.nan,
                     "median_ci_lower": np.nan, "median_ci_upper": np.nan, "note": "no customers",
                     **{f"reached_by_{d}d": np.nan for d in _REACHED_BY_DAYS}})
    columns = keys + ["n", "reached", "censored", "median_days", "median_ci_lower", "median_ci_upper"] + \
        [f"reached_by_{d}d" for d in _REACHED_BY_DAYS] + ["note"]
    return pd.DataFrame(rows)[columns]


def time_to_value_curve(data, *, as_of, by=None, alpha: float = 0.05) -> pd.DataFrame:
    """The Kaplan-Meier curve of time to value, one row per group and day with a change.

    ``share_reached(t) = 1 - S(t)``: estimated share of customers that
    reached first value within ``t`` days, with its confidence band (see
    :func:`time_to_value` for the estimator and the censoring convention).

    Parameters
    ----------
    data : Dataset
        With ``customers``, ``onboarding`` and ``milestones``.
    as_of : str or Timestamp
        The day the data is known up to.
    by : str, list of str or None
        ``"signup_month"``, a ``customers`` column, a list of those, or None.
    alpha : float
        1 - confidence level of the band.

    Returns
    -------
    DataFrame
        Group columns, ``days``, ``at_risk``, ``reached`` (on that day),
        ``censored`` (on that day), ``share_not_reached`` (S), ``ci_lower``,
        ``ci_upper`` (bounds of S), ``share_reached`` (1 - S).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> ds = Dataset(
    ...     customers=pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2)}),
    ...     milestones=pd.DataFrame({"milestone": ["report"], "order": [1], "required": [True],
    ...                              "first_value": [True]}),
    ...     onboarding=pd.DataFrame({"customer_id": ["a"], "milestone": ["report"],
    ...                              "completed_at": pd.to_datetime(["2026-01-05"])}))
    >>> time_to_value_curve(ds, as_of="2026-01-11")[["days", "at_risk", "reached", "share_reached"]]
       days  at_risk  reached  share_reached
    0     0        2        0            0.0
    1     4        2        1            0.5
    2    10        1        0            0.5
    """
    _, keys, groups = _ttv_groups(data, as_of, by, "time_to_value_curve")
    frames = []
    for key, g in groups:
        if g.empty:
            continue
        kmf = KaplanMeierFitter(alpha=alpha).fit(g["days"], event_observed=g["reached"])
        table = kmf.event_table
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        curve = pd.DataFrame({"days": table.index.astype(np.int64), "at_risk": table["at_risk"].to_numpy(),
                              "reached": table["observed"].to_numpy(), "censored": table["censored"].to_numpy(),
                              "share_not_reached": sf.reindex(table.index).to_numpy(),
                              "ci_lower": ci.iloc[:, 0].reindex(table.index).to_numpy(),
                              "ci_upper": ci.iloc[:, 1].reindex(table.index).to_numpy()})
        curve["share_reached"] = 1.0 - curve["share_not_reached"]
        for k, v in zip(keys, key):
            curve.insert(keys.index(k), k, v)
        frames.append(curve)
    columns = keys + ["days", "at_risk", "reached", "censored", "share_not_reached", "ci_lower", "ci_upper",
                      "share_reached"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


# -- the report page ---------------------------------------------------------------
_PAGE_PARTS = ("intro", "plan", "cohorts", "conventions", "funnel", "ttv", "curve", "ttv_cohorts")


@dataclass(frozen=True)
class OnboardingPage:
    """Everything the onboarding page shows, each part computed or saying why not (:func:`onboarding_page`).

    Attributes
    ----------
    month : Period
        The reporting month (figures known as of its last day).
    segment : str
        The segment reported on (``"all"``: every customer).
    within_days, value_within_days : int
        The completion and first-value windows.
    intro, plan, cohorts, conventions, funnel, ttv, curve, ttv_cohorts : PagePart
        The sign-ups followed; the milestone plan; completion and first value
        by signup cohort; the two ``in_window`` conventions side by side
        (last four cohorts); each milestone's completion; Kaplan-Meier time
        to value overall (and by segment); its curve; its median by cohort.
    """

    month: pd.Period
    segment: str
    within_days: int
    value_within_days: int
    intro: object
    plan: object
    cohorts: object
    conventions: object
    funnel: object
    ttv: object
    curve: object
    ttv_cohorts: object

    def headline(self):
        """The page's first sentence (the segment named in a segment report), escaped."""
        from ..display import text

        where = "" if self.segment in ("", "all") else "Segment **{segment}**: "
        if not self.intro.available:
            from .pages import reason_headline

            return reason_headline(self.segment, self.intro.reason)
        v = self.intro.values
        when = "in {month}" if v["first_cohort"] == self.month else "from {first} to {month}"
        return text(where + "{n:int} customers signed up " + when + "; the figures below are known as of {as_of}.",
                    segment=self.segment, n=v["signups"], first=str(v["first_cohort"]), month=str(self.month),
                    as_of=str(v["as_of"].date()))

    def key_numbers(self) -> list:
        """The page's recorded numbers (see :func:`onboarding_key_numbers`)."""
        from ..key_numbers import KeyNumber

        c, t = self.cohorts, self.ttv
        label = ("Onboarding completed within 90 days" if self.within_days == 90
                 else f"Onboarding completed within {self.within_days} days")
        value_label = f"Reached first value within {self.value_within_days} days"
        if c.available and c.values["completion"] is not None:
            done = c.values["completion"]
            completion = KeyNumber("onboarding_completion", done["rate"], "share", label,
                                   {"successes": done["successes"], "n": done["n"], "cohort": done["cohort"]})
        else:
            why = c.reason if not c.available else f"no signup cohort has had {self.within_days} days yet"
            completion = KeyNumber("onboarding_completion", None, "share", label, {"note": why})
        if c.available and c.values["adoption"] is not None:
            got = c.values["adoption"]
            adoption = KeyNumber("adoption_rate", got["rate"], "share", value_label,
                                 {"successes": got["successes"], "n": got["n"], "cohort": got["cohort"]})
        else:
            why = c.reason if not c.available else f"no signup cohort has had {self.value_within_days} days yet"
            adoption = KeyNumber("adoption_rate", None, "share", value_label, {"note": why})
        if t.available:
            median = t.values["median_days"]
            extra = {"n": t.values["n"], "censored": t.values["censored"],
                     "signups_from": str(self.intro.values["first_cohort"]),
                     "convention": "Kaplan-Meier median, customers still waiting censored at the month end"}
            if median is None:
                extra["note"] = "median not reached: under half have reached first value so far"
            ttv = KeyNumber("time_to_value_days", median, "days", "Median time to value", extra)
        else:
            ttv = KeyNumber("time_to_value_days", None, "days", "Median time to value", {"note": t.reason})
        return [completion, ttv, adoption]


def onboarding_page(ds, *, month, within_days: int = 90, value_within_days: int = 30, cohort_months: int = 12,
                    segment: str = "all") -> OnboardingPage:
    """The onboarding page of the report for ``month``: every table, chart input and key number.

    The customers followed are those who signed up in the ``cohort_months``
    months ending at ``month``; everything is known as of the month's last
    day. Each part is a :class:`~csm_kit.metrics.pages.PagePart` (a table
    and its headline numbers, or one sentence saying why it could not be
    computed: a missing table, a snapshot data set, no sign-ups, no cohort
    whose window has closed):

    - ``cohorts``: :func:`onboarding_completion` (``within_days``) beside
      :func:`adoption_rate` (``value_within_days``) per signup month; its
      ``values`` hold the latest cohort whose window has closed for all its
      customers (the key numbers);
    - ``conventions``: ``in_window="exclude"`` against ``"include"``, last four cohorts;
    - ``funnel``: :func:`milestone_completion` over customers whose window closed;
    - ``ttv``: :func:`time_to_value` of all the sign-ups, and per segment when
      there are several; ``curve``: :func:`time_to_value_curve` per group;
      ``ttv_cohorts``: the median by signup month where it is reached.

    The page is computed once per Dataset object and parameters (the
    notebook and :func:`onboarding_key_numbers` share it).

    Parameters
    ----------
    ds : Dataset
        The report's data (already restricted to the segment).
    month : str or Period
        The reporting month, ``"YYYY-MM"``.
    within_days, value_within_days : int
        Days allowed for every required milestone, and for first value.
    cohort_months : int
        Signup months followed.
    segment : str
        The segment's name, for the headline only.

    Returns
    -------
    OnboardingPage

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> page = onboarding_page(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), month="2026-10")
    >>> page.cohorts.reason
    'This data set has no onboarding or milestones tables, so onboarding completion cannot be measured.'
    >>> [k.value for k in page.key_numbers()]
    [None, None, None]
    """
    within_days = whole_number(within_days, "within_days", minimum=0, unit="days")
    value_within_days = whole_number(value_within_days, "value_within_days", minimum=0, unit="days")
    cohort_months = whole_number(cohort_months, "cohort_months")
    from ..periods import to_month

    page = _onboarding_page(ds, str(to_month(month)), int(within_days), int(value_within_days), int(cohort_months))
    return dataclasses.replace(page, segment=str(segment))


@functools.lru_cache(maxsize=2)
def _onboarding_page(ds, month: str, within_days: int, value_within_days: int, cohort_months: int) -> OnboardingPage:
    from ..periods import month_end, month_start, to_month
    from .pages import PagePart, after_data_reason, missing_reason, snapshot_reason, tables_missing, unavailable

    segment = "all"  # the segment only names the page: set by onboarding_page

    period = to_month(month)
    head = (period, segment, within_days, value_within_days)
    missing = tables_missing(ds, "customers", "onboarding", "milestones")
    whats = {"intro": "onboarding", "plan": "the onboarding plan", "cohorts": "onboarding completion",
             "conventions": "onboarding completion", "funnel": "the milestone funnel", "ttv": "time to value",
             "curve": "time to value", "ttv_cohorts": "time to value by cohort"}
    if missing or ds.snapshot:
        reasons = {k: missing_reason(missing, w) if missing else snapshot_reason(w + " by signup cohort")
                   for k, w in whats.items()}
        if not missing and ds.has("milestones"):
            return OnboardingPage(*head, **{k: unavailable(r) for k, r in reasons.items()} | {
                "plan": _plan_part(ds.milestones)})
        return OnboardingPage(*head, **{k: unavailable(r) for k, r in reasons.items()})
    late = after_data_reason(ds, period)
    if late:
        return OnboardingPage(*head, **{k: unavailable(late) for k in whats} | {"plan": _plan_part(ds.milestones)})
    as_of = month_end(period)
    signup = ds.customers["signup_date"]
    first_cohort = period - (cohort_months - 1)
    if signup.notna().any():  # the cohorts shown start with the data's first sign-ups
        first_cohort = min(max(first_cohort, signup.min().to_period("M")), period)
    recent = ds.for_customers(ds.customers.loc[(signup >= month_start(first_cohort)) & (signup <= as_of),
                                               "customer_id"])
    known = _CheckedDay(as_of)
    intro = PagePart(values={"signups": len(recent.customers), "first_cohort": first_cohort, "as_of": as_of})
    parts = {"intro": intro, "plan": _plan_part(ds.milestones)}
    if recent.customers.empty:
        none = f"No customer signed up from {first_cohort} to {period}, so there is no {{}} to measure."
        for k, w in whats.items():
            if k not in parts:
                parts[k] = unavailable(none.format(w))
        return OnboardingPage(*head, **parts)
    parts["cohorts"] = _cohorts_part(recent, known, within_days, value_within_days)
    both = onboarding_completion(recent, within_days=within_days, as_of=known).merge(
        onboarding_completion(recent, within_days=within_days, as_of=known, in_window="include"),
        on="signup_month", suffixes=("_exclude", "_include"))
    columns = ["signup_month", "customers_exclude", "still_in_window_exclude", "completed_exclude",
               "denominator_exclude", "completion_rate_exclude", "completed_include", "denominator_include",
               "completion_rate_include"]
    parts["conventions"] = PagePart(frame=both[columns].tail(4).reset_index(drop=True), formats={
        "completion_rate_exclude": "share", "completion_rate_include": "share"}, labels={
        "customers_exclude": "Customers", "still_in_window_exclude": "Still in window",
        "completed_exclude": "Completed (exclude)", "denominator_exclude": "Counted (exclude)",
        "completion_rate_exclude": "Rate (exclude)", "completed_include": "Completed (include)",
        "denominator_include": "Counted (include)", "completion_rate_include": "Rate (include)"})
    funnel = milestone_completion(recent, within_days=within_days, as_of=known)
    if funnel["denominator"].max() > 0:
        parts["funnel"] = PagePart(frame=funnel, values={"denominator": int(funnel["denominator"].iloc[0]),
                                                         "within_days": within_days})
    else:
        parts["funnel"] = unavailable(f"No customer who signed up since {first_cohort} has had {within_days} days "
                                      f"yet, so the milestone funnel cannot be measured.")
    parts.update(_ttv_parts(recent, known, within_days))
    return OnboardingPage(*head, **parts)


def _plan_part(milestones: pd.DataFrame):
    from .pages import PagePart

    columns = [c for c in ("milestone", "order", "required", "first_value", "description") if c in milestones]
    plan = milestones[columns].sort_values("order", kind="mergesort") if "order" in milestones else milestones[columns]
    return PagePart(frame=plan.reset_index(drop=True), formats={"order": "int"})


def _cohorts_part(recent, known, within_days: int, value_within_days: int):
    from .pages import PagePart

    completion = onboarding_completion(recent, within_days=within_days, as_of=known)
    adoption = adoption_rate(recent, within_days=value_within_days, as_of=known)
    cohorts = completion[["signup_month", "customers", "still_in_window", "denominator", "completed",
                          "completion_rate"]].merge(
        adoption[["signup_month", "still_in_window", "denominator", "reached", "adoption_rate"]],
        on="signup_month", suffixes=("", "_value"))

    def latest(rate, done, n, window):
        closed = cohorts[(cohorts[window] == 0) & (cohorts[n] > 0)]
        if closed.empty:
            return None
        row = closed.iloc[-1]
        return {"rate": float(row[rate]), "successes": int(row[done]), "n": int(row[n]),
                "cohort": str(row["signup_month"])}

    values = {"completion": latest("completion_rate", "completed", "denominator", "still_in_window"),
              "adoption": latest("adoption_rate", "reached", "denominator_value", "still_in_window_value"),
              "within_days": within_days, "value_within_days": value_within_days}
    return PagePart(frame=cohorts, values=values, formats={"completion_rate": "share", "adoption_rate": "share"},
                    labels={"still_in_window": f"Still in {within_days}-day window",
                            "denominator": "Counted", "completed": "Completed",
                            "still_in_window_value": f"Still in {value_within_days}-day window",
                            "denominator_value": "Counted (value)", "reached": "Reached value",
                            "adoption_rate": f"First value within {value_within_days} days",
                            "completion_rate": f"Completed within {within_days} days"})


def _ttv_parts(recent, known, within_days: int) -> dict:
    from .pages import PagePart, unavailable

    overall = time_to_value(recent, as_of=known)
    segments = recent.customers["segment"].dropna().unique() if "segment" in recent.customers else []
    by = "segment" if len(segments) > 1 else None
    rows = overall.assign(group="all")
    if by:
        rows = pd.concat([rows, time_to_value(recent, as_of=known, by=by).rename(columns={by: "group"})],
                         ignore_index=True)
    columns = ["group", "n", "reached", "censored", "median_days", "median_ci_lower", "median_ci_upper",
               "reached_by_30d", "reached_by_60d", "reached_by_90d", "note"]
    row = overall.iloc[0]
    median = float(row["median_days"])
    values = {"median_days": median if np.isfinite(median) else None, "n": int(row["n"]),
              "censored": int(row["censored"]), "by": by, "within_days": within_days}
    days = {c: "{:.0f}" for c in ("median_days", "median_ci_lower", "median_ci_upper")}
    ttv = PagePart(frame=rows[columns], values=values,
                   formats=days | {f"reached_by_{d}d": "share" for d in _REACHED_BY_DAYS},
                   labels={"group": by.capitalize() if by else "Customers", "n": "Customers",
                           "median_days": "Median days",
                           "median_ci_lower": "Median 95% low", "median_ci_upper": "Median 95% high",
                           "reached_by_30d": "Reached by day 30", "reached_by_60d": "Reached by day 60",
                           "reached_by_90d": "Reached by day 90"})
    curve = time_to_value_curve(recent, as_of=known).assign(group="all")
    if by:
        curve = time_to_value_curve(recent, as_of=known, by=by).rename(columns={by: "group"})
    curve_part = PagePart(frame=curve, values=values)
    cohorts = time_to_value(recent, as_of=known, by="signup_month")
    shown = cohorts[(cohorts["n"] > 0) & np.isfinite(cohorts["median_days"].to_numpy(dtype=float))]
    cohort_part = (PagePart(frame=shown.reset_index(drop=True), values=values) if len(shown) else
                   unavailable("No signup cohort has half its customers at first value yet, so no cohort median "
                               "can be drawn."))
    return {"ttv": ttv, "curve": curve_part, "ttv_cohorts": cohort_part}


def onboarding_key_numbers(ds, *, month, within_days: int = 90, value_within_days: int = 30, cohort_months: int = 12,
                           **report_parameters) -> list:
    """The onboarding page's key numbers, for the scorecard, the index and ``metrics.json``.

    - ``onboarding_completion``: completion within ``within_days`` of the
      latest signup cohort whose window has closed for every customer, with
      ``successes``, ``n`` and ``cohort`` (so the scorecard can test noise);
    - ``time_to_value_days``: the Kaplan-Meier median days to first value
      over the sign-ups of the last ``cohort_months`` months (None, with a
      note, when under half have reached it);
    - ``adoption_rate``: first value within ``value_within_days``, latest closed cohort.

    All read from :func:`onboarding_page` with the same parameters. A number
    that cannot be computed has value None and a ``note`` saying why.

    Parameters
    ----------
    ds : Dataset
        The report's data.
    month : str or Period
        The reporting month.
    within_days, value_within_days, cohort_months
        The notebook's parameters (see :func:`onboarding_page`).
    **report_parameters
        ``data``, ``segment``, ``teaching`` may be passed and are not used;
        anything else is refused.

    Returns
    -------
    list of KeyNumber

    Examples
    --------
    >>> from csm_kit import simulate
    >>> numbers = onboarding_key_numbers(simulate(n_customers=40, start="2026-01", months=6, seed=3), month="2026-06")
    >>> [k.name for k in numbers]
    ['onboarding_completion', 'time_to_value_days', 'adoption_rate']
    """
    check_report_parameters("onboarding_key_numbers", report_parameters)
    return onboarding_page(ds, month=month, within_days=within_days, value_within_days=value_within_days,
                           cohort_months=cohort_months).key_numbers()


def time_to_value_worked_example() -> pd.DataFrame:
    """The teaching example: five customers, value after 2, 4 and 10 days, two still waiting after 3 and 6.

    Kaplan-Meier: S(2) = 4/5, S(4) = 4/5 x 2/3 = 0.53, S(10) = 0, so the
    median (first day with S <= 0.5) is 10 days; the median over the three
    finishers alone would say 4.

    >>> time_to_value_worked_example()[["estimate", "by_hand", "kit"]]
                               estimate  by_hand   kit
    0           Kaplan-Meier median days     10.0  10.0
    1  median over finishers only (biased)      4.0   4.0
    """
    from .. import Dataset

    example = Dataset(
        customers=pd.DataFrame({"customer_id": list("abcde"), "signup_date": pd.to_datetime(
            ["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-08", "2026-01-05"])}),
        milestones=pd.DataFrame({"milestone": ["report"], "order": [1], "required": [True], "first_value": [True]}),
        onboarding=pd.DataFrame({"customer_id": ["a", "b", "c"], "milestone": "report",
                                 "completed_at": pd.to_datetime(["2026-01-03", "2026-01-05", "2026-01-11"])}))
    durations = time_to_value_durations(example, as_of="2026-01-11")
    kit = time_to_value(example, as_of="2026-01-11").loc[0]
    return pd.DataFrame({"estimate": ["Kaplan-Meier median days", "median over finishers only (biased)"],
                         "by_hand": [10.0, 4.0],
                         "kit": [float(kit["median_days"]),
                                 float(durations.loc[durations["reached"], "days"].median())]})
