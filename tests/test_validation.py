"""One malformed file per rule: each error names the table, column, rule and row numbers."""
import pandas as pd
import pytest

import csm_kit
from csm_kit.exceptions import DataValidationError
from csm_kit.io.validation import DataValidationErrors
from tests.contract_fixtures import valid_dataset, valid_tables


@pytest.fixture
def folder(tmp_path):
    valid_dataset().to_dir(tmp_path)
    return tmp_path


def edit(folder, table, line, old, new):
    """Replace text on one line of <table>.csv (line 1 is the header)."""
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], (lines[line - 1], old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def error(folder) -> DataValidationError:
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(folder)
    return exc.value


def check(err, table, column, rule, rows):
    assert (err.table, err.column) == (table, column)
    assert rule in err.rule
    assert list(err.rows.index) == rows
    text = str(err)
    assert f"{table}.{column}" in text and rule in text


def test_valid_folder_loads(folder):
    assert csm_kit.load_dataset(folder).customers.shape == (3, 5)


def test_missing_required_column(folder):
    (folder / "customers.csv").write_text("customer_id,segment\nc1,smb\n")
    err = error(folder)
    assert (err.table, err.column, err.rule) == ("customers", "signup_date", "required column is missing")


def test_unparseable_date(folder):
    edit(folder, "customers", 3, "2026-02-01", "2026-02-31")
    check(error(folder), "customers", "signup_date", "not a valid date", [3])


def test_unparseable_datetime(folder):
    edit(folder, "tickets", 2, "2026-02-04T09:00:00", "yesterday")
    check(error(folder), "tickets", "opened_at", "not a valid datetime", [2])


def test_date_with_a_time_of_day(folder):
    edit(folder, "subscriptions", 2, "2026-01-05", "2026-01-05T10:00:00")
    check(error(folder), "subscriptions", "start_date", "time of day", [2])


def test_text_in_a_number_column(folder):
    edit(folder, "subscriptions", 4, "49.0", "forty-nine")
    check(error(folder), "subscriptions", "amount", "not a number", [4])


def test_fraction_in_a_whole_number_column(folder):
    edit(folder, "subscriptions", 3, ",20,", ",20.5,")
    check(error(folder), "subscriptions", "quantity", "not a whole number", [3])


@pytest.mark.parametrize("word", ["maybe", "yes", "t"])
def test_bad_boolean(folder, word):
    # Only true/false/1/0 are booleans; "yes" is refused, not guessed at.
    edit(folder, "milestones", 4, "false,false", f"{word},false")
    check(error(folder), "milestones", "required", "not true/false", [4])


def test_booleans_may_be_written_one_and_zero(folder):
    edit(folder, "milestones", 4, "false,false", "0,0")
    edit(folder, "milestones", 2, "true,false", "1,FALSE")
    assert csm_kit.load_dataset(folder).milestones["required"].tolist() == [True, True, False]


def test_negative_amount(folder):
    edit(folder, "transactions", 3, "1500.25", "-1500.25")
    check(error(folder), "transactions", "amount", "below the minimum 0", [3])


def test_discount_above_one(folder):
    edit(folder, "subscriptions", 3, "0.15", "15")
    check(error(folder), "subscriptions", "discount", "above the maximum 1", [3])


# The first survey comment holds a line break, so later records sit one physical line lower:
# rows are numbered as a spreadsheet shows them (record number, header = 1).
@pytest.mark.parametrize("line, old, new, row", [(2, "9.0", "11.0", 2), (4, "4.0", "0.0", 3), (5, "6.0", "8.0", 4)])
def test_out_of_range_scores(folder, line, old, new, row):
    edit(folder, "surveys", line, old, new)  # NPS 0-10, CSAT 1-5, CES 1-7
    check(error(folder), "surveys", "score", "outside its scale", [row])


def test_a_row_may_state_its_own_scale(folder):
    path = folder / "surveys.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[1, "score"], df["scale_min"], df["scale_max"] = "9", "", ""
    df.loc[1, "scale_min"], df.loc[1, "scale_max"] = "1", "10"
    df.to_csv(path, index=False)
    assert csm_kit.load_dataset(folder).surveys["score"].tolist() == [9.0, 9.0, 6.0]


def test_unknown_billing_period(folder):
    edit(folder, "subscriptions", 3, ",year,", ",yearly,")
    check(error(folder), "subscriptions", "billing_period", "unknown value", [3])


def test_surveys_row_numbers_count_records_not_physical_lines(folder):
    edit(folder, "surveys", 5, ",c2,ces,", ",c9,ces,")
    check(error(folder), "surveys", "customer_id", "not found in customers.customer_id", [4])


def test_unknown_survey_type(folder):
    edit(folder, "surveys", 2, ",nps,", ",net_promoter,")
    check(error(folder), "surveys", "survey", "unknown value", [2])


def test_duplicate_key(folder):
    edit(folder, "tickets", 3, "k2", "k1")
    check(error(folder), "tickets", "ticket_id", "duplicate key", [2, 3])


def test_duplicate_composite_key(folder):
    edit(folder, "onboarding", 3, "data_connected", "account_created")
    err = error(folder)
    assert (err.table, err.column, err.rule) == ("onboarding", "customer_id, milestone", "duplicate key")
    assert list(err.rows.index) == [2, 3]


def test_subscription_ending_before_it_starts(folder):
    edit(folder, "subscriptions", 4, "2026-03-10", "2026-01-10")
    check(error(folder), "subscriptions", "end_date", "ends before it starts", [4])


def test_ticket_answered_before_it_was_opened(folder):
    edit(folder, "tickets", 2, "2026-02-04T10:00:00", "2026-02-03T10:00:00")
    check(error(folder), "tickets", "first_response_at", "before the ticket was opened", [2])


def test_ticket_resolved_before_it_was_opened(folder):
    edit(folder, "tickets", 2, "2026-02-05T09:00:00", "2026-02-04T08:59:59")
    check(error(folder), "tickets", "resolved_at", "before the ticket was opened", [2])


def test_survey_about_an_unknown_ticket(folder):
    # r3 is the third record: spreadsheet row 4 (physical line 5, after the comment's line break).
    edit(folder, "surveys", 5, "Ünïcode ok,k1,", "Ünïcode ok,k7,")
    check(error(folder), "surveys", "ticket_id", "not found in tickets.ticket_id", [4])


def test_survey_answering_an_unknown_send(folder):
    edit(folder, "surveys", 3, 'thanks",,e1', 'thanks",,e9')
    check(error(folder), "surveys", "send_id", "not found in survey_sends.send_id", [2])


def test_references_are_checked_only_against_loaded_tables(folder):
    edit(folder, "surveys", 5, "Ünïcode ok,k1,", "Ünïcode ok,k7,")
    ds = csm_kit.load_dataset(folder, tables=["customers", "surveys"])  # tickets not loaded: k7 unchecked
    assert ds.surveys["ticket_id"].tolist() == [None, "k1", "k7"]


def test_customer_not_in_customers(folder):
    edit(folder, "usage_events", 4, "c2,u2", "c9,u2")
    check(error(folder), "usage_events", "customer_id", "not found in customers.customer_id", [4])


def test_milestone_not_in_the_plan(folder):
    edit(folder, "onboarding", 4, "account_created", "kickoff")
    check(error(folder), "onboarding", "milestone", "not found in milestones.milestone", [4])


def test_required_value_empty(folder):
    edit(folder, "customers", 2, "007,", ",")
    check(error(folder), "customers", "customer_id", "required value is empty", [2])


def test_empty_value_in_a_non_nullable_column_of_a_frame():
    tables = valid_tables()
    tables["subscriptions"].loc[1, "plan"] = None  # second row -> row 2 of a DataFrame
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tables)
    check(exc.value, "subscriptions", "plan", "required value is empty", [2])


def test_text_in_a_number_column_of_a_parquet_file(tmp_path):
    tables = valid_tables()
    tables["tickets"]["csat"] = ["4", "four"]
    csm_kit.Dataset(**tables).to_dir(tmp_path, format="parquet")
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tmp_path)
    check(exc.value, "tickets", "csat", "not a number", [2])  # Parquet rows count from 1


def test_ticket_csat_outside_one_to_five(folder):
    edit(folder, "tickets", 2, ",email,4.0", ",email,6.0")
    check(error(folder), "tickets", "csat", "above the maximum 5", [2])


def test_exactly_one_first_value_milestone(folder):
    edit(folder, "milestones", 4, "false,false", "false,true")
    err = error(folder)
    assert err.column == "first_value" and "exactly one" in err.rule and list(err.rows.index) == [3, 4]


def test_empty_parquet_file(tmp_path):
    valid_dataset().to_dir(tmp_path, format="parquet")
    (tmp_path / "tickets.parquet").write_bytes(b"")
    err = error(tmp_path)
    assert (err.table, err.rule) == ("tickets", "the file is empty")


def test_empty_file(folder):
    (folder / "tickets.csv").write_text("")
    err = error(folder)
    assert (err.table, err.rule) == ("tickets", "the file is empty")


def test_header_only_file(folder):
    (folder / "tickets.csv").write_text("ticket_id,customer_id,opened_at,first_response_at,resolved_at,priority,channel\n")
    err = error(folder)
    assert err.table == "tickets" and "no data rows" in err.rule


def test_non_utf8_text(folder):
    path = folder / "surveys.csv"
    data = path.read_bytes().replace("Ünïcode".encode("utf-8"), "Ünïcode".encode("latin-1"))
    path.write_bytes(data)
    err = error(folder)
    assert err.table == "surveys" and err.rule == "text is not UTF-8" and "line 5" in err.detail


def test_two_files_for_one_table(folder):
    valid_dataset().to_dir(folder, format="parquet")
    err = error(folder)
    assert err.rule == "two files for one table"


def test_rows_from_frames_are_numbered_from_one():
    tables = {"customers": pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": ["2026-01-01", "x", "y"]})}
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tables)
    assert list(exc.value.rows.index) == [2, 3]


def test_a_row_with_too_many_cells(folder):
    # Record 3 of surveys (spreadsheet row 4) sits on physical line 5, after the comment's line break.
    edit(folder, "surveys", 5, "Ünïcode ok", "Ünïcode, ok")
    err = error(folder)
    assert (err.table, err.column, err.rule) == ("surveys", None, "a row has the wrong number of cells")
    assert list(err.rows.index) == [4] and err.rows["cells"].tolist() == [10] and "header has 9" in err.detail


def test_a_column_named_twice(folder):
    edit(folder, "customers", 1, "segment", "plan")
    err = error(folder)
    assert (err.table, err.column, err.rule) == ("customers", "plan", "column appears twice")


def test_strict_false_reports_every_broken_rule_at_once(folder):
    edit(folder, "customers", 3, "2026-02-01", "2026-02-31")
    edit(folder, "subscriptions", 3, ",year,", ",yearly,")
    edit(folder, "subscriptions", 4, "49.0", "-49.0")
    edit(folder, "tickets", 3, "k2", "k1")
    with pytest.raises(DataValidationErrors) as exc:
        csm_kit.load_dataset(folder, strict=False)
    found = [(e.table, e.column, e.rule, list(e.rows.index)) for e in exc.value.errors]
    assert found == [
        ("customers", "signup_date", "not a valid date", [3]),
        ("subscriptions", "billing_period", "unknown value", [3]),
        ("subscriptions", "amount", "value below the minimum 0", [4]),
        ("tickets", "ticket_id", "duplicate key", [2, 3]),
    ]
    assert str(exc.value).startswith("4 broken rules:") and "tickets.ticket_id: duplicate key" in str(exc.value)
    # The default stops at the first.
    assert (error(folder).table, error(folder).column) == ("customers", "signup_date")


def test_strict_false_also_collects_unreadable_files_and_missing_references(folder):
    (folder / "tickets.csv").write_text("")
    edit(folder, "usage_events", 4, "c2,u2", "c9,u2")
    with pytest.raises(DataValidationErrors) as exc:
        csm_kit.load_dataset(folder, strict=False)
    assert [(e.table, e.column, e.rule) for e in exc.value.errors] == [
        ("tickets", None, "the file is empty"),
        ("usage_events", "customer_id", "not found in customers.customer_id"),
    ]


def test_strict_false_with_one_broken_rule_raises_just_that_error(folder):
    edit(folder, "transactions", 3, "1500.25", "-1500.25")
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(folder, strict=False)
    assert type(exc.value) is DataValidationError and exc.value.column == "amount"


def test_strict_false_on_valid_data_loads_the_same(folder):
    assert csm_kit.load_dataset(folder, strict=False).fingerprint == csm_kit.load_dataset(folder).fingerprint


# -- real exports: the awkward things billing and CRM exports do -------------------------------

def test_spaces_around_ids_and_labels_are_removed_with_a_warning(folder):
    edit(folder, "customers", 3, "c2,", "c2 ,")            # "c2 " next to "c2" in subscriptions
    edit(folder, "customers", 4, "c3,2026-02-10,", "c3,2026-02-10,smb ")  # "smb " next to "smb" (row 2)
    edit(folder, "subscriptions", 2, "s1,007,", " s1,007,")
    with pytest.warns(csm_kit.exceptions.DataValidationWarning):
        ds = csm_kit.load_dataset(folder)
    assert ds.customers["customer_id"].tolist() == ["007", "c2", "c3"]
    assert ds.customers["segment"].tolist() == ["smb", "enterprise", "smb"]  # one segment, not two
    assert ds.subscriptions["subscription_id"].tolist() == ["s1", "s2", "s3"]
    assert ds.warnings[:3] == (
        "customers.customer_id: 1 value(s) had spaces around them, removed (so 'x ' and 'x' are one customer_id), "
        "e.g. 'c2 ' (row 3)",
        "customers.segment: 1 value(s) had spaces around them, removed (so 'x ' and 'x' are one segment), "
        "e.g. 'smb ' (row 4)",
        "subscriptions.subscription_id: 1 value(s) had spaces around them, removed (so 'x ' and 'x' are one "
        "subscription_id), e.g. ' s1' (row 2)",
    )


def test_an_id_with_and_without_spaces_is_one_account_hence_a_duplicate(folder):
    path = folder / "customers.csv"
    path.write_text(path.read_text() + "c2\u00a0,2026-03-01,smb,basic,\n")  # a no-break space, as Excel exports
    err = error(folder)
    assert (err.table, err.column, err.rule) == ("customers", "customer_id", "duplicate key")
    assert list(err.rows.index) == [3, 5]


def test_free_text_keeps_its_spaces(folder):
    edit(folder, "surveys", 5, "Ünïcode ok", " Ünïcode ok ")
    assert csm_kit.load_dataset(folder).surveys["comment"][2] == " Ünïcode ok "


@pytest.mark.parametrize("value", ["2024-05", "2024", "2024-5"])
def test_a_partial_date_is_refused_not_read_as_the_first_day(folder, value):
    edit(folder, "customers", 3, "2026-02-01", value)
    err = error(folder)
    check(err, "customers", "signup_date", "a partial date (year or month only)", [3])
    assert err.rows["signup_date"].tolist() == [value]


def test_a_partial_datetime_is_refused(folder):
    edit(folder, "tickets", 3, "2026-02-20T09:00:00", "2026-02")
    check(error(folder), "tickets", "opened_at", "a partial date", [3])


def test_far_future_end_dates_are_open_ended_with_a_warning(folder):
    edit(folder, "subscriptions", 4, "2026-03-10", "9999-12-31")
    edit(folder, "subscriptions", 2, ",,month,", ",2999-01-01,month,")
    edit(folder, "tickets", 2, "2026-02-05T09:00:00", "9999-12-31T23:59:59")
    with pytest.warns(csm_kit.exceptions.DataValidationWarning, match="no end"):
        ds = csm_kit.load_dataset(folder)
    assert ds.subscriptions["end_date"].isna().all() and ds.tickets["resolved_at"].isna().all()
    assert ("subscriptions.end_date: 2 row(s) hold a date after 2262-04-11 (2999-01-01, 9999-12-31), the usual "
            "'no end' placeholder of exports: read as empty (open-ended)") in ds.warnings
    assert any(w.startswith("tickets.resolved_at: 1 row(s) hold a date after 2262-04-11") for w in ds.warnings)


def test_a_far_future_date_where_a_real_date_is_needed_says_so(folder):
    edit(folder, "customers", 3, "2026-02-01", "9999-12-31")
    err = error(folder)
    check(err, "customers", "signup_date", "a date after 2262-04-11", [3])
    assert "placeholder" in str(err) and "YYYY-MM-DD" not in str(err)


def test_far_future_end_dates_from_parquet_and_frames():
    import datetime as dt

    tables = valid_tables()
    tables["subscriptions"]["end_date"] = [None, dt.date(9999, 12, 31), "9999-12-31"]
    ds = csm_kit.load_dataset(tables)
    assert ds.subscriptions["end_date"].isna().all()


def test_an_impossible_far_future_day_is_still_not_a_date(folder):
    edit(folder, "subscriptions", 4, "2026-03-10", "9999-02-30")
    check(error(folder), "subscriptions", "end_date", "not a valid date", [4])


def test_rows_after_blank_lines_are_numbered_as_a_spreadsheet_shows_them(folder):
    path = folder / "customers.csv"
    lines = path.read_text().split("\n")  # header, 007, c2, c3, ""
    path.write_text("\n".join([lines[0], "", lines[1], "", "", lines[2], lines[3].replace("2026-02-10", "x")]) + "\n")
    # header = row 1, blank row 2, 007 row 3, blank rows 4-5, c2 row 6, c3 row 7
    check(error(folder), "customers", "signup_date", "not a valid date", [7])


def test_a_blank_line_inside_a_quoted_cell_is_not_a_row(folder):
    edit(folder, "surveys", 2, '"Great, ', '"\n\nGreat, ')
    edit(folder, "surveys", 7, ",c2,ces,", ",c9,ces,")  # record 3: spreadsheet row 4
    check(error(folder), "surveys", "customer_id", "not found in customers.customer_id", [4])


def test_a_ragged_row_after_a_blank_line_names_its_spreadsheet_row(folder):
    path = folder / "customers.csv"
    lines = path.read_text().split("\n")
    path.write_text("\n".join([lines[0], lines[1], "", lines[2] + ",extra", lines[3]]) + "\n")
    err = error(folder)
    assert err.rule == "a row has the wrong number of cells"
    assert list(err.rows.index) == [4]  # header 1, 007 2, blank 3, c2 4


@pytest.mark.parametrize("survey, line, old, new", [("nps", 2, "9.0", "9.5"), ("csat", 4, "4.0", "4.5")])
def test_a_fractional_survey_score_is_refused(folder, survey, line, old, new):
    edit(folder, "surveys", line, old, new)
    err = error(folder)
    check(err, "surveys", "score", "score is not a whole number", [2 if survey == "nps" else 3])
    assert "9.5 is an average" in str(err)


def test_an_amount_beyond_the_bound_is_refused_not_a_negative_mrr(folder):
    edit(folder, "subscriptions", 3, "12000.0", "4111111111111111")
    check(error(folder), "subscriptions", "amount", "value above the maximum 1e+12", [3])


def test_total_mrr_beyond_what_the_ledger_adds_exactly_is_refused():
    tables = valid_tables()
    subs = tables["subscriptions"]
    # 3 monthly subscriptions of 9e11 and 2 yearly of 9.6e11 (MRR 8e10 each): 2.7e12 + 1.6e11; then 8 more monthly.
    many = pd.concat([subs.iloc[[0]].assign(subscription_id=f"x{i}", amount=9e11) for i in range(11)],
                     ignore_index=True)  # 11 x 9e11 = 9.9e12 > 9e12
    tables["subscriptions"] = pd.concat([subs, many], ignore_index=True)
    with pytest.raises(DataValidationError) as exc:
        csm_kit.load_dataset(tables)
    err = exc.value
    assert (err.column, err.rule) == ("amount", "total MRR above 9e+12, more than the kit can add exactly")
    assert len(err.rows) == 5 and (err.rows["amount"] == 9e11).all()
    tables["subscriptions"] = pd.concat([subs, many.iloc[:9]], ignore_index=True)  # 8.1e12 + a little: fine
    assert len(csm_kit.load_dataset(tables).subscriptions) == 12


def test_a_cell_over_two_megabytes_loads(folder):
    long = "word " * 500_000  # 2.5 MB, more than Arrow's 1 MB read block
    edit(folder, "surveys", 5, "Ünïcode ok", long.strip())
    assert csm_kit.load_dataset(folder).surveys["comment"][2] == long.strip()


def test_every_new_rule_is_reported_in_one_pass(folder):
    edit(folder, "customers", 3, "2026-02-01", "2026-02")
    edit(folder, "subscriptions", 3, "12000.0", "4111111111111111")
    edit(folder, "surveys", 2, "9.0", "9.5")
    report = csm_kit.io.loaders.validate(folder)
    assert [(e.table, e.column, e.rule.split(" (")[0]) for e in report.errors] == [
        ("customers", "signup_date", "a partial date"),
        ("subscriptions", "amount", "value above the maximum 1e+12"),
        ("surveys", "score", "score is not a whole number"),
    ]
    assert not report.ok and report.dataset is None


# -- contract terms and owners ---------------------------------------------------------------

@pytest.fixture
def terms_folder(tmp_path):
    from tests.contract_fixtures import valid_tables_with_terms

    csm_kit.Dataset(**valid_tables_with_terms()).to_dir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("new, rule", [("0", "value below the minimum 1"), ("1.5", "not a whole number"),
                                       ("twelve", "not a number")])
def test_term_months_is_a_whole_number_of_one_or_more(terms_folder, new, rule):
    edit(terms_folder, "subscriptions", 3, ",12,2027-02-01", f",{new},2027-02-01")
    check(error(terms_folder), "subscriptions", "term_months", rule, [3])


def test_commitment_ending_before_the_start_is_refused(terms_folder):
    edit(terms_folder, "subscriptions", 4, ",3,2026-05-10", ",3,2026-02-09")  # s3 starts 2026-02-10
    err = error(terms_folder)
    check(err, "subscriptions", "commitment_end", "commitment ends before it starts", [4])
    assert err.rows.columns.tolist() == ["subscription_id", "start_date", "commitment_end"]


def test_commitment_end_may_be_a_no_end_placeholder_or_partial_refused(terms_folder):
    edit(terms_folder, "subscriptions", 4, ",3,2026-05-10", ",3,9999-12-31")
    assert csm_kit.load_dataset(terms_folder).subscriptions["commitment_end"].isna().tolist() == [True, False, True]
    edit(terms_folder, "subscriptions", 3, ",12,2027-02-01", ",12,2027-02")
    check(error(terms_folder), "subscriptions", "commitment_end", "a partial date", [3])


def test_owner_is_a_label(terms_folder):
    edit(terms_folder, "customers", 3, "Bob Smith", " Bob Smith ")
    assert csm_kit.load_dataset(terms_folder).customers["owner"].tolist() == ["ann@example.com", "Bob Smith", None]


def test_far_future_placeholders_from_parquet_timestamps_and_duckdb(tmp_path):
    import datetime as dt

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    day = lambda *d: pa.array(list(d), pa.timestamp("ms"))  # noqa: E731  (ms timestamps can hold year 9999)
    pq.write_table(pa.table({"customer_id": ["c1"], "signup_date": day(dt.datetime(2026, 1, 5))}),
                   tmp_path / "customers.parquet")
    pq.write_table(pa.table({"subscription_id": ["s1", "s2"], "customer_id": ["c1", "c1"], "plan": ["p", "p"],
                             "start_date": day(dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 5)),
                             "end_date": day(dt.datetime(9999, 12, 31), dt.datetime(2026, 3, 1)),
                             "billing_period": ["month", "month"], "amount": [1.0, 2.0]}),
                   tmp_path / "subscriptions.parquet")
    ds = csm_kit.load_dataset(tmp_path)
    assert ds.subscriptions["end_date"].tolist() == [pd.NaT, pd.Timestamp("2026-03-01")]
    with duckdb.connect(str(tmp_path / "cs.duckdb")) as con:
        con.execute("create table customers as select 'c1' as customer_id, date '9999-12-31' as signup_date")
    err = error(tmp_path / "cs.duckdb")
    assert (err.column, err.rule) == ("signup_date", "a date after 2262-04-11, the last day the kit can hold")


def test_a_header_with_spaces_or_capitals_is_named_as_the_missing_column(folder):
    edit(folder, "customers", 1, "signup_date", "Signup_Date ")
    err = error(folder)
    assert (err.column, err.rule) == ("signup_date", "required column is missing")
    assert "'Signup_Date ' looks like 'signup_date'" in err.detail
