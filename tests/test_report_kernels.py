"""Reused kernels (csm_kit/report/kernels.py): the same report as fresh kernels, notebooks isolated, failures contained."""
import json
import os
import re

import pytest

from csm_kit.exceptions import ReportError
from csm_kit.report import run_report
from csm_kit.report.kernels import KernelPool
from tests.test_report import _notebook, tiny_notebooks  # noqa: F401 (the fixture, used here too)

#: The first notebook changes everything a notebook can change that the next one could see.
LEAKS = """\
import os, warnings
import csm_kit.plotting  # as every report notebook does (its imports add warnings filters of their own)
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from csm_kit.record import record
record('linewidth_at_start', mpl.rcParams['lines.linewidth'])
record('filters_at_start', len(warnings.filters))
record('max_rows_at_start', pd.get_option('display.max_rows'))
record('cwd_at_start', os.getcwd())
print(os.getpid(), file=open('pids.txt', 'a'))  # the notebooks' folder
leaked_variable = 42
figure = plt.figure()
mpl.rcParams['lines.linewidth'] = 7.5
warnings.simplefilter('error')
pd.set_option('display.max_rows', 3)
np.seterr(all='raise')
os.environ['CSM_KIT_TEST_LEAK'] = 'yes'
os.chdir('/')
"""

#: A later notebook reports what it sees.
LOOK = """\
import os, warnings
import csm_kit.plotting
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from csm_kit.record import record
record('variable_seen', 'leaked_variable' in globals())
record('open_figures', len(plt.get_fignums()))
record('linewidth', mpl.rcParams['lines.linewidth'])
record('filters', len(warnings.filters))
record('first_filter', warnings.filters[0][0])
record('max_rows', pd.get_option('display.max_rows'))
record('divide', np.geterr()['divide'])
record('env', os.environ.get('CSM_KIT_TEST_LEAK'))
record('cwd', os.getcwd())
record('execution_count', get_ipython().execution_count)
print(os.getpid(), file=open('pids.txt', 'a'))
"""

WARN = "import warnings\nwarnings.warn('shown on every page that triggers it', UserWarning)"


@pytest.fixture
def leaky_notebooks(tmp_path):
    folder = tmp_path / "leaky"
    folder.mkdir()
    _notebook(folder / "00_leak.ipynb", WARN, LEAKS)
    _notebook(folder / "01_look.ipynb", "x = 1", LOOK, WARN)
    return folder


def _metrics(folder):
    return json.loads((folder / "metrics.json").read_text())["notebooks"]


def _value(metrics, notebook, name):
    return metrics[notebook][name]["value"]


def _cells(folder, notebook):
    import nbformat

    return [c for c in nbformat.read(folder / f"{notebook}.ipynb", as_version=4).cells if c.cell_type == "code"]


def test_a_notebook_sees_nothing_the_previous_one_left_in_the_same_kernel(tmp_path, small_data_dir, leaky_notebooks):
    pool = KernelPool(1, cwd=leaky_notebooks)  # one kernel: the second notebook runs where the first ran
    folder = run_report("2026-09", data=small_data_dir, out=tmp_path / "reused", notebooks_dir=leaky_notebooks,
                        progress=False, pdf=False, jobs=1, kernels=pool)
    assert pool.kernels_started == 1
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kernels"] == {"mode": "reused", "started": 1}
    m = _metrics(folder)
    pids = leaky_notebooks / "pids.txt"
    assert len(set(pids.read_text().split())) == 1  # really the same kernel process
    pids.unlink()
    assert _value(m, "01_look", "variable_seen") is False
    assert _value(m, "01_look", "open_figures") == 0
    assert _value(m, "01_look", "linewidth") == _value(m, "00_leak", "linewidth_at_start") != 7.5
    assert _value(m, "01_look", "filters") == _value(m, "00_leak", "filters_at_start")
    assert _value(m, "01_look", "first_filter") != "error"
    assert _value(m, "01_look", "max_rows") == _value(m, "00_leak", "max_rows_at_start") != 3
    assert _value(m, "01_look", "divide") == "warn"
    assert _value(m, "01_look", "env") is None
    assert _value(m, "01_look", "cwd") == _value(m, "00_leak", "cwd_at_start") == str(leaky_notebooks.resolve())
    # cells numbered from 1 in each notebook: parameters, injected parameters, "x = 1", LOOK (4)
    assert [c.execution_count for c in _cells(folder, "01_look")] == [1, 2, 3, 4, 5]
    assert _value(m, "01_look", "execution_count") == 5  # IPython's counter, read inside cell 4, as in a fresh kernel
    # the same warning is shown again on the second page, as a fresh kernel shows it
    for notebook in ("00_leak", "01_look"):
        cell = next(c for c in _cells(folder, notebook) if c.source == WARN)
        shown = [o for o in cell.outputs if o.get("name") == "stderr"]
        assert shown and "shown on every page that triggers it" in shown[0]["text"]

    fresh = run_report("2026-09", data=small_data_dir, out=tmp_path / "fresh", notebooks_dir=leaky_notebooks,
                       progress=False, pdf=False, jobs=1, fresh_kernels=True)
    assert json.loads((fresh / "manifest.json").read_text())["kernels"] == {"mode": "fresh", "started": 2}
    f = _metrics(fresh)
    assert len(set(pids.read_text().split())) == 2
    assert m == f
    for notebook in ("00_leak", "01_look"):  # a warning names the kernel's temporary folder, by its pid
        page, fresh_page = ((f / f"{notebook}.html").read_text() for f in (folder, fresh))
        assert re.sub(r"ipykernel_\d+", "ipykernel_N", page) == re.sub(r"ipykernel_\d+", "ipykernel_N", fresh_page)


def test_kit_report_is_the_same_with_reused_and_fresh_kernels(kit_report, small_data_dir, tmp_path):
    assert json.loads((kit_report / "manifest.json").read_text())["kernels"]["mode"] == "reused"
    fresh = run_report("2026-10", data=small_data_dir, out=tmp_path, progress=False, pdf=False, fresh_kernels=True)
    assert (fresh / "metrics.json").read_bytes() == (kit_report / "metrics.json").read_bytes()
    assert (fresh / "scorecard.csv").read_bytes() == (kit_report / "scorecard.csv").read_bytes()
    pages = sorted(p.name for p in kit_report.glob("[0-9][0-9]_*.html"))
    assert len(pages) == 11
    differ = [name for name in pages if (fresh / name).read_bytes() != (kit_report / name).read_bytes()]
    assert differ == []


def test_a_failing_notebook_is_reported_and_the_next_runs_in_a_fresh_kernel(tmp_path, small_data_dir, tiny_notebooks):
    marker = tmp_path / "third_ran.txt"
    _notebook(tiny_notebooks / "02_broken.ipynb", "import os\nrecorded_pid = os.getpid()",
              "raise RuntimeError('boom in cell three')")
    _notebook(tiny_notebooks / "03_after.ipynb",
              f"import os\nopen({str(marker)!r}, 'w').write(str(os.getpid()) + ' ' + str('recorded_pid' in globals()))")
    pool = KernelPool(1, cwd=tiny_notebooks)
    with pytest.raises(ReportError) as err:
        run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks,
                   progress=False, pdf=False, jobs=1, kernels=pool)
    message = str(err.value)
    assert "02_broken.ipynb: cell 3 (`raise RuntimeError('boom in cell three')`) raised RuntimeError" in message
    assert "00_first" not in message and "01_second" not in message and "03_after" not in message
    assert sorted(p.name for p in (tmp_path / "r" / ".failed" / "2026-09").iterdir()) == ["02_broken.ipynb"]
    assert marker.read_text().endswith(" False")  # the notebook after the failure ran, in a clean namespace
    assert pool.kernels_started == 2  # the failed notebook's kernel was replaced


def test_a_killed_kernel_is_replaced_for_the_notebooks_after_it(tmp_path, small_data_dir, tiny_notebooks):
    pids = tmp_path / "pids.txt"
    _notebook(tiny_notebooks / "00_first.ipynb", f"import os\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')")
    _notebook(tiny_notebooks / "01_second.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    _notebook(tiny_notebooks / "02_third.ipynb", f"import os\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')")
    pool = KernelPool(1, cwd=tiny_notebooks)
    with pytest.raises(ReportError) as err:
        run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks,
                   progress=False, pdf=False, jobs=1, kernels=pool)
    assert "01_second.ipynb: DeadKernelError" in str(err.value)
    assert "00_first" not in str(err.value) and "02_third" not in str(err.value)
    first, third = pids.read_text().split()
    assert first != third  # the third notebook ran, in a new kernel
    assert pool.kernels_started == 2


def test_kernels_are_stopped_when_the_run_ends(tmp_path, small_data_dir, tiny_notebooks):
    pids = tmp_path / "pid.txt"
    _notebook(tiny_notebooks / "01_second.ipynb", f"import os\nopen({str(pids)!r}, 'w').write(str(os.getpid()))")
    run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks, progress=False,
               pdf=False)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pids.read_text()), 0)


def test_cli_runs_fresh_kernels_when_asked(tmp_path, small_data_dir, tiny_notebooks, capsys):
    from csm_kit.cli import main

    out = tmp_path / "r"
    assert main(["report", "--month", "2026-09", "--data", str(small_data_dir), "--out", str(out),
                 "--notebooks", str(tiny_notebooks), "--no-pdf", "--fresh-kernels"]) == 0
    assert json.loads((out / "2026-09" / "manifest.json").read_text())["kernels"] == {"mode": "fresh", "started": 2}
    assert main(["report", "--month", "2026-09", "--data", str(small_data_dir), "--out", str(out),
                 "--notebooks", str(tiny_notebooks), "--no-pdf", "--jobs", "1"]) == 0
    assert json.loads((out / "2026-09" / "manifest.json").read_text())["kernels"] == {"mode": "reused", "started": 1}


def test_a_module_that_fails_to_import_in_the_warm_up_fails_only_the_notebooks_that_import_it(
        tmp_path, small_data_dir, tiny_notebooks, monkeypatch):
    from csm_kit.report import kernels

    (tmp_path / "csm_kit_broken_module.py").write_text("raise ImportError('broken on purpose')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the kernels find it (and fail to import it)
    monkeypatch.setattr(kernels, "WARM_UP", kernels.WARM_UP.replace("'lifelines'", "'lifelines', 'csm_kit_broken_module'"))
    _notebook(tiny_notebooks / "02_imports_it.ipynb", "import csm_kit_broken_module")
    with pytest.raises(ReportError) as err:
        run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks,
                   progress=False, pdf=False, jobs=1)
    message = str(err.value)
    assert "02_imports_it.ipynb: cell 2 (`import csm_kit_broken_module`) raised ImportError: broken on purpose" in message
    assert "00_first" not in message and "01_second" not in message


def test_a_kernel_that_dies_while_starting_is_started_once_more(tmp_path, monkeypatch):
    """A kernel can die before it answers (a port taken by another process between jupyter_client's choice
    and the kernel's bind): the worker starts another, and the notebook runs."""
    from csm_kit.report import kernels

    attempts = []
    real = kernels._Kernel

    def first_one_dies(cwd, timeout):
        attempts.append(cwd)
        if len(attempts) == 1:  # an argument ipykernel refuses: it prints why and exits before kernel_info
            return real(cwd, timeout, extra_arguments=["--no-such-flag-for-the-test"])
        return real(cwd, timeout)

    monkeypatch.setattr(kernels, "_Kernel", first_one_dies)
    with KernelPool(1, cwd=tmp_path) as pool:
        alive = pool.submit(lambda km: (kernels._run_sync(km.is_alive)(), True), tmp_path).result(timeout=120)
    assert len(attempts) == 2 and pool.kernels_started == 1 and alive is True


def test_a_kernel_that_dies_twice_while_starting_fails_the_notebook_with_its_last_words(tmp_path, monkeypatch):
    from csm_kit.report import kernels

    monkeypatch.setattr(kernels, "EXTRA_ARGUMENTS", ["--no-such-flag-for-the-test"])
    with KernelPool(1, cwd=tmp_path) as pool:
        with pytest.raises(kernels.KernelError) as err:
            pool.submit(lambda km: (None, True), tmp_path).result(timeout=120)
    message = str(err.value)
    assert message.startswith("the notebook kernel could not start: Kernel died before replying to kernel_info")
    assert "the kernel's last words:" in message and "no-such-flag-for-the-test" in message
    assert pool.kernels_started == 0


def _first_kernels_die(monkeypatch, dying: int):
    """papermill's first ``dying`` fresh kernels get an argument ipykernel refuses (it exits before kernel_info)."""
    from csm_kit.report import runner

    real, calls = runner.papermill.execute_notebook, []

    def execute(*args, **kwargs):
        calls.append(args[0])
        if len(calls) <= dying:
            kwargs = dict(kwargs, extra_arguments=["--no-such-flag-for-the-test"])
        return real(*args, **kwargs)

    monkeypatch.setattr(runner.papermill, "execute_notebook", execute)
    return calls


def test_a_fresh_kernel_that_dies_while_starting_is_started_once_more(tmp_path, small_data_dir, tiny_notebooks,
                                                                     monkeypatch):
    calls = _first_kernels_die(monkeypatch, dying=1)
    folder = run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks,
                        progress=False, pdf=False, jobs=1, fresh_kernels=True)
    assert [os.path.basename(c) for c in calls] == ["00_first.ipynb", "00_first.ipynb", "01_second.ipynb"]
    assert _value(_metrics(folder), "00_first", "customers") > 0  # the retried notebook ran, once


def test_a_fresh_kernel_that_dies_twice_fails_its_notebook_only(tmp_path, small_data_dir, tiny_notebooks, monkeypatch):
    calls = _first_kernels_die(monkeypatch, dying=2)
    with pytest.raises(ReportError) as err:
        run_report("2026-09", data=small_data_dir, out=tmp_path / "r", notebooks_dir=tiny_notebooks,
                   progress=False, pdf=False, jobs=1, fresh_kernels=True)
    assert "00_first.ipynb: RuntimeError: Kernel died before replying to kernel_info" in str(err.value)
    assert "01_second" not in str(err.value) and len(calls) == 3
