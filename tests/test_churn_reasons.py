"""Why customers leave: cancel reasons with MRR lost, and leavers' comment themes, counted by hand."""
import pandas as pd
import pytest

import csm_kit
from csm_kit import Dataset
from csm_kit.metrics import churn_rates, mrr_movements
from csm_kit.metrics.churn_reasons import NOT_RECORDED, cancel_reasons, churn_events, feedback_left_vs_stayed
from csm_kit.metrics.coverage import OutsideDataError


def subs(rows):
    """rows: (customer, start, end, amount, reason[, billing])."""
    frame = pd.DataFrame([r if len(r) == 6 else (*r, "month") for r in rows],
                         columns=["customer_id", "start_date", "end_date", "amount", "cancel_reason", "billing_period"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


def dataset():
    s = subs([
        ("a", "2026-01-01", "2026-02-10", 100.0, "price"),          # Feb churn, $100
        ("b", "2026-01-01", "2026-02-28", 50.0, "price"),           # Feb churn, $50
        ("b", "2026-01-01", "2026-02-28", 20.0, "not_using"),       # b's add-on: smaller, reason ignored
        ("c", "2026-01-01", "2026-02-28", 1200.0, None, "year"),    # ends 28 Feb: not paying that day -> Feb churn
        ("g", "2026-01-01", "2026-03-01", 10.0, "price"),           # ends 1 March: paying on 28 Feb -> March churn
        ("d", "2026-02-03", "2026-02-20", 30.0, "not_using"),       # joined and left in Feb: $0 lost
        ("e", "2026-01-01", None, 40.0, None),                      # stays
        ("f", "2026-01-01", "2026-02-15", 10.0, None),              # contraction of f, not churn
        ("f", "2026-01-01", None, 10.0, None),
    ])
    customers = pd.DataFrame({"customer_id": list("abcdefg"), "segment": ["smb", "smb", "ent", "smb", "ent", "smb", "ent"]})
    return Dataset(customers=customers, subscriptions=s)


def test_churn_events_by_hand():
    e = churn_events(dataset(), start="2026-02", end="2026-02", by="segment")
    assert e[["customer_id", "segment", "kind", "mrr_lost", "reason"]].values.tolist() == [
        ["a", "smb", "existing", 100.0, "price"],
        ["b", "smb", "existing", 70.0, "price"],            # both of b's subscriptions: $70; the larger's reason
        ["c", "ent", "existing", 100.0, NOT_RECORDED],       # 1200 / 12
        ["d", "smb", "joined_and_left", 0.0, "not_using"],
    ]


def test_cancel_reasons_by_hand_and_shares():
    r = cancel_reasons(dataset(), start="2026-02", end="2026-02")
    assert r[["reason", "customers", "mrr_lost"]].values.tolist() == [
        ["price", 2, 170.0], [NOT_RECORDED, 1, 100.0], ["not_using", 1, 0.0]]
    assert r["share_of_churned"].tolist() == [0.5, 0.25, 0.25]
    assert r["share_of_mrr_lost"].round(6).tolist() == [round(170 / 270, 6), round(100 / 270, 6), 0.0]
    seg = cancel_reasons(dataset(), start="2026-02", end="2026-02", by="segment")
    assert seg[seg.segment == "ent"][["reason", "customers", "share_of_churned"]].values.tolist() == [
        [NOT_RECORDED, 1, 1.0]]


def test_without_a_cancel_reason_column_every_churn_is_not_recorded():
    ds = dataset()
    ds = ds.with_tables(subscriptions=ds.subscriptions.drop(columns="cancel_reason"))
    r = cancel_reasons(ds, start="2026-02", end="2026-02")
    assert r["reason"].tolist() == [NOT_RECORDED] and r["customers"].item() == 4
    march = churn_events(dataset(), start="2026-03", end="2026-03")
    assert march[["customer_id", "mrr_lost", "reason"]].values.tolist() == [["g", 10.0, "price"]]


def test_a_month_after_the_data_is_refused():
    with pytest.raises(OutsideDataError, match="after the data"):
        cancel_reasons(dataset(), end="2099-01")


@pytest.mark.parametrize("seed", [11, 23])
def test_reconciles_with_churn_rates_and_mrr_movements_on_simulated_data(seed):
    ds = csm_kit.simulate(n_customers=300, start="2024-01", months=18, seed=seed, usage_intensity=0)
    e = churn_events(ds, start="2024-06", end="2025-06", by="segment")
    rates = churn_rates(ds, start="2024-06", end="2025-06")
    moves = mrr_movements(ds, start="2024-06", end="2025-06")
    per_month = e.groupby("month").agg(n=("customer_id", "size"), lost=("mrr_lost", "sum"))
    per_month = per_month.reindex(rates["month"], fill_value=0)
    assert per_month["n"].tolist() == rates["churned"].tolist()
    assert per_month["lost"].round(6).tolist() == moves["churn"].round(6).tolist()
    r = cancel_reasons(ds, start="2024-06", end="2025-06", by="segment")
    assert r.groupby(["month", "segment"])["share_of_churned"].sum().round(9).eq(1).all()
    stated = set(ds.subscriptions["cancel_reason"].dropna())
    assert set(r["reason"]) <= stated | {NOT_RECORDED}


def test_feedback_left_vs_stayed_by_hand():
    s = subs([("a", "2025-12-01", "2026-02-10", 10.0, "price"), ("b", "2025-12-01", None, 10.0, None),
              ("c", "2025-12-01", None, 10.0, None), ("n", "2026-02-01", None, 10.0, None)])
    surveys = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "c", "n"], "survey": "nps", "score": [3.0, 2.0, 9.0, 8.0, 7.0, 10.0],
        "touchpoint": "relationship",
        "comment": ["Too expensive", "still too expensive, slow", "Great reports", "Pricing is fair",
                    "It doesn't support SSO", "Love it"],
        "responded_at": pd.to_datetime(["2026-01-05", "2026-02-05", "2026-01-20", "2026-01-21", "2026-03-02",
                                        "2026-02-10"])})
    f = feedback_left_vs_stayed(Dataset(subscriptions=s, surveys=surveys), start="2026-01", end="2026-03").set_index("theme")
    # left: a's two comments; stayed: b and c (3 comments); n joined after the start: in neither group
    assert f["left_comments"].iloc[0] == 2 and f["stayed_comments"].iloc[0] == 3
    assert f.loc["pricing", ["left_mentions", "stayed_mentions"]].tolist() == [2, 1]
    assert f.loc["pricing", "difference"] == pytest.approx(1 - 1 / 3)
    assert f.loc["performance", "left_share"] == 0.5
    assert f.loc["support", "stayed_mentions"] == 0 and f.loc["missing_features", "stayed_mentions"] == 1
