"""portfolio: each owner's accounts, MRR, health mix, renewals due and MRR at risk, by hand and on the sample."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.metrics.portfolio import NO_OWNER, portfolio

D = pd.Timestamp


def book_data(owners=("Ann", "Bob", None, "Ann", "Bob", "Cy")):
    ids = list("abcdef")
    customers = pd.DataFrame({"customer_id": ids, "signup_date": D("2025-01-01"), "owner": list(owners),
                              "segment": ["smb", "smb", "mid", "mid", "ent", "ent"]})
    subs = pd.DataFrame({
        "subscription_id": [f"s{i}" for i in ids] + ["sa2", "sgone"],
        "customer_id": ids + ["a", "f"],
        "plan": "pro",
        "start_date": pd.to_datetime(["2025-12-15", "2026-01-10", "2025-11-20", "2026-09-01", "2026-03-01",
                                      "2026-02-01", "2026-06-01", "2025-01-01"]),
        "end_date": pd.to_datetime([None, None, None, None, None, None, None, "2026-05-01"]),
        "billing_period": ["year", "month", "year", "quarter", "month", "month", "month", "year"],
        "amount": [1200.0, 50.0, 2400.0, 300.0, 80.0, 0.0, 20.0, 5000.0],
    })
    return Dataset(customers=customers, subscriptions=subs)


HEALTH = pd.DataFrame({"customer_id": list("abcde"), "band": ["red", "green", "yellow", "red", None],
                       "score": [10.0, 90.0, 50.0, 30.0, np.nan]})
RISK = pd.DataFrame({"customer_id": list("abcde"), "p_churn": [0.5, 0.1, 0.2, 0.4, 0.0]})


def test_book_by_hand():
    book = portfolio(book_data(), as_of="2026-10-31", health=HEALTH, risk=RISK).set_index("owner")
    # f pays nothing (free plan; its paid one ended): not an account. a: 100 + 20, d: 100 a month
    assert list(book.index) == ["Ann", "Bob", NO_OWNER]  # largest MRR first, (no owner) last
    assert book.loc["Ann", "accounts"] == 2 and book.loc["Ann", "mrr"] == 220.0
    assert book.loc["Bob", "accounts"] == 2 and book.loc["Bob", "mrr"] == 130.0
    assert book.loc[NO_OWNER, "mrr"] == 200.0
    assert (book.loc["Ann", ["red", "yellow", "green", "no_band"]].tolist() == [2, 0, 0, 0])
    assert (book.loc["Bob", ["red", "yellow", "green", "no_band"]].tolist() == [0, 0, 1, 1])
    # renewals in (31 Oct, 29 Jan]: a's yearly on 15 Dec, d's quarterly on 1 Dec; c's yearly on 20 Nov
    assert book.loc["Ann", "renewals_due"] == 2 and book.loc["Ann", "renewal_arr"] == 1200.0 + 1200.0
    assert book.loc["Bob", "renewals_due"] == 0 and book.loc["Bob", "renewal_arr"] == 0.0
    assert book.loc[NO_OWNER, "renewals_due"] == 1 and book.loc[NO_OWNER, "renewal_arr"] == 2400.0
    # MRR at risk = sum p x MRR: Ann 0.5 x 120 + 0.4 x 100; Bob 0.1 x 50 + 0 x 80; c 0.2 x 200
    assert book.loc["Ann", "mrr_at_risk"] == pytest.approx(100.0)
    assert book.loc["Bob", "mrr_at_risk"] == pytest.approx(5.0)
    assert book.loc[NO_OWNER, "mrr_at_risk"] == pytest.approx(40.0)
    full = portfolio(book_data(), as_of="2026-10-31", health=HEALTH, risk=RISK)
    assert any("1 paying account has no owner" in n for n in full.attrs["notes"]), full.attrs["notes"]


def test_no_owner_column_puts_everyone_in_no_owner_and_says_so():
    ds = book_data()
    ds = ds.with_tables(customers=ds.customers.drop(columns="owner"))
    book = portfolio(ds, as_of="2026-10-31", health=False, risk=False)
    assert book["owner"].tolist() == [NO_OWNER] and book["accounts"].tolist() == [5]
    assert any("no owner column" in n for n in book.attrs["notes"])
    assert book[["red", "yellow", "green"]].isna().all().all() and book["no_band"].tolist() == [5]
    assert book["mrr_at_risk"].isna().all()


def test_group_by_segment_and_unknown_column():
    book = portfolio(book_data(), as_of="2026-10-31", by="segment", health=False, risk=False).set_index("segment")
    assert book["accounts"].to_dict() == {"mid": 2, "smb": 2, "ent": 1}
    assert book.loc["mid", "mrr"] == 300.0 and book.loc["smb", "mrr"] == 170.0 and book.loc["ent", "mrr"] == 80.0
    assert list(book.index) == ["mid", "smb", "ent"]  # largest MRR first
    with pytest.raises(ValueError, match="not a customers column"):
        portfolio(book_data(), as_of="2026-10-31", by="territory", health=False, risk=False)


def test_snapshot_book_without_renewals(tmp_path):
    from csm_kit.io.snapshot_import import from_snapshot

    frame = pd.DataFrame({"id": ["a", "b", "c"], "t": [3, 12, 5], "churn": ["No", "No", "Yes"],
                          "mrr": [10.0, 20.0, 30.0], "csm": ["Ann", "Bob", "Ann"]})
    ds = from_snapshot(frame, customer_id="id", tenure="t", churned="churn", as_of="2026-10-31", mrr="mrr",
                       attributes=["csm"])
    book = portfolio(ds, as_of="2026-10-31", by="csm", health=False, risk=False).set_index("csm")
    assert book["accounts"].to_dict() == {"Bob": 1, "Ann": 1}  # c churned
    assert book["renewals_due"].isna().all() and any("snapshot" in n for n in book.attrs["notes"])


def test_many_owners_and_script_names():
    owners = [f"<script>csm{i}</script>" for i in range(9)]
    ids = [f"c{i}" for i in range(9)]
    customers = pd.DataFrame({"customer_id": ids, "signup_date": D("2025-01-01"), "owner": owners})
    subs = pd.DataFrame({"subscription_id": ids, "customer_id": ids, "plan": "pro",
                         "start_date": D("2026-01-01"), "end_date": pd.NaT, "billing_period": "month",
                         "amount": [float(10 * (i + 1)) for i in range(9)]})
    book = portfolio(Dataset(customers=customers, subscriptions=subs), as_of="2026-10-31", health=False, risk=False)
    assert len(book) == 9 and book["owner"].iloc[0] == "<script>csm8</script>" and book["mrr"].iloc[0] == 90.0


def test_on_the_sample_accounts_and_mrr_add_up_to_the_ledger():
    from csm_kit.datasets import load_sample
    from csm_kit.metrics import mrr

    ds = load_sample()
    owners = pd.Series(np.where(np.arange(len(ds.customers)) % 3 == 0, None,
                                np.where(np.arange(len(ds.customers)) % 3 == 1, "Ann", "Bob")), dtype=object)
    ds = ds.with_tables(customers=ds.customers.assign(owner=owners.to_numpy()))
    book = portfolio(ds, as_of="2026-10-31", health=False, risk=False)
    month = mrr(ds, start="2026-10", end="2026-10")
    assert book["mrr"].sum() == pytest.approx(float(month["mrr"].iloc[-1]))
    assert book["accounts"].sum() == int(month["paying_customers"].iloc[-1])
    assert book["owner"].iloc[-1] == NO_OWNER


def test_missing_group_label_names_the_column():
    ds = book_data()
    ds = ds.with_tables(customers=ds.customers.assign(segment=["smb", None, "mid", "mid", "ent", "ent"]))
    book = portfolio(ds, as_of="2026-10-31", by="segment", health=False, risk=False)
    assert book["segment"].iloc[-1] == "(no segment)" and book["mrr"].iloc[-1] == 50.0
