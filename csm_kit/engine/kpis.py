"""The monthly KPI table computed by relational queries (DuckDB by default, or Spark).

Same definitions, same numbers as :mod:`csm_kit.metrics`; the heavy work
(month-end balances, the movement ledger, customer-user-day activity) runs in
the engine and only the per-month results come back as pandas.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..exceptions import MissingTableError
from ..periods import months as month_range, to_month
from .backends import DuckDBBackend
from . import sql as _sql
from .sql import features_step, month_number, revenue_steps, usage_steps

#: Integer micro-units per currency unit: the ledger's (csm_kit.metrics.ledger.MICRO; a test keeps them
#: equal). Not imported from there, so that the engine does not import every metric module.
MICRO = 1_000_000
#: Columns of :attr:`KpiTables.monthly`, in order.
MONTHLY_COLUMNS = ["month", "mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
                   "reactivation_mrr", "customers_start", "churned_existing", "churned_joined", "churn_rate",
                   "nrr", "grr", "active_accounts", "active_users", "stickiness",
                   "mrr_start", "customers_end", "nrr_12m", "grr_12m"]
#: Columns of :attr:`KpiTables.adoption`, in order.
ADOPTION_COLUMNS = ["month", "feature", "accounts", "adoption", "active_accounts"]
_MONEY = {"mrr_start": "mrr_start_micro", "mrr": "mrr_micro", "new_mrr": "new_micro",
          "expansion_mrr": "expansion_micro", "contraction_mrr": "contraction_micro",
          "churned_mrr": "churned_micro", "reactivation_mrr": "reactivation_micro"}


@dataclass(frozen=True)
class KpiTables:
    """The result of :func:`kpi_tables`.

    Attributes
    ----------
    monthly : DataFrame
        One row per month, columns :data:`MONTHLY_COLUMNS`.
    adoption : DataFrame
        One row per month and feature, columns :data:`ADOPTION_COLUMNS`.
    engine : str
        ``"duckdb"`` or ``"spark"``: where the queries ran.
    """

    monthly: pd.DataFrame
    adoption: pd.DataFrame
    engine: str


def _k(month: pd.Period) -> int:
    return month.year * 12 + month.month - 1


def _period(k) -> pd.Period:
    return pd.Period(year=int(k) // 12, month=int(k) % 12 + 1, freq="M")


def _tables(data) -> dict:
    """The input tables: a Dataset's frames, or a dict of table name -> frame, path or catalog table."""
    if isinstance(data, dict):
        return dict(data)
    tables = {}
    for name in ("subscriptions", "usage_events"):
        if data.has(name):
            tables[name] = getattr(data, name)
    return tables


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (as the metric functions do)."""
    return (pd.Series(numerator, dtype=float) / pd.Series(denominator, dtype=float).where(
        pd.Series(denominator) != 0)).to_numpy()


def kpi_tables(data, *, start, end, backend=None, window: int = 12, progress: bool = False) -> KpiTables:
    """MRR and its movements, logo churn, NRR/GRR, activity, stickiness and adoption per month.

    Every figure is the kit's own definition (:mod:`csm_kit.metrics`), computed
    by relational queries instead of pandas, with the same numbers:

    - ``mrr``, ``mrr_start``: balances at the end of the month and of the one
      before (:func:`~csm_kit.metrics.ledger.month_end_mrr`); the movements
      ``new_mrr``, ``expansion_mrr``, ``contraction_mrr``, ``churned_mrr``,
      ``reactivation_mrr`` are :func:`~csm_kit.metrics.mrr_movements`'
      ``new``, ``expansion``, ``contraction``, ``churn``, ``reactivation``,
      summed in integer micro-units, so exactly
      ``mrr = mrr_start + new + reactivation + expansion - contraction - churned``;
    - ``customers_start``, ``churned_existing``, ``churned_joined``,
      ``customers_end`` and ``churn_rate`` under the kit's default ``"seeds"``
      convention, ``churned / (customers_start + churned_joined)``
      (:func:`~csm_kit.metrics.churn_rates`);
    - ``nrr``, ``grr``: the movement form of
      :func:`~csm_kit.metrics.revenue_retention` (one month);
      ``nrr_12m``, ``grr_12m``: its cohort form over ``window`` months;
    - ``active_accounts``, ``active_users`` (:func:`~csm_kit.metrics.active_accounts`,
      monthly) and ``stickiness`` (DAU/MAU of users, :func:`~csm_kit.metrics.stickiness`);
    - ``adoption``: per feature, the share of the month's active accounts that
      used it (:func:`~csm_kit.metrics.feature_adoption`, no eligibility);
      ``accounts`` are its adopters.

    Rates are NaN where their denominator is 0. With no ``usage_events`` the
    activity columns are empty (NA) and ``adoption`` has no rows.

    Parameters
    ----------
    data : Dataset or dict
        A Dataset (its ``subscriptions`` and ``usage_events``), or a dict
        ``{"subscriptions": ..., "usage_events": ...}`` whose values are
        pandas frames, Parquet/CSV paths (globs allowed), or names of tables
        in the backend's catalog (``"analytics.subscriptions"``). Tables are
        read as they are: validate first (:func:`csm_kit.load_dataset`).
    start, end : str or Period
        First and last month reported, inclusive (``"YYYY-MM"``).
    backend : DuckDBBackend or SparkBackend, optional
        Where the queries run; default a new in-memory DuckDB.
    window : int
        Look-back in months of ``nrr_12m``/``grr_12m`` (default 12).
    progress : bool
        Show a progress bar (tqdm, on stderr).

    Returns
    -------
    KpiTables
        ``monthly`` (one row per month) and ``adoption`` (month x feature).

    Raises
    ------
    MissingTableError
        No subscriptions table.
    OutsideDataError, SnapshotError
        For a Dataset: months after its data, or wholly before its
        subscriptions; a snapshot data set (as :func:`~csm_kit.metrics.mrr_movements`).
        Tables given in a dict are used for the months asked.
    ValueError
        ``end`` before ``start``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
    ...     "end_date": pd.to_datetime([None, None]), "billing_period": "month", "amount": [100.0, 40.0]})
    >>> ev = pd.DataFrame({"customer_id": ["a", "b"], "user_id": ["u1", "u2"], "event": ["login", "export"],
    ...     "timestamp": pd.to_datetime(["2026-02-03 10:00", "2026-02-04 11:00"])})
    >>> k = kpi_tables({"subscriptions": subs, "usage_events": ev}, start="2026-02", end="2026-02")
    >>> k.monthly[["month", "mrr_start", "new_mrr", "mrr", "customers_start", "active_accounts"]]
         month  mrr_start  new_mrr    mrr  customers_start  active_accounts
    0  2026-02      100.0     40.0  140.0                1                2
    >>> k.adoption[["feature", "accounts", "adoption"]]
      feature  accounts  adoption
    0  export         1       0.5
    1   login         1       0.5
    """
    start, end = to_month(start), to_month(end)
    if end < start:
        raise ValueError(f"The period ends ({end}) before it starts ({start}).")
    window = whole_number(window, "window", unit="months")
    if not isinstance(data, dict):  # a Dataset: the same coverage rules as the metric functions
        from ..metrics.coverage import check_months

        check_months(data, start, end, fn="kpi_tables", tables=["subscriptions"])
    tables = _tables(data)
    if "subscriptions" not in tables:
        raise MissingTableError("The KPI table needs the subscriptions table, which the data does not have.")
    backend = backend if backend is not None else DuckDBBackend()
    k0, k1 = _k(start), _k(end)

    subs = backend.register("csm_in_subscriptions", tables["subscriptions"])
    ledger = revenue_steps(subs, k0=k0, k1=k1, has_discount="discount" in backend.columns(subs), window=window)
    steps = list(ledger)
    events = None
    if "usage_events" in tables:
        events = backend.register("csm_in_usage_events", tables["usage_events"])
        # Big tables are read in runs (of months or of customers) that fit in memory; Spark needs none.
        plan = backend.usage_plan(events, k0=k0, k1=k1) if hasattr(backend, "usage_plan") else {}
        has_quantity = "quantity" in backend.columns(events)
        # The features, numbered: up to sql.FEATURE_BITS of them are counted in the same pass as activity.
        # Every row's features first (one cheap column); those used in the months if there are too many.
        for every_row in (True, False):
            features = features_step(events, k0=k0, k1=k1, has_quantity=has_quantity, every_row=every_row)
            backend.create(features.name, features.sql)
            n_features = int(backend.fetch("SELECT count(*) AS n FROM csm_features")["n"].iloc[0])
            if n_features <= _sql.FEATURE_BITS:
                break
        steps += usage_steps(events, k0=k0, k1=k1, has_quantity=has_quantity, features=n_features, **plan)

    from tqdm.auto import tqdm

    bar = tqdm(steps, desc="KPIs", unit="step", disable=not progress, leave=False)
    revenue = None
    for step in bar:
        bar.set_postfix_str(step.label)
        backend.create(step.name, step.sql)
        backend.drop(step.drops)
        if step is ledger[-1]:  # the ledger's tables (a row per customer and month) go before usage is read
            revenue = backend.fetch("SELECT * FROM csm_revenue ORDER BY k")
            backend.drop([s.name for s in reversed(ledger)])
    usage = backend.fetch("SELECT * FROM csm_usage ORDER BY k") if events else None
    adoption = backend.fetch("SELECT * FROM csm_adoption") if events else None
    backend.drop([s.name for s in reversed(steps[len(ledger):])] + (["csm_features"] if events else []))
    bar.close()
    months = month_range(start, end)
    return KpiTables(_monthly(revenue, usage, months), _adoption(adoption, usage, months), backend.name)


def _monthly(revenue: pd.DataFrame, usage: pd.DataFrame | None, months: pd.PeriodIndex) -> pd.DataFrame:
    r = {c: revenue[c].to_numpy(dtype=np.int64) for c in revenue.columns}
    out = pd.DataFrame({"month": months})
    for name, micro in _MONEY.items():
        out[name] = r[micro] / MICRO  # integer micro-units -> currency, after summing (as the ledger does)
    for name in ("customers_start", "churned_existing", "churned_joined", "customers_end"):
        out[name] = r[name]
    churned = (out["churned_existing"] + out["churned_joined"]).to_numpy(dtype=float)
    seeds = (out["customers_start"] + out["churned_joined"]).to_numpy(dtype=float)  # the "seeds" denominator
    with np.errstate(invalid="ignore", divide="ignore"):
        out["churn_rate"] = np.where(seeds > 0, churned / seeds, np.nan)
    kept = out["mrr_start"] - out["churned_mrr"] - out["contraction_mrr"]
    out["nrr"] = _rate(kept + out["expansion_mrr"], out["mrr_start"])
    out["grr"] = _rate(kept, out["mrr_start"])
    base = r["cohort_base_micro"] / MICRO
    out["nrr_12m"] = _rate(r["cohort_now_micro"] / MICRO, base)
    out["grr_12m"] = _rate(r["cohort_capped_micro"] / MICRO, base)
    if usage is None:
        for name in ("active_accounts", "active_users"):
            out[name] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["stickiness"] = np.nan
    else:
        out["active_accounts"] = usage["active_accounts"].to_numpy(dtype=np.int64)
        out["active_users"] = usage["active_users"].to_numpy(dtype=np.int64)
        days = np.asarray(months.days_in_month, dtype=np.int64)
        mean_dau = usage["user_days"].to_numpy(dtype=np.int64) / days
        monthly = out["active_users"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            out["stickiness"] = np.where(monthly > 0, mean_dau / np.maximum(monthly, 1), np.nan)
    return out[MONTHLY_COLUMNS]


def _adoption(adoption: pd.DataFrame | None, usage: pd.DataFrame | None, months: pd.PeriodIndex) -> pd.DataFrame:
    if adoption is None or adoption.empty:
        return pd.DataFrame({c: [] for c in ADOPTION_COLUMNS})
    features = sorted(adoption.loc[adoption["accounts"] > 0, "feature"].unique())  # used in the months
    grid = pd.MultiIndex.from_product([[_k(m) for m in months], features], names=["k", "feature"])
    accounts = adoption.set_index(["k", "feature"])["accounts"].reindex(grid, fill_value=0)
    out = accounts.reset_index()
    active = pd.Series(usage["active_accounts"].to_numpy(dtype=np.int64), index=usage["k"].to_numpy())
    out["active_accounts"] = active.reindex(out["k"]).to_numpy()
    out["accounts"] = out["accounts"].to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["adoption"] = np.where(out["active_accounts"] > 0,
                                   out["accounts"] / np.maximum(out["active_accounts"], 1), np.nan)
    out.insert(0, "month", pd.PeriodIndex([_period(k) for k in out["k"]], freq="M"))
    out = out.sort_values(["month", "feature"], kind="mergesort", ignore_index=True)
    return out[ADOPTION_COLUMNS]


def month_end_balances(data, *, start, end, backend=None) -> pd.DataFrame:
    """Each paying customer's MRR at the end of every month, computed by the engine.

    The long form of :func:`csm_kit.metrics.ledger.month_end_mrr`, nonzero
    balances only: same rule (a subscription counts at the end of month M when
    ``start_date <= last_day(M) < end_date``), same integer micro-units.

    Parameters
    ----------
    data : Dataset or dict
        As :func:`kpi_tables` (only ``subscriptions`` is read).
    start, end : str or Period
        First and last month, inclusive.
    backend : optional
        As :func:`kpi_tables`.

    Returns
    -------
    DataFrame
        ``customer_id``, ``month`` (Period), ``mrr`` (float, exact to 1e-6),
        ``mrr_micro`` (int64); sorted by customer and month.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "a"], "start_date": pd.to_datetime(["2026-01-15", "2026-02-10"]),
    ...     "end_date": pd.to_datetime([None, "2026-03-05"]), "billing_period": "month", "amount": [100.0, 50.0]})
    >>> month_end_balances({"subscriptions": subs}, start="2026-01", end="2026-03")
      customer_id    month    mrr  mrr_micro
    0           a  2026-01  100.0  100000000
    1           a  2026-02  150.0  150000000
    2           a  2026-03  100.0  100000000
    """
    start, end = to_month(start), to_month(end)
    tables = _tables(data)
    if "subscriptions" not in tables:
        raise MissingTableError("Month-end balances need the subscriptions table, which the data does not have.")
    backend = backend if backend is not None else DuckDBBackend()
    subs = backend.register("csm_in_subscriptions", tables["subscriptions"])
    # The first two ledger steps with the window reaching exactly `start`.
    steps = revenue_steps(subs, k0=_k(start) + 1, k1=_k(end), has_discount="discount" in backend.columns(subs),
                          window=1)[:2]
    for step in steps:
        backend.create(step.name, step.sql)
    out = backend.fetch("SELECT customer_id, k, bal FROM csm_balances")
    backend.drop([s.name for s in reversed(steps)])
    out = out.sort_values(["customer_id", "k"], kind="mergesort", ignore_index=True)
    micro = out["bal"].to_numpy(dtype=np.int64)
    return pd.DataFrame({"customer_id": out["customer_id"].astype(object).to_numpy(),
                         "month": pd.PeriodIndex([_period(k) for k in out["k"]], freq="M"),
                         "mrr": micro / MICRO, "mrr_micro": micro})


__all__ = ["KpiTables", "kpi_tables", "month_end_balances", "MONTHLY_COLUMNS", "ADOPTION_COLUMNS",
           "month_number"]
