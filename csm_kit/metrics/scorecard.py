"""Targets and the monthly scorecard: value, previous month, change, target, status, noise.

Targets file (YAML): one entry per metric with ``label``, ``unit``,
``direction`` (``higher`` or ``lower`` is better), ``goal`` and ``warning``.
Status: ``green`` when the goal is met, ``red`` when the value is beyond the
warning level, ``yellow`` in between; a value exactly on the goal is green
and exactly on the warning level is yellow. The kit ships defaults in
``csm_kit/targets.yaml``; they are a starting point, not a benchmark.

Survey metrics move with who happened to answer. When the scorecard is given
the counts behind a survey metric it tests the month-over-month change
(:mod:`csm_kit.metrics.intervals`) and flags a move that is within sampling
noise, so nobody celebrates or panics over a change a new sample could undo.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..periods import to_month
from .intervals import nps_change, proportion_change

DEFAULT_TARGETS = Path(__file__).resolve().parent.parent / "targets.yaml"
_FIELDS = ("label", "unit", "direction", "goal", "warning")


def load_targets(path=None) -> dict[str, dict]:
    """Read and check a targets file (default: the kit's ``targets.yaml``).

    Raises ``ValueError`` naming the metric and the problem: a missing or
    unknown field, a direction other than higher/lower, or a warning level on
    the wrong side of the goal.

    >>> load_targets()["logo_churn"]["goal"]
    0.02
    """
    path = Path(path) if path is not None else DEFAULT_TARGETS
    targets = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(targets, dict):
        raise ValueError(f"{path}: a targets file maps metric names to their targets.")
    for name, t in targets.items():
        if not isinstance(t, dict):
            raise ValueError(f"{path}: {name}: expected label, unit, direction, goal, warning.")
        missing = [f for f in _FIELDS if f not in t]
        unknown = sorted(set(t) - set(_FIELDS))
        if missing or unknown:
            raise ValueError(f"{path}: {name}: missing {missing} / unknown {unknown} fields.")
        if t["direction"] not in ("higher", "lower"):
            raise ValueError(f"{path}: {name}: direction must be 'higher' or 'lower', not {t['direction']!r}.")
        wrong_side = t["warning"] > t["goal"] if t["direction"] == "higher" else t["warning"] < t["goal"]
        if wrong_side:
            raise ValueError(f"{path}: {name}: the warning level {t['warning']} is on the wrong side of the goal "
                             f"{t['goal']} for a metric where {t['direction']} is better.")
    return targets


def target_status(value: float, target: dict | None) -> str:
    """green / yellow / red against a target, ``no target`` or ``no value``.

    >>> t = {"direction": "lower", "goal": 0.02, "warning": 0.04}
    >>> [target_status(v, t) for v in (0.02, 0.03, 0.04, 0.05)]
    ['green', 'yellow', 'yellow', 'red']
    """
    if target is None:
        return "no target"
    if value is None or not np.isfinite(value):
        return "no value"
    sign = 1 if target["direction"] == "higher" else -1
    if sign * value >= sign * target["goal"]:
        return "green"
    if sign * value >= sign * target["warning"]:
        return "yellow"
    return "red"


def _noise(prev: pd.Series | None, cur: pd.Series) -> tuple[object, str]:
    """Whether a month-over-month change is within sampling noise, if the counts allow a test."""
    if prev is None:
        return None, ""
    counts = ("promoters", "passives", "detractors")
    if all(c in cur.index and pd.notna(cur[c]) and pd.notna(prev.get(c)) for c in counts):
        test = nps_change(tuple(prev[c] for c in counts), tuple(cur[c] for c in counts))
    elif all(c in cur.index and pd.notna(cur[c]) and pd.notna(prev.get(c)) for c in ("successes", "n")):
        test = proportion_change(prev["successes"], prev["n"], cur["successes"], cur["n"])
    else:
        return None, ""
    return bool(test.within_noise), ("within sampling noise" if test.within_noise else "beyond sampling noise")


def scorecard(values: pd.DataFrame, *, month, targets=None) -> pd.DataFrame:
    """One row per metric for ``month``: value, previous month, change, target, status, noise.

    Parameters
    ----------
    values : DataFrame
        Tidy metric values: columns ``metric``, ``month`` (``YYYY-MM`` or
        Period), ``value``; optionally the counts behind survey metrics:
        ``promoters, passives, detractors`` (NPS) or ``successes, n``
        (shares such as CSAT top-2-box), used for the noise flag.
    month : str or Period
        The reporting month.
    targets : dict or path, optional
        As returned by :func:`load_targets`, or a path to a targets file
        (default: the kit's).

    Returns
    -------
    DataFrame
        ``metric, label, unit, value, previous, change, goal, warning,
        direction, status, within_noise, note``. ``change`` is value -
        previous; ``within_noise`` is True/False for survey metrics with
        counts, else None.

    Examples
    --------
    >>> v = pd.DataFrame({"metric": ["logo_churn", "logo_churn"], "month": ["2026-09", "2026-10"],
    ...                   "value": [0.05, 0.03]})
    >>> scorecard(v, month="2026-10")[["metric", "value", "previous", "status"]]
           metric  value  previous  status
    0  logo_churn   0.03      0.05  yellow
    """
    targets = load_targets(targets) if targets is None or isinstance(targets, (str, Path)) else targets
    month = to_month(month)
    frame = values.assign(month=values["month"].map(to_month))
    current = frame[frame["month"] == month].drop_duplicates("metric", keep="last").set_index("metric")
    previous = frame[frame["month"] == month - 1].drop_duplicates("metric", keep="last").set_index("metric")
    rows = []
    for metric, cur in current.iterrows():  # one row per metric: a dozen, not customers
        t = targets.get(metric)
        prev = previous.loc[metric] if metric in previous.index else None
        value = cur["value"]
        prev_value = prev["value"] if prev is not None else np.nan
        within, note = _noise(prev, cur)
        rows.append({
            "metric": metric, "label": (t or {}).get("label", metric), "unit": (t or {}).get("unit"),
            "value": value, "previous": prev_value, "change": value - prev_value if pd.notna(prev_value) else np.nan,
            "goal": (t or {}).get("goal"), "warning": (t or {}).get("warning"),
            "direction": (t or {}).get("direction"), "status": target_status(value, t),
            "within_noise": within, "note": note,
        })
    return pd.DataFrame(rows, columns=["metric", "label", "unit", "value", "previous", "change", "goal", "warning",
                                       "direction", "status", "within_noise", "note"])
