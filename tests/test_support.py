"""Support metrics on a hand-built ticket log; censored medians worked out by hand."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics.support import support_summary, ticket_times

T = pd.to_datetime
# January 2026 tickets (hours to first response / to resolution):
#   t1 a  1h / 8h      high    csat 5
#   t2 a  4h / 48h     normal  csat 4
#   t3 b  12h / 336h   normal  csat 2   (resolved 3 Feb, after January ends)
#   t4 b  -- / --      normal           (opened 31 Jan 12:00, never answered)
#   t5 a  2h / 3h      normal  no csat
# February: no ticket opened.
TICKETS = pd.DataFrame({
    "ticket_id": ["t1", "t2", "t3", "t4", "t5"],
    "customer_id": ["a", "a", "b", "b", "a"],
    "opened_at": T(["2026-01-05 09:00", "2026-01-10 09:00", "2026-01-20 09:00", "2026-01-31 12:00",
                    "2026-01-15 09:00"]),
    "first_response_at": T(["2026-01-05 10:00", "2026-01-10 13:00", "2026-01-20 21:00", None,
                            "2026-01-15 11:00"]),
    "resolved_at": T(["2026-01-05 17:00", "2026-01-12 09:00", "2026-02-03 09:00", None, "2026-01-15 12:00"]),
    "priority": ["high", "normal", "normal", "normal", "normal"],
    "channel": ["email", "chat", "email", "web", "chat"],
    "csat": [5.0, 4.0, 2.0, np.nan, np.nan],
})
CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c"],
                          "signup_date": T(["2025-12-01", "2025-12-15", "2026-02-10"]),
                          "segment": ["smb", "ent", None]})
# a pays throughout; b pays until 15 Feb; c is on a free plan (not paying).
SUBSCRIPTIONS = pd.DataFrame({
    "subscription_id": ["s1", "s2", "s3"], "customer_id": ["a", "b", "c"], "plan": ["pro", "pro", "free"],
    "start_date": T(["2025-12-01", "2025-12-15", "2026-02-10"]), "end_date": T([None, "2026-02-15", None]),
    "billing_period": "month", "amount": [100.0, 100.0, 0.0]})
DS = Dataset(tickets=TICKETS, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)


def test_summary_censors_open_tickets_at_as_of():
    out = support_summary(DS, start="2026-01", end="2026-02")  # as_of = 28 Feb, horizon 1 Mar 00:00
    jan = out.iloc[0]
    # 5 tickets / 2 paying accounts (a, b) = 2.5
    assert jan[["tickets_opened", "accounts", "tickets_per_account"]].tolist() == [5, 2, 2.5]
    assert jan["accounts_basis"] == "paying at month end"
    # First response: 1, 2, 4, 12 answered; t4 censored at 684h (31 Jan 12:00 -> 1 Mar).
    # KM: S(1) = 4/5, S(2) = 3/5, S(4) = 2/5 <= 0.5 -> median 4h; plain median over answered = (2 + 4) / 2 = 3h
    assert jan["median_first_response_hours"] == 4.0
    assert jan["median_first_response_hours_answered"] == 3.0
    assert jan["unanswered"] == 1
    # Resolution: 3, 8, 48, 336 resolved; t4 censored. S(3) = .8, S(8) = .6, S(48) = .4 -> 48h;
    # plain median over resolved = (8 + 48) / 2 = 28h
    assert jan["median_resolution_hours"] == 48.0
    assert jan["median_resolution_hours_resolved"] == 28.0
    assert jan["unresolved"] == 1
    # CSAT: 5, 4, 2 -> top-2-box 2/3, n = 3
    assert jan["csat_responses"] == 3 and jan["csat_top2"] == pytest.approx(2 / 3)
    # Backlog at end of Jan (1 Feb 00:00): t3 (resolved 3 Feb) and t4
    assert jan["backlog"] == 2


def test_empty_month_gives_zeros_and_nan():
    feb = support_summary(DS, start="2026-01", end="2026-02").iloc[1]
    # no ticket opened; paying at 28 Feb: a only (b ended 15 Feb, c free) -> 0 / 1
    assert feb[["tickets_opened", "accounts", "tickets_per_account"]].tolist() == [0, 1, 0.0]
    assert np.isnan(feb["median_first_response_hours"]) and np.isnan(feb["csat_top2"])
    assert feb["csat_responses"] == 0
    assert feb["backlog"] == 1  # t4 is still open at the end of February


def test_censor_at_month_end_reproduces_what_was_known_then():
    jan = support_summary(DS, start="2026-01", end="2026-02", censor_at="month_end").iloc[0]
    # Horizon 1 Feb 00:00. Response: t4 censored at 12h; 1, 2, 4 answered before it -> median still 4h.
    assert jan["median_first_response_hours"] == 4.0 and jan["unanswered"] == 1
    # Resolution: 3E, 8E, 12C (t4), 48E, 279C (t3: 20 Jan 09:00 -> 1 Feb = 11 days 15 h).
    # S(3) = 4/5, S(8) = 3/5, 12 censored leaves 2 at risk, S(48) = 3/5 * 1/2 = 0.3 -> median 48h.
    # Plain median over the 3 resolved (3, 8, 48) = 8h.
    assert jan["median_resolution_hours"] == 48.0
    assert jan["median_resolution_hours_resolved"] == 8.0
    assert jan["unresolved"] == 2


def test_ticket_times_by_hand():
    t = ticket_times(DS, as_of="2026-01-31", censor_at="as_of").set_index("ticket_id")
    # horizon 1 Feb 00:00: t3's resolution (3 Feb) is not known yet -> censored at 279h
    assert t.loc["t3", ["resolution_hours", "resolved"]].tolist() == [279.0, False]
    assert t.loc["t4", ["first_response_hours", "responded"]].tolist() == [12.0, False]
    assert t.loc["t1", ["first_response_hours", "resolution_hours"]].tolist() == [1.0, 8.0]


def test_median_not_reached_is_inf():
    # Three tickets opened 31 Jan 12:00: none answered; one resolved after 1h. as_of 31 Jan -> 12h follow-up.
    tickets = pd.DataFrame({"ticket_id": ["x", "y", "z"], "customer_id": "a",
                            "opened_at": T(["2026-01-31 12:00"] * 3),
                            "first_response_at": T([None, None, None]),
                            "resolved_at": T(["2026-01-31 13:00", None, None]),
                            "priority": "normal", "channel": "chat"})
    out = support_summary(Dataset(tickets=tickets, customers=CUSTOMERS), end="2026-01").iloc[0]
    # no response at all -> KM median inf (under half answered), plain median NaN (nothing to take it of)
    assert np.isinf(out["median_first_response_hours"]) and np.isnan(out["median_first_response_hours_answered"])
    # resolution: S(1) = 2/3 > 0.5 and the other two are censored at 12h -> never below half -> inf
    assert np.isinf(out["median_resolution_hours"]) and out["median_resolution_hours_resolved"] == 1.0
    assert np.isnan(out["csat_top2"])  # no csat column at all


def test_denominator_without_subscriptions_is_signed_up_customers():
    out = support_summary(Dataset(tickets=TICKETS, customers=CUSTOMERS), start="2026-01", end="2026-02")
    # signed up by 31 Jan: a, b -> 5 / 2; by 28 Feb: a, b, c -> 0 / 3
    assert out["accounts"].tolist() == [2, 3]
    assert out["tickets_per_account"].tolist() == [2.5, 0.0]
    assert (out["accounts_basis"] == "signed up by month end").all()


def test_by_priority_and_by_segment():
    pri = support_summary(DS, end="2026-01", by="priority").set_index("priority")
    # high: t1 only; normal: t2, t3, t4, t5. Ticket columns keep the all-accounts denominator (2).
    assert pri["tickets_opened"].to_dict() == {"high": 1, "normal": 4}
    assert pri.loc["high", "tickets_per_account"] == 0.5 and pri.loc["normal", "tickets_per_account"] == 2.0
    assert pri.loc["high", "median_first_response_hours"] == 1.0
    assert pri["backlog"].to_dict() == {"high": 0, "normal": 2}
    seg = support_summary(DS, end="2026-01", by="segment").set_index("segment")
    # smb = a: t1, t2, t5 / 1 paying; ent = b: t3, t4 / 1 paying; (missing) = c: no tickets, not paying
    assert seg["tickets_opened"].to_dict() == {"(missing)": 0, "ent": 2, "smb": 3}
    assert seg["accounts"].to_dict() == {"(missing)": 0, "ent": 1, "smb": 1}
    assert np.isnan(seg.loc["(missing)", "tickets_per_account"])
    # ent first response: 12h answered, t4 censored at 684h: S(12) = 1/2 -> median 12h
    assert seg.loc["ent", "median_first_response_hours"] == 12.0


def test_results_do_not_depend_on_row_order():
    shuffled = DS.with_tables(tickets=TICKETS.sample(frac=1, random_state=7).reset_index(drop=True),
                              customers=CUSTOMERS.sample(frac=1, random_state=8))
    for by in (None, "priority", "segment"):
        pd.testing.assert_frame_equal(support_summary(shuffled, start="2026-01", end="2026-02", by=by),
                                      support_summary(DS, start="2026-01", end="2026-02", by=by))


def test_bad_input_is_named():
    with pytest.raises(MissingTableError, match="tickets"):
        support_summary(Dataset(customers=CUSTOMERS), end="2026-01")
    bad = TICKETS.assign(first_response_at=TICKETS["first_response_at"].where(
        TICKETS["ticket_id"] != "t2", T("2026-01-09")))
    with pytest.raises(DataValidationError, match="first_response_at") as err:
        support_summary(DS.with_tables(tickets=bad), end="2026-01")
    assert "t2" in str(err.value)
    with pytest.raises(ValueError, match="before the end"):
        support_summary(DS, end="2026-02", as_of="2026-02-10")
    with pytest.raises(ValueError, match="censor_at"):
        support_summary(DS, end="2026-02", censor_at="now")


# -- ticket_time_percentiles ------------------------------------------------------
from csm_kit.metrics.support import ticket_time_percentiles  # noqa: E402


def test_percentiles_by_hand_with_a_censored_ticket():
    out = ticket_time_percentiles(DS, start="2026-01", end="2026-02")  # horizon 1 Mar 00:00
    jan, feb = out.iloc[0], out.iloc[1]
    assert jan["tickets"] == 5
    # First response 1, 2, 4, 12 h answered, t4 censored at 684 h: S = .8, .6, .4, .2 after each answer.
    # p50: first S <= .5 -> 4 h; p75: first S <= .25 -> 12 h; p90: S never <= .1 -> inf (not known yet)
    assert jan[["first_response_hours_p50", "first_response_hours_p75"]].tolist() == [4.0, 12.0]
    assert jan["first_response_hours_p90"] == np.inf
    # Resolution 3, 8, 48, 336 h resolved, t4 censored: p50 48 h, p75 336 h, p90 inf
    assert jan[["resolution_hours_p50", "resolution_hours_p75", "resolution_hours_p90"]].tolist() == [48.0, 336.0,
                                                                                                          np.inf]
    # The median agrees with support_summary's
    summary = support_summary(DS, start="2026-01", end="2026-01").iloc[0]
    assert jan["first_response_hours_p50"] == summary["median_first_response_hours"]
    # February: no tickets -> NaN, not 0
    assert feb["tickets"] == 0 and np.isnan(feb["first_response_hours_p50"])


def test_percentiles_by_priority_and_month_end_censoring():
    out = ticket_time_percentiles(DS, start="2026-01", end="2026-01", by="priority", percentiles=(0.5, 0.975))
    high = out[out["priority"] == "high"].iloc[0]
    normal = out[out["priority"] == "normal"].iloc[0]
    assert list(out.columns[:3]) == ["month", "priority", "tickets"]
    assert "first_response_hours_p97_5" in out.columns
    # high: t1 alone, answered after 1 h -> S(1) = 0: every percentile is 1 h
    assert high[["tickets", "first_response_hours_p50", "first_response_hours_p97_5"]].tolist() == [1, 1.0, 1.0]
    # normal: 2, 4, 12 answered, t4 censored: S(2) = .75, S(4) = .5 -> median 4 h
    assert normal["tickets"] == 4 and normal["first_response_hours_p50"] == 4.0
    # Resolution with the horizon at January's end (1 Feb 00:00): normal tickets resolved 3 h, 48 h;
    # t3 (resolved 3 Feb) censored at 279 h, t4 at 12 h. S(3) = 3/4, t4 leaves at 12 h, S(48) = 3/4 x 1/2 = .375
    # -> median 48 h.
    by_month_end = ticket_time_percentiles(DS, start="2026-01", end="2026-01", by="priority", censor_at="month_end")
    assert by_month_end.loc[by_month_end["priority"] == "normal", "resolution_hours_p50"].item() == 48.0


@pytest.mark.parametrize("bad", [(0.5, 1.0), (0,), (), ("0.5",)])
def test_percentiles_must_be_shares(bad):
    with pytest.raises(ValueError, match="percentiles must be shares"):
        ticket_time_percentiles(DS, end="2026-01", percentiles=bad)


def test_percentiles_need_tickets():
    with pytest.raises(MissingTableError, match="ticket_time_percentiles needs the 'tickets' table"):
        ticket_time_percentiles(Dataset(customers=CUSTOMERS), end="2026-01")


# -- months after the data ------------------------------------------------------------
def test_months_after_the_data_are_refused_naming_its_last_complete_month():
    # DS runs to 10 February 2026 (c signs up; a table is dated by its time column): March is after it
    for fn in (support_summary, ticket_time_percentiles):
        with pytest.raises(ValueError) as refused:
            fn(DS, end="2026-03")
        assert str(refused.value) == (f"{fn.__name__}(end=2026-03): The data ends on 2026-02-10 (last complete "
                                      "month 2026-01), before 2026-03; a month without data would read as zero.")
    with pytest.raises(ValueError) as refused:
        ticket_times(DS, as_of="2099-01-31")
    assert str(refused.value) == ("ticket_times(as_of=2099-01): The data ends on 2026-02-10 (last complete "
                                  "month 2026-01), before 2099-01; a month without data would read as zero.")
    assert support_summary(DS, end="2026-02")["tickets_opened"].tolist() == [5, 0]  # the data's own last month


# -- the page and its key numbers -------------------------------------------------------------
# October 2026 (tickets of a and b, both paying): hours to first response / resolution
#   t1 a  1h / 10h    high    email  billing   csat 5
#   t2 a  2h / 24h    normal  chat   bug       csat 2
#   t3 b  4h / open   normal  email  billing
#   t4 b  -- / open   urgent  email  payload   (opened 31 Oct 12:00: censored at 12h for both)
# September: t0 a 0.5h / 24h, csat 4.
PAGE_TICKETS = pd.DataFrame({
    "ticket_id": ["t0", "t1", "t2", "t3", "t4"], "customer_id": ["a", "a", "a", "b", "b"],
    "opened_at": T(["2026-09-15 09:00", "2026-10-01 09:00", "2026-10-02 09:00", "2026-10-03 09:00",
                    "2026-10-31 12:00"]),
    "first_response_at": T(["2026-09-15 09:30", "2026-10-01 10:00", "2026-10-02 11:00", "2026-10-03 13:00", None]),
    "resolved_at": T(["2026-09-16 09:00", "2026-10-01 19:00", "2026-10-03 09:00", None, None]),
    "priority": ["normal", "high", "normal", "normal", "urgent"],
    "channel": ["email", "email", "chat", "email", "<script>alert(1)</script>"],
    "category": ["billing", "billing", "bug", "billing", "<script>alert(1)</script>"],
    "csat": [4.0, 5.0, 2.0, np.nan, np.nan]})
PAGE_DS = Dataset(tickets=PAGE_TICKETS, customers=CUSTOMERS.iloc[:2], subscriptions=pd.DataFrame({
    "subscription_id": ["s1", "s2"], "customer_id": ["a", "b"], "plan": "pro",
    "start_date": T(["2025-12-01", "2025-12-15"]), "end_date": pd.NaT, "billing_period": "month",
    "amount": [100.0, 100.0]}))


def test_support_page_by_hand():
    from csm_kit.metrics.support import support_key_numbers, support_page

    page = support_page(PAGE_DS, month="2026-10", trend_months=2)
    assert page.volume.frame["month"].astype(str).tolist() == ["2026-09", "2026-10"]
    # 4 tickets / 2 paying accounts; open at the end of October: t3 and t4
    assert page.volume.values == {"tickets_opened": 4, "backlog": 2, "tickets_per_account": 2.0}
    # first response: events at 1, 2, 4 h, t4 censored at 12 h: S(1) = 3/4, S(2) = 1/2 -> median 2 h; 90% not reached
    # resolution: 10 h (4 waiting) -> 3/4, t4 censored at 12 h, 24 h (2 waiting) -> 3/8 -> median 24 h
    assert page.times.values["first_response_p50"] == 2.0 and page.times.values["resolution_p50"] == 24.0
    assert page.times.values["first_response_high"] == np.inf
    assert page.splits["priority"].frame["priority"].tolist() == ["urgent", "high", "normal"]  # service order
    shown = page.categories.show().html + page.splits["channel"].show().html
    assert "&lt;script&gt;" in shown and "<script>" not in shown
    assert page.spread.values["waiting"] == 1 and page.spread.values["mean_answered"] == pytest.approx(7 / 3)
    assert page.csat.values["now"] == {"rate": 0.5, "n": 2, "successes": 1}  # 5 and 2
    assert str(page.headline()) == ("4 tickets were opened in 2026-10 (2.00 per account); half had a first response "
                                    "within 2.0 hours.")
    numbers = {k.name: k.value for k in support_key_numbers(PAGE_DS, month="2026-10", trend_months=2)}
    assert numbers == {"first_response_hours": 2.0, "first_response_hours_high": None, "resolution_hours": 24.0,
                       "tickets_opened": 4, "tickets_per_account": 2.0, "support_backlog": 2,
                       "ticket_csat_top2": 0.5}


def test_support_page_says_why_when_it_cannot_measure():
    from csm_kit.metrics.support import support_page

    none = support_page(PAGE_DS.with_tables(tickets=None), month="2026-10")
    assert "no tickets table" in none.volume.reason and "no tickets table" in none.splits["channel"].reason
    assert [k.value for k in none.key_numbers()] == [None] * 7
    bare = PAGE_DS.with_tables(tickets=PAGE_TICKETS.drop(columns=["category", "csat", "channel"]))
    page = support_page(bare, month="2026-10")
    assert "no category column" in page.categories.reason and "no csat column" in page.csat.reason
    assert "no channel column" in page.splits["channel"].reason and page.splits["priority"].available
    joined = pd.concat([PAGE_DS.customers, pd.DataFrame({"customer_id": ["c"], "signup_date": T(["2026-10-20"])})])
    quiet = support_page(PAGE_DS.with_tables(tickets=PAGE_TICKETS.iloc[:1], customers=joined), month="2026-10")
    # no October ticket, but the data reaches October (c signed up)
    assert str(quiet.headline()) == "No ticket was opened in 2026-10."
    assert "No ticket opened in 2026-10 has been answered yet" in quiet.spread.reason
    assert {k.name: k.value for k in quiet.key_numbers()}["tickets_opened"] == 0
    # every customer churned before the month: tickets still count, per paying account is not a number
    gone = PAGE_DS.with_tables(subscriptions=PAGE_DS.subscriptions.assign(end_date=T(["2026-09-30"] * 2)))
    churned = support_page(gone, month="2026-10")
    assert "(no paying account at the month end)" in str(churned.headline())
    assert {k.name: k.value for k in churned.key_numbers()}["tickets_per_account"] is None
    late = support_page(PAGE_DS, month="2027-01")
    assert late.volume.reason == ("The data ends on 2026-10-31 (last complete month 2026-10), before 2027-01: "
                                  "nothing to measure for 2027-01.")
    snapshot = support_page(dataclasses.replace(PAGE_DS, snapshot=True, tickets=None), month="2026-10")
    assert "no tickets table" in snapshot.volume.reason  # a snapshot without tickets: said, not computed
    assert str(support_page(PAGE_DS, month="2027-01", segment="<i>x</i>").headline()).startswith(
        "Segment **&lt;i&gt;x&lt;/i&gt;**: The data ends on 2026-10-31 (last complete month 2026-10), before 2027-01")


def test_support_worked_example_matches_the_hand_arithmetic():
    from csm_kit.metrics.support import support_worked_example

    example = support_worked_example()
    assert example["kit"].tolist() == example["by_hand"].tolist() == [4.0, 12.0, np.inf, 3.0]


# -- the notebook on awkward data ------------------------------------------------------------
SUPPORT_NUMBERS = ["first_response_hours", "first_response_hours_high", "resolution_hours", "tickets_opened",
                   "tickets_per_account", "support_backlog", "ticket_csat_top2"]


@pytest.fixture(scope="module")
def support_runs(tmp_path_factory):
    from csm_kit.config import NOTEBOOKS_DIR
    from tests import degenerate_data

    dirs = degenerate_data.build(tmp_path_factory.mktemp("awkward_support"))
    return degenerate_data.run_all(NOTEBOOKS_DIR / "09_support.ipynb", dirs,
                                   tmp_path_factory.mktemp("support_runs")), dirs


@pytest.mark.parametrize("scenario", ["hostile_last_month", "hostile_first_month", "hostile_segment", "one_month",
                                      "one_customer", "minimal", "snapshot", "cdnow"])
def test_support_notebook_on_awkward_data(scenario, support_runs):
    import csm_kit
    from csm_kit.metrics.support import support_key_numbers
    from tests import degenerate_data

    runs, dirs = support_runs
    page, recorded, absent = degenerate_data.check_run(runs[scenario], scenario, SUPPORT_NUMBERS)
    text = "\n".join(page)
    data, params, _ = degenerate_data.SCENARIOS[scenario]
    if "tickets" in absent:
        assert "no tickets table" in text
        assert all(recorded[n]["value"] is None for n in SUPPORT_NUMBERS)
        return
    ds = csm_kit.load_dataset(dirs[data]).for_segment(params.get("segment", "all"))
    expected = {k.name: k.value for k in support_key_numbers(ds, month=params["month"])}
    assert {n: recorded[n]["value"] for n in SUPPORT_NUMBERS} == pytest.approx(expected)
    if data == "hostile":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # payload priority/channel/category, escaped
    if scenario == "hostile_segment":
        assert "Segment **&lt;script&gt;alert\\(1\\)&lt;/script&gt;**" in page[0]
