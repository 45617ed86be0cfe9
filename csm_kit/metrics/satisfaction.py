"""Survey scores: NPS, CSAT and CES, each with its interval, n and response rate.

Conventions (``/work/shared/reference/metrics.md``, "Surveys")
--------------------------------------------------------------
- NPS on 0-10: promoters 9-10, passives 7-8, detractors 0-6; score =
  %promoters - %detractors, from -100 to 100; 95% adjusted-Wald interval.
- CSAT: share of top-2-box answers (4-5 on 1-5) by default, mean as an
  option; Wilson interval for the share, t interval for the mean.
- CES 2.0: 1-7 agreement that the issue was easy to handle, higher is better:
  mean and % agree (5-7). The original CES: 1-5 effort, lower is better.
- Response rate beside every score; relationship and transactional
  (post-ticket, post-onboarding) surveys are never pooled.

Every result carries a ``convention`` string for a report to print beside the
number, so a reader knows exactly what was computed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arguments import confidence_level, whole_number
from ..contract import SURVEY_SCALES
from ..exceptions import DataValidationError, MissingTableError
from ..periods import months as month_range, to_month
from .coverage import check_months
from .intervals import ChangeTest, mean_interval, nps_change, nps_interval, wilson_interval

__all__ = ["NPSResult", "CSATResult", "CESResult", "nps", "csat", "ces", "survey_summary", "nps_category",
           "NPSWaves", "nps_waves"]

NPS_SCALE = (0, 10)
CES_SCALES = {"2.0": (1, 7), "original": (1, 5)}


# -- conventions, stated once ------------------------------------------------

def _nps_convention(confidence: float) -> str:
    return (f"NPS = % promoters (9-10) - % detractors (0-6) on 0-10, from -100 to 100; "
            f"{confidence:.0%} adjusted-Wald interval")


def _csat_convention(method: str, scale, top_box: int, confidence: float) -> str:
    lo, hi = scale
    if method == "mean":
        return f"CSAT = mean answer on {lo}-{hi}; {confidence:.0%} t interval"
    return (f"CSAT = % answering {hi - top_box + 1}-{hi} (top-{top_box} box) on {lo}-{hi}; "
            f"{confidence:.0%} Wilson interval")


def _ces_convention(version: str, scale, confidence: float) -> str:
    lo, hi = scale
    easy = _easy_range(version, scale)
    if version == "2.0":
        what = f"CES 2.0 = mean agreement that the issue was easy to handle, {lo}-{hi}, higher is better"
    else:
        what = f"CES (original) = mean effort, {lo}-{hi}, lower is better"
    return (f"{what}; % easy = share answering {easy[0]}-{easy[1]}; "
            f"{confidence:.0%} t interval (mean), Wilson interval (% easy)")


def _easy_range(version: str, scale) -> tuple[int, int]:
    """Answers counted as 'easy': above the midpoint (CES 2.0) or below it (original)."""
    lo, hi = scale
    mid = (lo + hi) / 2
    return (int(np.floor(mid)) + 1, hi) if version == "2.0" else (lo, int(np.ceil(mid)) - 1)


# -- input checks -------------------------------------------------------------

def _check_scale(scale) -> tuple[int, int]:
    try:
        lo, hi = scale
    except (TypeError, ValueError):
        raise ValueError(f"scale must be (lowest, highest), e.g. (1, 5), not {scale!r}.") from None
    if not (float(lo).is_integer() and float(hi).is_integer() and lo < hi):
        raise ValueError(f"scale must be two whole numbers, lowest first, e.g. (1, 5), not {scale!r}.")
    return int(lo), int(hi)


def _scores(scores, scale, what: str) -> np.ndarray:
    """The scores as floats, after checking each is a whole number on the scale."""
    if isinstance(scores, (str, bytes)) or (np.ndim(scores) == 0 and not hasattr(scores, "__iter__")):
        raise ValueError(f"{what} scores must be a sequence of numbers such as [10, 9, 3], not {scores!r}.")
    s = scores.reset_index(drop=True) if isinstance(scores, pd.Series) else pd.Series(list(scores), dtype=object)
    if len(s) == 0:
        return np.empty(0)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        # Mixed input: only real numbers count ("9" or True is not a score).
        is_number = s.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                          and not isinstance(v, (bool, np.bool_)))
        values = pd.to_numeric(s.where(is_number), errors="coerce").to_numpy(dtype=float)
    lo, hi = scale
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values) & (values == np.round(values)) & (values >= lo) & (values <= hi)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        shown = list(dict.fromkeys(repr(v) for v in s.iloc[bad]))[:5]
        raise ValueError(
            f"{what} scores must be whole numbers from {lo} to {hi}; {len(bad)} invalid value(s): "
            f"{', '.join(shown)} (at position(s) {', '.join(map(str, bad[:5]))})."
        )
    return values


def _response_rate(n: int, sent) -> float | None:
    if sent is None:
        return None
    sent = whole_number(sent, "sent", minimum=0, unit="invitations")
    if n > sent:
        raise ValueError(f"{n} responses but only {sent} invitations sent: check `sent`.")
    return n / sent if sent else float("nan")


def _fmt(value: float, signed: bool = False, unit: str = "") -> str:
    if value is None or np.isnan(value):
        return "n/a"
    return f"{value:+.1f}{unit}" if signed else f"{value:.1f}{unit}" if unit == "%" else f"{value:.2f}{unit}"


def _rate_text(rate) -> str:
    return "" if rate is None else f"; response rate {_fmt(100 * rate, unit='%')}"


# -- results -----------------------------------------------------------------

@dataclass(frozen=True)
class NPSResult:
    """A Net Promoter Score with its counts, interval and response rate.

    ``score`` and ``ci_low``/``ci_high`` are in points (-100..100); the
    ``pct_*`` shares are percentages (0..100); ``response_rate`` is a
    fraction, or None when the number of invitations was not given.
    With no responses, ``score`` and the interval are NaN.
    """

    score: float
    n: int
    promoters: int
    passives: int
    detractors: int
    pct_promoters: float
    pct_passives: float
    pct_detractors: float
    ci_low: float
    ci_high: float
    confidence: float
    sent: int | None
    response_rate: float | None
    convention: str
    label: str = "NPS"
    higher_is_better: bool = True

    def __str__(self) -> str:
        return (f"NPS {_fmt(self.score, signed=True)} ({self.confidence:.0%} CI {_fmt(self.ci_low, signed=True)} "
                f"to {_fmt(self.ci_high, signed=True)}; n={self.n}{_rate_text(self.response_rate)})")


@dataclass(frozen=True)
class CSATResult:
    """A CSAT score: % top-box (default) or mean, with its interval.

    ``score`` is a percentage (method ``"top_box"``) or a mean on the scale
    (method ``"mean"``); ``ci_low``/``ci_high`` are in the same unit. Both
    ``pct_satisfied`` and ``mean`` are always filled, whatever the method.
    """

    score: float
    n: int
    ci_low: float
    ci_high: float
    method: str
    scale: tuple[int, int]
    top_box: int
    satisfied: int
    pct_satisfied: float
    mean: float
    confidence: float
    sent: int | None
    response_rate: float | None
    convention: str
    label: str = "CSAT"
    higher_is_better: bool = True

    def __str__(self) -> str:
        unit = "%" if self.method == "top_box" else ""
        return (f"CSAT {_fmt(self.score, unit=unit)} ({self.confidence:.0%} CI {_fmt(self.ci_low, unit=unit)} "
                f"to {_fmt(self.ci_high, unit=unit)}; n={self.n}{_rate_text(self.response_rate)})")


@dataclass(frozen=True)
class CESResult:
    """A Customer Effort Score: mean answer and % easy, each with an interval.

    ``score`` is the mean answer (``ci_low``/``ci_high`` its t interval);
    ``pct_easy`` the percentage of "easy" answers (``easy_ci_low``/
    ``easy_ci_high`` its Wilson interval). ``higher_is_better`` is True for
    CES 2.0 and False for the original CES: read ``convention``.
    """

    score: float
    n: int
    ci_low: float
    ci_high: float
    version: str
    scale: tuple[int, int]
    easy: int
    pct_easy: float
    easy_ci_low: float
    easy_ci_high: float
    confidence: float
    sent: int | None
    response_rate: float | None
    convention: str
    label: str
    higher_is_better: bool

    def __str__(self) -> str:
        better = "higher" if self.higher_is_better else "lower"
        return (f"{self.label} {_fmt(self.score)} on {self.scale[0]}-{self.scale[1]}, {better} is better "
                f"({self.confidence:.0%} CI {_fmt(self.ci_low)} to {_fmt(self.ci_high)}; "
                f"{_fmt(self.pct_easy, unit='%')} easy; n={self.n}{_rate_text(self.response_rate)})")


# -- the three scores ------------------------------------------------------------

def nps_category(scores) -> np.ndarray:
    """The NPS category of each 0-10 score: ``"promoter"``, ``"passive"`` or ``"detractor"``.

    >>> nps_category([10, 8, 6]).tolist()
    ['promoter', 'passive', 'detractor']
    """
    values = _scores(scores, NPS_SCALE, "NPS")
    return np.select([values >= 9, values >= 7], ["promoter", "passive"], "detractor")


def _nps_stats(promoters, passives, detractors, confidence):
    """Score, shares and interval from counts (arrays or scalars)."""
    P, A, D = (np.asarray(x, dtype=float) for x in (promoters, passives, detractors))
    n = P + A + D
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_p, pct_a, pct_d = 100 * P / n, 100 * A / n, 100 * D / n
    low, high = nps_interval(P, A, D, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 100 * (P - D) / n  # the same expression nps_interval checks its bounds against
    return {"score": score, "ci_low": low, "ci_high": high,
            "pct_promoters": pct_p, "pct_passives": pct_a, "pct_detractors": pct_d}


def nps(scores, *, confidence: float = 0.95, sent: int | None = None) -> NPSResult:
    """Net Promoter Score of a set of 0-10 answers.

    ``NPS = 100 * (promoters - detractors) / n``, promoters answering 9-10,
    passives 7-8, detractors 0-6; from -100 (all detractors) to +100 (all
    promoters). The interval is the adjusted-Wald interval of
    :func:`csm_kit.metrics.intervals.nps_interval` (Rocks 2016).

    Parameters
    ----------
    scores : sequence or Series of int
        Answers, each a whole number from 0 to 10. Anything else (11, 7.5,
        NaN, "9") raises ``ValueError`` naming the offending values: missing
        answers are not silently dropped; drop them first if you mean to.
    confidence : float, default 0.95
        Level of the interval.
    sent : int, optional
        Invitations sent, for the response rate ``n / sent``.

    Returns
    -------
    NPSResult
        ``score`` (points), ``n``, counts and percentages of each category,
        ``ci_low``/``ci_high``, ``response_rate`` and ``convention``. No
        answers gives ``n = 0`` and NaN score and interval (an empty month is
        not an error).

    Examples
    --------
    >>> nps([10, 9, 3]).score
    33.33...
    >>> r = nps([10] * 50 + [7] * 30 + [0] * 20, sent=400)
    >>> r.score, r.n, r.response_rate
    (30.0, 100, 0.25)
    >>> print(r)
    NPS +30.0 (95% CI +14.1 to +44.2; n=100; response rate 25.0%)
    >>> nps([]).score
    nan
    """
    confidence = confidence_level(confidence)
    values = _scores(scores, NPS_SCALE, "NPS")
    P, D = int((values >= 9).sum()), int((values <= 6).sum())
    n = len(values)
    st = {k: float(v) for k, v in _nps_stats(P, n - P - D, D, confidence).items()}
    return NPSResult(n=n, promoters=P, passives=n - P - D, detractors=D, confidence=confidence,
                     sent=sent, response_rate=_response_rate(n, sent),
                     convention=_nps_convention(confidence), **st)


_CSAT_METHODS = {"top_box": "top_box", "top2": "top_box", "mean": "mean"}


def _check_top_box(top_box, scale) -> int:
    lo, hi = scale
    return whole_number(top_box, "top_box", maximum=hi - lo, context=f"on a {lo}-{hi} scale")


def csat(scores, *, scale=(1, 5), method: str = "top_box", top_box: int = 2,
         confidence: float = 0.95, sent: int | None = None) -> CSATResult:
    """Customer satisfaction score: % top-box answers (default) or the mean answer.

    ``% top-box = 100 * (answers in the top `top_box` points of the scale) / n``
    with a Wilson interval; ``mean = sum(answers) / n`` with a Student-t
    interval (clipped to the scale).

    Parameters
    ----------
    scores : sequence or Series of int
        Answers, whole numbers on ``scale``; anything else raises ValueError.
    scale : (int, int), default (1, 5)
        Lowest and highest answer, e.g. (1, 5), (1, 7), (1, 10).
    method : {"top_box", "mean"}, default "top_box"
        Which number is ``score``. ``"top2"`` is accepted as a synonym of
        ``"top_box"``. Both numbers are in the result either way.
    top_box : int, default 2
        How many of the highest answers count as satisfied: 2 on 1-5 means
        4-5; 2 on 1-10 means 9-10 (use 3 for 8-10).
    confidence : float, default 0.95
    sent : int, optional
        Invitations sent, for the response rate.

    Returns
    -------
    CSATResult
        ``score`` (a percentage, or the mean), ``n``, ``ci_low``/``ci_high``,
        ``pct_satisfied``, ``mean``, ``response_rate``, ``convention``. With no
        answers: ``n = 0`` and NaN numbers. The t interval needs 2 answers.

    Examples
    --------
    10 fives, 20 fours, 10 threes, 5 twos, 5 ones:

    >>> answers = [5] * 10 + [4] * 20 + [3] * 10 + [2] * 5 + [1] * 5
    >>> r = csat(answers)
    >>> r.score, r.mean
    (60.0, 3.5)
    >>> print(r)
    CSAT 60.0% (95% CI 46.2% to 72.4%; n=50)
    >>> csat([10, 9, 8, 2], scale=(1, 10)).score
    50.0
    """
    confidence = confidence_level(confidence)
    if method not in _CSAT_METHODS:
        raise ValueError(f"method must be 'top_box' or 'mean', not {method!r}.")
    method = _CSAT_METHODS[method]
    scale = _check_scale(scale)
    top_box = _check_top_box(top_box, scale)
    values = _scores(scores, scale, "CSAT")
    n = len(values)
    k = int((values >= scale[1] - top_box + 1).sum())
    mean = float(values.mean()) if n else float("nan")
    sd = float(values.std(ddof=1)) if n >= 2 else float("nan")
    pct = 100 * k / n if n else float("nan")
    if method == "mean":
        score, (low, high) = mean, mean_interval(mean, sd, n, confidence)
        low, high = float(np.clip(low, *scale)), float(np.clip(high, *scale))
    else:
        score, (low, high) = pct, tuple(100 * x for x in wilson_interval(k, n, confidence))
    return CSATResult(score=score, n=n, ci_low=low, ci_high=high, method=method, scale=scale,
                      top_box=top_box, satisfied=k, pct_satisfied=pct, mean=mean, confidence=confidence,
                      sent=sent, response_rate=_response_rate(n, sent),
                      convention=_csat_convention(method, scale, top_box, confidence))


def ces(scores, *, version: str = "2.0", scale=None, confidence: float = 0.95,
        sent: int | None = None) -> CESResult:
    """Customer Effort Score: the mean answer and the % of "easy" answers.

    Two instruments are in use, and their numbers run in opposite directions:

    - ``"2.0"`` (default): "The company made it easy for me to handle my
      issue", 1 (strongly disagree) to 7 (strongly agree); higher is better;
      "easy" = agree, 5-7.
    - ``"original"``: "How much effort did you personally have to put forth
      to handle your request?", 1 (very low) to 5 (very high); lower is
      better; "easy" = 1-2.

    On another ``scale``, "easy" is every answer above the midpoint (2.0) or
    below it (original). Mean with a t interval (clipped to the scale);
    % easy with a Wilson interval.

    Parameters
    ----------
    scores : sequence or Series of int
        Answers, whole numbers on the scale; anything else raises ValueError.
    version : {"2.0", "original"}, default "2.0"
    scale : (int, int), optional
        Defaults to (1, 7) for 2.0 and (1, 5) for the original.
    confidence : float, default 0.95
    sent : int, optional
        Invitations sent, for the response rate.

    Returns
    -------
    CESResult
        ``score`` (mean) with ``ci_low``/``ci_high``, ``pct_easy`` with
        ``easy_ci_low``/``easy_ci_high``, ``higher_is_better``, ``label``,
        ``convention``, ``response_rate``.

    Examples
    --------
    >>> r = ces([7, 6, 5, 4, 3])
    >>> r.score, r.pct_easy, r.higher_is_better
    (5.0, 60.0, True)
    >>> r = ces([1, 2, 2, 4], version="original")
    >>> r.score, r.pct_easy, r.higher_is_better
    (2.25, 75.0, False)
    >>> r.label
    'CES (original, lower is better)'
    """
    confidence = confidence_level(confidence)
    if version not in CES_SCALES:
        raise ValueError(f"version must be '2.0' or 'original', not {version!r}.")
    scale = _check_scale(CES_SCALES[version] if scale is None else scale)
    values = _scores(scores, scale, f"CES {version}")
    n = len(values)
    lo_easy, hi_easy = _easy_range(version, scale)
    k = int(((values >= lo_easy) & (values <= hi_easy)).sum())
    mean = float(values.mean()) if n else float("nan")
    sd = float(values.std(ddof=1)) if n >= 2 else float("nan")
    low, high = mean_interval(mean, sd, n, confidence)
    e_low, e_high = wilson_interval(k, n, confidence)
    higher = version == "2.0"
    return CESResult(
        score=mean, n=n, ci_low=float(np.clip(low, *scale)), ci_high=float(np.clip(high, *scale)),
        version=version, scale=scale, easy=k, pct_easy=100 * k / n if n else float("nan"),
        easy_ci_low=100 * e_low, easy_ci_high=100 * e_high, confidence=confidence, sent=sent,
        response_rate=_response_rate(n, sent), convention=_ces_convention(version, scale, confidence),
        label="CES 2.0 (higher is better)" if higher else "CES (original, lower is better)",
        higher_is_better=higher,
    )


# -- monthly breakdowns from a Dataset ------------------------------------------------

_GROUP_KEYS = ("touchpoint", "segment")


def _rows(df: pd.DataFrame, mask, cols) -> pd.DataFrame:
    """Up to five offending rows, indexed by their 1-based row number in the table."""
    shown = df.loc[mask, ["_row", *[c for c in cols if c in df.columns]]].head(5)
    return shown.set_index("_row").rename_axis("row")


def _check_filled(df: pd.DataFrame, table: str, columns) -> None:
    for col in columns:
        missing = df[col].isna()
        if missing.any():
            raise DataValidationError(table, col, "must not be empty", rows=_rows(df, missing, [col]),
                                      detail=f"{int(missing.sum())} empty value(s)")


def _attach_segment(df: pd.DataFrame, data, fn: str) -> pd.DataFrame:
    data.require("customers", by=fn)
    if "segment" not in data.customers.columns:
        raise MissingTableError(f"{fn} by segment needs customers.segment, which {data.source} does not have.")
    seg = data.customers.set_index("customer_id")["segment"]
    return df.assign(segment=df["customer_id"].map(seg).fillna("unknown"))


def _row_scales(resp: pd.DataFrame, default) -> pd.DataFrame:
    """scale_min/scale_max of each response: its own columns where given, else the default."""
    out = resp.copy()
    for col, value in zip(("scale_min", "scale_max"), default):
        out[col] = out[col].fillna(value).astype(float) if col in out.columns else float(value)
    return out


def survey_summary(data, survey: str = "nps", *, end, start=None, by=("touchpoint",), touchpoint=None,
                   confidence: float = 0.95, method: str = "top_box", top_box: int = 2,
                   version: str = "2.0", scale=None) -> pd.DataFrame:
    """One survey metric per month and touchpoint (and segment), with n, interval and response rate.

    Each row is one month x touchpoint (x segment) group, computed exactly
    as :func:`nps`, :func:`csat` or :func:`ces` compute it for a list of
    answers. ``touchpoint`` is always a grouping key, so relationship and
    transactional surveys are never pooled; filter with ``touchpoint=`` to
    look at one. Every month from ``start`` to ``end`` appears for every
    group: a month without answers has ``n = 0`` and NaN score.

    Response rate = responses received in the month / invitations sent in
    the same month, for the same survey, touchpoint (and segment), from
    ``survey_sends``. It is a calendar-month ratio: an answer to an
    invitation sent late in the previous month counts in the month it
    arrives, so the rate can exceed 100% around month ends. Without a
    ``survey_sends`` table, ``sent`` and ``response_rate`` are empty.

    Parameters
    ----------
    data : Dataset
        Needs ``surveys``; ``customers`` (with ``segment``) to group by
        segment; ``survey_sends`` for response rates.
    survey : {"nps", "csat", "ces"}, default "nps"
    end : str or Period
        Last month (``"YYYY-MM"``), inclusive.
    start : str or Period, optional
        First month; defaults to the first month with an answer or an
        invitation for this survey.
    by : tuple of {"touchpoint", "segment"}, default ("touchpoint",)
        Grouping keys besides month; touchpoint is added when missing.
        Customers without a segment are grouped as ``"unknown"``.
    touchpoint : str or list of str, optional
        Keep only these touchpoints.
    confidence : float, default 0.95
    method, top_box, scale : CSAT options, as in :func:`csat`
        ``scale`` is the default for rows without ``scale_min``/``scale_max``
        (contract default: 1-5).
    version : CES option, as in :func:`ces`

    Returns
    -------
    DataFrame
        Columns ``month`` (Period[M]), ``touchpoint``, [``segment``],
        ``scale_min``, ``scale_max``, ``n``, ``score``, ``ci_low``,
        ``ci_high``, then per survey: NPS ``promoters``, ``passives``,
        ``detractors``, ``pct_promoters``, ``pct_passives``,
        ``pct_detractors``; CSAT ``satisfied``, ``pct_satisfied``, ``mean``;
        CES ``easy``, ``pct_easy``, ``easy_ci_low``, ``easy_ci_high``; and
        ``sent``, ``response_rate``. ``df.attrs["convention"]`` holds the
        convention string.

    Raises
    ------
    DataValidationError
        A score is not a whole number on its scale, an NPS row is not on
        0-10, or one group mixes scales (e.g. CSAT 1-5 and 1-10 in the same
        month and touchpoint).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> surveys = pd.DataFrame({
    ...     "response_id": ["r1", "r2", "r3", "r4"], "customer_id": ["a", "b", "c", "a"],
    ...     "survey": "nps", "score": [10.0, 9.0, 3.0, 6.0], "touchpoint": "relationship",
    ...     "responded_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-01-31", "2026-03-02"])})
    >>> survey_summary(Dataset(surveys=surveys), end="2026-03")[["month", "touchpoint", "n", "score"]]
         month    touchpoint  n       score
    0  2026-01  relationship  3   33.333333
    1  2026-02  relationship  0         NaN
    2  2026-03  relationship  1 -100.000000
    >>> survey_summary(Dataset(surveys=surveys), end="2099-01")
    Traceback (most recent call last):
    ...
    csm_kit.metrics.coverage.OutsideDataError: survey_summary: end=2099-01 is after the data, which runs from 2026-01-05 to 2026-03-02 (last complete month 2026-02); ask for 2026-03 or earlier.
    """
    fn = "survey_summary"
    data.require("surveys", by=fn)
    check_months(data, start, end, fn=fn, tables=["surveys", "survey_sends"], ledger=False)
    if survey not in SURVEY_SCALES:
        raise ValueError(f"survey must be one of {list(SURVEY_SCALES)}, not {survey!r}.")
    confidence = confidence_level(confidence)
    by = (by,) if isinstance(by, str) else tuple(by)
    unknown = [k for k in by if k not in _GROUP_KEYS]
    if unknown:
        raise ValueError(f"by may contain {list(_GROUP_KEYS)}, not {unknown}.")
    keys = ["touchpoint"] + (["segment"] if "segment" in by else [])

    surveys = data.surveys
    resp = surveys.assign(_row=np.arange(1, len(surveys) + 1))
    resp = resp[resp["survey"] == survey]
    sends = None
    if data.has("survey_sends"):
        sends = data.survey_sends.assign(_row=np.arange(1, len(data.survey_sends) + 1))
        sends = sends[sends["survey"] == survey]
        _check_filled(sends, "survey_sends", ["touchpoint", "sent_at"])
    _check_filled(resp, "surveys", ["touchpoint", "responded_at", "score"])

    if touchpoint is not None:
        wanted = [touchpoint] if isinstance(touchpoint, str) else list(touchpoint)
        known = set(resp["touchpoint"]) | (set(sends["touchpoint"]) if sends is not None else set())
        missing = [t for t in wanted if t not in known]
        if missing:
            raise ValueError(f"No {survey} answers or invitations for touchpoint(s) {missing}; the data has {sorted(known)}.")
        resp = resp[resp["touchpoint"].isin(wanted)]
        sends = sends[sends["touchpoint"].isin(wanted)] if sends is not None else None

    resp = resp.assign(month=resp["responded_at"].dt.to_period("M"))
    if sends is not None:
        sends = sends.assign(month=sends["sent_at"].dt.to_period("M"))
    if start is None:
        firsts = [resp["month"].min()] + ([sends["month"].min()] if sends is not None else [])
        firsts = [m for m in firsts if not pd.isna(m)]
        start = min(firsts) if firsts else to_month(end)
    period = month_range(start, end)
    resp = resp[resp["month"].isin(period)]
    if sends is not None:
        sends = sends[sends["month"].isin(period)]
    if "segment" in keys:
        resp = _attach_segment(resp, data, fn)
        sends = _attach_segment(sends, data, fn) if sends is not None else None

    # Each row's scale, checked: whole numbers on it, one scale per group.
    if survey == "nps":
        default = NPS_SCALE
    elif survey == "csat":
        default = _check_scale(scale) if scale is not None else SURVEY_SCALES["csat"]
    else:
        if version not in CES_SCALES:
            raise ValueError(f"version must be '2.0' or 'original', not {version!r}.")
        default = _check_scale(scale) if scale is not None else CES_SCALES[version]
    resp = _row_scales(resp, default)
    lo, hi, score = resp["scale_min"], resp["scale_max"], resp["score"].astype(float)
    if survey == "nps":
        off = (lo != 0) | (hi != 10)
        if off.any():
            raise DataValidationError("surveys", "scale_max", "NPS is defined on a 0-10 scale only",
                                      rows=_rows(resp, off, ["response_id", "scale_min", "scale_max"]))
    bad = (score != np.round(score)) | (score < lo) | (score > hi)
    if bad.any():
        raise DataValidationError("surveys", "score", f"{survey} scores must be whole numbers on their scale",
                                  rows=_rows(resp, bad, ["response_id", "touchpoint", "score", "scale_min", "scale_max"]),
                                  detail=f"{int(bad.sum())} row(s)")
    group = keys + ["month"]
    scales_per_group = resp.groupby(group, observed=True)[["scale_min", "scale_max"]].transform("nunique").max(axis=1)
    if (scales_per_group > 1).any():
        raise DataValidationError("surveys", "scale_max", "one month and group mixes answers on different scales",
                                  rows=_rows(resp, scales_per_group > 1, ["response_id", *keys, "month", "scale_min", "scale_max"]),
                                  detail="split them with touchpoint= or rescale before comparing")

    # Per-answer indicators, then one groupby.
    if survey == "nps":
        resp = resp.assign(promoters=score >= 9, passives=(score >= 7) & (score <= 8), detractors=score <= 6)
        counts = ["promoters", "passives", "detractors"]
    elif survey == "csat":
        if method not in _CSAT_METHODS:
            raise ValueError(f"method must be 'top_box' or 'mean', not {method!r}.")
        method = _CSAT_METHODS[method]
        _check_top_box(top_box, default)
        too_wide = top_box > hi - lo
        if too_wide.any():
            raise DataValidationError("surveys", "scale_max", f"top_box={top_box} does not fit the scale",
                                      rows=_rows(resp, too_wide, ["response_id", "scale_min", "scale_max"]))
        resp = resp.assign(satisfied=score >= hi - top_box + 1)
        counts = ["satisfied"]
    else:
        mid = (lo + hi) / 2
        resp = resp.assign(easy=score > mid if version == "2.0" else score < mid)
        counts = ["easy"]
    agg = resp.assign(score=score).groupby(group, observed=True).agg(
        n=("score", "size"), mean=("score", "mean"), sd=("score", "std"),
        scale_min=("scale_min", "first"), scale_max=("scale_max", "first"),
        **{c: (c, "sum") for c in counts},
    )

    # Every group seen in the period, in every month of the period.
    groups = resp[keys]
    if sends is not None:
        sent = sends.groupby(group, observed=True).size().rename("sent")
        groups = pd.concat([groups, sends[keys]])
    groups = groups.drop_duplicates()
    grid = groups.merge(pd.DataFrame({"month": period}), how="cross")
    out = grid.merge(agg.reset_index(), on=group, how="left")
    out["n"] = out["n"].fillna(0).astype("int64")
    for c in counts:
        out[c] = out[c].fillna(0).astype("int64")

    if survey == "nps":
        stats = _nps_stats(out["promoters"], out["passives"], out["detractors"], confidence)
        out = out.assign(**stats)
        extra = ["promoters", "passives", "detractors", "pct_promoters", "pct_passives", "pct_detractors"]
        convention = _nps_convention(confidence)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 100 * out[counts[0]] / out["n"].replace(0, np.nan)
        p_low, p_high = wilson_interval(out[counts[0]], out["n"], confidence)
        m_low, m_high = mean_interval(out["mean"], out["sd"], out["n"], confidence)
        m_low = np.clip(m_low, out["scale_min"], out["scale_max"])
        m_high = np.clip(m_high, out["scale_min"], out["scale_max"])
        used = agg[["scale_min", "scale_max"]].drop_duplicates()
        shown_scale = (int(used.iat[0, 0]), int(used.iat[0, 1])) if len(used) == 1 else default
        if survey == "csat":
            by_mean = method == "mean"
            out = out.assign(
                score=out["mean"] if by_mean else pct,
                ci_low=m_low if by_mean else 100 * p_low, ci_high=m_high if by_mean else 100 * p_high,
                pct_satisfied=pct)
            extra = ["satisfied", "pct_satisfied", "mean"]
            convention = _csat_convention(method, shown_scale, top_box, confidence)
        else:
            out = out.assign(score=out["mean"], ci_low=m_low, ci_high=m_high, pct_easy=pct,
                             easy_ci_low=100 * p_low, easy_ci_high=100 * p_high)
            extra = ["easy", "pct_easy", "easy_ci_low", "easy_ci_high"]
            convention = _ces_convention(version, shown_scale, confidence)

    if sends is not None:
        out = out.merge(sent.reset_index(), on=group, how="left")
        out["sent"] = out["sent"].fillna(0).astype("Int64")
        out["response_rate"] = (out["n"] / out["sent"].replace(0, pd.NA)).astype("Float64").astype(float)
    else:
        out["sent"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["response_rate"] = np.nan
    columns = ["month", *keys, "scale_min", "scale_max", "n", "score", "ci_low", "ci_high", *extra,
               "sent", "response_rate"]
    out = out[columns].sort_values([*keys, "month"], kind="mergesort", ignore_index=True)
    if survey != "nps" and len(used) > 1:
        convention += " (on each row's own scale: scale_min-scale_max)"
    out.attrs["convention"] = convention
    return out


# -- survey waves -------------------------------------------------------------------

@dataclass(frozen=True)
class NPSWaves:
    """The NPS survey waves up to a month: the latest, the one before it, and the change between them.

    A *wave* is a calendar month with at least one answer at the touchpoint
    (relationship NPS is asked in waves, not every month). ``previous`` is the
    previous **distinct** wave, so a month without a new wave never compares a
    wave with itself.

    Attributes
    ----------
    month : Period
        The reporting month.
    touchpoint : str
    waves : DataFrame
        Every wave up to ``month``: the :func:`survey_summary` rows with ``n > 0``.
    latest, previous : Series or None
        The latest wave up to ``month`` and the distinct wave before it.
    change : ChangeTest or None
        ``latest - previous`` with its interval (:func:`~csm_kit.metrics.intervals.nps_change`).
    reason : str
        Why ``latest`` is None ("" otherwise).
    """

    month: pd.Period
    touchpoint: str
    waves: pd.DataFrame
    latest: pd.Series | None
    previous: pd.Series | None
    change: ChangeTest | None
    reason: str = ""

    @property
    def available(self) -> bool:
        """Whether there is a wave to report."""
        return self.latest is not None

    @property
    def new_this_month(self) -> bool:
        """Whether the latest wave is the reporting month's (else the page repeats an older wave)."""
        return self.latest is not None and self.latest["month"] == self.month


def nps_waves(data, *, month, touchpoint: str = "relationship", confidence: float = 0.95) -> NPSWaves:
    """The latest NPS wave up to ``month`` and the previous distinct wave: one definition for page and scorecard.

    Waves are the months with answers in :func:`survey_summary` (``survey="nps"``,
    the given touchpoint, every month of the data up to ``month``). ``latest``
    is the last of them, ``previous`` the one before it (never the same wave),
    ``change`` the difference with its adjusted-Wald interval.

    Parameters
    ----------
    data : Dataset
        Needs ``surveys``.
    month : str or Period
        The reporting month.
    touchpoint : str, default "relationship"
    confidence : float, default 0.95

    Returns
    -------
    NPSWaves
        With ``reason`` filled (and ``latest`` None) when the data has no
        surveys, no answer at the touchpoint up to ``month``, or ``month`` is
        after the data.

    Examples
    --------
    Waves in January (+33.3) and April (-100); the June report compares April with January:

    >>> from csm_kit import Dataset
    >>> surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3", "r4", "r5"], "customer_id": list("abcab"),
    ...     "survey": ["nps"] * 4 + ["csat"], "score": [10.0, 9.0, 3.0, 6.0, 5.0],
    ...     "touchpoint": ["relationship"] * 4 + ["support"],
    ...     "responded_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-01-31", "2026-04-02", "2026-06-30"])})
    >>> w = nps_waves(Dataset(surveys=surveys), month="2026-06")
    >>> str(w.latest["month"]), float(w.latest["score"]), str(w.previous["month"]), round(w.change.change, 1)
    ('2026-04', -100.0, '2026-01', -133.3)
    >>> w.new_this_month
    False
    """
    from .pages import survey_reason

    month = to_month(month)
    empty = pd.DataFrame()
    reason = survey_reason(data, month)
    if reason is None and not (data.surveys["touchpoint"] == touchpoint).any():
        reason = f"No {touchpoint} NPS answers in this data set."
    if reason is None:
        answered = data.surveys[(data.surveys["survey"] == "nps") & (data.surveys["touchpoint"] == touchpoint)]
        if answered.empty or answered["responded_at"].min().to_period("M") > month:
            reason = f"No {touchpoint} NPS answers up to {month}."
    if reason:
        return NPSWaves(month, touchpoint, empty, None, None, None, reason)
    summary = survey_summary(data, "nps", end=month, touchpoint=touchpoint, confidence=confidence)
    waves = summary[summary["n"] > 0].reset_index(drop=True)
    latest = waves.iloc[-1]
    previous = waves.iloc[-2] if len(waves) >= 2 else None
    change = None
    if previous is not None:
        counts = ["promoters", "passives", "detractors"]
        change = nps_change(tuple(int(previous[c]) for c in counts), tuple(int(latest[c]) for c in counts),
                            confidence=confidence)
    return NPSWaves(month, touchpoint, waves, latest, previous, change, "")
