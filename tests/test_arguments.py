"""csm_kit.arguments: the one check of whole-number arguments."""
import numpy as np
import pytest

from csm_kit.arguments import whole_number


@pytest.mark.parametrize("value, expected", [
    (1, 1), (12, 12), (np.int64(3), 3), (np.int32(7), 7), (2.0, 2), (np.float64(5.0), 5), (10**12, 10**12),
])
def test_accepted_values_come_back_as_python_ints(value, expected):
    got = whole_number(value, "trend_months")
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 2.5, np.float64(0.5), float("nan"), float("inf"),
                                   "3", "", None, [3], 0, -1, np.int64(-4), 0.0])
def test_refused_values_name_the_argument_and_the_value(value):
    with pytest.raises(ValueError) as err:
        whole_number(value, "window_months")
    assert str(err.value) == f"window_months must be a whole number >= 1, not {value!r}."


def test_minimum_and_unit():
    assert whole_number(0, "within_days", minimum=0) == 0
    assert whole_number(np.int64(0), "within_days", minimum=0) == 0
    with pytest.raises(ValueError, match=r"^within_days must be a whole number of days >= 0, not -1\.$"):
        whole_number(-1, "within_days", minimum=0, unit="days")
    with pytest.raises(ValueError, match=r"^horizon_days must be a whole number of days >= 1, not 0\.$"):
        whole_number(0, "horizon_days", unit="days")
    assert whole_number(5, "shown", minimum=5) == 5
    with pytest.raises(ValueError, match=">= 5, not 4"):
        whole_number(4, "shown", minimum=5)
    with pytest.raises(ValueError, match="not True"):
        whole_number(True, "within_days", minimum=0)
