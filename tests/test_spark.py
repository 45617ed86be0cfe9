"""The KPI queries on Spark (local[2]) give every number DuckDB gives, and the metric functions' too.

Skipped with the reason when PySpark or Java is missing; under `make test`
(CSM_KIT_REQUIRE_SPARK=1) a missing Spark is a failure, not a skip.
"""
import os
import shutil

import pandas as pd
import pytest

import csm_kit
from csm_kit.engine import SparkBackend, kpi_tables, month_end_balances
from tests.test_engine import assert_same_adoption, assert_same_monthly, expected_monthly
from tests.test_retention import subs, worked_example
from tests.test_revenue import every_kind

REQUIRED = os.environ.get("CSM_KIT_REQUIRE_SPARK") == "1"


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'csm-kit[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Java is not installed (Debian: apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark():
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"CSM_KIT_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("csm-kit tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g").config("spark.ui.showConsoleProgress", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _awkward_cases() -> pd.DataFrame:
    """The ledger cases of tests/test_revenue.py and test_ledger.py side by side (customer ids kept apart)."""
    cases = [
        every_kind(),
        subs(("a", "2026-01-05", "2026-01-20", 10.0), ("a", "2026-02-03", None, 10.0)),
        subs(("a", "2025-01-01", "2025-03-01", 10.0), ("a", "2026-02-01", None, 10.0)),
        subs(("a", "2026-01-15", "2026-07-10", 100.0), ("a", "2026-03-01", "2026-05-01", 50.0)),
        subs(("q", "2026-02-10", "2026-05-10", 300.0, "quarter"), ("w", "2026-02-01", "2026-03-16", 12.0, "week"),
             ("w", "2026-03-16", None, 24.0, "week"), ("y", "2025-06-01", "2026-06-01", 2400.0, "year")),
        subs(("c", "2026-01-10", "2026-01-10", 10.0), ("b", "2026-01-01", None, 0.0),
             ("d", "2026-01-01", "2026-02-01", 10.0), ("d", "2026-02-01", "2026-03-01", 0.0),
             ("d", "2026-03-01", None, 10.0), ("e", "2026-02-28", None, 1.0, "day"),
             ("t", "2026-01-01", None, 0.0000005), ("u", "2026-01-31", "2026-02-01", 5.0)),
    ]
    frames = [c.assign(customer_id=f"case{i}_" + c["customer_id"]) for i, c in enumerate(cases)]
    frames.append(worked_example().assign(customer_id=lambda f: "w_" + f["customer_id"]))
    out = pd.concat(frames, ignore_index=True)
    out["discount"] = [0.2 if i % 7 == 3 else None for i in range(len(out))]
    return out


def test_awkward_ledger_cases_on_spark(spark):
    frame = _awkward_cases()
    got = kpi_tables({"subscriptions": frame}, start="2026-01", end="2026-08", backend=SparkBackend(spark))
    assert got.engine == "spark"
    duck = kpi_tables({"subscriptions": frame}, start="2026-01", end="2026-08")
    pd.testing.assert_frame_equal(got.monthly, duck.monthly)
    assert_same_monthly(got.monthly, expected_monthly(frame, None, "2026-01", "2026-08"))
    pd.testing.assert_frame_equal(month_end_balances({"subscriptions": frame}, start="2026-01", end="2026-03",
                                                     backend=SparkBackend(spark)),
                                  month_end_balances({"subscriptions": frame}, start="2026-01", end="2026-03"))


@pytest.mark.parametrize("seed, n, start, months", [(2, 150, "2025-01", 14), (9, 60, "2025-06", 8)])
def test_simulated_company_on_spark_equals_duckdb(spark, seed, n, start, months):
    ds = csm_kit.simulate(n_customers=n, start=start, months=months, seed=seed)
    first = pd.Period(start, "M")
    lo, hi = first + 1, first + months - 1
    got = kpi_tables(ds, start=lo, end=hi, backend=SparkBackend(spark))
    duck = kpi_tables(ds, start=lo, end=hi)
    pd.testing.assert_frame_equal(got.monthly, duck.monthly)      # every number, exactly
    pd.testing.assert_frame_equal(got.adoption, duck.adoption)
    assert_same_monthly(got.monthly, expected_monthly(ds.subscriptions, ds.usage_events, lo, hi))
    assert_same_adoption(got.adoption, ds.usage_events, lo, hi)


def test_parquet_files_read_by_spark(spark, tmp_path):
    ds = csm_kit.simulate(n_customers=40, start="2026-01", months=5, seed=5)
    # Spark reads Parquet timestamps in micro- or milliseconds, not the nanoseconds pandas writes by default.
    for name in ("subscriptions", "usage_events"):
        getattr(ds, name).to_parquet(tmp_path / f"{name}.parquet", coerce_timestamps="us")
    tables = {"subscriptions": str(tmp_path / "subscriptions.parquet"),
              "usage_events": str(tmp_path / "usage_events.parquet")}
    got = kpi_tables(tables, start="2026-02", end="2026-05", backend=SparkBackend(spark))
    want = kpi_tables(ds, start="2026-02", end="2026-05")
    pd.testing.assert_frame_equal(got.monthly, want.monthly)
    pd.testing.assert_frame_equal(got.adoption, want.adoption)


def test_kpis_command_with_the_spark_engine(spark, tmp_path):
    from csm_kit.cli import main

    ds = csm_kit.simulate(n_customers=40, start="2026-01", months=5, seed=6)
    data = ds.to_dir(tmp_path / "data", format="parquet")
    out = tmp_path / "kpis.parquet"
    assert main(["kpis", "--data", str(data), "--start", "2026-02", "--end", "2026-05", "--out", str(out),
                 "--engine", "spark"]) == 0
    want = kpi_tables(csm_kit.load_dataset(data, tables=["customers", "subscriptions", "usage_events"]),
                      start="2026-02", end="2026-05").monthly
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, want.assign(month=want["month"].astype(str)))
