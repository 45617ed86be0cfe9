"""Typing and validating tables against the contract.

Every rule raises :class:`~csm_kit.exceptions.DataValidationError` naming the
table, the column, the rule and up to five offending rows, with their row
numbers as in the source (CSV: the row a spreadsheet shows, header = row 1;
other sources: 1-based row position). Nothing is coerced silently: a value
that does not parse is an error, not a NaN.

Soft problems (loadable, but worth a look) are returned as warning strings;
the loader emits them as :class:`~csm_kit.exceptions.DataValidationWarning`
and keeps them on ``Dataset.warnings`` for the report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import SURVEY_SCALES, TABLES, Column, Table
from ..exceptions import DataValidationError

MAX_ROWS_SHOWN = 5
# Only these spellings (any case): "yes"/"t" are refused rather than guessed at.
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def _offending(raw: pd.DataFrame, mask, row_numbers: np.ndarray, columns) -> pd.DataFrame:
    """Up to five offending rows, indexed by their row number in the source."""
    mask = np.asarray(mask, dtype=bool)
    shown = raw.loc[mask, [c for c in columns if c in raw.columns]].head(MAX_ROWS_SHOWN).copy()
    shown.index = pd.Index(row_numbers[mask][:MAX_ROWS_SHOWN], name="row")
    return shown


def _fail(table, column, rule, raw, mask, rows, columns=None, detail=""):
    n = int(np.asarray(mask).sum())
    detail = f"{n:,} row{'s' if n != 1 else ''}" + (f"; {detail}" if detail else "")
    raise DataValidationError(table, column, rule, rows=_offending(raw, mask, rows, columns or [column]),
                              detail=detail)


def _blank(series: pd.Series) -> np.ndarray:
    """Missing values: null, or an empty/whitespace string."""
    missing = series.isna().to_numpy()
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "string":
        # pyarrow's kernels trim and measure in C; pandas' .str would loop in Python.
        trimmed = pc.utf8_trim_whitespace(pa.array(series, type=pa.string(), from_pandas=True))
        missing |= pc.equal(pc.utf8_length(trimmed), 0).fill_null(False).to_numpy(zero_copy_only=False)
    elif series.dtype == object:  # mixed values (from a DataFrame): the slow, general way
        missing |= (series.astype("string").str.strip() == "").fillna(False).to_numpy(dtype=bool)
    return missing


def _as_datetime(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]")
    text = series.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _parse_column(table: str, col: Column, raw: pd.DataFrame, rows: np.ndarray) -> pd.Series:
    s = raw[col.name]
    blank = _blank(s)
    if blank.any() and not col.nullable and col.required:
        _fail(table, col.name, "required value is empty", raw, blank, rows)

    if col.kind in ("id", "text"):
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("string", "empty"):
            return s.astype(object).where(~blank, None)
        # Numbers from a database or a DataFrame: their text form ("42", never "42.0").
        if kind == "floating" and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")
        return s.astype("string").astype(object).where(~blank, None)

    if col.kind in ("date", "datetime"):
        parsed = _as_datetime(s)
        bad = parsed.isna().to_numpy() & ~blank
        if bad.any():
            _fail(table, col.name, f"not a valid {col.kind}", raw, bad, rows,
                  detail="write dates as YYYY-MM-DD and times as YYYY-MM-DDTHH:MM:SS")
        if col.kind == "date":
            timed = (parsed.notna() & (parsed != parsed.dt.normalize())).to_numpy()
            if timed.any():
                _fail(table, col.name, "a date column holds a time of day", raw, timed, rows,
                      detail="dates are calendar days; use YYYY-MM-DD")
        return parsed

    if col.kind in ("float", "int"):
        if pd.api.types.is_bool_dtype(s):
            _fail(table, col.name, "true/false in a number column", raw, np.ones(len(s), bool), rows)
        numbers = pd.to_numeric(s.where(~blank, None), errors="coerce").astype("float64")
        bad = numbers.isna().to_numpy() & ~blank
        if bad.any():
            _fail(table, col.name, "not a number", raw, bad, rows)
        if s.dtype == object and (~blank).any():
            # pandas' fast text parser can be off by one unit in the last place;
            # numpy's conversion is exact, so written floats come back bit for bit.
            good = ~blank
            numbers = numbers.copy()
            numbers[good] = s[good].astype("string").str.strip().astype("float64").to_numpy()
        if not np.isfinite(numbers.fillna(0).to_numpy()).all():
            _fail(table, col.name, "infinite number", raw, ~np.isfinite(numbers.fillna(0).to_numpy()), rows)
        if col.kind == "int":
            fractional = (numbers.notna() & (numbers % 1 != 0)).to_numpy()
            if fractional.any():
                _fail(table, col.name, "not a whole number", raw, fractional, rows)
            return numbers.astype("Int64")
        return numbers

    if col.kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            return s.astype(bool)
        text = s.astype("string").str.strip().str.lower()
        is_true, is_false = text.isin(_TRUE).to_numpy(dtype=bool), text.isin(_FALSE).to_numpy(dtype=bool)
        bad = ~(is_true | is_false)
        if bad.any():
            _fail(table, col.name, "not true/false", raw, bad, rows, detail="use true/false or 1/0")
        return pd.Series(is_true, index=s.index)
    raise ValueError(f"Unknown column kind {col.kind!r}")  # a bug in the contract, not in the data


def type_table(spec: Table, raw: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Check the columns of one table and parse each into its contract dtype.

    Text is parsed vectorised (``pd.to_datetime(format="ISO8601")``,
    ``pd.to_numeric``) with failures located, never turned into NaN. Times
    with a UTC offset (or tz-aware columns) are converted to UTC and made
    naive; times without one are taken as UTC. Columns outside the contract
    are kept unchanged, after the contract's columns.

    Parameters
    ----------
    spec : Table
        The table's contract, e.g. ``TABLES["customers"]``.
    raw : pandas.DataFrame
        The table as read: text (CSV) or typed (Parquet, databases, frames).
    rows : numpy.ndarray
        The source row number of each row of ``raw``, for error messages.

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
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        raise DataValidationError(spec.name, missing[0], "required column is missing",
                                  detail=f"missing {missing}; the table has {list(raw.columns)}")
    out = {}
    for col in spec.columns:
        if col.name in raw.columns:
            out[col.name] = _parse_column(spec.name, col, raw, rows)
    typed = pd.DataFrame(out, index=raw.index)
    extras = [c for c in raw.columns if c not in spec.columns_by_name]
    for c in extras:
        typed[c] = raw[c]
    return typed.reset_index(drop=True)


def check_rules(spec: Table, df: pd.DataFrame, raw: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Check the rules within one typed table; return its soft warnings.

    Rules: ``min``/``max`` of the contract, allowed values, unique key
    (composite keys too), end not before start (subscriptions; ticket
    response and resolution not before opening), survey scores within the
    scale of their type (``SURVEY_SCALES``) unless the row states
    ``scale_min``/``scale_max``, exactly one first-value milestone.

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

    Returns
    -------
    list of str
        Soft problems (zero-length subscriptions).

    Examples
    --------
    >>> subs = pd.DataFrame({"subscription_id": ["s1"], "customer_id": ["c1"], "plan": ["pro"],
    ...     "start_date": ["2026-01-05"], "end_date": ["2026-01-05"], "billing_period": ["month"],
    ...     "amount": ["10"]})
    >>> typed = type_table(TABLES["subscriptions"], subs, np.array([2]))
    >>> check_rules(TABLES["subscriptions"], typed, subs, np.array([2]))
    ["subscriptions: 1 subscription(s) end the day they start (zero length, no revenue), e.g. ['s1']"]
    """
    raw = raw.reset_index(drop=True)
    name = spec.name
    for col in spec.columns:
        if col.name not in df.columns:
            continue
        s = df[col.name]
        if col.min is not None and col.kind in ("float", "int"):
            low = (s < col.min).fillna(False).to_numpy(dtype=bool)
            if low.any():
                _fail(name, col.name, f"value below the minimum {col.min:g}", raw, low, rows)
        if col.max is not None and col.kind in ("float", "int"):
            high = (s > col.max).fillna(False).to_numpy(dtype=bool)
            if high.any():
                _fail(name, col.name, f"value above the maximum {col.max:g}", raw, high, rows)
        if col.allowed is not None:
            bad = (s.notna() & ~s.isin(col.allowed)).to_numpy()
            if bad.any():
                _fail(name, col.name, "unknown value", raw, bad, rows, detail=f"allowed: {', '.join(col.allowed)}")

    if spec.key:
        dup = df.duplicated(list(spec.key), keep=False).to_numpy()
        if dup.any():
            _fail(name, spec.key[-1] if len(spec.key) == 1 else ", ".join(spec.key),
                  "duplicate key", raw, dup, rows, columns=list(spec.key))

    warnings: list[str] = []
    if name == "subscriptions":
        before = (df["end_date"] < df["start_date"]).fillna(False).to_numpy(dtype=bool)
        if before.any():
            _fail(name, "end_date", "ends before it starts", raw, before, rows,
                  columns=["subscription_id", "start_date", "end_date"])
        zero = (df["end_date"] == df["start_date"]).to_numpy(dtype=bool)
        if zero.any():
            warnings.append(f"subscriptions: {zero.sum():,} subscription(s) end the day they start "
                            f"(zero length, no revenue), e.g. {df.loc[zero, 'subscription_id'].head(3).tolist()}")
    if name == "tickets":
        for col in ("first_response_at", "resolved_at"):
            if col in df.columns:
                early = (df[col] < df["opened_at"]).fillna(False).to_numpy(dtype=bool)
                if early.any():
                    _fail(name, col, "before the ticket was opened", raw, early, rows,
                          columns=["ticket_id", "opened_at", col])
    if name == "surveys":
        _check_scores(df, raw, rows)
    if name == "milestones":
        n_first = int(df["first_value"].sum())
        if n_first != 1:
            mask = df["first_value"].to_numpy() if n_first else np.ones(len(df), bool)
            _fail(name, "first_value", f"exactly one milestone must mark first value (found {n_first})",
                  raw, mask, rows, columns=["milestone", "first_value"])
    return warnings


def _check_scores(df: pd.DataFrame, raw: pd.DataFrame, rows: np.ndarray) -> None:
    low = df["survey"].map({k: v[0] for k, v in SURVEY_SCALES.items()}).astype(float)
    high = df["survey"].map({k: v[1] for k, v in SURVEY_SCALES.items()}).astype(float)
    if "scale_min" in df.columns:
        low = df["scale_min"].fillna(low)
    if "scale_max" in df.columns:
        high = df["scale_max"].fillna(high)
    bad = ((df["score"] < low) | (df["score"] > high)).to_numpy(dtype=bool)
    if bad.any():
        _fail("surveys", "score", "score outside its scale", raw, bad, rows,
              columns=["response_id", "survey", "score"],
              detail="NPS 0-10, CSAT 1-5, CES 1-7 unless the row gives scale_min/scale_max")


def check_references(tables: dict[str, pd.DataFrame], raws: dict, row_numbers: dict) -> list[str]:
    """Check that referencing columns match the referenced table; return soft warnings.

    A column with ``references="table.column"`` (customer_id, onboarding
    milestone, surveys' ticket_id and send_id) must hold only values of that
    column, when that table is loaded; empty values are not checked. A survey
    answered before its customer's signup is a soft warning.

    Parameters
    ----------
    tables : dict of str to DataFrame
        The typed tables.
    raws : dict of str to DataFrame
        The tables as read, shown in error messages.
    row_numbers : dict of str to numpy.ndarray
        Source row numbers per table.

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
    warnings: list[str] = []
    for name, df in tables.items():
        for col in TABLES[name].columns:
            if col.references is None or col.name not in df.columns:
                continue
            target_table, target_col = col.references.split(".")
            if target_table not in tables:
                continue
            known = tables[target_table][target_col]
            values = df[col.name]
            unknown = (values.notna() & ~values.isin(known)).to_numpy()
            if unknown.any():
                _fail(name, col.name, f"not found in {col.references}", raws[name].reset_index(drop=True),
                      unknown, row_numbers[name])
    if "surveys" in tables and "customers" in tables:
        s, c = tables["surveys"], tables["customers"].set_index("customer_id")["signup_date"]
        early = (s["responded_at"] < s["customer_id"].map(c)).to_numpy(dtype=bool)
        if early.any():
            warnings.append(f"surveys: {early.sum():,} response(s) dated before the customer's signup_date")
    return warnings
