"""Writing a Dataset out: CSV or Parquet folders, a DuckDB file, an SQL database.

CSV is written so that loading it back gives the same values and dtypes:
dates as ``YYYY-MM-DD``, instants as ISO 8601, floats in their shortest
round-trip form, booleans as ``true``/``false``, missing values as empty
cells (so an empty text and a missing text are the same thing on disk).
Output is deterministic: the same Dataset always gives the same bytes.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..contract import TABLES

FORMATS = ("csv", "parquet")


def _csv_ready(name: str, df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in TABLES[name].columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind == "date":
            out[col.name] = s.dt.strftime("%Y-%m-%d")
        elif col.kind == "datetime":
            has_fraction = bool((s.dropna().dt.microsecond != 0).any() or (s.dropna().dt.nanosecond != 0).any())
            out[col.name] = s.dt.strftime("%Y-%m-%dT%H:%M:%S.%f" if has_fraction else "%Y-%m-%dT%H:%M:%S")
        elif col.kind == "bool":
            out[col.name] = s.map({True: "true", False: "false"})
    return out


def write_dataset(ds, path, format: str = "csv") -> Path:
    """Write every present table to ``path/<table>.<format>``; returns the folder."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}.")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in ds:
        target = folder / f"{name}.{format}"
        if format == "csv":
            _csv_ready(name, df).to_csv(target, index=False, lineterminator="\n")
        else:
            df.to_parquet(target, index=False, engine="pyarrow", compression="zstd")
    return folder


def write_duckdb(ds, path) -> Path:
    """Write every present table into a DuckDB database file (replacing tables of the same name)."""
    import duckdb

    path = Path(path)
    with duckdb.connect(str(path)) as con:
        for name, df in ds:
            con.register("frame", df)
            con.execute(f'create or replace table "{name}" as select * from frame')
            con.unregister("frame")
    return path


def write_sql(ds, url: str) -> None:
    """Write every present table to an SQLAlchemy database (SQLite, Postgres, ...)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        for name, df in ds:
            df.to_sql(name, engine, index=False, if_exists="replace")
    finally:
        engine.dispose()
