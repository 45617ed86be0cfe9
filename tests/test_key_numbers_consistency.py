"""One number everywhere: what a report records is what the library computes, and what the index shows.

For every notebook of the kit's report on the small simulated data set, the
area's registered key-numbers function (``csm_kit.key_numbers.AREAS``) is
called again here, on the same data (``report_data`` as the notebook built
it) with the same month and parameters (the defaults of its parameters cell,
overridden by what papermill injected), and every recorded number, unit,
label and extra (``previous=`` and the counts behind it) is compared with
``metrics.json``. A notebook whose area has no registered function fails.
Then every number on ``index.html`` is traced back to ``metrics.json``.
"""
import ast
import json
import math
import re

import nbformat
import pandas as pd
import pytest

import csm_kit
from csm_kit.key_numbers import AREAS, key_numbers_function
from csm_kit.record import json_safe
from csm_kit.report import report_notebooks
from csm_kit.display import format_value as _fmt
from csm_kit.report.parameters import notebook_parameters

NOTEBOOKS = report_notebooks()


def _parameters(notebook, executed) -> dict:
    """The values the notebook ran with: its declared defaults, then what papermill injected."""
    values = {}
    for name, spec in notebook_parameters(notebook).items():
        try:
            values[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            pass
    values.update(executed.metadata.get("papermill", {}).get("parameters", {}))
    return values


def _value(node, names: dict):
    if isinstance(node, ast.Name):
        return names[node.id]
    return ast.literal_eval(node)


def _call(source: str, suffix: str) -> ast.Call:
    """The first call in ``source`` to a function whose name ends with ``suffix``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func.endswith(suffix) and func != "record_key_numbers":
                return node
    raise AssertionError(f"no call to *{suffix} in:\n{source}")


def _same(recorded, computed, where: str):
    if isinstance(computed, float) and isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
        assert math.isclose(recorded, computed, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {recorded} != {computed}"
    else:
        assert recorded == computed, f"{where}: {recorded!r} != {computed!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_recorded_numbers_are_the_librarys(notebook, kit_report, small_data_dir):
    assert notebook.stem in AREAS, (
        f"{notebook.name}: no key-numbers function registered in csm_kit.key_numbers.AREAS, so nothing proves "
        "its page, the index and metrics.json agree")
    executed = nbformat.read(kit_report / notebook.name, as_version=4)
    names = _parameters(notebook, executed)
    names["data"] = str(small_data_dir)  # what the runner passed, before it was written as a path
    code = [c.source for c in executed.cells if c.cell_type == "code"]
    call = _call(code[-1], "_key_numbers")
    function = key_numbers_function(notebook.stem)
    called = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
    assert called == function.__name__, f"{notebook.name} records {called}, but AREAS registers {function.__name__}"

    loading = _call("\n".join(code), "report_data")
    data_args = [_value(a, names) for a in loading.args]
    ds = csm_kit.report_data(*data_args, **{k.arg: _value(k.value, names) for k in loading.keywords})
    kwargs = {k.arg: _value(k.value, names) for k in call.keywords}
    computed = {k.name: json_safe({"name": k.name, "value": k.value, "unit": k.unit, "label": k.label, **k.extra})
                for k in function(ds, **kwargs)}

    recorded = json.loads((kit_report / "metrics.json").read_text())["notebooks"][notebook.stem]
    assert recorded, f"{notebook.name} recorded nothing"
    assert sorted(recorded) == sorted(computed), f"{notebook.name}: recorded and computed names differ"
    for name, payload in recorded.items():
        assert sorted(payload) == sorted(computed[name]), f"{notebook.name}.{name}: fields differ"
        for field, value in payload.items():
            _same(value, computed[name][field], f"{notebook.name}.{name}.{field}")


def test_every_number_on_the_index_comes_from_metrics_json(kit_report):
    metrics = json.loads((kit_report / "metrics.json").read_text())["notebooks"]
    flat = {name: p for recorded in metrics.values() for name, p in recorded.items()}
    card = pd.read_csv(kit_report / "scorecard.csv").set_index("label")
    page = (kit_report / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", page)
    assert rows, "the index shows no scorecard rows"
    for label, rest in rows:
        label = re.sub(r"<[^>]+>", "", label).replace("&amp;", "&").replace("&#x27;", "'")
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td class='num'>(.*?)</td>", rest)]
        name = card.loc[label, "metric"]
        p = flat[name]
        unit = card.loc[label, "unit"] if isinstance(card.loc[label, "unit"], str) else None
        previous = p.get("previous")  # the first report: last month as the notebook recorded it
        assert cells[0] == _fmt(p["value"], unit), f"{label}: index shows {cells[0]}, metrics.json has {p['value']}"
        assert cells[1] == _fmt(previous, unit), f"{label}: previous {cells[1]} vs recorded {previous}"
        change = None if p["value"] is None or previous is None else p["value"] - previous
        assert cells[2] == _fmt(change, unit, change=True), f"{label}: change {cells[2]} vs {change}"
