"""Reporting periods: calendar months, always stated, never read from the clock.

Conventions used across the kit
-------------------------------
- A reporting period is a calendar month, written ``"YYYY-MM"`` by users and
  held as a ``pandas.Period`` with frequency ``M`` in result tables (column
  ``month``).
- ``as_of`` is a day; for a month it is the month's last day.
- A month *range* is inclusive at both ends: ``months("2026-01", "2026-03")``
  is January, February and March.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_month(value) -> pd.Period:
    """A month as a ``pandas.Period`` (freq ``M``) from ``"YYYY-MM"``, a Period or a date.

    >>> to_month("2026-03")
    Period('2026-03', 'M')
    >>> to_month(pd.Timestamp("2026-03-31"))
    Period('2026-03', 'M')
    >>> to_month("March")
    Traceback (most recent call last):
    ...
    ValueError: A month is written YYYY-MM (for example 2026-03), not 'March'.
    """
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, str):
        if not _MONTH_RE.match(value):
            raise ValueError(f"A month is written YYYY-MM (for example 2026-03), not {value!r}.")
        return pd.Period(value, freq="M")
    return pd.Timestamp(value).to_period("M")


def month_start(month) -> pd.Timestamp:
    """First day of the month (midnight).

    >>> month_start("2026-02")
    Timestamp('2026-02-01 00:00:00')
    """
    return to_month(month).start_time.normalize()


def month_end(month) -> pd.Timestamp:
    """Last day of the month (midnight): the month's ``as_of`` date.

    >>> month_end("2024-02")
    Timestamp('2024-02-29 00:00:00')
    """
    return to_month(month).end_time.normalize()


def months(start, end) -> pd.PeriodIndex:
    """The months from ``start`` to ``end``, both included.

    >>> list(months("2025-11", "2026-01").astype(str))
    ['2025-11', '2025-12', '2026-01']
    """
    first, last = to_month(start), to_month(end)
    if last < first:
        raise ValueError(f"The period ends ({last}) before it starts ({first}).")
    return pd.period_range(first, last, freq="M", name="month")


def month_index(dates: pd.Series | pd.DatetimeIndex, origin) -> np.ndarray:
    """Whole months from ``origin`` to each date's month (vectorised; NaT gives a very large number).

    >>> month_index(pd.Series(pd.to_datetime(["2026-01-31", "2026-03-01"])), "2026-01")
    array([0, 2])
    """
    d = pd.DatetimeIndex(dates)
    o = to_month(origin)
    missing = d.isna()
    year = np.where(missing, 0, d.year.to_numpy(dtype=float, na_value=0)).astype(np.int64)
    month = np.where(missing, 0, d.month.to_numpy(dtype=float, na_value=0)).astype(np.int64)
    idx = (year - o.year) * 12 + (month - o.month)
    return np.where(missing, np.iinfo(np.int64).max // 2, idx)


def latest_complete_month(last_day) -> pd.Period:
    """The last calendar month fully covered by data that runs up to ``last_day``.

    >>> latest_complete_month(pd.Timestamp("2026-10-31"))
    Period('2026-10', 'M')
    >>> latest_complete_month(pd.Timestamp("2026-10-30"))
    Period('2026-09', 'M')
    """
    day = pd.Timestamp(last_day).normalize()
    m = day.to_period("M")
    return m if day == m.end_time.normalize() else m - 1


def as_of_day(value, *, name: str = "as_of") -> pd.Timestamp:
    """A day the data is known up to, from every way a user writes one: the kit's one parser.

    A month (``"YYYY-MM"`` or a monthly ``Period``) means its **last** day, so
    ``"2026-10"``, ``Period("2026-10")`` and ``"2026-10-31"`` are the same day.
    A date (``"YYYY-MM-DD"``, ``Timestamp``, ``datetime.date``, daily ``Period``)
    means that day. Anything else (a year, a time of day, ``"Oct 2026"``, None)
    is refused: guessing a day from it would shift every window silently.
    ``name`` is the argument's name in the error (``as_of``, ``calibration_end``, ...).

    >>> [str(as_of_day(v).date()) for v in ("2026-10", pd.Period("2026-10", "M"), "2026-10-31")]
    ['2026-10-31', '2026-10-31', '2026-10-31']
    >>> as_of_day(pd.Timestamp("2024-02-10"))
    Timestamp('2024-02-10 00:00:00')
    >>> as_of_day("2026")
    Traceback (most recent call last):
    ...
    ValueError: as_of is a day (YYYY-MM-DD) or a month (YYYY-MM, meaning its last day), not '2026'.
    >>> as_of_day("2026-10-31 12:00", name="data_end")
    Traceback (most recent call last):
    ...
    ValueError: data_end is a day (YYYY-MM-DD) or a month (YYYY-MM, meaning its last day), not '2026-10-31 12:00'.
    """
    def refuse():
        return ValueError(f"{name} is a day (YYYY-MM-DD) or a month (YYYY-MM, meaning its last day), not {value!r}.")

    if isinstance(value, pd.Period):
        if value.freqstr.startswith("M"):
            return month_end(value)
        if value.freqstr.startswith("D"):
            return value.start_time.normalize()
        raise refuse()
    if isinstance(value, str):
        text = value.strip()
        if _MONTH_RE.match(text):
            return month_end(text)
        if not _DAY_RE.match(text):
            raise refuse()
        try:
            return pd.Timestamp(text)
        except ValueError:
            raise refuse() from None
    if value is None or isinstance(value, (bool, int, float, np.number)):
        raise refuse()
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise refuse() from None
    if day is pd.NaT or day != day.normalize():
        raise refuse()
    if day.tzinfo is not None:
        day = day.tz_convert("UTC").tz_localize(None)
    return day
