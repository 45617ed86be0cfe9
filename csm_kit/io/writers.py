"""Writing a Dataset out: CSV or Parquet folders, a DuckDB file, an SQL database.

CSV is written so that loading it back gives the same values and dtypes:
dates as ``YYYY-MM-DD``, instants as ISO 8601 (with as many fractional
digits as the data needs: none, 6 or 9), floats in their shortest
round-trip form, booleans as ``true``/``false``, missing values as empty
cells (so an empty text and a missing text are the same thing on disk).
Lines end with ``\n``, except in a file whose text holds a carriage return:
there they end with ``\r\n``, because Python's CSV writer quotes a cell
only for the characters of its line ending, and an unquoted ``\r`` would
split the row when read back.
Output is deterministic: the same Dataset always gives the same bytes, which
the simulator's reproducibility relies on.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import TABLES

FORMATS = ("csv", "parquet")


def _iso_datetimes(s: pd.Series) -> pd.Series:
    """ISO 8601 text of naive datetimes, exact to the nanosecond, vectorised.

    ``strftime`` has no nanosecond directive, so the fraction is appended from
    the integer nanoseconds within the second, and only as long as needed.
    """
    text = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
    valid = s.notna().to_numpy()
    nanos = np.where(valid, s.to_numpy(dtype="datetime64[ns]").astype("int64") % 1_000_000_000, 0)
    if (nanos % 1000 != 0).any():
        digits = 9
    elif (nanos != 0).any():
        digits, nanos = 6, nanos // 1000
    else:
        return text
    fraction = pd.Series(nanos, index=s.index).astype(str).str.zfill(digits)
    return (text + "." + fraction).where(valid, None)


def _csv_ready(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table with dates, datetimes and booleans as the text the contract specifies."""
    out = df.copy()
    for col in TABLES[name].columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind == "date":
            out[col.name] = s.dt.strftime("%Y-%m-%d")
        elif col.kind == "datetime":
            out[col.name] = _iso_datetimes(s)
        elif col.kind == "bool":
            out[col.name] = s.map({True: "true", False: "false"})
    return out


def _holds_carriage_return(df: pd.DataFrame) -> bool:
    for name in df.columns:
        s = df[name]
        if s.dtype != object:
            continue
        try:
            text = pa.array(s, type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # not only text: its printed form
            text = pa.array(s.astype(str), type=pa.string())
        if pc.any(pc.match_substring(text, "\r")).as_py():
            return True
    return False


def write_dataset(ds, path, format: str = "csv") -> Path:
    """Write every present table to ``path/<table>.<format>``.

    Parameters
    ----------
    ds : Dataset
        The data set; absent tables (None) are not written.
    path : str or Path
        The folder; created if needed. Files of the same name are replaced;
        other files are left alone (so do not write Parquet into a folder
        that already holds the CSV of the same table: loading would refuse
        the two files).
    format : {"csv", "parquet"}
        ``"csv"``: UTF-8, ``\\n`` line ends, header row, conventions of the
        module docstring. ``"parquet"``: pyarrow, zstd-compressed, the pandas
        dtypes kept exactly.

    Returns
    -------
    Path
        The folder, ready for :func:`csm_kit.load_dataset`.

    Examples
    --------
    >>> import tempfile
    >>> from csm_kit import Dataset
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["007"],
    ...                                      "signup_date": pd.to_datetime(["2026-01-05"])}))
    >>> folder = write_dataset(ds, tempfile.mkdtemp())
    >>> print((folder / "customers.csv").read_text(), end="")
    customer_id,signup_date
    007,2026-01-05
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}.")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in ds:
        target = folder / f"{name}.{format}"
        if format == "csv":
            ready = _csv_ready(name, df)
            line_end = "\r\n" if _holds_carriage_return(ready) else "\n"
            ready.to_csv(target, index=False, lineterminator=line_end, encoding="utf-8")
        else:
            _write_parquet(df, target)
    from .snapshot_import import write_snapshot_marker  # snapshot.json beside a snapshot's tables

    write_snapshot_marker(ds, folder)
    return folder


def write_duckdb(ds, path) -> Path:
    """Write every present table into a DuckDB database file.

    Parameters
    ----------
    ds : Dataset
        The data set; absent tables are not written.
    path : str or Path
        The database file; created if needed. Tables of the same name are
        replaced, other tables are left alone.

    Returns
    -------
    Path
        The file, ready for :func:`csm_kit.load_dataset`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from csm_kit import Dataset, load_dataset
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["007"],
    ...                                      "signup_date": pd.to_datetime(["2026-01-05"])}))
    >>> db = write_duckdb(ds, pathlib.Path(tempfile.mkdtemp()) / "cs.duckdb")
    >>> load_dataset(db).customers["customer_id"].tolist()
    ['007']
    """
    import duckdb

    path = Path(path)
    with duckdb.connect(str(path)) as con:
        for name, df in ds:
            con.register("frame", df)
            con.execute(f'create or replace table "{name}" as select * from frame')
            con.unregister("frame")
    return path


def write_sql(ds, url: str) -> None:
    """Write every present table to an SQLAlchemy database (SQLite, Postgres, ...).

    Parameters
    ----------
    ds : Dataset
        The data set; absent tables are not written.
    url : str
        An SQLAlchemy URL, e.g. ``sqlite:///cs.db`` or
        ``postgresql://user@host/db`` (the driver must be installed).
        Tables of the same name are replaced (``if_exists="replace"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from csm_kit import Dataset, load_dataset
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["007"],
    ...                                      "signup_date": pd.to_datetime(["2026-01-05"])}))
    >>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'cs.db'}"
    >>> write_sql(ds, url)
    >>> load_dataset(url).customers["signup_date"].tolist()
    [Timestamp('2026-01-05 00:00:00')]
    """
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        for name, df in ds:
            df.to_sql(name, engine, index=False, if_exists="replace")
    finally:
        engine.dispose()


def _write_parquet(df, target: Path) -> None:
    """Parquet with microsecond timestamps, which Spark and most warehouses read (nanoseconds they refuse).

    Only when that loses nothing: a table holding sub-microsecond times keeps nanoseconds, so that
    loading what the kit wrote still gives the same values.
    """
    import pyarrow as pa

    try:
        df.to_parquet(target, index=False, engine="pyarrow", compression="zstd", coerce_timestamps="us",
                      allow_truncated_timestamps=False)
    except pa.ArrowInvalid:
        df.to_parquet(target, index=False, engine="pyarrow", compression="zstd")
