"""The simulator: deterministic, valid against the contract, and plausible."""
import numpy as np
import pandas as pd
import pytest

import csm_kit
from csm_kit.metrics import churn_rates
from csm_kit.metrics.ledger import paid_spells
from csm_kit.simulator import TRUE_CHURN_DRIVERS


@pytest.fixture(scope="module")
def sim():
    return csm_kit.simulate(n_customers=5000, start="2024-01", months=30, seed=11)


def test_same_seed_same_bytes(tmp_path):
    for folder in ("a", "b"):
        csm_kit.simulate(n_customers=300, start="2025-01", months=12, seed=5).to_dir(tmp_path / folder)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in (tmp_path / "b").iterdir())
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    other = csm_kit.simulate(n_customers=300, start="2025-01", months=12, seed=6)
    assert not other.subscriptions.equals(csm_kit.load_dataset(tmp_path / "a").subscriptions)


def test_written_data_passes_validation_and_reloads_equal(tmp_path, sim):
    small = csm_kit.simulate(n_customers=400, start="2025-01", months=12, seed=2)
    small.to_dir(tmp_path)
    back = csm_kit.load_dataset(tmp_path)
    for name, df in small:
        pd.testing.assert_frame_equal(df, back.tables[name], obj=name)


def test_nothing_happens_after_the_window(sim):
    end = pd.Timestamp("2026-07-01")  # 30 months from 2024-01
    for name, df in sim:
        for col in df.select_dtypes("datetime").columns:
            assert (df[col].dropna() < end).all(), f"{name}.{col}"
    assert sim.subscriptions["end_date"].isna().any()  # active subscriptions are open-ended


def test_segments_are_priced_in_order(sim):
    from csm_kit.metrics import arpa

    a = arpa(sim, start="2026-06", end="2026-06", by="segment").set_index("segment")["arpa"]
    assert a["smb"] < a["mid_market"] < a["enterprise"]


def lifetimes(sim):
    spells = paid_spells(sim)
    first = spells[spells["spell"] == 1].set_index("customer_id")
    return first.assign(churned=first["end"].notna())


def test_churn_follows_the_hidden_drivers_through_what_is_observable(sim):
    life = lifetimes(sim)
    # Observable engagement: usage rows per paying month; low-usage accounts churn more.
    usage = sim.usage_events.groupby("customer_id").size()
    months_paid = ((life["end"].fillna(pd.Timestamp("2026-07-01")) - life["start"]).dt.days / 30.44).clip(lower=1)
    rate = (usage.reindex(life.index).fillna(0) / months_paid)
    low = rate <= rate.median()
    assert life.loc[low, "churned"].mean() > 1.3 * life.loc[~low, "churned"].mean()
    # Onboarding: accounts that never connected data churn more.
    connected = sim.onboarding.loc[sim.onboarding["milestone"] == "data_connected", "customer_id"]
    done = life.index.isin(connected)
    assert life.loc[~done, "churned"].mean() > life.loc[done, "churned"].mean() + 0.05
    # Satisfaction: detractors churn more than promoters.
    nps = sim.surveys[sim.surveys["survey"] == "nps"].groupby("customer_id")["score"].mean()
    scored = life.join(nps.rename("nps"), how="inner")
    assert scored.loc[scored["nps"] <= 6, "churned"].mean() > scored.loc[scored["nps"] >= 9, "churned"].mean()
    # Support pain: many tickets, more churn.
    tickets = sim.tickets.groupby("customer_id").size().reindex(life.index).fillna(0) / months_paid
    many = tickets > tickets.quantile(0.75)
    assert life.loc[many, "churned"].mean() > life.loc[~many, "churned"].mean()
    assert TRUE_CHURN_DRIVERS["engagement"] < 0 < TRUE_CHURN_DRIVERS["not_onboarded"]


def test_annual_accounts_leave_only_at_renewal(sim):
    subs = sim.subscriptions
    first = subs.sort_values("start_date").drop_duplicates("customer_id")
    annual = first[first["billing_period"] == "year"]["customer_id"]
    life = lifetimes(sim).loc[lambda d: d.index.isin(annual) & d["churned"]]
    months = (life["end"].dt.year - life["start"].dt.year) * 12 + life["end"].dt.month - life["start"].dt.month
    assert len(life) > 20 and (months % 12 == 0).all()


def test_some_join_and_churn_in_the_same_month_and_some_come_back(sim):
    r = churn_rates(sim, start="2024-02", end="2026-06")
    assert r["churned_joined"].sum() > 10 and r["reactivated"].sum() > 10


def test_survey_response_rate_below_one_and_comment_tone_follows_score(sim):
    s, sends = sim.surveys, sim.survey_sends
    rel = s[s["touchpoint"] == "relationship"]
    assert 0.2 < len(rel) / (sends["touchpoint"] == "relationship").sum() < 0.8
    negative = rel["comment"].str.contains("too |slow|hard|missing|breaking|confusing|limited", regex=True, na=False)
    assert negative[rel["score"] <= 6].mean() > 0.3 > negative[rel["score"] >= 9].mean()


def test_tickets_and_onboarding_shapes(sim):
    t = sim.tickets
    assert t["resolved_at"].isna().any() and (t["first_response_at"].dropna() >= t.loc[t["first_response_at"].notna(), "opened_at"]).all()
    urgent = (t["first_response_at"] - t["opened_at"]).dt.total_seconds()[t["priority"] == "urgent"].median()
    low = (t["first_response_at"] - t["opened_at"]).dt.total_seconds()[t["priority"] == "low"].median()
    assert urgent < low
    reached = sim.onboarding.groupby("milestone").size()
    assert reached["account_created"] == 5000 > reached["data_connected"] > reached["integration_live"]


KIND_DTYPES = {"id": "object", "text": "object", "date": "datetime64[ns]", "datetime": "datetime64[ns]",
               "float": "float64", "int": "Int64", "bool": "bool"}


def test_every_column_is_typed_as_the_contract_says(sim):
    from csm_kit.contract import TABLES

    assert set(dict(sim)) == set(TABLES)
    for name, df in sim:
        spec = TABLES[name]
        assert set(spec.required_columns) <= set(df.columns), name
        for col in df.columns:
            kind = spec[col].kind
            assert str(df[col].dtype) == KIND_DTYPES[kind], f"{name}.{col}"
            if kind == "date":
                d = df[col].dropna()
                assert (d == d.dt.normalize()).all(), f"{name}.{col} has a time part"
            if kind == "id":
                assert df[col].dropna().map(type).eq(str).all(), f"{name}.{col} ids are text"
    assert sim.source == "simulate(n_customers=5000, start='2024-01', months=30, seed=11)"


def test_contracts_have_the_shapes_of_a_saas_book(sim):
    s = sim.subscriptions
    segment = s["customer_id"].map(sim.customers.set_index("customer_id")["segment"])
    mix = pd.crosstab(segment, s["billing_period"], normalize="index")
    assert mix.loc["enterprise", "year"] > mix.loc["smb", "year"] and (mix["quarter"] > 0).all()
    assert ((s["plan"] == "free") == (s["amount"] == 0)).all() and (s["plan"] == "free").sum() > 10
    assert s["discount"].between(0, 1).all() and 0.1 < (s["discount"] > 0).mean() < 0.4
    # Seat changes: the old row ends the very day the new one starts, with a different seat count.
    main = s[s["plan"] != "analytics_addon"].sort_values(["customer_id", "start_date"], kind="mergesort")
    following = main.groupby("customer_id")[["start_date", "quantity"]].shift(-1)
    changed = main["end_date"] == following["start_date"]
    assert changed.sum() > 100 and (main.loc[changed, "quantity"] != following.loc[changed, "quantity"]).mean() > 0.9
    assert not (main["end_date"] > following["start_date"]).any()  # never two main plans at once
    # Add-ons run alongside a main plan of the same account.
    addon = s[s["plan"] == "analytics_addon"]
    assert len(addon) > 20 and addon["customer_id"].isin(main["customer_id"]).all()
    # Reasons only where a contract ended, and never on a seat change.
    assert s.loc[s["end_date"].isna(), "cancel_reason"].isna().all()
    assert s.loc[changed[changed].index, "cancel_reason"].isna().all()
    assert s["cancel_reason"].notna().sum() > 100


def test_signups_grow_and_acquisition_costs_follow_segment(sim):
    c = sim.customers
    per_year = c.groupby(c["signup_date"].dt.year).size()
    assert per_year[2025] > per_year[2024]
    cac = c.groupby("segment")["acquisition_cost"].median()
    assert cac["smb"] < cac["mid_market"] < cac["enterprise"]
    assert set(c["acquisition_channel"]) == {"organic", "paid_search", "partner", "outbound"}


def test_features_differ_in_adoption_and_follow_onboarding(sim):
    u = sim.usage_events
    adopters = u.groupby("event")["customer_id"].nunique()
    assert adopters["dashboard"] > adopters["reports"] > adopters["export"] > adopters["api"]
    # Integrations are used only once the integration is live.
    live = sim.onboarding[sim.onboarding["milestone"] == "integration_live"].set_index("customer_id")["completed_at"]
    used = u[u["event"] == "integrations"]
    assert used["customer_id"].isin(live.index).all()
    assert (used["timestamp"].dt.normalize() >= used["customer_id"].map(live).dt.normalize()).all()
    # Users belong to their account.
    assert (u["user_id"].str.split("-U").str[0] == u["customer_id"]).all()
    assert (sim.surveys["user_id"].str.split("-U").str[0] == sim.surveys["customer_id"]).all()


def test_usage_fades_before_churn(sim):
    life = lifetimes(sim)
    gone = life[life["churned"] & (life["end"] - life["start"] > pd.Timedelta(days=270))]
    u = sim.usage_events.merge(gone["end"].rename("end").reset_index(), on="customer_id")
    days_left = (u["end"] - u["timestamp"]).dt.days
    last_month = (days_left.between(0, 29)).sum() / len(gone)
    half_year_before = (days_left.between(150, 179)).sum() / len(gone)
    assert last_month < 0.7 * half_year_before


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        csm_kit.simulate(n_customers=0)
    with pytest.raises(ValueError, match="YYYY-MM"):
        csm_kit.simulate(n_customers=10, start="Nov 2023")
    with pytest.raises(ValueError, match="usage_intensity"):
        csm_kit.simulate(n_customers=10, usage_intensity=-1)


def test_the_documented_truth_is_the_one_used():
    from pathlib import Path

    import csm_kit.simulator as simulator

    readme = (Path(__file__).parents[1] / "data" / "sample" / "README.md").read_text()
    d = TRUE_CHURN_DRIVERS
    for text in (readme, simulator.__doc__):
        assert f"- {-d['engagement']:.2f} * engagement" in text
        assert f"- {-d['satisfaction']:.2f} * satisfaction" in text
        assert f"+ {d['not_onboarded']:.2f} * not_onboarded" in text
        assert f"+ {d['log_support_pain']:.2f} * log(support_pain)" in text
    for segment, base in d["base_monthly_hazard"].items():
        assert f"{100 * base:.1f}% ({segment})" in readme


# -- the truth kept for validation (Dataset.truth, csm-kit simulate --truth) -----------------------

def test_truth_holds_the_hazard_the_churn_was_drawn_with(sim):
    t = sim.truth
    assert list(t.columns) == ["customer_id", "monthly_hazard", "engagement", "satisfaction", "support_pain",
                               "onboarded", "early_dropout"]
    assert t["customer_id"].tolist() == sim.customers["customer_id"].tolist()
    # The documented formula, recomputed by hand from the traits it keeps.
    d = TRUE_CHURN_DRIVERS
    seg = sim.customers.set_index("customer_id")["segment"].reindex(t["customer_id"]).map(d["base_monthly_hazard"])
    h = np.minimum(seg.to_numpy() * np.exp(d["engagement"] * t["engagement"] + d["satisfaction"] * t["satisfaction"]
                                           + d["not_onboarded"] * ~t["onboarded"]
                                           + d["log_support_pain"] * np.log(t["support_pain"])), d["hazard_cap"])
    assert t["monthly_hazard"].to_numpy() == pytest.approx(h)
    # Monthly billers' first spells: churn at the first anniversary happens with probability h.
    subs = sim.subscriptions
    first = subs.sort_values("start_date").drop_duplicates("customer_id").set_index("customer_id")
    monthly = first.index[(first["billing_period"] == "month") & (first["plan"] != "free")]
    truth = t.set_index("customer_id").loc[monthly]
    spells = paid_spells(sim).sort_values("start").drop_duplicates("customer_id").set_index("customer_id")
    start = spells.loc[monthly, "start"]
    followed = start <= pd.Timestamp("2026-05-31")  # a first anniversary inside the window
    ended = spells.loc[monthly, "end"]
    gone_at_1 = (ended.notna() & (ended <= start + pd.DateOffset(months=1)))[followed]
    keep = ~truth.loc[followed.index[followed], "early_dropout"]
    observed, expected = gone_at_1[keep.to_numpy()].mean(), truth.loc[keep.index[keep], "monthly_hazard"].mean()
    assert observed == pytest.approx(expected, rel=0.15)


def test_truth_follows_the_customers_and_is_not_written_with_the_data(sim, tmp_path):
    few = sim.for_customers(sim.customers["customer_id"].head(3))
    assert few.truth["customer_id"].tolist() == few.customers["customer_id"].tolist()
    folder = sim.for_customers(sim.customers["customer_id"].head(20)).to_dir(tmp_path / "data")
    assert not any("truth" in p.name for p in folder.iterdir())
    assert csm_kit.load_dataset(folder).truth is None


def test_cli_writes_the_truth_beside_the_data_never_inside(tmp_path, capsys):
    from csm_kit.cli import main

    base = ["simulate", "--customers", "30", "--months", "3", "--seed", "4", "--out", str(tmp_path / "data")]
    assert main(base + ["--truth", str(tmp_path / "truth" / "t.csv")]) == 0
    written = pd.read_csv(tmp_path / "truth" / "t.csv", dtype={"customer_id": str})
    expected = csm_kit.simulate(n_customers=30, months=3, seed=4).truth
    assert written["customer_id"].tolist() == expected["customer_id"].tolist()
    assert written["monthly_hazard"].to_numpy() == pytest.approx(expected["monthly_hazard"].to_numpy())
    for inside in (tmp_path / "data" / "truth.csv", tmp_path / "data", tmp_path / "data" / "sub" / "t.csv"):
        assert main(base + ["--truth", str(inside)]) == 1
        assert "inside the data folder" in capsys.readouterr().err
    assert not (tmp_path / "data" / "truth.csv").exists()


def test_oracle_probability_by_hand():
    from csm_kit import Dataset
    from csm_kit.simulator.oracle import oracle_churn_probability

    subs = pd.DataFrame({"subscription_id": ["s1", "s2", "s3", "s4"], "customer_id": ["m", "y", "r", "d"],
                         "plan": "p", "start_date": pd.to_datetime(["2026-01-15", "2026-01-10", "2025-08-20",
                                                                    "2026-06-20"]),
                         "end_date": pd.NaT, "billing_period": ["month", "year", "year", "month"], "amount": 100.0})
    truth = pd.DataFrame({"customer_id": ["m", "y", "r", "d"], "monthly_hazard": [0.1, 0.1, 0.05, 0.02],
                          "early_dropout": [False, False, False, True]})
    o = oracle_churn_probability(Dataset(subscriptions=subs, truth=truth), as_of="2026-06-30").set_index("customer_id")
    # m: monthly, renewals 15 Jul, Aug, Sep inside (06-30, 09-28]: 1 - 0.9^3; y: annual mid-term: 0
    # r: annual renewing 2026-08-20: 1 - 0.95^12; d: gave up in its first weeks (10 days in): 1
    assert o["p_churn"].to_dict() == pytest.approx({"m": 1 - 0.9 ** 3, "y": 0.0, "r": 1 - 0.95 ** 12, "d": 1.0})
    with pytest.raises(ValueError, match="truth"):
        oracle_churn_probability(Dataset(subscriptions=subs), as_of="2026-06-30")
