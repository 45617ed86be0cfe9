"""Qualitative feedback: what survey comments talk about, and who might refer us.

Comments are tagged with themes from a keyword lexicon: transparent (a reader
can see why a comment got a theme), fast, and easy to adapt to a product's
own vocabulary. It is a starting point, not language understanding: it does
not see sarcasm, and the default lexicon is English. Read a sample of tagged
comments before trusting a chart, and extend the lexicon with your product's words.

Negation
--------
A negation does not change what a comment is *about* ("not expensive" is still
about pricing), with one kind of exception, :data:`SENSE_SHIFTS`: a negated
verb that names a capability. "It doesn't support SSO", "does not really
support", "is not supported", "no support for exports" talk about a missing
feature, not about the support team: such a mention counts for
``missing_features``, not ``support`` (the comment keeps ``support`` only if
it also mentions support another way).

What a comment says *of* a theme (:func:`comment_tone`, :func:`theme_mentions`)
does see negation: a positive or negative word (:data:`POSITIVE_WORDS`,
:data:`NEGATIVE_WORDS`) within three words after a negation (not, no, never,
n't, without, hardly, cannot, nothing, nor) in the same clause flips: "not
bad" and "no issues" are positive, "not fast" and "hardly works" negative. A
negated clause with no positive or negative word ("support never replies") is
negative. Clauses end at ``. , ; ! ?`` and at "but".

Lexicon rules
-------------
- ``{theme: [phrase, ...]}``; matching is case-insensitive and on whole
  words: "api" matches "API," and "the api" but not "rapid".
- A phrase may span several words ("customer service"); any run of spaces
  or line breaks between the words matches.
- A trailing ``*`` matches any word ending: "integrat*" matches integrate,
  integration, integrations.
- A ``?`` inside a word matches any one character: "licen?e" matches
  license and licence.
- An apostrophe matches ' and the typographic ’ ("doesn't").
- A comment can have several themes; a comment with none gets ``other``.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..exceptions import DataValidationError, MissingTableError
from ..periods import as_of_day, months as month_range
from .coverage import check_months
from .ledger import paid_spells
from .satisfaction import NPS_SCALE, nps_category

__all__ = ["DEFAULT_THEMES", "SENSE_SHIFTS", "POSITIVE_WORDS", "NEGATIVE_WORDS", "NEGATIONS", "theme_patterns",
           "feedback_themes", "comment_tone", "theme_mentions", "theme_frequency", "referral_candidates"]

#: The default themes: a starting point for B2B SaaS feedback in English.
DEFAULT_THEMES: dict[str, tuple[str, ...]] = {
    "pricing": (
        "price*", "pricing", "cost*", "costly", "expensive", "cheap*", "afford*", "overpriced", "invoice*",
        "billing", "billed", "discount*", "renewal", "value for money", "budget", "fee*", "licen?e*",
    ),
    "support": (
        "support", "customer service", "help desk", "helpdesk", "ticket*", "response time", "support team",
        "agent*", "account manager", "success manager", "csm", "live chat", "got back to me", "responsive",
    ),
    "onboarding": (
        "onboard*", "setup", "set up", "setting up", "getting started", "implementation", "training",
        "tutorial*", "walkthrough", "learning curve", "migrat*", "kickoff", "kick-off",
    ),
    "ease_of_use": (
        "easy to use", "ease of use", "easy", "intuitive", "user friendly", "user-friendly", "usability",
        "confusing", "complicated", "clunky", "hard to use", "difficult to use", "navigat*", "interface",
        "ui", "ux", "simple", "cluttered",
    ),
    "performance": (  # speed and reliability
        "slow*", "fast", "speed", "lag*", "latency", "load time*", "loading", "crash*", "bug", "bugs",
        "buggy", "outage*", "downtime", "went down", "is down", "was down", "error*", "reliab*",
        "unreliable", "stable", "stability", "glitch*", "timeout*", "time out", "performance", "uptime",
    ),
    "missing_features": (
        "missing", "feature request*", "would be nice", "would love", "wish it", "wish there", "wish you",
        "please add", "add support for", "lack*", "doesn't support", "does not support", "no way to",
        "not able to", "limited", "limitation*", "roadmap",
    ),
    "reporting": (
        "report*", "dashboard*", "analytics", "chart*", "graph*", "export*", "metrics", "insight*",
        "csv", "visuali?ation*",
    ),
    "integrations": (
        "integrat*", "api", "apis", "salesforce", "hubspot", "slack", "zapier", "jira", "zendesk",
        "sso", "webhook*", "connector*", "sync*", "plugin*", "plug-in*", "add-on*",
    ),
}

OTHER = "other"

#: Words that negate what follows them (``n't`` stands for any word ending in n't: doesn't, isn't, won't).
NEGATIONS = ("not", "no", "never", "n't", "without", "hardly", "cannot", "nothing", "nor")
_NEGATION = r"(?:not|no|never|without|hardly|cannot|nothing|nor|\w+n['’]t)"
_ADVERB = r"(?:really|even|yet|fully|properly|actually|still|currently|natively|officially|always|quite)"

#: (theme, counted as, regex): negated mentions of a theme that mean another theme.
SENSE_SHIFTS: tuple[tuple[str, str, str], ...] = (
    ("support", "missing_features",
     r"(?<!\w)(?:(?:\w+n['’]t|not|never|hardly|cannot|no\s+longer)\s+(?:" + _ADVERB + r"\s+)?(?:be\s+)?"
     r"support(?:s|ed|ing)?|(?:no|without|lack\s+of|lacks|missing)\s+support\s+for)(?!\w)"),
)

#: Words that praise (before negation is applied); a trailing * matches any ending.
POSITIVE_WORDS = ("good", "great", "excellent", "love*", "like", "fast", "quick*", "helpful", "easy", "smooth*",
                  "reliable", "fair", "intuitive", "work", "works", "worked", "stable", "responsive", "perfect",
                  "nice", "happy", "fine", "solid", "simple", "amazing", "awesome", "useful", "clear", "value",
                  "affordable", "best", "recommend*")
#: Words that complain (before negation is applied).
NEGATIVE_WORDS = ("bad", "poor*", "slow*", "expensive", "overpriced", "confusing", "clunky", "hard", "difficult",
                  "terrible", "awful", "buggy", "bug", "bugs", "crash*", "break*", "broke*", "issue*", "problem*",
                  "missing", "limited", "lack*", "unreliable", "hate", "frustrat*", "error*", "complicated",
                  "worse", "worst", "useless", "annoying", "disappoint*", "outage*", "down", "fail*", "too")


def _phrase_regex(phrase: str) -> str:
    """One lexicon phrase as a regex fragment (see the module's lexicon rules)."""
    words = phrase.strip().split()
    if not words:
        raise ValueError("A lexicon phrase is empty.")
    parts = []
    for word in words:
        star = word.endswith("*")
        body = re.escape(word.rstrip("*")).replace("'", "['’]").replace(r"\?", ".")
        parts.append(body + (r"\w*" if star else ""))
    return r"\s+".join(parts)


def _check_lexicon(lexicon, name: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(lexicon, dict):
        raise ValueError(f"{name} must be a dict {{theme: [phrase, ...]}}, not {type(lexicon).__name__}.")
    out = {}
    for theme, phrases in lexicon.items():
        if not isinstance(theme, str) or not theme:
            raise ValueError(f"{name}: theme names must be non-empty strings, not {theme!r}.")
        if isinstance(phrases, str) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ValueError(f"{name}[{theme!r}] must be a list of non-empty phrases, e.g. ['price', 'billing'], "
                             f"not {phrases!r}.")
        if theme == OTHER:
            raise ValueError(f"{name}: {OTHER!r} is reserved for comments that match no theme.")
        out[theme] = tuple(phrases)
    return out


def _lexicon(lexicon=None, extra_themes=None) -> dict[str, tuple[str, ...]]:
    """The lexicon in use: the default or a replacement, extended by ``extra_themes``."""
    base = _check_lexicon(DEFAULT_THEMES if lexicon is None else lexicon, "lexicon")
    if not base and not extra_themes:
        raise ValueError("The lexicon has no themes.")
    for theme, phrases in _check_lexicon(extra_themes or {}, "extra_themes").items():
        base[theme] = tuple(dict.fromkeys(base.get(theme, ()) + phrases))
    return base


def theme_patterns(lexicon=None, extra_themes=None) -> dict[str, re.Pattern]:
    """One compiled, case-insensitive, whole-word regex per theme.

    Parameters
    ----------
    lexicon : dict {theme: [phrase, ...]}, optional
        Replaces :data:`DEFAULT_THEMES`.
    extra_themes : dict {theme: [phrase, ...]}, optional
        Added to the lexicon: phrases join an existing theme of the same
        name, new names become new themes.

    Returns
    -------
    dict of str -> re.Pattern

    Examples
    --------
    >>> p = theme_patterns({"integrations": ["integrat*", "api"]})
    >>> bool(p["integrations"].search("The API is great")), bool(p["integrations"].search("rapid"))
    (True, False)
    """
    return {
        theme: re.compile(r"(?<!\w)(?:" + "|".join(_phrase_regex(p) for p in phrases) + r")(?!\w)", re.IGNORECASE)
        for theme, phrases in _lexicon(lexicon, extra_themes).items()
    }


def _surveys(data, fn: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    data.require("surveys", by=fn)
    return data.surveys


def feedback_themes(surveys, *, lexicon=None, extra_themes=None, text_column: str = "comment") -> pd.DataFrame:
    """Tag each survey comment with the themes it mentions.

    For every theme, a comment is tagged when it contains any of the theme's
    phrases (case-insensitive, whole words; see the module's lexicon rules).
    A comment may get several themes; one that matches none gets ``other``.

    Parameters
    ----------
    surveys : DataFrame or Dataset
        The ``surveys`` table (or a Dataset holding it) with a text column.
    lexicon : dict {theme: [phrase, ...]}, optional
        Replaces the default lexicon :data:`DEFAULT_THEMES` (pricing, support,
        onboarding, ease_of_use, performance, missing_features, reporting,
        integrations).
    extra_themes : dict {theme: [phrase, ...]}, optional
        Extends the lexicon (new themes, or more phrases for existing ones).
    text_column : str, default "comment"

    Returns
    -------
    DataFrame
        The rows that have a non-blank comment (others say nothing to tag),
        with their original columns and index, one bool column per theme
        plus ``other``, and ``themes``: the row's themes joined by ``"; "``.

    Examples
    --------
    >>> comments = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "score": [3, 10, 8],
    ...     "comment": ["Too EXPENSIVE and support never replies", "Love the Salesforce integration", "ok"]})
    >>> feedback_themes(comments)[["response_id", "themes"]]
      response_id             themes
    0          r1  pricing; support
    1          r2       integrations
    2          r3              other
    """
    df = _surveys(surveys, "feedback_themes")
    if text_column not in df.columns:
        raise MissingTableError(f"feedback_themes needs the surveys.{text_column} column, which this table does not have.")
    patterns = theme_patterns(lexicon, extra_themes)
    clash = [t for t in [*patterns, OTHER, "themes"] if t in df.columns]
    if clash:
        raise ValueError(f"Theme name(s) {clash} clash with columns of the table; rename the theme(s).")
    text = df[text_column]
    has_text = text.notna() & (text.astype("string").str.strip().str.len() > 0)
    out = df[has_text.fillna(False).astype(bool)].copy()
    # One vectorised regex pass per theme (a handful), never a loop over comments; each
    # distinct text is matched once ("great", "ok" repeat a lot).
    codes, texts = pd.factorize(out[text_column].astype(str))
    texts = pd.Series(texts, dtype=object)
    matched = {theme: texts.str.contains(pattern, regex=True).to_numpy(dtype=bool)
               for theme, pattern in patterns.items()}
    for theme, counted_as, regex in SENSE_SHIFTS:
        if theme not in patterns or not len(texts):
            continue
        shifted = texts.str.contains(regex, regex=True, flags=re.IGNORECASE).to_numpy(dtype=bool)
        if shifted.any():  # keep the theme only where it is also mentioned outside the shifted phrases
            rest = texts[shifted].str.replace(regex, " ", regex=True, flags=re.IGNORECASE)
            matched[theme][shifted] = rest.str.contains(patterns[theme], regex=True).to_numpy(dtype=bool)
            if counted_as in matched:
                matched[counted_as] |= shifted
    matched = {theme: hit[codes] for theme, hit in matched.items()}
    tags = pd.DataFrame(matched, index=out.index, columns=list(patterns), dtype=bool)
    tags[OTHER] = ~tags.any(axis=1)
    labels = pd.Series([f"{t}; " for t in tags.columns], index=tags.columns, dtype=object)
    out = pd.concat([out, tags], axis=1)
    # bool x str dot product: concatenates the labels of each row's themes.
    out["themes"] = (tags.astype(object).dot(labels) if len(tags) else pd.Series(dtype=object)).str[:-2]
    return out


def _word_regex(words) -> re.Pattern:
    return re.compile(r"(?<!\w)(?:" + "|".join(_phrase_regex(w) for w in words) + r")(?!\w)", re.IGNORECASE)


_POSITIVE = _word_regex(POSITIVE_WORDS)
_NEGATIVE = _word_regex(NEGATIVE_WORDS)
_NEGATION_RE = re.compile(r"(?<!\w)" + _NEGATION + r"(?!\w)", re.IGNORECASE)
_CLAUSE = re.compile(r"[.,;:!?\n]+|\bbut\b", re.IGNORECASE)
_TOKEN = re.compile(r"\w+(?:['’]\w+)?")


def _clause_tone(clause: str) -> int:
    """+1 positive, -1 negative, 0 neutral (negation-aware; see the module docstring)."""
    tokens = _TOKEN.findall(clause)
    score, negated_any = 0, False
    for i, tok in enumerate(tokens):
        polarity = 1 if _POSITIVE.fullmatch(tok) else -1 if _NEGATIVE.fullmatch(tok) else 0
        if _NEGATION_RE.fullmatch(tok):
            negated_any = True
            continue
        if polarity:
            flipped = any(_NEGATION_RE.fullmatch(t) for t in tokens[max(0, i - 3):i])
            score += -polarity if flipped else polarity
    if score == 0 and negated_any:
        return -1
    return int(np.sign(score))


def _tones(text: str) -> list[tuple[str, int]]:
    return [(c, _clause_tone(c)) for c in _CLAUSE.split(text) if c and c.strip()]


def comment_tone(comments) -> pd.Series:
    """The tone of each comment: ``"positive"``, ``"negative"``, ``"mixed"`` or ``"neutral"``, negation-aware.

    Each clause is positive, negative or neutral by its words (a negation
    within three words before a word flips it; a negated clause without a
    polar word is negative); a comment with positive and negative clauses is
    ``mixed``. Blank or missing comments are ``"neutral"``.

    Parameters
    ----------
    comments : sequence or Series of str

    Returns
    -------
    Series of str, aligned with ``comments``.

    Examples
    --------
    >>> comment_tone(["Not bad at all", "No issues so far", "Support never replies", "Not fast",
    ...               "Great reports but the app is slow", "It is a tool"]).tolist()
    ['positive', 'positive', 'negative', 'negative', 'mixed', 'neutral']
    """
    s = pd.Series(comments) if not isinstance(comments, pd.Series) else comments
    codes, uniques = pd.factorize(s.fillna("").astype(str))
    labels = []
    for text in uniques:
        tones = {t for _, t in _tones(text)}
        labels.append("mixed" if {1, -1} <= tones else "positive" if 1 in tones else
                      "negative" if -1 in tones else "neutral")
    labels = np.array(labels + ["neutral"], dtype=object)
    return pd.Series(labels[np.where(codes < 0, len(labels) - 1, codes)], index=s.index, name="tone")


def theme_mentions(surveys, *, lexicon=None, extra_themes=None, text_column: str = "comment") -> pd.DataFrame:
    """One row per comment and theme it mentions, with what the comment says of that theme.

    The themes are those of :func:`feedback_themes` (negated capability verbs
    shifted, see :data:`SENSE_SHIFTS`); ``tone`` is the tone of the clauses
    that mention the theme (:func:`comment_tone`'s rules), so "Support is not
    helpful" is a negative support mention and "No issues with billing" a
    positive pricing one.

    Parameters
    ----------
    surveys : DataFrame or Dataset
    lexicon, extra_themes : dict, optional
        As in :func:`feedback_themes`.
    text_column : str, default "comment"

    Returns
    -------
    DataFrame
        The comment rows' original columns, ``theme`` and ``tone``
        (``positive``, ``negative``, ``mixed`` or ``neutral``). Comments with no
        theme appear once with theme ``other``.

    Examples
    --------
    >>> s = pd.DataFrame({"response_id": ["r1", "r2"],
    ...     "comment": ["It doesn't support SSO, but support is great", "Not bad, though too expensive"]})
    >>> theme_mentions(s)[["response_id", "theme", "tone"]]
      response_id             theme      tone
    0          r1           support  positive
    1          r1  missing_features  negative
    2          r1      integrations  negative
    3          r2           pricing  negative
    """
    tagged = feedback_themes(surveys, lexicon=lexicon, extra_themes=extra_themes, text_column=text_column)
    patterns = theme_patterns(lexicon, extra_themes)
    themes = [*patterns, OTHER]
    base = [c for c in tagged.columns if c not in themes and c != "themes"]
    shifts = {t: (to, re.compile(rx, re.IGNORECASE)) for t, to, rx in SENSE_SHIFTS}
    rows = []
    for idx, text in tagged[text_column].astype(str).items():
        clauses = _tones(text)
        for theme in themes:
            if not tagged.at[idx, theme]:
                continue
            if theme == OTHER:
                tones = {t for _, t in clauses}
            else:
                pats = [patterns[theme]] + [rx for t, (to, rx) in shifts.items() if to == theme]
                own = shifts.get(theme)
                tones = set()
                for clause, tone in clauses:
                    probe = own[1].sub(" ", clause) if own else clause
                    if any(p.search(probe if p is patterns[theme] else clause) for p in pats):
                        tones.add(tone)
            label = ("mixed" if {1, -1} <= tones else "positive" if 1 in tones else
                     "negative" if -1 in tones else "neutral")
            rows.append((idx, theme, label))
    long = pd.DataFrame(rows, columns=["_idx", "theme", "tone"])
    out = tagged.loc[long["_idx"], base].reset_index(drop=True)
    return pd.concat([out, long[["theme", "tone"]]], axis=1)


def _check_nps_rows(resp: pd.DataFrame, columns) -> None:
    """DataValidationError for empty dates or scores off 0-10, naming up to five rows."""
    rules = {"responded_at": (lambda df: df["responded_at"].isna(), "must not be empty"),
             "score": (lambda df: ~df["score"].isin(range(NPS_SCALE[0], NPS_SCALE[1] + 1)),
                       "NPS scores must be whole numbers from 0 to 10")}
    for column in columns:
        test, rule = rules[column]
        bad = test(resp)
        if bad.any():
            shown = [c for c in ("_row", "response_id", "customer_id", column) if c in resp.columns]
            rows = resp.loc[bad, shown].head(5)
            rows = rows.set_index("_row").rename_axis("row") if "_row" in rows else rows
            raise DataValidationError("surveys", column, rule, rows=rows, detail=f"{int(bad.sum())} row(s)")


def _nps_with_comments(data, fn: str, touchpoint=None, start=None, end=None) -> pd.DataFrame:
    resp = _surveys(data, fn)
    resp = resp[resp["survey"] == "nps"]
    if touchpoint is not None:
        wanted = [touchpoint] if isinstance(touchpoint, str) else list(touchpoint)
        known = sorted(resp["touchpoint"].dropna().unique())
        missing = [t for t in wanted if t not in known]
        if missing:
            raise ValueError(f"{fn}: no NPS answers for touchpoint(s) {missing}; the data has {known}.")
        resp = resp[resp["touchpoint"].isin(wanted)]
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValueError(f"{fn}: give both start and end months, or neither.")
        check_months(data, start, end, fn=fn, tables=["surveys"], ledger=False)
        resp = resp[resp["responded_at"].dt.to_period("M").isin(month_range(start, end))]
    return resp


def theme_frequency(data, *, lexicon=None, extra_themes=None, by=("touchpoint",), touchpoint=None,
                    start=None, end=None) -> pd.DataFrame:
    """How often each theme comes up in NPS comments, by promoter/passive/detractor.

    ``share = 100 * comments in the category that mention the theme /
    comments in the category``. Shares of one category add up to more than
    100% when comments have several themes. Only answers with a comment
    count: ``comments`` is the denominator, not the number of answers.

    Parameters
    ----------
    data : Dataset or DataFrame
        The ``surveys`` table, or a Dataset holding it; NPS answers are used.
    lexicon, extra_themes : dict, optional
        As in :func:`feedback_themes`.
    by : tuple of str, default ("touchpoint",)
        Extra grouping columns of the surveys table (``()`` pools all
        touchpoints: relationship and transactional feedback then mix).
    touchpoint : str or list of str, optional
        Keep only these touchpoints.
    start, end : str or Period, optional
        Keep answers from these months (both inclusive; give both or neither).

    Returns
    -------
    DataFrame
        One row per group, category (``promoter``, ``passive``,
        ``detractor``, then ``all``) and theme (lexicon order, then
        ``other``), zeros included: ``mentions``, ``comments``, ``share``.

    Examples
    --------
    >>> s = pd.DataFrame({"survey": "nps", "touchpoint": "relationship", "score": [10, 3, 2],
    ...     "comment": ["Great reports", "Too expensive", "Price went up and reports are slow"],
    ...     "responded_at": pd.to_datetime(["2026-01-02"] * 3)})
    >>> f = theme_frequency(s)
    >>> f[(f.category == "detractor") & (f.theme == "pricing")][["mentions", "comments", "share"]]
       mentions  comments  share
    18         2         2  100.0
    """
    by = [by] if isinstance(by, str) else list(by)
    resp = _nps_with_comments(data, "theme_frequency", touchpoint, start, end)
    missing = [c for c in by if c not in resp.columns]
    if missing:
        raise MissingTableError(f"theme_frequency: surveys has no column(s) {missing} to group by.")
    _check_nps_rows(resp, ["score"])
    tagged = feedback_themes(resp, lexicon=lexicon, extra_themes=extra_themes)
    themes = [*theme_patterns(lexicon, extra_themes), OTHER]
    tagged = tagged.assign(category=nps_category(tagged["score"]))
    both = pd.concat([tagged, tagged.assign(category="all")], ignore_index=True)
    keys = [*by, "category"]
    mentions = both.groupby(keys, observed=True)[themes].sum()
    comments = both.groupby(keys, observed=True).size().rename("comments")
    # Full grid, so a theme nobody mentioned shows 0, not a missing row.
    categories = ["promoter", "passive", "detractor", "all"]
    groups = tagged[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    grid = groups.merge(pd.DataFrame({"category": categories}), how="cross")
    grid = grid.merge(pd.DataFrame({"theme": themes}), how="cross")
    long = mentions.reset_index().melt(id_vars=keys, var_name="theme", value_name="mentions")
    out = grid.merge(long, on=[*keys, "theme"], how="left").merge(comments.reset_index(), on=keys, how="left")
    out[["mentions", "comments"]] = out[["mentions", "comments"]].fillna(0).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = 100 * out["mentions"] / out["comments"].replace(0, np.nan)
    return out[[*by, "category", "theme", "mentions", "comments", "share"]]


def referral_candidates(data, *, as_of, min_score: int = 9, within_days: int = 180,
                        touchpoint: str | None = "relationship") -> pd.DataFrame:
    """Promoters a marketing team could ask for a referral, review or case study.

    A customer qualifies when its latest NPS answer (at ``touchpoint``)
    given in the ``within_days`` days up to ``as_of`` (both ends included:
    ``as_of - within_days < day <= as_of``) scores ``min_score`` or more, and,
    when the data has subscriptions, it is paying on ``as_of`` (MRR > 0 that
    day, as in :mod:`csm_kit.metrics.ledger`). A promoter whose latest answer
    is lower no longer qualifies: the latest answer decides.

    Parameters
    ----------
    data : Dataset or DataFrame
        Needs ``surveys``; uses ``subscriptions`` (paying check) and
        ``customers`` (``name``, ``segment``) when present. A bare surveys
        DataFrame skips the paying check.
    as_of : str or date
        The day of the list (``"YYYY-MM"`` means the month's last day).
    min_score : int, default 9
        Lowest qualifying answer (9 = every promoter; 10 = the keenest).
    within_days : int, default 180
        How recent the answer must be.
    touchpoint : str or None, default "relationship"
        Which survey's answers count; None uses every touchpoint.

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id``, [``name``, ``segment``],
        [``user_id``], ``response_id``, ``responded_at``, ``score``,
        ``comment``, ``days_since_response``, ``paying`` (True, or <NA> when
        unchecked); highest score first, then most recent.

    Examples
    --------
    >>> s = pd.DataFrame({"response_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "survey": "nps", "touchpoint": "relationship", "score": [10.0, 6.0, 9.0],
    ...     "comment": ["Great", "Slower lately", "Solid"],
    ...     "responded_at": pd.to_datetime(["2026-01-10", "2026-03-01", "2026-02-15"])})
    >>> referral_candidates(s, as_of="2026-03-31")[["customer_id", "score", "days_since_response"]]
      customer_id  score  days_since_response
    0           b    9.0                   44
    """
    min_score = whole_number(min_score, "min_score", minimum=0, maximum=10)
    within_days = whole_number(within_days, "within_days", unit="days")
    day = as_of_day(as_of)
    check_months(data, None, day.to_period("M"), fn="referral_candidates", tables=["surveys"], ledger=False)
    surveys = _surveys(data, "referral_candidates")
    resp = _nps_with_comments(surveys.assign(_row=np.arange(1, len(surveys) + 1)), "referral_candidates", touchpoint)
    _check_nps_rows(resp, ["responded_at", "score"])
    answered = resp["responded_at"].dt.normalize()
    resp = resp[(answered <= day) & (answered > day - pd.Timedelta(days=within_days))]
    latest = (resp.sort_values(["customer_id", "responded_at", "response_id"], kind="mergesort")
                  .drop_duplicates("customer_id", keep="last"))
    out = latest[latest["score"] >= min_score].copy()
    out["days_since_response"] = (day - out["responded_at"].dt.normalize()).dt.days.astype("int64")

    out["paying"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if not isinstance(data, pd.DataFrame) and data.has("subscriptions"):
        spells = paid_spells(data)
        live = spells[(spells["start"] <= day) & (spells["end"].isna() | (spells["end"] > day))]
        out = out[out["customer_id"].isin(live["customer_id"])]
        out["paying"] = pd.array([True] * len(out), dtype="boolean")
    extra = []
    if not isinstance(data, pd.DataFrame) and data.has("customers"):
        extra = [c for c in ("name", "segment") if c in data.customers.columns]
        out = out.merge(data.customers[["customer_id", *extra]], on="customer_id", how="left")
    if "comment" not in out.columns:
        out["comment"] = None
    who = ["user_id"] if "user_id" in out.columns else []
    columns = ["customer_id", *extra, *who, "response_id", "responded_at", "score", "comment",
               "days_since_response", "paying"]
    out = out.sort_values(["score", "responded_at", "customer_id"], ascending=[False, False, True], kind="mergesort")
    return out[columns].reset_index(drop=True)
