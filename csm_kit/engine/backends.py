"""Where the KPI queries run: DuckDB in-process (default) or a Spark session.

A backend does four things: make an input table visible under a name
(:meth:`register`: a pandas frame, a Parquet/CSV path, or a table already in
the engine's catalog), tell which columns a table has, store a query's result
under a name (:meth:`create`), and bring a small result back as pandas
(:meth:`fetch`). The queries themselves are written once in DuckDB's dialect
(:mod:`csm_kit.engine.sql`); a backend with another dialect translates them
with sqlglot.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

_FILE_SUFFIXES = (".parquet", ".csv")


def _is_path(source) -> bool:
    if isinstance(source, Path):
        return True
    return isinstance(source, str) and (source.lower().endswith(_FILE_SUFFIXES) or "*" in source
                                        or Path(source).is_dir())


#: Memory the activity queries need per usage row of the months one pass reads (their hash tables of
#: user-months and account-feature-months), measured on simulated data at 1M and 10M accounts
#: (benchmarks/README.md). Used to choose how many passes the months are read in.
USAGE_BYTES_PER_ROW = 64
#: Rows of the reported months a run reads at most when the table is written customer by customer, whatever
#: the memory: smaller runs' hash tables stay closer to the caches (1M accounts, 42.8M rows in 12 months,
#: the account-months step: one run 13.8 s, three 11.4 s, six 10.2 s; benchmarks/README.md).
USAGE_ROWS_PER_RUN = 8_000_000
#: Optimizers turned off in the engine's DuckDB: ``partitioned_execution`` (DuckDB 2.0) splits a large
#: GROUP BY into ranges of the key taken from the Parquet statistics and reads the whole file once per
#: range without pushing the range into the scan: on usage sorted by customer (600 row groups at 10M
#: accounts) a month's aggregation became tens of full scans and did not finish in 10 minutes.
DISABLED_OPTIMIZERS = ("partitioned_execution",)


def customer_bounds(con, table: str, runs: int, *, sample: bool = True) -> list:
    """Values of ``customer_id`` that cut ``table`` into about ``runs`` ranges of equal rows (sorted, distinct).

    Quantiles of ``customer_id`` in a 1% Bernoulli sample (seeded), or of
    every row with ``sample=False`` (small tables); a customer with many rows
    can merge ranges, so there may be fewer than ``runs - 1`` bounds.
    """
    cuts = ", ".join(f"{i / runs!r}" for i in range(1, runs))
    rows = f"{table} USING SAMPLE 1 PERCENT (bernoulli, 7)" if sample else table
    bounds = con.execute(f"SELECT quantile_disc(customer_id, [{cuts}]) FROM (SELECT customer_id FROM {rows}) t"
                         ).fetchall()[0][0]
    return sorted({b for b in (bounds or []) if b is not None})


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


_UNITS = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4,
          "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "tib": 1024 ** 4, "bytes": 1}


def parse_bytes(text: str) -> int:
    """``"11.1 GiB"``, ``"8GB"`` or ``"512 MB"`` as bytes (DuckDB's spellings).

    >>> parse_bytes("8GB"), parse_bytes("1.5 GiB"), parse_bytes("512 MiB")
    (8000000000, 1610612736, 536870912)
    """
    m = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", str(text))
    unit = (m.group(2) or "b").lower() if m else None
    if not m or unit not in _UNITS:
        raise ValueError(f"Not an amount of memory: {text!r} (write e.g. '8GB' or '512MB').")
    return int(float(m.group(1)) * _UNITS[unit])


class DuckDBBackend:
    """Run the KPI queries in DuckDB (in-process; the default).

    Policy for big inputs
    ---------------------
    On a connection it opens itself (the default), the backend sets:

    - ``memory_limit``: half of the machine's physical memory (DuckDB's own
      default is 80%), or ``memory_limit=`` / the environment variable
      ``CSM_KIT_DUCKDB_MEMORY_LIMIT`` (``"8GB"``). Half, because the Parquet
      files are read through the operating system's page cache and the
      machine is often shared; DuckDB spills what does not fit;
    - ``temp_directory``: a new private folder in the system's temporary
      folder (``csm-kit-duckdb-*``), or ``temp_directory=``. DuckDB's default
      is a ``.tmp`` folder in the current directory. The backend removes the
      folder when it is closed (:meth:`close`, ``with DuckDBBackend() as b``),
      when it is garbage-collected and at interpreter exit, so spilled data
      is never left behind (short of the process being killed);
    - ``threads``: DuckDB's default (every core), or ``threads=`` /
      ``CSM_KIT_DUCKDB_THREADS``;
    - ``preserve_insertion_order = false`` (large intermediate tables need
      not keep their rows in order; every result is fetched with ORDER BY).

    On a connection it is given (``connection=``: a database file, a
    warehouse attached), only what is passed explicitly is set: the caller
    owns that connection and its settings. On both, the session's time zone
    is UTC and :data:`DISABLED_OPTIMIZERS` are added to its
    ``disabled_optimizers``.

    How much to read at once: :meth:`usage_plan` cuts the usage table into
    runs (of months, or of customers) so that one run's activity groups fit
    in half of ``memory_limit`` (:data:`USAGE_BYTES_PER_ROW`).

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection, optional
        An open connection, e.g. to a DuckDB database file or with a
        warehouse attached (``ATTACH 'postgres:...'``); tables named by a
        plain string are looked up there. Default: a new in-memory database.
    threads : int, optional
        ``SET threads``.
    memory_limit : str, optional
        ``SET memory_limit``, e.g. ``"8GB"``.
    temp_directory : str or Path, optional
        Where DuckDB spills (kept as it is: the backend removes only a folder
        it made).

    Examples
    --------
    >>> with DuckDBBackend(memory_limit="1GB") as b:
    ...     b.register("t", pd.DataFrame({"a": [1, 2]}))
    ...     b.fetch("SELECT count(*) AS n, max(a) AS top FROM t").to_dict("records")
    ...     round(b.memory_limit() / 1e9, 2)   # DuckDB reports it to 0.1 MiB
    't'
    [{'n': 2, 'top': 2}]
    1.0
    """

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, connection=None, *, threads: int | None = None, memory_limit: str | None = None,
                 temp_directory=None):
        import duckdb

        own = connection is None
        self.con = duckdb.connect() if own else connection
        self._own = own
        self._finalizer = None
        if own:
            memory_limit = memory_limit or os.environ.get("CSM_KIT_DUCKDB_MEMORY_LIMIT")
            if memory_limit is None and physical_memory():
                memory_limit = f"{physical_memory() // 2 // 1024 ** 2}MiB"
            threads = threads or os.environ.get("CSM_KIT_DUCKDB_THREADS")
            if temp_directory is None:
                made = tempfile.mkdtemp(prefix="csm-kit-duckdb-")
                temp_directory = made
                self._finalizer = weakref.finalize(self, shutil.rmtree, made, ignore_errors=True)
            self.con.execute("SET preserve_insertion_order = false")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{parse_bytes(memory_limit)}B'")
        if threads:
            self.con.execute(f"SET threads TO {int(threads)}")
        if temp_directory is not None:
            self.con.execute(f"SET temp_directory = '{Path(temp_directory).as_posix()}'")
        self.con.execute("SET TimeZone = 'UTC'")
        disabled = [o for o in str(self.con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
                                   or "").split(",") if o.strip()]
        wanted = ",".join(dict.fromkeys([o.strip() for o in disabled] + list(DISABLED_OPTIMIZERS)))
        self.con.execute(f"SET disabled_optimizers = '{wanted}'")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the connection if the backend opened it, and remove the temporary folder it made."""
        if self._own:
            self.con.close()
        if self._finalizer is not None:
            self._finalizer()

    def memory_limit(self) -> int:
        """The connection's ``memory_limit`` in bytes."""
        return parse_bytes(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    def usage_plan(self, table: str, *, k0: int, k1: int) -> dict:
        """How to read ``table`` (usage events) for months ``k0..k1``: the ``runs`` of :func:`usage_steps`.

        1. **How many runs.** The rows of the reported months are estimated
           from the table's row count and the span of its ``timestamp`` (free
           from Parquet statistics and DuckDB tables; a pandas frame or CSV is
           scanned), as if spread evenly; one run reads at most as many rows
           as half of ``memory_limit`` holds at :data:`USAGE_BYTES_PER_ROW`.
        2. **Split how.** If the table's first rows (1%, at most 65,536) fall
           in at most two months, it is in time order: runs of months (a month filter
           skips the other months' row groups). Otherwise (a table written
           account by account, as the simulator's Parquet files are), runs of
           customers, cut at quantiles of ``customer_id`` in a 1% sample of
           the rows (a customer range skips the other customers' row groups).
           If those first rows hold at most a tenth as many customers as rows
           (written customer by customer), runs hold at most
           :data:`USAGE_ROWS_PER_RUN` rows of the months even when memory
           would allow more: smaller hash tables are faster, and each run
           still reads only its own row groups.

        Returns ``{}`` (one run) when the estimate says it fits, or fails;
        else ``{"passes": n}`` or ``{"customer_bounds": [...]}``. Whatever the
        plan, the numbers are the same (tests/test_engine.py).
        """
        try:
            n, lo, hi = self.con.execute(f"SELECT count(*), min(timestamp), max(timestamp) FROM {table}").fetchall()[0]
        except Exception:  # noqa: BLE001 - an estimate only; the queries themselves report real errors
            return {}
        if not n or lo is None:
            return {}
        lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
        lo, hi = (t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t for t in (lo, hi))
        first = max(lo, pd.Timestamp(year=k0 // 12, month=k0 % 12 + 1, day=1))
        last = min(hi, pd.Timestamp(year=(k1 + 1) // 12, month=(k1 + 1) % 12 + 1, day=1))
        span = max((hi - lo).total_seconds(), 1.0)
        rows = n * min(max((last - first).total_seconds(), 0.0) / span, 1.0)
        per_pass = max(self.memory_limit() // 2 // USAGE_BYTES_PER_ROW, 1)
        runs = int(np.ceil(rows / per_pass))
        if runs <= 1 and rows <= USAGE_ROWS_PER_RUN:
            return {}
        first = max(min(n // 100, 65536), 1)
        months, customers = self.con.execute(
            f"SELECT count(DISTINCT year(timestamp) * 12 + month(timestamp)), count(DISTINCT customer_id) FROM "
            f"(SELECT timestamp, customer_id FROM {table} LIMIT {first}) t").fetchall()[0]
        if months <= 2:
            return {"passes": min(runs, k1 - k0 + 1)} if runs > 1 else {}
        if customers * 10 <= first:  # customer by customer: more, smaller runs cost no more reading
            runs = max(runs, int(np.ceil(rows / USAGE_ROWS_PER_RUN)))
        if runs <= 1:
            return {}
        bounds = customer_bounds(self.con, table, runs)
        return {"customer_bounds": bounds} if bounds else {"passes": min(runs, k1 - k0 + 1)}

    def register(self, name: str, source) -> str:
        """Make ``source`` readable as ``name``; returns the name to use in queries."""
        if isinstance(source, pd.DataFrame):
            self.con.register(name, source)
            return name
        if _is_path(source):
            path = str(source)
            reader = "read_csv" if path.lower().endswith(".csv") else "read_parquet"
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {reader}('{path}')")
            return name
        return str(source)  # a table of the connection's catalog, used as it is

    def columns(self, table: str) -> list[str]:
        return [row[0] for row in self.con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()]

    def create(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def drop(self, names) -> None:
        for name in names:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")


class SparkBackend:
    """Run the KPI queries on a Spark session (``pip install csm-kit[spark]``, Java 17).

    The queries are translated from DuckDB's dialect to Spark SQL by sqlglot;
    each step is cached as a temporary view. Timestamps are read in UTC: the
    session's ``spark.sql.session.timeZone`` is set to ``UTC``.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        A running session: ``local[2]`` on a laptop, or a cluster's. Tables
        named by a plain string (``"analytics.usage_events"``) are read from
        its catalog, so billions of usage rows never leave the cluster; only
        the monthly results (a few hundred rows) come back to pandas.
    """

    name = "spark"
    dialect = "spark"

    def __init__(self, spark):
        self.spark = spark
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        self._cached = {}

    def translate(self, sql: str) -> str:
        import sqlglot

        return sqlglot.transpile(sql, read="duckdb", write="spark")[0]

    def register(self, name: str, source) -> str:
        if isinstance(source, pd.DataFrame):
            frame = source.copy()
            for column in frame.columns:  # Arrow-backed strings and categoricals as plain text
                if isinstance(frame[column].dtype, (pd.StringDtype, pd.CategoricalDtype)) or \
                        str(frame[column].dtype).startswith("string"):
                    frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
            self.spark.createDataFrame(frame).createOrReplaceTempView(name)
            return name
        if _is_path(source):
            path = str(source)
            reader = self.spark.read.option("header", True) if path.lower().endswith(".csv") else self.spark.read
            (reader.csv(path) if path.lower().endswith(".csv") else reader.parquet(path)).createOrReplaceTempView(name)
            return name
        return str(source)

    def columns(self, table: str) -> list[str]:
        return list(self.spark.table(table).columns)

    def create(self, name: str, sql: str) -> None:
        frame = self.spark.sql(self.translate(sql)).cache()
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(self.translate(sql)).toPandas()

    def drop(self, names) -> None:
        for name in names:
            frame = self._cached.pop(name, None)
            if frame is not None:
                frame.unpersist()
            self.spark.catalog.dropTempView(name)
