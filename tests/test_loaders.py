"""Each source kind loads the same typed tables; writing and reading back is lossless."""
import datetime as dt
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import csm_kit
from csm_kit.exceptions import DataValidationWarning, MissingTableError
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
    tables["customers"]["crm_team"] = ["ann", "bob", None]
    ds = csm_kit.load_dataset(tables)
    assert list(ds.customers.columns)[-1] == "crm_team" and ds.customers["crm_team"].tolist() == ["ann", "bob", None]
    ds.to_dir(tmp_path)
    # From CSV an extra column is text, and an empty cell is missing, as everywhere.
    assert csm_kit.load_dataset(tmp_path).customers["crm_team"].tolist() == ["ann", "bob", None]


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


# -- any value survives a round trip ---------------------------------------------------------

maybe_text = st.one_of(st.none(), st.text(max_size=12))  # any unicode: commas, quotes, \r, \n, spaces
maybe_money = st.one_of(st.none(), st.floats(min_value=0, max_value=1e15, allow_nan=False))
day = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
instant = st.tuples(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)),
                    st.integers(0, 999))  # plus nanoseconds, which Python's datetime cannot hold


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(maybe_text, maybe_text, maybe_money, day, instant), min_size=1, max_size=6))
def test_any_text_number_and_time_survive_csv_and_parquet(rows):
    n = len(rows)
    ids = [f"{i:03d}" for i in range(n)]  # "000", "001": leading zeros must stay
    ds = csm_kit.load_dataset({
        "customers": pd.DataFrame({
            "customer_id": ids, "signup_date": pd.to_datetime([r[3] for r in rows]),
            "segment": [r[0] for r in rows], "name": [r[1] for r in rows],
            "acquisition_cost": [np.nan if r[2] is None else r[2] for r in rows]}),
        "transactions": pd.DataFrame({
            "transaction_id": ids, "customer_id": ids,
            "date": [pd.Timestamp(r[4][0]) + pd.Timedelta(r[4][1], "ns") for r in rows],
            "amount": [0.1 + 0.2] * n}),
    })
    for fmt in ("csv", "parquet"):
        with tempfile.TemporaryDirectory() as folder:
            ds.to_dir(folder, format=fmt)
            assert_same(ds, csm_kit.load_dataset(folder))


def test_carriage_returns_in_text_survive_csv(tmp_path):
    tables = valid_tables()
    tables["surveys"]["comment"] = ["a\rb", "ends with\r\n", "plain"]
    ds = csm_kit.load_dataset(tables)
    ds.to_dir(tmp_path)
    # Only this file switches to \r\n line ends, so its lone \r is quoted.
    assert (tmp_path / "surveys.csv").read_bytes().count(b"\r\n") == 4 + 1  # 4 records + one inside a comment
    assert b"\r" not in (tmp_path / "customers.csv").read_bytes()
    assert csm_kit.load_dataset(tmp_path).surveys["comment"].tolist() == ["a\rb", "ends with\r\n", "plain"]


def test_whole_numbers_beyond_float_precision_stay_exact(tmp_path):
    tables = valid_tables()
    big = 2**53 + 1  # the first integer a float64 cannot hold
    tables["subscriptions"]["quantity"] = pd.array([big, 20, None], dtype="Int64")
    ds = csm_kit.load_dataset(tables)
    assert ds.subscriptions["quantity"][0] == big
    ds.to_dir(tmp_path, format="parquet")
    assert csm_kit.load_dataset(tmp_path).subscriptions["quantity"][0] == big


def test_a_date_written_with_a_midnight_time_is_a_date(tmp_path):
    tables = valid_tables()
    tables["customers"]["signup_date"] = ["2026-01-05 00:00:00", "2026-02-01T00:00", "2026-02-10"]
    ds = csm_kit.load_dataset(tables)
    assert ds.customers["signup_date"].tolist() == [pd.Timestamp(d) for d in ("2026-01-05", "2026-02-01", "2026-02-10")]


# -- soft problems ---------------------------------------------------------------------------

def test_each_soft_problem_is_one_warning(tmp_path):
    tables = valid_tables()
    tables["customers"].loc[3] = ["c4", pd.Timestamp("2026-03-01"), "smb", "basic", 10.0]  # no subscription
    tables["subscriptions"].loc[2, "end_date"] = tables["subscriptions"].loc[2, "start_date"]
    tables["surveys"].loc[0, "responded_at"] = pd.Timestamp("2026-01-04")  # customer 007 signed up 2026-01-05
    usage = tables["usage_events"]
    tables["usage_events"] = pd.concat([usage, usage.iloc[[1, 1]]], ignore_index=True)  # row 2 three times
    tables["customers"]["Industy"] = "retail"  # misspelt optional column the table lacks
    # Newest ticket: k2, 2026-02-20 09:00 (itself open, but recent). Cut-off 30 days earlier: 2026-01-21 09:00.
    # k3, opened one second before the cut-off, is stale; k4, opened at the cut-off, is not.
    tables["tickets"].loc[2] = ["k3", "c2", pd.Timestamp("2026-01-21T08:59:59"), pd.NaT, pd.NaT, "low", "web", np.nan]
    tables["tickets"].loc[3] = ["k4", "c2", pd.Timestamp("2026-01-21T09:00:00"), pd.NaT, pd.NaT, "low", "web", np.nan]
    csm_kit.Dataset(**tables).to_dir(tmp_path)
    with pytest.warns(DataValidationWarning) as caught:
        ds = csm_kit.load_dataset(tmp_path)
    assert ds.warnings == (
        "customers.Industy: not a contract column (kept as is); did you mean 'industry'?",
        "subscriptions: 1 subscription(s) end the day they start (zero length, no revenue), e.g. ['s3']",
        # two of the three identical rows repeat an earlier one
        "usage_events: 2 row(s) repeat an earlier row exactly (same customer, user, timestamp, event and "
        "quantity); each counts as an event",
        "tickets: 1 ticket(s) still open (no resolved_at) though opened 30+ days before the last ticket, "
        "e.g. ['k3']; resolution not exported?",
        "surveys: 1 response(s) dated before the customer's signup_date",
        "customers: 1 customer(s) have no subscription (never paid, or history missing), e.g. ['c4']",
    )
    assert [str(w.message) for w in caught] == list(ds.warnings)
    assert len(ds.usage_events) == 5  # repeats are kept: nothing is dropped


def test_same_user_and_instant_with_another_event_is_not_a_repeat():
    tables = valid_tables()
    usage = tables["usage_events"]
    other = usage.iloc[[0]].assign(event="export")  # u1 at 09:00 twice, but two different events
    tables["usage_events"] = pd.concat([usage, other], ignore_index=True)
    assert not any("repeat" in w for w in csm_kit.load_dataset(tables).warnings)


# -- sources ---------------------------------------------------------------------------------

def test_a_source_without_any_contract_table(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(MissingTableError, match="No contract table"):
        csm_kit.load_dataset(tmp_path)
    with pytest.raises(MissingTableError):
        csm_kit.load_dataset({})


def test_a_dict_value_must_be_a_dataframe():
    with pytest.raises(TypeError, match=r"source\['customers'\] must be a pandas DataFrame"):
        csm_kit.load_dataset({"customers": [["c1", "2026-01-01"]]})


def test_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "customers.xlsx").write_bytes(b"")
    with pytest.raises(ValueError, match="not a folder or a DuckDB file"):
        csm_kit.load_dataset(tmp_path / "customers.xlsx")


# -- contract terms and owners (issue 12) ----------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_owner_and_commitment_terms_round_trip(tmp_path, fmt):
    from tests.contract_fixtures import valid_tables_with_terms

    ds = csm_kit.load_dataset(valid_tables_with_terms())
    s = ds.subscriptions
    assert str(s["term_months"].dtype) == "Int64" and str(s["commitment_end"].dtype) == "datetime64[ns]"
    assert s["term_months"].tolist() == [pd.NA, 12, 3]
    assert ds.customers["owner"].tolist() == ["ann@example.com", "Bob Smith", None]
    ds.to_dir(tmp_path, format=fmt)
    assert_same(ds, csm_kit.load_dataset(tmp_path))
    if fmt == "csv":
        text = (tmp_path / "subscriptions.csv").read_text()
        assert text.splitlines()[0].endswith(",term_months,commitment_end")
        assert text.splitlines()[2].endswith(",12,2027-02-01")


def test_owner_and_terms_in_a_database(tmp_path):
    from tests.contract_fixtures import valid_tables_with_terms

    ds = csm_kit.load_dataset(valid_tables_with_terms())
    write_duckdb(ds, tmp_path / "cs.duckdb")
    assert_same(ds, csm_kit.load_dataset(tmp_path / "cs.duckdb"))


pad = st.sampled_from(["", " ", "  ", "\t", "\u00a0", " \u00a0"])  # spaces, tabs, no-break spaces


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(pad, pad, st.sampled_from(["smb", "mid market", "enterprise"]), pad, pad),
                min_size=1, max_size=8))
def test_padded_ids_and_labels_load_as_their_stripped_selves(cells):
    n = len(cells)
    ids = [f"C{i}" for i in range(n)]
    customers = pd.DataFrame({"customer_id": [a + i + b for i, (a, b, _, _, _) in zip(ids, cells)],
                              "signup_date": ["2026-01-05"] * n,
                              "segment": [c + s + d for _, _, s, c, d in cells]})
    subscriptions = pd.DataFrame({"subscription_id": [f"s{i}" for i in range(n)], "customer_id": ids,
                                  "plan": ["p"] * n, "start_date": ["2026-01-05"] * n, "end_date": [None] * n,
                                  "billing_period": ["month"] * n, "amount": ["10"] * n})
    ds = csm_kit.load_dataset({"customers": customers, "subscriptions": subscriptions})  # references match
    assert ds.customers["customer_id"].tolist() == ids
    assert ds.customers["segment"].tolist() == [s for _, _, s, _, _ in cells]
    padded = sum(a + b != "" for a, b, _, _, _ in cells), sum(c + d != "" for _, _, _, c, d in cells)
    expected = [f"customers.customer_id: {padded[0]} value(s)"] * bool(padded[0]) + \
        [f"customers.segment: {padded[1]} value(s)"] * bool(padded[1])
    assert [w.split(" had spaces")[0] for w in ds.warnings if "had spaces" in w] == expected


def test_whole_numbers_written_as_text_are_read_exactly_or_refused(tmp_path):
    tables = valid_tables()
    tables["subscriptions"]["quantity"] = pd.array([2**53 + 1, 20, None], dtype="Int64")
    csm_kit.Dataset(**tables).to_dir(tmp_path / "csv", format="csv")
    assert csm_kit.load_dataset(tmp_path / "csv").subscriptions["quantity"][0] == 2**53 + 1  # digits: exact
    path = tmp_path / "csv" / "subscriptions.csv"
    text = path.read_text()
    for written, rule in (("12345678901234567890123", "a whole number too large to hold exactly"),  # beyond int64
                          ("9007199254740993.0", "a whole number too large to hold exactly")):  # a float spelling
        path.write_text(text.replace(str(2**53 + 1), written))
        with pytest.raises(csm_kit.DataValidationError) as err:
            csm_kit.load_dataset(tmp_path / "csv")
        assert (err.value.table, err.value.column, err.value.rule) == ("subscriptions", "quantity", rule)
        assert list(err.value.rows.index) == [2] and err.value.rows["quantity"].tolist() == [written]
    for written in ("9007199254740992.0", "9.007199254740992e15"):  # 2**53: may be 2**53 + 1 rounded
        path.write_text(text.replace(str(2**53 + 1), written))
        with pytest.raises(csm_kit.DataValidationError, match="too large to hold exactly"):
            csm_kit.load_dataset(tmp_path / "csv")
    path.write_text(text.replace(str(2**53 + 1), "9007199254740991.0"))  # below 2**53 a float is exact
    assert csm_kit.load_dataset(tmp_path / "csv").subscriptions["quantity"][0] == 2**53 - 1


def test_duplicate_customers_with_surveys_are_listed_not_a_crash():
    tables = valid_tables()
    tables["customers"] = pd.concat([tables["customers"], tables["customers"].iloc[[0]]], ignore_index=True)
    from csm_kit.io.loaders import validate

    report = validate(tables)
    assert [(e.table, e.column, e.rule) for e in report.errors] == [("customers", "customer_id", "duplicate key")]


def test_a_ragged_file_that_is_not_utf8_always_gives_one_message(tmp_path):
    rows = "".join(f"c{i},2026-01-0{1 + i % 9}\n" for i in range(200_000))
    (tmp_path / "customers.csv").write_bytes(
        ("customer_id,signup_date\n" + rows + "c\xe9,2026-01-01\n" + "c9,2026-01-01,extra\n" * 3).encode("latin-1"))
    rules = set()
    for _ in range(5):
        with pytest.raises(csm_kit.DataValidationError) as err:
            csm_kit.load_dataset(tmp_path)
        rules.add(err.value.rule)
    assert rules == {"text is not UTF-8"}
