"""Snapshot data: one row per customer (tenure, churned flag, attributes) as a :class:`~csm_kit.Dataset`.

Most public churn data sets and CRM exports (IBM's Telco churn data, a CRM
"accounts" report) have no dates: each row is a customer on one day, with
its tenure so far, whether it has left, and some attributes.
:func:`from_snapshot` turns that shape into a Dataset marked
``snapshot=True``, without letting any number rest on invented dates.

Conventions
-----------
- ``as_of`` is the day the snapshot was taken (the kit's one parser,
  :func:`csm_kit.periods.as_of_day`: a month means its last day).
- ``tenure`` is the time from the customer's start to ``as_of`` (to its
  churn, for a churned customer) in whole ``tenure_unit`` (months, weeks or
  days; a fraction is refused: give days for a finer tenure). A tenure of 0
  is a customer who started on ``as_of``.
- ``churned`` means the customer had left by ``as_of``. The snapshot does not
  say when; its subscription ends on ``as_of`` itself (not paying on the
  snapshot day), the only day the kit knows.
- Each customer gets one subscription counted back from ``as_of``:
  ``start_date = as_of - tenure`` (calendar months counted back with the
  month-end rule, 2026-10-31 - 8 months = 2026-02-28; weeks of 7 days).
  ``survival_table`` on a snapshot counts months back from ``as_of`` the
  same way, so it returns **exactly** the input tenures in the input unit,
  0 included (weeks and days too).
- Those start dates are a device to carry the tenure, not history:
  calendar metrics (monthly churn, MRR movements, cohorts) are **not**
  computed from a snapshot (they raise ``SnapshotError``; every report page
  says so). Survival, churn drivers, risk and CLV work.

Layout of the Dataset
---------------------
- ``customers``: ``customer_id``, ``signup_date`` (= the subscription's
  start), ``segment``, ``plan`` and ``owner`` when given, the ``attributes`` with their
  types (whole numbers ``Int64``, numbers ``float64``, booleans, text), and
  ``snapshot_as_of`` (the snapshot day, on every row).
- ``subscriptions``: one per customer, ``subscription_id`` =
  ``customer_id``, ``plan`` (the ``plan`` column, else ``"unknown"``),
  ``billing_period`` ``month``, ``amount`` = the ``mrr`` column,
  ``start_date`` as above, ``end_date`` = ``as_of`` for churned customers and
  empty for the others. Without ``mrr`` the amount is 0 and
  ``Dataset.warnings`` says revenue is unknown.

On disk, :meth:`Dataset.to_dir` of a snapshot writes :data:`MARKER`
(``snapshot.json``) beside the tables (:func:`write_snapshot_marker`), and
:func:`csm_kit.load_dataset` reads it back (:func:`apply_snapshot_marker`):
the attributes get their types again and the Dataset is a snapshot again.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import TABLES, Column, Table
from ..exceptions import DataValidationError
from ..periods import as_of_day

#: Units a tenure may be given in.
TENURE_UNITS = ("month", "week", "day")
#: Columns a snapshot adds to ``customers``, after the attributes.
SNAPSHOT_COLUMNS = ("snapshot_as_of",)
#: The file beside the tables that marks a folder as a snapshot data set.
MARKER = "snapshot.json"
_FORMAT = "csm-kit snapshot"

_TRUE = {"yes", "y", "true", "t", "1", "1.0", "churned"}
_FALSE = {"no", "n", "false", "f", "0", "0.0", "active"}
_SHOWN = 5


def _refuse(column: str, rule: str, frame: pd.DataFrame, mask, detail: str = "") -> None:
    """Raise naming up to five offending rows (1-based position in ``frame``, as the loader counts frames)."""
    mask = np.asarray(mask, dtype=bool)
    rows = pd.DataFrame({column: frame[column].to_numpy()[mask][:_SHOWN]},
                        index=pd.Index(np.flatnonzero(mask)[:_SHOWN] + 1, name="row"))
    n = int(mask.sum())
    detail = f"{n} row{'s' if n != 1 else ''}" + (f"; {detail}" if detail else "")
    raise DataValidationError("snapshot", column, rule, rows=rows, detail=detail)


def _churned_flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    s = frame[column]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isin(values, (0.0, 1.0))
        if bad.any():
            _refuse(column, "not a churned flag", frame, bad, "write 1/0, Yes/No or True/False")
        return values == 1.0
    words = s.map(lambda v: str(v).lower() if isinstance(v, (str, bool, np.bool_, int, np.integer)) else None)
    is_true, is_false = words.isin(_TRUE).to_numpy(), words.isin(_FALSE).to_numpy()
    bad = ~(is_true | is_false)
    if bad.any():
        _refuse(column, "not a churned flag", frame, bad,
                "write Yes/No, 1/0 or True/False (any case; no spaces around it)")
    return is_true


def _tenures(frame: pd.DataFrame, column: str, unit: str) -> np.ndarray:
    s = frame[column]
    if pd.api.types.is_bool_dtype(s):
        _refuse(column, "true/false in the tenure column", frame, np.ones(len(s), bool))
    numbers = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    blank = s.isna().to_numpy()
    if blank.any():
        _refuse(column, "tenure is empty", frame, blank)
    if np.isnan(numbers).any():
        _refuse(column, "tenure is not a number", frame, np.isnan(numbers))
    if (~np.isfinite(numbers)).any():
        _refuse(column, "tenure is infinite", frame, ~np.isfinite(numbers))
    if (numbers < 0).any():
        _refuse(column, "tenure is negative", frame, numbers < 0)
    if (numbers % 1 != 0).any():
        _refuse(column, f"tenure is not a whole number of {unit}s", frame, numbers % 1 != 0,
                "give the tenure in days (tenure_unit='day') for a finer one")
    return numbers


def _ids(frame: pd.DataFrame, column: str) -> np.ndarray:
    s = frame[column]
    if s.isna().any():
        _refuse(column, "customer id is empty", frame, s.isna())
    if pd.api.types.is_float_dtype(s) and (s % 1 == 0).all():
        s = s.astype("int64")
    text = s.astype(str)
    spaced = (text != text.str.strip()).to_numpy() | (text == "").to_numpy()
    if spaced.any():
        _refuse(column, "customer id is blank or has spaces around it", frame, spaced,
                "'C6 ' and 'C6' would print the same; clean the ids first")
    dup = text.duplicated(keep=False).to_numpy()
    if dup.any():
        _refuse(column, "customer id appears twice", frame, dup, "a snapshot has one row per customer")
    return text.to_numpy(dtype=object)


def start_dates(as_of, tenure, unit: str) -> pd.DatetimeIndex:
    """The start days of a snapshot's customers: ``as_of`` minus each whole tenure in ``unit``.

    Months are counted back on the calendar with pandas ``DateOffset`` (the
    day of month kept, clipped to a shorter month: 2026-10-31 - 8 months =
    2026-02-28); weeks are 7 days. ``survival_table`` counts months back from
    ``as_of`` the same way, so it recovers each tenure exactly.

    Parameters
    ----------
    as_of : date
        The snapshot day.
    tenure : array-like of whole numbers >= 0
    unit : {"month", "week", "day"}

    Returns
    -------
    DatetimeIndex

    Examples
    --------
    >>> start_dates("2026-10-31", [0, 1, 8, 12], "month").strftime("%Y-%m-%d").tolist()
    ['2026-10-31', '2026-09-30', '2026-02-28', '2025-10-31']
    >>> start_dates("2026-10-31", [1, 2], "week").strftime("%Y-%m-%d").tolist()
    ['2026-10-24', '2026-10-17']
    """
    day = as_of_day(as_of)
    t = np.asarray(tenure, dtype=float)
    if (t < 0).any() or (t % 1 != 0).any():
        raise ValueError("start_dates: tenures are whole numbers >= 0.")
    t = t.astype(np.int64)
    if unit == "day":
        return pd.DatetimeIndex(day - pd.to_timedelta(t, unit="D"))
    if unit == "week":
        return pd.DatetimeIndex(day - pd.to_timedelta(t * 7, unit="D"))
    if unit != "month":
        raise ValueError(f"start_dates: unit must be one of {TENURE_UNITS}, not {unit!r}.")
    out = np.empty(len(t), dtype="datetime64[ns]")
    for k in np.unique(t):  # a few hundred distinct tenures at most
        out[t == k] = np.datetime64(day - pd.DateOffset(months=int(k)), "ns")
    return pd.DatetimeIndex(out)


def _kind_of(s: pd.Series) -> str:
    """The contract kind an attribute column keeps: its own type, never guessed from text."""
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    return "text"


def _attribute(s: pd.Series, kind: str) -> pd.Series:
    if kind == "int":
        return s.astype("Int64")
    if kind == "float":
        return s.astype("float64")
    if kind == "bool":
        return s.astype(bool)
    if kind == "datetime":
        return pd.to_datetime(s).astype("datetime64[ns]")
    text = s.astype(object)
    return text.where(s.notna(), None).map(lambda v: v if v is None or isinstance(v, str) else str(v))


def from_snapshot(frame: pd.DataFrame, *, customer_id: str, tenure: str, churned: str, as_of,
                  tenure_unit: str = "month", mrr: str | None = None, plan: str | None = None,
                  segment: str | None = None, owner: str | None = None, attributes=()):
    """A Dataset from one row per customer: tenure, churned flag and attributes (``snapshot=True``).

    Conventions (module docstring): one subscription per customer starting
    ``tenure`` units before ``as_of`` (calendar months counted back), ending
    on ``as_of`` for churned customers, so that ``survival_table`` on the
    result gives exactly the input tenures in ``tenure_unit``, a tenure of 0
    included. ``churned`` means "had left by ``as_of``". Calendar metrics
    (monthly churn, MRR movements, cohorts) are not available from a
    snapshot.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer.
    customer_id, tenure, churned : str
        Names of the id, tenure and churned-flag columns in ``frame``. The
        flag may be boolean, 1/0, or text Yes/No, Y/N, True/False, 1/0 (any
        case); anything else is refused naming the rows.
    as_of : date
        The day of the snapshot (``"2026-10"`` means 31 October 2026).
    tenure_unit : {"month", "week", "day"}
        Unit of ``tenure``; tenures are whole numbers of it.
    mrr : str, optional
        Column of monthly recurring revenue (Telco's ``MonthlyCharges``),
        the amount of each customer's monthly subscription. Without it the
        amounts are 0 and ``Dataset.warnings`` says revenue is unknown.
    plan, segment, owner : str, optional
        Columns giving each customer's plan, segment and owner (the CSM:
        ``customers.owner``, for books of business).
    attributes : sequence of str
        Other columns to keep on ``customers`` with their types (a number
        column stays numeric; a text column stays text, even if it holds
        numbers: convert it first).

    Returns
    -------
    Dataset
        ``snapshot=True``; tables and columns as the module docstring lists.

    Raises
    ------
    DataValidationError
        Table ``snapshot``: an empty, negative, fractional or non-numeric tenure, a flag
        that is not a churned flag, an empty, spaced or repeated customer
        id, an empty or negative MRR, an empty plan; naming the rows
        (1-based positions in ``frame``).
    ValueError
        A column that ``frame`` lacks, an unknown ``tenure_unit``, an
        attribute that clashes with a column the kit makes.

    Examples
    --------
    >>> telco = pd.DataFrame({"customerID": ["7590-VHVEG", "5575-GNVDE", "3668-QPYBK"],
    ...     "tenure": [1, 34, 0], "Churn": ["No", "No", "Yes"], "MonthlyCharges": [29.85, 56.95, 53.85],
    ...     "Contract": ["Month-to-month", "One year", "Month-to-month"]})
    >>> ds = from_snapshot(telco, customer_id="customerID", tenure="tenure", churned="Churn",
    ...                    as_of="2026-10", mrr="MonthlyCharges", attributes=["Contract"])
    >>> ds.snapshot
    True
    >>> ds.customers[["customer_id", "signup_date", "Contract"]]
      customer_id signup_date        Contract
    0  7590-VHVEG  2026-09-30  Month-to-month
    1  5575-GNVDE  2023-12-31        One year
    2  3668-QPYBK  2026-10-31  Month-to-month
    >>> ds.subscriptions[["subscription_id", "start_date", "end_date", "amount"]]
      subscription_id start_date   end_date  amount
    0      7590-VHVEG 2026-09-30        NaT   29.85
    1      5575-GNVDE 2023-12-31        NaT   56.95
    2      3668-QPYBK 2026-10-31 2026-10-31   53.85
    """
    from ..dataset import Dataset

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"from_snapshot: frame must be a pandas DataFrame, not {type(frame).__name__}.")
    if tenure_unit not in TENURE_UNITS:
        raise ValueError(f"from_snapshot: tenure_unit must be one of {TENURE_UNITS}, not {tenure_unit!r}.")
    day = as_of_day(as_of)
    if isinstance(attributes, str):
        attributes = [attributes]
    attributes = list(attributes)
    named = {"customer_id": customer_id, "tenure": tenure, "churned": churned, "mrr": mrr, "plan": plan,
             "segment": segment, "owner": owner}
    for arg, col in [*named.items(), *(("attributes", a) for a in attributes)]:
        if col is not None and col not in frame.columns:
            raise ValueError(f"from_snapshot: {arg}={col!r} is not a column of the frame; it has {list(frame.columns)}.")
    used = {customer_id, tenure, churned}  # mrr, plan or segment may also be kept as attributes
    reserved = set(TABLES["customers"].columns_by_name) | set(SNAPSHOT_COLUMNS)
    for a in attributes:
        if a in used:
            raise ValueError(f"from_snapshot: attribute {a!r} is the id, tenure or churned column; "
                             "the Dataset already carries it.")
        if a in reserved:
            raise ValueError(f"from_snapshot: attribute {a!r} has the name of a column the kit makes "
                             f"({sorted(reserved)}); rename it in the frame first.")
    if len(set(attributes)) != len(attributes):
        raise ValueError("from_snapshot: an attribute is named twice.")
    if frame.empty:
        raise DataValidationError("snapshot", None, "the frame is empty (no customers)")
    frame = frame.reset_index(drop=True)

    ids = _ids(frame, customer_id)
    t = _tenures(frame, tenure, tenure_unit)
    gone = _churned_flags(frame, churned)
    start = start_dates(day, t, tenure_unit)

    customers = pd.DataFrame({"customer_id": ids, "signup_date": start.to_numpy()})
    for name, col in (("segment", segment), ("plan", plan), ("owner", owner)):
        if col is not None:
            customers[name] = _attribute(frame[col], "text").to_numpy()
    for a in attributes:
        kind = _kind_of(frame[a])
        customers[a] = _attribute(frame[a], kind).to_numpy()
        if kind == "int":
            customers[a] = customers[a].astype("Int64")
    customers["snapshot_as_of"] = pd.Series(day, index=customers.index).astype("datetime64[ns]")

    warnings = []
    if mrr is not None:
        amount = pd.to_numeric(frame[mrr], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(amount).any():
            _refuse(mrr, "MRR is empty or not a number", frame, np.isnan(amount))
        if (amount < 0).any() or (~np.isfinite(amount)).any():
            _refuse(mrr, "MRR is negative or infinite", frame, (amount < 0) | ~np.isfinite(amount))
    else:
        amount = np.zeros(len(frame))
        warnings.append("snapshot without an MRR column: subscriptions carry amount 0, so revenue, MRR at risk "
                        "and CLV in money are not known")
    if plan is not None:
        empty = frame[plan].isna().to_numpy()
        if empty.any():
            _refuse(plan, "plan is empty", frame, empty, "a subscription needs a plan")
        plans = customers["plan"].to_numpy()
    else:
        plans = np.full(len(frame), "unknown", dtype=object)
    end = pd.Series(pd.NaT, index=range(len(frame)), dtype="datetime64[ns]")
    end[gone] = day
    subscriptions = pd.DataFrame({
        "subscription_id": ids, "customer_id": ids, "plan": plans, "start_date": start.to_numpy(),
        "end_date": end.to_numpy(), "billing_period": "month", "amount": amount})
    return Dataset(customers=customers, subscriptions=subscriptions,
                   source=f"snapshot of {len(frame):,} customers on {day.date()}", warnings=tuple(warnings),
                   snapshot=True)


def snapshot_as_of(ds) -> pd.Timestamp:
    """The day a snapshot data set was taken (``customers.snapshot_as_of``).

    >>> ds = from_snapshot(pd.DataFrame({"id": ["a"], "t": [3], "c": [0]}), customer_id="id",
    ...                    tenure="t", churned="c", as_of="2026-10")
    >>> snapshot_as_of(ds)
    Timestamp('2026-10-31 00:00:00')
    """
    if not getattr(ds, "snapshot", False):
        raise ValueError("snapshot_as_of: the data set is not a snapshot (build one with csm_kit.from_snapshot).")
    ds.require("customers", by="snapshot_as_of")
    if "snapshot_as_of" not in ds.customers.columns:
        raise ValueError("snapshot_as_of: a snapshot's customers table needs its snapshot_as_of column.")
    days = pd.unique(ds.customers["snapshot_as_of"].dropna())
    if len(days) != 1:
        raise ValueError(f"snapshot_as_of: a snapshot has one as_of day; this one has {len(days)}.")
    return pd.Timestamp(days[0])


# -- on disk ---------------------------------------------------------------------------------
def _customer_kinds(customers: pd.DataFrame) -> dict[str, str]:
    contract = TABLES["customers"].columns_by_name
    return {c: _kind_of(customers[c]) if c != "snapshot_as_of" else "date"
            for c in customers.columns if c not in contract}


def write_snapshot_marker(ds, folder) -> Path | None:
    """Write :data:`MARKER` into ``folder`` for a snapshot data set (None and nothing written otherwise).

    It records the snapshot day and the kind of every
    customers column outside the contract, so that loading the folder gives
    back a snapshot with typed attributes (a CSV holds only text).
    :meth:`Dataset.to_dir` calls it.

    >>> import tempfile, csm_kit
    >>> ds = from_snapshot(pd.DataFrame({"id": ["a", "b"], "t": [0, 7], "c": ["No", "Yes"], "seats": [3, 12]}),
    ...                    customer_id="id", tenure="t", churned="c", as_of="2026-10-31", attributes=["seats"])
    >>> folder = ds.to_dir(tempfile.mkdtemp())
    >>> json.loads((folder / MARKER).read_text())["columns"]
    {'seats': 'int', 'snapshot_as_of': 'date'}
    >>> back = csm_kit.load_dataset(folder)
    >>> back.snapshot, back.customers["seats"].dtype
    (True, Int64Dtype())
    """
    if not getattr(ds, "snapshot", False):
        return None
    path = Path(folder) / MARKER
    marker = {"format": _FORMAT, "version": 1, "as_of": str(snapshot_as_of(ds).date()),
              "columns": _customer_kinds(ds.customers)}
    path.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return path


def read_snapshot_marker(folder) -> dict | None:
    """The marker of a snapshot folder, or None when ``folder`` is not one (no :data:`MARKER`)."""
    if not isinstance(folder, (str, Path)) or "://" in str(folder):
        return None
    path = Path(folder) / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataValidationError("snapshot", None, f"{MARKER} cannot be read", detail=str(exc)) from None
    if not isinstance(marker, dict) or marker.get("format") != _FORMAT or not isinstance(marker.get("columns"), dict):
        raise DataValidationError("snapshot", None, f"{MARKER} is not a csm-kit snapshot marker",
                                  detail=f"expected {{'format': '{_FORMAT}', ...}} in {path}")
    return marker


def apply_snapshot_marker(ds, folder):
    """The loaded Dataset of a snapshot folder, retyped and marked ``snapshot=True``; ``ds`` unchanged otherwise.

    Called by :func:`csm_kit.load_dataset` for a folder holding
    :data:`MARKER`: the customers columns it lists are parsed as their kinds
    (with the loader's rules and row numbers), and the snapshot columns must
    be present and consistent with the marker.
    """
    from dataclasses import replace

    from .validation import type_table

    marker = read_snapshot_marker(folder)
    if marker is None:
        return ds
    if ds.customers is None:
        raise DataValidationError("customers", None, f"a snapshot folder ({MARKER}) needs customers")
    kinds = marker["columns"]
    missing = [c for c in SNAPSHOT_COLUMNS if c not in ds.customers.columns]
    if missing:
        raise DataValidationError("customers", missing[0], f"column listed by {MARKER} is missing",
                                  detail=f"a snapshot's customers need {list(SNAPSHOT_COLUMNS)}")
    present = [c for c in kinds if c in ds.customers.columns]
    spec = Table("customers", "snapshot columns",
                 tuple(Column(c, kinds[c], required=c in SNAPSHOT_COLUMNS, nullable=c not in SNAPSHOT_COLUMNS)
                       for c in present))
    # Row numbers as the loader counts them for a CSV (header = 1); Parquet keeps types anyway.
    rows = np.arange(2, len(ds.customers) + 2)
    typed = type_table(spec, ds.customers[present], rows)
    customers = ds.customers.copy()
    for c in present:
        customers[c] = typed[c]
    out = replace(ds, customers=customers, snapshot=True)
    if str(snapshot_as_of(out).date()) != marker.get("as_of"):
        raise DataValidationError("customers", "snapshot_as_of", f"does not match {MARKER}",
                                  detail=f"the marker says the snapshot was taken on {marker.get('as_of')}")
    return out
