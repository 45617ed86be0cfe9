"""Each source kind loads the same typed tables; writing and reading back is lossless."""
import warnings

import pandas as pd
import pytest

import csm_kit
from csm_kit.exceptions import DataValidationWarning
from csm_kit.io.writers import write_duckdb, write_sql
from tests.contract_fixtures import valid_dataset, valid_tables


def assert_same(a, b):
    assert [n for n, _ in a] == [n for n, _ in b]
    for name, df in a:
        pd.testing.assert_frame_equal(df, b.tables[name], obj=name)


@pytest.fixture
def original():
    return csm_kit.load_dataset(valid_tables())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_folder_round_trip_is_lossless(tmp_path, original, fmt):
    original.to_dir(tmp_path, format=fmt)
    back = csm_kit.load_dataset(tmp_path)
    assert_same(original, back)
    assert back.customers["customer_id"].tolist()[0] == "007"  # ids stay text
    assert back.surveys["comment"][0] == 'Great, "fast" reports,\nthanks'
    assert back.subscriptions["amount"][0] == 0.1 + 0.2  # shortest round-trip float


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_writing_is_deterministic(tmp_path, original, fmt):
    original.to_dir(tmp_path / "a", format=fmt)
    original.to_dir(tmp_path / "b", format=fmt)
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_duckdb_file(tmp_path, original):
    write_duckdb(original, tmp_path / "cs.duckdb")
    assert_same(original, csm_kit.load_dataset(tmp_path / "cs.duckdb"))


def test_sqlite_url(tmp_path, original):
    url = f"sqlite:///{tmp_path / 'cs.sqlite'}"
    write_sql(original, url)
    assert_same(original, csm_kit.load_dataset(url))


def test_dtypes_follow_the_contract(original):
    s = original.subscriptions
    assert str(s["start_date"].dtype) == "datetime64[ns]" and str(s["quantity"].dtype) == "Int64"
    assert s["amount"].dtype == "float64" and original.milestones["required"].dtype == bool
    assert original.customers["segment"].tolist() == ["smb", "enterprise", None]


def test_absent_tables_are_none_and_only_requested_tables_load(tmp_path, original):
    original.to_dir(tmp_path)
    (tmp_path / "transactions.csv").unlink()
    ds = csm_kit.load_dataset(tmp_path)
    assert ds.transactions is None and ds.has("customers") and "transactions" in ds.absent_tables
    only = csm_kit.load_dataset(tmp_path, tables=["customers", "subscriptions"])
    assert list(only.tables) == ["customers", "subscriptions"]


def test_soft_problems_are_warnings_kept_on_the_dataset(tmp_path, original):
    tables = valid_tables()
    tables["subscriptions"].loc[2, "end_date"] = tables["subscriptions"].loc[2, "start_date"]
    Dataset = csm_kit.Dataset
    Dataset(**tables).to_dir(tmp_path)
    (tmp_path / "notes.csv").write_text("a\n1\n")
    with pytest.warns(DataValidationWarning):
        ds = csm_kit.load_dataset(tmp_path)
    assert any("end the day they start" in w for w in ds.warnings)
    assert any("notes.csv" in w for w in ds.warnings)


def test_missing_source_and_unknown_table():
    with pytest.raises(FileNotFoundError):
        csm_kit.load_dataset("/nonexistent/folder")
    with pytest.raises(ValueError, match="Unknown table"):
        csm_kit.load_dataset(valid_tables(), tables=["customer"])


def test_fingerprint_changes_with_content(original):
    tables = valid_tables()
    tables["subscriptions"].loc[0, "amount"] = 1.0
    assert csm_kit.load_dataset(tables).fingerprint != original.fingerprint
    assert csm_kit.load_dataset(valid_tables()).fingerprint == original.fingerprint
