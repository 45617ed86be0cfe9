"""The relational KPI layer (csm_kit.engine) against the pandas metric functions, number for number.

Every figure of ``kpi_tables`` is compared with the function of csm_kit.metrics that
defines it, exactly (money to the micro-unit, rates bit for bit): on hand-built
histories with every awkward ledger case, on random histories, and on simulated
companies of several seeds. Hand-computed values pin the definitions themselves.
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import csm_kit
from csm_kit.engine import MONTHLY_COLUMNS, DuckDBBackend, kpi_tables, month_end_balances
from csm_kit.exceptions import MissingTableError
from csm_kit.metrics import (active_accounts, churn_rates, feature_adoption, mrr_movements, revenue_retention,
                             stickiness)
from csm_kit.metrics.ledger import month_end_mrr
from tests.test_engagement import DAU_EVENTS, events
from tests.test_retention import subs, worked_example
from tests.test_revenue import every_kind, frame_of, histories


def expected_monthly(subscriptions, usage, start, end, window=12):
    """The KPI table built from csm_kit.metrics, column for column."""
    m = mrr_movements(subscriptions, start=start, end=end)
    c = churn_rates(subscriptions, start=start, end=end)
    r = revenue_retention(subscriptions, start=start, end=end)
    h = revenue_retention(subscriptions, start=start, end=end, form="cohort", window=window)
    out = pd.DataFrame({
        "month": m["month"], "mrr": m["mrr_end"], "new_mrr": m["new"], "expansion_mrr": m["expansion"],
        "contraction_mrr": m["contraction"], "churned_mrr": m["churn"], "reactivation_mrr": m["reactivation"],
        "customers_start": c["customers_start"], "churned_existing": c["churned_existing"],
        "churned_joined": c["churned_joined"], "churn_rate": c["churn_rate"], "nrr": r["nrr"], "grr": r["grr"],
        "mrr_start": m["mrr_start"], "customers_end": c["customers_end"],
        "nrr_12m": h["nrr"], "grr_12m": h["grr"]})
    assert (m["paying_customers_start"] == c["customers_start"]).all()  # two functions, one count
    if usage is not None:
        a = active_accounts(usage, start=start, end=end)
        s = stickiness(usage, start=start, end=end)
        out["active_accounts"] = a["active_accounts"].to_numpy()
        out["active_users"] = a["active_users"].to_numpy()
        out["stickiness"] = s["stickiness"].to_numpy()
    return out


def assert_same_monthly(got: pd.DataFrame, want: pd.DataFrame):
    assert list(got["month"]) == list(want["month"])
    for column in want.columns.drop("month"):
        g, w = got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float)
        # Exact: same float operations on the same integers, so equal bit for bit (NaN where undefined).
        np.testing.assert_array_equal(g, w, err_msg=column)


def assert_same_adoption(got: pd.DataFrame, usage, start, end):
    want = feature_adoption(usage, start=start, end=end)
    assert got["month"].tolist() == want["month"].tolist()
    assert got["feature"].tolist() == want["feature"].tolist()
    np.testing.assert_array_equal(got["accounts"].to_numpy(), want["adopters"].to_numpy())
    np.testing.assert_array_equal(got["active_accounts"].to_numpy(), want["denominator"].to_numpy())
    np.testing.assert_array_equal(got["adoption"].to_numpy(dtype=float), want["adoption"].to_numpy(dtype=float))


def check(subscriptions, usage=None, *, start, end, window=12):
    tables = {"subscriptions": subscriptions} | ({"usage_events": usage} if usage is not None else {})
    k = kpi_tables(tables, start=start, end=end, window=window)
    want = expected_monthly(subscriptions, usage, start, end, window)
    assert_same_monthly(k.monthly, want)
    if usage is not None:
        assert_same_adoption(k.adoption, usage, start, end)
    return k


# -- hand-computed values: the definitions themselves ------------------------------------

def test_every_movement_kind_in_one_month_by_hand():
    k = check(every_kind(), start="2026-02", end="2026-02").monthly.iloc[0]
    # Same figures as tests/test_revenue.py works out by hand.
    assert (k.mrr_start, k.new_mrr, k.reactivation_mrr, k.expansion_mrr, k.contraction_mrr, k.churned_mrr,
            k.mrr) == (330, 40, 35, 30, 15, 75, 345)
    assert (k.customers_start, k.churned_existing, k.churned_joined) == (5, 2, 1)   # gone, free; flash
    assert k.churn_rate == 3 / 6                                                   # seeds: 3 / (5 + 1)
    assert k.nrr == (330 - 75 - 15 + 30) / 330 and k.grr == (330 - 75 - 15) / 330


def test_worked_example_of_the_conventions():
    k = check(worked_example(), start="2026-02", end="2026-02").monthly.iloc[0]
    # 200 at the start, 10 leave, 30 join of whom 3 leave again, 2 come back.
    assert (k.customers_start, k.churned_existing, k.churned_joined, k.customers_end) == (200, 10, 3, 219)
    assert k.churn_rate == 13 / 203
    assert (k.new_mrr, k.reactivation_mrr, k.churned_mrr) == (2700, 200, 1000)


@pytest.mark.parametrize("rows, start, end", [
    # joins and leaves in one month, then returns: a reactivation, and a churned joiner in January
    ([("a", "2026-01-05", "2026-01-20", 10.0), ("a", "2026-02-03", None, 10.0)], "2026-01", "2026-02"),
    # paid before the window: a reactivation, not new
    ([("a", "2025-01-01", "2025-03-01", 10.0), ("a", "2026-02-01", None, 10.0)], "2026-02", "2026-02"),
    # a life: new, expansion, contraction, churn, then empty months
    ([("a", "2026-01-15", "2026-07-10", 100.0), ("a", "2026-03-01", "2026-05-01", 50.0)], "2026-01", "2026-08"),
    # quarterly and weekly plans, an upgrade mid-month
    ([("q", "2026-02-10", "2026-05-10", 300.0, "quarter"), ("w", "2026-02-01", "2026-03-16", 12.0, "week"),
      ("w", "2026-03-16", None, 24.0, "week")], "2026-02", "2026-05"),
    # annual plans ending on the 1st: churn the month after
    ([("a", "2025-06-01", "2026-06-01", 2400.0, "year"), ("b", "2025-06-01", None, 1200.0, "year")],
     "2026-05", "2026-07"),
    # zero-length and free subscriptions, a free plan between paid ones, daily billing
    ([("c", "2026-01-10", "2026-01-10", 10.0), ("b", "2026-01-01", None, 0.0), ("d", "2026-01-01", "2026-02-01", 10.0),
      ("d", "2026-02-01", "2026-03-01", 0.0), ("d", "2026-03-01", None, 10.0), ("e", "2026-02-28", None, 1.0, "day")],
     "2026-01", "2026-04"),
    # a subscription starting on the last day of a month, one ending on the last day
    ([("a", "2026-01-31", "2026-02-28", 10.0), ("b", "2026-01-31", "2026-02-01", 5.0)], "2026-01", "2026-03"),
    # nothing paid in the window
    ([("a", "2026-06-01", None, 10.0)], "2026-02", "2026-03"),
])
def test_awkward_ledger_cases_match_the_metric_functions(rows, start, end):
    check(subs(*rows), start=start, end=end)


def test_discounts_and_rounding_ties_are_exact():
    # 0.1 ten times is exactly 1.0 in micro-units; a discount change is an expansion;
    # 0.0000005 a month is a tie in micro-units: rint rounds it to 0 (even), 0.0000015 to 2.
    s = subs(*[(f"c{i % 3}", "2026-01-01", None, 0.1) for i in range(30)],
             ("d", "2026-01-01", "2026-03-01", 100.0), ("d", "2026-03-01", None, 100.0),
             ("t", "2026-01-01", None, 0.0000005), ("u", "2026-01-01", None, 0.0000015))
    s["discount"] = [None] * 30 + [0.2, None, None, None]
    k = check(s, start="2026-01", end="2026-03").monthly
    assert k["mrr"].tolist() == [3 + 80 + 0.000002, 3 + 80 + 0.000002, 3 + 100 + 0.000002]
    assert k["expansion_mrr"].tolist() == [0, 0, 20]


def test_reconciliation_to_the_cent_on_random_histories_and_row_order():
    rng = np.random.default_rng(5)
    frame = frame_of([(c, int(s), None if rng.random() < 0.3 else int(e), a, p) for c, s, e, a, p in zip(
        rng.choice(list("abcdefghij"), 60), rng.integers(0, 400, 60), rng.integers(0, 200, 60),
        rng.choice([0.0, 9.99, 10.0, 33.33, 1200.0], 60), rng.choice(["month", "year", "quarter", "week", "day"], 60))])
    k = check(frame, start="2026-01", end="2027-02").monthly
    micro = {c: np.rint(k[c].to_numpy() * 1e6).astype(np.int64) for c in k.columns if c.endswith("mrr") or c == "mrr_start"}
    assert (micro["mrr"] == micro["mrr_start"] + micro["new_mrr"] + micro["reactivation_mrr"] + micro["expansion_mrr"]
            - micro["contraction_mrr"] - micro["churned_mrr"]).all()
    assert (micro["mrr_start"][1:] == micro["mrr"][:-1]).all()
    shuffled = kpi_tables({"subscriptions": frame.sample(frac=1, random_state=2)}, start="2026-01", end="2027-02")
    pd.testing.assert_frame_equal(shuffled.monthly, kpi_tables({"subscriptions": frame}, start="2026-01",
                                                               end="2027-02").monthly)


@settings(max_examples=25, deadline=None)
@given(histories)
def test_random_histories_match_the_metric_functions(rows):
    check(frame_of(rows), start="2026-01", end="2026-11", window=3)


def test_month_end_balances_equal_the_ledgers_matrix():
    s = every_kind()
    got = month_end_balances({"subscriptions": s}, start="2025-04", end="2026-03")
    matrix = month_end_mrr(s, "2025-04", "2026-03")
    want = matrix.stack()
    want = want[want > 0]
    assert list(zip(got["customer_id"], got["month"])) == list(want.index)
    np.testing.assert_array_equal(got["mrr"].to_numpy(), want.to_numpy())


# -- usage ---------------------------------------------------------------------------------

def test_stickiness_active_counts_and_adoption_by_hand():
    s = subs(("a", "2026-01-01", None, 10.0), ("b", "2026-01-01", None, 10.0))
    k = check(s, DAU_EVENTS, start="2026-03", end="2026-04")
    april = k.monthly.set_index(k.monthly["month"].astype(str)).loc["2026-04"]
    assert (april.active_users, april.active_accounts) == (3, 2)
    assert april.stickiness == (48 / 30) / 3          # user-days 30 + 15 + 3 over 30 days, over 3 MAU
    march = k.monthly.iloc[0]
    assert (march.active_users, march.active_accounts) == (0, 0) and np.isnan(march.stickiness)
    a = k.adoption[k.adoption["month"].astype(str) == "2026-04"].set_index("feature")
    assert a.loc["login", "adoption"] == 1.0 and a.loc["export", "adoption"] == 0.5   # export: a only
    assert k.adoption[k.adoption["month"].astype(str) == "2026-03"]["adoption"].isna().all()


def test_zero_quantities_and_a_user_under_two_accounts():
    ev = events([("a", "u1", "2026-02-01 10:00", "login", 1), ("a", "u2", "2026-02-01 11:00", "login", 0),
                 ("b", "u1", "2026-02-02 09:00", "report", None), ("b", "u3", "2026-02-28 23:59:59", "login", 2),
                 ("c", "u4", "2026-03-01 00:00", "login", 1)])
    s = subs(("a", "2026-01-01", None, 10.0))
    k = check(s, ev, start="2026-02", end="2026-02").monthly.iloc[0]
    assert (k.active_users, k.active_accounts) == (3, 2)   # (a,u1), (b,u1), (b,u3); u2 had quantity 0
    ev_no_q = ev.drop(columns="quantity")
    check(s, ev_no_q, start="2026-01", end="2026-03")


# -- simulated companies ---------------------------------------------------------------------

@pytest.mark.parametrize("seed, n, start, months", [(1, 300, "2024-01", 18), (7, 150, "2025-03", 14),
                                                    (23, 40, "2026-01", 6)])
def test_simulated_companies_match_on_every_number(seed, n, start, months):
    ds = csm_kit.simulate(n_customers=n, start=start, months=months, seed=seed)
    first = pd.Period(start, "M")
    for lo, hi in [(first, first + months - 1), (first + months // 2, first + months - 1)]:
        k = check(ds.subscriptions, ds.usage_events, start=lo, end=hi)
        assert (k.monthly["mrr"] > 0).any()
    # A Dataset is accepted as it is.
    k2 = kpi_tables(ds, start=first, end=first + months - 1)
    assert_same_monthly(k2.monthly, expected_monthly(ds.subscriptions, ds.usage_events, first, first + months - 1))


def test_sample_data_matches():
    from csm_kit.config import SAMPLE_DIR

    ds = csm_kit.load_dataset(SAMPLE_DIR, tables=["customers", "subscriptions", "usage_events"])
    check(ds.subscriptions, ds.usage_events, start="2024-06", end="2026-10")


def test_files_and_catalog_tables_as_sources(tmp_path):
    ds = csm_kit.simulate(n_customers=60, start="2026-01", months=5, seed=4)
    ds.to_dir(tmp_path, format="parquet")
    tables = {"subscriptions": tmp_path / "subscriptions.parquet", "usage_events": str(tmp_path / "usage_events.parquet")}
    from_files = kpi_tables(tables, start="2026-02", end="2026-05")
    want = kpi_tables(ds, start="2026-02", end="2026-05")
    pd.testing.assert_frame_equal(from_files.monthly, want.monthly)
    pd.testing.assert_frame_equal(from_files.adoption, want.adoption)
    backend = DuckDBBackend()
    backend.con.execute(f"CREATE TABLE subs AS SELECT * FROM read_parquet('{tmp_path / 'subscriptions.parquet'}')")
    from_catalog = kpi_tables({"subscriptions": "subs"}, start="2026-02", end="2026-05", backend=backend)
    pd.testing.assert_frame_equal(from_catalog.monthly.drop(columns=["active_accounts", "active_users", "stickiness"]),
                                  want.monthly.drop(columns=["active_accounts", "active_users", "stickiness"]))
    assert from_catalog.monthly["stickiness"].isna().all() and from_catalog.adoption.empty


def test_one_micro_unit_for_the_ledger_and_the_engine():
    from csm_kit.engine import kpis
    from csm_kit.metrics import ledger

    assert kpis.MICRO == ledger.MICRO


def test_columns_and_errors():
    s = subs(("a", "2026-01-01", None, 10.0))
    k = kpi_tables({"subscriptions": s}, start="2026-01", end="2026-03")
    assert list(k.monthly.columns) == MONTHLY_COLUMNS and k.engine == "duckdb"
    assert k.monthly["month"].astype(str).tolist() == ["2026-01", "2026-02", "2026-03"]
    with pytest.raises(ValueError, match="ends .* before it starts"):
        kpi_tables({"subscriptions": s}, start="2026-03", end="2026-01")
    with pytest.raises(MissingTableError, match="subscriptions"):
        kpi_tables({"usage_events": DAU_EVENTS}, start="2026-03", end="2026-04")
    with pytest.raises(ValueError, match="window"):
        kpi_tables({"subscriptions": s}, start="2026-01", end="2026-03", window=0)


# -- usage read in runs of months (passes), and the DuckDB policy for big inputs ------------------

class Passes(DuckDBBackend):
    """A DuckDB backend with a fixed plan for reading usage: runs of months, or customer ranges."""

    def __init__(self, passes=1, customer_bounds=None, **kwargs):
        super().__init__(**kwargs)
        self.plan = {"customer_bounds": customer_bounds} if customer_bounds else {"passes": passes}

    def usage_plan(self, table, *, k0, k1):
        return self.plan


def edge_day_events():
    """Day edges, a month with no activity between active ones, one user id under two accounts."""
    return events([
        ("a", "u1", "2026-01-01 00:00:00", "login", 1),       # first second of a month: day 1, bit 0
        ("a", "u1", "2026-01-31 23:59:59", "login", 1),       # last second of a 31-day month: bit 30
        ("a", "u1", "2026-01-31 08:00:00", "export", 3),      # same user-day again: still one
        ("b", "u1", "2026-01-31 09:00:00", "login", 1),       # u1 again, under account b: another user
        ("b", "u2", "2026-02-28 23:59:59", "report", 1),      # last day of February
        # March: no activity at all
        ("a", "u3", "2026-04-30 12:00:00", "login", 1),       # last day of a 30-day month
        ("a", "u3", "2026-04-15 12:00:00", "login", 0),       # quantity 0: not activity
        ("c", "u9", "2026-05-01 00:00:00", "login", 1),       # after the window
        ("c", "u9", "2025-12-31 23:59:59", "login", 1),       # before the window
    ])


@pytest.mark.parametrize("plan", [{"passes": 1}, {"passes": 2}, {"passes": 3}, {"passes": 4}, {"passes": 99},
                                  {"customer_bounds": ["b"]}, {"customer_bounds": ["a", "b", "c", "zz"]},
                                  {"customer_bounds": ["0", "it's"]}])
def test_usage_in_runs_of_months_or_customers_by_hand(plan):
    s = subs(("a", "2025-12-01", None, 10.0), ("b", "2026-01-01", None, 5.0))
    ev = edge_day_events()
    k = kpi_tables({"subscriptions": s, "usage_events": ev}, start="2026-01", end="2026-04", backend=Passes(**plan))
    m = k.monthly.set_index(k.monthly["month"].astype(str))
    assert m["active_users"].tolist() == [2, 1, 0, 1]        # Jan: (a,u1), (b,u1); Feb: (b,u2); Apr: (a,u3)
    assert m["active_accounts"].tolist() == [2, 1, 0, 1]
    assert m.loc["2026-01", "stickiness"] == (3 / 31) / 2    # user-days: a/u1 on the 1st and 31st, b/u1 on the 31st
    assert m.loc["2026-02", "stickiness"] == (1 / 28) / 1
    assert np.isnan(m.loc["2026-03", "stickiness"])
    assert m.loc["2026-04", "stickiness"] == (1 / 30) / 1
    a = k.adoption.assign(month=k.adoption["month"].astype(str)).set_index(["month", "feature"])
    assert a.loc[("2026-01", "export"), "accounts"] == 1 and a.loc[("2026-01", "export"), "adoption"] == 0.5
    assert a.loc[("2026-01", "login"), "adoption"] == 1.0
    assert a.loc[("2026-03", "login"), "accounts"] == 0 and np.isnan(a.loc[("2026-03", "login"), "adoption"])
    check(s, ev, start="2026-01", end="2026-04")             # and the metric functions agree


@pytest.mark.parametrize("seed", [3, 8])
def test_any_number_of_passes_gives_the_same_numbers(seed):
    ds = csm_kit.simulate(n_customers=120, start="2025-01", months=14, seed=seed)
    tables = {"subscriptions": ds.subscriptions, "usage_events": ds.usage_events}
    one = kpi_tables(tables, start="2025-02", end="2026-02", backend=Passes(1))
    assert one.monthly["active_users"].gt(0).all()
    ids = sorted(ds.customers["customer_id"])
    for plan in ({"passes": 2}, {"passes": 5}, {"passes": 13}, {"customer_bounds": ids[::17]},
                 {"customer_bounds": [ids[0]]}, {"customer_bounds": [ids[-1] + "~"]}):
        many = kpi_tables(tables, start="2025-02", end="2026-02", backend=Passes(**plan))
        pd.testing.assert_frame_equal(many.monthly, one.monthly)
        pd.testing.assert_frame_equal(many.adoption, one.adoption)
    assert_same_monthly(one.monthly, expected_monthly(ds.subscriptions, ds.usage_events, "2025-02", "2026-02"))
    assert_same_adoption(one.adoption, ds.usage_events, "2025-02", "2026-02")


def test_month_ranges_cover_every_month_once():
    from csm_kit.engine.sql import month_ranges

    for n in range(1, 30):
        for passes in range(1, n + 3):
            runs = month_ranges(100, 100 + n - 1, passes)
            months = [k for lo, hi in runs for k in range(lo, hi + 1)]
            assert months == list(range(100, 100 + n)) and len(runs) == min(passes, n)
            sizes = [hi - lo + 1 for lo, hi in runs]
            assert max(sizes) - min(sizes) <= 1


def test_usage_plan_follows_the_rows_of_the_months_the_memory_limit_and_the_order(monkeypatch):
    from csm_kit.engine import backends

    # 2,400 rows spread over 2025-01-01 .. 2026-12-31 (24 months): 1,200 in the last 12.
    ts = pd.date_range("2025-01-01", "2026-12-31 23:00", periods=2400)
    in_time_order = pd.DataFrame({"customer_id": [f"c{i % 40:02d}" for i in range(2400)], "user_id": "u",
                                  "event": "e", "timestamp": ts})
    by_account = in_time_order.sort_values(["customer_id", "timestamp"], ignore_index=True)
    monkeypatch.setattr(backends, "USAGE_BYTES_PER_ROW", 100_000)   # so that half of 60 MB holds 300 rows
    limit = 2 * backends.USAGE_BYTES_PER_ROW * 300
    k = lambda month: pd.Period(month, "M").year * 12 + pd.Period(month, "M").month - 1  # noqa: E731
    with DuckDBBackend(memory_limit=f"{limit}B") as b:
        per_pass = b.memory_limit() // 2 // backends.USAGE_BYTES_PER_ROW  # DuckDB rounds the limit a little
        runs = int(np.ceil(1200 / per_pass))
        assert runs > 1
        b.register("ev", in_time_order)
        # Time order (the first rows within two months): runs of months, never more than the months.
        assert b.usage_plan("ev", k0=k("2026-01"), k1=k("2026-12")) == {"passes": runs}
        assert b.usage_plan("ev", k0=k("2026-12"), k1=k("2026-12")) == {}           # a month's rows fit
        assert b.usage_plan("ev", k0=k("2030-01"), k1=k("2030-12")) == {}           # no rows in the months
        # Written account by account: runs of customers.
        b.register("ev2", by_account)
        plan = b.usage_plan("ev2", k0=k("2026-01"), k1=k("2026-12"))
        bounds = plan["customer_bounds"]
        assert bounds == sorted(bounds) and 1 <= len(bounds) <= runs - 1
        assert set(bounds) <= set(by_account["customer_id"])
    with DuckDBBackend() as b:
        b.register("empty", by_account.iloc[:0])
        assert b.usage_plan("empty", k0=1, k1=12) == {}
        b.register("ev", by_account)
        assert b.usage_plan("ev", k0=k("2025-01"), k1=k("2026-12")) == {}          # plenty of memory
        # Written customer by customer, runs of at most USAGE_ROWS_PER_RUN rows of the months whatever the
        # memory; in time order or in no order, one run while memory allows.
        monkeypatch.setattr(backends, "USAGE_ROWS_PER_RUN", 500)
        bounds = b.usage_plan("ev", k0=k("2025-01"), k1=k("2026-12"))["customer_bounds"]   # 2,400 rows: 5 runs
        assert bounds == sorted(bounds) and 2 <= len(bounds) <= 4
        b.register("timed", in_time_order)
        assert b.usage_plan("timed", k0=k("2025-01"), k1=k("2026-12")) == {}
        b.register("shuffled", by_account.sample(frac=1, random_state=0))
        assert b.usage_plan("shuffled", k0=k("2025-01"), k1=k("2026-12")) == {}


def test_duckdb_policy_for_big_inputs(tmp_path, monkeypatch):
    import os

    import duckdb

    from csm_kit.engine.backends import physical_memory

    b = DuckDBBackend()
    setting = lambda name: b.con.execute(f"SELECT current_setting('{name}')").fetchone()[0]  # noqa: E731
    folder = setting("temp_directory")
    assert os.path.basename(folder).startswith("csm-kit-duckdb-") and os.path.isdir(folder)
    assert abs(b.memory_limit() - physical_memory() / 2) < 0.01 * physical_memory()
    assert "partitioned_execution" in setting("disabled_optimizers")
    assert setting("preserve_insertion_order") is False
    # A query that spills: its files live in the private folder, and the folder goes with the backend.
    b.con.execute("SET memory_limit = '64MB'")
    b.con.execute("CREATE TEMP TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS h FROM range(3000000)")
    assert b.con.execute("SELECT count(DISTINCT h) FROM big").fetchone()[0] == 3_000_000
    b.close()
    assert not os.path.exists(folder)
    # Given by the environment.
    monkeypatch.setenv("CSM_KIT_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("CSM_KIT_DUCKDB_THREADS", "1")
    with DuckDBBackend() as b:
        assert abs(b.memory_limit() - 300e6) < 1e6
        assert b.con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
    # A connection the caller owns keeps its settings, except the optimizer the queries need off.
    con = duckdb.connect(str(tmp_path / "own.duckdb"))
    con.execute("SET memory_limit = '777MB'")
    con.execute("SET disabled_optimizers = 'top_n'")
    b = DuckDBBackend(con)
    assert abs(b.memory_limit() - 777e6) < 1e6
    assert set(b.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0].split(",")) == \
        {"top_n", "partitioned_execution"}
    b.close()
    assert con.execute("SELECT 1").fetchone() == (1,)        # not closed: it is the caller's
    con.close()
    # The temporary folder of a backend nobody closed goes when it is collected.
    b = DuckDBBackend()
    folder = b.con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    b.con.close()
    del b
    import gc

    gc.collect()
    assert not os.path.exists(folder)


@pytest.mark.parametrize("bits", [0, 1, 62])
def test_adoption_in_the_same_pass_or_its_own_query(bits, monkeypatch):
    from csm_kit.engine import sql

    ds = csm_kit.simulate(n_customers=80, start="2025-06", months=8, seed=12)
    tables = {"subscriptions": ds.subscriptions, "usage_events": ds.usage_events}
    monkeypatch.setattr(sql, "FEATURE_BITS", bits)          # 0 and 1: fewer bits than features, own query
    for plan in ({"passes": 1}, {"passes": 3}, {"customer_bounds": sorted(ds.customers["customer_id"])[::9]}):
        k = kpi_tables(tables, start="2025-07", end="2026-01", backend=Passes(**plan))
        assert_same_monthly(k.monthly, expected_monthly(ds.subscriptions, ds.usage_events, "2025-07", "2026-01"))
        assert_same_adoption(k.adoption, ds.usage_events, "2025-07", "2026-01")


def test_seventy_features_a_quote_and_markup_in_feature_names():
    rows = [(f"c{i % 5}", f"u{i % 3}", f"2026-03-{1 + i % 28:02d} 10:00", f"feature {i:02d}", 1) for i in range(70)]
    rows += [("c1", "u1", "2026-03-05 11:00", "it's <script>x</script>", 1), ("c2", "u0", "2026-04-30 23:00", "a\\b", 2)]
    ev = events(rows)
    s = subs(("c0", "2026-01-01", None, 10.0))
    k = check(s, ev, start="2026-03", end="2026-04")         # 72 features: more than the bits, own query
    assert k.adoption["feature"].nunique() == 72
    few = events(rows[-2:] + rows[:3])
    k = check(s, few, start="2026-03", end="2026-04")        # 5 features: in the same pass
    a = k.adoption.assign(month=k.adoption["month"].astype(str)).set_index(["month", "feature"])
    assert a.loc[("2026-03", "it's <script>x</script>"), "accounts"] == 1
    assert a.loc[("2026-04", "a\\b"), "adoption"] == 1.0


@pytest.mark.parametrize("outside", [3, 70])
def test_features_used_only_outside_the_months_or_at_quantity_zero_are_not_adopted(outside):
    """Every row's features are numbered first: those without activity in the months count no adopters."""
    rows = [("c0", "u0", f"2026-01-{1 + i % 28:02d} 10:00", f"old {i:02d}", 1) for i in range(outside)]
    rows += [("c0", "u0", "2026-03-02 10:00", "a", 1), ("c1", "u1", "2026-04-02 10:00", "b", 2),
             ("c1", "u1", "2026-03-03 10:00", "idle", 0), ("c0", "u0", "2026-05-01 00:00", "later", 1)]
    s = subs(("c0", "2025-12-01", None, 10.0), ("c1", "2026-02-01", None, 5.0))
    k = check(s, events(rows), start="2026-03", end="2026-04")
    assert sorted(k.adoption["feature"].unique()) == ["a", "b"]
    assert k.adoption.set_index([k.adoption["month"].astype(str), "feature"])["accounts"].to_dict() == {
        ("2026-03", "a"): 1, ("2026-03", "b"): 0, ("2026-04", "a"): 0, ("2026-04", "b"): 1}


def test_no_activity_in_any_reported_month():
    ev = events([("a", "u1", "2025-12-31 23:59:59", "login", 1), ("a", "u1", "2026-02-10 10:00", "login", 0)])
    s = subs(("a", "2025-12-01", None, 10.0))
    for backend in (Passes(1), Passes(2), Passes(customer_bounds=["a"])):
        k = kpi_tables({"subscriptions": s, "usage_events": ev}, start="2026-01", end="2026-02", backend=backend)
        assert k.monthly["active_users"].tolist() == [0, 0] and k.monthly["stickiness"].isna().all()
        assert k.adoption.empty
    check(s, ev, start="2026-01", end="2026-02")
