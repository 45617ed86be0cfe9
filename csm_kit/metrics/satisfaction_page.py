"""The satisfaction report area: every table, chart input and key number of notebook 01.

:func:`satisfaction_page` computes what the page shows and
:func:`satisfaction_key_numbers` what it records. The relationship NPS, its
previous value and the change between them come from one function,
:func:`~csm_kit.metrics.satisfaction.nps_waves`: the previous value is the
previous **distinct** survey wave, so a month without a new wave never
compares a wave with itself. CSAT and CES compare the month with the month
before.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import display
from ..arguments import whole_number
from ..key_numbers import KeyNumber
from ..periods import to_month
from .feedback import OTHER, feedback_themes, referral_candidates, theme_frequency
from .intervals import proportion_change
from .pages import PagePart, segment_lead, survey_reason, trend_start
from .satisfaction import NPSWaves, ces, csat, nps, nps_category, nps_waves, survey_summary

__all__ = ["SatisfactionPage", "satisfaction_page", "satisfaction_key_numbers", "nps_worked_examples",
           "csat_worked_examples", "ces_worked_examples"]

#: (name, survey, touchpoint, count column, label) of the monthly share metrics.
SHARE_METRICS = (
    ("csat_support", "csat", "support", "satisfied", "Support CSAT (top-2-box)"),
    ("ces_support", "ces", "support", "easy", "Customer effort (CES 2.0, % easy)"),
    ("csat_onboarding", "csat", "onboarding", "satisfied", "Onboarding CSAT (top-2-box)"),
)


@dataclass(frozen=True, repr=False)
class SatisfactionPage:
    """What notebook 01 shows, computed once (see :func:`satisfaction_page`)."""

    month: pd.Period
    first: pd.Period
    segment: str
    reason: str
    waves: NPSWaves
    csat_months: pd.DataFrame | None
    ces_months: pd.DataFrame | None
    by_segment_frame: pd.DataFrame | None
    themes: pd.DataFrame | None
    detractor_comments: pd.DataFrame | None
    referrals: pd.DataFrame | None
    referral_days: int
    targets: dict

    @property
    def available(self) -> bool:
        """Whether the data has survey answers for the month's window."""
        return not self.reason

    def __repr__(self) -> str:
        return f"Satisfaction page for {self.month} ({self.segment}): {'available' if self.available else self.reason}"

    @property
    def waves_in_window(self) -> pd.DataFrame:
        """The relationship NPS waves from ``first`` to ``month`` (at least the latest two)."""
        w = self.waves.waves
        if w.empty:
            return w
        inside = w[w["month"] >= self.first]
        return inside if len(inside) >= 2 else w.tail(2)

    # -- sentences --------------------------------------------------------------------------------------
    def headline_text(self):
        """The page's first sentence: who, the latest NPS wave, and the previous distinct one."""
        lead, who = segment_lead(self.segment)
        w = self.waves
        if not self.available or not w.available:
            return display.text(lead + ", {month}: {reason}", who=who, month=str(self.month),
                                reason=self.reason or w.reason)
        latest = w.latest
        wave = "this month's" if w.new_this_month else f"the latest ({latest['month']})"
        if w.previous is None:
            before = "the first wave in the data"
        else:
            noise = "within sampling noise" if w.change.within_noise else "larger than sampling noise"
            before = (f"{display.format_number(w.previous['score'], '{:+.1f}')} in the {w.previous['month']} wave "
                      f"before it, a change of {w.change.change:+.1f} points, {noise}")
        return display.text(lead + ", {month}: relationship NPS **{score}** in {wave} wave ({n} answers); "
                            "{before}.", who=who, month=str(self.month), score=f"{latest['score']:+.1f}", wave=wave,
                            n=f"{int(latest['n']):,}", before=before)

    # -- tables -----------------------------------------------------------------------------------------
    def scores_table(self) -> PagePart:
        """Relationship NPS (latest wave) and this month's CSAT and CES per touchpoint, with intervals."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        rows = []
        latest = self.waves.latest
        if latest is not None:
            rows.append({"survey": "Relationship NPS", "month": str(latest["month"]), "n": int(latest["n"]),
                         "score": f"{latest['score']:+.1f}",
                         "interval": f"{latest['ci_low']:+.1f} to {latest['ci_high']:+.1f}",
                         "response_rate": latest["response_rate"], "unit": "points, -100 to 100"})
        for name, frame, column, low, high, unit in (
                ("CSAT", self.csat_months, "score", "ci_low", "ci_high", "% answering 4-5 of 5"),
                ("CES 2.0", self.ces_months, "pct_easy", "easy_ci_low", "easy_ci_high", "% answering 5-7 of 7 (easy)")):
            for _, r in frame[(frame["month"] == self.month) & (frame["n"] > 0)].iterrows():
                rows.append({"survey": f"{name} ({r['touchpoint']})", "month": str(self.month), "n": int(r["n"]),
                             "score": f"{r[column]:.1f}%", "interval": f"{r[low]:.1f}% to {r[high]:.1f}%",
                             "response_rate": r["response_rate"], "unit": unit})
        if not rows:
            return PagePart(None, reason=f"No survey answers in {self.month} and no relationship NPS wave before it.",
                            escape_markdown=True)
        return PagePart(pd.DataFrame(rows), formats={"response_rate": "share", "n": "int"},
                        labels={"interval": "95% interval"})

    def moves_table(self) -> PagePart:
        """Each score against its previous value (NPS: the previous distinct wave), with the change's interval."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        rows = []
        w = self.waves
        if w.change is not None:
            rows.append({"survey": "Relationship NPS", "from": str(w.previous["month"]), "to": str(w.latest["month"]),
                         "change": f"{w.change.change:+.1f} points",
                         "interval": f"{w.change.ci_low:+.1f} to {w.change.ci_high:+.1f}",
                         "within_noise": bool(w.change.within_noise)})
        for name, frame, k in (("CSAT", self.csat_months, "satisfied"), ("CES 2.0 % easy", self.ces_months, "easy")):
            for tp in sorted(frame["touchpoint"].unique()):
                pair = frame[(frame["touchpoint"] == tp) & frame["month"].isin([self.month - 1, self.month])]
                pair = pair.set_index("month")
                if len(pair) == 2 and (pair["n"] > 0).all():
                    t = proportion_change(pair.loc[self.month - 1, k], pair.loc[self.month - 1, "n"],
                                          pair.loc[self.month, k], pair.loc[self.month, "n"])
                    rows.append({"survey": f"{name} ({tp})", "from": str(self.month - 1), "to": str(self.month),
                                 "change": f"{100 * t.change:+.1f} points",
                                 "interval": f"{100 * t.ci_low:+.1f} to {100 * t.ci_high:+.1f}",
                                 "within_noise": bool(t.within_noise)})
        if not rows:
            return PagePart(None, reason="Not enough answers to compare with an earlier wave or month.",
                            escape_markdown=True)
        return PagePart(pd.DataFrame(rows), labels={"interval": "95% interval of the change"})

    def segment_table(self) -> PagePart:
        """NPS (latest wave), CSAT and CES (the month, support) per segment, with intervals."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        if self.by_segment_frame is None or self.by_segment_frame.empty:
            return PagePart(None, reason="No customer segments (or no answers) to break down.", escape_markdown=True)
        return PagePart(self.by_segment_frame, formats={"score": "decimal", "ci_low": "decimal", "ci_high": "decimal",
                                                        "n": "int"})

    def detractor_themes_table(self) -> PagePart:
        """Themes of detractors' comments against promoters' (negation-aware tagging), most detractor-heavy first."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        t = self.themes
        if t is None or t["comments"].max() == 0:
            return PagePart(None, reason=f"No relationship NPS comments from {self.first} to {self.month}.",
                            escape_markdown=True)
        wide = t.pivot_table(index="theme", columns="category", values="share", aggfunc="first").fillna(0) / 100
        counts = t.groupby("category")["comments"].first()
        if counts.get("detractor", 0) == 0:
            return PagePart(None, reason=f"No detractor comments from {self.first} to {self.month}.",
                            escape_markdown=True)
        d = t[t["category"] == "detractor"].set_index("theme")["mentions"]
        out = pd.DataFrame({"theme": wide.index.str.replace("_", " "), "detractor_mentions": d.reindex(wide.index).to_numpy(),
                            "detractors": wide["detractor"].to_numpy(), "promoters": wide["promoter"].to_numpy()})
        out = out.sort_values(["detractors", "theme"], ascending=[False, True], kind="mergesort")
        return PagePart(out, formats={"detractors": "share", "promoters": "share", "detractor_mentions": "int"},
                        labels={"detractors": f"Detractors ({counts.get('detractor', 0):,} comments)",
                                "promoters": f"Promoters ({counts.get('promoter', 0):,} comments)",
                                "detractor_mentions": "Detractor comments"})

    def detractor_comments_table(self) -> PagePart:
        """The most frequent detractor comments on the two themes detractors mention most.

        When :meth:`detractor_themes_table` is unavailable the page has just
        said why (no comments, no detractors) under its chart, so this table
        says nothing rather than repeat it (reason ``""``).
        """
        if not self.available:
            return PagePart(None, reason="", escape_markdown=True)  # the page's first section gives self.reason
        if not self.detractor_themes_table().available:
            return PagePart(None, reason="", escape_markdown=True)
        if self.detractor_comments is None or self.detractor_comments.empty:
            return PagePart(None, reason="No detractor comments to show.", escape_markdown=True)
        return PagePart(self.detractor_comments, formats={"times": "int"}, max_rows=8)

    def referrals_table(self) -> PagePart:
        """Promoters still paying who answered recently: who to ask for a referral (first ten)."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        if self.referrals is None:
            return PagePart(None, reason="No relationship NPS answers: no referral candidates.", escape_markdown=True)
        if self.referrals.empty:
            return PagePart(None, reason=f"No promoter answered in the {self.referral_days} days up to {self.month} "
                                         "and still pays.", escape_markdown=True)
        shown = self.referrals.drop(columns=["paying", "response_id", "user_id"], errors="ignore")
        return PagePart(shown, formats={"score": "int", "days_since_response": "int"}, max_rows=10,
                        caption=f"{len(self.referrals):,} referral candidate(s) as of {self.month.end_time.date()}")


def satisfaction_page(data, *, month, trend_months: int = 12, referral_days: int = 180, segment: str = "all",
                      targets: dict | None = None) -> SatisfactionPage:
    """Everything the satisfaction page shows for ``month``.

    Parameters
    ----------
    data : Dataset
        Needs ``surveys``; uses ``survey_sends`` (response rates), ``customers``
        (segments), ``subscriptions`` (referral candidates still paying).
    month : str or Period
    trend_months : int
        Months in the trends and in the comment window.
    referral_days : int
        A promoter's answer must be this recent to list them for a referral ask.
    segment : str
        The segment the data was restricted to ("all": none), for the headline.
    targets : dict, optional
        :func:`~csm_kit.metrics.scorecard.load_targets`, for the goals on the charts.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> satisfaction_page(Dataset(), month="2026-10").scores_table().reason[:30]
    'This data set has no surveys t'
    """
    month = to_month(month)
    trend_months = whole_number(trend_months, "trend_months")
    targets = targets or {}
    reason = survey_reason(data, month) or ""
    waves = nps_waves(data, month=month)
    if reason:
        return SatisfactionPage(month, month - (trend_months - 1), segment, reason, waves, None, None, None, None,
                                None, None, referral_days, targets)
    start = trend_start(data, month, trend_months, table="surveys", column="responded_at")
    first_answer = data.surveys["responded_at"].min().to_period("M")
    csat_months = survey_summary(data, "csat", start=start, end=month)
    ces_months = survey_summary(data, "ces", start=start, end=month)
    by_segment = _by_segment(data, month, waves)
    answered = first_answer <= month  # else nothing was answered yet: no comments, no promoters to ask
    relationship = (data.surveys["touchpoint"] == "relationship") & answered
    has_comments = "comment" in data.surveys.columns and bool(data.surveys.loc[relationship, "comment"].notna().any())
    themes = theme_frequency(data, touchpoint="relationship", start=start, end=month) if has_comments else None
    examples = _detractor_examples(data, start, month, themes) if themes is not None else None
    referrals = (referral_candidates(data, as_of=month, within_days=referral_days) if relationship.any() else None)
    return SatisfactionPage(month, start, segment, "", waves, csat_months, ces_months, by_segment, themes, examples,
                            referrals, referral_days, targets)


def _by_segment(data, month, waves) -> pd.DataFrame | None:
    if not (data.has("customers") and "segment" in data.customers.columns):
        return None
    parts = []
    latest = waves.latest["month"] if waves.available else None
    for survey, when, tp, column, low, high in (
            ("nps", latest, "relationship", "score", "ci_low", "ci_high"),
            ("csat", month, "support", "score", "ci_low", "ci_high"),
            ("ces", month, "support", "pct_easy", "easy_ci_low", "easy_ci_high")):
        if when is None or not ((data.surveys["touchpoint"] == tp) & (data.surveys["survey"] == survey)).any():
            continue
        seg = survey_summary(data, survey, start=when, end=when, by=("touchpoint", "segment"), touchpoint=tp)
        seg = seg[seg["n"] > 0]
        parts.append(pd.DataFrame({"survey": f"{survey.upper()} {tp} ({when})", "segment": seg["segment"],
                                   "n": seg["n"], "score": seg[column], "ci_low": seg[low], "ci_high": seg[high]}))
    return pd.concat(parts, ignore_index=True) if parts else None


def _detractor_examples(data, start, month, themes) -> pd.DataFrame | None:
    s = data.surveys
    answers = s[(s["survey"] == "nps") & (s["touchpoint"] == "relationship")
                & s["responded_at"].dt.to_period("M").between(start, month)]
    tagged = feedback_themes(answers)
    tagged = tagged[nps_category(tagged["score"]) == "detractor"]
    if tagged.empty:
        return None
    top = (themes[(themes["category"] == "detractor") & (themes["theme"] != OTHER)]
           .sort_values(["mentions", "theme"], ascending=[False, True]).head(2)["theme"])
    rows = []
    for theme in top:
        counts = tagged.loc[tagged[theme], "comment"].value_counts().head(4)
        rows += [{"theme": theme.replace("_", " "), "comment": text, "times": int(n)} for text, n in counts.items()]
    return pd.DataFrame(rows, columns=["theme", "comment", "times"])


def _share_number(frame, month, k):
    """The row of ``month`` in a survey_summary frame of one touchpoint, None without answers."""
    rows = frame[frame["month"] == month] if frame is not None else None
    if rows is None or rows.empty or int(rows["n"].iloc[0]) == 0:
        return None
    return rows.iloc[0]


def satisfaction_key_numbers(data, *, month, trend_months: int = 12, referral_days: int = 180,
                             segment: str = "all", **report_parameters) -> list[KeyNumber]:
    """The key numbers of the satisfaction page (notebook 01).

    ``nps_relationship``: the latest relationship NPS wave up to ``month``;
    ``previous`` is the previous **distinct** wave (with its counts for the
    noise test, and ``wave``/``previous_wave`` naming both), never the same
    wave again. ``csat_support``, ``ces_support``, ``csat_onboarding``: the
    month's share (top-2-box CSAT, CES 2.0 % easy) with ``successes``/``n``,
    previous = last month. ``ces_support_mean`` (1-7) and
    ``referral_candidates``. None when not computable. Other report
    parameters are accepted and not used.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3", "r4", "r5"], "customer_id": list("abcab"),
    ...     "survey": ["nps"] * 4 + ["csat"], "score": [10.0, 9.0, 3.0, 6.0, 5.0],
    ...     "touchpoint": ["relationship"] * 4 + ["support"],
    ...     "responded_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-01-31", "2026-04-02", "2026-06-30"])})
    >>> k = {n.name: n for n in satisfaction_key_numbers(Dataset(surveys=surveys), month="2026-06")}
    >>> k["nps_relationship"].value, round(k["nps_relationship"].extra["previous"], 1), k["nps_relationship"].extra["previous_wave"]
    (-100.0, 33.3, '2026-01')
    >>> k["csat_support"].value, k["csat_support"].extra["n"]
    (1.0, 1)
    """
    month = to_month(month)
    w = nps_waves(data, month=month)
    out = []
    if w.available:
        extra = {"promoters": int(w.latest["promoters"]), "passives": int(w.latest["passives"]),
                 "detractors": int(w.latest["detractors"]), "n": int(w.latest["n"]), "ci_low": float(w.latest["ci_low"]),
                 "ci_high": float(w.latest["ci_high"]), "wave": str(w.latest["month"])}
        if w.previous is not None:
            extra |= {"previous": float(w.previous["score"]), "previous_wave": str(w.previous["month"]),
                      "previous_promoters": int(w.previous["promoters"]), "previous_passives": int(w.previous["passives"]),
                      "previous_detractors": int(w.previous["detractors"])}
        out.append(KeyNumber("nps_relationship", float(w.latest["score"]), "points",
                             f"Relationship NPS ({w.latest['month']} wave)", extra))
    else:
        out.append(KeyNumber("nps_relationship", None, "points", "Relationship NPS (no wave up to this month)",
                             {"reason": w.reason}))
    reason = survey_reason(data, month)
    frames = {}
    if reason is None:
        first_answer = data.surveys["responded_at"].min().to_period("M")
        start = max(month - 1, first_answer) if first_answer <= month else month
        for survey in ("csat", "ces"):
            frames[survey] = survey_summary(data, survey, start=start, end=month)
    for name, survey, tp, k, label in SHARE_METRICS:
        frame = frames.get(survey)
        frame = frame[frame["touchpoint"] == tp] if frame is not None else None
        extra = {"scorecard": False} if name == "csat_onboarding" else {}
        r = _share_number(frame, month, k)
        if r is None:
            out.append(KeyNumber(name, None, "share", f"{label} (no answers in {month})", extra))
            continue
        p = _share_number(frame, month - 1, k)
        if p is not None:
            extra |= {"previous": int(p[k]) / int(p["n"]), "previous_successes": int(p[k]), "previous_n": int(p["n"])}
        rate = r["response_rate"]
        out.append(KeyNumber(name, int(r[k]) / int(r["n"]), "share", label,
                             {"successes": int(r[k]), "n": int(r["n"]),
                              "response_rate": None if pd.isna(rate) else float(rate), **extra}))
    ces_frame = frames.get("ces")
    r = _share_number(ces_frame[ces_frame["touchpoint"] == "support"] if ces_frame is not None else None, month, "easy")
    out.append(KeyNumber("ces_support_mean", None if r is None else float(r["score"]), "points (1-7)",
                         "Customer effort (CES 2.0, mean of 1-7)", {"scorecard": False}))
    referrals = None
    if reason is None and (data.surveys["touchpoint"] == "relationship").any() \
            and data.surveys["responded_at"].min().to_period("M") <= month:
        referrals = len(referral_candidates(data, as_of=month, within_days=referral_days))
    out.append(KeyNumber("referral_candidates", referrals, "customers",
                         "Referral candidates (recent promoters still paying)", {"scorecard": False}))
    return out


# -- teaching -------------------------------------------------------------------------------------------

def nps_worked_examples() -> pd.DataFrame:
    """NPS of three teaching samples, with the interval that shows why sample size matters.

    >>> nps_worked_examples()[["sample", "NPS", "95% low", "95% high"]]
                         sample   NPS  95% low  95% high
    0                  10, 9, 3  33.3    -51.3      84.7
    1       50 / 30 / 20 of 100  30.0     14.1      44.2
    2  500 / 300 / 200 of 1,000  30.0     25.1      34.7
    """
    examples = {"10, 9, 3": [10, 9, 3], "50 / 30 / 20 of 100": [10] * 50 + [7] * 30 + [0] * 20,
                "500 / 300 / 200 of 1,000": [10] * 500 + [7] * 300 + [0] * 200}
    return pd.DataFrame([{"sample": k, "n": r.n, "promoters": r.promoters, "passives": r.passives,
                          "detractors": r.detractors, "NPS": round(r.score, 1), "95% low": round(r.ci_low, 1),
                          "95% high": round(r.ci_high, 1)} for k, r in ((k, nps(v)) for k, v in examples.items())])


def csat_worked_examples() -> pd.DataFrame:
    """Top-2-box CSAT against the mean on three teaching samples (two share a mean, not a share).

    >>> csat_worked_examples()[["sample", "top_2_box", "mean"]]
                 sample  top_2_box  mean
    0        50 answers       60.0   3.5
    1           ten 3s         0.0   3.0
    2  five 5s, five 1s       50.0   3.0
    """
    answers = [5] * 10 + [4] * 20 + [3] * 10 + [2] * 5 + [1] * 5
    return pd.DataFrame([{"sample": k, "n": r.n, "top_2_box": r.pct_satisfied, "mean": r.mean}
                         for k, r in (("50 answers", csat(answers)), ("ten 3s", csat([3] * 10)),
                                      ("five 5s, five 1s", csat([5] * 5 + [1] * 5)))])


def ces_worked_examples() -> pd.DataFrame:
    """CES 2.0 and the original CES on two teaching samples: opposite directions.

    >>> ces_worked_examples()[["version", "mean", "pct_easy", "higher_is_better"]]
        version  mean  pct_easy  higher_is_better
    0       2.0  5.00      60.0              True
    1  original  2.25      75.0             False
    """
    rows = []
    for r in (ces([7, 6, 5, 4, 3]), ces([1, 2, 2, 4], version="original")):
        rows.append({"version": r.version, "n": r.n, "mean": r.score, "pct_easy": r.pct_easy,
                     "higher_is_better": r.higher_is_better, "convention": r.convention})
    return pd.DataFrame(rows)
