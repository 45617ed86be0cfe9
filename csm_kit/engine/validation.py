"""Checking contract tables in the engine: the rules of the contract as DuckDB queries.

:func:`validated_tables` does what :func:`csm_kit.load_dataset` does (type
every column as the contract says, check every rule, name the table, column,
rule and offending rows of a broken one) without building pandas frames of
the tables: each table stays a DuckDB relation over its file, and typed views
of it are what the engine's KPI queries read (``csm-kit kpis``).

How a table is checked
----------------------
1. **Read.** Parquet: ``read_parquet`` with the file's row numbers (1-based,
   as :func:`load_dataset` numbers them). A DuckDB database file: attached
   read-only, rows numbered by ``rowid + 1``. CSV: the kit's own reader,
   :func:`csm_kit.io.loaders.read_csv_table` (Arrow, every cell text, empty
   cells null, spreadsheet row numbers with the header as row 1), handed to
   DuckDB as Arrow without a copy: the cells, the read errors and the row
   numbers are those of ``load_dataset`` by construction (quoting, blank
   lines, encodings, ragged rows), at the cost of holding the file's text in
   Arrow memory (a fraction of the pandas objects ``load_dataset`` builds).
2. **Plain text first.** One pass finds the text columns whose every value
   begins and ends with a printable ASCII character (most ids, labels,
   dates and numbers): those need no trimming, so their checks and typed
   values are the column itself. In a Parquet file with statistics, the
   NULLs and the first characters come from the footer.
3. **One aggregate query per table** counts, for every column and rule, the
   rows that break it (empty required values, dates that do not parse, dates
   after ``LAST_DAY``, times of day in a date column, infinite or fractional
   numbers, not true/false, minimum/maximum, allowed values, not-before
   pairs, survey scales, ids and labels with surrounding spaces, "no end"
   placeholders, zero-length subscriptions, stale tickets) together with the
   first and last day of the time columns. From a Parquet file, the counts
   its footer proves are not asked (:func:`_footer_counts`: NULL counts,
   ranges of dates and numbers from every row group's statistics; a file
   without them is checked by the rows alone). Set rules have a query each:
   duplicate keys, the total MRR bound, the first-value milestone, repeated
   usage rows (64-bit hashes of the rows sorted in numpy, the rows of equal
   hashes then compared by value), and after every table the references to
   other tables, surveys dated before signup and customers without a
   subscription.
4. **A count that is not zero** fetches the first five offending rows
   (``ORDER BY`` row number ``LIMIT 5``), read back exactly as ``load_dataset``
   shows them (the same cells, types and row numbers), and raises the same
   :class:`~csm_kit.exceptions.DataValidationError`, in the same order of
   checks; the texts come from one catalogue
   (:data:`csm_kit.io.validation.RULES`, ``DETAILS``, ``NOTES``). With
   ``strict=False`` every broken rule is collected into one
   :class:`~csm_kit.io.validation.DataValidationErrors`, as ``load_dataset``
   collects them.

When the queries are not trusted: the pandas path
-------------------------------------------------
DuckDB and pandas do not read every spelling alike (pandas reads ISO 8601
with offsets, ``Z``, week dates; DuckDB casts ``24:00:00`` to the next day;
Arrow trims Unicode spaces DuckDB's ``trim`` keeps). The queries therefore
accept only spellings proven to give the same value both ways, and the same
aggregate counts every other ("odd") value:

- text: trimmed of the ASCII spaces Arrow trims (tab, line feed, vertical
  tab, form feed, carriage return, the four separators 0x1C-0x1F, space), and
  then beginning and ending with a printable ASCII character (ids, labels), or
  holding one (free text, whose blankness is all that matters);
- dates and times: ``YYYY-MM-DD``, optionally with ``T`` or a space and
  ``HH:MM:SS`` (hours 00-23) and up to six decimals, years 1678 and later;
  typed Parquet/DuckDB dates and timestamps (time zones converted to UTC),
  nanoseconds only when they are whole microseconds;
- numbers: ``-?digits(.digits)?`` (up to 18 digits before the point and 20
  after), whose double is the same in DuckDB and in Arrow's exact parser;
  typed doubles and integers (whole numbers up to 2**53 where a whole number
  is needed);
- booleans: ``true``/``false``/``1``/``0`` in any case, or typed booleans.

A table with any odd value, an unusual column type (dictionary-encoded
strings, decimals, lists...), or a problem of shape (no rows, a required
column missing, a column twice) is handed whole to the pandas path,
``load_dataset(source, tables=[name])``: the same code and messages as
always, and its typed frame is then registered in DuckDB. With
``strict=False``, an error in such a table, or in a reference from it, has
every table checked again by ``load_dataset`` so that the list is its list.
A snapshot folder, a mapping, a dict of frames and an SQLAlchemy URL go
through ``load_dataset`` entirely, and the frames it gives are registered.

Where a table's text is parsed into dates, numbers or booleans (CSV), the
typed values and the rule flags are computed once into a temporary table;
typed Parquet and DuckDB columns are read through views, so the KPI queries
scan the files themselves.

The typed views (:attr:`ValidatedTables.views`) hold the contract's columns
only, typed as ``load_dataset`` types them: ids and text ``VARCHAR`` (ids and
labels trimmed, blanks null), dates and datetimes ``TIMESTAMP`` (placeholders
after ``LAST_DAY`` null), floats ``DOUBLE``, whole numbers ``BIGINT``,
booleans ``BOOLEAN``.
"""
from __future__ import annotations

import datetime
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import (BILLING_PERIOD_MONTHS, LAST_DAY, MAX_AMOUNT, MAX_TOTAL_MRR, SURVEY_SCALES,
                        SURVEY_WHOLE_SCORES, TABLES, Column)
from ..exceptions import DataValidationError, DataValidationWarning, MissingTableError
from ..io.validation import (DETAILS, MAX_ROWS_SHOWN, NOT_BEFORE, NOTES, RULES, STALE_TICKET_DAYS,
                             DataValidationErrors, collected, rule_error, unknown_columns)

__all__ = ["ValidatedTables", "validated_tables"]

#: The ASCII characters Arrow's ``utf8_trim_whitespace`` removes (what ``load_dataset`` trims).
_SPACES = "".join(map(chr, (9, 10, 11, 12, 13, 28, 29, 30, 31, 32)))
_SPACES_SQL = "||".join(f"chr({ord(c)})" for c in _SPACES)
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?)?"
_NUMBER_RE = r"-?[0-9]{1,18}(\.[0-9]{1,20})?"
_FIRST_YEAR = "1678-01-01"  # pandas' nanosecond timestamps begin in September 1677
_AFTER_LAST = (datetime.date.fromisoformat(LAST_DAY) + datetime.timedelta(days=1)).isoformat()
_TZ_LAST = "2262-04-11 23:47:16+00"  # the last second a nanosecond timestamp holds
_WHOLE_LIMIT = 2**53
_ROW = "__csm_row"
#: Usage rows hashed per pass when looking for repeated rows (this many 64-bit hashes sorted in memory).
_ROWS_PER_PASS = 20_000_000
#: Rows a pass reads, about, when a Parquet file is written customer by customer (its row groups then
#: hold disjoint ranges of customers): small passes cost no extra reading there, and a pass whose hashes
#: have candidates is read again to compare them by value, so the less each pass holds, the less is read twice.
_ROWS_PER_CLUSTERED_PASS = 4_000_000
#: The fingerprint of a row that repeated rows share (and, rarely, different rows: they are told apart after).
_ROW_HASH = "hash({columns})"


@dataclass(frozen=True)
class ValidatedTables:
    """Contract tables checked in DuckDB, as typed views for the engine's queries.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the views (``SET TimeZone = 'UTC'``).
    views : dict of str to str
        Contract table -> name of its typed view in ``con``.
    rows : dict of str to int
        Contract table -> number of rows.
    warnings : tuple of str
        The soft problems, as :attr:`csm_kit.Dataset.warnings` lists them.
    source : str
        The source, as :attr:`csm_kit.Dataset.source` names it.
    by_pandas : tuple of str
        The tables checked by :func:`csm_kit.load_dataset` instead of queries
        (see the module's docstring).
    snapshot : bool
        A snapshot data set (:attr:`csm_kit.Dataset.snapshot`; checked by ``load_dataset``).
    coverage : dict of str to (Timestamp, Timestamp)
        Per table and dated column (``"subscriptions.end_date"``), its first
        and last value: what :func:`csm_kit.metrics.coverage.check_months`
        needs, see :meth:`coverage_dataset`.
    """

    con: object
    views: dict
    rows: dict
    warnings: tuple
    source: str
    by_pandas: tuple = ()
    coverage: dict = field(default_factory=dict)
    snapshot: bool = False

    def backend(self):
        """A :class:`~csm_kit.engine.DuckDBBackend` on :attr:`con`, for :func:`~csm_kit.engine.kpi_tables`."""
        from .backends import DuckDBBackend

        return DuckDBBackend(self.con)

    def coverage_dataset(self):
        """A Dataset holding only each dated column's first and last value, for the coverage checks.

        :func:`csm_kit.metrics.coverage.check_months` reads nothing else, so
        the months a range may span are refused exactly as for the loaded
        Dataset.
        """
        from ..dataset import Dataset

        frames = {}
        for key, (first, last) in self.coverage.items():
            table, column = key.split(".")
            frames.setdefault(table, {})[column] = pd.to_datetime([first, last])
        return Dataset(**{t: pd.DataFrame(c) for t, c in frames.items()}, source=self.source, snapshot=self.snapshot)


@dataclass
class _Table:
    """One table as read: where it lives in DuckDB and how its columns are stored."""

    name: str
    kind: str  # csv | parquet | duckdb | pandas
    raw: str  # relation with the source's columns and _ROW
    columns: list
    types: dict  # column -> storage category (text, double, int, bool, date, ts, ts_ns, tstz) or None
    n: int
    path: Path | None = None
    arrow: object = None  # csv: the Arrow table
    rows: np.ndarray | None = None  # csv: row numbers
    frame: pd.DataFrame | None = None  # pandas: the typed frame
    stats: dict = field(default_factory=dict)  # parquet: column -> ColumnStats of the file's footer


class _Redo(Exception):
    """An error the pandas path must list itself (strict=False): check everything with load_dataset."""


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def validated_tables(source, *, tables=None, con=None, strict: bool = True, mapping=None) -> ValidatedTables:
    """Read and check contract tables in DuckDB; typed views of them for the engine's queries.

    The same rules, messages and typed values as :func:`csm_kit.load_dataset`,
    without pandas frames of the tables (the module's docstring says how, and
    when a table is checked by ``load_dataset`` instead). Warnings are emitted
    as :class:`~csm_kit.exceptions.DataValidationWarning`, as ``load_dataset``
    emits them.

    Parameters
    ----------
    source : str, Path or dict
        A folder of ``<table>.csv`` / ``<table>.parquet`` files or a DuckDB
        database file: checked by queries. A dict of frames or an SQLAlchemy
        URL: checked by ``load_dataset``, its frames registered.
    tables : sequence of str, optional
        Only these tables (default: every contract table the source has).
    con : duckdb.DuckDBPyConnection, optional
        Where the views are made (default: a new in-memory database).
    strict : bool
        As ``load_dataset``: stop at the first broken rule, or collect all.
    mapping : str, Path or dict, optional
        A mapping file: the source is then checked by ``load_dataset`` (with it).

    Returns
    -------
    ValidatedTables

    Raises
    ------
    DataValidationError, MissingTableError, FileNotFoundError, ValueError
        As :func:`csm_kit.load_dataset`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "customers.csv").write_text("customer_id,signup_date\\nc1,2026-01-05\\nc2 ,2026-02-01\\n")
    >>> with _warnings.catch_warnings():
    ...     _warnings.simplefilter("ignore")
    ...     checked = validated_tables(folder)
    >>> checked.con.execute(f"SELECT * FROM {checked.views['customers']}").fetchall()
    [('c1', datetime.datetime(2026, 1, 5, 0, 0)), ('c2', datetime.datetime(2026, 2, 1, 0, 0))]
    >>> checked.warnings[0]
    "customers.customer_id: 1 value(s) had spaces around them, removed (so 'x ' and 'x' are one customer_id), e.g. 'c2 ' (row 3)"
    >>> _ = (folder / "customers.csv").write_text("customer_id,signup_date\\nc1,2026-01-05\\nc1,2026-02-30\\n")
    >>> validated_tables(folder, strict=False)
    Traceback (most recent call last):
    ...
    csm_kit.io.validation.DataValidationErrors: 2 broken rules:
    <BLANKLINE>
    customers.signup_date: not a valid date (1 row; write dates as YYYY-MM-DD and times as YYYY-MM-DDTHH:MM:SS)
    Offending rows (row number as in the source):
        signup_date
    row
    3    2026-02-30
    <BLANKLINE>
    customers.customer_id: duplicate key (2 rows)
    Offending rows (row number as in the source):
        customer_id
    row
    2            c1
    3            c1
    """
    import duckdb

    from ..io.loaders import DUCKDB_SUFFIXES

    wanted = list(tables) if tables is not None else list(TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"Unknown table(s) {unknown}; the contract has {list(TABLES)}.")
    con = con if con is not None else duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    path = None if isinstance(source, dict) or "://" in str(source) else Path(source)
    by_queries = path is not None and path.exists() and (
        (path.is_dir() and not (path / "snapshot.json").exists()) or (path.is_file() and path.suffix in DUCKDB_SUFFIXES))
    if not by_queries or mapping is not None:
        return _all_by_pandas(source, tables, con, strict, mapping)
    try:
        return _Check(source, path, wanted, con, strict).run()
    except _Redo:
        return _all_by_pandas(source, tables, con, strict)


def _all_by_pandas(source, tables, con, strict, mapping=None) -> ValidatedTables:
    """``load_dataset`` checks everything (and emits its warnings); its frames are registered as the views."""
    from ..io.loaders import load_dataset

    ds = load_dataset(source, tables=tables, strict=strict, **({"mapping": mapping} if mapping is not None else {}))
    views, rows = {}, {}
    for name, frame in ds:
        views[name] = _register_frame(con, name, frame)
        rows[name] = len(frame)
    coverage = _frame_coverage(ds)
    return ValidatedTables(con, views, rows, tuple(ds.warnings), ds.source, tuple(views), coverage, ds.snapshot)


def _register_frame(con, name: str, frame: pd.DataFrame) -> str:
    columns = [c.name for c in TABLES[name].columns if c.name in frame.columns]
    data = frame[columns].assign(**{_ROW: np.arange(1, len(frame) + 1)})
    con.register(f"csm_frame_{name}", data)
    import duckdb

    for kind in ("TABLE", "VIEW"):  # the queries' own checked relation, if they began with this table
        try:
            con.execute(f"DROP {kind} IF EXISTS csm_checked_{name}")
        except duckdb.CatalogException:
            pass
    view = f"csm_valid_{name}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(map(_q, columns))} "
                f"FROM csm_frame_{name} ORDER BY {_ROW}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW csm_checked_{name} AS SELECT * FROM csm_frame_{name}")
    return view


def _frame_coverage(ds) -> dict:
    out = {}
    for name, df in ds:
        columns = [TABLES[name].time_column] if TABLES[name].time_column else []
        if name == "subscriptions":
            columns.append("end_date")
        for col in columns:
            if col in df.columns and len(df) and df[col].notna().any():
                out[f"{name}.{col}"] = (df[col].min(), df[col].max())
    return out


def _category(arrow_type) -> str | None:
    """How a column is stored, from its Arrow type (Parquet), or None: a type the queries do not take."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_float64(t) or pa.types.is_float32(t):
        return "double"
    if pa.types.is_integer(t) and not pa.types.is_uint64(t):
        return "int"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            return None if t.unit == "ns" else "tstz"
        return "ts_ns" if t.unit == "ns" else "ts"
    return None


_DUCKDB_TYPES = {"VARCHAR": "text", "DOUBLE": "double", "FLOAT": "double", "BIGINT": "int", "INTEGER": "int",
                 "SMALLINT": "int", "TINYINT": "int", "UINTEGER": "int", "USMALLINT": "int", "UTINYINT": "int",
                 "BOOLEAN": "bool", "DATE": "date", "TIMESTAMP": "ts", "TIMESTAMP_MS": "ts", "TIMESTAMP_S": "ts",
                 "TIMESTAMP_NS": "ts_ns", "TIMESTAMP WITH TIME ZONE": "tstz"}


def _as_stored(col: Column, s: "_Sql", category: str | None, found: dict) -> bool:
    """Whether a checked column's typed value is the stored value itself (so the view can read it as stored).

    Only when the checks that passed prove it: a required id or text with no
    value padded (no blank either: blanks of a required column are errors);
    a required float (no NULL or NaN to turn into NULL); a whole number stored
    as an integer; a datetime stored as a timestamp with no "no end"
    placeholder to turn into NULL.
    """
    required = not col.nullable and col.required
    if s.typed == _q(col.name):  # typed as it is stored (a text column proven plain, typed booleans)
        return True
    if col.kind in ("id", "text") and category == "text":
        return required and not found.get(f"pad:{col.name}", 0)
    if col.kind == "float" and category == "double":
        return required
    if col.kind == "int" and category == "int":
        return True
    if col.kind == "datetime" and category == "ts":
        return not found.get(f"beyond:{col.name}", 0)  # counted for a nullable column; an error otherwise
    return False


@dataclass
class _Sql:
    """The SQL of one contract column: blank, odd (not provably read alike), typed, and its parse checks."""

    blank: str
    odd: str
    typed: str
    checks: list  # (rule, detail, flag) in load_dataset's order
    padded: str | None = None  # ids and labels: spaces removed (a warning)
    beyond: str | None = None  # dates after LAST_DAY
    placeholder_note: bool = False
    inner: tuple = ()  # (level, alias, expression): computed once per row in nested projections


def _column_sql(col: Column, category: str | None, plain: bool = False) -> _Sql:
    """How one column is typed and checked in SQL, for the way it is stored.

    ``plain``: a text column whose every value is proven (:meth:`_Check._plain_columns`)
    to begin and end with a printable ASCII character, so nothing in it is
    trimmed, blank but NULL, or odd at its ends: its checks skip the trimming.
    """
    v = _q(col.name)
    needs_value = not col.nullable and col.required
    inner = []
    if category is None:
        return _Sql("false", "true", "NULL", [])
    if category == "text" and plain:
        t, blank = v, f"({v} IS NULL)"
    elif category == "text":
        # Most values begin and end with a printable ASCII character: nothing to trim, not blank (and
        # DuckDB's trim with a set of characters is slow), so the trim runs only for the others. The
        # trimmed text (and below, its parse) is computed once per row, in a projection of its own.
        ascii_ends, t, blank = (_q(f"__{k}_{col.name}") for k in ("p", "t", "b"))
        trimmed = f"trim({v}, {_SPACES_SQL})"
        inner = [(1, ascii_ends, f"({v}[1] BETWEEN '!' AND '~' AND {v}[-1] BETWEEN '!' AND '~')"),
                 (2, t, f"(CASE WHEN {ascii_ends} THEN {v} ELSE {trimmed} END)"),
                 (2, blank, f"(CASE WHEN {v} IS NULL THEN true WHEN {ascii_ends} THEN false ELSE {trimmed} = '' END)")]
        ends = f"(CASE WHEN {ascii_ends} THEN true ELSE {t}[1] BETWEEN '!' AND '~' AND {t}[-1] BETWEEN '!' AND '~' END)"
    else:
        t = v
        blank = f"({v} IS NULL OR isnan({v}))" if category == "double" else f"({v} IS NULL)"
    empty = [(RULES["empty"], "", blank)] if needs_value else []
    odd_any = "true"

    if col.kind in ("id", "text"):
        if category == "text":
            trims = col.kind == "id" or col.label
            if plain:  # nothing to trim, nothing blank but NULL: the stored value is the typed one
                return _Sql(blank, "false", v, empty, padded="false" if trims else None)
            if trims:
                odd = f"(NOT {blank} AND NOT {ends})"
                typed = f"CASE WHEN {blank} THEN NULL ELSE {t} END"
                padded = f"(CASE WHEN {v} IS NULL OR {ascii_ends} THEN false ELSE NOT {blank} AND {v} <> {t} END)"
                return _Sql(blank, odd, typed, empty, padded=padded, inner=tuple(inner))
            odd = f"(NOT {blank} AND NOT {ends} AND NOT regexp_matches({t}, '[!-~]'))"
            return _Sql(blank, odd, f"CASE WHEN {blank} THEN NULL ELSE {v} END", empty, inner=tuple(inner))
        if category == "int":
            return _Sql(blank, "false", f"CAST({v} AS VARCHAR)", empty)
        return _Sql(blank, odd_any, "NULL", [])

    if col.kind in ("date", "datetime"):
        kind = RULES["invalid"].format(kind=col.kind)
        if category == "text":
            ts = _q(f"__ts_{col.name}")
            inner.append((3, ts, f"TRY_CAST({t} AS TIMESTAMP)"))
            odd = (f"(NOT {blank} AND (NOT regexp_full_match({t}, '{_DATE_RE}') OR {t}[1:4] < '1678' OR "
                   f"({t}[1:10] = '{LAST_DAY}' AND {ts} <> TIMESTAMP '{LAST_DAY}')))")
            beyond = f"(NOT {blank} AND coalesce({ts} >= TIMESTAMP '{_AFTER_LAST}', false))"
            bad = f"(NOT {blank} AND {ts} IS NULL)"
        elif category in ("date", "ts", "ts_ns", "tstz"):
            ts = {"date": f"CAST({v} AS TIMESTAMP)", "ts": f"CAST({v} AS TIMESTAMP)",
                  "ts_ns": f"CAST({v} AS TIMESTAMP)", "tstz": f"timezone('UTC', {v})"}[category]
            odd = {"date": f"({v} < DATE '{_FIRST_YEAR}')",
                   "ts": f"({v} < TIMESTAMP '{_FIRST_YEAR}' OR ({v} > TIMESTAMP '{LAST_DAY}' "
                         f"AND {v} < TIMESTAMP '{_AFTER_LAST}'))",
                   "ts_ns": f"(epoch_ns({v}) % 1000 <> 0)",
                   "tstz": f"({v} < TIMESTAMPTZ '{_FIRST_YEAR} 00:00:00+00' OR {v} > TIMESTAMPTZ '{_TZ_LAST}')"}[category]
            beyond = "false" if category in ("ts_ns", "tstz") else f"coalesce({ts} >= TIMESTAMP '{_AFTER_LAST}', false)"
            bad = "false"
        else:
            return _Sql(blank, odd_any, "NULL", [])
        checks = list(empty)
        if not col.nullable:
            checks.append((RULES["beyond"], DETAILS["beyond"], beyond))
            checks.append((kind, DETAILS["invalid"], bad))
        else:
            checks.append((kind, DETAILS["invalid"], f"({bad} AND NOT {beyond})"))
        typed = f"CASE WHEN {blank} OR {beyond} THEN NULL ELSE {ts} END"
        if col.kind == "date":
            checks.append((RULES["timed"], DETAILS["timed"],
                           f"(NOT {blank} AND NOT {beyond} AND {ts} <> date_trunc('day', {ts}))"))
        return _Sql(blank, odd, typed, checks, beyond=beyond, placeholder_note=col.nullable, inner=tuple(inner))

    if col.kind in ("float", "int"):
        if category == "text":
            d = _q(f"__d_{col.name}")
            inner.append((3, d, f"TRY_CAST({t} AS DOUBLE)"))
            odd = f"(NOT {blank} AND NOT regexp_full_match({t}, '{_NUMBER_RE}'))"
        elif category == "double":
            d = f"CAST({v} AS DOUBLE)"
            odd = f"(NOT {blank} AND NOT isinf({v}) AND abs({v}) >= {_WHOLE_LIMIT})" if col.kind == "int" else "false"
        elif category == "int":
            d = f"CAST({v} AS DOUBLE)"
            odd = f"(abs({v}) > {_WHOLE_LIMIT})"
        else:
            return _Sql(blank, odd_any, "NULL", [])
        checks = list(empty)
        checks.append((RULES["infinite"], "", f"(NOT {blank} AND isinf({d}))"))
        if col.kind == "int":
            checks.append((RULES["fraction"], "", f"(NOT {blank} AND NOT isinf({d}) AND {d} <> trunc({d}))"))
            whole = v if category == "int" else f"TRY_CAST({d} AS BIGINT)"
            if category == "text":
                # As load_dataset: plain digits are read as integers (exact beyond 2**53; _NUMBER_RE allows
                # 18 of them, so they fit), other spellings through their double, refused from 2**53 up.
                digits = f"regexp_full_match({t}, '-?[0-9]+')"
                checks.append((RULES["huge"], DETAILS["huge"],
                               f"(NOT {blank} AND NOT {digits} AND NOT isinf({d}) AND abs({d}) >= {_WHOLE_LIMIT})"))
                whole = f"CASE WHEN {digits} THEN TRY_CAST({t} AS BIGINT) ELSE TRY_CAST({d} AS BIGINT) END"
            typed = f"CASE WHEN {blank} OR isinf({d}) OR {d} <> trunc({d}) THEN NULL ELSE {whole} END"
        else:
            typed = f"CASE WHEN {blank} THEN NULL ELSE {d} END"
        return _Sql(blank, odd, typed, checks, inner=tuple(inner))

    if col.kind == "bool":
        if category == "text":
            w = f"lower({t})"
            odd = f"(NOT {blank} AND NOT regexp_full_match({t}, '[!-~]+'))"
            bad = f"({blank} OR {w} NOT IN ('true', '1', 'false', '0'))"
            return _Sql(blank, odd, f"{w} IN ('true', '1')", empty + [(RULES["bool"], DETAILS["bool"], bad)],
                        inner=tuple(inner))
        if category == "bool":
            return _Sql(blank, "false", v, empty + [(RULES["bool"], DETAILS["bool"], blank)])
        return _Sql(blank, odd_any, "NULL", [])
    raise ValueError(f"Unknown column kind {col.kind!r}")  # a bug in the contract, not in the data


def _footer_stats(path: Path) -> dict:
    """The file's column statistics (:func:`~csm_kit.engine.parquet_stats.column_stats`), or none if unreadable."""
    from .parquet_stats import column_stats

    try:
        return column_stats(path)
    except (ValueError, OSError, KeyError, TypeError, AttributeError):  # every rule is then checked by queries
        return {}


_EPOCH = datetime.datetime(1970, 1, 1)
_DAY_US = 86_400_000_000


def _days(day: str) -> int:
    return (datetime.date.fromisoformat(day) - _EPOCH.date()).days


def _footer_counts(t: "_Table", sql: dict) -> tuple[dict, dict]:
    """The aggregate's counts that need no row read, and the typed first and last values the footer gives.

    Returns (key -> count, column -> (first, last)), keyed as
    :meth:`_Check._check_table` counts: ``odd:c``, ``check:c:i`` (the i-th
    of the column's checks), ``beyond:c``, ``min:c``, ``max:c``.

    Some counts are zero by the column's type (a typed integer is never
    infinite nor fractional; a typed date has no time of day and is never
    "not a valid date"). The others come from a Parquet file's statistics
    (:mod:`~csm_kit.engine.parquet_stats`; only where every row group has
    them): an "empty" count is the NULL count where a blank is only NULL (not
    for floats, whose NaN the statistics leave out); a range rule (dates from
    1678 to ``LAST_DAY``, nothing after it, ``min``/``max``, integers within
    2**53, finite floats) is zero when the file's smallest and largest values
    are within it. A count not proven zero is asked of the rows, as without
    statistics. First and last values: a date or timestamp column's
    statistics, when nothing is after ``LAST_DAY`` (which the typed column
    would make NULL).
    """
    import math

    counts, ends = {}, {}
    tags = {RULES[k]: k for k in ("empty", "beyond", "timed", "infinite", "fraction", "huge", "bool")}
    for name, s in sql.items():
        col, category = TABLES[t.name][name], t.types.get(name)
        if s.odd == "false":  # no value is odd (the flag is false whatever the row)
            counts[f"odd:{name}"] = 0
        if category not in ("ts", "date", "int", "double", "bool"):
            continue
        checks = [tags.get(rule, "invalid" if rule == RULES["invalid"].format(kind=col.kind) else rule)
                  for rule, _, _ in s.checks]
        proof = {}  # check tag -> count
        if col.kind in ("date", "datetime"):
            proof["invalid"] = 0  # typed dates and timestamps are valid by their type
            if category == "date":
                proof["timed"] = 0
        if category == "int":
            proof.update(infinite=0, fraction=0)
        st = t.stats.get(name)
        if st is not None:
            if st.nulls is not None and (category != "double" or st.all_null):
                proof["empty"] = st.nulls
                if category == "bool":
                    proof["bool"] = st.nulls  # a typed boolean is refused only when blank
            if st.all_null:
                proof.update(timed=0, fraction=0)
            if col.kind in ("date", "datetime") and category in ("ts", "date"):
                unit = _DAY_US if category == "ts" else 1
                first, last, after = (_days(d) * unit for d in (_FIRST_YEAR, LAST_DAY, _AFTER_LAST))
                # odd: before 1678, or (timestamps) during LAST_DAY after its midnight
                if st.within(first, last if category == "ts" else None):
                    counts[f"odd:{name}"] = 0
                if st.within(None, after - 1):
                    proof["beyond"] = 0
                    if s.beyond and s.placeholder_note:
                        counts[f"beyond:{name}"] = 0
                    step = datetime.timedelta(microseconds=1) if category == "ts" else datetime.timedelta(days=1)
                    if st.all_null:
                        ends[name] = (None, None)
                    elif st.within(first):  # (earlier ones are odd: the pandas path)
                        ends[name] = (_EPOCH + st.low * step, _EPOCH + st.high * step)
            if col.kind in ("float", "int") and category in ("int", "double"):
                if category == "int" and st.within(-_WHOLE_LIMIT, _WHOLE_LIMIT):
                    counts[f"odd:{name}"] = 0
                finite = st.all_null or (st.low is not None and math.isfinite(st.low) and math.isfinite(st.high))
                if category == "double" and finite:
                    proof["infinite"] = 0
                    if st.all_null or -_WHOLE_LIMIT < st.low and st.high < _WHOLE_LIMIT:
                        counts[f"odd:{name}"] = 0
                if col.min is not None and st.within(col.min):
                    counts[f"min:{name}"] = 0
                if col.max is not None and st.within(None, col.max):
                    counts[f"max:{name}"] = 0
        for i, tag in enumerate(checks):
            if tag in proof:
                counts[f"check:{name}:{i}"] = proof[tag]
    return counts, ends


def _ranges(bounds: list) -> list[str]:
    """SQL conditions on ``customer_id`` cut at sorted, distinct ``bounds``: every row in one (NULLs in the first)."""
    if not bounds:
        return ["true"]
    cid = _q("customer_id")
    ranges = [f"({cid} < {_lit(bounds[0])} OR {cid} IS NULL)"]
    ranges += [f"({cid} >= {_lit(lo)} AND {cid} < {_lit(hi)})" for lo, hi in zip(bounds, bounds[1:])]
    return ranges + [f"{cid} >= {_lit(bounds[-1])}"]


def _row_group_bounds(path: Path, rows_per_pass: int, most: int | None = None) -> list | None:
    """Bounds of ``customer_id`` at row-group starts, about ``rows_per_pass`` rows apart, if the file is clustered.

    Clustered: every row group has min/max statistics of ``customer_id``
    and, cut at these bounds, the ranges together read at most 10% more rows
    than the file has (DuckDB reads, for a range, the row groups whose
    min-max span meets it). A file written customer by customer (as exports
    and the simulator write them) reads each row group once; a group spanning
    many customers is read by every range it meets, so the passes are made
    longer (fewer) until the extra reading is within the 10%. A range starts
    only at a group whose first customer is not in the group before. Otherwise
    (or with no such statistics) None: ranges cut at quantiles instead, as
    few as memory allows. None too if a range would hold more than ``most``
    rows (a row group that big: quantiles split it).

    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "usage_events.parquet"
    >>> pq.write_table(pa.table({"customer_id": ["a", "a", "b", "c", "d", "d"]}), path, row_group_size=2)
    >>> _row_group_bounds(path, 2)  # groups a-a | b-c | d-d: ranges below b, b to d, from d
    ['b', 'd']
    >>> pq.write_table(pa.table({"customer_id": ["a", "a", "b", "c", "c", "d"]}), path, row_group_size=2)
    >>> _row_group_bounds(path, 2)  # a-a | b-c | c-d: c runs on into the third group, no range starts there
    ['b']
    >>> pq.write_table(pa.table({"customer_id": ["a", "d", "b", "c"]}), path, row_group_size=2)
    >>> _row_group_bounds(path, 2)  # a-d | b-c: no range can start cleanly, so one pass...
    []
    >>> _row_group_bounds(path, 2, most=3) is None  # ...unless it holds too many rows
    True
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(j).path for j in range(meta.num_columns)]
    if "customer_id" not in names:
        return None
    j = names.index("customer_id")
    groups = []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(j).statistics
        if stats is None or not stats.has_min_max or not isinstance(stats.min, str):
            return None
        groups.append((stats.min, stats.max, meta.row_group(i).num_rows))
    groups.sort()
    total = sum(n for _, _, n in groups)
    # A range starts where no customer runs on from the group before (a customer cut in two by a row-group
    # boundary would make the range before read this group too).
    clean = [i > 0 and groups[i - 1][1] < groups[i][0] for i in range(len(groups))]
    while True:
        bounds, rows = [], 0
        for (low, _, n), starts in zip(groups, clean):
            if rows >= rows_per_pass and starts:
                bounds.append(low)
                rows = 0
            rows += n
        edges = [None, *bounds, None]
        read = [sum(n for low, high, n in groups if (hi is None or low < hi) and (lo is None or high >= lo))
                for lo, hi in zip(edges, edges[1:])]
        if sum(read) <= 1.1 * total:
            return None if most is not None and max(read) > most else bounds
        if not bounds:
            return None
        rows_per_pass *= 2


class _Check:
    """One run of :func:`validated_tables` over a folder or a DuckDB file."""

    def __init__(self, source, path: Path, wanted, con, strict: bool):
        self.source, self.path, self.wanted, self.con, self.strict = source, path, wanted, con, strict
        self.errors = None if strict else []
        self.warnings: list[str] = []
        self.read: dict[str, _Table] = {}
        self.views: dict[str, str] = {}
        self.survived: dict[str, set] = {}  # table -> contract columns typed without error
        self.coverage: dict = {}
        self.by_pandas: list[str] = []
        self.noted: set = set()

    # -- reading ---------------------------------------------------------------------------------
    def run(self) -> ValidatedTables:
        if self.path.is_dir():
            from ..io.loaders import folder_notes

            self.warnings += folder_notes(self.path)
            for name in self.wanted:
                with collected(self.errors):
                    self._read_file(name)
        else:
            self._attach()
        if not self.read and not self.errors:
            raise MissingTableError(f"No contract table in {self.path}: expected tables (or files <table>.csv / "
                                    f"<table>.parquet) named {', '.join(self.wanted)}.")
        for name in list(self.read):
            self._check_table(self.read[name])
        self._check_references()
        if self.errors:
            failure = self.errors[0] if len(self.errors) == 1 else DataValidationErrors(self.errors)
            failure.warnings = tuple(self.warnings)
            raise failure
        for w in self.warnings:
            _warnings.warn(w, DataValidationWarning, stacklevel=3)
        return ValidatedTables(self.con, dict(self.views), {n: t.n for n, t in self.read.items()},
                               tuple(self.warnings), str(self.path), tuple(self.by_pandas), dict(self.coverage))

    def _pandas_read_errors(self, name: str) -> None:
        """``load_dataset``'s own error for a file it cannot read (the same words)."""
        from ..io.loaders import load_dataset

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", DataValidationWarning)
            try:
                load_dataset(self.source, tables=[name], strict=False)
            except DataValidationErrors as exc:
                raise exc.errors[0] from None  # the read error comes first; the table is not read further
        raise RuntimeError(f"{name}: DuckDB could not read a file load_dataset reads")  # pragma: no cover

    def _read_file(self, name: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..io.loaders import read_csv_table

        csv, parquet = self.path / f"{name}.csv", self.path / f"{name}.parquet"
        if csv.exists() and parquet.exists():
            self._pandas_read_errors(name)
        if csv.exists():
            table, rows = read_csv_table(csv)
            columns = list(table.column_names)
            if len(set(columns)) == len(columns) and "" not in columns and _ROW not in columns:
                self.con.register(f"csm_arrow_{name}", table.append_column(_ROW, pa.array(rows, pa.int64())))
            else:  # a header DuckDB would rename: the pandas path names the problem
                columns = columns + [""]
            self.read[name] = _Table(name, "csv", f"csm_arrow_{name}", columns, {c: "text" for c in columns},
                                     table.num_rows, csv, arrow=table, rows=rows)
        elif parquet.exists():
            try:
                if parquet.stat().st_size == 0:
                    raise ValueError
                schema = pq.read_schema(parquet)
                n = pq.ParquetFile(parquet).metadata.num_rows
            except (ValueError, pa.ArrowInvalid, OSError):
                self._pandas_read_errors(name)
            columns = list(schema.names)
            types = {f.name: _category(f.type) for f in schema}
            view = f"csm_raw_{name}"
            if "file_row_number" in columns or _ROW in columns:
                types = {c: None for c in columns}  # our own row column would clash: the pandas path
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT 1 AS {_ROW}")
            else:
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * EXCLUDE (file_row_number), "
                                 f"file_row_number + 1 AS {_ROW} FROM read_parquet({_lit(parquet)}, "
                                 "file_row_number = true)")
            self.read[name] = _Table(name, "parquet", view, columns, types, n, parquet, stats=_footer_stats(parquet))

    def _attach(self) -> None:
        self.con.execute(f"ATTACH {_lit(self.path)} AS csm_source (READ_ONLY)")
        present = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'csm_source' "
            "AND table_schema = 'main'").fetchall()}
        for name in self.wanted:
            if name not in present:
                continue
            described = self.con.execute(f"DESCRIBE csm_source.main.{_q(name)}").fetchall()
            columns = [r[0] for r in described]
            types = {r[0]: _DUCKDB_TYPES.get(r[1]) for r in described}
            n, top = self.con.execute(f"SELECT count(*), max(rowid) FROM csm_source.main.{_q(name)}").fetchall()[0]
            if _ROW in columns or (n and top != n - 1):  # rows deleted: rowid is not the position
                types = {c: None for c in columns}
            view = f"csm_raw_{name}"
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *, rowid + 1 AS {_ROW} "
                             f"FROM csm_source.main.{_q(name)}")
            self.read[name] = _Table(name, "duckdb", view, columns, types, n)

    def _shown(self, t: _Table, rows, columns) -> pd.DataFrame:
        """The offending rows as ``load_dataset`` shows them: its cells, types and row numbers."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = np.asarray(rows, dtype=np.int64)
        columns = [c for c in columns if c in t.columns]
        if t.kind == "csv":
            where = np.searchsorted(t.rows, rows)
            shown = t.arrow.select(columns).take(pa.array(where)).to_pandas()
        elif t.kind == "parquet":
            file = pq.ParquetFile(t.path)
            starts = np.cumsum([0] + [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)])
            groups = np.searchsorted(starts, rows - 1, side="right") - 1
            pieces = []
            for group in np.unique(groups):
                local = rows[groups == group] - 1 - starts[group]
                pieces.append(file.read_row_group(int(group), columns=columns).take(pa.array(local)))
            shown = pa.concat_tables(pieces).to_pandas()
        else:
            listed = ", ".join(str(int(r) - 1) for r in rows)
            shown = self.con.execute(f"SELECT {', '.join(map(_q, columns))} FROM csm_source.main.{_q(t.name)} "
                                     f"WHERE rowid IN ({listed}) ORDER BY rowid").df()
        # A whole-number or true/false column with an empty cell anywhere reads as float/object (Arrow)
        # or Int64/boolean (DuckDB) in load_dataset, though the rows shown may have none.
        widened = {"int": "Int64", "bool": "boolean"} if t.kind == "duckdb" else {"int": float, "bool": object}
        for c in columns:
            if t.types.get(c) in widened and shown[c].notna().all():
                nulls = self.con.execute(f"SELECT count(*) - count({_q(c)}) FROM {t.raw}").fetchall()[0][0]
                if nulls:
                    shown[c] = shown[c].astype(widened[t.types[c]])
        shown.index = pd.Index(rows, name="row")
        return shown

    def _first_rows(self, relation: str, flag: str, limit: int = MAX_ROWS_SHOWN) -> np.ndarray:
        found = self.con.execute(f"SELECT {_ROW} FROM {relation} WHERE {flag} ORDER BY {_ROW} LIMIT {limit}").fetchall()
        return np.array([r[0] for r in found], dtype=np.int64)

    def _fail(self, t: _Table, column: str, rule: str, n: int, flag: str, columns=None, detail: str = "",
              relation: str | None = None):
        shown = self._shown(t, self._first_rows(relation or f"csm_checked_{t.name}", flag), columns or [column])
        raise rule_error(t.name, column, rule, shown, n, detail)

    # -- one table --------------------------------------------------------------------------------
    def _check_table(self, t: _Table) -> None:
        spec = TABLES[t.name]
        present = [c for c in spec.columns if c.name in t.columns]
        shape_ok = (t.n > 0 and len(set(t.columns)) == len(t.columns) and "" not in t.columns
                    and all(c in t.columns for c in spec.required_columns))
        if not shape_ok:
            return self._by_pandas(t)
        plain = self._plain_columns(t, present)
        sql = {c.name: _column_sql(c, t.types.get(c.name), c.name in plain) for c in present}
        if any(s.odd == "true" for s in sql.values()):
            return self._by_pandas(t)
        checked = f"csm_checked_{t.name}"
        source = t.raw
        for level in (1, 2, 3):
            extra = [f"{expr} AS {alias}" for s in sql.values() for lv, alias, expr in s.inner if lv == level]
            if extra:
                source = f"(SELECT *, {', '.join(extra)} FROM {source})"
        select = [_ROW] + [f"{s.typed} AS {_q(name)}" for name, s in sql.items()]
        for name, s in sql.items():
            select.append(f"coalesce(NOT {s.blank} AND ({s.odd}), true) AS {_q(f'__odd_{name}')}")  # unknown: odd
            for i, (_, _, flag) in enumerate(s.checks):
                select.append(f"{flag} AS {_q(f'__f{i}_{name}')}")
            if s.padded:
                select.append(f"{s.padded} AS {_q(f'__pad_{name}')}")
            if s.beyond and s.placeholder_note:
                select.append(f"{s.beyond} AS {_q(f'__beyond_{name}')}")
        # Text parsed into dates, numbers or booleans is parsed once, into a table; typed columns are
        # cheap to read again, so the checks and the KPI queries read them through a view.
        parses = any(t.types.get(c.name) == "text" and c.kind not in ("id", "text") for c in present)
        relation = "TABLE" if parses else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {relation} {checked} AS SELECT {', '.join(select)} FROM {source}")

        counts, names = [], []

        def count(key: str, expr: str) -> None:
            names.append(key)
            counts.append(f"count_if({expr})")

        # Ids and text proven plain need nothing more than the NULLs the plain pass counted: the aggregate
        # does not read them (the widest columns of a usage table).
        known = {}
        for name, nulls in plain.items():
            if TABLES[t.name][name].kind in ("id", "text"):
                known.update({f"odd:{name}": 0, f"pad:{name}": 0})
                if sql[name].checks:  # its one check, "empty", is its blanks: its NULLs
                    known[f"check:{name}:0"] = nulls
        # Counts the Parquet footer proves (NULLs, ranges), and the first and last value it gives: those
        # are not asked of the rows (a table whose every count is proven is not read here at all).
        proven, ends = _footer_counts(t, sql)
        known = proven | known
        for name, s in sql.items():
            if f"odd:{name}" not in known:
                count(f"odd:{name}", _q(f"__odd_{name}"))
        for name, s in sql.items():
            for i in range(len(s.checks)):
                if f"check:{name}:{i}" not in known:
                    count(f"check:{name}:{i}", _q(f"__f{i}_{name}"))
            if s.padded and f"pad:{name}" not in known:
                count(f"pad:{name}", _q(f"__pad_{name}"))
            if s.beyond and s.placeholder_note and f"beyond:{name}" not in known:
                count(f"beyond:{name}", _q(f"__beyond_{name}"))
        rules = self._row_rules(t, sql)
        for key, expr in rules:
            if key not in known:
                count(key, expr)
        dated = [c for c in ([spec.time_column] if spec.time_column else []) + (
            ["end_date"] if t.name == "subscriptions" else []) if c in sql]
        asked = [c for c in dated if c not in ends]
        extra = [f"min({_q(c)}), max({_q(c)})" for c in asked]
        newest_asked = t.name == "tickets" and "opened_at" in sql and "opened_at" not in ends
        if newest_asked:
            extra.append(f"max({_q('opened_at')})")
        values = self.con.execute(f"SELECT {', '.join(counts + extra)} FROM {checked}").fetchall()[0] \
            if counts or extra else ()
        found = dict(zip(names, values[:len(names)])) | known
        if any(found[f"odd:{name}"] for name in sql):
            return self._by_pandas(t)
        rest = list(values[len(names):])
        for c in dated:
            first, last = ends[c] if c in ends else (rest.pop(0), rest.pop(0))
            if first is not None:
                self.coverage[f"{t.name}.{c}"] = (pd.Timestamp(first), pd.Timestamp(last))
        newest_ticket = None
        if t.name == "tickets" and "opened_at" in sql:
            newest_ticket = rest.pop(0) if newest_asked else ends["opened_at"][1]

        survived = set()
        for col in present:
            s = sql[col.name]
            with collected(self.errors):
                for i, (rule, detail, _) in enumerate(s.checks):
                    if rule != RULES["empty"]:  # load_dataset notes placeholders once the column has its values
                        self._note_placeholders(t, col, found)
                    n = found[f"check:{col.name}:{i}"]
                    if n:
                        self._fail(t, col.name, rule, n, _q(f"__f{i}_{col.name}"), detail=detail)
                self._note_placeholders(t, col, found)
                self._note_padding(t, col, found)
                survived.add(col.name)
        self.survived[t.name] = survived
        self.warnings += unknown_columns(spec, t.columns)
        self._check_rules(t, sql, found, newest_ticket)
        view = f"csm_valid_{t.name}"
        typed = [c for c in present if c.name in survived]
        if relation == "TABLE":  # text parsed once into a table: read it
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(_q(c.name) for c in typed)} "
                             f"FROM {checked}")
        else:
            # Typed storage: the KPI queries read the file itself, each column as stored where the checks
            # proved the typed value equal to it, so their filters reach the Parquet scan (row groups of
            # other months or customers skipped) and no row computes its checks again.
            columns = [_q(c.name) if _as_stored(c, sql[c.name], t.types.get(c.name), found)
                       else f"{sql[c.name].typed} AS {_q(c.name)}" for c in typed]
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(columns)} FROM {source}")
        self.views[t.name] = view

    def _plain_columns(self, t: _Table, present) -> dict:
        """The text-stored columns whose every value begins and ends with a printable ASCII character.

        Returns column -> its number of NULLs, for those columns.

        Most ids, labels, dates and numbers are written so. Proving it for a
        whole column in one cheap pass lets the checks skip trimming it (the
        trim, with its set of characters, is the slowest part of a text
        check). The first character is tested as ``v >= '!' AND v < chr(127)``
        and the last as ``v[-1]``, its last code point. From a Parquet file's
        footer (:mod:`~csm_kit.engine.parquet_stats`), where every row group
        has the statistics: the NULLs are its ``null_count`` and the first
        character is proven by the first bytes of ``min`` and ``max`` (a
        column they show not plain is not read for it); only the last
        character is then read row by row.
        """
        text = [c.name for c in present if t.types.get(c.name) == "text"]
        if not text or t.kind == "pandas":
            return {}
        out, flags, asked = {}, [], []
        for c in text:
            st, v = t.stats.get(c), _q(c)
            if st is not None and st.all_null:
                out[c] = st.nulls
                continue
            if st is not None and st.ascii_first is False:
                continue  # some value begins with another character: not plain
            last = f"{v}[-1] BETWEEN '!' AND '~'"
            first = "" if st is not None and st.ascii_first else f"{v} >= '!' AND {v} < chr(127) AND "
            asked.append((c, None if st is None else st.nulls))
            flags.append(f"coalesce(NOT ({first}{last}), false)")  # NULL is not odd: counted apart
            if st is None or st.nulls is None:
                flags.append(f"{v} IS NULL")
        if not flags:
            return out
        found = list(self.con.execute(f"SELECT {', '.join(f'count_if({f})' for f in flags)} FROM {t.raw}").fetchall()[0])
        for c, nulls in asked:
            odd = found.pop(0)
            nulls = found.pop(0) if nulls is None else nulls
            if odd == 0:
                out[c] = nulls
        return out

    def _note_placeholders(self, t: _Table, col: Column, found: dict) -> None:
        key = f"beyond:{col.name}"
        if not found.get(key) or (t.name, col.name) in self.noted:
            return
        self.noted.add((t.name, col.name))
        # The examples are load_dataset's: the first 100 such cells as text, distinct, sorted, three.
        rows = self._first_rows(f"csm_checked_{t.name}", _q(f"__beyond_{col.name}"), 100)
        cells = self._shown(t, rows, [col.name])[col.name]
        if t.types[col.name] != "text":  # typed timestamps print as the whole column prints them
            later = self._first_rows(f"csm_checked_{t.name}",
                                     f"{_q(f'__beyond_{col.name}')} AND {_ROW} > {int(rows[-1])}", 1)
            if len(later):
                cells = pd.concat([cells, self._shown(t, later, [col.name])[col.name]])
        examples = sorted(set(cells.astype(str).str.strip().head(100)))[:3]
        self.warnings.append(NOTES["placeholder"].format(table=t.name, column=col.name, n=found[key],
                                                         examples=", ".join(examples)))

    def _note_padding(self, t: _Table, col: Column, found: dict) -> None:
        n = found.get(f"pad:{col.name}")
        if not n:
            return
        rows = self._first_rows(f"csm_checked_{t.name}", _q(f"__pad_{col.name}"), 3)
        cells = self._shown(t, rows, [col.name])[col.name]
        examples = ", ".join(f"{v!r} (row {r})" for v, r in zip(cells, rows))
        self.warnings.append(NOTES["padding"].format(table=t.name, column=col.name, n=n, examples=examples))

    def _row_rules(self, t: _Table, sql: dict) -> list:
        """The row-by-row rules of ``check_rules``, as (key, flag) pairs counted by the aggregate."""
        out = []
        for col in TABLES[t.name].columns:
            if col.name not in sql:
                continue
            v = _q(col.name)
            if col.min is not None and col.kind in ("float", "int"):
                out.append((f"min:{col.name}", f"coalesce({v} < {col.min!r}, false)"))
            if col.max is not None and col.kind in ("float", "int"):
                out.append((f"max:{col.name}", f"coalesce({v} > {col.max!r}, false)"))
            if col.allowed is not None:
                out.append((f"allowed:{col.name}", f"({v} IS NOT NULL AND {v} NOT IN ({', '.join(map(_lit, col.allowed))}))"))
        for column, start, _ in NOT_BEFORE.get(t.name, ()):
            if column in sql and start in sql:
                out.append((f"before:{column}", f"coalesce({_q(column)} < {_q(start)}, false)"))
        if t.name == "subscriptions" and "start_date" in sql and "end_date" in sql:
            out.append(("zero", f"coalesce({_q('end_date')} = {_q('start_date')}, false)"))
        if t.name == "surveys" and "survey" in sql and "score" in sql:
            low, high = self._scale_sql(sql)
            out.append(("scale", f"coalesce({_q('score')} < {low} OR {_q('score')} > {high}, false)"))
            whole = ", ".join(map(_lit, sorted(SURVEY_WHOLE_SCORES)))
            out.append(("whole_score", f"coalesce({_q('survey')} IN ({whole}) AND {_q('score')} <> trunc({_q('score')}), false)"))
        if t.name == "milestones" and "first_value" in sql:
            out.append(("first_value", f"coalesce({_q('first_value')}, false)"))
        return out

    def _scale_sql(self, sql: dict) -> tuple[str, str]:
        low = "CASE " + " ".join(f"WHEN {_q('survey')} = {_lit(k)} THEN {float(v[0])!r}" for k, v in SURVEY_SCALES.items()) + " END"
        high = "CASE " + " ".join(f"WHEN {_q('survey')} = {_lit(k)} THEN {float(v[1])!r}" for k, v in SURVEY_SCALES.items()) + " END"
        return low, high

    def _check_rules(self, t: _Table, sql: dict, found: dict, newest_ticket) -> None:
        """``check_rules`` in its order, on the counts of the aggregate (and a query for each set rule)."""
        spec, name, ok = TABLES[t.name], t.name, self.survived[t.name]
        checked = f"csm_checked_{name}"

        def usable(*columns):
            return all(c in ok for c in columns)

        for col in spec.columns:
            if col.name not in ok:
                continue
            with collected(self.errors):
                if found.get(f"min:{col.name}"):
                    self._fail(t, col.name, RULES["min"].format(min=col.min), found[f"min:{col.name}"],
                               f"{_q(col.name)} < {col.min!r}")
                if found.get(f"max:{col.name}"):
                    self._fail(t, col.name, RULES["max"].format(max=col.max), found[f"max:{col.name}"],
                               f"{_q(col.name)} > {col.max!r}")
                if found.get(f"allowed:{col.name}"):
                    allowed = ", ".join(col.allowed)
                    self._fail(t, col.name, RULES["allowed"], found[f"allowed:{col.name}"],
                               f"({_q(col.name)} IS NOT NULL AND {_q(col.name)} NOT IN ({', '.join(map(_lit, col.allowed))}))",
                               detail=DETAILS["allowed"].format(allowed=allowed))
        if spec.key and usable(*spec.key):
            with collected(self.errors):
                key = ", ".join(map(_q, spec.key))
                same = " AND ".join(f"d.{_q(c)} = {checked}.{_q(c)}" for c in spec.key)
                flag = (f"EXISTS (SELECT 1 FROM (SELECT {key} FROM {checked} GROUP BY {key} HAVING count(*) > 1) AS d "
                        f"WHERE {same})")
                # First whether any key is there twice, as the repeated usage rows are found: keys that
                # repeat share a hash, so sorted hashes with no neighbour alike prove every key there once
                # (7.5M survey_sends ids at 1M accounts: 0.7 s, against 1.4-1.6 s for DuckDB's
                # count(DISTINCT) over the text). The row-by-row count runs only when one repeats.
                known = " AND ".join(f"{_q(c)} IS NOT NULL" for c in spec.key)
                once = self._repeats(checked, key, [known]) == 0
                n = 0 if once else self.con.execute(f"SELECT count(*) FROM {checked} WHERE {flag}").fetchall()[0][0]
                if n:
                    column = spec.key[-1] if len(spec.key) == 1 else ", ".join(spec.key)
                    self._fail(t, column, RULES["duplicate"], n, flag, columns=list(spec.key))
        for column, start, rule in NOT_BEFORE.get(name, ()):
            if usable(column, start):
                with collected(self.errors):
                    if found.get(f"before:{column}"):
                        self._fail(t, column, rule, found[f"before:{column}"], f"{_q(column)} < {_q(start)}",
                                   columns=[spec.key[0], start, column])
        if name == "subscriptions" and usable("amount", "billing_period"):
            with collected(self.errors):
                self._check_total_mrr(t)
        if name == "subscriptions" and usable("start_date", "end_date") and found.get("zero"):
            ids = self._ids(checked, "subscription_id", f"{_q('end_date')} = {_q('start_date')}") \
                if usable("subscription_id") else []
            self.warnings.append(NOTES["zero_length"].format(n=found["zero"], ids=ids))
        if name == "tickets" and usable("opened_at", "resolved_at") and newest_ticket is not None:
            cutoff = pd.Timestamp(newest_ticket) - pd.Timedelta(days=STALE_TICKET_DAYS)
            flag = f"{_q('resolved_at')} IS NULL AND {_q('opened_at')} < {_lit(cutoff.isoformat(sep=' '))}::TIMESTAMP"
            n = self.con.execute(f"SELECT count(*) FROM {checked} WHERE {flag}").fetchall()[0][0]
            if n:
                ids = self._ids(checked, "ticket_id", flag) if usable("ticket_id") else []
                self.warnings.append(NOTES["stale_tickets"].format(n=n, ids=ids))
        if name == "surveys" and usable("survey", "score"):
            with collected(self.errors):
                low, high = self._scale_sql(sql)
                if usable("scale_min"):
                    low = f"coalesce({_q('scale_min')}, {low})"
                if usable("scale_max"):
                    high = f"coalesce({_q('scale_max')}, {high})"
                flag = f"coalesce({_q('score')} < {low} OR {_q('score')} > {high}, false)"
                n = self.con.execute(f"SELECT count(*) FROM {checked} WHERE {flag}").fetchall()[0][0]
                columns = ["response_id", "survey", "score"]
                if n:
                    self._fail(t, "score", RULES["scale"], n, flag, columns=columns, detail=DETAILS["scale"])
                if found.get("whole_score"):
                    whole = ", ".join(map(_lit, sorted(SURVEY_WHOLE_SCORES)))
                    self._fail(t, "score", RULES["whole_score"], found["whole_score"],
                               f"coalesce({_q('survey')} IN ({whole}) AND {_q('score')} <> trunc({_q('score')}), false)",
                               columns=columns, detail=DETAILS["whole_score"])
        if name == "milestones" and usable("first_value"):
            with collected(self.errors):
                n_first = found.get("first_value", 0)
                if n_first != 1:
                    flag = _q("first_value") if n_first else "true"
                    self._fail(t, "first_value", RULES["first_value"].format(n=n_first), n_first or t.n, flag,
                               columns=["milestone", "first_value"])
        if name == "usage_events" and usable("user_id", "timestamp", "event") and t.n >= 2:
            names = [c.name for c in spec.columns if c.name in ok]
            columns = ", ".join(map(_q, names))
            # Repeats share a hash of their values. Where the stored values are the typed ones (typed
            # Parquet/DuckDB columns, ids and labels with nothing trimmed), hashing them skips the typing.
            same = all(t.types[c] in ("int", "ts", "ts_ns", "date")
                       or (t.types[c] == "text" and (spec[c].kind == "id" or spec[c].label) and not found.get(f"pad:{c}"))
                       for c in names)
            source = t.raw if t.kind != "pandas" and same and not any(found.get(f"beyond:{c}") for c in names) else checked
            n = self._repeats(source, columns, self._usage_passes(t, source))
            if n:
                self.warnings.append(NOTES["repeated_usage"].format(n=int(n)))

    def _usage_passes(self, t: _Table, source: str) -> list[str]:
        """The customer ranges in which usage's repeated rows are looked for (SQL conditions on ``source``).

        In passes of at most ``_ROWS_PER_PASS`` rows, so that the hashes of
        560M rows need not be in memory at once. Repeats share their customer,
        so a pass is a range of customer_id: cut at row-group starts in a
        Parquet file written customer by customer (each pass reads its own row
        groups), else at quantiles of a sample, as few passes as memory allows
        (in a file in another order every pass reads all of it).
        """
        clustered = _row_group_bounds(t.path, _ROWS_PER_CLUSTERED_PASS, _ROWS_PER_PASS) \
            if t.kind == "parquet" and source == t.raw else None
        return _ranges(clustered) if clustered is not None else \
            self._customer_ranges(source, -(-t.n // _ROWS_PER_PASS), t.n)

    def _repeats(self, relation: str, columns: str, passes: list[str]) -> int:
        """Rows of ``relation`` equal in every one of ``columns`` to an earlier row, looked for in ``passes`` (SQL conditions).

        Used for whole usage rows (repeated events) and for a table's key
        columns (a key there twice); within a pass the hashes are in memory at
        once (8 bytes a row, twice while sorted).

        Rows that repeat share a 64-bit hash of their values, so the hashes
        that occur twice are the only candidates; the candidates' rows are
        then grouped by their values themselves (two different rows may share
        a hash). The hashes are sorted by numpy, not grouped by DuckDB: a hash
        table of tens of millions of distinct keys is far bigger than the
        processor's caches, and DuckDB's aggregate over it took about 200 ns
        a row here, numpy's sort of the same hashes about 50. A pass's hashes
        are sorted (numpy releases the GIL) while DuckDB reads the next pass's.
        """
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow as pa

        fingerprint = _ROW_HASH.format(columns=columns)

        def candidates(hashes) -> np.ndarray:
            hashes = np.sort(np.asarray(hashes))
            return np.unique(hashes[1:][hashes[1:] == hashes[:-1]])

        found, sorting = [], None
        with ThreadPoolExecutor(max_workers=1) as sorter:
            for where in passes:  # in memory at once: the pass being read and the one being sorted
                hashes = self.con.execute(f"SELECT {fingerprint} AS h FROM {relation} WHERE {where}").fetchnumpy()["h"]
                if sorting is not None:
                    found.append(sorting.result())
                sorting = sorter.submit(candidates, hashes)
                del hashes
            found.append(sorting.result())
        n = 0
        for where, twice in zip(passes, found):
            if not len(twice):
                continue
            self.con.register("csm_repeated_hashes", pa.table({"h": pa.array(twice, pa.uint64())}))
            try:
                n += self.con.execute(
                    f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {relation} WHERE {where} "
                    f"AND {fingerprint} IN (SELECT h FROM csm_repeated_hashes) GROUP BY {columns})").fetchall()[0][0]
            finally:
                self.con.unregister("csm_repeated_hashes")
        return int(n)

    def _customer_ranges(self, relation: str, passes: int, n_rows: int) -> list[str]:
        """``passes`` SQL conditions on ``customer_id`` that split ``relation``'s rows into ranges (NULLs in the first)."""
        if passes <= 1:
            return ["true"]
        from .backends import customer_bounds  # the engine's own cut of usage into runs of customers

        return _ranges(customer_bounds(self.con, relation, passes, sample=n_rows > 1_000_000))  # small: every row

    def _ids(self, relation: str, column: str, flag: str) -> list:
        found = self.con.execute(f"SELECT {_q(column)} FROM {relation} WHERE {flag} ORDER BY {_ROW} LIMIT 3").fetchall()
        return [r[0] for r in found]

    def _check_total_mrr(self, t: _Table) -> None:
        """All subscriptions' MRR together within ``MAX_TOTAL_MRR``: the same arithmetic as ``check_rules``."""
        ok = self.survived[t.name]
        discount = f", {_q('discount')}" if "discount" in ok else ""
        top = self.con.execute(f"SELECT max({_q('amount')}) FROM csm_checked_{t.name}").fetchall()[0][0]
        if top is not None and top > MAX_AMOUNT:  # already refused row by row
            return
        data = self.con.execute(f"SELECT {_q('amount')}, {_q('billing_period')}{discount} FROM csm_checked_{t.name} "
                                f"ORDER BY {_ROW}").fetchnumpy()
        months = pd.Series(data["billing_period"]).map(BILLING_PERIOD_MONTHS).to_numpy(dtype=float)
        amount = np.asarray(pd.Series(data["amount"]).to_numpy(dtype=float, na_value=np.nan))
        d = (pd.Series(data["discount"]).fillna(0).to_numpy(dtype=float, na_value=0.0) if discount else 0.0)
        mrr = amount * (1 - d) / months
        total = np.nansum(mrr)
        if total > MAX_TOTAL_MRR:
            largest = np.argsort(-np.nan_to_num(mrr))[:MAX_ROWS_SHOWN]
            rows = self.con.execute(f"SELECT {_ROW} FROM csm_checked_{t.name} ORDER BY {_ROW}").fetchnumpy()[_ROW]
            chosen = np.sort(np.asarray(rows)[largest])
            shown = self._shown(t, chosen, ["subscription_id", "amount", "billing_period"])
            raise rule_error("subscriptions", "amount", RULES["total_mrr"], shown, len(chosen),
                             DETAILS["total_mrr"].format(total=total))

    # -- the pandas path for one table ----------------------------------------------------------------
    def _by_pandas(self, t: _Table) -> None:
        from ..io.loaders import load_dataset

        self.by_pandas.append(t.name)
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", DataValidationWarning)
            try:
                ds = load_dataset(self.source, tables=[t.name], strict=self.strict)
            except DataValidationError:
                if self.strict:
                    raise  # the first broken rule of this table: the first of all, tables before it passed
                raise _Redo from None
        frame = getattr(ds, t.name)
        notes = list(ds.warnings)
        if self.path.is_dir():  # the folder's own notes, already listed
            from ..io.loaders import folder_notes

            notes = notes[len(folder_notes(self.path)):]
        self.warnings += notes
        self.views[t.name] = _register_frame(self.con, t.name, frame)
        self.survived[t.name] = {c.name for c in TABLES[t.name].columns if c.name in frame.columns}
        self.coverage.update(_frame_coverage(ds))
        t.kind, t.frame = "pandas", frame

    # -- across tables ------------------------------------------------------------------------------
    def _check_references(self) -> None:
        """``check_references``: referencing columns against the referenced tables, then two soft warnings."""
        for name, t in self.read.items():
            if name not in self.survived:
                continue
            for col in TABLES[name].columns:
                if col.references is None or col.name not in self.survived[name]:
                    continue
                target, target_col = col.references.split(".")
                if target not in self.survived or target_col not in self.survived[target]:
                    continue
                with collected(self.errors):
                    v = f"csm_checked_{name}.{_q(col.name)}"
                    # An anti join (NOT EXISTS is planned far slower by DuckDB 1.x here). It keeps a row when
                    # no target row matches, so repeated target values change nothing: the target side is not
                    # made distinct first (that was a second hash aggregate over every target row; for
                    # surveys.send_id against 7.5M survey_sends at 1M accounts, 2.3 s -> 1.0 s).
                    target_keys = f"(SELECT {_q(target_col)} AS __csm_key FROM csm_checked_{target}) AS target"
                    unmatched = f"csm_checked_{name} ANTI JOIN {target_keys} ON target.__csm_key = {v}"
                    flag = f"{v} IS NOT NULL"
                    # The distinct values first where the table has more rows than the target (a usage table
                    # repeats each customer thousands of times): when all of them are found, no row is
                    # unmatched. A table no longer than its target (surveys' send_id, 2.1M mostly distinct
                    # values against 7.5M sends) is counted row by row at once: its DISTINCT saved nothing
                    # and cost a quarter of the check.
                    strays = 1 if t.n <= self.read[target].n else self.con.execute(
                        f"SELECT count(*) FROM (SELECT DISTINCT {_q(col.name)} AS v FROM csm_checked_{name} "
                        f"WHERE {_q(col.name)} IS NOT NULL) AS d ANTI JOIN {target_keys} "
                        f"ON target.__csm_key = d.v").fetchall()[0][0]
                    n = self.con.execute(f"SELECT count(*) FROM {unmatched} WHERE {flag}").fetchall()[0][0] \
                        if strays else 0
                    if n:
                        if t.kind == "pandas":  # its rows are load_dataset's to show
                            raise _Redo
                        self._fail(t, col.name, RULES["reference"].format(references=col.references), n, flag,
                                   relation=unmatched)
        if "customers" not in self.survived or "customer_id" not in self.survived["customers"]:
            return
        ok = self.survived
        if ok.get("surveys", set()) >= {"customer_id", "responded_at"} and "signup_date" in ok["customers"]:
            n = self.con.execute(
                f"SELECT count(*) FROM csm_checked_surveys AS s JOIN csm_checked_customers AS c "
                f"ON s.customer_id = c.customer_id WHERE s.responded_at < c.signup_date").fetchall()[0][0]
            if n:
                self.warnings.append(NOTES["early_surveys"].format(n=n))
        if "customer_id" in ok.get("subscriptions", set()):
            flag = ("customer_id NOT IN (SELECT customer_id FROM csm_checked_subscriptions "
                    "WHERE customer_id IS NOT NULL)")
            n = self.con.execute(f"SELECT count(*) FROM csm_checked_customers WHERE {flag}").fetchall()[0][0]
            if n:
                self.warnings.append(NOTES["no_subscription"].format(n=n, ids=self._ids("csm_checked_customers",
                                                                                      "customer_id", flag)))

