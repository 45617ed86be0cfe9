"""The simulator in blocks: the same data in memory and streamed to Parquet, ids unique across blocks."""
import numpy as np
import pandas as pd
import pytest

import csm_kit
from csm_kit.cli import main
from csm_kit.simulator import scale, simulate, simulate_block
from csm_kit.simulator.calendar import Calendar


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(scale, "BLOCK_CUSTOMERS", 40)  # 100 accounts = blocks of 40, 40 and 20


def _loaded(folder):
    return csm_kit.load_dataset(folder)  # validates keys and references across blocks too


def test_writer_gives_the_data_simulate_gives(small_blocks, tmp_path):
    ds = simulate(n_customers=100, start="2025-01", months=12, seed=3)
    scale.write_parquet(tmp_path / "streamed", n_customers=100, start="2025-01", months=12, seed=3,
                        truth=tmp_path / "truth.csv")
    streamed = _loaded(tmp_path / "streamed")
    reference = _loaded(ds.to_dir(tmp_path / "in_memory", format="parquet"))
    for name, df in reference:
        pd.testing.assert_frame_equal(getattr(streamed, name), df, obj=name)
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert truth["customer_id"].tolist() == ds.truth["customer_id"].tolist()
    np.testing.assert_allclose(truth["monthly_hazard"], ds.truth["monthly_hazard"], rtol=1e-12)  # CSV text


def test_blocks_are_numbered_on_and_drawn_with_their_own_generators(small_blocks):
    ds = simulate(n_customers=100, start="2025-01", months=12, seed=3)
    ids = ds.customers["customer_id"]
    assert ids.tolist() == [f"C{i:07d}" for i in range(1, 101)]
    for name, key in [("subscriptions", "subscription_id"), ("tickets", "ticket_id"), ("surveys", "response_id"),
                      ("survey_sends", "send_id"), ("transactions", "transaction_id")]:
        assert getattr(ds, name)[key].is_unique, name
    # Block 1 is block 0's code with default_rng([seed, 1]) and customers numbered from 41.
    second = simulate_block(np.random.default_rng([3, 1]), Calendar.of("2025-01", 12), 40, 5.0, first_customer=41)
    got = ds.customers.iloc[40:80].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, second["customers"])
    assert len(ds.milestones) == 5  # the plan once, not once per block


def test_a_company_of_one_block_is_unchanged():
    # Up to BLOCK_CUSTOMERS accounts: one block drawn with default_rng(seed), as simulate always did
    # (tests/test_datasets.py checks the sample's bytes).
    ds = simulate(n_customers=60, start="2026-01", months=4, seed=8)
    block = simulate_block(np.random.default_rng(8), Calendar.of("2026-01", 4), 60, 5.0)
    for name, df in ds:
        pd.testing.assert_frame_equal(df, block[name], obj=name)


def test_cli_streams_big_parquet_companies(small_blocks, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["simulate", "--customers", "90", "--months", "6", "--start", "2026-01", "--seed", "4",
                 "--out", str(out), "--format", "parquet", "--truth", str(tmp_path / "t.csv")]) == 0
    streamed = _loaded(out)
    pd.testing.assert_frame_equal(streamed.usage_events, _loaded(simulate(90, "2026-01", 6, seed=4).to_dir(
        tmp_path / "ref", format="parquet")).usage_events)
    assert len(pd.read_csv(tmp_path / "t.csv")) == 90
    with pytest.raises(ValueError, match="inside the data folder"):
        scale.write_parquet(out, n_customers=90, start="2026-01", months=6, seed=4, truth=out / "t.csv")
