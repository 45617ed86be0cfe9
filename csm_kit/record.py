"""Recording a notebook's key numbers, for `metrics.json` and the report's scorecard.

A notebook calls :func:`record` for each number worth reporting. It displays
an output with the kit's own MIME type, which the executed notebook keeps;
:func:`read_recorded` reads the numbers back. (scrapbook did this once, but
no longer imports on a clean environment, and this needs a dozen lines.)
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

MIME_TYPE = "application/vnd.csm-kit.metric+json"


def json_safe(value):
    """A JSON-serialisable copy of a value: numpy to Python, missing (NaN, inf, NA, NaT) to None.

    Dates and periods become their text form; arrays and Series become lists.

    >>> import numpy as np, pandas as pd
    >>> json_safe({"a": np.float64(1.5), "b": float("nan"), "c": [np.int64(2), pd.NA]})
    {'a': 1.5, 'b': None, 'c': [2, None]}
    >>> json_safe({"month": pd.Period("2026-10", "M"), "shares": np.array([0.25, np.inf])})
    {'month': '2026-10', 'shares': [0.25, None]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:  # numpy array, pandas Series/Index
        return [json_safe(v) for v in value.tolist()]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # dates, periods: their text form


def record(name: str, value, unit: str | None = None, label: str | None = None, **extra) -> None:
    """Record one key number of a notebook run (shown as a small line of text).

    In a notebook the output carries two representations: :data:`MIME_TYPE` with the JSON
    payload (what :func:`read_recorded` and the report read) and ``text/plain``
    (``"Label: value"``, formatted by its unit as the index shows it,
    :func:`csm_kit.display.format_value`: what a reader of the notebook or its HTML sees).

    Parameters
    ----------
    name : str
        Stable machine name, e.g. ``"nps_relationship"``; the key in ``metrics.json``.
    value : number, str or None
        The value. numpy scalars become Python numbers; NaN and infinities are
        recorded as null (JSON has no NaN).
    unit : str, optional
        ``"share"`` (a fraction, shown as %), ``"USD"``, ``"customers"``, ``"days"``, ...
    label : str, optional
        Human-readable name for the scorecard (default: ``name``).
    **extra
        Anything else worth keeping beside the value (``n``, ``convention``...).

    Examples
    --------
    >>> import numpy as np
    >>> record("customers_total", np.int64(150), "customers", label="Customers")
    Customers: 150 customers
    >>> record("nps", float("nan"))
    nps: —
    >>> record("stickiness", 0.05098414434117004, "share", label="Stickiness (DAU/MAU)")
    Stickiness (DAU/MAU): 5.1%
    """
    from IPython import get_ipython
    from IPython.display import display

    from .display import format_value

    payload = json_safe({"name": name, "value": value, "unit": unit, "label": label or name, **extra})
    text = f"{payload['label']}: {format_value(payload['value'], unit)}"  # as the index shows it
    if get_ipython() is None:  # plain Python (a script, a doctest): nothing to keep it, so just show it
        print(text)
    else:
        display({MIME_TYPE: payload, "text/plain": text}, raw=True)


def read_recorded(notebook) -> dict[str, dict]:
    """The numbers recorded in an executed notebook, keyed by name (last one wins).

    Parameters
    ----------
    notebook : str, Path or nbformat.NotebookNode
        An executed notebook (a file, or one already read).

    Returns
    -------
    dict
        ``{name: {"name", "value", "unit", "label", **extra}}`` in the order recorded.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> cell = new_code_cell("record('churn', 0.04, 'share')")
    >>> cell.outputs = [new_output("display_data", data={
    ...     MIME_TYPE: {"name": "churn", "value": 0.04, "unit": "share", "label": "churn"},
    ...     "text/plain": "churn: 0.04 share"})]
    >>> read_recorded(new_notebook(cells=[cell]))
    {'churn': {'name': 'churn', 'value': 0.04, 'unit': 'share', 'label': 'churn'}}
    """
    import nbformat  # here, not at the top: nbformat's jsonschema import costs every notebook kernel seconds

    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(Path(notebook), as_version=4)
    found: dict[str, dict] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME_TYPE in data:
                payload = data[MIME_TYPE]
                payload = json.loads(payload) if isinstance(payload, str) else dict(payload)
                found[payload["name"]] = payload
    return found


def record_key_numbers(numbers) -> None:
    """Record every :class:`~csm_kit.key_numbers.KeyNumber` of an area (the notebook's last cell)."""
    for k in numbers:
        record(k.name, k.value, unit=k.unit, label=k.label, **k.extra)
