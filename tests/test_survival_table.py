"""survival_table: tenure, churn and censoring by hand on small tables; covariates without leakage."""
import numpy as np
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.models import survival_table
from csm_kit.models.survival_table import calendar_months


def subs_table(rows):
    """rows: (customer, start, end or None, billing_period, amount)."""
    df = pd.DataFrame(rows, columns=["customer_id", "start_date", "end_date", "billing_period", "amount"])
    df["start_date"] = pd.to_datetime(df["start_date"])
    df["end_date"] = pd.to_datetime(df["end_date"])
    df["plan"] = "pro"
    df["subscription_id"] = [f"s{i}" for i in range(len(df))]
    return df


AS_OF = "2026-06-30"


def test_censoring_at_as_of_and_churn_on_or_before_it():
    t = survival_table(subs_table([
        ("a", "2026-01-10", "2026-04-10", "month", 100.0),   # churned at its 3rd renewal
        ("b", "2026-01-10", None, "month", 100.0),           # still paying: censored
        ("c", "2026-01-10", "2026-07-01", "month", 100.0),   # pays on as_of, leaves the day after: censored
        ("d", "2026-01-10", "2026-06-30", "month", 100.0),   # not paying on as_of: churned
        ("e", "2026-01-10", "2026-09-10", "month", 100.0),   # scheduled end after as_of is not used
    ]), as_of=AS_OF)
    assert t["churned"].tolist() == [True, False, False, True, False]
    # Jan 10 -> Apr 10 = 90 days; censored at the end of Jun 30 = Jul 1 - Jan 10 = 172 days.
    assert t["tenure_days"].tolist() == [90, 172, 172, 171, 172]
    assert t["tenure"].iloc[0] == 3.0
    # Jun 10 -> Jul 1 is 21 of the 30 days to Jul 10.
    assert t["tenure"].iloc[1] == pytest.approx(5 + 21 / 30)
    assert t["end"].isna().tolist() == [False, True, True, False, True]  # nothing after as_of shows


def test_customer_who_joins_on_the_last_day_and_who_starts_after_as_of():
    t = survival_table(subs_table([
        ("late", "2026-06-30", None, "month", 100.0),
        ("future", "2026-07-01", None, "month", 100.0),
    ]), as_of=AS_OF, unit="day")
    assert t["customer_id"].tolist() == ["late"]
    assert t["tenure_days"].item() == 1 and t["tenure"].item() == 1.0 and not t["churned"].item()


def test_join_and_churn_in_the_same_month_is_churn_under_a_month():
    t = survival_table(subs_table([("x", "2026-03-03", "2026-03-20", "month", 50.0)]), as_of=AS_OF)
    assert t["churned"].item() and t["tenure_days"].item() == 17
    assert t["tenure"].item() == pytest.approx(17 / 31)  # Mar 3 -> Apr 3 is 31 days


def test_reactivation_spells_and_plan_changes():
    rows = [
        ("r", "2025-01-15", "2025-04-15", "month", 100.0),   # spell 1, churned
        ("r", "2025-08-01", "2025-10-01", "month", 100.0),   # spell 2 (reactivation) ...
        ("r", "2025-10-01", None, "month", 200.0),           # ... continues through a plan change
    ]
    first = survival_table(subs_table(rows), as_of=AS_OF)
    assert len(first) == 1 and first["churned"].item() and first["tenure"].item() == 3.0
    every = survival_table(subs_table(rows), as_of=AS_OF, spells=True)
    assert every["spell"].tolist() == [1, 2] and every["churned"].tolist() == [True, False]
    assert every["reactivated"].tolist() == [False, True]
    assert every["start"].iloc[1] == pd.Timestamp("2025-08-01")
    assert every["tenure"].iloc[1] == 11.0  # Aug 1 2025 -> Jul 1 2026
    assert every["mrr"].tolist() == [100.0, 100.0]  # at each spell's start


def test_annual_plan_churns_at_renewal_and_month_counting():
    t = survival_table(subs_table([("y", "2024-02-29", "2025-02-28", "year", 1200.0)]), as_of=AS_OF)
    assert t["churned"].item() and t["tenure"].item() == 12.0  # leap-day start: anniversary on Feb 28
    assert t["billing_period"].item() == "year" and t["mrr"].item() == 100.0
    assert calendar_months(pd.to_datetime(["2026-01-31"]), pd.to_datetime(["2026-03-31"])).tolist() == [2.0]


def test_week_unit_and_free_plans_are_not_spells():
    t = survival_table(subs_table([("w", "2026-06-03", None, "month", 10.0),
                                   ("free", "2026-01-01", None, "month", 0.0)]), as_of=AS_OF, unit="week")
    assert t["customer_id"].tolist() == ["w"] and t["tenure"].item() == 4.0  # Jun 3 -> Jul 1: 28 days


def test_covariates_at_keeps_the_population_at_risk_and_ignores_later_rows():
    subs = subs_table([("a", "2026-01-01", None, "month", 100.0),
                       ("b", "2026-01-01", "2026-03-01", "month", 100.0),   # gone before the observation date
                       ("c", "2026-05-01", None, "month", 100.0)])          # joined after it
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["smb", "smb", "enterprise"],
                              "signup_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-05-01"])})
    usage = pd.DataFrame({"customer_id": "a", "user_id": ["u1", "u2", "u1", "u1"], "event": "login",
                          "timestamp": pd.to_datetime(["2026-03-31 10:00", "2026-03-31 11:00",
                                                       "2026-01-05 09:00", "2026-04-01 00:00"])})
    surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "customer_id": "a", "survey": "nps",
                            "touchpoint": "relationship", "score": [3.0, 9.0, 10.0],
                            "responded_at": pd.to_datetime(["2026-02-01", "2026-03-15", "2026-04-02"])})
    tickets = pd.DataFrame({"ticket_id": ["t1", "t2"], "customer_id": "a",
                            "opened_at": pd.to_datetime(["2026-03-30", "2026-04-05"])})
    milestones = pd.DataFrame({"milestone": ["m1", "m2"], "order": [1, 2], "required": [True, True],
                               "first_value": [True, False]})
    onboarding = pd.DataFrame({"customer_id": "a", "milestone": ["m1", "m2"],
                               "completed_at": pd.to_datetime(["2026-01-10", "2026-03-20"])})
    ds = Dataset(customers=customers, subscriptions=subs, usage_events=usage, surveys=surveys, tickets=tickets,
                 onboarding=onboarding, milestones=milestones)
    t = survival_table(ds, as_of=AS_OF, covariates_at="2026-03-31")
    row = t.set_index("customer_id").loc["a"]
    assert list(t["customer_id"]) == ["a"]
    assert row["entry"] == 3.0 and row["tenure"] == 6.0 and not row["churned"]
    # 90-day window Jan 1..Mar 31: usage on Jan 5 and Mar 31 (2 days of 90), users u1 and u2; Apr 1 is later.
    assert row["usage_share"] == pytest.approx(2 / 90) and row["active_users"] == 2
    assert row["nps"] == 9.0 and np.isnan(row["csat"]) and row["tickets"] == 1
    assert row["onboarded"] == 1.0  # m1 and m2 both within 90 days of the Jan 1 signup (m2 on day 78)
    assert row["segment"] == "smb"


def test_onboarded_needs_every_required_milestone_within_the_window():
    subs = subs_table([("a", "2026-01-01", None, "month", 100.0), ("b", "2026-01-01", None, "month", 100.0)])
    customers = pd.DataFrame({"customer_id": ["a", "b"], "signup_date": pd.to_datetime(["2026-01-01"] * 2)})
    milestones = pd.DataFrame({"milestone": ["m1", "m2", "opt"], "order": [1, 2, 3],
                               "required": [True, True, False], "first_value": [True, False, False]})
    onboarding = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "milestone": ["m1", "m2", "m1", "m2"],
                               "completed_at": pd.to_datetime(["2026-01-10", "2026-03-31",    # day 89: in
                                                               "2026-01-10", "2026-04-01"])})  # day 90: out
    ds = Dataset(customers=customers, subscriptions=subs, onboarding=onboarding, milestones=milestones)
    t = survival_table(ds, as_of=AS_OF, covariates_at=AS_OF)
    assert t["onboarded"].tolist() == [1.0, 0.0]
    early = survival_table(ds, as_of=AS_OF, covariates_at="2026-02-15")  # m2 not reached yet then
    assert early["onboarded"].tolist() == [0.0, 0.0]


def test_absent_tables_leave_their_covariates_out_and_say_so():
    ds = Dataset(subscriptions=subs_table([("a", "2026-01-01", None, "month", 100.0)]))
    t = survival_table(ds, as_of=AS_OF, covariates_at=AS_OF)
    assert not {"usage_share", "nps", "tickets", "onboarded"} & set(t.columns)
    assert any("usage_events" in n for n in t.attrs["notes"])


def test_bad_input_is_refused_with_a_clear_message():
    subs = subs_table([("a", "2026-03-01", "2026-02-01", "month", 100.0)])
    with pytest.raises(DataValidationError, match="ends before it starts"):
        survival_table(subs, as_of=AS_OF)
    good = subs_table([("a", "2026-01-01", None, "month", 100.0)])
    with pytest.raises(ValueError, match="unit"):
        survival_table(good, as_of=AS_OF, unit="year")
    with pytest.raises(ValueError, match="after as_of"):
        survival_table(good, as_of=AS_OF, covariates_at="2026-07-31")
    with pytest.raises(MissingTableError, match="subscriptions"):
        survival_table(Dataset(customers=pd.DataFrame({"customer_id": ["a"]})), as_of=AS_OF)
    with pytest.raises(MissingTableError, match="amount"):
        survival_table(good.drop(columns="amount"), as_of=AS_OF)


def test_sample_table_agrees_with_the_monthly_churn_counts():
    from csm_kit.datasets import load_sample
    from csm_kit.metrics import churn_rates

    ds = load_sample()
    t = survival_table(ds, as_of="2026-10-31", spells=True)
    rates = churn_rates(ds, end="2026-10")
    # Every spell end on or before as_of is one churn in the monthly counts, and vice versa.
    assert int(t["churned"].sum()) == int(rates["churned"].sum())
    assert int((t["spell"] > 1).sum()) == int(rates["reactivated"].sum())
    assert int((~t["churned"]).sum()) == int(rates["customers_end"].iloc[-1])


# -- issue 9/12: one as_of parser, the unit in a column, customer attributes, snapshots ---------------

@pytest.mark.parametrize("as_of", ["2026-06", pd.Period("2026-06", "M"), "2026-06-30", pd.Timestamp("2026-06-30")])
def test_every_way_of_writing_the_as_of_day_gives_the_same_table(as_of):
    subs = subs_table([("a", "2026-01-10", "2026-06-30", "month", 100.0),
                       ("b", "2026-06-15", None, "month", 100.0)])
    t = survival_table(subs, as_of=as_of)
    assert t.attrs["as_of"] == pd.Timestamp("2026-06-30")
    assert survival_table(subs, as_of=as_of, covariates_at=as_of).attrs["covariates_at"] == pd.Timestamp("2026-06-30")
    # a: not paying on 30 June (it ended that day): churned; b: 16 days to the end of 30 June.
    assert t["churned"].tolist() == [True, False] and t["tenure_days"].tolist() == [171, 16]


def test_days_that_are_not_days_are_refused():
    subs = subs_table([("a", "2026-01-10", None, "month", 100.0)])
    for bad in ("2026", "June 2026", "2026-06-30 12:00"):
        with pytest.raises(ValueError, match="as_of is a day"):
            survival_table(subs, as_of=bad)
    with pytest.raises(ValueError, match="covariates_at is a day"):
        survival_table(subs, as_of="2026-06", covariates_at="2026")


def test_the_unit_travels_in_a_column_that_a_merge_keeps():
    from csm_kit.models import ChurnDrivers, RetentionCurves
    from csm_kit.models.survival_table import table_unit

    subs = subs_table([("a", "2026-01-01", "2026-03-01", "month", 100.0),
                       ("b", "2026-01-01", None, "month", 100.0)])
    weekly = survival_table(subs, as_of=AS_OF, unit="week")
    # 59 days = 8.43 weeks; 181 days to the end of 30 June = 25.86 weeks.
    assert weekly["tenure"].round(2).tolist() == [8.43, 25.86] and set(weekly["time_unit"]) == {"week"}
    merged = weekly.merge(pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 0.0]}), on="customer_id")
    assert merged.attrs == {} and table_unit(merged) == "week"
    assert RetentionCurves().fit(merged).unit_ == "week"
    with pytest.raises(ValueError, match="time_unit column says 'week' but unit='month'"):
        RetentionCurves().fit(merged, unit="month")
    with pytest.raises(ValueError, match="no time_unit column"):
        ChurnDrivers(covariates=["x"]).fit(merged.drop(columns="time_unit"))
    with pytest.raises(ValueError, match="one of"):
        table_unit(merged.assign(time_unit=["week", "month"]))


def telco_like():
    """A Telco-shaped customers table: 0/1 integers, Yes/No text, charges read from CSV as text."""
    rng = np.random.default_rng(7)
    n = 1000
    ids = [f"T{i:04d}" for i in range(n)]
    senior = rng.integers(0, 2, n)
    support = rng.choice(["Yes", "No"], n, p=[0.4, 0.6])  # "No", the commoner, is the reference level
    charges = rng.uniform(20, 110, n).round(2)
    customers = pd.DataFrame({"customer_id": ids, "signup_date": pd.Timestamp("2024-01-01"),
                              "segment": "smb", "SeniorCitizen": senior, "TechSupport": support,
                              "MonthlyCharges": [f" {c:.2f}" for c in charges]})
    # Seniors without tech support churn fastest: a monthly hazard from the traits.
    hazard = 0.02 * np.exp(0.8 * senior - 0.7 * (support == "Yes"))
    months = np.minimum(np.ceil(rng.exponential(1 / hazard)), 60)
    start = pd.Timestamp("2022-01-01")
    end = [start + pd.DateOffset(months=int(m)) if m < 30 else None for m in months]
    subs = pd.DataFrame({"customer_id": ids, "subscription_id": ids, "plan": "std", "billing_period": "month",
                         "amount": charges, "start_date": start, "end_date": pd.to_datetime(end)})
    return Dataset(customers=customers, subscriptions=subs), senior, support, charges


def test_attributes_come_in_typed_and_feed_churn_drivers_without_a_merge():
    from csm_kit.models import ChurnDrivers

    ds, senior, support, charges = telco_like()
    t = survival_table(ds, as_of="2024-06", attributes=["SeniorCitizen", "TechSupport", "MonthlyCharges"])
    assert t["SeniorCitizen"].tolist() == senior.tolist() and pd.api.types.is_numeric_dtype(t["SeniorCitizen"])
    assert t["TechSupport"].tolist() == support.tolist()
    assert pd.api.types.is_float_dtype(t["MonthlyCharges"]) and t["MonthlyCharges"].tolist() == charges.tolist()
    notes = t.attrs["notes"]
    assert "attribute MonthlyCharges: text read as numbers (every value parses)" in notes
    assert "attribute TechSupport: text, used as a category (2 levels)" in notes
    m = ChurnDrivers(covariates=["SeniorCitizen", "TechSupport", "MonthlyCharges"], log=()).fit(t)
    assert set(m.design_columns_) == {"SeniorCitizen", "TechSupport=Yes", "MonthlyCharges"}
    # The simulated truth: log hazard ratios 0.8 for seniors, -0.7 for tech support, 0 for charges.
    s = m.summary
    for column, truth in (("SeniorCitizen", 0.8), ("TechSupport=Yes", -0.7), ("MonthlyCharges", 0.0)):
        assert abs(s.loc[column, "coef"] - truth) < 3 * s.loc[column, "std_error"], column


def test_attribute_text_that_does_not_all_parse_stays_a_category_and_bad_names_are_refused():
    ds, *_ = telco_like()
    cust = ds.customers.copy()
    cust.loc[3, "MonthlyCharges"] = " "           # Telco's blank TotalCharges: not a number, not parsed
    cust.loc[4, "MonthlyCharges"] = "n/a"
    ds2 = Dataset(customers=cust, subscriptions=ds.subscriptions)
    t = survival_table(ds2, as_of="2024-06", attributes="MonthlyCharges")
    assert t["MonthlyCharges"].dtype == object
    note = [n for n in t.attrs["notes"] if n.startswith("attribute MonthlyCharges")][0]
    assert "category" in note and "more than 50 levels" in note and "n/a" in note
    with pytest.raises(ValueError, match=r"attribute\(s\) \['Nope'\] are not columns of the customers table"):
        survival_table(ds, as_of="2024-06", attributes=["Nope"])
    with pytest.raises(ValueError, match=r"\['segment'\] are already columns"):
        survival_table(ds, as_of="2024-06", attributes=["segment"])
    with pytest.raises(MissingTableError, match="customers"):
        survival_table(ds.subscriptions, as_of="2024-06", attributes=["SeniorCitizen"])


def snapshot_dataset(tenure, churned, as_of="2026-03-31", unit="month"):
    """A snapshot as from_snapshot builds it: start = as_of - tenure, end = as_of for the churned, no MRR needed."""
    day = pd.Timestamp(as_of)
    start = [day - (pd.DateOffset(months=int(k)) if unit == "month" else pd.Timedelta(days=int(k))) for k in tenure]
    subs = pd.DataFrame({"customer_id": [f"s{i}" for i in range(len(tenure))],
                         "subscription_id": [f"s{i}" for i in range(len(tenure))],
                         "plan": "std", "billing_period": "month", "amount": 0.0,
                         "start_date": pd.to_datetime(start),
                         "end_date": pd.to_datetime([day if c else None for c in churned])})
    return Dataset(subscriptions=subs, snapshot=True)


def test_snapshot_tenures_are_exact_tenure_zero_kept_and_km_matches_lifelines():
    from lifelines import KaplanMeierFitter

    from csm_kit.models import RetentionCurves

    tenure = [0, 0, 1, 1, 2, 5, 12, 12, 13, 25, 72, 1]
    churned = [True, False, True, False, True, True, False, True, False, True, False, True]
    ds = snapshot_dataset(tenure, churned)
    t = survival_table(ds, as_of="2026-03-31")
    by_id = t.set_index("customer_id").loc[[f"s{i}" for i in range(len(tenure))]]
    assert by_id["tenure"].tolist() == [float(k) for k in tenure]       # exact, 0 kept, 31 March - 1 month = 28 Feb
    assert by_id["churned"].tolist() == churned
    km = RetentionCurves(times=[1, 2, 12, 24]).fit(t)
    ref = KaplanMeierFitter().fit(tenure, churned)
    assert km.retention_["retention"].tolist() == pytest.approx(ref.survival_function_at_times([1, 2, 12, 24]).tolist())
    days = survival_table(snapshot_dataset([0, 3, 400], [True, False, True], unit="day"), as_of="2026-03-31",
                          unit="day")
    assert days.set_index("customer_id").loc[["s0", "s1", "s2"], "tenure"].tolist() == [0.0, 3.0, 400.0]
