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

__all__ = ["confidence_level", "required_day", "whole_number"]


def whole_number(value, name: str, *, minimum: int = 1, maximum: int | None = None, unit: str = "",
                 context: str = "") -> int:
    """``value`` as a Python int, or a ValueError naming the argument and the value.

    Accepted: an int or NumPy integer, or a float (Python or NumPy) with no
    fractional part (``2.0`` gives ``2``), at least ``minimum`` (and at most
    ``maximum`` when given). Refused:
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
    maximum : int, optional
        The largest value allowed; the message then gives the range ("a whole
        number from 0 to 10").
    unit : str, optional
        What the number counts (``"days"``), put in the message: "a whole
        number of days >= 1".
    context : str, optional
        Words put after the range, where the bounds come from (``"on a 1-5 scale"``).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``"<name> must be a whole number >= <minimum>, not <value!r>."``, or with a maximum
        ``"<name> must be a whole number from <minimum> to <maximum>, not <value!r>."``

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
    >>> whole_number(5, "top_box", maximum=4, context="on a 1-5 scale")
    Traceback (most recent call last):
    ...
    ValueError: top_box must be a whole number from 1 to 4 on a 1-5 scale, not 5.
    """
    whole = None
    if isinstance(value, (bool, np.bool_)):
        pass
    elif isinstance(value, (int, np.integer)):
        whole = int(value)
    elif isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        whole = int(value)
    if whole is None or whole < minimum or (maximum is not None and whole > maximum):
        of = f" of {unit}" if unit else ""
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        where = f" {context}" if context else ""
        raise ValueError(f"{name} must be a whole number{of} {bounds}{where}, not {value!r}.")
    return whole


def confidence_level(confidence) -> float:
    """``confidence`` as a float strictly between 0 and 1, or a ValueError saying what it must be.

    The one check of every ``confidence=`` argument (intervals, change
    tests, the pages' noise bands). Accepted: an int or float, Python or
    NumPy, with ``0 < confidence < 1``. Refused: bools, strings (``"0.95"``),
    None, NaN, percentages (``95``) and the bounds themselves (a 100%
    interval is unbounded, a 0% one empty).

    Examples
    --------
    >>> confidence_level(0.9)
    0.9
    >>> confidence_level(95)
    Traceback (most recent call last):
    ...
    ValueError: confidence must be a number strictly between 0 and 1 (e.g. 0.95), not 95.
    """
    number = isinstance(confidence, (int, float, np.integer, np.floating)) and not isinstance(confidence, (bool, np.bool_))
    if not (number and 0 < confidence < 1):
        raise ValueError(f"confidence must be a number strictly between 0 and 1 (e.g. 0.95), not {confidence!r}.")
    return float(confidence)


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
