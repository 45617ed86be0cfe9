"""What a Parquet file's footer says of its columns: NULL counts and value ranges, where it says them exactly.

The checks in :mod:`csm_kit.engine.validation` use these to prove rules
without reading the rows (no NULL in a required column, every date between
1678 and the last day the kit can hold, no amount below its minimum). A
statistic is used only when every row group of the file has it; otherwise
the column's entry says "unknown" (None) and the rule is checked by a query,
as for a file written without statistics.

What is read, per top-level column:

- ``nulls``: the sum of the row groups' ``null_count`` (exact in the format);
- ``low``/``high``: the smallest and largest non-NULL value over the row
  groups' ``min``/``max``, for physical types whose statistics are exact
  values: signed integers (``INT32``/``INT64`` without an unsigned logical
  type), ``FLOAT``/``DOUBLE`` (None if a bound is NaN: writers leave NaN out
  of the statistics, so they prove nothing about NaN), dates (days since
  1970-01-01) and timestamps not adjusted to UTC in milli- or microseconds
  (as microseconds since 1970-01-01). A row group whose column is all NULL
  has no min/max and needs none;
- ``ascii_first``: text (``BYTE_ARRAY``) whose every value begins with a
  printable ASCII character (``!`` to ``~``), from the first byte of the
  row groups' ``min`` and ``max``. String statistics may be truncated, but
  only to a prefix (``min``) or to a prefix whose last byte is raised
  (``max``): the first byte of a prefix is the value's own, and a raised one
  only makes the proof fail. Under the legacy signed byte order, bytes from
  0x80 sort below ``!``, so ``min`` catches them there instead of ``max``:
  the proof holds either way. An empty string (no first byte) fails it.

Nothing here trusts more than DuckDB does: it skips row groups by the same
statistics when it filters a scan.

>>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "t.parquet"
>>> pq.write_table(pa.table({"n": [3, None, -1], "s": ["ab", " c", None]}), path)
>>> stats = column_stats(path)
>>> stats["n"]
ColumnStats(rows=3, nulls=1, low=-1, high=3, ascii_first=None)
>>> stats["s"].nulls, stats["s"].ascii_first  # ' c' begins with a space
(1, False)
>>> stats["n"].within(-1, 3), stats["n"].within(0)
(True, False)
>>> pq.write_table(pa.table({"n": [3, None, -1], "s": ["ab", " c", None]}), path, write_statistics=False)
>>> column_stats(path)
{'n': ColumnStats(rows=3, nulls=None, low=None, high=None, ascii_first=None), 's': ColumnStats(rows=3, nulls=None, low=None, high=None, ascii_first=None)}
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ColumnStats", "column_stats"]


@dataclass(frozen=True)
class ColumnStats:
    """One column's statistics over a whole Parquet file (None: not known from the footer).

    Attributes
    ----------
    rows : int
        Rows in the file.
    nulls : int or None
        NULL values in the column.
    low, high : int, float or None
        Smallest and largest non-NULL value (integers as stored; floats; dates
        in days and timestamps in microseconds since 1970-01-01). None when
        unknown, and also when every value is NULL (then ``nulls == rows``).
    ascii_first : bool or None
        Text: True if every non-NULL value is proven to begin with a printable
        ASCII character, False if the statistics say otherwise (some value
        begins with another byte, or is empty), None if they are missing
        (and for other types).
    """

    rows: int
    nulls: int | None = None
    low: object = None
    high: object = None
    ascii_first: bool | None = None

    @property
    def all_null(self) -> bool:
        """Every value NULL (so every rule on the values holds)."""
        return self.nulls is not None and self.nulls == self.rows

    def within(self, low=None, high=None) -> bool:
        """Whether every non-NULL value is proven to lie in ``[low, high]`` (None: no bound on that side)."""
        if self.all_null:
            return True
        if self.low is None or self.high is None:
            return False
        return (low is None or self.low >= low) and (high is None or self.high <= high)


def _kind(column) -> str | None:
    """How a column's min/max statistics are read: int, float, date, ts_ms, ts_us, text, or None (not used)."""
    physical = column.physical_type
    try:
        logical = json.loads(column.logical_type.to_json())
    except (ValueError, AttributeError):  # pragma: no cover - an unreadable logical type proves nothing
        return None
    kind = logical.get("Type")
    if physical in ("INT32", "INT64"):
        if kind == "None" and column.converted_type in ("NONE", None):
            return "int"
        if kind == "Int" and logical.get("isSigned", False):
            return "int"
        if kind == "Date" and physical == "INT32":
            return "date"
        if kind == "Timestamp" and physical == "INT64" and not logical.get("isAdjustedToUTC", True):
            return {"milliseconds": "ts_ms", "microseconds": "ts_us"}.get(logical.get("timeUnit"))
        return None
    if physical in ("FLOAT", "DOUBLE"):
        return "float"
    if physical == "BYTE_ARRAY":
        return "text"
    return None


def _printable(first: bytes) -> bool:
    return len(first) > 0 and 0x21 <= first[0] <= 0x7E


def column_stats(path) -> dict[str, ColumnStats]:
    """Each top-level column's :class:`ColumnStats` over the whole file at ``path`` (see the module's docstring)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(Path(path)).metadata
    out = {}
    for j in range(meta.num_columns):
        column = meta.schema.column(j)
        if column.path != column.name:  # nested: not a contract column
            continue
        kind = _kind(column)
        nulls, low, high, ascii_first = 0, None, None, True if kind == "text" else None
        ranged = kind is not None
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            stats = group.column(j).statistics
            if stats is None or not stats.has_null_count:
                nulls = None
            elif nulls is not None:
                nulls += stats.null_count
            if stats is not None and stats.has_null_count and stats.null_count == group.num_rows:
                continue  # all NULL: no value to bound
            if stats is None or not stats.has_min_max:
                ranged = False
                ascii_first = None if kind == "text" and ascii_first is not False else ascii_first
                continue
            if kind == "text":
                if not (_printable(stats.min_raw) and _printable(stats.max_raw)):
                    ascii_first = False
                continue
            if not ranged:
                continue
            lo, hi = stats.min_raw, stats.max_raw
            if kind == "float" and (math.isnan(lo) or math.isnan(hi)):
                ranged = False
                continue
            if kind == "ts_ms":
                lo, hi = lo * 1000, hi * 1000
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
        if not ranged or kind == "text":
            low = high = None
        out[column.name] = ColumnStats(meta.num_rows, nulls, low, high, ascii_first)
    return out
