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


def _concatenated_the_old_way(n, start, months, seed, usage_intensity, block=40):
    """``simulate()`` of several blocks as it was built before it saved memory, written out independently:
    each block from ``simulate_block`` with its own generator, its ids shifted by the rows of the blocks before
    it (``S``, ``P``, ``T``, ``E``, ``R`` numbers; ``None`` stays ``None``), the frames then ``pd.concat``-ed."""
    cal = Calendar.of(start, months)
    numbered = {"subscriptions": [("subscription_id", "S")], "transactions": [("transaction_id", "P")],
                "tickets": [("ticket_id", "T")], "survey_sends": [("send_id", "E")],
                "surveys": [("response_id", "R"), ("ticket_id", "T"), ("send_id", "E")]}
    counted = {"S": "subscriptions", "P": "transactions", "T": "tickets", "E": "survey_sends", "R": "surveys"}
    offsets = dict.fromkeys(counted, 0)
    parts = {}
    for b, first in enumerate(range(0, n, block)):
        rng = np.random.default_rng(seed if b == 0 else [seed, b])
        tables = simulate_block(rng, cal, min(block, n - first), usage_intensity, first_customer=first + 1)
        for name, columns in numbered.items():
            for column, prefix in columns:
                tables[name][column] = np.array(
                    [v if v is None else f"{prefix}{int(v[1:]) + offsets[prefix]:08d}" for v in tables[name][column]],
                    dtype=object)
        for prefix, name in counted.items():
            offsets[prefix] += len(tables[name])
        if b:
            tables.pop("milestones")
        for name, df in tables.items():
            parts.setdefault(name, []).append(df)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


@pytest.mark.parametrize("seed, usage_intensity", [(3, 5.0), (12, 0.0), (7, 20.0)])
def test_simulate_in_blocks_equals_the_blocks_concatenated(monkeypatch, seed, usage_intensity):
    # 3 blocks (40, 40, 30 accounts): the tables built column by column equal the blocks' frames concatenated.
    monkeypatch.setattr(scale, "BLOCK_CUSTOMERS", 40)
    ds = simulate(n_customers=110, start="2025-03", months=14, seed=seed, usage_intensity=usage_intensity)
    expected = _concatenated_the_old_way(110, "2025-03", 14, seed, usage_intensity)
    got = dict(ds.tables, truth=ds.truth)
    assert list(got) == [name for name in csm_kit.contract.TABLES if name in expected] + ["truth"]
    assert sorted(got) == sorted(expected)
    for name, df in expected.items():
        pd.testing.assert_frame_equal(got[name], df, check_exact=True, obj=name)
        assert got[name].index.equals(pd.RangeIndex(len(df))), name
    assert len(ds.usage_events) > 0 if usage_intensity else len(ds.usage_events) == 0
    assert ds.surveys["ticket_id"].isna().any() and ds.surveys["ticket_id"].notna().any()


def test_repeated_ids_are_one_str_object_each(small_blocks):
    # What keeps simulate() small: a repeated id is the same Python str in every cell (8 bytes a cell),
    # across blocks too (blocks of 40, 40 and 20 here).
    ds = simulate(n_customers=100, start="2025-01", months=12, seed=3)
    customers = {id(v) for v in ds.customers["customer_id"]}
    for name in ("subscriptions", "usage_events", "surveys", "survey_sends", "tickets", "onboarding"):
        assert {id(v) for v in getattr(ds, name)["customer_id"]} <= customers, name
    users = ds.usage_events["user_id"]
    assert len({id(v) for v in users}) == users.nunique() < len(users)
    tickets, sends = {id(v) for v in ds.tickets["ticket_id"]}, {id(v) for v in ds.survey_sends["send_id"]}
    answered = ds.surveys.dropna(subset=["ticket_id"])
    assert len(answered) and {id(v) for v in answered["ticket_id"]} <= tickets
    assert {id(v) for v in ds.surveys["send_id"]} <= sends
    assert answered["customer_id"].isin(ds.customers["customer_id"].iloc[40:]).any()  # blocks after the first too


def test_survey_sends_dropped_after_the_window_leave_no_repeated_ids_in_the_next_block(monkeypatch):
    """A block numbers its sends, then drops those sent after the window: the next block starts after them.

    Seed 3 at 30,000 accounts in blocks of 5,000 has blocks that drop sends; numbering the next block on from
    the sends kept gave six send_ids twice, and load_dataset refused the company ("duplicate key").
    """
    monkeypatch.setattr(scale, "BLOCK_CUSTOMERS", 5_000)
    ds = simulate(n_customers=30_000, start="2024-11", months=24, seed=3)
    sends = ds.survey_sends["send_id"]
    assert sends.is_unique and ds.surveys["send_id"].dropna().isin(sends).all()
    assert pd.to_numeric(sends.str[1:]).max() > len(sends)  # sends were dropped: their numbers are gaps
