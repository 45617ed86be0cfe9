"""Month ranges the data does not cover are refused, by every month-range metric, naming the coverage."""
import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.metrics import (churn_rates, cohort_retention, mrr, mrr_movement_log, mrr_movements, quick_ratio,
                             retention_rates, revenue_retention, survey_summary, theme_frequency)
from csm_kit.metrics.coverage import OutsideDataError, SnapshotError, check_months, data_coverage


def dataset():
    subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-05", "2026-02-10"]),
                         "end_date": pd.to_datetime([None, "2026-04-20"]), "billing_period": "month",
                         "amount": [10.0, 20.0]})
    surveys = pd.DataFrame({"response_id": ["r1", "r2"], "customer_id": ["a", "b"], "survey": "nps",
                            "score": [10.0, 3.0], "touchpoint": "relationship", "comment": ["ok", "slow"],
                            "responded_at": pd.to_datetime(["2026-02-03", "2026-03-03"])})
    return Dataset(subscriptions=subs, surveys=surveys)


def test_coverage_spans_every_dated_column_including_cancellations():
    c = data_coverage(dataset())
    assert (str(c.first_day.date()), str(c.last_day.date())) == ("2026-01-05", "2026-04-20")
    assert str(c.last_month) == "2026-04" and str(c.last_complete_month) == "2026-03"
    assert str(data_coverage(dataset(), ["surveys"]).first_month) == "2026-02"
    assert not data_coverage(Dataset()).known


CALLS = [
    lambda ds, **k: churn_rates(ds, **k), lambda ds, **k: retention_rates(ds, **k),
    lambda ds, **k: mrr(ds, **k), lambda ds, **k: mrr_movements(ds, **k), lambda ds, **k: mrr_movement_log(ds, **k),
    lambda ds, **k: revenue_retention(ds, **k), lambda ds, **k: revenue_retention(ds, form="cohort", window=1, **k),
    lambda ds, **k: quick_ratio(ds, **k), lambda ds, **k: cohort_retention(ds, **k),
    lambda ds, **k: survey_summary(ds, "nps", **k),
]


@pytest.mark.parametrize("call", CALLS)
def test_a_month_after_the_data_is_refused_naming_the_last_complete_month(call):
    with pytest.raises(OutsideDataError, match=r"end=2099-01 is after the data.*2026-04-20.*last complete month 2026-03"):
        call(dataset(), end="2099-01")
    with pytest.raises(OutsideDataError, match="start=2026-05"):
        call(dataset(), start="2026-05", end="2026-04")


@pytest.mark.parametrize("call", CALLS)
def test_a_range_wholly_before_the_data_is_refused(call):
    with pytest.raises(OutsideDataError, match=r"end=2025-06 is before .* 2026-0"):
        call(dataset(), start="2025-01", end="2025-06")


def test_the_months_at_both_edges_work():
    ds = dataset()
    r = churn_rates(ds, start="2026-01", end="2026-04")
    assert r["customers_end"].tolist() == [1, 2, 2, 1]  # b leaves on 20 April
    assert mrr(ds, start="2026-04", end="2026-04")["mrr"].item() == 10.0
    # Starting before the data is allowed: those months had nobody paying.
    early = churn_rates(ds, start="2025-12", end="2026-01")
    assert early["customers_start"].tolist() == [0, 0] and early["churn_rate"].isna().all()


def test_theme_frequency_range_is_checked():
    with pytest.raises(OutsideDataError, match="theme_frequency: end=2099-01"):
        theme_frequency(dataset(), start="2026-01", end="2099-01")


def test_a_bare_table_is_not_checked():
    subs = dataset().subscriptions
    assert len(churn_rates(subs, start="2026-01", end="2026-08")) == 8


def test_snapshot_refused_by_ledger_metrics_not_by_surveys():
    snap = Dataset(subscriptions=dataset().subscriptions, surveys=dataset().surveys, snapshot=True, source="snap")
    for call in CALLS[:-1]:
        with pytest.raises(SnapshotError, match="snapshot"):
            call(snap, end="2026-03")
    assert survey_summary(snap, "nps", end="2026-03")["n"].sum() == 2
    check_months(snap, None, "2026-03", fn="x", ledger=False)


def test_referral_candidates_refuse_a_day_after_the_data():
    from csm_kit.metrics import referral_candidates

    with pytest.raises(OutsideDataError, match="referral_candidates: end=2099-01 is after the data"):
        referral_candidates(dataset(), as_of="2099-01-15")
    assert referral_candidates(dataset(), as_of="2026-04-20")["customer_id"].tolist() == ["a"]
