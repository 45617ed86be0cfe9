"""Renewals: the renewal calendar on hand-built subscriptions, the window, values, risk columns, the pipeline."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset, DataValidationError, MissingTableError
from csm_kit.metrics.coverage import SnapshotError
from csm_kit.metrics.renewals import next_renewals, renewal_pipeline, renewals

D = pd.Timestamp


@pytest.fixture(scope="module")
def sample_dataset():
    from csm_kit.datasets import load_sample

    return load_sample()


def subs_frame(rows):
    """rows: (id, customer, start, end, period, amount[, term_months[, commitment_end]])."""
    out = []
    for r in rows:
        r = list(r) + [None] * (8 - len(r))
        out.append({"subscription_id": r[0], "customer_id": r[1], "plan": "pro", "start_date": D(r[2]),
                    "end_date": D(r[3]) if r[3] else pd.NaT, "billing_period": r[4], "amount": float(r[5]),
                    "term_months": r[6], "commitment_end": D(r[7]) if r[7] else pd.NaT})
    df = pd.DataFrame(out)
    df["term_months"] = df["term_months"].astype("Int64")
    df["end_date"] = df["end_date"].astype("datetime64[ns]")
    df["commitment_end"] = df["commitment_end"].astype("datetime64[ns]")
    return df


def dataset(rows, owners=None):
    subs = subs_frame(rows)
    ids = sorted(subs["customer_id"].unique())
    customers = pd.DataFrame({"customer_id": ids, "signup_date": D("2020-01-01")})
    if owners is not None:
        customers["owner"] = [owners.get(i) for i in ids]
    return Dataset(customers=customers, subscriptions=subs)


def listed(ds, as_of, within_days=90, **kw):
    r = renewals(ds, as_of=as_of, within_days=within_days, health=False, risk=False, **kw)
    return dict(zip(r["subscription_id"], r["renewal_date"].dt.strftime("%Y-%m-%d")))


def test_quarterly_and_yearly_anniversaries_by_hand():
    ds = dataset([("q", "a", "2026-08-15", None, "quarter", 300), ("y", "b", "2025-01-31", None, "year", 1200),
                  ("y2", "c", "2024-03-10", None, "year", 600)])
    # 15 Aug + 3 months = 15 Nov; 31 Jan 2025 + 24 months = 31 Jan 2027 (92 days after 31 Oct); 10 Mar 2027 far
    assert listed(ds, "2026-10-31", 92) == {"q": "2026-11-15", "y": "2027-01-31"}
    assert listed(ds, "2026-10-31", 91) == {"q": "2026-11-15"}  # the window's last day is 31 Jan only with 92
    cal = next_renewals(ds.subscriptions, as_of="2026-10-31")
    assert cal["renewal_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-15", "2027-01-31", "2027-03-10"]
    assert cal["basis"].tolist() == ["billing period"] * 3


def test_renewal_exactly_on_the_windows_last_day_is_listed_and_on_as_of_is_not():
    ds = dataset([("edge", "a", "2025-12-30", None, "year", 1200), ("today", "b", "2025-10-31", None, "year", 1200)])
    assert listed(ds, "2026-10-31", 60) == {"edge": "2026-12-30"}  # 31 Oct + 60 days = 30 Dec
    assert listed(ds, "2026-10-31", 59) == {}
    # renewed on as_of itself: the next renewal is a year later
    assert next_renewals(ds.subscriptions, as_of="2026-10-31")["renewal_date"].iloc[1] == D("2027-10-31")


def test_monthly_plans_are_left_out_unless_asked_and_then_renew_monthly():
    ds = dataset([("m", "a", "2026-01-31", None, "month", 50), ("w", "b", "2026-10-01", None, "week", 10),
                  ("d", "c", "2026-10-01", None, "day", 1)])
    assert listed(ds, "2026-10-31") == {}
    assert listed(ds, "2026-10-31", include_monthly=True) == {"m": "2026-11-30", "w": "2026-11-05", "d": "2026-11-01"}
    r = renewals(ds, as_of="2026-10-31", health=False, risk=False)
    assert any("Monthly" in n for n in r.attrs["notes"])


@pytest.mark.parametrize("as_of,expected", [
    ("2026-02-10", "2026-02-28"),   # Jan 31 + 1 month: Feb 28
    ("2026-02-28", "2026-03-31"),   # then Mar 31, not Mar 28
    ("2026-03-31", "2026-04-30"),
    ("2026-04-30", "2026-05-31"),
    ("2028-02-01", "2028-02-29"),   # leap year
])
def test_renewals_on_the_31st_count_from_the_anchor(as_of, expected):
    ds = dataset([("m", "a", "2026-01-31", None, "month", 50)])
    assert listed(ds, as_of, 40, include_monthly=True) == {"m": expected}


def test_quarterly_from_the_30th_of_november():
    ds = dataset([("q", "a", "2025-11-30", None, "quarter", 300)])
    cal = [next_renewals(ds.subscriptions, as_of=d)["renewal_date"].iloc[0].strftime("%Y-%m-%d")
           for d in ("2025-12-31", "2026-02-28", "2026-05-29", "2026-05-30")]
    assert cal == ["2026-02-28", "2026-05-30", "2026-05-30", "2026-08-30"]


def test_terms_renew_at_term_end_whatever_the_billing_period():
    ds = dataset([("t24", "a", "2025-02-28", None, "month", 100, 24), ("t12", "b", "2024-11-30", None, "month", 80, 12),
                  ("t6q", "c", "2026-05-31", None, "quarter", 300, 6)])
    # 28 Feb 2025 + 24 months = 28 Feb 2027; 30 Nov 2024 + 24 = 30 Nov 2026; 31 May + 6 months = 30 Nov 2026
    assert listed(ds, "2026-10-31", 120) == {"t12": "2026-11-30", "t6q": "2026-11-30", "t24": "2027-02-28"}
    r = renewals(ds, as_of="2026-10-31", within_days=120, health=False, risk=False).set_index("subscription_id")
    assert (r["basis"] == "term").all()
    assert r.loc["t24", "arr"] == 1200.0 and r.loc["t6q", "arr"] == 1200.0  # 300 a quarter = 100 MRR


def test_commitment_end_is_the_next_renewal_and_after_it_the_contract_runs_on():
    ds = dataset([("ce", "a", "2025-12-15", None, "month", 100, None, "2026-12-15"),
                  ("past", "b", "2025-06-30", None, "year", 1200, None, "2026-06-30"),
                  ("past6", "c", "2025-06-30", None, "month", 100, 6, "2026-06-30")])
    cal = next_renewals(ds.subscriptions, as_of="2026-10-31")
    assert cal["basis"].tolist() == ["commitment end", "billing period", "term"]
    assert cal["renewal_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-12-15", "2027-06-30", "2026-12-30"]
    assert listed(ds, "2026-10-31") == {"ce": "2026-12-15", "past6": "2026-12-30"}


def test_a_subscription_cancelled_before_its_renewal_is_not_listed():
    ds = dataset([("gone", "a", "2025-12-01", "2026-06-01", "year", 1200),
                  ("ends_today", "b", "2025-12-01", "2026-10-31", "year", 1200),
                  ("later", "c", "2025-12-01", "2026-11-15", "year", 1200),
                  ("not_yet", "d", "2026-11-01", None, "year", 1200)])
    # ended before or on as_of: nothing left to renew; an end after as_of is not known yet; not started: no
    assert listed(ds, "2026-10-31") == {"later": "2026-12-01"}


def test_values_owner_and_given_health_and_risk():
    ds = dataset([("s1", "a", "2025-12-01", None, "year", 1200), ("s2", "b", "2026-09-10", None, "quarter", 600),
                  ("s3", "b", "2026-09-10", None, "quarter", 300)], owners={"a": "Ann", "b": None})
    ds = ds.with_tables(subscriptions=ds.subscriptions.assign(discount=[0.25, 0.0, 0.0]))
    health = pd.DataFrame({"customer_id": ["a", "b"], "band": ["red", "green"], "score": [20.0, 80.0]})
    risk = pd.DataFrame({"customer_id": ["a", "b"], "p_churn": [0.5, 0.1]})
    r = renewals(ds, as_of="2026-10-31", health=health, risk=risk).set_index("subscription_id")
    assert r.loc["s1", "mrr"] == 75.0 and r.loc["s1", "arr"] == 900.0  # 1200 x 0.75 / 12
    assert r.loc["s2", "arr"] == 2400.0 and r.loc["s3", "arr"] == 1200.0
    assert r.loc["s1", "owner"] == "Ann" and r.loc["s2", "owner"] is None
    assert r.loc["s1", "health_band"] == "red" and r.loc["s2", "health_score"] == 80.0
    assert r.loc["s1", "arr_at_risk"] == pytest.approx(450.0) and r.loc["s2", "arr_at_risk"] == pytest.approx(240.0)
    assert r.loc["s2", "days_to_renewal"] == 40  # 30 days of November + 10
    plain = renewals(ds, as_of="2026-10-31", health=health, risk=risk)
    assert list(plain.columns[:10]) == ["customer_id", "subscription_id", "plan", "billing_period", "basis",
                                                  "renewal_date", "days_to_renewal", "mrr", "arr", "owner"]


def test_risk_left_out_with_a_reason_when_the_data_cannot_give_it():
    ds = dataset([("s1", "a", "2025-12-01", None, "year", 1200)])
    r = renewals(ds, as_of="2026-10-31", health=False)  # one account, nobody ever churned: nothing to learn from
    assert "p_churn" not in r.columns and "arr_at_risk" not in r.columns and "health_band" not in r.columns
    assert any(n.startswith("Churn risk is not available") for n in r.attrs["notes"])
    assert "Health bands were not asked for." in r.attrs["notes"]
    assert r["subscription_id"].tolist() == ["s1"]


def test_free_plans_are_not_renewals_and_two_currencies_are_refused():
    ds = dataset([("free", "a", "2025-12-01", None, "year", 0), ("paid", "b", "2025-12-01", None, "year", 10)])
    assert listed(ds, "2026-10-31") == {"paid": "2026-12-01"}
    two = ds.with_tables(subscriptions=ds.subscriptions.assign(currency=["USD", "JPY"], amount=[10.0, 10.0]))
    with pytest.raises(DataValidationError, match="currenc"):
        renewals(two, as_of="2026-10-31", health=False, risk=False)


def test_refusals():
    ds = dataset([("s1", "a", "2025-12-01", None, "year", 1200)])
    with pytest.raises(ValueError, match="within_days"):
        renewals(ds, as_of="2026-10-31", within_days=0)
    with pytest.raises(ValueError, match="as_of is a day"):
        renewals(ds, as_of="October")
    with pytest.raises(MissingTableError, match="subscriptions"):
        renewals(Dataset(customers=ds.customers), as_of="2026-10-31")
    with pytest.raises(SnapshotError):
        renewals(Dataset(customers=ds.customers, subscriptions=ds.subscriptions, snapshot=True), as_of="2026-10-31")


@pytest.mark.parametrize("as_of", ["2026-10", pd.Period("2026-10", "M"), "2026-10-31"])
def test_a_month_means_its_last_day(as_of):
    ds = dataset([("s1", "a", "2025-11-01", None, "year", 1200)])
    assert listed(ds, as_of, 1) == {"s1": "2026-11-01"}


def test_pipeline_by_hand():
    ds = dataset([("q", "a", "2026-01-31", None, "quarter", 300),      # Jan 31 + 3k months: Apr 30, Jul 31, Oct 31, Jan 31...
                  ("y", "b", "2025-12-10", None, "year", 1200),         # Dec 10
                  ("t", "c", "2026-03-15", None, "month", 100, 6),      # every 6 months: Mar 15, Sep 15
                  ("ce", "d", "2026-01-01", None, "month", 50, None, "2027-02-01"),  # once: Feb 1
                  ("m", "e", "2026-01-01", None, "month", 10)])        # monthly: not in the pipeline
    p = renewal_pipeline(ds, as_of="2026-10-31", months=12)
    got = dict(zip(p["month"].astype(str), zip(p["renewals"], p["arr"])))
    assert len(p) == 12 and p["month"].iloc[0] == pd.Period("2026-11", "M")
    assert got["2026-11"] == (0, 0.0)
    assert got["2026-12"] == (1, 1200.0)
    assert got["2027-01"] == (1, 1200.0)                    # the quarterly on Jan 31
    assert got["2027-02"] == (1, 600.0)                     # the commitment end
    assert got["2027-03"] == (1, 1200.0)                    # the 6-month term
    assert got["2027-04"] == (1, 1200.0) and got["2027-07"] == (1, 1200.0) and got["2027-10"] == (1, 1200.0)
    assert got["2027-09"] == (1, 1200.0)
    assert p["renewals"].sum() == 8
    with_monthly = renewal_pipeline(ds, as_of="2026-10-31", months=12, include_monthly=True)
    assert (with_monthly["renewals"] - p["renewals"]).tolist() == [1] * 12


def test_pipeline_first_month_follows_as_of_mid_month():
    ds = dataset([("y", "a", "2025-10-20", None, "year", 1200)])
    p = renewal_pipeline(ds, as_of="2026-10-15", months=2)
    assert p["month"].astype(str).tolist() == ["2026-10", "2026-11"] and p["renewals"].tolist() == [1, 0]


def test_on_the_sample_every_listed_renewal_is_in_the_window_and_matches_the_pipeline(sample_dataset):
    ds = sample_dataset
    r = renewals(ds, as_of="2026-07-31", within_days=92, health=False, risk=False)
    assert len(r) > 20 and r["subscription_id"].is_unique
    assert r["renewal_date"].between(D("2026-08-01"), D("2026-10-31")).all()
    assert set(r["billing_period"]) <= {"quarter", "year"}
    p = renewal_pipeline(ds, as_of="2026-07-31", months=3)
    # August to October is 92 days: each subscription renews at most once in it, so both views agree
    assert p["renewals"].sum() == len(r) and p["arr"].sum() == pytest.approx(r["arr"].sum())


def test_script_in_ids_and_owner_stays_data():
    ds = dataset([("<script>s</script>", "<b>a</b>", "2025-12-01", None, "year", 1200)],
                 owners={"<b>a</b>": "<script>alert(1)</script>"})
    r = renewals(ds, as_of="2026-10-31", health=False, risk=False)
    assert r["owner"].tolist() == ["<script>alert(1)</script>"] and r["subscription_id"].iloc[0] == "<script>s</script>"


# -- the report page ------------------------------------------------------------------------------------------
from csm_kit.metrics.renewals import renewals_key_numbers, renewals_page  # noqa: E402


@pytest.fixture(scope="module")
def simulated():
    from csm_kit import simulate

    ds = simulate(n_customers=300, start="2024-01", months=30, seed=11)
    owners = [None if i % 5 == 0 else f"csm_{i % 9}" for i in range(len(ds.customers))]
    return ds.with_tables(customers=ds.customers.assign(owner=owners))


def test_page_and_key_numbers_agree_with_the_functions(simulated):
    from csm_kit.models.risk import ChurnRisk

    month = "2026-05"
    page = renewals_page(simulated, month=month, within_days=90)
    due = renewals(simulated, as_of="2026-05-31", within_days=90, health=False, risk=False)
    numbers = {k.name: k.value for k in renewals_key_numbers(simulated, month=month, within_days=90)}
    assert numbers["renewals_due"] == len(due) == page.upcoming.values["renewals"] > 0
    assert numbers["renewal_arr_due"] == pytest.approx(due["arr"].sum())
    p = ChurnRisk(horizon_days=90).fit(simulated, as_of="2026-05-31").predict(simulated, as_of="2026-05-31")
    expected = (due["customer_id"].map(p.set_index("customer_id")["p_churn"]) * due["arr"]).sum()
    assert numbers["renewal_arr_at_risk"] == pytest.approx(expected)
    pipe = renewal_pipeline(simulated, as_of="2026-05-31", months=12)
    assert numbers["renewal_pipeline_arr"] == pytest.approx(pipe["arr"].sum())
    book = page.book.frame
    assert numbers["accounts_without_owner"] == int(book.loc[book["owner"] == "(no owner)", "accounts"].iloc[0])
    assert len(book) == 10 and book["owner"].iloc[-1] == "(no owner)"  # 9 CSMs and the unowned
    shown = page.upcoming.shown
    assert shown["arr_at_risk"].is_monotonic_decreasing  # at-risk renewals first
    assert "Segment" not in page.headline().markdown
    seg = renewals_page(simulated.for_segment("smb"), month=month, segment="smb")
    assert seg.headline().markdown.startswith("Segment **smb**")


def test_page_without_subscriptions_snapshot_and_after_the_data(simulated):
    from csm_kit.datasets import load_cdnow

    for ds in (Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), load_cdnow()):
        page = renewals_page(ds, month="1998-06")
        assert not page.upcoming.available and "no subscriptions table" in page.upcoming.reason
        assert [k.value for k in page.key_numbers()] == [None] * 5
    late = renewals_page(simulated, month="2027-12")
    # 30 simulated months from 2024-01: the data runs to 30 June 2026
    assert not late.upcoming.available and late.upcoming.reason == (
        "The data ends on 2026-06-30 (last complete month 2026-06), before 2027-12: nothing to measure for 2027-12.")
    from csm_kit.io.snapshot_import import from_snapshot

    snap = from_snapshot(pd.DataFrame({"id": ["a", "b", "c"], "t": [3, 14, 2], "c": ["No", "No", "Yes"],
                                       "m": [10.0, 20.0, 5.0]}), customer_id="id", tenure="t", churned="c",
                         as_of="2026-10-31", mrr="m")
    page = renewals_page(snap, month="2026-10")
    assert not page.upcoming.available and "snapshot" in page.upcoming.reason
    assert page.book.available and page.book.values["no_owner_accounts"] == 2
    numbers = {k.name: k.value for k in page.key_numbers()}
    assert numbers["renewals_due"] is None and numbers["accounts_without_owner"] == 2


def test_plots_draw_or_step_aside(simulated):
    import matplotlib.pyplot as plt

    from csm_kit.plotting.renewals import plot_book, plot_pipeline

    page = renewals_page(simulated, month="2026-05", within_days=90)
    ax = plot_pipeline(page.pipeline)
    # use_style (run by earlier tests) puts titles on the left; get_title() alone reads the centre one
    title = "".join(ax.get_title(loc=where) for where in ("left", "center", "right"))
    assert title.startswith("Renewal pipeline")
    ax = plot_book(page.book)
    assert len(ax.get_yticklabels()) == 10
    empty = renewals_page(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), month="2026-05")
    assert plot_pipeline(empty.pipeline) is None and plot_book(empty.book) is None
    plt.close("all")


def test_key_numbers_refuse_unknown_parameters(simulated):
    with pytest.raises(TypeError, match="within_day"):
        renewals_key_numbers(simulated, month="2026-05", within_day=30)


def test_page_on_one_customer_everyone_churned_and_script_text():
    # one paying customer; a free plan started on 31 October dates the data up to the month's end
    one = dataset([("<script>s</script>", "<img src=x onerror=alert(1)>", "2025-12-01", None, "year", 1200),
                   ("free", "free", "2026-10-31", None, "month", 0)],
                  owners={"<img src=x onerror=alert(1)>": "<script>alert(1)</script>"})
    page = renewals_page(one, month="2026-10")
    html = page.upcoming.show().html + page.book.show().html
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert page.upcoming.values["renewals"] == 1 and page.upcoming.values["arr_at_risk"] is None
    gone = dataset([("a1", "a", "2025-01-01", "2026-03-01", "year", 1200), ("b1", "b", "2025-02-01", "2026-02-01", "month", 10)])
    gone = gone.with_tables(customers=gone.customers, subscriptions=pd.concat(
        [gone.subscriptions, subs_frame([("z", "a", "2026-10-31", "2026-10-31", "month", 0)])], ignore_index=True))
    page = renewals_page(gone, month="2026-10")
    assert page.upcoming.available and page.upcoming.values["renewals"] == 0
    assert "No subscription comes up for renewal" in str(page.upcoming.show())
    assert page.book.frame.empty or page.book.frame["accounts"].sum() == 0
