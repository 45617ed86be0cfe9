"""The engine's validation (rules as DuckDB queries) against load_dataset (the pandas path).

The differential tests write hostile inputs as CSV and as Parquet and compare
both paths: the same accept/refuse decision, the same errors (table, column,
rule, detail, row numbers, shown values) with ``strict=False``, the same first
error with ``strict=True``, the same warnings, and for accepted data the same
typed values.
"""
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import csm_kit
from csm_kit import Dataset
from csm_kit.contract import TABLES
from csm_kit.engine.validation import validated_tables
from csm_kit.exceptions import DataValidationError, DataValidationWarning
from csm_kit.io.validation import DataValidationErrors
from tests.contract_fixtures import valid_tables
from tests.hostile import hostile_dataset


def _run(fn):
    """(errors or None, warnings, result) of one path, strict=False."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        try:
            result = fn()
        except DataValidationError as exc:
            errors = exc.errors if isinstance(exc, DataValidationErrors) else (exc,)
            return errors, tuple(getattr(exc, "warnings", ())), None
        except Exception as exc:  # a failure of load_dataset itself: the SQL path must fail alike
            return ("crash", type(exc), str(exc)), (), None
    return None, tuple(result.warnings), result


def _facts(err):
    rows = err.rows
    shown = None if rows is None else (list(rows.index), list(rows.columns), [[str(v) for v in r] for r in rows.itertuples(index=False)],
                                       [str(t) for t in rows.dtypes])
    return err.table, err.column, err.rule, err.detail, shown, str(err)


def _values(s: pd.Series, kind: str) -> list:
    if kind in ("date", "datetime"):
        return [None if pd.isna(v) else pd.Timestamp(v).value for v in s]
    if kind == "float":
        return [None if pd.isna(v) else float(v) for v in s]
    if kind == "int":
        return [None if pd.isna(v) else int(v) for v in s]
    if kind == "bool":
        return [bool(v) for v in s]
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in s]


def compare(source, tables=None, strict=True):
    """Both paths on ``source``: assert they agree; return load_dataset's errors (None when it loads)."""
    p_errors, p_warnings, ds = _run(lambda: csm_kit.load_dataset(source, tables=tables, strict=False))
    s_errors, s_warnings, checked = _run(lambda: validated_tables(source, tables=tables, strict=False))
    assert (p_errors is None) == (s_errors is None), (p_errors, s_errors)
    if p_errors is not None and p_errors[0] == "crash":
        assert s_errors == p_errors
        return p_errors, None
    if p_errors is not None:
        assert [_facts(e) for e in s_errors] == [_facts(e) for e in p_errors]
    if p_errors is not None and strict:
        # strict: the same first error
        with pytest.raises(DataValidationError) as p_first, warnings.catch_warnings():
            warnings.simplefilter("ignore", DataValidationWarning)
            csm_kit.load_dataset(source, tables=tables)
        with pytest.raises(DataValidationError) as s_first, warnings.catch_warnings():
            warnings.simplefilter("ignore", DataValidationWarning)
            validated_tables(source, tables=tables)
        assert str(s_first.value) == str(p_first.value)
    assert s_warnings == p_warnings
    if ds is not None:
        assert sorted(checked.views) == sorted(name for name, _ in ds)
        for name, frame in ds:
            view = checked.con.execute(f"SELECT * FROM {checked.views[name]}").df()
            columns = [c.name for c in TABLES[name].columns if c.name in frame.columns]
            assert list(view.columns) == columns
            assert checked.rows[name] == len(frame)
            for c in columns:
                kind = TABLES[name][c].kind
                assert _values(view[c], kind) == _values(frame[c], kind), (name, c)
    return p_errors, checked


def _text_frames(ds: Dataset, folder) -> dict:
    """Every table as the text cells of its CSV file ('' = empty cell)."""
    path = ds.to_dir(folder, format="csv")
    return {name: pd.read_csv(path / f"{name}.csv", dtype=str, keep_default_na=False) for name, _ in ds}


def _write(frames: dict, folder, fmt: str):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        else:
            table = pa.table({c: pa.array(frame[c].replace({"": None}), pa.string()) for c in frame.columns})
            pq.write_table(table, folder / f"{name}.parquet")
    return folder


@pytest.fixture(scope="module")
def text_frames(tmp_path_factory):
    return _text_frames(Dataset(**valid_tables()), tmp_path_factory.mktemp("valid"))


DATES = ["2026-1-5", "2026-01-05T10:00:00Z", "2026-01-05 10:00:00+02:00", "20260105", " 2026-01-05 ",
         "2026-01-05T00:00:00", "2026-01-05 00:00:00.000", "2026-02-30", "2026-13-01", "9999-12-31",
         "9999-02-30", "2262-04-11", "2262-04-12", "1600-01-01", "2026-01-05T24:00:00", "2026-01-05T10:00",
         "2026", "2026-05", "05/01/2026", "", "  ", "NaT", "2026-01-05T10:00:00.1234567",
         "2026-01-05T10:00:00.5", "١٢", "2026-01-05\u00a0", "2026-W02-1"]
NUMBERS = ["1e3", "0x10", "NaN", "nan", "inf", "-inf", "1,000", "-0", "١٢", " 12 ", "+5", ".5", "5.", "007",
           "1_000", "12345678901234567890123", "9007199254740993", "9007199254740992.0", "9007199254740991.0",
           "123456789012345678", "0.1", "-5", "1.5", "", "abc", "1e400", "2.0", "0.30000000000000004"]
TEXTS = [" c2", "c2 ", "\tc2", "c2\u00a0", "\u3000c2", "", " ", "cé", "é", "x\x1fy", "\x1c", "<script>alert(1)</script>"]
BOOLS = ["TRUE", "yes", "1", "0", " true ", "t", "", "False"]
CELLS = ([("customers", "signup_date", 1, v) for v in DATES] + [("subscriptions", "end_date", 0, v) for v in DATES]
         + [("usage_events", "timestamp", 2, v) for v in DATES] + [("tickets", "resolved_at", 0, v) for v in DATES[:12]]
         + [("subscriptions", "amount", 1, v) for v in NUMBERS] + [("subscriptions", "quantity", 0, v) for v in NUMBERS]
         + [("surveys", "score", 0, v) for v in NUMBERS[:14]] + [("milestones", "order", 2, v) for v in NUMBERS[:12]]
         + [("customers", "segment", 0, v) for v in TEXTS] + [("subscriptions", "customer_id", 1, v) for v in TEXTS]
         + [("usage_events", "event", 0, v) for v in TEXTS] + [("surveys", "comment", 1, v) for v in TEXTS]
         + [("milestones", "first_value", 1, v) for v in BOOLS] + [("milestones", "required", 0, v) for v in BOOLS])


#: Parquet with text columns is read like CSV once in DuckDB: a sample of the cells is enough there.
FORMATS = [(*cell, "csv") for cell in CELLS] + [(*cell, "parquet") for cell in CELLS[::3]]


@pytest.mark.parametrize("table, column, row, value, fmt", FORMATS)
def test_one_odd_cell_as_text(text_frames, tmp_path, fmt, table, column, row, value):
    frames = {k: v.copy() for k, v in text_frames.items()}
    frames[table].loc[row, column] = value
    tables = list(dict.fromkeys(["customers", table]))  # the table and the one its ids refer to
    compare(_write({t: frames[t] for t in tables}, tmp_path / "data", fmt), strict=False)


def test_placeholders_spaces_and_every_warning(text_frames, tmp_path):
    frames = {k: v.copy() for k, v in text_frames.items()}
    frames["subscriptions"].loc[[0, 1], "end_date"] = ["9999-12-31", "3000-01-01"]
    frames["subscriptions"].loc[2, "end_date"] = frames["subscriptions"].loc[2, "start_date"]  # zero length
    frames["customers"].loc[0, "segment"] = "smb "
    frames["customers"]["acquisiton_channel"] = "paid"  # a misspelt column
    frames["customers"] = pd.concat([frames["customers"], frames["customers"].iloc[[2]].assign(customer_id="c4")])
    frames["usage_events"] = pd.concat([frames["usage_events"], frames["usage_events"].iloc[[0, 0]]])  # repeats
    frames["surveys"].loc[0, "responded_at"] = "2025-01-01T00:00:00"  # before signup
    frames["tickets"].loc[1, "opened_at"] = "2026-06-01T00:00:00"
    frames["tickets"].loc[0, ["first_response_at", "resolved_at"]] = ""  # k1 open for months: stale
    for fmt, row in (("csv", 2), ("parquet", 1)):
        folder = _write(frames, tmp_path / fmt, fmt)
        (folder / "notes.txt").write_text("x")
        errors, checked = compare(folder)
        assert errors is None and checked.by_pandas == ()
        assert checked.warnings == (
            "notes.txt: not a table of the contract, ignored",
            f"customers.segment: 1 value(s) had spaces around them, removed (so 'x ' and 'x' are one segment), "
            f"e.g. 'smb ' (row {row})",
            "customers.acquisiton_channel: not a contract column (kept as is); did you mean 'acquisition_channel'?",
            "subscriptions.end_date: 2 row(s) hold a date after 2262-04-11 (3000-01-01, 9999-12-31), the usual "
            "'no end' placeholder of exports: read as empty (open-ended)",
            "subscriptions: 1 subscription(s) end the day they start (zero length, no revenue), e.g. ['s3']",
            "usage_events: 2 row(s) repeat an earlier row exactly (same customer, user, timestamp, event and "
            "quantity); each counts as an event",
            "tickets: 1 ticket(s) still open (no resolved_at) though opened 30+ days before the last ticket, "
            "e.g. ['k1']; resolution not exported?",
            "surveys: 1 response(s) dated before the customer's signup_date",
            "customers: 1 customer(s) have no subscription (never paid, or history missing), e.g. ['c4']")
        end_dates = checked.con.execute(f"SELECT end_date FROM {checked.views['subscriptions']}").fetchall()
        assert end_dates == [(None,), (None,), (pd.Timestamp("2026-02-10").to_pydatetime(),)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("case", ["duplicate", "composite", "before", "reference", "min", "max", "allowed",
                                  "first_value_none", "first_value_two", "scale", "whole_score", "total_mrr",
                                  "ticket_before", "onboarding_reference", "many", "empty_required", "missing_column"])
def test_rule_breaks(text_frames, tmp_path, fmt, case):
    f = {k: v.copy() for k, v in text_frames.items()}
    if case == "duplicate":
        f["subscriptions"].loc[2, "subscription_id"] = "s1"
    elif case == "composite":
        f["onboarding"].loc[1, "milestone"] = "account_created"
    elif case == "before":
        f["subscriptions"].loc[2, "end_date"] = "2026-01-01"
    elif case == "reference":
        f["usage_events"].loc[[0, 2], "customer_id"] = "nobody"
    elif case == "min":
        f["subscriptions"].loc[1, "amount"] = "-5"
    elif case == "max":
        f["subscriptions"].loc[[0, 2], "discount"] = "1.5"
    elif case == "allowed":
        f["subscriptions"].loc[0, "billing_period"] = "fortnight"
    elif case == "first_value_none":
        f["milestones"]["first_value"] = "false"
    elif case == "first_value_two":
        f["milestones"]["first_value"] = ["true", "true", "false"]
    elif case == "scale":
        f["surveys"].loc[0, "score"] = "11"
    elif case == "whole_score":
        f["surveys"].loc[1, "score"] = "4.5"
    elif case == "total_mrr":
        f["subscriptions"]["amount"] = ["1e12", "999999999999", "900000000000"]
        f["subscriptions"]["billing_period"] = ["day", "day", "week"]
    elif case == "ticket_before":
        f["tickets"].loc[0, "first_response_at"] = "2026-01-01T00:00:00"
    elif case == "onboarding_reference":
        f["onboarding"].loc[2, "milestone"] = "unknown_step"
    elif case == "many":
        f["subscriptions"].loc[1, "amount"] = "-5"
        f["subscriptions"].loc[0, "start_date"] = "2026-02-30"
        f["subscriptions"].loc[2, "subscription_id"] = "s1"
        f["usage_events"].loc[0, "customer_id"] = "ghost"
        f["milestones"]["first_value"] = "false"
    elif case == "empty_required":
        f["subscriptions"].loc[[0, 2], "plan"] = ""
    elif case == "missing_column":
        f["subscriptions"] = f["subscriptions"].drop(columns="plan")
    errors, _ = compare(_write(f, tmp_path / "data", fmt))
    assert errors is not None


def test_repeated_usage_rows_counted_alike_in_several_passes(tmp_path, monkeypatch):
    import csm_kit.engine.validation as engine_validation

    tables = valid_tables()
    events = tables["usage_events"]
    tables["usage_events"] = pd.concat([events, events.iloc[[0, 0, 2]], events], ignore_index=True)
    folder = Dataset(**tables).to_dir(tmp_path / "pq", format="parquet")
    monkeypatch.setattr(engine_validation, "_ROWS_PER_PASS", 2)  # 5 passes over 9 rows
    _, checked = compare(folder)
    assert "usage_events: 6 row(s) repeat an earlier row exactly" in checked.warnings[-1]


def test_repeated_rows_told_apart_from_rows_sharing_a_hash(tmp_path, monkeypatch):
    """Rows whose fingerprints collide but whose values differ are not counted as repeats."""
    import csm_kit.engine.validation as engine_validation

    ds = csm_kit.simulate(n_customers=30, start="2025-01", months=4, seed=8)
    events = ds.usage_events
    ds = ds.with_tables(usage_events=pd.concat([events, events.iloc[[4, 4, 4, 9]]], ignore_index=True))
    folder = ds.to_dir(tmp_path / "pq", format="parquet")
    _, exact = compare(folder)
    # A fingerprint of three values: a third of all rows share each, so nearly every row is a candidate.
    monkeypatch.setattr(engine_validation, "_ROW_HASH", "(hash({columns}) % 3)::UBIGINT")
    _, coarse = compare(folder)
    assert "usage_events: 4 row(s) repeat an earlier row exactly" in exact.warnings[-1]
    assert coarse.warnings == exact.warnings


def test_typed_parquet_kept_as_written(tmp_path):
    """The kit's own Parquet (timestamps, doubles, Int64): checked by queries, same values, no pandas."""
    ds = csm_kit.simulate(n_customers=60, start="2025-01", months=8, seed=5)
    events = ds.usage_events
    ds = ds.with_tables(usage_events=pd.concat([events, events.iloc[[3, 3, 10]]], ignore_index=True))
    folder = ds.to_dir(tmp_path / "pq", format="parquet")
    errors, checked = compare(folder)
    assert errors is None and checked.by_pandas == ()
    assert any(w.startswith("usage_events: 3 row(s) repeat an earlier row exactly") for w in checked.warnings)
    errors, checked = compare(ds.to_dir(tmp_path / "csv", format="csv"))
    assert errors is None and checked.by_pandas == ()


def test_typed_parquet_with_placeholders_nulls_and_nanoseconds(tmp_path):
    tables = valid_tables()
    subs = tables["subscriptions"]
    subs["end_date"] = pd.Series([pd.Timestamp("2026-04-01"), None, None], dtype="datetime64[us]")
    subs.loc[1, "end_date"] = np.datetime64("9999-12-31", "us")
    tables["usage_events"]["timestamp"] = tables["usage_events"]["timestamp"].astype("datetime64[ns]")
    tables["usage_events"].loc[1, "timestamp"] = pd.Timestamp("2026-01-06T09:05:00.250000001")
    folder = tmp_path / "data"
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    errors, checked = compare(folder)
    assert errors is None
    assert "usage_events" in checked.by_pandas and "subscriptions" not in checked.by_pandas
    assert any("9999-12-31" in w for w in checked.warnings)
    # the sub-microsecond instant is kept exactly (the pandas path typed it)
    ts = checked.con.execute(f"SELECT timestamp FROM {checked.views['usage_events']}").df()["timestamp"]
    assert [pd.Timestamp(t).nanosecond for t in ts] == [0, 1, 0]


def test_hostile_text_and_thousands_of_rows(tmp_path):
    ds = hostile_dataset(csm_kit.simulate(n_customers=150, start="2025-01", months=10, seed=21))
    for fmt in ("csv", "parquet"):
        errors, checked = compare(ds.to_dir(tmp_path / fmt, format=fmt))
        assert errors is None
        assert checked.rows["usage_events"] > 2000


def test_blank_lines_and_quoted_line_breaks_keep_spreadsheet_rows(text_frames, tmp_path):
    folder = _write({k: v.copy() for k, v in text_frames.items()}, tmp_path / "data", "csv")
    path = folder / "subscriptions.csv"
    lines = path.read_text().split("\n")
    lines[2] = lines[2].replace("12000", "-1")  # s2 negative, on spreadsheet row 4 after the blank line
    path.write_text("\n".join(lines[:2] + [""] + lines[2:]))
    errors, _ = compare(folder)
    assert errors[0].rule == "value below the minimum 0" and list(errors[0].rows.index) == [4]


def test_unreadable_and_doubled_files(text_frames, tmp_path):
    folder = _write({k: v.copy() for k, v in text_frames.items()}, tmp_path / "data", "csv")
    (folder / "tickets.parquet").write_bytes(b"")
    pq.write_table(pa.table({"milestone": ["a"]}), folder / "surveys.parquet")
    (folder / "surveys.csv").unlink()
    (folder / "usage_events.csv").write_bytes("customer_id,user_id\nc\xe9,u1\n".encode("latin-1"))
    errors, _ = compare(folder)
    assert [e.rule for e in errors][:3] == ["text is not UTF-8", "two files for one table", "required column is missing"]


def test_duckdb_database_file(tmp_path):
    import duckdb

    ds = csm_kit.simulate(n_customers=40, start="2025-01", months=6, seed=8)
    path = tmp_path / "cs.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, frame in ds:
            con.register("f", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM f')
            con.unregister("f")
        con.execute("UPDATE subscriptions SET amount = -1 WHERE rowid = 3")
        con.execute("UPDATE subscriptions SET quantity = NULL WHERE rowid = 1")
        con.execute("UPDATE subscriptions SET quantity = -2 WHERE rowid = 5")
    errors, _ = compare(path)
    assert [(e.column, e.rule, list(e.rows.index)) for e in errors] == [
        ("amount", "value below the minimum 0", [4]), ("quantity", "value below the minimum 0", [6])]
    assert str(errors[1].rows["quantity"].dtype) == "Int64"  # as load_dataset shows a column with an empty cell


def test_sources_the_queries_do_not_take_go_through_load_dataset():
    checked = validated_tables({"customers": valid_tables()["customers"]})
    assert checked.by_pandas == ("customers",)
    assert checked.con.execute(f"SELECT customer_id FROM {checked.views['customers']}").fetchall() == [
        ("007",), ("c2",), ("c3",)]


# -- csm-kit kpis on the checked views -----------------------------------------------------------------

KPI_START, KPI_END = "2025-04", "2025-11"


@pytest.mark.parametrize("seed, fmt", [(3, "parquet"), (17, "csv"), (29, "parquet")])
def test_write_kpis_equals_the_load_dataset_path_exactly(tmp_path, seed, fmt):
    from csm_kit.engine import ADOPTION_COLUMNS, MONTHLY_COLUMNS, kpi_tables
    from csm_kit.engine.export import write_kpis

    ds = csm_kit.simulate(n_customers=90, start="2025-01", months=11, seed=seed)
    data = ds.to_dir(tmp_path / "data", format=fmt)
    monthly, adoption = write_kpis(data, start=KPI_START, end=KPI_END, out=tmp_path / "k.parquet", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        loaded = csm_kit.load_dataset(data, tables=["customers", "subscriptions", "usage_events"])
    want = kpi_tables(loaded, start=KPI_START, end=KPI_END)
    got = pd.read_parquet(monthly)
    expected = want.monthly[MONTHLY_COLUMNS].assign(month=want.monthly["month"].astype(str))
    assert got["mrr"].sum() > 0 and got["active_accounts"].min() > 0
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    expected = want.adoption[ADOPTION_COLUMNS].assign(month=want.adoption["month"].astype(str))
    pd.testing.assert_frame_equal(pd.read_parquet(adoption), expected, check_exact=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_kpis_command_with_a_broken_row_exits_1_naming_it(tmp_path, capsys, fmt):
    from csm_kit.cli import main

    ds = csm_kit.simulate(n_customers=50, start="2025-01", months=11, seed=4)
    events = ds.usage_events.copy()
    events["quantity"] = events["quantity"].astype("Float64")
    events.loc[events.index[7], "quantity"] = 2.5
    data = ds.with_tables(usage_events=events).to_dir(tmp_path / "data", format=fmt)
    with pytest.raises(DataValidationError) as direct, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        csm_kit.load_dataset(data, tables=["customers", "subscriptions", "usage_events"])
    assert direct.value.rule == "not a whole number" and list(direct.value.rows.index) == [9 if fmt == "csv" else 8]
    out = tmp_path / "k.csv"
    assert main(["kpis", "--data", str(data), "--start", KPI_START, "--end", KPI_END, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(direct.value) in err and "usage_events.quantity: not a whole number (1 row)" in err
    assert not out.exists()


def test_repeated_rows_passes_follow_row_groups_of_a_file_written_customer_by_customer(tmp_path, monkeypatch):
    """Clustered Parquet: passes cut at row-group starts; shuffled: cut at quantiles. The same count either way."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from csm_kit.engine import validation as engine_validation

    ds = csm_kit.simulate(n_customers=40, start="2025-01", months=4, seed=14)
    events = ds.usage_events
    events = pd.concat([events, events.iloc[[1, 1, len(events) // 3, len(events) - 2]]], ignore_index=True)
    folder = ds.with_tables(usage_events=events).to_dir(tmp_path / "pq", format="parquet")
    path = folder / "usage_events.parquet"
    passes, quantiles = [], []
    original_repeats, original_ranges = engine_validation._Check._repeats, engine_validation._Check._customer_ranges
    monkeypatch.setattr(engine_validation._Check, "_repeats",
                        lambda self, r, c, p: (passes.append(p) if "usage_events" in r else None)  # not the keys'
                        or original_repeats(self, r, c, p))
    monkeypatch.setattr(engine_validation._Check, "_customer_ranges",
                        lambda self, *a: quantiles.append(a) or original_ranges(self, *a))
    monkeypatch.setattr(engine_validation, "_ROWS_PER_CLUSTERED_PASS", 100)
    monkeypatch.setattr(engine_validation, "_ROWS_PER_PASS", 300)
    counts = {}
    table = pq.read_table(path)
    for order in ("by customer", "shuffled"):
        if order == "by customer":  # row groups of whole customers, about 50 rows each, as an export writes them
            ordered = table.take(pa.array(np.argsort(table["customer_id"].to_numpy(zero_copy_only=False),
                                                     kind="stable")))
            ids = ordered["customer_id"].to_numpy(zero_copy_only=False)
            starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
            with pq.ParquetWriter(path, ordered.schema) as writer:
                cuts = [c for i, c in enumerate(starts) if i % 4 == 0] + [len(ids)]
                for lo, hi in zip(cuts, cuts[1:]):
                    writer.write_table(ordered.slice(lo, hi - lo))
        else:
            pq.write_table(table.take(pa.array(np.random.default_rng(0).permutation(table.num_rows))), path,
                           row_group_size=50)
        _, checked = compare(folder)
        counts[order] = [w for w in checked.warnings if "repeat an earlier row" in w]
    clustered, shuffled = passes
    assert len(clustered) == pytest.approx(len(events) / 100, rel=0.35) and len(quantiles) == 1  # the shuffled file's
    assert len(shuffled) <= -(-len(events) // 300) + 1
    assert len(counts["by customer"]) == 1 and counts["by customer"] == counts["shuffled"]
    assert counts["shuffled"][0].startswith("usage_events: 4 row(s) repeat an earlier row exactly")


def test_repeated_rows_passes_are_customer_ranges(tmp_path, monkeypatch):
    """Each pass reads one range of customers; together they cover every row once (NULLs in the first)."""
    from csm_kit.engine import validation as engine_validation

    ds = csm_kit.simulate(n_customers=30, start="2025-01", months=4, seed=9)
    events = ds.usage_events
    repeats = events.iloc[[0, 0, len(events) // 2, len(events) - 1]]  # first, middle and last customers
    folder = ds.with_tables(usage_events=pd.concat([events, repeats], ignore_index=True)).to_dir(tmp_path / "pq",
                                                                                                 format="parquet")
    monkeypatch.setattr(engine_validation, "_ROWS_PER_PASS", len(events) // 6)
    seen = []
    original = engine_validation._Check._customer_ranges

    def spy(self, relation, passes, n_rows):
        seen.append(original(self, relation, passes, n_rows))
        return seen[-1]

    monkeypatch.setattr(engine_validation._Check, "_customer_ranges", spy)
    _, checked = compare(folder)
    assert "usage_events: 4 row(s) repeat an earlier row exactly" in checked.warnings[-1]
    ranges = seen[0]
    assert len(ranges) >= 3  # 7 quantiles asked; a customer with many rows can span several
    counts = [checked.con.execute(f"SELECT count(*) FROM read_parquet('{folder}/usage_events.parquet') WHERE {w}")
              .fetchall()[0][0] for w in ranges]
    assert sum(counts) == len(events) + 4 and min(counts) > 0


class _Spy:
    """A DuckDB connection that records every statement it runs (the rest is passed through)."""

    def __init__(self, con):
        self._con, self.sql = con, []

    def execute(self, sql, *args, **kwargs):
        self.sql.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _typed_parquet(folder, tables, statistics: bool):
    """Each table as the kit writes it (typed Parquet), with or without the footer's statistics."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet",
                       write_statistics=statistics)
    return folder


@pytest.mark.parametrize("statistics", [True, False])
@pytest.mark.parametrize("case", ["null_timestamp", "negative_quantity", "infinite_amount", "nan_amount",
                                  "start_after_last_day", "placeholder_end", "timed_signup", "csat_above",
                                  "null_required_bool", "old_timestamp", "huge_quantity", "blank_id", "padded_id"])
def test_typed_parquet_rules_with_and_without_footer_statistics(tmp_path, statistics, case):
    """A rule the footer could prove is still broken where the rows break it, whether the file has statistics
    or not: the same errors and warnings as load_dataset (which never reads the statistics)."""
    tables = valid_tables()
    if case == "null_timestamp":
        tables["usage_events"].loc[1, "timestamp"] = pd.NaT
    elif case == "negative_quantity":
        tables["usage_events"].loc[2, "quantity"] = -2
    elif case == "infinite_amount":
        tables["subscriptions"].loc[1, "amount"] = np.inf
    elif case == "nan_amount":  # NaN is left out of the statistics: a blank the footer cannot show
        tables["subscriptions"].loc[0, "amount"] = np.nan
    elif case == "start_after_last_day":
        subs = tables["subscriptions"]
        subs["start_date"] = subs["start_date"].astype("datetime64[us]")
        subs.loc[2, "start_date"] = np.datetime64("9999-12-31", "us")
    elif case == "placeholder_end":
        subs = tables["subscriptions"]
        subs["end_date"] = subs["end_date"].astype("datetime64[us]")
        subs.loc[0, "end_date"] = np.datetime64("9999-12-31", "us")
    elif case == "timed_signup":
        tables["customers"].loc[1, "signup_date"] = pd.Timestamp("2026-02-01T10:00:00")
    elif case == "csat_above":
        tables["tickets"].loc[0, "csat"] = 6.0
    elif case == "null_required_bool":
        tables["milestones"]["required"] = pd.array([True, None, False], dtype="boolean")
    elif case == "old_timestamp":  # before 1678: odd, so the pandas path decides
        events = tables["usage_events"]
        events["timestamp"] = events["timestamp"].astype("datetime64[us]")
        events.loc[0, "timestamp"] = np.datetime64("1600-01-01", "us")
    elif case == "huge_quantity":  # beyond 2**53: odd, the pandas path
        tables["usage_events"].loc[0, "quantity"] = 2**60
    elif case == "blank_id":
        tables["usage_events"].loc[1, "user_id"] = None
    elif case == "padded_id":  # and a row equal to it once trimmed: a repeat of the typed rows, not the stored
        events = tables["usage_events"]
        events.loc[1, "user_id"] = "u1 "
        tables["usage_events"] = pd.concat([events, events.iloc[[1]].assign(user_id="u1")], ignore_index=True)
    folder = _typed_parquet(tmp_path / "data", tables, statistics)
    errors, checked = compare(folder)
    expected = {"null_timestamp": ("usage_events", "timestamp", "required value is empty"),
                "negative_quantity": ("usage_events", "quantity", "value below the minimum 0"),
                "infinite_amount": ("subscriptions", "amount", "infinite number"),
                "nan_amount": ("subscriptions", "amount", "required value is empty"),
                "start_after_last_day": ("subscriptions", "start_date", "a date after 2262-04-11, the last day the kit can hold"),
                "timed_signup": ("customers", "signup_date", "a date column holds a time of day"),
                "csat_above": ("tickets", "csat", "value above the maximum 5"),
                "null_required_bool": ("milestones", "required", "required value is empty"),
                "blank_id": ("usage_events", "user_id", "required value is empty")}
    if case in expected:
        assert errors is not None and expected[case] in [(e.table, e.column, e.rule) for e in errors]
    elif case == "placeholder_end":
        assert errors is None and any("subscriptions.end_date: 1 row(s) hold a date after" in w for w in checked.warnings)
    elif case == "padded_id":
        assert errors is None and any(w.startswith("usage_events.user_id: 1 value(s) had spaces") for w in checked.warnings)
        assert any(w.startswith("usage_events: 1 row(s) repeat an earlier row exactly") for w in checked.warnings)
    elif case == "huge_quantity":  # beyond 2**53 the queries do not vouch for the value: load_dataset checks it
        assert errors is None and "usage_events" in checked.by_pandas
    else:  # old_timestamp: refused alike by both paths, as compare checks
        assert errors is not None


def _statements(folder):
    import duckdb

    spy = _Spy(duckdb.connect())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        checked = validated_tables(folder, con=spy)
    return checked, spy.sql


def test_rules_proven_from_footer_statistics_are_not_asked_of_the_rows(tmp_path):
    """With statistics, usage's NULL, date-range and minimum checks and its text columns' NULLs and first
    characters come from the footer: no aggregate reads usage_events, the plain-text pass asks only for
    the last characters. Without statistics the same checks are queries, and the results are the same."""
    tables = valid_tables()
    tables["usage_events"]["quantity"] = pd.array([1, 3, 2], dtype="Int64")
    # microseconds, as the simulator writes them (nanoseconds need a look at each value's last digits)
    tables["usage_events"]["timestamp"] = tables["usage_events"]["timestamp"].astype("datetime64[us]")
    with_stats, sql = _statements(_typed_parquet(tmp_path / "stats", tables, True))
    without, sql_none = _statements(_typed_parquet(tmp_path / "none", tables, False))

    def about_usage(statements):
        return [s for s in statements if "usage_events" in s and s.lstrip().upper().startswith("SELECT")]

    aggregate = [s for s in about_usage(sql) if "csm_checked_usage_events" in s and "count_if" in s]
    assert aggregate == []  # timestamp: no NULL, 2026 within 1678..LAST_DAY; quantity: no NULL, from 1
    plain = [s for s in about_usage(sql) if "[-1]" in s]  # only the text columns' last characters are read
    assert len(plain) == 1 and " IS NULL)" not in plain[0] and ">= '!'" not in plain[0]
    assert not any('"quantity" < 0' in s for s in sql) and not any("__f0_timestamp" in s for s in about_usage(sql))
    # without statistics every one of them is a query
    assert any("csm_checked_usage_events" in s and "__f0_timestamp" in s and '"quantity" < 0' in s
               for s in about_usage(sql_none))
    plain_none = [s for s in about_usage(sql_none) if "[-1]" in s]
    assert len(plain_none) == 1 and " IS NULL)" in plain_none[0] and ">= '!'" in plain_none[0]
    # the same result both ways: rows, warnings, coverage, typed values
    assert with_stats.rows == without.rows and with_stats.warnings == without.warnings
    assert with_stats.coverage == without.coverage and with_stats.coverage["usage_events.timestamp"] == (
        pd.Timestamp("2026-01-06T09:00:00"), pd.Timestamp("2026-02-03T12:00:00"))
    for name, view in with_stats.views.items():
        assert (with_stats.con.execute(f"SELECT * FROM {view}").fetchall()
                == without.con.execute(f"SELECT * FROM {without.views[name]}").fetchall()), name


def test_footer_statistics_of_every_row_group_or_none(tmp_path):
    """A column is proven only from statistics every row group has; a row group of NULLs needs no min/max."""
    from csm_kit.engine.parquet_stats import column_stats

    path = tmp_path / "t.parquet"
    table = pa.table({"n": pa.array([1, 2, None, None, 5, -3], pa.int64()),
                      "s": pa.array(["a", "b", None, None, "c", "~d"]),
                      "t": pa.array([None, None, None, None, 1.5, float("nan")])})
    pq.write_table(table, path, row_group_size=2)
    stats = column_stats(path)
    assert (stats["n"].nulls, stats["n"].low, stats["n"].high) == (2, -3, 5)
    assert stats["s"].ascii_first is True and stats["s"].nulls == 2
    # the writer leaves NaN out of min/max (so a float's blanks, NULL or NaN, are never taken from the footer)
    assert (stats["t"].nulls, stats["t"].low, stats["t"].high) == (4, 1.5, 1.5)
    assert stats["n"].within(-3, 5) and not stats["n"].within(-2) and not stats["n"].within(None, 4)
    # statistics for some columns only: the others unknown
    pq.write_table(table, path, row_group_size=2, write_statistics=["n"])
    stats = column_stats(path)
    assert stats["n"].nulls == 2 and stats["s"].nulls is None and stats["s"].ascii_first is None
    pq.write_table(pa.table({"s": pa.array(["ab", "é"])}), path)
    assert column_stats(path)["s"].ascii_first is False
