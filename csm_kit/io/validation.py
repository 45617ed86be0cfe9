"""Typing and validating tables against the contract.

Every rule raises :class:`~csm_kit.exceptions.DataValidationError` naming the
table, the column, the rule and up to five offending rows, with their row
numbers as in the source (CSV: the row a spreadsheet shows, header = row 1;
other sources: 1-based row position). Nothing is coerced silently: a value
that does not parse is an error, not a NaN. The two documented
normalisations each leave a warning: ids and labels lose their surrounding
spaces, and "no end" placeholder dates (after ``LAST_DAY``) in columns that
may be empty are read as empty.

The checking functions take ``errors``: ``None`` raises at the first broken
rule; a list collects every broken rule instead (each check that fails is
appended and the next one runs), for ``load_dataset(strict=False)``.

Soft problems (loadable, but worth a look) are returned as warning strings;
the loader emits them as :class:`~csm_kit.exceptions.DataValidationWarning`
and keeps them on ``Dataset.warnings`` for the report.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import (BILLING_PERIOD_MONTHS, LAST_DAY, MAX_AMOUNT, MAX_TOTAL_MRR, SURVEY_SCALES, SURVEY_WHOLE_SCORES, TABLES,
                        Column, Table)
from ..exceptions import DataValidationError

MAX_ROWS_SHOWN = 5
#: Whole numbers read from text are exact up to this size (float64's 53-bit mantissa).
WHOLE_LIMIT = 2**53
#: A ticket still open this many days before the newest ticket is worth a warning.
STALE_TICKET_DAYS = 30
# Only these spellings (any case): "yes"/"t" are refused rather than guessed at.
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}

#: The words of every rule, shared with the engine's queries (:mod:`csm_kit.engine.validation`), so
#: that both paths name a broken rule alike: ``RULES[name]`` is the rule, ``DETAILS[name]`` what
#: follows the row count in the message (``str.format`` templates; fields as named).
RULES: dict[str, str] = {
    "empty": "required value is empty",
    "beyond": f"a date after {LAST_DAY}, the last day the kit can hold",
    "invalid": "not a valid {kind}",
    "partial": "a partial date (year or month only)",
    "timed": "a date column holds a time of day",
    "bool_number": "true/false in a number column",
    "not_number": "not a number",
    "infinite": "infinite number",
    "fraction": "not a whole number",
    "huge": "a whole number too large to hold exactly",
    "bool": "not true/false",
    "min": "value below the minimum {min:g}",
    "max": "value above the maximum {max:g}",
    "allowed": "unknown value",
    "duplicate": "duplicate key",
    "total_mrr": f"total MRR above {MAX_TOTAL_MRR:g}, more than the kit can add exactly",
    "scale": "score outside its scale",
    "whole_score": "score is not a whole number",
    "first_value": "exactly one milestone must mark first value (found {n})",
    "reference": "not found in {references}",
}
DETAILS: dict[str, str] = {
    "beyond": "9999-12-31 and the like are 'no end' placeholders; this column needs a real date",
    "invalid": "write dates as YYYY-MM-DD and times as YYYY-MM-DDTHH:MM:SS",
    "partial": "a day is needed: write YYYY-MM-DD (2024-05 is a month, not its first day)",
    "timed": "dates are calendar days; use YYYY-MM-DD",
    "bool": "use true/false or 1/0",
    "huge": "write whole numbers as plain digits (up to 18), or below 2**53 (9,007,199,254,740,992) otherwise",
    "allowed": "allowed: {allowed}",
    "total_mrr": "all subscriptions together make {total:.4g} a month; the largest are shown; "
                 "are amounts in cents, or a card number in the amount column?",
    "scale": "NPS 0-10, CSAT 1-5, CES 1-7 unless the row gives scale_min/scale_max",
    "whole_score": f"{', '.join(sorted(SURVEY_WHOLE_SCORES)).upper()} answers are whole points; "
                   "9.5 is an average, not an answer",
}
#: The soft warnings, as ``str.format`` templates (``n`` a count, ``ids`` a list of up to 3 ids).
NOTES: dict[str, str] = {
    "padding": "{table}.{column}: {n:,} value(s) had spaces around them, removed "
               "(so 'x ' and 'x' are one {column}), e.g. {examples}",
    "placeholder": f"{{table}}.{{column}}: {{n:,}} row(s) hold a date after {LAST_DAY} "
                   "({examples}), the usual 'no end' placeholder of exports: read as empty (open-ended)",
    "unknown_column": "{table}.{column}: not a contract column (kept as is); did you mean {near!r}?",
    "zero_length": "subscriptions: {n:,} subscription(s) end the day they start (zero length, no revenue), e.g. {ids}",
    "stale_tickets": f"tickets: {{n:,}} ticket(s) still open (no resolved_at) though opened "
                     f"{STALE_TICKET_DAYS}+ days before the last ticket, e.g. {{ids}}; resolution not exported?",
    "repeated_usage": "usage_events: {n:,} row(s) repeat an earlier row exactly "
                      "(same customer, user, timestamp, event and quantity); each counts as an event",
    "early_surveys": "surveys: {n:,} response(s) dated before the customer's signup_date",
    "no_subscription": "customers: {n:,} customer(s) have no subscription (never paid, or history missing), e.g. {ids}",
}


def rule_error(table: str, column: str, rule: str, shown: pd.DataFrame, n: int, detail: str = "") -> DataValidationError:
    """The error of a broken rule: ``n`` offending rows, ``shown`` the first of them (indexed by row number).

    Both paths build their errors here, so the count and the detail read alike.

    >>> shown = pd.DataFrame({"amount": ["-5"]}, index=pd.Index([3], name="row"))
    >>> print(rule_error("subscriptions", "amount", RULES["min"].format(min=0), shown, 1))
    subscriptions.amount: value below the minimum 0 (1 row)
    Offending rows (row number as in the source):
        amount
    row
    3       -5
    """
    detail = f"{n:,} row{'s' if n != 1 else ''}" + (f"; {detail}" if detail else "")
    return DataValidationError(table, column, rule, rows=shown, detail=detail)


class DataValidationErrors(DataValidationError):
    """Several broken rules at once (``load_dataset(strict=False)``).

    ``table``, ``column``, ``rule`` and ``rows`` are those of the first
    error, so code written for one error still works; ``errors`` holds all.
    """

    def __init__(self, errors: list[DataValidationError]):
        self.errors = tuple(errors)
        first = errors[0]
        super().__init__(first.table, first.column, first.rule, rows=first.rows, detail=first.detail,
                         source=first.source)
        self.args = (f"{len(errors)} broken rules:\n\n" + "\n\n".join(str(e) for e in errors),)


@contextmanager
def collected(errors: list | None):
    """Run a check: raise its `DataValidationError` (``errors is None``) or append it to ``errors``."""
    try:
        yield
    except DataValidationError as exc:
        if errors is None:
            raise
        errors.append(exc)


def _offending(raw: pd.DataFrame, mask, row_numbers: np.ndarray, columns) -> pd.DataFrame:
    """Up to five offending rows, indexed by their row number in the source."""
    where = np.flatnonzero(np.asarray(mask, dtype=bool))[:MAX_ROWS_SHOWN]
    shown = raw.iloc[where][[c for c in columns if c in raw.columns]].copy()
    shown.index = pd.Index(row_numbers[where], name="row")
    return shown


def _fail(table, column, rule, raw, mask, rows, columns=None, detail=""):
    n = int(np.asarray(mask).sum())
    raise rule_error(table, column, rule, _offending(raw, mask, rows, columns or [column]), n, detail)


def _as_text(series: pd.Series) -> pa.Array | None:
    """The column as an Arrow string array when it holds only text (or nulls), else None.

    Arrow's kernels trim, measure and compare in C; pandas' ``.str`` would
    loop over the values in Python.
    """
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return None
    try:
        return pa.array(series, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers or other objects mixed in
        return None


def _blank(series: pd.Series, text: pa.Array | None) -> np.ndarray:
    """Missing values: null, or an empty/whitespace string."""
    if text is not None:
        return _trimmed(text)[2]
    missing = series.isna().to_numpy()
    if series.dtype == object:  # mixed values (from a DataFrame): the slow, general way
        missing |= (series.astype("string").str.strip() == "").fillna(False).to_numpy(dtype=bool)
    return missing


def _trimmed(text: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """The text without surrounding (Unicode) whitespace, its length, and which values are blank."""
    trimmed = pc.utf8_trim_whitespace(text)
    length = pc.binary_length(trimmed)  # bytes: as good as characters for "empty", "changed" and "short", and cheaper
    blank = pc.or_kleene(text.is_null(), pc.equal(length, 0)).fill_null(True).to_numpy(zero_copy_only=False)
    return trimmed, length, blank


def _strip_padding(table: str, col: Column, s: pd.Series, text: pa.Array, trim: tuple, rows: np.ndarray,
                   notes: list | None) -> pd.Series:
    """Ids and labels without surrounding spaces, so ``"C6 "`` and ``"C6"`` are one account (with a warning)."""
    trimmed, length, blank = trim
    padded = pc.not_equal(length, pc.binary_length(text)).fill_null(False).to_numpy(zero_copy_only=False) & ~blank
    if not padded.any():
        return s
    where = np.flatnonzero(padded)
    examples = ", ".join(f"{v!r} (row {r})" for v, r in zip(s.iloc[where[:3]], rows[where[:3]]))
    if notes is not None:
        notes.append(NOTES["padding"].format(table=table, column=col.name, n=len(where), examples=examples))
    return pd.Series(trimmed.to_numpy(zero_copy_only=False), index=s.index, dtype=object)


def _beyond_last_day(values: pd.Series) -> np.ndarray:
    """Which texts are real calendar days (``YYYY-MM-DD...``) after ``LAST_DAY``, e.g. 9999-12-31.

    Called only on values that did not parse (a few, or the placeholders,
    which repeat: each distinct text is checked once).
    """
    text = values.astype("string").str.strip()
    last = dt.date.fromisoformat(LAST_DAY)
    verdict = {}
    for value in text.dropna().unique():
        found = re.match(r"^(\d{4,})-(\d{2})-(\d{2})(?:$|[T ])", value)
        try:
            verdict[value] = bool(found) and (len(found[1]) > 4 or dt.date(*map(int, found.groups())) > last)
        except ValueError:  # 9999-02-30: not a day at all
            verdict[value] = False
    return text.map(verdict).fillna(False).to_numpy(dtype=bool)


def _as_datetime(series: pd.Series, trimmed: pa.Array | None) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(series):
        if series.dtype != "datetime64[ns]":  # Parquet/Arrow in ms or s may hold days past LAST_DAY
            series = series.where(series.isna() | (series <= pd.Timestamp(LAST_DAY)))
        return series.astype("datetime64[ns]")
    if trimmed is not None:
        values = pd.Series(trimmed.to_numpy(zero_copy_only=False), index=series.index)
    else:  # dates mixed with other objects (from a DataFrame)
        values = series.astype("string").str.strip()
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _exact_numbers(trim: tuple, blank: np.ndarray, index) -> pd.Series | None:
    """Text to float64 by Arrow's exact parser in one pass, or None if any value is not a plain number.

    The common case (every cell a number) then costs one cast; on None the
    caller locates the bad values. "NaN" parses in Arrow but is refused by
    the contract (leave the cell empty), so it sends the column the slow way.
    """
    trimmed = trim[0] if not blank.any() else trim[0].filter(pa.array(~blank))
    try:
        parsed = pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if np.isnan(parsed).any():
        return None
    if blank.any():
        values = np.full(len(blank), np.nan)
        values[~blank] = parsed
    else:
        values = parsed
    return pd.Series(values, index=index, dtype="float64")


def _whole_numbers(table: str, col: Column, numbers: pd.Series, trim: tuple | None, blank: np.ndarray,
                   raw: pd.DataFrame, rows: np.ndarray) -> pd.Series:
    """Whole numbers as Int64, exactly: digits read as integers, other spellings through their float value.

    A value written as plain digits (``-?[0-9]+``, after trimming) is read by
    Arrow as an int64, so ``9007199254740993`` (2**53 + 1) stays itself; one
    written otherwise (``2.0``, or from a float column) is its float64 value,
    exact only below 2**53 (``WHOLE_LIMIT``). Beyond those limits the value is
    refused ("a whole number too large to hold exactly") rather than rounded.
    """
    plain = np.zeros(len(numbers), dtype=bool)
    if trim is not None:
        plain = pc.match_substring_regex(trim[0], r"^-?[0-9]+$").fill_null(False).to_numpy(zero_copy_only=False)
        plain &= ~blank
    magnitude = numbers.abs().fillna(0).to_numpy()
    # Plain digits fit an int64 up to 18 of them (2**62 is safely inside). A float spelling is exact only
    # below 2**53: 9007199254740993.0 reads as 2**53, so 2**53 itself may be a rounded neighbour.
    huge = np.where(plain, magnitude > 2.0**62, magnitude >= WHOLE_LIMIT) & ~blank
    if huge.any():
        _fail(table, col.name, RULES["huge"], raw, huge, rows, detail=DETAILS["huge"])
    whole = numbers.astype("Int64")
    if plain.any():
        exact = pc.cast(trim[0].filter(pa.array(plain)), pa.int64()).to_numpy(zero_copy_only=False)
        values = whole.to_numpy(dtype="int64", na_value=0)
        values[plain] = exact
        whole = pd.Series(pd.arrays.IntegerArray(values, mask=whole.isna().to_numpy()), index=numbers.index)
    return whole


def _parse_column(table: str, col: Column, raw: pd.DataFrame, rows: np.ndarray,
                  notes: list | None = None) -> pd.Series:
    s = raw[col.name]
    text = _as_text(s)
    trim = _trimmed(text) if text is not None else None
    blank = trim[2] if trim is not None else _blank(s, None)
    if blank.any() and not col.nullable and col.required:
        _fail(table, col.name, RULES["empty"], raw, blank, rows)

    if col.kind in ("id", "text"):
        if text is not None:
            s = s.astype(object)
            if col.kind == "id" or col.label:
                s = _strip_padding(table, col, s, text, trim, rows, notes)
            return s.where(~blank, None) if blank.any() else s
        # Numbers from a database or a DataFrame: their text form ("42", never "42.0").
        if pd.api.types.infer_dtype(s, skipna=True) == "floating" and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")
        return s.astype("string").astype(object).where(~blank, None)

    if col.kind in ("date", "datetime"):
        parsed = _as_datetime(s, trim[0] if trim is not None else None)
        bad = parsed.isna().to_numpy() & ~blank
        if bad.any():
            beyond = np.zeros(len(s), dtype=bool)
            beyond[bad] = _beyond_last_day(s[bad])
            if beyond.any() and col.nullable:
                examples = sorted(set(s[beyond].astype(str).str.strip().head(100)))[:3]
                if notes is not None:
                    notes.append(NOTES["placeholder"].format(table=table, column=col.name, n=beyond.sum(),
                                                             examples=", ".join(examples)))
                bad &= ~beyond
            elif beyond.any():
                _fail(table, col.name, RULES["beyond"], raw, beyond, rows, detail=DETAILS["beyond"])
        if bad.any():
            _fail(table, col.name, RULES["invalid"].format(kind=col.kind), raw, bad, rows, detail=DETAILS["invalid"])
        if text is not None:
            # pandas reads "2024" as 1 January and "2024-05" as 1 May: a month is not a day.
            partial = pc.less_equal(trim[1], 7).fill_null(False).to_numpy(zero_copy_only=False) & ~blank
            if partial.any():
                _fail(table, col.name, RULES["partial"], raw, partial, rows, detail=DETAILS["partial"])
        if col.kind == "date":
            timed = (parsed.notna() & (parsed != parsed.dt.normalize())).to_numpy()
            if timed.any():
                _fail(table, col.name, RULES["timed"], raw, timed, rows, detail=DETAILS["timed"])
        return parsed

    if col.kind in ("float", "int"):
        if pd.api.types.is_bool_dtype(s):
            _fail(table, col.name, RULES["bool_number"], raw, np.ones(len(s), bool), rows)
        if col.kind == "int" and pd.api.types.is_integer_dtype(s):
            return s.astype("Int64")  # already whole numbers: no detour through float64
        numbers = _exact_numbers(trim, blank, s.index) if trim is not None else None
        exact = numbers is not None
        if numbers is None:  # not text, or text Arrow does not read as numbers: find the bad values
            numbers = pd.to_numeric(s.where(~blank, None), errors="coerce").astype("float64")
            bad = numbers.isna().to_numpy() & ~blank
            if bad.any():
                _fail(table, col.name, RULES["not_number"], raw, bad, rows)
        if text is not None and (~blank).any() and not exact:
            # pandas' fast text parser can be off by one unit in the last place;
            # Arrow's conversion is exact, so written floats come back bit for bit.
            good = ~blank
            numbers = numbers.copy()
            try:
                exact = pc.cast(pc.utf8_trim_whitespace(text.filter(pa.array(good))), pa.float64())
                numbers[good] = exact.to_numpy(zero_copy_only=False)
            except pa.ArrowInvalid:  # a spelling pandas reads and Arrow does not: NumPy, also exact
                numbers[good] = s[good].astype("string").str.strip().astype("float64").to_numpy()
        infinite = ~np.isfinite(numbers.fillna(0).to_numpy())
        if infinite.any():
            _fail(table, col.name, RULES["infinite"], raw, infinite, rows)
        if col.kind == "int":
            fractional = (numbers.notna() & (numbers % 1 != 0)).to_numpy()
            if fractional.any():
                _fail(table, col.name, RULES["fraction"], raw, fractional, rows)
            return _whole_numbers(table, col, numbers, trim, blank, raw, rows)
        return numbers

    if col.kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            return s.astype(bool)
        words = s.astype("string").str.strip().str.lower()
        is_true, is_false = words.isin(_TRUE).to_numpy(dtype=bool), words.isin(_FALSE).to_numpy(dtype=bool)
        bad = ~(is_true | is_false)
        if bad.any():
            _fail(table, col.name, RULES["bool"], raw, bad, rows, detail=DETAILS["bool"])
        return pd.Series(is_true, index=s.index)
    raise ValueError(f"Unknown column kind {col.kind!r}")  # a bug in the contract, not in the data


def type_table(spec: Table, raw: pd.DataFrame, rows: np.ndarray, errors: list | None = None,
               notes: list | None = None) -> pd.DataFrame:
    """Check the columns of one table and parse each into its contract dtype.

    Text is parsed vectorised (``pd.to_datetime(format="ISO8601")``,
    ``pd.to_numeric``, Arrow's exact float conversion) with failures
    located, never turned into NaN. Times with a UTC offset (or tz-aware
    columns) are converted to UTC and made naive; times without one are
    taken as UTC. A date at midnight written with its time
    (``2026-01-05 00:00:00``, as databases export dates) is a date; any
    other time of day is an error. Columns outside the contract are kept
    unchanged, after the contract's columns.

    Parameters
    ----------
    spec : Table
        The table's contract, e.g. ``TABLES["customers"]``.
    raw : pandas.DataFrame
        The table as read: text (CSV) or typed (Parquet, databases, frames).
    rows : numpy.ndarray
        The source row number of each row of ``raw``, for error messages.
    errors : list, optional
        ``None`` (default): raise at the first broken rule. A list: append
        each column's error to it and leave that column out of the result.
    notes : list, optional
        Soft problems found while parsing are appended here as text: ids and
        labels whose surrounding spaces were removed, and "no end"
        placeholder dates (after ``LAST_DAY``) read as empty.

    Returns
    -------
    pandas.DataFrame
        Typed as the contract says (id/text object, date/datetime
        datetime64[ns], float float64, int Int64, bool bool), index 0..n-1.

    Raises
    ------
    DataValidationError
        Empty table, missing required column, empty required value, or a
        value that does not parse as its kind.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": ["007", "c2"], "signup_date": ["2026-01-05", "5 Jan"]})
    >>> type_table(TABLES["customers"], raw, np.array([2, 3]))
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.DataValidationError: customers.signup_date: not a valid date (1 row; ...)
    Offending rows (row number as in the source):
        signup_date
    row
    3         5 Jan
    """
    if raw.empty:
        raise DataValidationError(spec.name, None, "the table is empty (no data rows)")
    doubled = raw.columns[raw.columns.duplicated()].unique().tolist()
    if doubled:
        raise DataValidationError(spec.name, str(doubled[0]), "column appears twice",
                                  detail=f"the header names {doubled} more than once; keep one of each")
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        # A header written "Customer_ID " is the column, misspelt: say so rather than only "missing".
        near = [f"{h!r} looks like {c!r}" for c in missing for h in raw.columns if str(h).strip().lower() == c]
        raise DataValidationError(spec.name, missing[0], "required column is missing",
                                  detail=f"missing {missing}; the table has {list(raw.columns)}"
                                         + (f"; {', '.join(near)} (rename it, or map it in a mapping file)"
                                            if near else ""))
    out = {}
    for col in spec.columns:
        if col.name in raw.columns:
            with collected(errors):
                out[col.name] = _parse_column(spec.name, col, raw, rows, notes)
    typed = pd.DataFrame(out, index=raw.index)
    for c in raw.columns:
        if c not in spec.columns_by_name:
            typed[c] = raw[c]
    return typed.reset_index(drop=True)


def unknown_columns(spec: Table, columns) -> list[str]:
    """Warnings for extra columns that look like a misspelt contract column.

    Columns outside the contract are kept without comment (exports often
    carry many); one whose name is close to an optional contract column the
    table lacks (``acquisiton_cost``) is probably that column misspelt, and
    would otherwise be silently ignored by the metrics.

    Examples
    --------
    >>> unknown_columns(TABLES["customers"], ["customer_id", "signup_date", "segmnt", "crm_id"])
    ["customers.segmnt: not a contract column (kept as is); did you mean 'segment'?"]
    """
    absent = [c.name for c in spec.columns if c.name not in columns]
    notes = []
    for c in columns:
        if c in spec.columns_by_name:
            continue
        close = difflib.get_close_matches(str(c).lower(), absent, n=1, cutoff=0.8)
        if close:
            notes.append(NOTES["unknown_column"].format(table=spec.name, column=c, near=close[0]))
    return notes


def _has(df: pd.DataFrame, *columns: str) -> bool:
    # After collected errors a column may be missing from the typed table; its rules are skipped.
    return all(c in df.columns for c in columns)


def check_rules(spec: Table, df: pd.DataFrame, raw: pd.DataFrame, rows: np.ndarray,
                errors: list | None = None) -> list[str]:
    """Check the rules within one typed table; return its soft warnings.

    Rules: ``min``/``max`` of the contract, allowed values, unique key
    (composite keys too), end not before start (subscriptions' end_date and
    commitment_end; ticket response and resolution not before opening),
    all subscriptions' MRR together within ``MAX_TOTAL_MRR``, survey scores
    within the scale of their type (``SURVEY_SCALES``) unless the row states
    ``scale_min``/``scale_max`` and whole numbers for the types in
    ``SURVEY_WHOLE_SCORES``, exactly one first-value milestone.

    Soft warnings: subscriptions ending the day they start (zero length),
    tickets still open though opened ``STALE_TICKET_DAYS`` (30) or more
    days before the newest ticket, usage rows repeating another row exactly.

    Parameters
    ----------
    spec : Table
        The table's contract.
    df : pandas.DataFrame
        The table typed by :func:`type_table`.
    raw : pandas.DataFrame
        The table as read, shown in error messages.
    rows : numpy.ndarray
        Source row numbers of the rows.
    errors : list, optional
        ``None``: raise at the first broken rule; a list: append each.

    Returns
    -------
    list of str
        Soft problems.

    Examples
    --------
    >>> subs = pd.DataFrame({"subscription_id": ["s1"], "customer_id": ["c1"], "plan": ["pro"],
    ...     "start_date": ["2026-01-05"], "end_date": ["2026-01-05"], "billing_period": ["month"],
    ...     "amount": ["10"]})
    >>> typed = type_table(TABLES["subscriptions"], subs, np.array([2]))
    >>> check_rules(TABLES["subscriptions"], typed, subs, np.array([2]))
    ["subscriptions: 1 subscription(s) end the day they start (zero length, no revenue), e.g. ['s1']"]
    """
    name = spec.name
    for col in spec.columns:
        if col.name not in df.columns:
            continue
        with collected(errors):
            _check_column(name, col, df[col.name], raw, rows)

    if spec.key and _has(df, *spec.key):
        with collected(errors):
            dup = df.duplicated(list(spec.key), keep=False).to_numpy()
            if dup.any():
                _fail(name, spec.key[-1] if len(spec.key) == 1 else ", ".join(spec.key),
                      RULES["duplicate"], raw, dup, rows, columns=list(spec.key))

    warnings: list[str] = []
    for column, start, rule in _NOT_BEFORE.get(name, ()):
        if _has(df, column, start):
            with collected(errors):
                early = (df[column] < df[start]).to_numpy(dtype=bool)
                if early.any():
                    _fail(name, column, rule, raw, early, rows, columns=[spec.key[0], start, column])
    if name == "subscriptions" and _has(df, "amount", "billing_period"):
        with collected(errors):
            _check_total_mrr(df, raw, rows)
    if name == "subscriptions" and _has(df, "start_date", "end_date"):
        zero = (df["end_date"] == df["start_date"]).to_numpy(dtype=bool)
        if zero.any():
            ids = df.loc[zero, "subscription_id"].head(3).tolist() if _has(df, "subscription_id") else []
            warnings.append(NOTES["zero_length"].format(n=zero.sum(), ids=ids))
    if name == "tickets" and _has(df, "opened_at"):
        if _has(df, "resolved_at"):
            # Recent open tickets are normal at any data cut; old ones suggest an export without resolutions.
            cutoff = df["opened_at"].max() - pd.Timedelta(days=STALE_TICKET_DAYS)
            stale = df["resolved_at"].isna() & (df["opened_at"] < cutoff)
            if stale.any():
                ids = df.loc[stale, "ticket_id"].head(3).tolist() if _has(df, "ticket_id") else []
                warnings.append(NOTES["stale_tickets"].format(n=stale.sum(), ids=ids))
    if name == "surveys" and _has(df, "survey", "score"):
        with collected(errors):
            _check_scores(df, raw, rows)
    if name == "milestones" and _has(df, "first_value"):
        with collected(errors):
            n_first = int(df["first_value"].sum())
            if n_first != 1:
                mask = df["first_value"].to_numpy() if n_first else np.ones(len(df), bool)
                _fail(name, "first_value", RULES["first_value"].format(n=n_first),
                      raw, mask, rows, columns=["milestone", "first_value"])
    if name == "usage_events":
        n_repeated = _repeated_usage_rows(df)
        if n_repeated:
            warnings.append(NOTES["repeated_usage"].format(n=n_repeated))
    return warnings


#: Per table: (column, the column it must not precede, rule), checked in this order.
_NOT_BEFORE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "subscriptions": (("end_date", "start_date", "ends before it starts"),
                      ("commitment_end", "start_date", "commitment ends before it starts")),
    "tickets": (("first_response_at", "opened_at", "before the ticket was opened"),
                ("resolved_at", "opened_at", "before the ticket was opened")),
}
#: The same pairs, for the engine's queries.
NOT_BEFORE = _NOT_BEFORE


def _check_total_mrr(df: pd.DataFrame, raw: pd.DataFrame, rows: np.ndarray) -> None:
    """All subscriptions' MRR together must stay within ``MAX_TOTAL_MRR`` (the ledger's exact range)."""
    if (df["amount"] > MAX_AMOUNT).any():  # already refused row by row
        return
    months = df["billing_period"].map(BILLING_PERIOD_MONTHS).to_numpy(dtype=float)
    discount = df["discount"].fillna(0).to_numpy(dtype=float) if "discount" in df.columns else 0.0
    mrr = df["amount"].to_numpy(dtype=float) * (1 - discount) / months
    total = np.nansum(mrr)
    if total > MAX_TOTAL_MRR:
        largest = np.zeros(len(df), dtype=bool)
        largest[np.argsort(-np.nan_to_num(mrr))[:MAX_ROWS_SHOWN]] = True
        _fail("subscriptions", "amount", RULES["total_mrr"], raw, largest, rows,
              columns=["subscription_id", "amount", "billing_period"], detail=DETAILS["total_mrr"].format(total=total))


def _check_column(table: str, col: Column, s: pd.Series, raw: pd.DataFrame, rows: np.ndarray) -> None:
    if col.min is not None and col.kind in ("float", "int"):
        low = (s < col.min).fillna(False).to_numpy(dtype=bool)
        if low.any():
            _fail(table, col.name, RULES["min"].format(min=col.min), raw, low, rows)
    if col.max is not None and col.kind in ("float", "int"):
        high = (s > col.max).fillna(False).to_numpy(dtype=bool)
        if high.any():
            _fail(table, col.name, RULES["max"].format(max=col.max), raw, high, rows)
    if col.allowed is not None:
        bad = (s.notna() & ~s.isin(col.allowed)).to_numpy()
        if bad.any():
            _fail(table, col.name, RULES["allowed"], raw, bad, rows, detail=DETAILS["allowed"].format(allowed=", ".join(col.allowed)))


def _repeated_usage_rows(df: pd.DataFrame) -> int:
    """Rows identical to an earlier row in every contract column of usage_events.

    ``df.duplicated()`` hashes every column of every row, about as long as
    the rest of the load. Repeats must share user, instant and event, so
    those three are first mixed into one 64-bit number per row (integer
    codes, wrapping arithmetic); only rows whose number recurs are compared
    in full, which also makes a chance collision of the mix harmless.
    """
    columns = [c.name for c in TABLES["usage_events"].columns if c.name in df.columns]
    if not _has(df, "user_id", "timestamp", "event") or len(df) < 2:
        return 0
    users = pd.factorize(df["user_id"])[0].astype("uint64")
    events = pd.factorize(df["event"])[0].astype("uint64")
    instants = df["timestamp"].to_numpy().view("uint64")
    with np.errstate(over="ignore"):  # wrapping is the point: this is a hash, not a count
        mixed = instants + users * np.uint64(0x9E3779B97F4A7C15) + events * np.uint64(0xC2B2AE3D27D4EB4F)
    candidates = pd.Series(mixed).duplicated(keep=False).to_numpy()
    if not candidates.any():
        return 0
    return int(df.loc[candidates, columns].duplicated().sum())


def _check_scores(df: pd.DataFrame, raw: pd.DataFrame, rows: np.ndarray) -> None:
    low = df["survey"].map({k: v[0] for k, v in SURVEY_SCALES.items()}).astype(float)
    high = df["survey"].map({k: v[1] for k, v in SURVEY_SCALES.items()}).astype(float)
    if "scale_min" in df.columns:
        low = df["scale_min"].fillna(low)
    if "scale_max" in df.columns:
        high = df["scale_max"].fillna(high)
    bad = ((df["score"] < low) | (df["score"] > high)).to_numpy(dtype=bool)
    if bad.any():
        _fail("surveys", "score", RULES["scale"], raw, bad, rows, columns=["response_id", "survey", "score"],
              detail=DETAILS["scale"])
    fraction = (df["survey"].isin(SURVEY_WHOLE_SCORES) & (df["score"] % 1 != 0) & df["score"].notna()).to_numpy(bool)
    if fraction.any():
        _fail("surveys", "score", RULES["whole_score"], raw, fraction, rows, columns=["response_id", "survey", "score"],
              detail=DETAILS["whole_score"])


def check_references(tables: dict[str, pd.DataFrame], raws: dict, row_numbers: dict,
                     errors: list | None = None) -> list[str]:
    """Check that referencing columns match the referenced table; return soft warnings.

    A column with ``references="table.column"`` (customer_id, onboarding
    milestone, surveys' ticket_id and send_id) must hold only values of that
    column, when that table is loaded; empty values are not checked.
    Soft warnings: survey answers dated before the customer's signup;
    customers without any subscription (when subscriptions are loaded).

    Parameters
    ----------
    tables : dict of str to DataFrame
        The typed tables.
    raws : dict of str to DataFrame
        The tables as read, shown in error messages.
    row_numbers : dict of str to numpy.ndarray
        Source row numbers per table.
    errors : list, optional
        ``None``: raise at the first broken rule; a list: append each.

    Returns
    -------
    list of str
        Soft problems.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["c1"], "signup_date": pd.to_datetime(["2026-01-01"])})
    >>> tickets = pd.DataFrame({"customer_id": ["c1", "c9"]})
    >>> check_references({"customers": customers, "tickets": tickets}, {"customers": customers,
    ...     "tickets": tickets}, {"customers": np.array([1]), "tickets": np.array([1, 2])})
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.DataValidationError: tickets.customer_id: not found in customers.customer_id (1 row)
    Offending rows (row number as in the source):
        customer_id
    row
    2            c9
    """
    for name, df in tables.items():
        for col in TABLES[name].columns:
            if col.references is None or col.name not in df.columns:
                continue
            target_table, target_col = col.references.split(".")
            if target_table not in tables or target_col not in tables[target_table].columns:
                continue
            values = df[col.name]
            with collected(errors):
                unknown = (values.notna() & ~values.isin(tables[target_table][target_col])).to_numpy()
                if unknown.any():
                    _fail(name, col.name, RULES["reference"].format(references=col.references), raws[name], unknown,
                          row_numbers[name])

    warnings: list[str] = []
    customers = tables.get("customers")
    if customers is None or not _has(customers, "customer_id"):
        return warnings
    surveys = tables.get("surveys")
    if surveys is not None and _has(surveys, "customer_id", "responded_at") and _has(customers, "signup_date"):
        # drop_duplicates: a repeated customer_id is its own error (strict=False goes on); the first row counts here
        signup = customers.drop_duplicates("customer_id").set_index("customer_id")["signup_date"]
        early = (surveys["responded_at"] < surveys["customer_id"].map(signup)).to_numpy(dtype=bool)
        if early.any():
            warnings.append(NOTES["early_surveys"].format(n=early.sum()))
    subscriptions = tables.get("subscriptions")
    if subscriptions is not None and _has(subscriptions, "customer_id"):
        without = ~customers["customer_id"].isin(subscriptions["customer_id"])
        if without.any():
            warnings.append(NOTES["no_subscription"].format(n=without.sum(),
                                                            ids=customers.loc[without, "customer_id"].head(3).tolist()))
    return warnings
