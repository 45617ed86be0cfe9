"""Engagement metrics on tiny hand-built event logs; every expected value is worked by hand."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics.engagement import (account_usage, active_accounts, feature_adoption, stickiness,
                                        usage_trend)


def events(rows):
    """rows: (customer, user, timestamp, event[, quantity])."""
    cols = ["customer_id", "user_id", "timestamp", "event", "quantity"][: len(rows[0])]
    df = pd.DataFrame(rows, columns=cols)
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601")
    if "quantity" in df:
        df["quantity"] = df["quantity"].astype("Int64")
    return df


# April 2026 has 30 days. u1 (account a) every day, u2 (a) on days 1-15, u3 (b) on days 1-3.
APRIL = pd.date_range("2026-04-01", "2026-04-30", freq="D")
DAU_EVENTS = events(
    [("a", "u1", d + pd.Timedelta(hours=9), "login") for d in APRIL]
    + [("a", "u1", d + pd.Timedelta(hours=17), "export") for d in APRIL[:5]]  # same day again: still 1
    + [("a", "u2", d, "login") for d in APRIL[:15]]
    + [("b", "u3", d, "login") for d in APRIL[:3]]
)


def test_stickiness_three_users_over_a_30_day_month():
    out = stickiness(DAU_EVENTS, end="2026-04")
    # user-days: 30 + 15 + 3 = 48; mean DAU = 48 / 30 = 1.6; MAU = 3; DAU/MAU = 1.6 / 3
    row = out.iloc[0]
    assert row["days"] == 30
    assert row["mean_daily_active"] == pytest.approx(1.6)
    assert row["monthly_active"] == 3
    assert row["stickiness"] == pytest.approx(1.6 / 3)


def test_stickiness_account_level_and_empty_month():
    out = stickiness(DAU_EVENTS, start="2026-03", end="2026-04", level="account")
    # March: nobody active -> 0 mean, 0 monthly, stickiness NaN (not a crash, not 0)
    assert out["month"].astype(str).tolist() == ["2026-03", "2026-04"]
    assert out.loc[0, "mean_daily_active"] == 0 and out.loc[0, "monthly_active"] == 0
    assert np.isnan(out.loc[0, "stickiness"])
    # April: account a active all 30 days, b on 3 -> 33 account-days / 30 = 1.1; / 2 accounts = 0.55
    assert out.loc[1, "stickiness"] == pytest.approx(0.55)


def test_stickiness_days_without_activity_count_as_zero():
    # One user active on 1 day of February 2026 (28 days): DAU mean = 1/28, MAU = 1
    ev = events([("a", "u1", "2026-02-10 08:00", "login")])
    assert stickiness(ev, end="2026-02")["stickiness"].iloc[0] == pytest.approx(1 / 28)


def test_active_accounts_monthly_daily_and_zero_quantity():
    ev = events([
        ("a", "u1", "2026-01-05 09:00", "login", 1),
        ("a", "u2", "2026-01-05 10:00", "login", None),  # missing quantity means 1
        ("b", "u3", "2026-01-06 08:00", "login", 0),     # zero occurrences: not activity
        ("b", "u3", "2026-03-02 11:00", "login", 2),
    ])
    monthly = active_accounts(ev, end="2026-03")
    # Jan: u1, u2 of account a (u3 only has a quantity-0 row); Feb: nothing; Mar: u3 of b
    assert monthly["month"].astype(str).tolist() == ["2026-01", "2026-02", "2026-03"]
    assert monthly["active_users"].tolist() == [2, 0, 1]
    assert monthly["active_accounts"].tolist() == [1, 0, 1]

    daily = active_accounts(ev, start="2026-01", end="2026-01", freq="D")
    assert len(daily) == 31 and daily["day"].iloc[0] == pd.Timestamp("2026-01-01")
    assert daily.loc[daily["day"] == "2026-01-05", "active_users"].item() == 2
    assert daily.loc[daily["day"] == "2026-01-06", "active_users"].item() == 0  # the quantity-0 row
    assert daily["active_accounts"].sum() == 1


def test_active_accounts_by_segment_keeps_missing_segment():
    ev = events([("a", "u1", "2026-01-05", "login"), ("b", "u2", "2026-01-06", "login"),
                 ("c", "u3", "2026-01-07", "login"), ("z", "u9", "2026-01-08", "login")])
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["smb", "smb", None],
                              "signup_date": pd.to_datetime(["2025-01-01"] * 3)})
    out = active_accounts(Dataset(usage_events=ev, customers=customers), end="2026-01", by="segment")
    # smb: a, b; (missing): c (no segment) and z (not in customers) -> counted, not dropped
    got = out.set_index("segment")["active_accounts"].to_dict()
    assert got == {"(missing)": 2, "smb": 2}


def test_user_appearing_under_two_accounts_counts_once_per_account():
    ev = events([("a", "u1", "2026-01-05", "login"), ("b", "u1", "2026-01-05", "login")])
    out = active_accounts(ev, end="2026-01")
    assert out["active_users"].item() == 2 and out["active_accounts"].item() == 2


def test_feature_adoption_one_of_two_accounts_is_half():
    ev = events([("a", "u1", "2026-01-03", "login"), ("a", "u1", "2026-01-04", "export"),
                 ("a", "u2", "2026-01-05", "export"),  # second user of a: still one adopting account
                 ("b", "u3", "2026-01-09", "login")])
    out = feature_adoption(ev, end="2026-01").set_index("feature")
    # active accounts: a, b = 2; export used by a only -> 1/2; login by both -> 2/2
    assert out.loc["export", "denominator"] == 2 and out.loc["export", "adopters"] == 1
    assert out.loc["export", "adoption"] == pytest.approx(0.5)
    assert out.loc["login", "adoption"] == pytest.approx(1.0)
    assert (out["basis"] == "active").all()


def test_feature_adoption_with_eligibility_unused_feature_and_empty_month():
    ev = events([("a", "u1", "2026-01-03", "sso"), ("b", "u2", "2026-01-04", "sso"),
                 ("c", "u3", "2026-01-05", "login"), ("c", "u3", "2026-03-02", "login")])  # the data reaches March
    eligible = {"sso": ["a", "c"]}  # b is not on a plan with sso
    out = feature_adoption(ev, start="2026-01", end="2026-02", features=["sso", "api"], eligible=eligible)
    jan = out[out["month"] == pd.Period("2026-01", "M")].set_index("feature")
    # sso: active and eligible = a, c -> 2; adopters among them: a -> 1/2; b used it while not eligible
    assert jan.loc["sso", "basis"] == "active_eligible"
    assert jan.loc["sso", ["active_customers", "denominator", "adopters", "adopters_not_eligible"]].tolist() == [3, 2, 1, 1]
    assert jan.loc["sso", "adoption"] == pytest.approx(0.5)
    # api: nobody used it; denominator = all 3 active -> 0/3 = 0
    assert jan.loc["api", "adoption"] == 0.0 and jan.loc["api", "denominator"] == 3
    feb = out[out["month"] == pd.Period("2026-02", "M")]
    assert feb["denominator"].tolist() == [0, 0] and feb["adoption"].isna().all()


def test_feature_adoption_eligible_as_dataframe_matches_dict():
    ev = events([("a", "u1", "2026-01-03", "sso"), ("b", "u2", "2026-01-04", "sso")])
    frame = pd.DataFrame({"feature": ["sso"], "customer_id": ["a"]})
    assert feature_adoption(ev, end="2026-01", eligible=frame).equals(
        feature_adoption(ev, end="2026-01", eligible={"sso": ["a"]}))


def test_account_usage_breadth_depth_frequency_and_seats():
    ev = events([
        ("a", "u1", "2026-01-03 09:00", "login", 1),
        ("a", "u1", "2026-01-03 10:00", "export", 4),
        ("a", "u2", "2026-01-09 09:00", "login", 1),
        ("a", "u2", "2026-02-02 09:00", "report", 3),
    ])
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
                              "signup_date": pd.to_datetime(["2025-06-01", "2025-06-01", "2026-02-10"])})
    subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "customer_id": ["a", "b"],
                         "start_date": pd.to_datetime(["2025-06-01", "2025-06-01"]),
                         "end_date": pd.to_datetime([None, "2026-01-15"]),
                         "billing_period": "month", "amount": [100.0, 50.0],
                         "quantity": pd.array([4, 2], dtype="Int64")})
    out = account_usage(Dataset(usage_events=ev, customers=customers, subscriptions=subs),
                        start="2026-01", end="2026-02")
    a_jan = out[(out["customer_id"] == "a") & (out["month"] == pd.Period("2026-01", "M"))].iloc[0]
    # Jan, a: users u1, u2 -> 2; days 3rd and 9th -> 2; events 1 + 4 + 1 = 6; features login, export -> 2
    assert a_jan[["active_users", "active_days", "events", "features_used"]].tolist() == [2, 2, 6, 2]
    assert a_jan["events_per_active_user"] == pytest.approx(3.0)        # 6 / 2
    assert a_jan["seats"] == 4 and a_jan["seat_utilisation"] == pytest.approx(0.5)  # 2 / 4
    a_feb = out[(out["customer_id"] == "a") & (out["month"] == pd.Period("2026-02", "M"))].iloc[0]
    assert a_feb[["active_users", "active_days", "events", "features_used"]].tolist() == [1, 1, 3, 1]
    # b: no activity at all -> rows of zeros; its subscription ended 15 Jan -> no seats at month end
    b = out[out["customer_id"] == "b"]
    assert b["active_users"].tolist() == [0, 0] and b["events_per_active_user"].isna().all()
    assert b["seats"].isna().all()
    # c signed up on 10 Feb: a February row only
    assert out.loc[out["customer_id"] == "c", "month"].astype(str).tolist() == ["2026-02"]


def test_usage_trend_ratio_and_slope_by_hand():
    # Account a, user-days per month Jan..Jun: 1, 1, 1, 2, 2, 2 (window 3 + 3)
    rows = [("a", "u1", f"2026-0{m}-05", "login") for m in (1, 2, 3)]
    rows += [("a", "u1", f"2026-0{m}-0{d}", "login") for m in (4, 5, 6) for d in (1, 2)]
    # Account b: 2 user-days in Jan (u2 and u3 on one day), nothing since
    rows += [("b", "u2", "2026-01-10", "login"), ("b", "u3", "2026-01-10", "login")]
    # Account c: only in the last month -> no baseline
    rows += [("c", "u4", "2026-06-20", "login")]
    rows += [("a", "u1", "2026-07-01", "login")]  # after the window: ignored
    out = usage_trend(events(rows), as_of="2026-06-30").set_index("customer_id")
    # a: previous 3, recent 6, ratio 2. Slope: x = 0..5, mean 2.5, Sxx = 17.5,
    #    Sxy = (-2.5 - 1.5 - 0.5) * 1 + (0.5 + 1.5 + 2.5) * 2 = 4.5 -> 4.5 / 17.5; mean y = 1.5
    assert out.loc["a", ["previous", "recent", "ratio"]].tolist() == [3.0, 6.0, 2.0]
    assert out.loc["a", "slope"] == pytest.approx(4.5 / 17.5)
    assert out.loc["a", "relative_slope"] == pytest.approx(4.5 / 17.5 / 1.5)
    # b: y = 2, 0, 0, 0, 0, 0: ratio 0 / 2 = 0; Sxy = -2.5 * 2 = -5 -> slope -5 / 17.5
    assert out.loc["b", "ratio"] == 0.0 and out.loc["b", "slope"] == pytest.approx(-5 / 17.5)
    # c: previous 0 -> ratio undefined (NaN), slope still defined: Sxy = 2.5 * 1 -> 2.5 / 17.5
    assert np.isnan(out.loc["c", "ratio"]) and out.loc["c", "slope"] == pytest.approx(2.5 / 17.5)


def test_usage_trend_mid_month_as_of_uses_last_complete_month_and_measures():
    rows = [("a", "u1", "2026-01-05", "login", 5), ("a", "u2", "2026-01-05", "login", 1),
            ("a", "u1", "2026-02-05", "login", 1), ("a", "u1", "2026-03-10", "login", 9)]
    ev = events(rows)
    # as_of 15 March: last complete month is February; window 1 + 1 = Jan vs Feb
    ud = usage_trend(ev, as_of="2026-03-15", window_months=1).set_index("customer_id")
    assert ud.loc["a", ["previous", "recent"]].tolist() == [2.0, 1.0]     # user-days: 2 in Jan, 1 in Feb
    days = usage_trend(ev, as_of="2026-03-15", window_months=1, measure="active_days")
    assert days[["previous", "recent"]].iloc[0].tolist() == [1.0, 1.0]   # one day each month
    evs = usage_trend(ev, as_of="2026-03-15", window_months=1, measure="events")
    assert evs[["previous", "recent"]].iloc[0].tolist() == [6.0, 1.0]    # 5 + 1, then 1


def test_usage_trend_includes_silent_customers_from_customers_table():
    ev = events([("a", "u1", "2026-01-05", "login")])
    customers = pd.DataFrame({"customer_id": ["a", "q", "late"],
                              "signup_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2026-09-01"])})
    out = usage_trend(Dataset(usage_events=ev, customers=customers), as_of="2026-06-30")
    assert out["customer_id"].tolist() == ["a", "q"]  # 'late' signed up after as_of
    assert out.loc[1, ["previous", "recent", "slope"]].tolist() == [0.0, 0.0, 0.0]


def test_single_customer_single_event():
    ev = events([("a", "u1", "2026-05-31 23:59", "login")])
    assert active_accounts(ev, end="2026-05")[["active_users", "active_accounts"]].iloc[0].tolist() == [1, 1]
    assert stickiness(ev, end="2026-05")["stickiness"].item() == pytest.approx(1 / 31)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_results_do_not_depend_on_row_order(seed):
    ev = DAU_EVENTS.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for fn, kwargs in [(active_accounts, {"end": "2026-04"}), (stickiness, {"end": "2026-04"}),
                       (feature_adoption, {"end": "2026-04"}), (account_usage, {"end": "2026-04"}),
                       (active_accounts, {"end": "2026-04", "freq": "D"}),
                       (usage_trend, {"as_of": "2026-04-30", "window_months": 1})]:
        pd.testing.assert_frame_equal(fn(ev, **kwargs), fn(DAU_EVENTS, **kwargs))


def test_errors_name_the_problem():
    with pytest.raises(MissingTableError, match="usage_events"):
        stickiness(Dataset(), end="2026-01")
    ev = events([("a", None, "2026-01-05", "login")])
    with pytest.raises(DataValidationError, match="usage_events.user_id"):
        stickiness(ev, end="2026-01")
    with pytest.raises(ValueError, match="freq"):
        active_accounts(DAU_EVENTS, end="2026-04", freq="W")
    with pytest.raises(ValueError, match="needs a Dataset"):
        active_accounts(DAU_EVENTS, end="2026-04", by="segment")
    with pytest.raises(MissingTableError, match="customers.plan"):
        active_accounts(Dataset(usage_events=DAU_EVENTS, customers=pd.DataFrame({"customer_id": ["a"]})),
                        end="2026-04", by="plan")


# -- months after the data -------------------------------------------------------------
def test_months_after_the_data_are_refused_naming_its_last_complete_month():
    # DAU_EVENTS runs to 30 April 2026: May is after it; a month of zeros would be a wrong answer
    for fn in (active_accounts, stickiness, feature_adoption, account_usage):
        with pytest.raises(ValueError) as refused:
            fn(DAU_EVENTS, end="2026-05")
        assert str(refused.value) == (f"{fn.__name__}(end=2026-05): The data ends on 2026-04-30 (last complete "
                                      "month 2026-04), before 2026-05; a month without data would read as zero.")
    with pytest.raises(ValueError) as refused:
        usage_trend(DAU_EVENTS, as_of="2099-12-31")
    assert str(refused.value) == ("usage_trend(as_of=2099-12): The data ends on 2026-04-30 (last complete month "
                                  "2026-04), before 2099-12; a month without data would read as zero.")
    # the data's own last month is fine, and a Dataset's other tables extend it
    assert active_accounts(DAU_EVENTS, end="2026-04")["active_accounts"].tolist() == [2]
    later = Dataset(usage_events=DAU_EVENTS, customers=pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "signup_date": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-06-15"])}))
    assert active_accounts(later, end="2026-06")["active_accounts"].tolist() == [2, 0, 0]


# -- the page and its key numbers -------------------------------------------------------------
def _page_data():
    """Three paying accounts; usage worked by hand in the test below.

    April-September: u1 (account a) and u3 (b) log in on days 1-10 of every month. October (31 days): u1 every
    day, u2 (a) exports on days 1-10, u3 uses only the payload feature, on the 5th. c never uses the product.
    """
    rows = []
    for month in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"):
        for d in range(1, 11):
            rows.append(("a", "u1", f"{month}-{d:02d} 09:00", "login"))
            rows.append(("b", "u3", f"{month}-{d:02d} 10:00", "login"))
    for d in range(1, 32):
        rows.append(("a", "u1", f"2026-10-{d:02d} 09:00", "login"))
    for d in range(1, 11):
        rows.append(("a", "u2", f"2026-10-{d:02d} 11:00", "export"))
    rows.append(("b", "u3", "2026-10-05 10:00", "<script>alert(1)</script>"))
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["smb", "<b>ent</b>", "smb"],
                              "plan": "pro", "signup_date": pd.to_datetime(["2026-01-01"] * 3)})
    subs = pd.DataFrame({"subscription_id": ["s1", "s2", "s3"], "customer_id": ["a", "b", "c"],
                         "start_date": pd.to_datetime(["2026-01-01"] * 3), "end_date": pd.NaT,
                         "billing_period": "month", "amount": [100.0, 300.0, 50.0], "quantity": [4, 2, 1]})
    return Dataset(usage_events=events(rows), customers=customers, subscriptions=subs)


def test_engagement_page_by_hand():
    from csm_kit.metrics.engagement import engagement_key_numbers, engagement_page

    page = engagement_page(_page_data(), month="2026-10", trend_months=3)
    # October: accounts a, b active; users u1, u2, u3
    assert page.active.values == {"active_accounts": 2, "active_users": 3}
    assert page.active.frame["month"].astype(str).tolist() == ["2026-08", "2026-09", "2026-10"]
    # users: u1 31 days + u2 10 + u3 1 = 42 user-days / 31 days / 3 MAU; accounts: a on 31 days + b on 1 = 32 / 31 / 2
    assert page.stickiness.values["stickiness_users"] == pytest.approx(42 / 31 / 3)
    assert page.stickiness.values["stickiness_accounts"] == pytest.approx(32 / 31 / 2)
    # adoption among the 2 active accounts: login (a) 1/2, export (a) 1/2, the payload (b) 1/2
    adoption = page.adoption.frame.set_index("feature")["adoption"]
    assert adoption.to_dict() == {"<script>alert(1)</script>": 0.5, "export": 0.5, "login": 0.5}
    shown = page.adoption.show().html
    assert "&lt;script&gt;" in shown and "<script>" not in shown
    # depth: 2 active of the 3 signed-up accounts; active days a 31, b 1 -> median 16
    assert page.depth.values["active"] == 2 and page.depth.values["accounts"] == 3
    assert page.depth.shown.set_index("measure").loc["Active days", "median"] == pytest.approx(16.0)
    # trend, user-days, May-Jul (previous) against Aug-Oct (recent):
    # a: 30 -> 10 + 10 + (31 + 10) = 61, steady or growing; b: 30 -> 10 + 10 + 1 = 21, ratio 0.7 > 0.5: fell a little;
    # c: nothing in either window
    counts = page.trend.frame.set_index("trend")["accounts"]
    assert counts["steady or growing"] == 1 and counts["fell a little"] == 1
    assert counts["no use in either window"] == 1 and page.trend.values["falling"] == 0
    numbers = {k.name: k.value for k in engagement_key_numbers(_page_data(), month="2026-10", trend_months=3)}
    assert numbers == {"stickiness": pytest.approx(42 / 31 / 3), "stickiness_accounts": pytest.approx(32 / 31 / 2),
                       "active_accounts": 2, "active_users": 3, "falling_usage_accounts": 0}


def test_engagement_page_says_why_when_it_cannot_measure():
    from csm_kit.metrics.engagement import engagement_key_numbers, engagement_page

    ds = _page_data()
    none = engagement_page(dataclasses.replace(ds, usage_events=None, snapshot=True), month="2026-10")
    for part in (none.active, none.stickiness, none.adoption, none.depth, none.trend, none.watch):
        assert not part.available and "no usage_events table" in part.reason
    assert "no usage_events table" in str(none.active.show())
    # a month after this data set (a segment whose data stopped early, say): the page says so, numbers are None
    late = engagement_page(ds, month="2027-02")
    assert late.active.reason == ("The data ends on 2026-10-31 (last complete month 2026-10), before 2027-02: "
                                  "nothing to measure for 2027-02.")
    assert [k.value for k in late.key_numbers()] == [None] * 5
    # a month with no activity: usage stopped in September, a customer signed up in October (the data reaches it)
    joined = pd.concat([ds.customers, pd.DataFrame({"customer_id": ["d"], "segment": "smb", "plan": "pro",
                                                    "signup_date": pd.to_datetime(["2026-10-20"])})])
    quiet = ds.with_tables(usage_events=ds.usage_events[ds.usage_events["timestamp"] < "2026-10-01"],
                           customers=joined.reset_index(drop=True))
    page = engagement_page(quiet, month="2026-10")
    assert page.active.values == {"active_accounts": 0, "active_users": 0}
    assert page.stickiness.values["stickiness_users"] is None
    assert "No account was active in 2026-10" in page.adoption.reason
    with pytest.raises(TypeError, match="window_month"):
        engagement_key_numbers(ds, month="2026-10", window_month=3)
    assert "Segment **&lt;b&gt;ent&lt;/b&gt;**" in str(engagement_page(ds, month="2026-10", segment="<b>ent</b>")
                                                     .headline())


def test_stickiness_worked_example_matches_the_hand_arithmetic():
    from csm_kit.metrics.engagement import stickiness_worked_example

    example = stickiness_worked_example()
    assert example["kit"].tolist() == pytest.approx([0.375, 0.5])
    assert example["kit"].tolist() == pytest.approx(example["by_hand"].tolist())


# -- the notebook on awkward data ------------------------------------------------------------
ENGAGEMENT_NUMBERS = ["stickiness", "stickiness_accounts", "active_accounts", "active_users", "falling_usage_accounts"]


@pytest.fixture(scope="module")
def engagement_runs(tmp_path_factory):
    from csm_kit.config import NOTEBOOKS_DIR
    from tests import degenerate_data

    dirs = degenerate_data.build(tmp_path_factory.mktemp("awkward_engagement"))
    return degenerate_data.run_all(NOTEBOOKS_DIR / "06_engagement.ipynb", dirs,
                                   tmp_path_factory.mktemp("engagement_runs")), dirs


@pytest.mark.parametrize("scenario", ["hostile_last_month", "hostile_first_month", "hostile_segment", "one_month",
                                      "one_customer", "minimal", "snapshot", "cdnow"])
def test_engagement_notebook_on_awkward_data(scenario, engagement_runs):
    import csm_kit
    from csm_kit.metrics.engagement import engagement_key_numbers
    from tests import degenerate_data

    runs, dirs = engagement_runs
    page, recorded, absent = degenerate_data.check_run(runs[scenario], scenario, ENGAGEMENT_NUMBERS)
    text = "\n".join(page)
    data, params, _ = degenerate_data.SCENARIOS[scenario]
    if "usage_events" in absent:
        assert "no usage_events table" in text
        assert all(recorded[n]["value"] is None for n in ENGAGEMENT_NUMBERS)
        return
    # one number, one place: what the notebook recorded is what the library computes
    ds = csm_kit.load_dataset(dirs[data]).for_segment(params.get("segment", "all"))
    expected = {k.name: k.value for k in engagement_key_numbers(ds, month=params["month"])}
    assert {n: recorded[n]["value"] for n in ENGAGEMENT_NUMBERS} == pytest.approx(expected)
    if data == "hostile":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the payload event, escaped
    if scenario == "hostile_last_month":
        assert text.count("feature_") >= 30  # 30+ event names listed in the adoption table
    if scenario == "hostile_segment":
        assert "Segment **&lt;script&gt;alert\\(1\\)&lt;/script&gt;**" in page[0]


def test_the_notebook_and_its_key_numbers_share_one_computation_of_the_page():
    from csm_kit.metrics import engagement

    ds = _page_data()
    before = engagement._engagement_page.cache_info()
    page = engagement.engagement_page(ds, month="2026-10", segment="smb")
    numbers = engagement.engagement_key_numbers(ds, month="2026-10", segment="smb")
    after = engagement._engagement_page.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert page.segment == "smb" and [k.value for k in numbers] == [k.value for k in page.key_numbers()]
