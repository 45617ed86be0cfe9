"""The student track (notebooks/learn/): every exercise's solution is right, and the checks say so.

Each exercise is four cells: the question (tagged ``exercise``), ``answer = None``
(tagged ``answer``), a check that compares the answer with the kit's own
function (``check``), and a folded solution (``solution``) whose code block sets
``answer``. Committed as is, the notebooks run clean (nbval runs them in
``make test``) and each check asks for an answer. Here the solution's code is
put in the answer cell: every check must then print "correct"; a wrong answer
must get "try again".
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from csm_kit.config import NOTEBOOKS_DIR
from csm_kit.report import report_notebooks

LEARN = sorted((NOTEBOOKS_DIR / "learn").glob("[0-9][0-9]_*.ipynb"))


def _tagged(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def _run(nb) -> list[str]:
    """Execute in notebooks/learn/ and return what each check cell printed."""
    NotebookClient(nb, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(NOTEBOOKS_DIR / "learn")}}).execute()
    return ["".join(o.get("text", "") for o in c.outputs) for c in _tagged(nb, "check")]


def _solution_code(cell) -> str:
    found = re.search(r"```python\n(.*?)\n```", cell.source, flags=re.S)
    assert found, "a solution ends with a ```python block that sets `answer`"
    return found.group(1)


def test_there_are_lessons_and_the_report_leaves_them_out():
    assert len(LEARN) >= 4
    assert not set(report_notebooks()) & set(LEARN)


@pytest.mark.parametrize("path", LEARN, ids=lambda p: p.stem)
def test_each_exercise_has_an_answer_cell_a_check_and_a_folded_solution(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    exercises = [i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", [])]
    assert len(exercises) >= 3
    for i in exercises:
        tags = [nb.cells[i + k].metadata.get("tags", []) for k in (1, 2, 3)]
        assert tags == [["answer"], ["check"], ["solution"]], f"{path.name}: cells after exercise at {i}"
        assert nb.cells[i + 1].source.startswith("answer = None")
        assert "answer is None" in nb.cells[i + 2].source and "expected =" in nb.cells[i + 2].source
        assert nb.cells[i + 3].source.startswith("<details>")  # folded until the student opens it


@pytest.mark.parametrize("path", LEARN, ids=lambda p: p.stem)
def test_solutions_pass_the_checks(path):
    nb = nbformat.read(path, as_version=4)
    for answer, solution in zip(_tagged(nb, "answer"), _tagged(nb, "solution"), strict=True):
        answer.source = _solution_code(solution)
    printed = _run(nb)
    assert printed and all(re.search(r"Exercise \d+: correct!", p) for p in printed), printed


def test_a_wrong_answer_is_told_to_try_again():
    nb = nbformat.read(LEARN[0], as_version=4)
    for answer in _tagged(nb, "answer"):
        answer.source = "answer = -1234"
    printed = _run(nb)
    assert all("Try again" in p and "-1234" in p for p in printed), printed


def test_committed_lessons_ask_for_answers():
    nb = nbformat.read(LEARN[-1], as_version=4)  # as committed: every answer is None
    printed = _run(nb)
    assert printed and all("fill in `answer`" in p for p in printed), printed
