"""Checks of function arguments shared across csm-kit (day-like arguments go through :func:`csm_kit.periods.as_of_day`).

One check, one wording: every function that takes a count (``months``,
``trend_months``, ``window_months``, ``horizon_days``, ``within_days``...)
checks it with :func:`whole_number`, so the same bad value is refused with
the same sentence everywhere.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .periods import as_of_day

__all__ = ["required_day", "whole_number"]


def whole_number(value, name: str, *, minimum: int = 1, unit: str = "") -> int:
    """``value`` as a Python int, or a ValueError naming the argument and the value.

    Accepted: an int or NumPy integer, or a float (Python or NumPy) with no
    fractional part (``2.0`` gives ``2``), at least ``minimum``. Refused:
    bools (``True`` is not a count), floats with a fractional part, NaN and
    infinities, strings (``"3"``: nothing is silently converted), None and
    anything else.

    Parameters
    ----------
    value : object
        The argument as given.
    name : str
        The argument's name, as the caller spells it (``"trend_months"``).
    minimum : int, default 1
        The smallest value allowed (0 for "within 0 days", say).
    unit : str, optional
        What the number counts (``"days"``), put in the message: "a whole
        number of days >= 1".

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``"<name> must be a whole number >= <minimum>, not <value!r>."``

    Examples
    --------
    >>> whole_number(3, "trend_months")
    3
    >>> whole_number(2.0, "window_months")
    2
    >>> whole_number(0, "within_days", minimum=0)
    0
    >>> whole_number(True, "trend_months")
    Traceback (most recent call last):
    ...
    ValueError: trend_months must be a whole number >= 1, not True.
    >>> whole_number(0, "horizon_days", unit="days")
    Traceback (most recent call last):
    ...
    ValueError: horizon_days must be a whole number of days >= 1, not 0.
    """
    whole = None
    if isinstance(value, (bool, np.bool_)):
        pass
    elif isinstance(value, (int, np.integer)):
        whole = int(value)
    elif isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        whole = int(value)
    if whole is None or whole < minimum:
        of = f" of {unit}" if unit else ""
        raise ValueError(f"{name} must be a whole number{of} >= {minimum}, not {value!r}.")
    return whole


def required_day(value, *, name: str = "as_of", meaning: str = "the day the data is known up to") -> pd.Timestamp:
    """A day argument that has no default: None is refused with a sentence saying what the day is for.

    Otherwise the same as :func:`csm_kit.periods.as_of_day` (a month means its
    last day; anything that is not a day or a month is refused).

    Parameters
    ----------
    value : str, Period, Timestamp, date or None
        The argument as given.
    name : str, default "as_of"
        The argument's name, for the error.
    meaning : str
        What the day is, for the error when it is missing.

    Returns
    -------
    Timestamp
        Midnight of the day.

    Raises
    ------
    ValueError
        ``"<name> is required: <meaning>."`` for None; :func:`~csm_kit.periods.as_of_day`'s
        error for anything else it refuses.

    Examples
    --------
    >>> required_day("2026-10")
    Timestamp('2026-10-31 00:00:00')
    >>> required_day(None, meaning="the day the health score is computed for")
    Traceback (most recent call last):
    ...
    ValueError: as_of is required: the day the health score is computed for.
    """
    if value is None:
        raise ValueError(f"{name} is required: {meaning}.")
    return as_of_day(value, name=name)
