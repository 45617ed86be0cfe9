"""`csm-kit kpis` end to end: CSV and Parquet sources and outputs, validation, safe CSV cells."""
import numpy as np
import pandas as pd
import pytest

import csm_kit
from csm_kit.cli import main
from csm_kit.engine import ADOPTION_COLUMNS, MONTHLY_COLUMNS
from tests.test_engine import assert_same_monthly, expected_monthly

START, END = "2025-03", "2025-10"


@pytest.fixture(scope="module")
def company():
    return csm_kit.simulate(n_customers=120, start="2024-11", months=12, seed=11)


def _read(path):
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"month": str, "feature": str}, keep_default_na=False, float_precision="round_trip",
                           na_values=[""])
    return pd.read_parquet(path)


@pytest.mark.parametrize("source_format, out_name", [("csv", "kpis.csv"), ("parquet", "kpis.parquet"),
                                                     ("csv", "kpis.parquet"), ("parquet", "kpis.csv")])
def test_kpis_end_to_end(company, tmp_path, capsys, source_format, out_name):
    data = company.to_dir(tmp_path / "data", format=source_format)
    out = tmp_path / "exports" / out_name
    assert main(["kpis", "--data", str(data), "--start", START, "--end", END, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "load and validation" in captured.err and "KPIs written" in captured.out

    monthly = _read(out)
    assert list(monthly.columns) == MONTHLY_COLUMNS
    assert monthly["month"].tolist() == pd.period_range(START, END, freq="M").astype(str).tolist()
    loaded = csm_kit.load_dataset(data, tables=["customers", "subscriptions", "usage_events"])
    want = expected_monthly(loaded.subscriptions, loaded.usage_events, START, END)
    got = monthly.assign(month=pd.PeriodIndex(monthly["month"], freq="M"))
    if out.suffix == ".parquet":
        assert_same_monthly(got, want)        # exact
    else:                                     # CSV keeps 17 significant digits: floats round-trip exactly too
        assert_same_monthly(got, want)

    adoption = _read(out.with_name(out.stem + "_adoption" + out.suffix))
    assert list(adoption.columns) == ADOPTION_COLUMNS
    f = csm_kit.metrics.feature_adoption(loaded, start=START, end=END)
    np.testing.assert_array_equal(adoption["adoption"].to_numpy(dtype=float), f["adoption"].to_numpy(dtype=float))
    assert adoption["feature"].tolist() == f["feature"].tolist()


def test_csv_cells_cannot_become_formulas(company, tmp_path):
    events = company.usage_events.copy()
    events["event"] = events["event"].astype(object)
    events.loc[events.index[::3], "event"] = "=HYPERLINK(\"http://x\")"
    ds = company.with_tables(usage_events=events)
    data = ds.to_dir(tmp_path / "data", format="parquet")
    out = tmp_path / "kpis.csv"
    assert main(["kpis", "--data", str(data), "--start", START, "--end", END, "--out", str(out)]) == 0
    text = (tmp_path / "kpis_adoption.csv").read_text()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_bad_data_gives_load_datasets_message(company, tmp_path, capsys):
    subs = company.subscriptions.copy()
    subs.loc[subs.index[3], "amount"] = -5.0
    data = company.with_tables(subscriptions=subs).to_dir(tmp_path / "data", format="csv")
    with pytest.raises(csm_kit.exceptions.DataValidationError) as direct:
        csm_kit.load_dataset(data, tables=["customers", "subscriptions", "usage_events"])
    out = tmp_path / "kpis.csv"
    assert main(["kpis", "--data", str(data), "--start", START, "--end", END, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(direct.value) in err and "subscriptions.amount" in err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--start", START, "--end", "2099-01", "--out", "k.csv"], "after the data"),
    (["--start", END, "--end", START, "--out", "k.csv"], "before it starts"),
    (["--start", START, "--end", END, "--out", "k.xlsx"], ".csv or .parquet"),
])
def test_refused_arguments_exit_1_with_the_reason(company, tmp_path, capsys, monkeypatch, args, message):
    data = company.to_dir(tmp_path / "data", format="parquet")
    monkeypatch.chdir(tmp_path)
    assert main(["kpis", "--data", str(data), *args]) == 1
    assert message in capsys.readouterr().err


def test_missing_usage_table_leaves_activity_empty(company, tmp_path):
    data = company.with_tables(usage_events=None).to_dir(tmp_path / "data", format="csv")
    out = tmp_path / "kpis.parquet"
    assert main(["kpis", "--data", str(data), "--start", START, "--end", END, "--out", str(out)]) == 0
    monthly = pd.read_parquet(out)
    assert monthly["active_accounts"].isna().all() and (monthly["mrr"] > 0).all()
    assert len(pd.read_parquet(tmp_path / "kpis_adoption.parquet")) == 0
