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
from ..exceptions import DataValidationError, DataValidationWarning, MissingTableError
from .validation import (DataValidationErrors, check_references, check_rules, collected, type_table,
                         unknown_columns)

DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")


def _read_csv(path: Path) -> pd.DataFrame:
    """Every column as text (empty cells as None), so parsing failures can be located."""
    if path.stat().st_size == 0:
        raise DataValidationError(path.stem, None, "the file is empty", detail=str(path))
    try:
        with path.open("rb") as fh:
            columns = next(csv.reader([fh.readline().decode("utf-8-sig")]))
        table = pacsv.read_csv(path, parse_options=_CSV_PARSE, convert_options=_as_text(columns))
    except UnicodeDecodeError as exc:
        _not_utf8(path, exc)
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as decode_error:
                _not_utf8(path, decode_error)
        try:
            _locate_ragged_row(path, columns)
        except DataValidationError as located:
            raise located from None
        raise DataValidationError(path.stem, None, "the CSV file cannot be read", detail=str(exc)) from exc
    return table.to_pandas()


# Cells may hold quoted line breaks (comments); the writer produces them.
_CSV_PARSE = pacsv.ParseOptions(newlines_in_values=True)


def _as_text(columns) -> pacsv.ConvertOptions:
    # Only an empty cell is missing: "NA" or "null" may be a real region or comment.
    return pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, null_values=[""],
                                strings_can_be_null=True, quoted_strings_can_be_null=True)


def _locate_ragged_row(path: Path, columns) -> None:
    """Raise naming the first row whose number of cells differs from the header's.

    Only on the failure path: Arrow knows row numbers when it reads with one
    thread, which is slower, so the first (threaded) read does not ask.
    """
    ragged = []

    def remember(row):
        ragged.append(row)
        return "error"

    try:
        pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False), convert_options=_as_text(columns),
                       parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=remember))
    except pa.ArrowInvalid:
        pass
    if ragged and ragged[0].number is not None:
        row = ragged[0]
        shown = pd.DataFrame({"cells": [row.actual_columns], "text": [row.text]}, index=pd.Index([row.number], name="row"))
        raise DataValidationError(path.stem, None, "a row has the wrong number of cells", rows=shown,
                                  detail=f"the header has {row.expected_columns}; quote cells that hold commas")


def _not_utf8(path: Path, exc: UnicodeDecodeError):
    data = path.read_bytes()
    line = data[: exc.start].count(b"\n") + 1
    raise DataValidationError(path.stem, None, "text is not UTF-8",
                              detail=f"first bad byte on line {line} of {path.name}; save the file as UTF-8") from None


def _row_numbers(n: int, kind: str) -> np.ndarray:
    """Row numbers as a person finds them in the source: CSV lines (header = 1), else 1-based rows."""
    return np.arange(2, n + 2) if kind == "csv" else np.arange(1, n + 1)


def _read_parquet(path: Path) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise DataValidationError(path.stem, None, "the file is empty", detail=str(path))
    try:
        return pq.read_table(path).to_pandas()
    except pa.ArrowInvalid as exc:
        raise DataValidationError(path.stem, None, "the Parquet file cannot be read", detail=str(exc)) from exc


def _folder_frames(folder: Path, tables, errors) -> tuple[dict, dict, list[str]]:
    frames, kinds, notes = {}, {}, []
    known = {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")}
    for path in sorted(folder.iterdir()):
        # A README and hidden files (.DS_Store, .gitkeep) are expected company for data.
        documentation = path.name.startswith(".") or path.stem.upper() == "README"
        if path.is_file() and path.name not in known and not documentation:
            notes.append(f"{path.name}: not a table of the contract, ignored")
    for name in tables:
        csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
        with collected(errors):
            if csv.exists() and parquet.exists():
                raise DataValidationError(name, None, "two files for one table",
                                          detail=f"both {csv.name} and {parquet.name} in {folder}; keep one")
            if csv.exists():
                frames[name], kinds[name] = _read_csv(csv), "csv"
            elif parquet.exists():
                frames[name], kinds[name] = _read_parquet(parquet), "parquet"
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


def _frames_from_dict(source: dict, wanted) -> tuple[dict, dict, list[str]]:
    notes = [f"{e}: not a table of the contract, ignored" for e in sorted(set(source) - set(TABLES))]
    frames = {k: v for k, v in source.items() if k in wanted and v is not None}
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"source[{name!r}] must be a pandas DataFrame (or None), not {type(frame).__name__}.")
    return frames, {k: "frame" for k in frames}, notes


def _read_source(source, wanted, errors) -> tuple[dict, dict, list[str], str]:
    """The raw frames of the wanted tables, how each was read, notes, and a label for the source."""
    if isinstance(source, dict):
        return (*_frames_from_dict(source, wanted), "memory")
    text = str(source)
    if "://" in text:
        return (*_sql_frames(text, wanted), _url_label(text))
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"No data at {path} (expected a folder of CSV/Parquet files or a DuckDB file).")
    if path.is_dir():
        return (*_folder_frames(path, wanted, errors), str(path))
    if path.suffix in DUCKDB_SUFFIXES:
        return (*_duckdb_frames(path, wanted), str(path))
    raise ValueError(f"{path}: not a folder or a DuckDB file ({', '.join(DUCKDB_SUFFIXES)}).")


def load_dataset(source, *, tables=None, strict: bool = True) -> Dataset:
    """Read, type and validate a data set.

    Every table is typed as the contract says and checked against its rules
    (``data/README.md`` lists them); a broken rule stops the load, because a
    metric computed on silently dropped or coerced rows would be wrong
    without anyone knowing. Soft problems load, with a warning.

    Parameters
    ----------
    source : str, Path or dict
        A folder of ``<table>.csv`` / ``<table>.parquet`` files, a DuckDB
        database file (``.duckdb``, ``.db``, ``.ddb``), an SQLAlchemy URL
        (``sqlite:///cs.db``, ``postgresql://user@host/db``), or a dict
        ``{table: DataFrame}``.
    tables : sequence of str, optional
        Only these tables (default: every contract table the source has).
        References are checked only against tables that are loaded.
    strict : bool, default True
        ``True``: stop at the first broken rule (fast). ``False``: check
        every rule of every table first, then raise one
        :class:`~csm_kit.io.validation.DataValidationErrors` listing them
        all (its ``errors`` attribute), to fix a new data source in one
        pass. Broken data never loads in either mode; there is no mode that
        turns a broken rule into a warning.

    Returns
    -------
    Dataset
        Tables typed as ``data/README.md`` says; absent tables are None;
        ``warnings`` lists soft problems (also emitted as
        ``DataValidationWarning``).

    Raises
    ------
    DataValidationError
        A broken rule, with table, column, rule and offending rows.
    MissingTableError
        The source holds no contract table at all.
    FileNotFoundError
        The source does not exist.
    ValueError
        An unknown table name, or a file that is neither a folder nor a
        DuckDB database.

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
    if tables is None:  # inside a report run: the runner's already validated copy of this very source
        from ..report.snapshot import read_snapshot

        snapshot = read_snapshot(source)
        if snapshot is not None:
            return snapshot
    wanted = list(tables) if tables is not None else list(TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"Unknown table(s) {unknown}; the contract has {list(TABLES)}.")
    errors = None if strict else []
    frames, kinds, notes, label = _read_source(source, wanted, errors)
    if not frames and not errors:
        raise MissingTableError(f"No contract table in {label}: expected tables (or files <table>.csv / "
                                f"<table>.parquet) named {', '.join(wanted)}.")

    typed, rows = {}, {}
    warnings = list(notes)
    for name, raw in frames.items():
        rows[name] = _row_numbers(len(raw), kinds[name])
        with collected(errors):
            typed[name] = type_table(TABLES[name], raw, rows[name], errors, notes=warnings)
            warnings += unknown_columns(TABLES[name], list(raw.columns))
            warnings += check_rules(TABLES[name], typed[name], raw, rows[name], errors)
    warnings += check_references(typed, frames, rows, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else DataValidationErrors(errors)
    for w in warnings:
        _warnings.warn(w, DataValidationWarning, stacklevel=2)
    return Dataset(**typed, source=label, warnings=tuple(warnings))
