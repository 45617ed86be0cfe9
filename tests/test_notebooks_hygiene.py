"""Committed notebooks are clean, parameterised and thin."""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
REPORT_NOTEBOOKS = [p for p in NOTEBOOKS if re.match(r"\d\d_", p.name) and p.parent.name == "notebooks"]


def test_there_are_report_notebooks():
    assert any(p.name == "00_data_overview.ipynb" for p in REPORT_NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_is_python3(path):
    assert nbformat.read(path, as_version=4).metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_functions_or_classes_in_notebooks(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class)\s", cell.source, flags=re.M), f"{path.name}: move it into csm_kit"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_declares_month_data_segment_with_help(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = {m.group(1): m.group(2) for m in re.finditer(r"^(\w+)\s*=\s*[^#\n]+#\s*(.+)$", tagged[0].source, re.M)}
    for name in ("month", "data", "segment"):
        assert name in lines and lines[name].strip(), f"{path.name}: `{name} = ...  # help` missing"
    assert ":" not in tagged[0].source.split("=")[0], "annotations make papermill drop a parameter"


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebook_opens_with_a_title(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown" and re.match(r"#\s+\S", first.source), (
        f"{path.name}: the first cell is the `# Title` the report index shows")
    prose = re.sub(r"^#.*$", "", first.source, flags=re.M).strip()
    assert len(prose.split()) >= 10, f"{path.name}: say in a few sentences under the title what the page answers"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebook_declares_teaching(path):
    params = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in _tags(c))
    assert re.search(r"^teaching\s*=\s*False\s*#\s*\S", params.source, flags=re.M), (
        f"{path.name}: `teaching = False  # help` in the parameters cell (csm-kit report --teaching sets it)")


@pytest.mark.parametrize("path", [p for p in REPORT_NOTEBOOKS if p.name != "00_data_overview.ipynb"],
                         ids=lambda p: p.name)
def test_area_notebook_has_tagged_teaching_cells(path):
    cells = nbformat.read(path, as_version=4).cells
    teaching = [c for c in cells if "teaching" in _tags(c)]
    assert any(c.cell_type == "markdown" for c in teaching), f"{path.name}: no markdown cell tagged `teaching`"
    assert any(c.cell_type == "code" for c in teaching), (
        f"{path.name}: no worked example (a code cell tagged `teaching`) beside the explanation")


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebook_ends_with_key_numbers_that_record(path):
    cells = nbformat.read(path, as_version=4).cells
    heads = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
             and re.search(r"^##\s+Key numbers\s*$", c.source, flags=re.M)]
    assert len(heads) == 1, f"{path.name}: one `## Key numbers` section"
    after = [c for c in cells[heads[0] + 1:] if c.cell_type == "code"]
    assert after and all("remove-input" in _tags(c) for c in after), (
        f"{path.name}: the code under `## Key numbers` is tagged `remove-input`")
    assert any(re.search(r"\brecord\(", c.source) for c in after), f"{path.name}: `## Key numbers` records nothing"
    later_headings = [c for c in cells[heads[0] + 1:] if c.cell_type == "markdown" and c.source.lstrip().startswith("#")]
    assert later_headings == [], f"{path.name}: `## Key numbers` is the last section"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebook_has_no_tex_math(path):
    # The report's HTML loads no MathJax (it must work offline), so $...$ would reach readers as raw TeX.
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\$[^$\n]*\\[A-Za-z]+|\$\$", cell.source), (
                f"{path.name}: TeX math in markdown; write the formula in words or a code span")
