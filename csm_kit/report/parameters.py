"""Checking notebook parameters before anything runs.

papermill only warns when a `-p` name is misspelt and then runs the notebook
with its default, which is how a report for the wrong month gets emailed.
The runner checks names itself.
"""
from __future__ import annotations

from pathlib import Path

import papermill

from ..exceptions import ReportError

#: Every report notebook declares these in its `parameters` cell.
REQUIRED_PARAMETERS = ("month", "data", "segment")


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares (name -> papermill's description of it).

    Read by ``papermill.inspect_notebook`` from the cell tagged ``parameters``;
    the ``# comment`` after each is its help text.

    >>> from csm_kit.config import NOTEBOOKS_DIR
    >>> params = notebook_parameters(NOTEBOOKS_DIR / "00_data_overview.ipynb")
    >>> [name for name in ("month", "data", "segment") if name in params]
    ['month', 'data', 'segment']
    >>> params["month"]["default"]
    '"2026-10"'
    """
    return dict(papermill.inspect_notebook(str(path)))


def parameters_for(path: Path, wanted: dict, extra: dict | None = None) -> dict:
    """The parameters to pass to one notebook, checked against what it declares.

    ``wanted`` are the runner's own parameters (month, data, segment, teaching):
    each is passed when the notebook declares it, and month/data/segment must be
    declared. ``extra`` are the user's own ``--param`` values: every name must be
    declared, or the run is refused before any notebook starts.

    >>> from csm_kit.config import NOTEBOOKS_DIR
    >>> nb = NOTEBOOKS_DIR / "00_data_overview.ipynb"
    >>> parameters_for(nb, {"month": "2026-09", "data": "/d", "segment": "all"})
    {'month': '2026-09', 'data': '/d', 'segment': 'all'}
    >>> parameters_for(nb, {"month": "2026-09", "data": "/d", "segment": "all"}, {"mnth": "2026-08"})
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.ReportError: 00_data_overview.ipynb has no parameter 'mnth'; it declares data, month, segment, teaching.
    """
    declared = notebook_parameters(path)
    missing = [p for p in REQUIRED_PARAMETERS if p not in declared]
    if missing:
        raise ReportError(
            f"{path.name} has no parameter {', '.join(missing)} in its `parameters` cell; "
            f"every report notebook declares {', '.join(REQUIRED_PARAMETERS)}."
        )
    unknown = sorted(set(extra or {}) - set(declared))
    if unknown:
        raise ReportError(
            f"{path.name} has no parameter {', '.join(repr(u) for u in unknown)}; "
            f"it declares {', '.join(sorted(declared))}."
        )
    passed = {k: v for k, v in wanted.items() if k in declared}
    passed.update(extra or {})
    return passed
