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


def test_dict_of_typed_frames_loads_unchanged():
    # The fixture's frames are already typed as the contract says, so loading changes nothing.
    expected, ds = valid_tables(), csm_kit.load_dataset(valid_tables())
    for name, df in expected.items():
        pd.testing.assert_frame_equal(ds.tables[name], df, obj=name)
    assert ds.source == "memory" and ds.warnings == ()


def test_times_with_an_offset_become_naive_utc(tmp_path):
    tables = valid_tables()
    # 11:00 at UTC+02:00 is 09:00 UTC; 09:00 at UTC-05:00 is 14:00 UTC.
    tables["tickets"]["opened_at"] = ["2026-02-04T11:00:00+02:00", "2026-02-20T09:00:00-05:00"]
    ds = csm_kit.load_dataset(tables)
    assert ds.tickets["opened_at"].tolist() == [pd.Timestamp("2026-02-04 09:00"), pd.Timestamp("2026-02-20 14:00")]
    aware = valid_tables()
    aware["survey_sends"]["sent_at"] = pd.to_datetime(["2026-01-30T09:00:00"] * 2).tz_localize("Europe/Paris")
    # Paris is UTC+1 in January: 09:00 there is 08:00 UTC, naive.
    assert csm_kit.load_dataset(aware).survey_sends["sent_at"].tolist() == [pd.Timestamp("2026-01-30 08:00")] * 2


def test_nanoseconds_survive_a_csv_round_trip(tmp_path):
    tables = valid_tables()
    tables["usage_events"].loc[2, "timestamp"] = pd.Timestamp("2026-02-03T12:00:00.000000001")
    ds = csm_kit.load_dataset(tables)
    ds.to_dir(tmp_path)
    assert "2026-02-03T12:00:00.000000001" in (tmp_path / "usage_events.csv").read_text()
    assert_same(ds, csm_kit.load_dataset(tmp_path))


def test_extra_columns_are_kept(tmp_path):
    tables = valid_tables()
    tables["customers"]["owner"] = ["ann", "bob", None]
    ds = csm_kit.load_dataset(tables)
    assert list(ds.customers.columns)[-1] == "owner" and ds.customers["owner"].tolist() == ["ann", "bob", None]
    ds.to_dir(tmp_path)
    # From CSV an extra column is text, and an empty cell is missing, as everywhere.
    assert csm_kit.load_dataset(tmp_path).customers["owner"].tolist() == ["ann", "bob", None]


def test_na_and_null_are_text_not_missing(tmp_path, original):
    original.to_dir(tmp_path)
    path = tmp_path / "customers.csv"
    path.write_text(path.read_text().replace(",smb,", ",NA,").replace(",enterprise,", ",null,"))
    assert csm_kit.load_dataset(tmp_path).customers["segment"].tolist() == ["NA", "null", None]


def test_any_unknown_file_is_a_warning_but_a_readme_is_not(tmp_path, original):
    original.to_dir(tmp_path)
    (tmp_path / "README.md").write_text("about this data\n")
    (tmp_path / "accounts.xlsx").write_bytes(b"\x00")
    with pytest.warns(DataValidationWarning, match="accounts.xlsx"):
        ds = csm_kit.load_dataset(tmp_path)
    assert ds.warnings == ("accounts.xlsx: not a table of the contract, ignored",)


def test_numeric_ids_in_a_database_become_text(tmp_path):
    import duckdb

    with duckdb.connect(str(tmp_path / "cs.db")) as con:
        con.execute("create table customers as select 42 as customer_id, date '2026-01-05' as signup_date")
    ds = csm_kit.load_dataset(tmp_path / "cs.db")
    assert ds.customers["customer_id"].tolist() == ["42"] and ds.transactions is None
