"""load_dataset("postgresql://...") against a real PostgreSQL server the test starts itself.

The sample's tables are written to a throwaway cluster (tests/services.py) and
loaded back: equal, table for table, to loading the CSV folder. Skipped with
the reason when PostgreSQL's server binaries or the driver are missing; under
`make test` (CSM_KIT_REQUIRE_POSTGRES=1) that is a failure.
"""
import os

import pandas as pd
import pytest

import csm_kit
from csm_kit.config import SAMPLE_DIR
from csm_kit.contract import TABLES
from csm_kit.exceptions import DataValidationError
from tests.services import postgres_binaries, postgres_server

REQUIRED = os.environ.get("CSM_KIT_REQUIRE_POSTGRES") == "1"


def _missing() -> str | None:
    from sqlalchemy import create_engine

    try:  # SQLAlchemy's default driver for postgresql:// (psycopg from SQLAlchemy 2.1, psycopg2 before)
        create_engine("postgresql://csm@127.0.0.1:1/csm").dispose()
    except ImportError as exc:
        return f"the PostgreSQL driver is not installed ({exc}; pip install 'psycopg[binary]')"
    if postgres_binaries() is None:
        return "PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql)"
    return None


@pytest.fixture(scope="module")
def server():
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"CSM_KIT_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def sample():
    return csm_kit.load_dataset(SAMPLE_DIR)


@pytest.fixture(scope="module")
def loaded_url(server, sample):
    from sqlalchemy import create_engine

    engine = create_engine(server)
    with engine.begin() as con:
        for name, frame in sample:
            frame.to_sql(name, con, index=False, chunksize=10_000)
    engine.dispose()
    return server


def test_sample_round_trips_through_postgresql(loaded_url, sample):
    back = csm_kit.load_dataset(loaded_url)
    assert sorted(name for name, _ in back) == sorted(name for name, _ in sample)
    for name, frame in sample:
        got = getattr(back, name)
        # A database returns rows in no promised order: compare sorted by the table's key (or all columns).
        key = list(TABLES[name].key) or list(frame.columns)
        pd.testing.assert_frame_equal(got.sort_values(key, ignore_index=True),
                                      frame.sort_values(key, ignore_index=True), check_like=False, obj=name)
    assert "csm@127.0.0.1" in back.source


def test_kpis_from_postgresql_equal_the_csv_folder(loaded_url, sample, tmp_path):
    from csm_kit.cli import main
    from csm_kit.engine import kpi_tables

    out = tmp_path / "kpis.parquet"
    assert main(["kpis", "--data", loaded_url, "--start", "2026-01", "--end", "2026-10", "--out", str(out)]) == 0
    want = kpi_tables(sample, start="2026-01", end="2026-10").monthly
    pd.testing.assert_frame_equal(pd.read_parquet(out), want.assign(month=want["month"].astype(str)))


def test_broken_rows_in_postgresql_are_named(server, sample):
    from sqlalchemy import create_engine, text

    url = server.rsplit("/", 1)[0] + "/postgres"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text("CREATE DATABASE broken"))
    engine.dispose()
    broken = server.rsplit("/", 1)[0] + "/broken"
    subs = sample.subscriptions.copy()
    subs.loc[subs.index[4], "amount"] = -1.0
    engine = create_engine(broken)
    with engine.begin() as con:
        sample.customers.to_sql("customers", con, index=False)
        subs.to_sql("subscriptions", con, index=False)
    engine.dispose()
    with pytest.raises(DataValidationError, match=r"subscriptions\.amount: value below the minimum 0") as err:
        csm_kit.load_dataset(broken)
    assert err.value.table == "subscriptions" and len(err.value.rows) == 1
