"""One meaning for a day everywhere: every public function of csm_kit.metrics and csm_kit.models that takes a day.

The functions are found with ``inspect`` (a parameter named ``as_of``,
``calibration_end``, ``data_end``, ``covariates_at``... whose default is not a
mode string such as ``censor_at="as_of"``), so a new function is covered
without editing this test. Each is called on a small simulated company with
the day written three ways that mean the same day (``"2026-10"``,
``Period("2026-10", "M")``, ``"2026-10-31"``: a month means its last day) and
must give identical results; ``"2026"`` and ``"Oct 2026"`` must be refused
with a ValueError that says how a day is written (``csm_kit.periods.as_of_day``).

Other required arguments are filled by name (:data:`FILL`); a new function
with a required argument not listed there fails with a message saying so.
"""
from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest

import csm_kit
import csm_kit.metrics
import csm_kit.models

#: Parameters that are a day the data is known up to (or a boundary day).
DAY_PARAMETERS = {"as_of", "calibration_end", "data_end", "censor_at", "observation_period_end", "observation_end",
                  "covariates_at", "holdout_end", "end_date", "snapshot_at"}
#: The month each kind of day is tested at: boundaries before the end of the data are earlier months.
EARLIER = {"covariates_at", "calibration_end", "holdout_end"}
LAST_MONTH, EARLIER_MONTH = "2026-10", "2026-07"


def _is_day_parameter(p: inspect.Parameter) -> bool:
    if not (p.name in DAY_PARAMETERS or p.name.endswith("_as_of")):
        return False
    # censor_at="as_of" in support is a mode, not a day
    return not (isinstance(p.default, str) and not p.default[:1].isdigit())


def _targets():
    """(label, kind, owner, method name, day parameter) for every public function/method taking a day."""
    found = []
    for module in (csm_kit.metrics, csm_kit.models):
        for name in sorted(getattr(module, "__all__", [])):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                if dataclasses.is_dataclass(obj):  # results (HealthBacktest, RiskForecast...): fields, not parsers
                    continue
                for method in ("__init__", "fit", "predict", "score", "transform"):
                    fn = obj.__dict__.get(method) or (getattr(obj, method, None) if method != "__init__" else None)
                    if fn is None or not callable(fn):
                        continue
                    for p in inspect.signature(fn).parameters.values():
                        if _is_day_parameter(p):
                            found.append((f"{module.__name__}.{name}.{method}:{p.name}", "method", obj, method, p.name))
            elif inspect.isfunction(obj):
                for p in inspect.signature(obj).parameters.values():
                    if _is_day_parameter(p):
                        found.append((f"{module.__name__}.{name}:{p.name}", "function", obj, None, p.name))
    return found


TARGETS = _targets()


@pytest.fixture(scope="module")
def company():
    """400 simulated customers over 22 months (2025-01 .. 2026-10): enough history for the risk models to learn."""
    return csm_kit.simulate(n_customers=400, start="2025-01", months=22, seed=23)


def _test_month(fn, day_name: str) -> str:
    params = inspect.signature(fn).parameters
    if day_name in EARLIER:
        return EARLIER_MONTH
    if "horizon_days" in params and day_name not in ("data_end", "observation_end", "observation_period_end"):
        return EARLIER_MONTH  # the horizon must fit in the data
    return LAST_MONTH


def _fillers(company):
    """Values for other required arguments, by name (built on first use)."""
    return {  # at_risk(ds, as_of=...) takes the Dataset in place of a fitted model
        "data": lambda: company, "ds": lambda: company, "data_or_measures": lambda: company,
        "end": lambda: LAST_MONTH, "cohort": lambda: "2026-03", "drivers": lambda: company,
        "as_of": lambda: "2026-10-31", "calibration_end": lambda: "2026-07-31",
    }


def _arguments(fn, day_name: str, day_value, company, skip_first: bool = False) -> tuple[list, dict]:
    fill = _fillers(company)
    args, kwargs = [], {}
    params = list(inspect.signature(fn).parameters.values())
    if skip_first:
        params = params[1:]
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name == day_name:
            value = day_value
        elif p.default is not p.empty:
            continue
        elif p.name in fill:
            value = fill[p.name]()
            if p.name == "as_of" and "horizon_days" in inspect.signature(fn).parameters:
                value = f"{EARLIER_MONTH}-31"
        else:
            pytest.fail(f"{fn.__qualname__} needs {p.name!r}: add how to fill it to FILL in tests/test_as_of.py")
        if p.kind == p.POSITIONAL_ONLY or (p.kind == p.POSITIONAL_OR_KEYWORD and not kwargs and p.default is p.empty):
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


def _call(target, day_value, company):
    _, kind, owner, method, day_name = target
    if kind == "function":
        args, kwargs = _arguments(owner, day_name, day_value, company)
        return owner(*args, **kwargs)
    if method == "__init__":
        args, kwargs = _arguments(owner.__init__, day_name, day_value, company, skip_first=True)
        return owner(*args, **kwargs)
    instance = owner()
    fn = getattr(instance, method)
    if method != "fit":  # predict/score/transform: fitted once with the plain day, called with each form
        fit_args, fit_kwargs = _arguments(instance.fit, day_name, f"{_test_month(owner.fit, day_name)}-31", company)
        instance.fit(*fit_args, **fit_kwargs)
        fn = getattr(instance, method)
    args, kwargs = _arguments(fn, day_name, day_value, company)
    result = fn(*args, **kwargs)
    return result


def _same(a, b, where: str = "result") -> None:
    """Assert two results are identical (frames, series, arrays, dataclasses, fitted models, scalars)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, (pd.Index, np.ndarray)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, (str, bytes, int, float, bool, np.generic, pd.Timestamp, pd.Period, pd.Timedelta)) or a is None:
        if isinstance(a, (float, np.floating)) and np.isnan(a):
            assert np.isnan(b), where
        else:
            assert a == b, f"{where}: {a!r} != {b!r}"
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        fitted = {k: v for k, v in vars(a).items() if k.endswith("_") and not k.startswith("_")}
        assert fitted, f"{where}: nothing to compare on a {type(a).__name__}"
        for k, v in fitted.items():
            _same(v, getattr(b, k), f"{where}.{k}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_the_discovery_finds_the_functions_we_know_of():
    labels = {t[0] for t in TARGETS}
    for known in ("csm_kit.metrics.usage_trend:as_of", "csm_kit.metrics.time_to_value:as_of",
                  "csm_kit.metrics.ticket_times:as_of", "csm_kit.models.survival_table:as_of",
                  "csm_kit.models.survival_table:covariates_at", "csm_kit.models.rfm_summary:calibration_end"):
        assert known in labels
    assert "csm_kit.metrics.support_summary:censor_at" not in labels  # a mode ("as_of" / "month_end"), not a day


@pytest.mark.parametrize("target", TARGETS, ids=[t[0].replace("csm_kit.", "") for t in TARGETS])
def test_a_month_means_its_last_day_and_other_forms_are_refused(target, company):
    fn = target[2] if target[1] == "function" else getattr(target[2], target[3])
    month = _test_month(fn, target[4])
    plain = _call(target, f"{month}-31" if month.endswith(("-07", "-10")) else month, company)
    _same(_call(target, month, company), plain, f"{target[0]}({month!r})")
    _same(_call(target, pd.Period(month, "M"), company), plain, f"{target[0]}(Period({month!r}))")
    for bad in ("2026", "Oct 2026"):
        with pytest.raises(ValueError, match=r"YYYY-MM"):
            _call(target, bad, company)
