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
database becomes its text, ``42`` -> ``"42"``); ids and labels lose
surrounding spaces (with a warning); datetimes are naive UTC (a time with an
offset, or a tz-aware column, is converted to UTC and the zone dropped; a
time without one is taken as UTC); a date after 2262-04-11 (``9999-12-31``)
in a column that may be empty is "no end" (with a warning); columns outside
the contract are kept, after the contract's columns (as text when read from
CSV). CSV rows are numbered as a spreadsheet shows them, blank lines
included.

A mapping (:mod:`csm_kit.io.mapping`) reads files with names of their own;
:func:`validate` lists every problem of a source at once (``csm-kit validate``).
"""
from __future__ import annotations

import codecs
import csv
import inspect
import io
import re
import warnings as _warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..contract import TABLES
from ..dataset import Dataset
from ..exceptions import DataValidationError, DataValidationWarning, MissingTableError
from .mapping import (DEFAULT_FILE, FileOptions, Mapping, MappingError, apply_mapping, missing_markers,
                      read_mapping, translate_error)
from .validation import (DataValidationErrors, check_references, check_rules, collected, type_table,
                         unknown_columns)

DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")


def _read_csv(path: Path, options: FileOptions = DEFAULT_FILE) -> tuple[pd.DataFrame, np.ndarray]:
    """Every column as text (empty cells as None), and each record's row number as a spreadsheet shows it."""
    table, rows = read_csv_table(path, options)
    return table.to_pandas(), rows


def read_csv_table(path: Path, options: FileOptions = DEFAULT_FILE) -> tuple[pa.Table, np.ndarray]:
    """A CSV file as an Arrow table of text (empty cells null), and each record's row number as a spreadsheet shows it.

    What :func:`load_dataset` reads a CSV file with (then as pandas), and
    :mod:`csm_kit.engine.validation` (as Arrow, handed to DuckDB), so both
    see the same cells and row numbers.

    The bytes are read once; Arrow parses them from memory. Arrow skips
    blank lines, which a spreadsheet shows as empty rows: when a file holds
    one (``\n\n``, rare), the rows are renumbered from a second, exact
    pass with Python's CSV reader, so a message after a blank line names the
    row the user sees. A cell longer than Arrow's 1 MB read block (a long
    comment) is read with one block for the whole file.
    """
    if path.stat().st_size == 0:
        raise DataValidationError(path.stem, None, "the file is empty", detail=str(path))
    data = path.read_bytes()
    utf8 = codecs.lookup(options.encoding).name == "utf-8"
    try:
        header = data.split(b"\n", 1)[0].decode("utf-8-sig" if utf8 else options.encoding)
        columns = next(csv.reader([header], delimiter=options.delimiter))
        table = _parse_csv(data, columns, options)
    except UnicodeDecodeError as exc:
        _not_utf8(path, exc, data)
    except pa.ArrowInvalid as exc:
        # Arrow reads blocks in threads: which problem it meets first (bad bytes, a ragged row) varies from run
        # to run. Bad bytes are looked for first, whatever Arrow said, so one file always gives one message.
        if utf8:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as decode_error:
                _not_utf8(path, decode_error, data)
        try:
            _locate_ragged_row(path, data, columns, options)
        except DataValidationError as located:
            raise located from None
        raise DataValidationError(path.stem, None, "the CSV file cannot be read", detail=str(exc)) from exc
    rows = _row_numbers(table.num_rows, "csv")
    if _has_blank_lines(data):
        rows = _rows_around_blank_lines(data, options, table.num_rows, rows)
    return table, rows


def _parse_csv(data: bytes, columns, options: FileOptions) -> pa.Table:
    read = pacsv.ReadOptions(encoding=options.encoding)
    parse = pacsv.ParseOptions(newlines_in_values=True, delimiter=options.delimiter)
    convert = _as_text(columns, options.na_values)
    try:
        return pacsv.read_csv(pa.BufferReader(data), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        if "straddling" not in str(exc):
            raise
    # A cell longer than the read block (1 MB): one block holds the whole file.
    read = pacsv.ReadOptions(encoding=options.encoding, block_size=min(len(data) + 1, 2**31 - 1))
    return pacsv.read_csv(pa.BufferReader(data), read_options=read, parse_options=parse, convert_options=convert)


def _as_text(columns, na_values=()) -> pacsv.ConvertOptions:
    # Only an empty cell is missing: "NA" or "null" may be a real region or comment (unless a mapping says so).
    return pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, null_values=["", *na_values],
                                strings_can_be_null=True, quoted_strings_can_be_null=True)


_BLANK_LINE = re.compile(rb"\n\r?\n")


def _has_blank_lines(data: bytes) -> bool:
    return _BLANK_LINE.search(data) is not None  # one regex pass: faster than two substring searches


def _spreadsheet_rows(data: bytes, options: FileOptions) -> np.ndarray:
    """The spreadsheet row number of each non-blank record, header included (header = 1)."""
    text = data.decode("utf-8-sig" if codecs.lookup(options.encoding).name == "utf-8" else options.encoding)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=options.delimiter)
    return np.array([i + 1 for i, record in enumerate(records) if record], dtype=np.int64)


def _rows_around_blank_lines(data: bytes, options: FileOptions, n: int, rows: np.ndarray) -> np.ndarray:
    """Spreadsheet row numbers of the data records when blank lines sit between them."""
    numbers = _spreadsheet_rows(data, options)[1:]
    # Only if Python's reader sees the records Arrow read; otherwise keep the plain numbering.
    return numbers if len(numbers) == n else rows


def _locate_ragged_row(path: Path, data: bytes, columns, options: FileOptions) -> None:
    """Raise naming the first row whose number of cells differs from the header's.

    Only on the failure path: Arrow knows row numbers when it reads with one
    thread, which is slower, so the first (threaded) read does not ask.
    """
    ragged = []

    def remember(row):
        ragged.append(row)
        return "error"

    try:
        pacsv.read_csv(pa.BufferReader(data),
                       read_options=pacsv.ReadOptions(use_threads=False, encoding=options.encoding,
                                                      block_size=min(len(data) + 1, 2**31 - 1)),
                       convert_options=_as_text(columns, options.na_values),
                       parse_options=pacsv.ParseOptions(newlines_in_values=True, delimiter=options.delimiter,
                                                        invalid_row_handler=remember))
    except pa.ArrowInvalid:
        pass
    if ragged and ragged[0].number is not None:
        row = ragged[0]
        number = row.number  # Arrow counts records without the blank lines a spreadsheet shows
        if _has_blank_lines(data):
            records = _spreadsheet_rows(data, options)
            number = int(records[number - 1]) if 0 < number <= len(records) else number
        shown = pd.DataFrame({"cells": [row.actual_columns], "text": [row.text]}, index=pd.Index([number], name="row"))
        raise DataValidationError(path.stem, None, "a row has the wrong number of cells", rows=shown,
                                  detail=f"the header has {row.expected_columns}; quote cells that hold commas")


def _not_utf8(path: Path, exc: UnicodeDecodeError, data: bytes):
    line = data[: exc.start].count(b"\n") + 1
    raise DataValidationError(path.stem, None, "text is not UTF-8",
                              detail=f"first bad byte on line {line} of {path.name}; save the file as UTF-8, "
                                     "or give its encoding in a mapping (encoding: latin-1)") from None


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


def _folder_frames(folder: Path, tables, errors, mapping: Mapping | None = None) -> tuple[dict, dict, list[str]]:
    """Frames of the wanted tables in ``folder``; ``kinds`` holds each one's row numbers when read from CSV."""
    frames, kinds, notes = {}, {}, folder_notes(folder, mapping)
    for name in tables:
        table_mapping = mapping.get(name) if mapping is not None else None
        options = mapping.options(name) if mapping is not None else DEFAULT_FILE
        with collected(errors):
            if table_mapping is not None and table_mapping.file is not None:
                path = folder / table_mapping.file
                if not path.is_file():
                    raise DataValidationError(name, None, "the file named in the mapping is not there",
                                              detail=f"{table_mapping.file} not found in {folder}",
                                              source=mapping.origin)
                try:
                    if path.suffix.lower() == ".parquet":
                        frames[name], kinds[name] = _read_parquet(path), "parquet"
                    else:
                        frames[name], kinds[name] = _read_csv(path, options)
                except DataValidationError as exc:  # named by the file's stem: name the table and the file
                    raise DataValidationError(name, exc.column, exc.rule, rows=exc.rows, detail=exc.detail,
                                              source=table_mapping.file) from None
                continue
            csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
            if csv.exists() and parquet.exists():
                raise DataValidationError(name, None, "two files for one table",
                                          detail=f"both {csv.name} and {parquet.name} in {folder}; keep one")
            if csv.exists():
                frames[name], kinds[name] = _read_csv(csv, options)
            elif parquet.exists():
                frames[name], kinds[name] = _read_parquet(parquet), "parquet"
            elif table_mapping is not None:
                raise DataValidationError(name, None, "the mapping describes a table the source does not have",
                                          detail=f"no {csv.name} or {parquet.name} in {folder}; give its file: "
                                                 "in the mapping, or drop the section", source=mapping.origin)
    return frames, kinds, notes


def folder_notes(folder: Path, mapping: Mapping | None = None) -> list[str]:
    """Warnings for the files of a data folder that are not tables of the contract (they are ignored)."""
    notes = []
    known = {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")} | {"snapshot.json"}  # snapshot_import.MARKER
    mapped = {str((folder / t.file).resolve()) for t in mapping.tables.values() if t.file} if mapping else set()
    if mapping is not None and mapping.path:
        mapped.add(mapping.path)
    for path in sorted(folder.iterdir()):
        # A README and hidden files (.DS_Store, .gitkeep) are expected company for data.
        documentation = path.name.startswith(".") or path.stem.upper() == "README"
        if path.is_file() and path.name not in known and not documentation and str(path.resolve()) not in mapped:
            notes.append(f"{path.name}: not a table of the contract, ignored")
    return notes


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


def _read_source(source, wanted, errors, mapping: Mapping | None = None) -> tuple[dict, dict, list[str], str]:
    """The raw frames of the wanted tables, how each was read, notes, and a label for the source."""
    if mapping is not None and not (isinstance(source, (str, Path)) and Path(source).is_dir()):
        with_file = [t.table for t in mapping.tables.values() if t.file is not None]
        if with_file:
            raise MappingError(f"{mapping.origin}: {with_file[0]}.file: files are named only for a folder "
                               "source; a database or a dict holds tables by their contract names")
    if isinstance(source, dict):
        return (*_frames_from_dict(source, wanted), "memory")
    text = str(source)
    if "://" in text:
        return (*_sql_frames(text, wanted), _url_label(text))
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"No data at {path} (expected a folder of CSV/Parquet files or a DuckDB file).")
    if path.is_dir():
        return (*_folder_frames(path, wanted, errors, mapping), str(path))
    if path.suffix in DUCKDB_SUFFIXES:
        return (*_duckdb_frames(path, wanted), str(path))
    raise ValueError(f"{path}: not a folder or a DuckDB file ({', '.join(DUCKDB_SUFFIXES)}).")


def _file_name(source, name: str, kind, mapping: Mapping | None) -> str:
    """The user's name for where a table came from: its file, or the table's name in a database."""
    table_mapping = mapping.get(name) if mapping is not None else None
    if table_mapping is not None and table_mapping.file is not None:
        return table_mapping.file
    if isinstance(kind, np.ndarray):  # read from CSV (kind holds its row numbers)
        return f"{name}.csv"
    return f"{name}.parquet" if kind == "parquet" else name


def _runner_snapshot(source, mapping):
    """The report runner's validated copy of this source (loaded with this mapping), or None.

    ``mapping`` is passed as the caller gave it (a path, a dict): the runner
    keys its snapshot by what it was given (``csm_kit.report.snapshot.mapping_key``).
    A snapshot reader that does not know mappings is never asked for mapped data.
    """
    from ..report.snapshot import read_snapshot

    if mapping is None:
        return read_snapshot(source)
    if "mapping" not in inspect.signature(read_snapshot).parameters:
        return None
    return read_snapshot(source, mapping=mapping)


def _in_user_terms(err: DataValidationError, mapping, files, originals, rows) -> DataValidationError:
    if mapping is None or err.table not in originals:
        return err
    return translate_error(err, mapping.get(err.table), files[err.table], originals[err.table], rows[err.table])


def load_dataset(source, *, tables=None, strict: bool = True, mapping=None) -> Dataset:
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
    mapping : str, Path or dict, optional
        A mapping file (YAML) or dict saying which file holds each table and
        how its columns, values and date formats translate into the
        contract's (:mod:`csm_kit.io.mapping`). Errors then name the user's
        own file, column and rows.

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
    MappingError
        The mapping names an unknown table, key or column.
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
        snapshot = _runner_snapshot(source, mapping)
        if snapshot is not None:
            return snapshot
    mapping = read_mapping(mapping) if mapping is not None else None
    wanted = list(tables) if tables is not None else list(TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"Unknown table(s) {unknown}; the contract has {list(TABLES)}.")
    errors = None if strict else []
    frames, kinds, notes, label = _read_source(source, wanted, errors, mapping)
    if not frames and not errors:
        raise MissingTableError(f"No contract table in {label}: expected tables (or files <table>.csv / "
                                f"<table>.parquet) named {', '.join(wanted)}.")

    typed, rows, originals, files = {}, {}, {}, {}
    warnings = list(notes)
    try:
        for name in list(frames):
            raw = frames[name]
            rows[name] = kinds[name] if isinstance(kinds[name], np.ndarray) else _row_numbers(len(raw), kinds[name])
            table_mapping = mapping.get(name) if mapping is not None else None
            with collected(errors):
                if table_mapping is not None:
                    originals[name], files[name] = raw, _file_name(source, name, kinds[name], mapping)
                    try:
                        raw = frames[name] = apply_mapping(table_mapping, raw, rows[name], files[name], warnings)
                    except DataValidationError:
                        del frames[name]
                        raise
                elif (mapping is not None and mapping.default_options.na_values
                      and not isinstance(kinds[name], np.ndarray)):  # CSV readers handle them themselves
                    raw = frames[name] = missing_markers(raw, mapping.default_options.na_values)
                typed[name] = type_table(TABLES[name], raw, rows[name], errors, notes=warnings)
                warnings += unknown_columns(TABLES[name], list(raw.columns))
                warnings += check_rules(TABLES[name], typed[name], raw, rows[name], errors)
        warnings += check_references(typed, frames, rows, errors)
    except DataValidationError as exc:  # strict: the first broken rule, in the user's terms
        raise _in_user_terms(exc, mapping, files, originals, rows) from None
    if errors:
        errors = [_in_user_terms(e, mapping, files, originals, rows) for e in errors]
        failure = errors[0] if len(errors) == 1 else DataValidationErrors(errors)
        failure.warnings = tuple(warnings)  # the soft problems found too, for validate()
        raise failure
    for w in warnings:
        _warnings.warn(w, DataValidationWarning, stacklevel=2)
    from .snapshot_import import apply_snapshot_marker  # a folder with snapshot.json is a snapshot data set

    return apply_snapshot_marker(Dataset(**typed, source=label, warnings=tuple(warnings)), source)


@dataclass(frozen=True)
class ValidationReport:
    """Every problem of a data source at once: what :func:`validate` and ``csm-kit validate`` give.

    Attributes
    ----------
    source : str
        The source checked (a URL's password masked).
    errors : tuple of DataValidationError
        Every broken rule of every table (each names table, column, rule and rows).
    warnings : tuple of str
        Soft problems (the data loads; each is worth a look).
    dataset : Dataset or None
        The loaded data when there is no error.
    """

    source: str
    errors: tuple
    warnings: tuple
    dataset: Dataset | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is broken (warnings allowed)."""
        return not self.errors

    def to_text(self) -> str:
        """The report as plain text: a summary line, then each error with its rows, then each warning."""
        n_e, n_w = len(self.errors), len(self.warnings)
        head = (f"{self.source}: {n_e} error{'s' if n_e != 1 else ''}, {n_w} warning{'s' if n_w != 1 else ''}"
                + ("" if n_e else " - the data loads"))
        parts = [head]
        for i, err in enumerate(self.errors, 1):
            parts.append(f"\nERROR {i}/{n_e}: {err}")
        for i, w in enumerate(self.warnings, 1):
            parts.append(f"\nwarning {i}/{n_w}: {w}")
        return "\n".join(parts) + "\n"


def validate(source, *, mapping=None, tables=None) -> ValidationReport:
    """Check a data source against the contract and list every problem, without stopping at the first.

    :func:`load_dataset` with ``strict=False``, warnings caught: the list a
    person fixing a new export needs in one pass. Problems with the source
    itself (no such folder, a malformed mapping) still raise.

    Parameters
    ----------
    source, mapping, tables
        As for :func:`load_dataset`.

    Returns
    -------
    ValidationReport
        ``errors`` (every broken rule), ``warnings``, and ``dataset`` when it loads.

    Examples
    --------
    >>> bad = {"customers": pd.DataFrame({"customer_id": ["c1", "c1"], "signup_date": ["2026-01-05", "2026-05"]})}
    >>> report = validate(bad)
    >>> report.ok, [(e.column, e.rule) for e in report.errors]
    (False, [('signup_date', 'a partial date (year or month only)'), ('customer_id', 'duplicate key')])
    """
    label = "memory" if isinstance(source, dict) else (_url_label(str(source)) if "://" in str(source) else str(source))
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", DataValidationWarning)
        try:
            ds = load_dataset(source, strict=False, mapping=mapping, tables=tables)
        except DataValidationError as exc:
            found = exc.errors if isinstance(exc, DataValidationErrors) else (exc,)
            return ValidationReport(label, found, getattr(exc, "warnings", ()))
    return ValidationReport(label, (), ds.warnings, ds)
