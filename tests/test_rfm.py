"""RFM summary: hand-built transactions, the calibration/holdout split, and bad input."""
import pandas as pd
import pytest

from csm_kit.exceptions import DataValidationError
from csm_kit.models import rfm_summary
from csm_kit.models.rfm import check_summary


def tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).astype({"date": "datetime64[ns]"})


TX = tx([("a", "2026-01-01 09:00", 10.0), ("a", "2026-01-08 10:00", 5.0), ("a", "2026-01-08 18:00", 15.0),
         ("a", "2026-01-22", 40.0), ("a", "2026-02-05", 7.0), ("a", "2026-02-06", 9.0),
         ("b", "2026-01-29", 12.0),                        # first purchase on the calibration end day
         ("c", "2026-02-02", 50.0)])                       # first purchase in the holdout: not in the cohort


def test_calibration_and_holdout_by_hand():
    s = rfm_summary(TX, calibration_end="2026-01-29", observation_end="2026-02-12", time_unit="day")
    assert list(s.index) == ["a", "b"] and s.attrs["time_unit"] == "day"
    # a: purchase days Jan 1, Jan 8 (two purchases, one day: 20), Jan 22 -> 2 repeat days
    assert s.loc["a"][["frequency", "recency", "T", "monetary_value"]].tolist() == [2, 21, 28, 30.0]
    assert s.loc["b"][["frequency", "recency", "T", "monetary_value"]].tolist() == [0, 0, 0, 0.0]
    assert s.loc["a", "frequency_holdout"] == 2 and s.loc["a", "monetary_holdout"] == 8.0
    assert s.loc["b", "frequency_holdout"] == 0 and (s["duration_holdout"] == 14).all()
    w = rfm_summary(TX, calibration_end="2026-01-29", time_unit="week")
    assert w.loc["a", "T"] == 4.0 and w.loc["a", "recency"] == 3.0 and "frequency_holdout" not in w
    assert rfm_summary(TX, calibration_end="2026-01-29", time_unit="month").loc["a", "T"] == pytest.approx(28 / 30.4375)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="time_unit"):
        rfm_summary(TX, calibration_end="2026-01-29", time_unit="fortnight")
    with pytest.raises(ValueError, match="observation_end .* must be after"):
        rfm_summary(TX, calibration_end="2026-01-29", observation_end="2026-01-29")
    with pytest.raises(ValueError, match="No transaction on or before"):
        rfm_summary(TX, calibration_end="2025-01-01")
    bad = TX.copy()
    bad.loc[3, "amount"] = float("nan")
    with pytest.raises(DataValidationError, match=r"transactions.amount[\s\S]*\n4 "):
        rfm_summary(bad, calibration_end="2026-01-29")
    with pytest.raises(DataValidationError, match="missing column"):
        rfm_summary(TX.drop(columns="amount"), calibration_end="2026-01-29")


def test_check_summary_rules():
    s = pd.DataFrame({"frequency": [0, 1.5], "recency": [0, 1.0], "T": [2.0, 3.0]}, index=["x", "y"])
    with pytest.raises(ValueError, match=r"whole number.*\['y'\]"):
        check_summary(s, "fit")
    s = pd.DataFrame({"frequency": [0, 1], "recency": [1.0, 1.0], "T": [2.0, 3.0]}, index=["x", "y"])
    with pytest.raises(ValueError, match=r"recency must be 0 when frequency is 0.*\['x'\]"):
        check_summary(s, "fit")
    with pytest.raises(ValueError, match=r"needs RFM summary column\(s\) \['monetary_value'\]"):
        check_summary(s, "fit", monetary=True)


def test_two_currencies_are_refused_and_one_is_carried():
    mixed = TX.assign(currency=["USD"] * 7 + ["JPY"])
    with pytest.raises(DataValidationError, match="transactions.*currency.*different currencies.*JPY.*USD"):
        rfm_summary(mixed, calibration_end="2026-01-29")
    one = rfm_summary(TX.assign(currency="EUR"), calibration_end="2026-01-29")
    assert set(one["currency"]) == {"EUR"} and set(one["time_unit"]) == {"week"}


@pytest.mark.parametrize("end", ["2026-01", pd.Period("2026-01", "M"), "2026-01-31", pd.Timestamp("2026-01-31")])
def test_a_month_means_its_last_day(end):
    s = rfm_summary(TX, calibration_end=end)
    # b's first purchase on 29 Jan: T = 2 days = 2/7 weeks to 31 January.
    assert s.loc["b", "T"] == pytest.approx(2 / 7)
    with pytest.raises(ValueError, match="calibration_end is a day"):
        rfm_summary(TX, calibration_end="2026")
    with pytest.raises(ValueError, match="observation_end .* must be after"):
        rfm_summary(TX, calibration_end="2026-01", observation_end="2026-01-15")
