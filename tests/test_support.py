"""Support metrics on a hand-built ticket log; censored medians worked out by hand."""
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
