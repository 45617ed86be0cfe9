"""Mapping files: a user's own exports (names, values, formats, encodings, missing markers) into the contract."""
import textwrap

import pandas as pd
import pytest

import csm_kit
from csm_kit.exceptions import DataValidationError
from csm_kit.io.loaders import validate
from csm_kit.io.mapping import MappingError, draft_mapping, guess_columns, guess_table, read_mapping

ACCOUNTS = "AccountId,Created,Tier,Owner\nA-1,31/01/2026,Small,Ann\nA-2,01/02/2026,Large,Bob\nA-3,15/02/2026,Mid,NA\n"
BILLING = ("SubId;Account;Plan;Start;End;Interval;Price\n"
           "S1;A-1;Basic;31/01/2026;;Monthly;49\n"
           "S2;A-2;Pro;01/02/2026;31/12/9999;Yearly;12000\n"
           "S3;A-3;Basic;15/02/2026;15/03/2026;Monthly;49\n")
MAPPING = """
customers:
  file: accounts.csv
  columns: {customer_id: AccountId, signup_date: Created, segment: Tier, owner: Owner}
  values: {segment: {Small: smb, Mid: mid_market, Large: enterprise}}
  formats: {signup_date: '%d/%m/%Y'}
  na_values: [NA]
subscriptions:
  file: billing.csv
  delimiter: ';'
  columns: {subscription_id: SubId, customer_id: Account, plan: Plan, start_date: Start, end_date: End,
            billing_period: Interval, amount: Price}
  values: {billing_period: {Monthly: month, Yearly: year}}
  formats: {start_date: '%d/%m/%Y', end_date: '%d/%m/%Y'}
  constants: {currency: USD}
"""


@pytest.fixture
def export(tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "billing.csv").write_text(BILLING)
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    return tmp_path


def load(folder, **kwargs):
    return csm_kit.load_dataset(folder, mapping=folder / "mapping.yaml", **kwargs)


def test_a_mapped_export_loads_as_the_contract_says(export):
    with pytest.warns(csm_kit.exceptions.DataValidationWarning, match="no end"):
        ds = load(export)
    c, s = ds.customers, ds.subscriptions
    assert c["customer_id"].tolist() == ["A-1", "A-2", "A-3"]
    assert c["signup_date"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-15")]
    assert c["segment"].tolist() == ["smb", "enterprise", "mid_market"]
    assert c["owner"].tolist() == ["Ann", "Bob", None]  # R's NA is missing here, because the mapping says so
    assert s["billing_period"].tolist() == ["month", "year", "month"]
    assert s["end_date"].isna().tolist() == [True, True, False]  # 31/12/9999: open-ended
    assert s["end_date"][2] == pd.Timestamp("2026-03-15") and s["amount"].tolist() == [49.0, 12000.0, 49.0]
    assert s["currency"].tolist() == ["USD"] * 3
    assert not any("not a table of the contract" in w for w in ds.warnings)  # mapped files are not strangers


def test_a_dict_mapping_works_like_a_file(export):
    import yaml

    spec = yaml.safe_load(MAPPING)
    a = csm_kit.load_dataset(export, mapping=spec)
    b = load(export)
    assert a.fingerprint == b.fingerprint


def test_errors_name_the_users_file_column_and_row(export):
    (export / "accounts.csv").write_text(ACCOUNTS.replace("01/02/2026", "2026-02-01"))
    with pytest.raises(DataValidationError) as exc:
        load(export)
    err = exc.value
    assert (err.table, err.column) == ("customers", "signup_date")
    assert err.source == "accounts.csv, column 'Created'"
    assert str(err).startswith("customers.signup_date (accounts.csv, column 'Created'): not a valid date in the "
                               "format '%d/%m/%Y'")
    assert list(err.rows.index) == [3] and err.rows["Created"].tolist() == ["2026-02-01"]


def test_errors_after_mapping_show_the_files_own_values(export):
    # "Weekly" is not mapped: it stays "Weekly", which is not a billing period; the rows show the file's text.
    (export / "billing.csv").write_text(BILLING.replace("Pro;01/02/2026;31/12/9999;Yearly", "Pro;01/02/2026;;Weekly"))
    with pytest.raises(DataValidationError) as exc:
        load(export)
    err = exc.value
    assert (err.column, err.rule, err.source) == ("billing_period", "unknown value", "billing.csv, column 'Interval'")
    assert list(err.rows.index) == [3] and err.rows["Interval"].tolist() == ["Weekly"]


def test_a_reference_error_names_the_mapped_column(export):
    (export / "billing.csv").write_text(BILLING.replace("S3;A-3;", "S3;A-9;"))
    with pytest.raises(DataValidationError) as exc:
        load(export)
    assert exc.value.source == "billing.csv, column 'Account'" and list(exc.value.rows.index) == [4]
    assert exc.value.rows["Account"].tolist() == ["A-9"]


def test_every_problem_of_every_mapped_table_at_once(export):
    (export / "accounts.csv").write_text(ACCOUNTS.replace("15/02/2026", "02/2026"))
    (export / "billing.csv").write_text(BILLING.replace(";49\n", ";-49\n", 1))
    report = validate(export, mapping=export / "mapping.yaml")
    assert [(e.table, e.column, e.source) for e in report.errors] == [
        ("customers", "signup_date", "accounts.csv, column 'Created'"),
        ("subscriptions", "amount", "billing.csv, column 'Price'"),
    ]
    assert [list(e.rows.index) for e in report.errors] == [[4], [2]]


def test_latin1_file(tmp_path):
    (tmp_path / "customers.csv").write_bytes("customer_id,signup_date,name\nc1,2026-01-05,Société Générale\n"
                                             .encode("latin-1"))
    with pytest.raises(DataValidationError, match="encoding: latin-1"):
        csm_kit.load_dataset(tmp_path)
    ds = csm_kit.load_dataset(tmp_path, mapping={"customers": {"encoding": "latin-1"}})
    assert ds.customers["name"].tolist() == ["Société Générale"]
    ds = csm_kit.load_dataset(tmp_path, mapping={"defaults": {"encoding": "latin-1"}})
    assert ds.customers["name"].tolist() == ["Société Générale"]


def test_na_values_only_where_the_mapping_says(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date,region\nc1,2026-01-05,NA\nc2,2026-01-06,emea\n")
    assert csm_kit.load_dataset(tmp_path).customers["region"].tolist() == ["NA", "emea"]  # Namibia? text by default
    mapped = csm_kit.load_dataset(tmp_path, mapping={"defaults": {"na_values": "NA"}})
    assert mapped.customers["region"].tolist() == [None, "emea"]


def test_na_values_in_a_required_column_are_empty_values(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,2026-01-05\nc2,NA\n")
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tmp_path, mapping={"customers": {"na_values": ["NA"]}})
    assert exc.value.rule == "required value is empty" and list(exc.value.rows.index) == [3]


def test_constants_for_survey_scales(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,2026-01-05\n")
    (tmp_path / "csat.csv").write_text("id,cust,score,at\nr1,c1,9,2026-02-01T10:00:00\nr2,c1,10,2026-02-02T10:00:00\n")
    mapping = {"surveys": {"file": "csat.csv", "columns": {"response_id": "id", "customer_id": "cust",
                                                           "responded_at": "at"},
                           "constants": {"survey": "csat", "touchpoint": "support", "scale_min": 1, "scale_max": 10}}}
    ds = csm_kit.load_dataset(tmp_path, mapping=mapping)
    assert ds.surveys["score"].tolist() == [9.0, 10.0] and ds.surveys["scale_max"].tolist() == [10.0, 10.0]
    with pytest.raises(DataValidationError, match="score outside its scale"):  # CSAT is 1-5 without the constants
        del mapping["surveys"]["constants"]["scale_max"]
        csm_kit.load_dataset(tmp_path, mapping=mapping)


def test_one_source_column_for_two_contract_columns(tmp_path):
    (tmp_path / "customers.csv").write_text("Id,Since\nc1,2026-01-05\n")
    (tmp_path / "subs.csv").write_text("Id,Since,Price\nc1,2026-01-05,10\n")
    ds = csm_kit.load_dataset(tmp_path, mapping={
        "customers": {"columns": {"customer_id": "Id", "signup_date": "Since"}},
        "subscriptions": {"file": "subs.csv", "columns": {"subscription_id": "Id", "customer_id": "Id",
                                                         "start_date": "Since", "amount": "Price"},
                          "constants": {"plan": "standard", "billing_period": "month", "end_date": ""}}})
    assert ds.subscriptions[["subscription_id", "customer_id"]].iloc[0].tolist() == ["c1", "c1"]


@pytest.mark.parametrize("mapping, message", [
    ({"customer": {}}, "customer: unknown table; did you mean 'customers'?"),
    ({"customers": {"colums": {}}}, "customers.colums: unknown key; did you mean 'columns'?"),
    ({"customers": {"columns": {"customerid": "Id"}}}, "customers.columns.customerid: unknown column; did you mean 'customer_id'?"),
    ({"customers": {"values": {"segment": "smb"}}}, "customers.values.segment must be a mapping"),
    ({"customers": {"formats": {"signup_date": "%m/%Y"}}}, "has no day; a partial date"),
    ({"customers": {"formats": {"segment": "%d/%m/%Y"}}}, "a format is for date and datetime columns"),
    ({"customers": {"encoding": "latin-9000"}}, "unknown encoding 'latin-9000'"),
    ({"customers": {"delimiter": ";;"}}, "delimiter must be one character"),
    ({"customers": {"columns": {"segment": "Tier"}, "constants": {"segment": "smb"}}}, "both a source column and a constant"),
    ({"defaults": {"file": "x.csv"}}, "defaults.file: unknown key"),
    (["customers"], "a mapping is a set of tables"),
])
def test_malformed_mappings_are_refused_naming_the_key(mapping, message):
    with pytest.raises(MappingError) as exc:
        read_mapping(mapping)
    assert message in str(exc.value)


def test_a_yaml_mapping_file_with_an_unknown_key_names_the_file(tmp_path):
    (tmp_path / "m.yaml").write_text("customers:\n  file: a.csv\n  colmns: {customer_id: Id}\n")
    with pytest.raises(MappingError, match=r"^m.yaml: customers.colmns: unknown key"):
        csm_kit.load_dataset(tmp_path, mapping=tmp_path / "m.yaml")


def test_yaml_values_stay_text(tmp_path):
    # YAML 1.1 reads Yes as true and 007 as 7; a mapping reads both as the text in the file.
    (tmp_path / "customers.csv").write_text("customer_id,signup_date,segment\n007,2026-01-05,Yes\n")
    (tmp_path / "m.yaml").write_text("customers:\n  values: {segment: {Yes: smb}, customer_id: {007: c7}}\n")
    ds = csm_kit.load_dataset(tmp_path, mapping=tmp_path / "m.yaml")
    assert ds.customers[["customer_id", "segment"]].iloc[0].tolist() == ["c7", "smb"]


def test_a_mapped_column_missing_from_the_file(export):
    (export / "mapping.yaml").write_text(MAPPING.replace("segment: Tier", "segment: Size"))
    with pytest.raises(DataValidationError) as exc:
        load(export)
    assert exc.value.rule == "a column named in the mapping is not in the file"
    assert "accounts.csv has no segment <- 'Size'" in str(exc.value) and "AccountId" in str(exc.value)


def test_a_mapped_file_that_is_not_there(export):
    (export / "billing.csv").unlink()
    with pytest.raises(DataValidationError, match="billing.csv not found"):
        load(export)


def test_a_file_in_a_mapping_for_a_database_source_is_refused(export):
    with pytest.raises(MappingError, match="files are named only for a folder source"):
        csm_kit.load_dataset({"customers": pd.DataFrame()}, mapping=export / "mapping.yaml")


def test_a_mapping_applies_to_a_dict_of_frames():
    frame = pd.DataFrame({"Id": ["a ", "b"], "Created": ["05.01.2026", "06.01.2026"]})
    ds = csm_kit.load_dataset({"customers": frame}, mapping={
        "customers": {"columns": {"customer_id": "Id", "signup_date": "Created"},
                      "formats": {"signup_date": "%d.%m.%Y"}}})
    assert ds.customers["customer_id"].tolist() == ["a", "b"]
    assert ds.customers["signup_date"].tolist() == [pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-06")]


def test_mapped_parquet_file(tmp_path):
    pd.DataFrame({"AccountId": ["A-1"], "Created": ["2026-01-05"]}).to_parquet(tmp_path / "accounts.parquet")
    ds = csm_kit.load_dataset(tmp_path, mapping={"customers": {"file": "accounts.parquet", "columns": {
        "customer_id": "AccountId", "signup_date": "Created"}}})
    assert ds.customers["customer_id"].tolist() == ["A-1"]


# -- drafting a mapping ----------------------------------------------------------------------

def test_guess_table_from_file_names():
    assert [guess_table(n) for n in ["accounts.csv", "Subscriptions.csv", "orders.csv", "nps_responses.csv",
                                     "zendesk_tickets.csv", "events.parquet", "random.csv"]] == [
        "customers", "subscriptions", "transactions", "surveys", "tickets", "usage_events", None]


def test_guess_columns_exact_synonym_and_near_spelling():
    assert guess_columns("subscriptions", ["SubscriptionID", "AccountId", "Plan Name", "Start Date", "canceled_at",
                                           "Interval", "Amount", "Seats", "Term"]) == {
        "subscription_id": "SubscriptionID", "customer_id": "AccountId", "plan": "Plan Name",
        "start_date": "Start Date", "end_date": "canceled_at", "billing_period": "Interval", "amount": "Amount",
        "quantity": "Seats", "term_months": "Term"}


def test_a_drafted_mapping_loads_after_the_user_fills_in_what_is_missing(export):
    (export / "mapping.yaml").unlink()
    text = draft_mapping(export)
    assert "file: accounts.csv" in text and "customer_id: AccountId" in text and "signup_date: Created" in text
    assert "segment: Tier" in text and "owner: Owner" in text
    assert "delimiter: ;" in text or "delimiter: \";\"" in text
    # billing.csv's name says nothing of subscriptions... but "billing" is a synonym; its Account/SubId are found too
    assert "subscription_id: SubId" in text and "customer_id: Account" in text
    spec = read_mapping_text(text)
    assert set(spec) == {"customers", "subscriptions"}


def read_mapping_text(text):
    import yaml

    return yaml.safe_load(text)


def test_init_mapping_command(export, capsys):
    from csm_kit.cli import main

    assert main(["init-mapping", str(export)]) == 0
    assert "customer_id: AccountId" in capsys.readouterr().out
    out = export / "draft.yaml"
    assert main(["init-mapping", str(export), "--out", str(out)]) == 0 and out.exists()
    assert main(["init-mapping", str(export), "--out", str(out)]) == 1  # never replaces a file


# -- on data not made for the test -----------------------------------------------------------

@pytest.fixture(scope="module")
def simulated():
    from csm_kit.simulator import simulate

    return simulate(n_customers=150, start="2024-03", months=10, seed=11)


def test_any_renamed_export_of_a_simulated_company_loads_back_identically(simulated, tmp_path):
    """Every table written under foreign file and column names (and ';' cells) loads back, through a mapping, as itself."""
    mapping = {}
    for name, df in simulated:
        renamed = {c: f"{c.title().replace('_', ' ')} (src)" for c in df.columns}
        csm_kit.Dataset(**{name: df}).to_dir(tmp_path / "plain")
        frame = pd.read_csv(tmp_path / "plain" / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.rename(columns=renamed).to_csv(tmp_path / f"export_{name}.txt", sep=";", index=False)
        mapping[name] = {"file": f"export_{name}.txt", "delimiter": ";", "columns": {c: s for c, s in renamed.items()
                                                                                     if c in csm_kit.contract.TABLES[name].columns_by_name}}
    (tmp_path / "plain").rename(tmp_path / "elsewhere")  # not part of the mapped folder's files
    ds = csm_kit.load_dataset(tmp_path, mapping=mapping)
    reference = csm_kit.load_dataset(tmp_path / "elsewhere")
    for name, df in reference:
        pd.testing.assert_frame_equal(ds.tables[name], df, obj=name)


def test_a_script_in_every_text_column_stays_inert_text(simulated, tmp_path):
    payload = "<script>alert(1)</script>"
    tables = {name: df.copy() for name, df in simulated}
    for name, df in tables.items():
        for col in csm_kit.contract.TABLES[name].columns:
            referenced = col.name in csm_kit.contract.TABLES[name].key  # milestones.milestone: onboarding points to it
            if col.kind == "text" and col.name in df.columns and not (col.references or col.allowed or referenced):
                df[col.name] = df[col.name].where(df[col.name].isna(), payload + " " + df[col.name].astype(str))
    ds = csm_kit.load_dataset(tables)
    ds.to_dir(tmp_path)
    back = csm_kit.load_dataset(tmp_path)
    assert back.customers["segment"].dropna().str.startswith(payload).all()
    assert validate(tmp_path).ok


def test_an_unreadable_mapped_file_names_the_table_and_the_file(tmp_path):
    (tmp_path / "accounts.csv").write_bytes("Id,Created\nA1,2026-01-05\nA2,Sé\n".encode("latin-1"))
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tmp_path, mapping={"customers": {"file": "accounts.csv", "columns": {
            "customer_id": "Id", "signup_date": "Created"}}})
    assert (exc.value.table, exc.value.rule, exc.value.source) == ("customers", "text is not UTF-8", "accounts.csv")
    assert str(exc.value).startswith("customers (accounts.csv): text is not UTF-8 (first bad byte on line 3")


def test_values_map_numbers_from_a_parquet_file_by_their_text(tmp_path):
    pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": pd.to_datetime(["2026-01-05"] * 3),
                  "segment": [1, 2, 3]}).to_parquet(tmp_path / "customers.parquet")
    ds = csm_kit.load_dataset(tmp_path, mapping={"customers": {"values": {"segment": {"1": "smb", "2": "mid_market"}}}})
    assert ds.customers["segment"].tolist() == ["smb", "mid_market", "3"]  # unmapped values kept, as text


def test_the_report_runners_snapshot_is_used_only_for_the_same_mapping(export, monkeypatch, tmp_path):
    import inspect

    from csm_kit.report import snapshot

    if "mapping" not in inspect.signature(snapshot.write_snapshot).parameters:
        pytest.skip("the report runner's snapshot does not key mappings yet")
    mapping = export / "mapping.yaml"
    ds = load(export)
    marked = csm_kit.Dataset(**{n: df for n, df in ds}, source="the runner's copy", warnings=ds.warnings)
    folder = tmp_path / "private"
    folder.mkdir()
    monkeypatch.setenv(snapshot.ENV, str(snapshot.write_snapshot(marked, export, folder, mapping=mapping)))
    assert csm_kit.load_dataset(export, mapping=mapping).source == "the runner's copy"
    assert csm_kit.load_dataset(export).source == "the runner's copy"  # a notebook asks without the mapping
    other = tmp_path / "other.yaml"
    other.write_text(MAPPING.replace("Small: smb", "Small: mid_market"))
    assert csm_kit.load_dataset(export, mapping=other).source == str(export)  # another mapping: a fresh load


def test_guess_columns_of_a_stripe_subscriptions_export_header():
    # The header of Stripe's dashboard export of subscriptions (times carry a "(UTC)" note).
    header = ("id,Customer ID,Customer Description,Customer Email,Plan,Product,Quantity,Interval,Amount,Status,"
              "Created (UTC),Start (UTC),Current Period Start (UTC),Current Period End (UTC),Trial Start (UTC),"
              "Trial End (UTC),Application Fee Percent,Coupon,Tax Percent,Canceled At (UTC),Cancel At Period End,"
              "Ended At (UTC)").split(",")
    assert guess_columns("subscriptions", header) == {
        "subscription_id": "id", "customer_id": "Customer ID", "plan": "Plan", "start_date": "Start (UTC)",
        "end_date": "Ended At (UTC)", "billing_period": "Interval", "amount": "Amount", "quantity": "Quantity"}


def test_datetime_formats_and_a_time_of_day_in_a_date_column(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,05/01/2026 00:00\nc2,06/01/2026 13:30\n")
    (tmp_path / "tickets.csv").write_text("ticket_id,customer_id,opened_at,first_response_at,resolved_at,priority,"
                                          "channel\nk1,c1,05/01/2026 09:15,05/01/2026 10:00,,high,email\n")
    fmt = "%d/%m/%Y %H:%M"
    mapping = {"customers": {"formats": {"signup_date": fmt}},
               "tickets": {"formats": {"opened_at": fmt, "first_response_at": fmt, "resolved_at": fmt}}}
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tmp_path, mapping=mapping)
    assert (exc.value.column, exc.value.rule) == ("signup_date", "a date column holds a time of day")
    assert list(exc.value.rows.index) == [3] and exc.value.source == "customers.csv"
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\nc1,05/01/2026 00:00\n")
    ds = csm_kit.load_dataset(tmp_path, mapping=mapping)
    assert ds.tickets[["opened_at", "first_response_at"]].iloc[0].tolist() == [
        pd.Timestamp("2026-01-05 09:15"), pd.Timestamp("2026-01-05 10:00")]
    assert ds.tickets["resolved_at"].isna().all()
