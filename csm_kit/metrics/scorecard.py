"""Targets and the monthly scorecard: value, previous month, change, target, status, noise.

Targets file
------------
YAML, one entry per metric (the name the report records it under)::

    logo_churn: {label: "Logo churn (monthly)", unit: share, direction: lower, goal: 0.02, warning: 0.04}

``direction`` says which way is better (``higher`` or ``lower``); ``goal``
is the level that counts as met, ``warning`` the level beyond which the
metric is red. Status: ``green`` when the goal is met (a value exactly on the
goal is green), ``yellow`` between goal and warning (exactly on the warning
level is still yellow), ``red`` beyond the warning level, ``no target`` for
a metric the file does not list and ``no value`` when the month has no
number. The kit ships defaults in ``csm_kit/targets.yaml``: a starting
point to edit, not an industry benchmark.

Noise
-----
Survey metrics move with who happened to answer. Given the counts behind
them, the scorecard tests each month-over-month move at 95% and says
whether it is within sampling noise (:mod:`csm_kit.metrics.intervals`):
nobody should celebrate or panic over a change a fresh sample could undo.
"""
from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..periods import to_month
from .intervals import nps_change, proportion_change

#: The kit's default targets file.
DEFAULT_TARGETS = Path(__file__).resolve().parent.parent / "targets.yaml"
TARGET_FIELDS = ("label", "unit", "direction", "goal", "warning")
NPS_COUNTS = ("promoters", "passives", "detractors")
SHARE_COUNTS = ("successes", "n")
COLUMNS = ["metric", "label", "unit", "month", "value", "previous", "change", "target", "warning", "direction",
           "status", "within_noise", "note"]


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and np.isfinite(x)


def check_targets(targets: dict, source: str = "targets") -> dict[str, dict]:
    """Check a mapping ``{metric: {label, unit, direction, goal, warning}}``; return it unchanged.

    Raises ``ValueError`` naming ``source``, the metric and the problem: an
    entry that is not a mapping, a missing or unknown field, a direction
    other than ``higher``/``lower``, a goal or warning that is not a number,
    or a warning level on the wrong side of the goal (below it where higher
    is better, above it where lower is better; equal is allowed and leaves
    no yellow zone).

    >>> check_targets({"nps": {"label": "NPS", "unit": "points", "direction": "higher", "goal": 20, "warning": 30}})
    Traceback (most recent call last):
    ...
    ValueError: targets: nps: the warning level 30 is on the wrong side of the goal 20 (higher is better, ...
    """
    if not isinstance(targets, dict):
        raise ValueError(f"{source}: a targets file maps metric names to their targets, not {type(targets).__name__}.")
    for name, t in targets.items():
        if not isinstance(t, dict):
            raise ValueError(f"{source}: {name}: expected a mapping with {', '.join(TARGET_FIELDS)}; got {t!r}.")
        missing = [f for f in TARGET_FIELDS if f not in t]
        unknown = sorted(set(t) - set(TARGET_FIELDS))
        if missing or unknown:
            raise ValueError(f"{source}: {name}: missing fields {missing}, unknown fields {unknown} "
                             f"(allowed: {', '.join(TARGET_FIELDS)}).")
        if t["direction"] not in ("higher", "lower"):
            raise ValueError(f"{source}: {name}: direction must be 'higher' or 'lower', not {t['direction']!r}.")
        for f in ("goal", "warning"):
            if not _is_number(t[f]):
                raise ValueError(f"{source}: {name}: {f} must be a number, not {t[f]!r}.")
        higher = t["direction"] == "higher"
        if (t["warning"] > t["goal"]) if higher else (t["warning"] < t["goal"]):
            raise ValueError(f"{source}: {name}: the warning level {t['warning']} is on the wrong side of the goal "
                             f"{t['goal']} ({t['direction']} is better, so warning {'<=' if higher else '>='} goal).")
    return targets


def load_targets(path=None) -> dict[str, dict]:
    """Read and check a targets file (default: the kit's ``csm_kit/targets.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file as described in the module docstring.

    Returns
    -------
    dict
        ``{metric: {"label", "unit", "direction", "goal", "warning"}}``, in
        file order (the scorecard lists metrics in that order).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Invalid YAML, or an entry breaking a rule of :func:`check_targets`.

    Examples
    --------
    >>> t = load_targets()
    >>> t["logo_churn"]["goal"], t["logo_churn"]["direction"]
    (0.02, 'lower')
    """
    path = Path(path) if path is not None else DEFAULT_TARGETS
    try:
        targets = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from None
    return check_targets({} if targets is None else targets, source=str(path))


def target_status(value, target: dict | None) -> str:
    """``green`` / ``yellow`` / ``red`` against one target, or ``no target`` / ``no value``.

    With ``s = +1`` where higher is better and ``-1`` where lower is better:
    green if ``s x value >= s x goal``, else yellow if ``s x value >= s x warning``,
    else red.

    >>> t = {"direction": "lower", "goal": 0.02, "warning": 0.04}
    >>> [target_status(v, t) for v in (0.02, 0.03, 0.04, 0.05)]
    ['green', 'yellow', 'yellow', 'red']
    """
    if target is None:
        return "no target"
    if value is None or not np.isfinite(value):
        return "no value"
    s = 1 if target["direction"] == "higher" else -1
    return "green" if s * value >= s * target["goal"] else "yellow" if s * value >= s * target["warning"] else "red"


def metric_values(*reports: dict) -> pd.DataFrame:
    """The tidy input of :func:`scorecard` from one or more ``metrics.json`` documents.

    Each document is ``{"month": "YYYY-MM", "notebooks": {notebook: {name:
    payload}}}`` as the monthly report writes it; a payload holds ``value``,
    ``unit``, ``label`` and any extras recorded with it. Numbers recorded with
    ``scorecard=False`` and text values are not scored and are left out.
    Pass last month's and this month's documents to get previous values.

    Returns
    -------
    DataFrame
        ``metric, month, value, label, unit`` and, where recorded, the counts
        ``promoters, passives, detractors, successes, n``.

    Examples
    --------
    >>> doc = {"month": "2026-10", "notebooks": {"satisfaction": {"nps_relationship": {
    ...     "name": "nps_relationship", "value": 30.0, "unit": "points", "label": "NPS",
    ...     "promoters": 50, "passives": 30, "detractors": 20}}}}
    >>> metric_values(doc)[["metric", "month", "value", "promoters", "n"]]
                 metric    month  value  promoters   n
    0  nps_relationship  2026-10   30.0       50.0 NaN
    """
    rows = []
    for doc in reports:
        month = to_month(doc["month"])
        for recorded in doc.get("notebooks", {}).values():
            for name, p in recorded.items():
                if not p.get("scorecard", True) or isinstance(p.get("value"), str):
                    continue
                rows.append({"metric": name, "month": month, "value": p.get("value"), "label": p.get("label"),
                             "unit": p.get("unit"), **{c: p.get(c) for c in NPS_COUNTS + SHARE_COUNTS}})
    frame = pd.DataFrame(rows, columns=["metric", "month", "value", "label", "unit", *NPS_COUNTS, *SHARE_COUNTS])
    numeric = ["value", *NPS_COUNTS, *SHARE_COUNTS]
    frame[numeric] = frame[numeric].astype(float)
    frame["month"] = frame["month"].astype("period[M]")
    return frame


def _values(values: pd.DataFrame) -> pd.DataFrame:
    """Check the tidy input and give it Period months and float numbers."""
    missing = [c for c in ("metric", "month", "value") if c not in values.columns]
    if missing:
        raise ValueError(f"scorecard: values needs columns metric, month, value; missing {missing}.")
    frame = values.copy()
    frame["month"] = frame["month"].map(to_month).astype("period[M]")
    for col in ("value", *NPS_COUNTS, *SHARE_COUNTS):
        if col in frame.columns:
            numbers_ = pd.to_numeric(frame[col], errors="coerce")
            bad = numbers_.isna() & frame[col].notna()
            if bad.any():
                raise ValueError(f"scorecard: column {col!r} must hold numbers; offending rows:\n"
                                 f"{frame.loc[bad, ['metric', 'month', col]].head(5).to_string()}")
            frame[col] = numbers_.astype(float)
    dupes = frame.duplicated(["metric", "month"], keep=False)
    if dupes.any():
        raise ValueError("scorecard: one value per metric and month; these repeat:\n"
                         f"{frame.loc[dupes, ['metric', 'month', 'value']].head(5).to_string()}")
    return frame


def _first_given(*candidates: pd.Series) -> pd.Series:
    """Per row, the first candidate that is not missing (targets file, then this month, then last)."""
    grid = np.column_stack([c.to_numpy(dtype=object) for c in candidates])
    return pd.Series([next((v for v in row if not pd.isna(v)), None) for row in grid],  # a dozen metrics
                     index=candidates[0].index, dtype=object)


def _noise(table: pd.DataFrame, confidence: float) -> tuple[pd.Series, pd.Series]:
    """Within-noise flag and note per row, where both months carry the counts; None elsewhere."""
    within = pd.Series([None] * len(table), index=table.index, dtype=object)
    for counts, test in ((NPS_COUNTS, "nps"), (SHARE_COUNTS, "share")):
        cur, prev = list(counts), [f"{c}_previous" for c in counts]
        if not set(cur + prev) <= set(table.columns):
            continue
        rows = table[table[cur + prev].notna().all(axis=1) & within.map(lambda w: w is None)]
        if rows.empty:
            continue
        if test == "nps":
            result = nps_change(tuple(rows[p].to_numpy() for p in prev), tuple(rows[c].to_numpy() for c in cur),
                                confidence=confidence)
        else:
            result = proportion_change(rows["successes_previous"].to_numpy(), rows["n_previous"].to_numpy(),
                                       rows["successes"].to_numpy(), rows["n"].to_numpy(), confidence=confidence)
        within.loc[rows.index] = [bool(w) for w in np.atleast_1d(result.within_noise)]
    note = within.map({True: f"within sampling noise ({confidence:.0%} test)",
                       False: f"beyond sampling noise ({confidence:.0%} test)"}).fillna("")
    return within, note


def scorecard(values: pd.DataFrame, *, month, targets=None, noise=None) -> pd.DataFrame:
    """One row per metric for ``month``: value, previous month, change, target, status and noise flag.

    ``change = value - previous`` (previous = the value for ``month - 1``).
    Status against the target (module docstring): green goal met, yellow
    between goal and warning, red beyond warning.

    Noise flag, for survey metrics given with their counts in both months:

    - NPS (``promoters, passives, detractors``): the difference of the two
      adjusted-Wald estimates (each sample gets 0.75 promoter, 1.5 passive,
      0.75 detractor added), ``z = (NPS'2 - NPS'1) / sqrt(var1 + var2)``
      with ``var = (p' + d' - (p' - d')^2) / (n + 3)``
      (:func:`~csm_kit.metrics.intervals.nps_change`);
    - shares such as CSAT top-2-box or CES % agree (``successes, n``): the
      two-proportion z-test in its Agresti-Caffo form, one success and one
      failure added to each month, ``z = (p~2 - p~1) / sqrt(p~1(1-p~1)/(n1+2)
      + p~2(1-p~2)/(n2+2))`` (:func:`~csm_kit.metrics.intervals.proportion_change`);
      it holds its 95% level on small samples where the plain pooled z-test does not.

    A move is *within sampling noise* when ``|z| < 1.96`` (95%), i.e. the
    interval for the change contains 0. Metrics without counts (MRR, churn:
    counts of the whole population, not samples) get no flag.

    Parameters
    ----------
    values : DataFrame
        Tidy metric values, one row per metric and month: ``metric``,
        ``month`` (``"YYYY-MM"``, Period or date), ``value``; optional
        ``label`` and ``unit`` (used for metrics without a target), and the
        counts behind survey metrics: ``promoters, passives, detractors``
        (NPS) or ``successes, n`` (a share). :func:`metric_values` builds
        it from the report's ``metrics.json``.
    month : str or Period
        The reporting month.
    targets : dict or path, optional
        As returned by :func:`load_targets`, or a path to a targets file;
        default the kit's ``targets.yaml``.
    noise : float or False, optional
        Confidence level of the noise test (default 0.95); ``False``: no test.

    Returns
    -------
    DataFrame
        ``metric, label, unit, month, value, previous, change, target
        (the goal), warning, direction, status, within_noise (True / False /
        None when not testable), note``; one row per metric with a value in
        ``month`` or ``month - 1``, metrics of the targets file first, in its
        order. Rows convert straight to the report's index page
        (``.to_dict("records")``).

    Examples
    --------
    >>> v = pd.DataFrame({"metric": ["logo_churn", "logo_churn", "nps_relationship", "nps_relationship"],
    ...                   "month": ["2026-09", "2026-10", "2026-09", "2026-10"], "value": [0.05, 0.03, 30, 20],
    ...                   "promoters": [None, None, 5, 4], "passives": [None, None, 3, 4],
    ...                   "detractors": [None, None, 2, 2]})
    >>> scorecard(v, month="2026-10")[["metric", "value", "previous", "target", "status", "within_noise"]]
                 metric  value  previous  target  status within_noise
    0  nps_relationship  20.00     30.00   40.00  yellow         True
    1        logo_churn   0.03      0.05    0.02  yellow         None
    """
    if targets is None or isinstance(targets, (str, Path)):
        targets = load_targets(targets)
    else:
        targets = check_targets(targets)
    if noise is None:
        noise = 0.95
    elif noise is not False and not (_is_number(noise) and 0 < noise < 1):
        raise ValueError(f"noise must be a confidence level between 0 and 1, or False; not {noise!r}.")
    month = to_month(month)
    frame = _values(values)

    current = frame[frame["month"] == month].set_index("metric")
    previous = frame[frame["month"] == month - 1].set_index("metric")
    table = current.join(previous.add_suffix("_previous"), how="outer")
    order = [m for m in targets if m in table.index] + [m for m in frame["metric"].unique()
                                                          if m in table.index and m not in targets]
    table = table.reindex(order)

    known = pd.DataFrame.from_dict(targets, orient="index", columns=list(TARGET_FIELDS)).reindex(table.index)
    label, unit = (_first_given(known[col], *(table[c] for c in (col, f"{col}_previous") if c in table.columns))
                   for col in ("label", "unit"))
    value, prev = table["value"].astype(float), table["value_previous"].astype(float)

    s = np.where(known["direction"] == "lower", -1.0, 1.0)
    status = np.select(
        [known["direction"].isna(), value.isna(), s * value >= s * known["goal"].astype(float),
         s * value >= s * known["warning"].astype(float)],
        ["no target", "no value", "green", "yellow"], default="red")
    within, note = (_noise(table, noise) if noise is not False
                    else (pd.Series([None] * len(table), index=table.index, dtype=object),
                          pd.Series("", index=table.index)))
    out = pd.DataFrame({
        "metric": table.index, "label": _first_given(label, table.index.to_series()), "unit": unit,
        "month": pd.Series(month, index=table.index, dtype="period[M]"), "value": value, "previous": prev,
        "change": value - prev, "target": known["goal"].astype(float), "warning": known["warning"].astype(float),
        "direction": known["direction"], "status": status, "within_noise": within, "note": note,
    })
    return out[COLUMNS].reset_index(drop=True)
