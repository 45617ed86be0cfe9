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

import nbformat

MIME_TYPE = "application/vnd.csm-kit.metric+json"


def json_safe(value):
    """A JSON-serialisable copy of a value: numpy scalars to Python, NaN and inf to None.

    >>> import numpy as np
    >>> json_safe({"a": np.float64(1.5), "b": float("nan"), "c": [np.int64(2)]})
    {'a': 1.5, 'b': None, 'c': [2]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # dates, periods: their text form


def record(name: str, value, *, unit: str | None = None, label: str | None = None, **extra) -> None:
    """Record one key number of a notebook run (shown as a small line of text).

    Parameters
    ----------
    name : str
        Stable machine name, e.g. ``"nps_relationship"``.
    value : number, str or None
        The value; NaN is recorded as null.
    unit : str, optional
        ``"%"``, ``"USD"``, ``"customers"``, ``"days"``, ...
    label : str, optional
        Human-readable name for the scorecard.
    **extra
        Anything else worth keeping beside the value (``n``, ``convention``...).
    """
    from IPython.display import display

    payload = json_safe({"name": name, "value": value, "unit": unit, "label": label or name, **extra})
    shown = "—" if payload["value"] is None else payload["value"]
    text = f"{payload['label']}: {shown}{' ' + unit if unit else ''}"
    display({MIME_TYPE: payload, "text/plain": text}, raw=True)


def read_recorded(notebook) -> dict[str, dict]:
    """The numbers recorded in an executed notebook, keyed by name (last one wins).

    Parameters
    ----------
    notebook : str, Path or NotebookNode
    """
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
