"""Integer-day calendar of a simulation: day 0 is the first day of the first month.

Working in whole days (NumPy integers) keeps every step vectorised; dates
become Timestamps only when the tables are assembled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import to_month


@dataclass(frozen=True)
class Calendar:
    """Month boundaries of the simulated window, in days from its first day."""

    origin: pd.Timestamp
    month_starts: np.ndarray  # length months + 1; the last entry is the end (exclusive)

    @classmethod
    def of(cls, start, months: int) -> "Calendar":
        first = to_month(start)
        bounds = pd.period_range(first, first + months, freq="M").to_timestamp()
        origin = bounds[0]
        return cls(origin, np.asarray((bounds - origin).days, dtype=np.int64))

    @property
    def months(self) -> int:
        return len(self.month_starts) - 1

    @property
    def end(self) -> int:
        """First day after the window (exclusive)."""
        return int(self.month_starts[-1])

    def month_of(self, day: np.ndarray) -> np.ndarray:
        """Month index of each day (days past the end give ``months``)."""
        return np.searchsorted(self.month_starts, day, side="right") - 1

    def anniversary(self, month: np.ndarray, day_of_month: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The day ``k`` months after (month, day_of_month); past the window -> a day >= end."""
        target = month + k
        inside = target < self.months
        t = np.minimum(target, self.months - 1)
        length = self.month_starts[t + 1] - self.month_starts[t]
        day = self.month_starts[t] + np.minimum(day_of_month, length - 1)
        return np.where(inside, day, self.end + (target - self.months) * 31 + day_of_month)

    def dates(self, days: np.ndarray) -> pd.DatetimeIndex:
        return self.origin + pd.to_timedelta(np.asarray(days), unit="D")

    def instants(self, seconds: np.ndarray) -> pd.DatetimeIndex:
        return self.origin + pd.to_timedelta(np.asarray(seconds), unit="s")


def ids(prefix: str, n: int, width: int = 7, start: int = 1) -> np.ndarray:
    """``prefix0000001``-style identifiers numbered from ``start``, vectorised.

    >>> ids("C", 2, start=9_999_999).tolist()
    ['C9999999', 'C10000000']
    """
    return (prefix + pd.Series(np.arange(start, start + n)).astype(str).str.zfill(width)).to_numpy(dtype=object)


def active_months(cal: Calendar, customer: np.ndarray, start: np.ndarray, end: np.ndarray) -> pd.DataFrame:
    """Expand paid spells to one row per (spell, calendar month) with the active days in it.

    ``start``/``end`` are days (float, NaN end = active to the end of the window).
    Returns columns ``c`` (account number), ``month``, ``lo``, ``hi`` (active days
    ``[lo, hi)`` inside the month) and ``until_end`` (days from ``hi`` to the
    spell's end, NaN when it does not end in the window).
    """
    ok = ~np.isnan(start)
    c, s = customer[ok], start[ok].astype(np.int64)
    e = np.where(np.isnan(end[ok]), cal.end, end[ok]).astype(np.int64)
    m0, m1 = cal.month_of(s), cal.month_of(np.maximum(e - 1, s))
    count = np.maximum(m1 - m0 + 1, 0)
    row = np.repeat(np.arange(len(c)), count)
    month = m0[row] + (np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count))
    lo = np.maximum(s[row], cal.month_starts[month])
    hi = np.minimum(e[row], cal.month_starts[month + 1])
    ends = np.where(np.isnan(end[ok]), np.nan, end[ok])[row]
    keep = hi > lo
    return pd.DataFrame({"c": c[row][keep], "month": month[keep], "lo": lo[keep], "hi": hi[keep],
                         "until_end": (ends - hi)[keep]})
