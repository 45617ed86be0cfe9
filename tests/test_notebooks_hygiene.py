"""Committed notebooks are clean, parameterised and thin: "the notebook rule".

Every report notebook (``notebooks/NN_*.ipynb``) is checked rule by rule, one
test per rule and notebook, so a failure names both. In every code cell
(teaching cells included):

- no ``def``, ``class`` or ``lambda`` (functions live in csm_kit);
- no plotting code: no ``import matplotlib``, ``plt.``, ``sns.``, ``ax.``,
  ``ax =``, ``fig`` (charts come from ``csm_kit/plotting/<area>.py``);
- no pandas/numpy computation: no ``.groupby(``, ``.merge(``, ``.join(``,
  ``.pivot``, ``crosstab``, ``.apply(``, ``.agg(``, ``.resample(``,
  ``.value_counts(``, ``np.``, ``pd.``, ``.style``;
- tables and sentences go through ``csm_kit.display`` (no ``Markdown(``,
  ``HTML(``, ``.to_html(``, ``.to_markdown(``);
- at most 80 code lines outside the parameters cell and teaching cells
  (blank and comment-only lines not counted);
- the last code cell records the area's key numbers through its library
  function: ``record_key_numbers(<area>_key_numbers(ds, month=month, ...))``.

What a page shows (no raw reprs, no None/NaT/nan, formatted numbers, human
headers, no local path) is checked on the executed pages by
tests/test_report_presentation.py; degenerate data (snapshot data, one
customer, 8+ segments, every customer churned, one month) by
tests/test_notebook_parameters.py.
"""
import logging
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
    from csm_kit.report.parameters import notebook_parameters

    declared = notebook_parameters(path)
    for name in ("month", "data", "segment"):
        assert name in declared and declared[name]["help"].strip(), f"{path.name}: `{name}: str = ...  # help` missing"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_typed_with_help_papermill_can_read(path, caplog):
    # `name: type = value  # help`, so `papermill --help-notebook` lists types; a line papermill can't
    # parse (an `=` inside a help comment, an annotation like `str | None`) drops the parameter
    from csm_kit.report.parameters import notebook_parameters

    with caplog.at_level(logging.WARNING, logger="papermill"):
        declared = notebook_parameters(path)
    assert not [r.getMessage() for r in caplog.records if "Unable to parse" in r.getMessage()], (
        f"{path.name}: papermill cannot parse a parameter line")
    untyped = [n for n, spec in declared.items() if spec["inferred_type_name"] in (None, "None")]
    assert untyped == [], f"{path.name}: parameters without a type annotation: {untyped}"
    helpless = [n for n, spec in declared.items() if not spec["help"].strip()]
    assert helpless == [], f"{path.name}: parameters without a `# help` comment: {helpless}"


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
    assert re.search(r"^teaching\s*(:\s*bool\s*)?=\s*False\s*#\s*\S", params.source, flags=re.M), (
        f"{path.name}: `teaching: bool = False  # help` in the parameters cell (csm-kit report --teaching sets it)")


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
    assert any(re.search(r"\brecord(_key_numbers)?\(", c.source) for c in after), (
        f"{path.name}: `## Key numbers` records nothing")
    later_headings = [c for c in cells[heads[0] + 1:] if c.cell_type == "markdown" and c.source.lstrip().startswith("#")]
    assert later_headings == [], f"{path.name}: `## Key numbers` is the last section"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebook_has_no_tex_math(path):
    # The report's HTML loads no MathJax (it must work offline), so $...$ would reach readers as raw TeX.
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\$[^$\n]*\\[A-Za-z]+|\$\$", cell.source), (
                f"{path.name}: TeX math in markdown; write the formula in words or a code span")


# --- the notebook rule (common to every report notebook) ---------------------------------------------

def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _code_lines(cell) -> list[str]:
    """The cell's lines that are code: no blank lines, no comment-only lines, string contents kept."""
    return [line for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]


def _offending(path, patterns: dict[str, str], skip_parameters: bool = True) -> list[str]:
    found = []
    for cell in _code_cells(path):
        if skip_parameters and "parameters" in _tags(cell):
            continue
        for line in _code_lines(cell):
            code = re.sub(r"#.*$", "", line)
            for what, pattern in patterns.items():
                if re.search(pattern, code):
                    found.append(f"{what}: {line.strip()}")
    return found


RULES = {
    "functions": {"def": r"^\s*def\s", "class": r"^\s*class\s", "lambda": r"\blambda\b"},
    "plotting": {"import matplotlib": r"\b(import|from)\s+matplotlib", "plt.": r"\bplt\.", "sns.": r"\bsns\.",
                 "ax.": r"\bax\.", "ax =": r"^\s*(\w+\s*,\s*)*ax\s*=(?!=)", "fig": r"\bfig\b"},
    "computation": {".groupby(": r"\.groupby\(", ".merge(": r"\.merge\(", ".join(": r"\.join\(",
                    ".pivot": r"\.pivot", "crosstab": r"crosstab", ".apply(": r"\.apply\(", ".agg(": r"\.agg\(",
                    ".resample(": r"\.resample\(", ".value_counts(": r"\.value_counts\(", "np.": r"\bnp\.",
                    "pd.": r"\bpd\.", ".style": r"\.style\b"},
    "rendering": {"Markdown(": r"\bMarkdown\(", "HTML(": r"\bHTML\(", ".to_html(": r"\.to_html\(",
                  ".to_markdown(": r"\.to_markdown\(", "display_markdown/html": r"\bdisplay_(markdown|html)\("},
}
ADVICE = {
    "functions": "move it into csm_kit",
    "plotting": "charts come from csm_kit/plotting/<area>.py (plot_x(result, ax=None) -> Axes)",
    "computation": "a calculation in a notebook is a function missing from csm_kit",
    "rendering": "show tables with csm_kit.display.table and data sentences with csm_kit.display.text",
}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_rule(path, rule):
    found = _offending(path, RULES[rule])
    assert found == [], f"{path.name}: {ADVICE[rule]}:\n  " + "\n  ".join(found[:15])


MAX_CODE_LINES = 80


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin(path):
    counted = sum(len(_code_lines(c)) for c in _code_cells(path)
                  if "parameters" not in _tags(c) and "teaching" not in _tags(c))
    assert counted <= MAX_CODE_LINES, (
        f"{path.name}: {counted} code lines outside the parameters and teaching cells (at most {MAX_CODE_LINES})")


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_records_through_its_key_numbers_function(path):
    last = _code_cells(path)[-1].source
    assert re.search(r"\brecord_key_numbers\(\s*[\w.]*_key_numbers\(", last), (
        f"{path.name}: the last cell is `record_key_numbers(<area>_key_numbers(ds, month=month, ...))`")
    assert re.search(r"\bmonth\s*=\s*month\b", last), f"{path.name}: pass month=month to the key-numbers function"
    from csm_kit.key_numbers import AREAS

    assert path.stem in AREAS, f"{path.name}: register its key-numbers function in csm_kit.key_numbers.AREAS"
