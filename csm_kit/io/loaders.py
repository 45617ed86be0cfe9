"""`load_dataset`: read a data source, type it and validate it against the contract.

Sources
-------
- a folder with one file per table, ``<table>.csv`` or ``<table>.parquet``;
- a DuckDB database file (``.duckdb`` / ``.db``) with tables named as the contract;
- an SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://...``);
- a dict ``{table_name: DataFrame}`` (in-memory frames, validated the same way).

CSV files are read by pyarrow with every column as text, then parsed column
by column (vectorised), so that a value that does not parse can be reported
with its line number instead of turning silently into NaN. Parquet and
database columns keep their types and are checked the same way.

Conventions: identifiers are text (``"007"`` stays ``"007"``; a number from a
database becomes its text, ``42`` -> ``"42"``); datetimes are naive UTC (a
time with an offset, or a tz-aware column, is converted to UTC and the zone
dropped; a time without one is taken as UTC); columns outside the contract
are kept, after the contract's columns (as text when read from CSV).
"""
from __future__ import annotations

import csv
import warnings as _warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..contract import TABLES
from ..dataset import Dataset
from ..exceptions import DataValidationError, DataValidationWarning
from .validation import check_references, check_rules, type_table

DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")


def _read_csv(path: Path) -> pd.DataFrame:
    """Every column as text (empty cells as None), so parsing failures can be located."""
    if path.stat().st_size == 0:
        raise DataValidationError(path.stem, None, "the file is empty", detail=str(path))
    try:
        with path.open("rb") as fh:
            columns = next(csv.reader([fh.readline().decode("utf-8-sig")]))
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            # Only an empty cell is missing: "NA" or "null" may be a real region or comment.
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, null_values=[""],
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except UnicodeDecodeError as exc:
        _not_utf8(path, exc)
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as decode_error:
                _not_utf8(path, decode_error)
        raise DataValidationError(path.stem, None, "the CSV file cannot be read", detail=str(exc)) from exc
    return table.to_pandas()


def _not_utf8(path: Path, exc: UnicodeDecodeError):
    data = path.read_bytes()
    line = data[: exc.start].count(b"\n") + 1
    raise DataValidationError(path.stem, None, "text is not UTF-8",
                              detail=f"first bad byte on line {line} of {path.name}; save the file as UTF-8") from None


def _row_numbers(n: int, kind: str) -> np.ndarray:
    """Row numbers as a person finds them in the source: CSV lines (header = 1), else 1-based rows."""
    return np.arange(2, n + 2) if kind == "csv" else np.arange(1, n + 1)


def _folder_frames(folder: Path, tables) -> tuple[dict, dict, list[str]]:
    frames, kinds, notes = {}, {}, []
    known = {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")}
    for path in sorted(folder.iterdir()):
        # A README and hidden files (.DS_Store, .gitkeep) are expected company for data.
        documentation = path.name.startswith(".") or path.stem.upper() == "README"
        if path.is_file() and path.name not in known and not documentation:
            notes.append(f"{path.name}: not a table of the contract, ignored")
    for name in tables:
        csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
        if csv.exists() and parquet.exists():
            raise DataValidationError(name, None, "two files for one table",
                                      detail=f"both {csv.name} and {parquet.name} in {folder}; keep one")
        if csv.exists():
            frames[name], kinds[name] = _read_csv(csv), "csv"
        elif parquet.exists():
            if parquet.stat().st_size == 0:
                raise DataValidationError(name, None, "the file is empty", detail=str(parquet))
            try:
                frame = pq.read_table(parquet).to_pandas()
            except pa.ArrowInvalid as exc:
                raise DataValidationError(name, None, "the Parquet file cannot be read", detail=str(exc)) from exc
            if frame.empty:
                raise DataValidationError(name, None, "the table is empty (no data rows)", detail=str(parquet))
            frames[name], kinds[name] = frame, "parquet"
    return frames, kinds, notes


def _duckdb_frames(path: Path, tables) -> tuple[dict, dict, list[str]]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        frames = {name: con.execute(f'select * from "{name}"').df() for name in tables if name in present}
    return frames, {n: "duckdb" for n in frames}, []


def _sql_frames(url: str, tables) -> tuple[dict, dict, list[str]]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        present = set(sqlalchemy.inspect(engine).get_table_names())
        with engine.connect() as con:
            frames = {name: pd.read_sql_table(name, con) for name in tables if name in present}
    finally:
        engine.dispose()
    return frames, {n: "sql" for n in frames}, []


def _url_label(url: str) -> str:
    """The URL with its password masked, as ``Dataset.source`` (it ends up in reports)."""
    import sqlalchemy

    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def load_dataset(source, *, tables=None) -> Dataset:
    """Read, type and validate a data set.

    Parameters
    ----------
    source : str, Path or dict
        A folder of ``<table>.csv`` / ``<table>.parquet`` files, a DuckDB
        database file, an SQLAlchemy URL, or a dict of DataFrames.
    tables : sequence of str, optional
        Only these tables (default: every contract table the source has).

    Returns
    -------
    Dataset
        Tables typed as ``data/README.md`` says; absent tables are None;
        ``warnings`` lists soft problems (also emitted as
        ``DataValidationWarning``).

    Raises
    ------
    DataValidationError
        The first broken rule, with table, column, rule and offending rows.
    FileNotFoundError
        The source does not exist.

    Examples
    --------
    >>> ds = load_dataset({"customers": pd.DataFrame({"customer_id": ["c1"], "signup_date": ["2026-01-05"]})})
    >>> ds.customers.dtypes["signup_date"]
    dtype('<M8[ns]')
    >>> load_dataset({"customers": pd.DataFrame({"customer_id": ["c1", "c1"], "signup_date": ["2026-01-05"] * 2})})
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.DataValidationError: customers.customer_id: duplicate key (2 rows)
    Offending rows (row number as in the source):
        customer_id
    row
    1            c1
    2            c1
    """
    wanted = list(tables) if tables is not None else list(TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"Unknown table(s) {unknown}; the contract has {list(TABLES)}.")
    if isinstance(source, dict):
        extra = sorted(set(source) - set(TABLES))
        frames = {k: v for k, v in source.items() if k in wanted and v is not None}
        kinds, notes, label = {k: "frame" for k in frames}, [f"{e}: not a table of the contract, ignored" for e in extra], "memory"
    else:
        text = str(source)
        if "://" in text:
            frames, kinds, notes = _sql_frames(text, wanted)
            label = _url_label(text)
        else:
            path = Path(source)
            if not path.exists():
                raise FileNotFoundError(f"No data at {path} (expected a folder of CSV/Parquet files or a DuckDB file).")
            if path.is_dir():
                frames, kinds, notes = _folder_frames(path, wanted)
            elif path.suffix in DUCKDB_SUFFIXES:
                frames, kinds, notes = _duckdb_frames(path, wanted)
            else:
                raise ValueError(f"{path}: not a folder or a DuckDB file ({', '.join(DUCKDB_SUFFIXES)}).")
            label = str(path)
    if not frames:
        raise DataValidationError("customers", None, "no contract table found", detail=f"in {source!r}")

    typed, rows = {}, {}
    warnings = list(notes)
    for name, raw in frames.items():
        rows[name] = _row_numbers(len(raw), kinds[name])
        typed[name] = type_table(TABLES[name], raw, rows[name])
        warnings += check_rules(TABLES[name], typed[name], raw, rows[name])
    warnings += check_references(typed, frames, rows)
    for w in warnings:
        _warnings.warn(w, DataValidationWarning, stacklevel=2)
    return Dataset(**typed, source=label, warnings=tuple(warnings))
