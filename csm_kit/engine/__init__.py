"""The relational KPI layer: the kit's metric definitions as queries, on DuckDB or Spark.

:func:`kpi_tables` computes the monthly KPI table (MRR and its movements, logo
churn, NRR/GRR, active accounts and users, stickiness, feature adoption) with
the same definitions and the same numbers as :mod:`csm_kit.metrics`, but as
relational queries: the heavy aggregations (month-end balances per customer,
the movement ledger, customer-user-day activity) run in the engine over
pandas frames, Parquet/CSV files or a database's tables, and only the
per-month results (a few hundred rows) come back as pandas. ``csm-kit kpis``
is its command line.

Why portable SQL transpiled by sqlglot, not Ibis
------------------------------------------------
Both were installable. The queries are written once in DuckDB's dialect
(:mod:`csm_kit.engine.sql`) and translated by sqlglot for Spark (and could be
for PostgreSQL, Snowflake, BigQuery...) because:

- exactness is the point, and it lives in details an expression layer hides:
  ``rint`` with ties to even, doubles built from strings, ``BIGINT`` casts of
  128-bit sums. In SQL they are visible in a few lines and testable as text;
- the SQL is what a data team can read, paste into its warehouse and check
  against its own figures; an Ibis expression needs the kit to run it;
- one pure-Python dependency (sqlglot) instead of Ibis and its backend
  plugins, and no second query layer between the kit and DuckDB.

Backends: :class:`DuckDBBackend` (default, in-process) and
:class:`SparkBackend` (``pip install csm-kit[spark]``, Java 17).

Examples
--------
>>> import pandas as pd
>>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-01", "2026-01-01"]),
...     "end_date": pd.to_datetime([None, "2026-02-10"]), "billing_period": "month", "amount": [100.0, 50.0]})
>>> m = kpi_tables({"subscriptions": subs}, start="2026-02", end="2026-02").monthly
>>> m[["mrr_start", "churned_mrr", "mrr", "churn_rate", "nrr"]]
   mrr_start  churned_mrr    mrr  churn_rate   nrr
0      150.0         50.0  100.0         0.5  0.666667
"""
from .backends import DuckDBBackend, SparkBackend
from .kpis import ADOPTION_COLUMNS, MONTHLY_COLUMNS, KpiTables, kpi_tables, month_end_balances

__all__ = ["kpi_tables", "month_end_balances", "KpiTables", "DuckDBBackend", "SparkBackend",
           "MONTHLY_COLUMNS", "ADOPTION_COLUMNS"]
