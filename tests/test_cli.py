"""The csm-kit command line: exit codes and messages."""
import pytest

from csm_kit.cli import main


def test_simulate_then_report_through_the_cli(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["simulate", "--customers", "60", "--months", "4", "--start", "2026-07",
                 "--seed", "3", "--out", str(data)]) == 0
    assert (data / "customers.csv").exists()
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    from tests.test_report import _notebook

    _notebook(notebooks / "00_x.ipynb", "from csm_kit.record import record\nrecord('m', month)")
    code = main(["report", "--data", str(data), "--out", str(tmp_path / "r"), "--notebooks", str(notebooks)])
    assert code == 0
    assert "2026-10/index.html" in capsys.readouterr().out


def test_bad_data_exits_1_with_the_contract_message_and_no_traceback(tmp_path, capsys):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,2026-13-01\n")
    assert main(["report", "--data", str(tmp_path), "--month", "2026-10"]) == 1
    err = capsys.readouterr().err
    assert "customers.signup_date" in err and "Traceback" not in err


def test_bad_month_exits_1(tmp_path, capsys, small_data_dir):
    assert main(["report", "--data", str(small_data_dir), "--month", "October"]) == 1
    assert "YYYY-MM" in capsys.readouterr().err


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--param", "no-equals-sign"])
    assert exit_.value.code == 2
