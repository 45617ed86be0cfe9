"""from_snapshot: one row per customer (tenure, churned flag, attributes) -> a snapshot Dataset.

The Kaplan-Meier curve the kit computes from the result must be lifelines'
on the raw tenure/flag columns; tenures come back exactly (0 included) in
every unit; flags in their common spellings; bad rows are named.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from csm_kit import Dataset, DataValidationError
from csm_kit.io.snapshot_import import MARKER, from_snapshot, snapshot_as_of, start_dates
from csm_kit.models import RetentionCurves, survival_table

FIXTURES = Path(__file__).parent / "fixtures"
TELCO_HEADER = ("customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,"
                "InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,"
                "StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn")


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "telco_churn_sample.csv")


def telco_snapshot(frame, as_of="2026-10-31", **kw):
    return from_snapshot(frame, customer_id="customerID", tenure="tenure", churned="Churn", as_of=as_of,
                         mrr="MonthlyCharges", segment="Contract",
                         attributes=["SeniorCitizen", "TechSupport", "MonthlyCharges", "TotalCharges"], **kw)


def test_fixture_has_ibm_telco_header(telco):
    assert ",".join(telco.columns) == TELCO_HEADER
    assert (telco["tenure"] == 0).sum() >= 1 and set(telco["Churn"]) == {"Yes", "No"}


def test_kaplan_meier_through_the_kit_equals_lifelines_on_the_raw_columns(telco):
    ds = telco_snapshot(telco)
    table = survival_table(ds, as_of="2026-10-31")
    kit = RetentionCurves(times=(1, 6, 12, 24)).fit(table).fitters_
    (kit_fit,) = kit.values()
    raw = KaplanMeierFitter().fit(telco["tenure"], telco["Churn"].eq("Yes"))
    np.testing.assert_array_equal(kit_fit.survival_function_.to_numpy(), raw.survival_function_.to_numpy())
    np.testing.assert_array_equal(kit_fit.event_table.to_numpy(), raw.event_table.to_numpy())
    np.testing.assert_array_equal(kit_fit.survival_function_.index.to_numpy(), raw.survival_function_.index.to_numpy())
    # and by hand at the first churn time: 1 - d/n
    t1 = telco.loc[telco["Churn"].eq("Yes"), "tenure"].min()
    n = (telco["tenure"] >= t1).sum()
    d = ((telco["tenure"] == t1) & telco["Churn"].eq("Yes")).sum()
    assert kit_fit.survival_function_at_times(t1).iloc[0] == pytest.approx(1 - d / n)


@pytest.mark.parametrize("unit", ["month", "week", "day"])
@pytest.mark.parametrize("as_of", ["2026-10-31", "2026-03-31", "2024-02-29", "2026-01-15"])
def test_survival_table_gives_back_the_input_tenures_exactly(telco, unit, as_of):
    ds = from_snapshot(telco, customer_id="customerID", tenure="tenure", churned="Churn", as_of=as_of,
                       tenure_unit=unit)
    t = survival_table(ds, as_of=as_of, unit=unit).set_index("customer_id").reindex(telco["customerID"])
    np.testing.assert_array_equal(t["tenure"].to_numpy(), telco["tenure"].to_numpy(dtype=float))
    np.testing.assert_array_equal(t["churned"].to_numpy(), telco["Churn"].eq("Yes").to_numpy())
    assert len(t) == len(telco)  # tenure 0 kept


def test_dates_by_hand_month_end_rule_and_tenure_zero():
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "t": [0, 0, 8, 12], "c": ["No", "Yes", "Yes", "No"]})
    ds = from_snapshot(frame, customer_id="id", tenure="t", churned="c", as_of="2026-10")
    subs = ds.subscriptions.set_index("customer_id")
    assert subs.loc["c", "start_date"] == pd.Timestamp("2026-02-28")  # 31 Oct - 8 months: clipped
    assert subs.loc["d", "start_date"] == pd.Timestamp("2025-10-31")
    assert subs.loc["b", "start_date"] == subs.loc["b", "end_date"] == pd.Timestamp("2026-10-31")
    assert pd.isna(subs.loc["a", "end_date"]) and pd.isna(subs.loc["d", "end_date"])
    assert (subs["billing_period"] == "month").all() and (subs["amount"] == 0).all()
    assert any("MRR" in w for w in ds.warnings)  # amount 0 is said, not silent
    assert ds.snapshot and snapshot_as_of(ds) == pd.Timestamp("2026-10-31")
    assert ds.customers["signup_date"].tolist() == subs["start_date"].tolist()


@pytest.mark.parametrize("yes,no", [("Yes", "No"), ("yes", "no"), (1, 0), (True, False), ("1", "0"),
                                    ("TRUE", "false"), (1.0, 0.0), ("Y", "N")])
def test_churned_flag_spellings(yes, no):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "t": [3, 4, 5], "c": [yes, no, yes]})
    ds = from_snapshot(frame, customer_id="id", tenure="t", churned="c", as_of="2026-10-31")
    assert ds.subscriptions["end_date"].notna().tolist() == [True, False, True]


@pytest.mark.parametrize("bad", ["maybe", " Yes", None, 2, "churn?"])
def test_other_flags_refused_naming_the_rows(bad):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "t": [3, 4, 5], "Churn": ["Yes", bad, "No"]})
    with pytest.raises(DataValidationError, match="Churn: not a churned flag") as err:
        from_snapshot(frame, customer_id="id", tenure="t", churned="Churn", as_of="2026-10-31")
    assert err.value.rows.index.tolist() == [2]


@pytest.mark.parametrize("values,rule,rows", [
    ([1, -1, 2, -3], "tenure is negative", [2, 4]),
    ([1, 2.5, 2, 3], "not a whole number of months", [2]),
    ([1, None, 2, 3], "tenure is empty", [2]),
    (["1", "two", "2", "3"], "tenure is not a number", [2]),
])
def test_bad_tenures_refused_naming_the_rows(values, rule, rows):
    frame = pd.DataFrame({"id": list("abcd"), "tenure": values, "c": 0})
    with pytest.raises(DataValidationError, match=rule) as err:
        from_snapshot(frame, customer_id="id", tenure="tenure", churned="c", as_of="2026-10-31")
    assert err.value.rows.index.tolist() == rows and err.value.column == "tenure"


def test_ids_repeated_or_spaced_refused_and_numeric_ids_become_text():
    with pytest.raises(DataValidationError, match="appears twice") as err:
        from_snapshot(pd.DataFrame({"id": ["a", "b", "a"], "t": 1, "c": 0}), customer_id="id", tenure="t",
                      churned="c", as_of="2026-10-31")
    assert err.value.rows.index.tolist() == [1, 3]
    with pytest.raises(DataValidationError, match="spaces"):
        from_snapshot(pd.DataFrame({"id": ["C6 ", "C6"], "t": 1, "c": 0}), customer_id="id", tenure="t",
                      churned="c", as_of="2026-10-31")
    ds = from_snapshot(pd.DataFrame({"id": [7, 42], "t": 1, "c": 0}), customer_id="id", tenure="t", churned="c",
                       as_of="2026-10-31")
    assert ds.customers["customer_id"].tolist() == ["7", "42"]


def test_attributes_keep_their_types_and_clashes_are_refused(telco):
    ds = telco_snapshot(telco)
    c = ds.customers
    assert str(c["SeniorCitizen"].dtype) == "Int64" and c["MonthlyCharges"].dtype == "float64"
    assert c["TechSupport"].dtype == object and c["TotalCharges"].dtype == object  # " " for tenure 0: text stays text
    assert c["segment"].tolist() == telco["Contract"].tolist()
    assert list(c.columns[:2]) == ["customer_id", "signup_date"] and c.columns[-1] == "snapshot_as_of"
    with pytest.raises(ValueError, match="the id, tenure or churned column"):
        from_snapshot(telco, customer_id="customerID", tenure="tenure", churned="Churn", as_of="2026-10",
                      attributes=["tenure"])
    with pytest.raises(ValueError, match="name of a column the kit makes"):
        from_snapshot(telco.rename(columns={"gender": "region"}), customer_id="customerID", tenure="tenure",
                      churned="Churn", as_of="2026-10", attributes=["region"])
    with pytest.raises(ValueError, match="not a column"):
        from_snapshot(telco, customer_id="customerID", tenure="Tenure", churned="Churn", as_of="2026-10")


def test_mrr_becomes_the_monthly_amount_and_bad_mrr_is_refused(telco):
    ds = telco_snapshot(telco)
    np.testing.assert_array_equal(ds.subscriptions["amount"].to_numpy(), telco["MonthlyCharges"].to_numpy())
    assert not ds.warnings
    bad = telco.assign(MonthlyCharges=telco["MonthlyCharges"].where(telco.index != 3, -1.0))
    with pytest.raises(DataValidationError, match="MRR is negative") as err:
        telco_snapshot(bad)
    assert err.value.rows.index.tolist() == [4]


def test_as_of_goes_through_the_kits_parser(telco):
    a = telco_snapshot(telco, as_of="2026-10")
    b = telco_snapshot(telco, as_of=pd.Period("2026-10", "M"))
    assert snapshot_as_of(a) == snapshot_as_of(b) == pd.Timestamp("2026-10-31")
    with pytest.raises(ValueError, match="as_of is a day"):
        telco_snapshot(telco, as_of="Oct 2026")


def test_start_dates_weeks_and_days():
    assert start_dates("2026-03-01", [0, 1, 3], "week").strftime("%Y-%m-%d").tolist() == \
        ["2026-03-01", "2026-02-22", "2026-02-08"]
    assert start_dates("2026-03-01", [1, 29], "day").strftime("%Y-%m-%d").tolist() == ["2026-02-28", "2026-01-31"]
    assert start_dates("2024-03-31", [1, 13], "month").strftime("%Y-%m-%d").tolist() == ["2024-02-29", "2023-02-28"]


def test_script_in_text_columns_is_kept_as_text():
    frame = pd.DataFrame({"id": ["<script>alert(1)</script>", "b"], "t": [1, 2], "c": [0, 1],
                          "seg": ["<script>x</script>", "smb"], "note": ["<b>", None]})
    ds = from_snapshot(frame, customer_id="id", tenure="t", churned="c", as_of="2026-10-31", segment="seg",
                       attributes=["note"])
    assert ds.customers["customer_id"][0] == "<script>alert(1)</script>"
    assert ds.customers["note"].tolist() == ["<b>", None]


def test_one_customer_and_every_customer_churned():
    ds = from_snapshot(pd.DataFrame({"id": ["a"], "t": [5], "c": ["Yes"]}), customer_id="id", tenure="t",
                       churned="c", as_of="2026-10-31", mrr=None)
    t = survival_table(ds, as_of="2026-10-31")
    assert t["tenure"].tolist() == [5.0] and t["churned"].tolist() == [True]


def test_saved_folder_is_a_snapshot_again(telco, tmp_path):
    import csm_kit

    # TotalCharges holds " " for new customers, which the loader reads as empty (with a warning): left out here
    ds = from_snapshot(telco, customer_id="customerID", tenure="tenure", churned="Churn", as_of="2026-10-31",
                       mrr="MonthlyCharges", segment="Contract", attributes=["SeniorCitizen", "TechSupport",
                                                                             "MonthlyCharges", "Partner"])
    for fmt in ("csv", "parquet"):
        folder = ds.to_dir(tmp_path / fmt, format=fmt)
        assert (folder / MARKER).is_file()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # snapshot.json is not an unknown file
            back = csm_kit.load_dataset(folder)
        assert back.snapshot
        pd.testing.assert_frame_equal(back.customers, ds.customers)
        pd.testing.assert_frame_equal(back.subscriptions, ds.subscriptions)
        t = survival_table(back, as_of="2026-10-31").set_index("customer_id").reindex(telco["customerID"])
        np.testing.assert_array_equal(t["tenure"].to_numpy(), telco["tenure"].to_numpy(dtype=float))


def test_a_broken_marker_is_an_error(tmp_path):
    import csm_kit

    ds = from_snapshot(pd.DataFrame({"id": ["a"], "t": [5], "c": ["No"]}), customer_id="id", tenure="t",
                       churned="c", as_of="2026-10-31", mrr=None)
    folder = ds.to_dir(tmp_path / "snap")
    (folder / MARKER).write_text("{not json")
    with pytest.raises(DataValidationError, match="snapshot.json cannot be read"):
        csm_kit.load_dataset(folder)


def test_an_ordinary_dataset_is_not_marked(tmp_path):
    ds = Dataset(customers=pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime(["2026-01-05"])}))
    folder = ds.to_dir(tmp_path / "plain")
    assert not (folder / MARKER).exists()


def test_exported_from_the_package():
    import csm_kit

    assert csm_kit.from_snapshot is from_snapshot


def test_owner_column_becomes_customers_owner():
    frame = pd.DataFrame({"id": ["a", "b"], "t": [3, 4], "c": [0, 1], "csm": ["Ann", None]})
    ds = from_snapshot(frame, customer_id="id", tenure="t", churned="c", as_of="2026-10-31", owner="csm")
    assert ds.customers["owner"].tolist() == ["Ann", None]


def test_coverage_of_a_snapshot_reaches_its_day_so_the_report_month_is_accepted():
    from csm_kit.periods import to_month
    from csm_kit.report.runner import check_month

    frame = pd.DataFrame({"id": ["a", "b", "c"], "t": [3, 14, 2], "c": ["No", "No", "Yes"]})
    ds = from_snapshot(frame, customer_id="id", tenure="t", churned="c", as_of="2026-10-31")
    # no tenure-0 customer: the latest start is 31 August, but the snapshot is known to 31 October
    assert ds.subscriptions["start_date"].max() == pd.Timestamp("2026-08-31")
    assert (ds.coverage["last"] == pd.Timestamp("2026-10-31")).all()
    check_month(to_month("2026-10"), ds)
