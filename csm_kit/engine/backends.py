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

from pathlib import Path

import pandas as pd

_FILE_SUFFIXES = (".parquet", ".csv")


def _is_path(source) -> bool:
    if isinstance(source, Path):
        return True
    return isinstance(source, str) and (source.lower().endswith(_FILE_SUFFIXES) or "*" in source
                                        or Path(source).is_dir())


class DuckDBBackend:
    """Run the KPI queries in DuckDB (in-process; the default).

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection, optional
        An open connection, e.g. to a DuckDB database file or with a
        warehouse attached (``ATTACH 'postgres:...'``); tables named by a
        plain string are looked up there. Default: a new in-memory database.
    threads : int, optional
        ``SET threads``; DuckDB's default is every core.

    Examples
    --------
    >>> b = DuckDBBackend()
    >>> b.register("t", pd.DataFrame({"a": [1, 2]}))
    't'
    >>> b.fetch("SELECT count(*) AS n, max(a) AS top FROM t").to_dict("records")
    [{'n': 2, 'top': 2}]
    """

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, connection=None, *, threads: int | None = None):
        import duckdb

        self.con = connection if connection is not None else duckdb.connect()
        if threads:
            self.con.execute(f"SET threads TO {int(threads)}")
        self.con.execute("SET TimeZone = 'UTC'")

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
