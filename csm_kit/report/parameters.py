"""Checking notebook parameters before anything runs.

papermill only warns when a `-p` name is misspelt and then runs the notebook
with its default, which is how a report for the wrong month gets emailed.
The runner checks names and values itself:

- the runner's own parameters (:data:`RUNNER_PARAMETERS`: month, data,
  segment, teaching) are set by its own options (``--month``...) and can't
  be given again as ``-p``: the folder, the title and the numbers would
  describe different months;
- a user parameter (a business assumption such as ``gross_margin``) goes to
  the notebooks that declare it, and must be declared by at least one;
- its value is converted to the type the notebook declares
  (``gross_margin: float = 0.8  # help``, read by papermill as
  ``inferred_type_name``), or refused with a message naming the notebook,
  the parameter, the type and the value.

On the report's pages a number parameter named in the prose ("the next
`horizon_days` days") reads as the value the notebook ran with
(:func:`with_parameter_values`).
"""
from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import papermill

from ..exceptions import ReportError

#: Every report notebook declares these in its `parameters` cell.
REQUIRED_PARAMETERS = ("month", "data", "segment")
#: Set by the runner from its own options, never by ``-p``: option that sets each.
RUNNER_PARAMETERS = {"month": "--month", "data": "--data", "segment": "--segment", "teaching": "--teaching"}

_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares (name -> papermill's description of it).

    Read by ``papermill.inspect_notebook`` from the cell tagged ``parameters``;
    the ``# comment`` after each is its help text, the annotation its type.

    >>> from csm_kit.config import NOTEBOOKS_DIR
    >>> params = notebook_parameters(NOTEBOOKS_DIR / "00_data_overview.ipynb")
    >>> [name for name in ("month", "data", "segment") if name in params]
    ['month', 'data', 'segment']
    >>> params["month"]["default"], params["month"]["inferred_type_name"]
    ('"2026-10"', 'str')
    """
    return dict(papermill.inspect_notebook(str(path)))


def _declared_type(spec: dict) -> str:
    """The type a notebook declares for a parameter: its annotation, else the type of its default literal."""
    name = (spec.get("inferred_type_name") or "None").strip()
    if name not in ("None", ""):
        return name
    try:
        return type(ast.literal_eval(spec.get("default", ""))).__name__
    except (ValueError, SyntaxError):
        return "str"


def convert_value(value, type_name: str, *, parameter: str = "value", notebook: str = "the notebook"):
    """``value`` (text from the command line, or a Python value) as the declared ``type_name``.

    ``float`` takes any finite number (``0.75``, ``1e-2``, an int);
    ``int`` a whole number (``12``, not ``12.5``); ``bool`` true/false, yes/no,
    1/0, on/off; ``str`` any text. Other declared types (list, dict...)
    take a Python literal of that type.

    Raises
    ------
    ReportError
        The value is not of that type; the message names the notebook, the
        parameter, the type and the value.

    >>> convert_value("0.75", "float"), convert_value("12", "int"), convert_value("yes", "bool")
    (0.75, 12, True)
    >>> convert_value("seventy", "float", parameter="gross_margin", notebook="05_clv.ipynb")
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.ReportError: 05_clv.ipynb declares gross_margin as float; 'seventy' is not one (e.g. -p gross_margin=0.8).
    """
    def refuse(example):
        return ReportError(f"{notebook} declares {parameter} as {type_name}; {value!r} is not one "
                           f"(e.g. -p {parameter}={example}).")

    text = value.strip() if isinstance(value, str) else None
    if type_name == "str":
        return value if isinstance(value, str) else str(value)
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise refuse("true")
    if type_name == "int":
        if isinstance(value, bool):
            raise refuse(12)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(text)
        except (ValueError, TypeError):
            raise refuse(12) from None
    if type_name == "float":
        if isinstance(value, bool):
            raise refuse(0.8)
        try:
            number = float(text) if text is not None else float(value)
        except (ValueError, TypeError):
            raise refuse(0.8) from None
        if not math.isfinite(number):
            raise refuse(0.8)
        return number
    try:
        parsed = ast.literal_eval(text) if text is not None else value
    except (ValueError, SyntaxError):
        raise refuse("...") from None
    if type(parsed).__name__ != type_name:
        raise refuse("...")
    return parsed


def check_user_parameters(notebooks: dict[Path, dict], extra: dict | None) -> None:
    """Refuse runner-owned names and names no notebook declares, before anything runs.

    ``notebooks`` maps each notebook to what it declares (:func:`notebook_parameters`).

    >>> check_user_parameters({Path("05_clv.ipynb"): {"gross_margin": {}}}, {"month": "2026-09"})
    Traceback (most recent call last):
    ...
    csm_kit.exceptions.ReportError: -p month=... is refused: month is set by the report's own --month option (the folder, the title and every notebook must agree).
    """
    for name in extra or {}:
        if name in RUNNER_PARAMETERS:
            raise ReportError(f"-p {name}=... is refused: {name} is set by the report's own "
                              f"{RUNNER_PARAMETERS[name]} option (the folder, the title and every notebook "
                              "must agree).")
    declared = set().union(*[set(d) for d in notebooks.values()]) if notebooks else set()
    unknown = sorted(set(extra or {}) - declared)
    if unknown:
        names = sorted(declared - set(RUNNER_PARAMETERS))
        listed = names[:12]
        raise ReportError(
            f"No report notebook has a parameter {', '.join(repr(u) for u in unknown)}; they declare "
            + (", ".join(listed) + (f" and {len(names) - len(listed)} more" if len(names) > len(listed) else "")
               if names else "only the runner's own (month, data, segment, teaching)")
            + ". (papermill --help-notebook NOTEBOOK lists one notebook's parameters with their types.)")


def parameters_for(path: Path, wanted: dict, extra: dict | None = None, declared: dict | None = None) -> dict:
    """The parameters to pass to one notebook, checked against what it declares.

    ``wanted`` are the runner's own parameters (month, data, segment, teaching):
    each is passed when the notebook declares it, and month/data/segment must be
    declared. ``extra`` are the user's own ``-p`` values: each goes to this
    notebook only if it declares it, converted to the declared type
    (:func:`convert_value`). ``declared``: the notebook's parameters, if already read.

    >>> from csm_kit.config import NOTEBOOKS_DIR
    >>> nb = NOTEBOOKS_DIR / "00_data_overview.ipynb"
    >>> parameters_for(nb, {"month": "2026-09", "data": "/d", "segment": "all"})
    {'month': '2026-09', 'data': '/d', 'segment': 'all'}
    >>> parameters_for(nb, {"month": "2026-09", "data": "/d", "segment": "all"}, {"mnth": "2026-08"})
    {'month': '2026-09', 'data': '/d', 'segment': 'all'}
    """
    declared = notebook_parameters(path) if declared is None else declared
    missing = [p for p in REQUIRED_PARAMETERS if p not in declared]
    if missing:
        raise ReportError(
            f"{path.name} has no parameter {', '.join(missing)} in its `parameters` cell; "
            f"every report notebook declares {', '.join(REQUIRED_PARAMETERS)}."
        )
    passed = {k: v for k, v in wanted.items() if k in declared}
    for name, value in (extra or {}).items():
        if name in declared and name not in RUNNER_PARAMETERS:
            passed[name] = convert_value(value, _declared_type(declared[name]), parameter=name, notebook=path.name)
    return passed


#: A parameter's name in backticks in a Markdown cell (``within_days`` in "the next `within_days` days").
_NAMED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def parameter_values(nb) -> dict:
    """The values an executed notebook ran with: its ``parameters`` cell's defaults, then papermill's injected ones.

    ``nb`` is a notebook node (nbformat). The defaults are the literals of
    the cell tagged ``parameters`` (``horizon_days: int = 90  # help``); the
    values papermill injected are in ``nb.metadata.papermill.parameters``
    and win. A default that is not a literal is left out.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     'month: str = "2026-10"  # month\\nhorizon_days: int = 90\\nratio = 0.5', metadata={"tags": ["parameters"]})])
    >>> nb.metadata["papermill"] = {"parameters": {"horizon_days": 60}}
    >>> parameter_values(nb)
    {'month': '2026-10', 'horizon_days': 60, 'ratio': 0.5}
    """
    values = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        for node in ast.parse(cell.source).body:
            target = node.target if isinstance(node, ast.AnnAssign) else (
                node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
            if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
        break
    values.update(nb.get("metadata", {}).get("papermill", {}).get("parameters", {}) or {})
    return values


def with_parameter_values(nb):
    """``nb`` with each number parameter named in its Markdown written as the value it ran with.

    A report's reader sees "the next 90 days", not "the next
    `horizon_days` days": in every Markdown cell, a backticked name of a
    parameter whose value is a number (int or float, not bool) becomes
    that value (:func:`parameter_values`; ``-p horizon_days=60`` gives 60).
    Text, boolean and list parameters are left named (they are spoken of,
    as in "with `survival_model` set to ..."). The notebook in JupyterLab
    keeps the names, beside the cell that sets them. Returns a copy.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("horizon_days: int = 90\\nmodel: str = 'km'", metadata={"tags": ["parameters"]}),
    ...     nbformat.v4.new_markdown_cell("Churn in the next `horizon_days` days, with `model`; `print`.")])
    >>> with_parameter_values(nb).cells[1].source
    'Churn in the next 90 days, with `model`; `print`.'
    """
    import copy

    numbers = {name: value for name, value in parameter_values(nb).items()
               if isinstance(value, (int, float)) and not isinstance(value, bool)}
    out = copy.deepcopy(nb)
    if not numbers:
        return out
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = _NAMED.sub(lambda m: _written(numbers[m[1]]) if m[1] in numbers else m[0], cell.source)
    return out


def _written(value) -> str:
    """A number as prose writes it: ``90``, ``1,000``, ``0.5`` (a float's shortest exact form)."""
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return f"{int(value):,}"
