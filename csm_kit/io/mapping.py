"""Mapping files: read a data set whose files and columns have names of their own.

A mapping says, per contract table, where its data is and how the source's
names translate into the contract's. ``load_dataset(src, mapping="mapping.yaml")``
applies it (a dict of the same shape works too); ``csm-kit init-mapping SRC``
drafts one from the headers it finds. Example::

    defaults:                        # optional: every file's encoding / missing-value markers
      encoding: latin-1
      na_values: [NA]
    customers:
      file: accounts.csv             # relative to the data folder (default customers.csv / .parquet)
      columns: {customer_id: AccountId, signup_date: Created, segment: Tier}
      values: {segment: {Small: smb, Mid: mid_market, Large: enterprise}}
      formats: {signup_date: '%d/%m/%Y'}
    subscriptions:
      file: billing.csv
      delimiter: ';'
      constants: {currency: USD}     # a column the file lacks, the same on every row

Keys of a table: ``file``, ``columns`` (contract column: source column),
``values`` (per contract column, source value: contract value; other values
are kept as they are), ``formats`` (per date or datetime column, a
``strftime`` format such as ``'%d/%m/%Y'``; a date's format must have a day,
month and year), ``constants`` (contract column: value), and for the file
``encoding`` (any Python codec: ``latin-1``, ``cp1252``), ``na_values``
(texts that mean "missing", such as R's ``NA``; by default only an empty cell
is missing) and ``delimiter`` (one character, default ``,``). Every value is
read as text (YAML's ``Yes`` stays ``"Yes"``, ``01`` stays ``"01"``) and then
typed by the contract like any cell. An unknown table, key or contract
column is an error naming it: a misspelt key would otherwise be ignored.

Errors found while loading still name the user's own file, column and rows:
``customers.signup_date (accounts.csv, column 'Created'): not a valid date``,
with the offending rows as they are in the file.
"""
from __future__ import annotations

import codecs
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import LAST_DAY, TABLES
from ..exceptions import CsmKitError, DataValidationError

TABLE_KEYS = ("file", "columns", "values", "formats", "constants", "encoding", "na_values", "delimiter")
FILE_KEYS = ("encoding", "na_values", "delimiter")
DEFAULTS = "defaults"


class MappingError(CsmKitError, ValueError):
    """A mapping file is malformed: unknown table, key or column, or a value of the wrong shape."""


@dataclass(frozen=True)
class FileOptions:
    """How to read one file: its text encoding, the texts that mean missing, the cell delimiter."""

    encoding: str = "utf-8"
    na_values: tuple[str, ...] = ()
    delimiter: str = ","


DEFAULT_FILE = FileOptions()


@dataclass(frozen=True)
class TableMapping:
    """The mapping of one contract table (see the module docstring for each field)."""

    table: str
    file: str | None = None
    columns: dict = field(default_factory=dict)  # contract column -> source column
    values: dict = field(default_factory=dict)  # contract column -> {source value: contract value}
    formats: dict = field(default_factory=dict)  # contract column -> strftime format
    constants: dict = field(default_factory=dict)  # contract column -> value (text)
    options: FileOptions = DEFAULT_FILE

    def source_column(self, column: str) -> str:
        """The source's name of a contract column (itself when not renamed)."""
        return self.columns.get(column, column)


@dataclass(frozen=True)
class Mapping:
    """A parsed, checked mapping: one :class:`TableMapping` per table it names."""

    tables: dict
    origin: str = "mapping"  # the file it came from, for messages
    path: str | None = None  # that file, resolved (it may sit in the data folder: not a stray file)

    def get(self, table: str) -> TableMapping | None:
        return self.tables.get(table)

    def options(self, table: str) -> FileOptions:
        return self.tables[table].options if table in self.tables else self.default_options

    default_options: FileOptions = DEFAULT_FILE


def _text_loader():
    import yaml

    # BaseLoader: every scalar is text, so YAML never turns `Yes` into True or `007` into 7.
    return yaml.BaseLoader


def read_mapping(mapping) -> Mapping:
    """Read and check a mapping: a YAML file's path, a dict, or a :class:`Mapping`.

    Parameters
    ----------
    mapping : str, Path, dict or Mapping
        The mapping (shape in the module docstring).

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        Unknown table, key or contract column; a format without a day for a
        date column; an unknown encoding; a value of the wrong shape.
    FileNotFoundError
        The mapping file does not exist.

    Examples
    --------
    >>> m = read_mapping({"customers": {"columns": {"customer_id": "AccountId"}, "constants": {"segment": 1}}})
    >>> m.get("customers").columns, m.get("customers").constants
    ({'customer_id': 'AccountId'}, {'segment': '1'})
    >>> read_mapping({"customers": {"colums": {}}})
    Traceback (most recent call last):
    ...
    csm_kit.io.mapping.MappingError: mapping: customers.colums: unknown key; did you mean 'columns'? (keys: file, columns, values, formats, constants, encoding, na_values, delimiter)
    """
    if isinstance(mapping, Mapping):
        return mapping
    origin, resolved = "mapping", None
    if isinstance(mapping, (str, Path)):
        import yaml

        path = Path(mapping)
        if not path.is_file():
            raise FileNotFoundError(f"No mapping file at {path}.")
        origin, resolved = path.name, str(path.resolve())
        try:
            mapping = yaml.load(path.read_text(encoding="utf-8"), Loader=_text_loader()) or {}
        except yaml.YAMLError as exc:
            raise MappingError(f"{origin}: not valid YAML ({exc})") from None
    if not isinstance(mapping, dict):
        raise MappingError(f"{origin}: a mapping is a set of tables (customers: ..., subscriptions: ...), "
                           f"not {type(mapping).__name__}")
    unknown = [str(k) for k in mapping if k not in TABLES and k != DEFAULTS]
    if unknown:
        raise MappingError(f"{origin}: {_unknown(unknown[0], [*TABLES, DEFAULTS], 'table')} "
                           f"(unknown: {', '.join(unknown)}; the contract's tables: {', '.join(TABLES)})")
    defaults = mapping.get(DEFAULTS) or {}
    _mapping_of(origin, DEFAULTS, defaults)
    bad = [k for k in defaults if k not in FILE_KEYS]
    if bad:
        raise MappingError(f"{origin}: {DEFAULTS}.{bad[0]}: unknown key (defaults take {', '.join(FILE_KEYS)})")
    default_options = _file_options(origin, DEFAULTS, defaults, DEFAULT_FILE)
    tables = {name: _table_mapping(origin, name, spec or {}, default_options)
              for name, spec in mapping.items() if name != DEFAULTS}
    return Mapping(tables, origin=origin, path=resolved, default_options=default_options)


def _unknown(key: str, choices, what: str) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f"{key}: unknown {what}" + (f"; did you mean {close[0]!r}?" if close else "")


def _mapping_of(origin: str, where: str, value) -> dict:
    if not isinstance(value, dict):
        raise MappingError(f"{origin}: {where} must be a mapping of names to values, not {value!r}")
    return value


def _text(origin: str, where: str, value) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise MappingError(f"{origin}: {where} must be a single value, not {value!r}")
    return str(value)


def _file_options(origin: str, where: str, spec: dict, base: FileOptions) -> FileOptions:
    encoding, na_values, delimiter = base.encoding, base.na_values, base.delimiter
    if "encoding" in spec:
        encoding = _text(origin, f"{where}.encoding", spec["encoding"])
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise MappingError(f"{origin}: {where}.encoding: unknown encoding {encoding!r} "
                               "(e.g. utf-8, latin-1, cp1252)") from None
    if "na_values" in spec:
        raw = spec["na_values"]
        na_values = tuple(_text(origin, f"{where}.na_values", v) for v in (raw if isinstance(raw, list) else [raw]))
    if "delimiter" in spec:
        delimiter = _text(origin, f"{where}.delimiter", spec["delimiter"])
        if delimiter == "\\t":
            delimiter = "\t"
        if len(delimiter) != 1:
            raise MappingError(f"{origin}: {where}.delimiter must be one character, not {delimiter!r}")
    return FileOptions(encoding, na_values, delimiter)


def _table_mapping(origin: str, name: str, spec, default_options: FileOptions) -> TableMapping:
    spec = _mapping_of(origin, name, spec)
    table = TABLES[name]
    for key in spec:
        if key not in TABLE_KEYS:
            raise MappingError(f"{origin}: {name}.{_unknown(str(key), TABLE_KEYS, 'key')} "
                               f"(keys: {', '.join(TABLE_KEYS)})")

    def contract_columns(key: str) -> dict:
        block = _mapping_of(origin, f"{name}.{key}", spec.get(key) or {})
        for column in block:
            if column not in table.columns_by_name:
                raise MappingError(f"{origin}: {name}.{key}.{_unknown(str(column), table.columns_by_name, 'column')} "
                                   f"(columns of {name}: {', '.join(table.columns_by_name)})")
        return block

    columns = {c: _text(origin, f"{name}.columns.{c}", v) for c, v in contract_columns("columns").items()}
    values = {}
    for column, table_of_values in contract_columns("values").items():
        block = _mapping_of(origin, f"{name}.values.{column}", table_of_values)
        values[column] = {str(k): _text(origin, f"{name}.values.{column}.{k}", v) for k, v in block.items()}
    formats = {}
    for column, fmt in contract_columns("formats").items():
        fmt = _text(origin, f"{name}.formats.{column}", fmt)
        kind = table[column].kind
        if kind not in ("date", "datetime"):
            raise MappingError(f"{origin}: {name}.formats.{column}: a format is for date and datetime columns; "
                               f"{column} is {kind}")
        missing = [part for part, codes in (("day", "dj"), ("month", "mbBj"), ("year", "Yy"))
                   if not any(f"%{c}" in fmt for c in codes)]
        if missing:
            raise MappingError(f"{origin}: {name}.formats.{column}: {fmt!r} has no {' or '.join(missing)}; "
                               "a partial date (a month, a year) is not a day")
        formats[column] = fmt
    constants = {c: _text(origin, f"{name}.constants.{c}", v) for c, v in contract_columns("constants").items()}
    both = sorted(set(constants) & set(columns))
    if both:
        raise MappingError(f"{origin}: {name}.{both[0]}: given both a source column and a constant; keep one")
    file = _text(origin, f"{name}.file", spec["file"]) if spec.get("file") is not None else None
    return TableMapping(name, file=file, columns=columns, values=values, formats=formats, constants=constants,
                        options=_file_options(origin, name, spec, default_options))


def mapping_key(mapping: Mapping, folder=None) -> str:
    """A text that changes whenever the mapping, or a file it names, changes (for the report's snapshot).

    The mapping's content as canonical JSON, plus the size and modification
    time of each file it names under ``folder``.

    >>> mapping_key(read_mapping({"customers": {"columns": {"customer_id": "Id"}}}))[:40]
    '{"files": [], "tables": {"customers": {"'
    """
    files = []
    for t in mapping.tables.values():
        if t.file is not None and folder is not None:
            path = Path(folder) / t.file
            files.append([str(path.resolve()), *((path.stat().st_size, path.stat().st_mtime_ns)
                                                 if path.is_file() else (None, None))])
    tables = {name: {"file": t.file, "columns": t.columns, "values": t.values, "formats": t.formats,
                     "constants": t.constants, "options": [t.options.encoding, list(t.options.na_values),
                                                           t.options.delimiter]}
              for name, t in sorted(mapping.tables.items())}
    return json.dumps({"files": files, "tables": tables}, sort_keys=True)


# -- applying a mapping to a table as read -----------------------------------------------------

def source_label(mapping: TableMapping | None, file_name: str | None, column: str | None) -> str:
    """Where a contract column comes from, in the user's terms: ``accounts.csv, column 'Created'``."""
    parts = [file_name] if file_name else []
    if column is not None and mapping is not None:
        for c in column.split(", "):
            if c in mapping.constants:
                parts.append(f"constant {mapping.constants[c]!r} from the mapping")
            elif mapping.source_column(c) != c:
                parts.append(f"column {mapping.source_column(c)!r}")
    return ", ".join(parts)


def apply_mapping(mapping: TableMapping, raw: pd.DataFrame, rows: np.ndarray, file_name: str,
                  notes: list | None = None) -> pd.DataFrame:
    """The table as read, renamed and translated into the contract's terms, ready for validation.

    Renames ``columns``, replaces ``values``, parses ``formats`` (a value
    that does not match its format is an error naming its rows), adds
    ``constants``, and turns ``na_values`` into missing for sources that are
    not CSV (the CSV reader handles them itself).

    Parameters
    ----------
    mapping : TableMapping
    raw : pandas.DataFrame
        The table as read from the user's file.
    rows : numpy.ndarray
        The source row numbers, for messages.
    file_name : str
        The user's file (or table) name, for messages.
    notes : list, optional
        Soft problems are appended here (placeholder dates read as empty).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> m = read_mapping({"customers": {"columns": {"customer_id": "Id", "signup_date": "Created"},
    ...     "values": {"segment": {"Small": "smb"}}, "formats": {"signup_date": "%d/%m/%Y"},
    ...     "constants": {"region": "emea"}}}).get("customers")
    >>> raw = pd.DataFrame({"Id": ["a"], "Created": ["31/01/2026"], "segment": ["Small"]})
    >>> apply_mapping(m, raw, np.array([2]), "accounts.csv").iloc[0].tolist()
    ['a', Timestamp('2026-01-31 00:00:00'), 'smb', 'emea']
    """
    table = TABLES[mapping.table]
    missing = [f"{c} <- {s!r}" for c, s in mapping.columns.items() if s not in raw.columns]
    if missing:
        raise DataValidationError(mapping.table, None, "a column named in the mapping is not in the file",
                                  detail=f"{file_name} has no {', '.join(missing)}; its columns: "
                                         f"{', '.join(map(str, raw.columns))}")
    sources = set(mapping.columns.values())
    clash = [c for c in mapping.columns if c in raw.columns and c not in sources]
    if clash:
        raise DataValidationError(mapping.table, clash[0], "the file has this column and the mapping maps another "
                                  "onto it", detail=f"{file_name} has {clash[0]!r} and the mapping takes "
                                  f"{clash[0]} from {mapping.columns[clash[0]]!r}; rename one")
    out = raw.rename(columns={s: c for c, s in mapping.columns.items()})
    for c, s in mapping.columns.items():  # one source column for two contract columns
        if c not in out.columns:
            out[c] = raw[s]
    if mapping.options.na_values:
        out = missing_markers(out, mapping.options.na_values)
    for c, translation in mapping.values.items():
        if c in out.columns:
            out[c] = _translate(out[c], translation)
    for c, fmt in mapping.formats.items():
        if c in out.columns:
            out[c] = _parse_format(mapping, table[c], out[c], fmt, raw, rows, file_name, notes)
    for c, value in mapping.constants.items():
        if c in out.columns:
            raise DataValidationError(mapping.table, c, "the file has this column and the mapping gives it a constant",
                                      detail=f"{file_name} has {c!r}; drop the constant or the column")
        out[c] = value
    return out


def _as_key(value) -> str | None:
    """How a cell is looked up in a ``values`` map: its text, stripped (a whole float 1.0 as "1")."""
    if isinstance(value, str):
        return value.strip()
    if value is None or (not isinstance(value, bool) and pd.isna(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _translate(series: pd.Series, translation: dict) -> pd.Series:
    """``series`` with each value found in ``translation`` replaced; others unchanged (each distinct value looked up once).

    >>> _translate(pd.Series(["Small", "Large ", None, "Huge"]), {"Small": "smb", "Large": "enterprise"}).tolist()
    ['smb', 'enterprise', None, 'Huge']
    >>> _translate(pd.Series([1, 2, 3]), {"1": "smb", "2": "mid_market"}).tolist()
    ['smb', 'mid_market', 3]
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if not len(uniques):
        return series
    found = [translation.get(_as_key(u)) for u in uniques]
    if not any(v is not None for v in found):
        return series
    replaced = np.array([v if v is not None else u for u, v in zip(uniques, found)], dtype=object)
    values = np.where(codes >= 0, replaced[np.maximum(codes, 0)], None)
    out = pd.Series(values, index=series.index, dtype=object)
    return out.where(codes >= 0, series.astype(object))


def missing_markers(frame: pd.DataFrame, na_values) -> pd.DataFrame:
    """``frame`` with the text cells equal to one of ``na_values`` (R's ``NA``...) made missing.

    >>> missing_markers(pd.DataFrame({"region": ["NA", "emea"]}), ["NA"])["region"].tolist()
    [None, 'emea']
    """
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].where(~out[c].isin(list(na_values)), None)
    return out


def _parse_format(mapping: TableMapping, col, s: pd.Series, fmt: str, raw, rows, file_name, notes) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    text = s.astype("string").str.strip()
    blank = (text.isna() | (text == "")).to_numpy()
    parsed = pd.to_datetime(text.where(~blank, None), format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy() & ~blank
    if bad.any():
        beyond = np.zeros(len(s), dtype=bool)
        beyond[bad] = _beyond(text[bad], fmt)
        if beyond.any() and col.nullable:
            if notes is not None:
                notes.append(f"{mapping.table}.{col.name}: {beyond.sum():,} row(s) hold a date after {LAST_DAY} "
                             f"(e.g. {text[beyond].iloc[0]}), the usual 'no end' placeholder of exports: "
                             "read as empty (open-ended)")
            bad &= ~beyond
        where = np.flatnonzero(beyond if (beyond.any() and not col.nullable) else bad)
        if len(where):
            shown = raw.iloc[where[:5]][[mapping.source_column(col.name)]].copy()
            shown.index = pd.Index(rows[where[:5]], name="row")
            rule = (f"a date after {LAST_DAY}, the last day the kit can hold" if beyond.any() and not col.nullable
                    else f"not a valid {col.kind} in the format {fmt!r}")
            raise DataValidationError(mapping.table, col.name, rule, rows=shown,
                                      detail=f"{len(where):,} row{'s' if len(where) != 1 else ''}; the format "
                                             "comes from the mapping's formats",
                                      source=source_label(mapping, file_name, col.name))
    return parsed.astype("datetime64[ns]")


def _beyond(values: pd.Series, fmt: str) -> np.ndarray:
    import datetime as dt

    last = dt.datetime.fromisoformat(LAST_DAY)
    verdict = {}
    for v in values.dropna().unique():
        try:
            verdict[v] = dt.datetime.strptime(v, fmt) > last
        except ValueError:
            verdict[v] = False
    return values.map(verdict).fillna(False).to_numpy(dtype=bool)


def translate_error(err: DataValidationError, mapping: TableMapping | None, file_name: str | None,
                    original: pd.DataFrame | None, rows: np.ndarray | None) -> DataValidationError:
    """The error in the user's terms: their file and column names, and their rows as in the file."""
    if getattr(err, "source", "") or mapping is None:
        return err
    shown = err.rows
    if shown is not None and original is not None and rows is not None and len(shown):
        positions = np.searchsorted(rows, shown.index.to_numpy())
        ok = (positions < len(rows)) & (rows[np.minimum(positions, len(rows) - 1)] == shown.index.to_numpy())
        if ok.all():
            names = {c: mapping.source_column(c) for c in shown.columns}
            keep = [names[c] for c in shown.columns if names[c] in original.columns]
            shown = original.iloc[positions][keep].copy()
            shown.index = err.rows.index
            for c in err.rows.columns:  # constants and derived columns: as the loader saw them
                if names[c] not in original.columns:
                    shown[c] = err.rows[c].to_numpy()
    return DataValidationError(err.table, err.column, err.rule, rows=shown, detail=err.detail,
                               source=source_label(mapping, file_name, err.column))


_SYNONYMS = {
    "customer_id": ["account_id", "accountid", "account", "customer", "client_id", "cust_id", "customerid", "id"],
    "signup_date": ["created", "created_at", "createdate", "signup", "signed_up", "join_date", "start_date"],
    "segment": ["tier", "size", "customer_segment", "market_segment"],
    "plan": ["plan_name", "product", "package", "price_plan"],
    "region": ["geo", "territory", "country"],
    "industry": ["vertical", "sector"],
    "acquisition_channel": ["channel", "source", "lead_source"],
    "acquisition_cost": ["cac"],
    "name": ["account_name", "company", "company_name", "customer_name"],
    "owner": ["csm", "account_manager", "account_owner", "owner_name", "am"],
    "subscription_id": ["subscription", "sub_id", "contract_id", "id"],
    "start_date": ["start", "started_at", "current_period_start", "created", "begin_date"],
    "end_date": ["end", "ended_at", "cancel_date", "canceled_at", "cancelled_at", "churn_date"],
    "billing_period": ["interval", "billing_interval", "billing_cycle", "plan_interval", "period"],
    "amount": ["price", "mrr_amount", "value", "total", "revenue", "plan_amount"],
    "quantity": ["seats", "qty", "units", "licenses"],
    "discount": ["discount_rate", "discount_pct"],
    "term_months": ["term", "contract_term", "commitment_months", "term_length"],
    "commitment_end": ["contract_end", "term_end", "renewal_date", "commitment_end_date"],
    "cancel_reason": ["churn_reason", "cancellation_reason", "reason"],
    "transaction_id": ["order_id", "invoice_id", "payment_id", "id"],
    "date": ["order_date", "purchase_date", "created", "timestamp", "paid_at"],
    "user_id": ["user", "userid", "anonymous_id", "person_id"],
    "timestamp": ["time", "event_time", "occurred_at", "received_at", "sent_at", "created_at"],
    "event": ["event_name", "action", "feature", "name"],
    "response_id": ["response", "id", "answer_id"],
    "survey": ["survey_type", "type", "kind"],
    "score": ["rating", "nps", "value", "answer"],
    "responded_at": ["submitted_at", "response_date", "date", "created_at"],
    "touchpoint": ["trigger", "context", "stage"],
    "comment": ["feedback", "text", "verbatim", "comments"],
    "ticket_id": ["ticket", "case_id", "id"],
    "opened_at": ["created", "created_at", "opened", "submitted_at"],
    "first_response_at": ["first_reply_at", "first_response", "responded_at"],
    "resolved_at": ["closed_at", "solved_at", "resolved"],
    "priority": ["severity", "urgency"],
    "channel": ["via", "source", "medium"],
    "csat": ["satisfaction", "satisfaction_rating", "rating"],
    "category": ["topic", "type", "tags"],
    "send_id": ["invitation_id", "send"],
    "sent_at": ["sent", "invited_at", "send_date"],
    "milestone": ["step", "milestone_name", "stage"],
    "completed_at": ["completed", "done_at", "reached_at"],
}
_TABLE_SYNONYMS = {
    "customers": ["accounts", "clients", "companies", "customer", "account"],
    "subscriptions": ["subscription", "contracts", "billing", "plans"],
    "transactions": ["orders", "purchases", "payments", "invoices", "transaction"],
    "usage_events": ["events", "usage", "tracks", "activity", "product_events"],
    "surveys": ["responses", "nps", "survey_responses", "csat", "feedback"],
    "survey_sends": ["sends", "invitations", "survey_invitations"],
    "tickets": ["support", "cases", "ticket", "zendesk"],
    "onboarding": ["onboarding_milestones", "milestones_reached"],
    "milestones": ["onboarding_plan", "plan_steps"],
}


def _norm(name: str) -> str:
    """A header reduced for matching: no case, spaces, punctuation or note in brackets ("Created (UTC)" -> "created")."""
    name = re.sub(r"\(.*?\)|\[.*?\]", "", str(name))
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_table(file_name: str) -> str | None:
    """The contract table a file most likely holds, from its name (None when nothing is close).

    >>> guess_table("Accounts.csv"), guess_table("support_tickets.csv"), guess_table("notes.txt")
    ('customers', 'tickets', None)
    """
    stem = _norm(Path(file_name).stem)
    candidates = {_norm(t): t for t in TABLES}
    for t, words in _TABLE_SYNONYMS.items():
        candidates.update({_norm(w): t for w in words})
    if stem in candidates:
        return candidates[stem]
    for key in sorted(candidates, key=len, reverse=True):  # "support_tickets" holds "tickets"
        if len(key) >= 4 and key in stem:
            return candidates[key]
    close = difflib.get_close_matches(stem, list(candidates), n=1, cutoff=0.75)
    return candidates[close[0]] if close else None


def guess_columns(table: str, headers) -> dict:
    """Contract column -> the header that most likely holds it: same name, a usual synonym, or a near spelling.

    Each header is used once; a contract column with no likely header is left out.

    >>> guess_columns("customers", ["AccountId", "Created", "Tier", "Company Name", "Notes"])
    {'customer_id': 'AccountId', 'signup_date': 'Created', 'segment': 'Tier', 'name': 'Company Name'}
    """
    headers = [str(h) for h in headers]
    by_norm = {}
    for h in headers:
        by_norm.setdefault(_norm(h), h)
    found, used = {}, set()
    columns = [c.name for c in TABLES[table].columns]
    # Exact names first, then synonyms, then near spellings, so an exact match is never taken by a guess.
    for stage in ("exact", "synonym", "fuzzy"):
        for c in columns:
            if c in found:
                continue
            if stage == "exact":
                options = [_norm(c)]
            elif stage == "synonym":
                options = [_norm(s) for s in _SYNONYMS.get(c, [])]
            else:
                free = [n for n in by_norm if by_norm[n] not in used]
                options = difflib.get_close_matches(_norm(c), free, n=1, cutoff=0.8)
            for option in options:
                if option in by_norm and by_norm[option] not in used:
                    found[c] = by_norm[option]
                    used.add(by_norm[option])
                    break
    return {c: found[c] for c in columns if c in found}


def draft_mapping(folder) -> str:
    """A mapping file (YAML text) drafted from the headers of the files in ``folder``, for the user to edit.

    Each CSV (also ``.tsv``, ``.txt``) or Parquet file whose name suggests a
    contract table gets a section: its ``file``, and ``columns`` for the
    contract columns whose source column was found (:func:`guess_columns`);
    required columns not found are listed as comments to fill in, as are the
    file's other columns.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "accounts.csv").write_text("AccountId,Created,Tier\\n")
    >>> print(draft_mapping(folder))
    # Mapping drafted by csm-kit init-mapping: check every line, then
    #   csm-kit validate ... --mapping this_file.yaml
    customers:
      file: accounts.csv
      columns:
        customer_id: AccountId
        signup_date: Created
        segment: Tier
    <BLANKLINE>
    """
    folder = Path(folder)
    lines = ["# Mapping drafted by csm-kit init-mapping: check every line, then",
             "#   csm-kit validate ... --mapping this_file.yaml"]
    taken = set()
    unplaced = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".parquet") or path.stem.upper() == "README":
            continue
        headers, delimiter = _headers(path)
        table = guess_table(path.name)
        if table is None or table in taken:
            unplaced.append(f"#   {path.name}: {', '.join(headers)}")
            continue
        taken.add(table)
        columns = guess_columns(table, headers)
        lines += [f"{table}:", f"  file: {_yaml_text(path.name)}"]
        if delimiter != ",":
            lines.append(f"  delimiter: {_yaml_text(delimiter)}")
        lines.append("  columns:" if columns else "  columns: {}")
        lines += [f"    {c}: {_yaml_text(h)}" for c, h in columns.items()]
        absent = [c for c in TABLES[table].required_columns if c not in columns]
        if absent:
            lines.append(f"    # required, not found (name the source column): {', '.join(absent)}")
        rest = [h for h in headers if h not in columns.values()]
        if rest:
            lines.append(f"  # other columns (kept as they are): {', '.join(rest)}")
    if unplaced:
        lines += ["# Files not matched to a table (add a section with file: if one holds a table):", *unplaced]
    return "\n".join(lines) + "\n"


def _headers(path: Path) -> tuple[list[str], str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names), ","
    import csv

    with path.open("rb") as fh:
        first = fh.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
    delimiter = max([",", ";", "\t", "|"], key=first.count) if first else ","
    return next(csv.reader([first], delimiter=delimiter), []), delimiter


def _yaml_text(value: str) -> str:
    """A YAML scalar that reads back as exactly this text."""
    return value if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .\-]*", value) and value.strip() == value else json.dumps(value)
