"""`csm-kit validate SRC [--mapping FILE]`: every problem of every table at once; exit 1 on errors only."""
import subprocess
import sys

import pytest

from csm_kit.cli import main
from tests.contract_fixtures import valid_dataset
from tests.test_validation import edit


@pytest.fixture
def folder(tmp_path):
    valid_dataset().to_dir(tmp_path / "data")
    return tmp_path / "data"


def test_clean_data_exits_zero(folder, capsys):
    assert main(["validate", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: 0 errors, 0 warnings - the data loads\n"


def test_warnings_only_exit_zero_and_are_listed(folder, capsys):
    edit(folder, "subscriptions", 4, "2026-03-10", "9999-12-31")
    edit(folder, "customers", 3, "c2,", "c2 ,")
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{folder}: 0 errors, 2 warnings - the data loads\n")
    assert "warning 1/2: customers.customer_id: 1 value(s) had spaces around them" in out
    assert "warning 2/2: subscriptions.end_date: 1 row(s) hold a date after 2262-04-11" in out


def test_every_error_in_every_table_with_rows_and_the_warnings_too(folder, capsys):
    edit(folder, "customers", 3, "2026-02-01", "2026-02")         # partial date, row 3
    edit(folder, "subscriptions", 3, ",year,", ",yearly,")        # unknown billing period, row 3
    edit(folder, "surveys", 2, "9.0", "9.5")                      # fractional NPS, row 2
    edit(folder, "tickets", 3, "k2", "k1")                        # duplicate key, rows 2 and 3
    edit(folder, "usage_events", 4, "c2,u2", "c9,u2")             # unknown customer, row 4
    edit(folder, "subscriptions", 2, ",,month,", ",9999-12-31,month,")  # a warning, not an error
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{folder}: 5 errors, 1 warning"
    blocks = out.split("\nERROR ")[1:]
    assert [b.split(":")[0] + ":" + b.split(":")[1] for b in blocks] == [
        "1/5: customers.signup_date", "2/5: subscriptions.billing_period", "3/5: surveys.score",
        "4/5: tickets.ticket_id", "5/5: usage_events.customer_id"]
    assert "2026-02" in blocks[0] and "yearly" in blocks[1] and "9.5" in blocks[2]
    assert "Offending rows" in blocks[3] and "c9" in blocks[4]
    assert "warning 1/1: subscriptions.end_date" in out


def test_validate_with_a_mapping(tmp_path, capsys):
    (tmp_path / "accounts.csv").write_text("Id,Created\nA1,05/01/2026\nA2,2026-01-06\n")
    (tmp_path / "m.yaml").write_text("customers:\n  file: accounts.csv\n  columns: {customer_id: Id, "
                                     "signup_date: Created}\n  formats: {signup_date: '%d/%m/%Y'}\n")
    assert main(["validate", str(tmp_path), "--mapping", str(tmp_path / "m.yaml")]) == 1
    out = capsys.readouterr().out
    assert "customers.signup_date (accounts.csv, column 'Created'): not a valid date in the format '%d/%m/%Y'" in out
    assert "2026-01-06" in out


def test_a_malformed_mapping_exits_one_naming_the_key(tmp_path, capsys):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,2026-01-05\n")
    (tmp_path / "m.yaml").write_text("customers:\n  columns: {customerid: Id}\n")
    assert main(["validate", str(tmp_path), "--mapping", str(tmp_path / "m.yaml")]) == 1
    assert "customers.columns.customerid: unknown column; did you mean 'customer_id'?" in capsys.readouterr().err


def test_a_missing_source_exits_one(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert "No data at" in capsys.readouterr().err


def test_the_installed_command(folder):
    edit(folder, "customers", 3, "2026-02-01", "2026")
    done = subprocess.run([sys.executable, "-m", "csm_kit.cli", "validate", str(folder)], capture_output=True, text=True)
    assert done.returncode == 1 and "customers.signup_date: a partial date" in done.stdout
