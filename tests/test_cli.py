"""The csm-kit command line: exit codes and messages."""
import subprocess
import sys

import pytest

from csm_kit.cli import main
from tests.test_report import _notebook


def test_simulate_then_report_through_the_cli(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["simulate", "--customers", "60", "--months", "4", "--start", "2026-07",
                 "--seed", "3", "--out", str(data)]) == 0
    assert (data / "customers.csv").exists()
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "00_x.ipynb", "from csm_kit.record import record\nrecord('m', month)")
    # no --month: the simulation runs 2026-07 .. 2026-10, so the latest complete month is 2026-10
    code = main(["report", "--data", str(data), "--out", str(tmp_path / "r"), "--notebooks", str(notebooks)])
    assert code == 0
    assert "2026-10/index.html" in capsys.readouterr().out


def test_simulate_writes_parquet_when_asked(tmp_path):
    out = tmp_path / "pq"
    assert main(["simulate", "--customers", "20", "--months", "2", "--seed", "1", "--out", str(out),
                 "--format", "parquet"]) == 0
    assert (out / "customers.parquet").exists() and not (out / "customers.csv").exists()


def test_failing_notebook_exits_1_naming_notebook_cell_and_kept_copy(tmp_path, capsys, small_data_dir):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    _notebook(notebooks / "00_bad.ipynb", "1 / 0")
    code = main(["report", "--data", str(small_data_dir), "--month", "2026-09", "--out", str(tmp_path / "r"),
                 "--notebooks", str(notebooks)])
    err = capsys.readouterr().err
    assert code == 1
    assert "00_bad.ipynb: cell 2 (`1 / 0`) raised ZeroDivisionError" in err
    assert str(tmp_path / "r" / ".failed" / "2026-09") in err and "Traceback" not in err


def test_bad_data_exits_1_with_the_contract_message_and_no_traceback(tmp_path, capsys):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,2026-13-01\n")
    assert main(["report", "--data", str(tmp_path), "--month", "2026-10"]) == 1
    err = capsys.readouterr().err
    assert "customers.signup_date" in err and "Traceback" not in err


def test_bad_month_exits_1(tmp_path, capsys, small_data_dir):
    assert main(["report", "--data", str(small_data_dir), "--month", "October"]) == 1
    assert "YYYY-MM" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["report", "--param", "no-equals-sign"],
    ["report", "--jobs", "0"],
    ["report", "--pdf", "--no-pdf"],
    ["simulate", "--customers", "10", "--months", "2", "--out", "x"],  # --seed is required
    ["simulate", "--customers", "10", "--months", "2", "--seed", "1", "--out", "x", "--format", "xlsx"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: csm-kit" in capsys.readouterr().err


def test_console_script_exit_status_through_a_real_process(tmp_path):
    # the installed entry point turns main()'s return value into the process status
    csm_kit = __import__("pathlib").Path(sys.executable).with_name("csm-kit")
    done = subprocess.run([str(csm_kit), "report", "--data", str(tmp_path / "missing"), "--month", "2026-10"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("csm-kit: ") and "Traceback" not in done.stderr
