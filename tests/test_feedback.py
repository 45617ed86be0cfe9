"""Comment themes, theme frequency by NPS category, and referral candidates, checked by hand."""
import math

import pandas as pd
import pytest

from csm_kit import Dataset
from csm_kit.exceptions import DataValidationError, MissingTableError
from csm_kit.metrics import feedback_themes, referral_candidates, theme_frequency
from csm_kit.metrics.feedback import DEFAULT_THEMES, theme_patterns

THEMES = list(DEFAULT_THEMES)


def _surveys():
    return pd.DataFrame({
        "response_id": [f"r{i}" for i in range(1, 9)],
        "customer_id": list("abcdefgh"),
        "survey": ["nps"] * 7 + ["csat"],
        "score": [10.0, 3.0, 8.0, 6.0, 9.0, 9.0, 10.0, 5.0],
        "touchpoint": ["relationship"] * 6 + ["support", "relationship"],
        "responded_at": pd.to_datetime(["2026-01-05"] * 7 + ["2026-02-01"]),
        "comment": [
            "Great REPORTS and the dashboard is fast",          # reporting, performance
            "Too expensive. Customer   service\nnever answers",  # pricing, support (phrase over spaces/newline)
            "Wish there was a Salesforce integration",         # missing_features, integrations
            "Rapid growth, fine",                              # nothing ('api' is inside 'Rapid') -> other
            None,                                              # no comment
            "   ",                                             # blank comment
            "Support team was quick",                          # support
            "pricing ok",                                      # pricing (a CSAT comment)
        ],
    }, index=[10, 11, 12, 13, 14, 15, 16, 17])


def test_feedback_themes_tags():
    t = feedback_themes(_surveys())
    # r5 (None) and r6 (blank) have nothing to tag; the original index is kept
    assert t.index.tolist() == [10, 11, 12, 13, 16, 17]
    # several themes per comment, listed in lexicon order; no theme -> other
    assert t["themes"].tolist() == [
        "performance; reporting", "pricing; support", "missing_features; integrations", "other", "support", "pricing",
    ]
    assert list(t.columns[-10:]) == THEMES + ["other", "themes"]
    assert t.loc[10, "reporting"] and t.loc[10, "performance"] and not t.loc[10, "pricing"]
    assert t.loc[13, "other"] and not t.loc[13, "integrations"]
    assert t[THEMES + ["other"]].dtypes.eq(bool).all()


def test_theme_order_follows_lexicon():
    t = feedback_themes(_surveys())
    # DEFAULT_THEMES order: pricing, support, onboarding, ease_of_use, performance, missing_features, ...
    assert t.loc[10, "themes"] == "performance; reporting"
    assert t.loc[12, "themes"] == "missing_features; integrations"


def test_matching_rules():
    p = theme_patterns({
        "gaps": ["doesn't support"], "licensing": ["licen?e*"], "integrations": ["integrat*", "api"],
        "service": ["customer service"],
    })
    assert p["gaps"].search("It doesn’t support SSO")        # typographic apostrophe
    assert not p["gaps"].search("It doesnt support SSO")
    assert p["licensing"].search("Licence costs") and p["licensing"].search("licenses")
    assert p["integrations"].search("INTEGRATIONS are great") and p["integrations"].search("the API.")
    assert not p["integrations"].search("rapid") and not p["integrations"].search("apiary")
    assert p["service"].search("customer\n  SERVICE") and not p["service"].search("customerservice")


def test_lexicon_replace_and_extend():
    s = _surveys()
    t = feedback_themes(s, lexicon={"billing": ["expensive", "pricing"]})
    assert [c for c in t.columns if c not in s.columns] == ["billing", "other", "themes"]
    assert t["billing"].tolist() == [False, True, False, False, False, True]
    t = feedback_themes(s, extra_themes={"speed": ["quick"], "pricing": ["ok"]})
    assert t.loc[16, "themes"] == "support; speed"
    assert "speed" == t.columns[-3]
    assert t.loc[17, "pricing"]  # still tagged by the default phrases too


@pytest.mark.parametrize("lexicon, message", [
    ({"pricing": "price"}, "list of non-empty phrases"),
    ({"pricing": ["price", ""]}, "list of non-empty phrases"),
    ({"other": ["x"]}, "reserved"),
    (["pricing"], "must be a dict"),
    ({}, "no themes"),
])
def test_bad_lexicons(lexicon, message):
    with pytest.raises(ValueError, match=message):
        feedback_themes(_surveys(), lexicon=lexicon)


def test_feedback_themes_clash_and_missing_column():
    with pytest.raises(ValueError, match="clash"):
        feedback_themes(_surveys(), lexicon={"score": ["x"]})
    with pytest.raises(MissingTableError, match="comment"):
        feedback_themes(_surveys().drop(columns="comment"))
    with pytest.raises(MissingTableError, match="surveys"):
        feedback_themes(Dataset())


def test_feedback_themes_empty_table():
    t = feedback_themes(_surveys().iloc[:0])
    assert len(t) == 0 and "themes" in t.columns


def _freq(df, touchpoint, category, theme):
    row = df[(df.touchpoint == touchpoint) & (df.category == category) & (df.theme == theme)]
    assert len(row) == 1
    return row.iloc[0]


def test_theme_frequency_by_category():
    f = theme_frequency(Dataset(surveys=_surveys()))
    # 2 touchpoints x 4 categories x 9 themes (8 + other), zeros included
    assert len(f) == 72
    # relationship NPS comments: r1 promoter, r2 detractor, r3 passive, r4 detractor (r5, r6 have none)
    det = _freq(f, "relationship", "detractor", "pricing")
    assert (det.mentions, det.comments, det.share) == (1, 2, 50.0)        # r2 of {r2, r4}
    assert _freq(f, "relationship", "detractor", "other").share == 50.0   # r4
    assert _freq(f, "relationship", "detractor", "reporting").share == 0.0
    assert _freq(f, "relationship", "promoter", "reporting").share == 100.0  # 1 of 1 (r1)
    every = _freq(f, "relationship", "all", "pricing")
    assert (every.mentions, every.comments, every.share) == (1, 4, 25.0)  # the CSAT 'pricing ok' is not NPS
    # support: one promoter comment, no detractor comments -> share undefined, not 0
    assert _freq(f, "support", "promoter", "support").share == 100.0
    empty = _freq(f, "support", "detractor", "support")
    assert empty.comments == 0 and math.isnan(empty.share)


def test_theme_frequency_pooled_and_filtered():
    f = theme_frequency(_surveys(), by=())
    prom = f[(f.category == "promoter") & (f.theme == "support")].iloc[0]
    assert (prom.mentions, prom.comments) == (1, 2)  # r7 of {r1, r7}
    assert list(f.columns) == ["category", "theme", "mentions", "comments", "share"]
    g = theme_frequency(_surveys(), touchpoint="support", start="2026-01", end="2026-01")
    assert g.touchpoint.unique().tolist() == ["support"]
    with pytest.raises(ValueError, match="both"):
        theme_frequency(_surveys(), start="2026-01")
    bad = _surveys()
    bad.loc[11, "score"] = 7.5
    with pytest.raises(DataValidationError, match="0 to 10") as err:
        theme_frequency(bad)
    assert err.value.rows["response_id"].tolist() == ["r2"]


# -- referral candidates ------------------------------------------------------------------

def _referral_dataset():
    # as_of 2026-06-30, 180 days: answers on 2026-01-02 .. 2026-06-30 count (2026-01-01 is 180 days back)
    surveys = pd.DataFrame({
        "response_id": [str(i) for i in range(1, 12)],
        "customer_id": ["a", "b", "b", "c", "d", "e", "f", "f", "g", "h", "i"],
        "survey": "nps",
        "touchpoint": ["relationship"] * 8 + ["support", "relationship", "relationship"],
        "score": [10.0, 9.0, 4.0, 10.0, 9.0, 9.0, 5.0, 10.0, 10.0, 10.0, 10.0],
        "responded_at": pd.to_datetime([
            "2026-03-01 09:00:00",  # a: promoter, paying -> in (91 + 30 = 121 days)
            "2026-05-01 00:00:00",  # b: promoter...
            "2026-06-15 00:00:00",  # b: ...then detractor: latest decides -> out
            "2026-06-01 00:00:00",  # c: promoter, but subscription ends on as_of -> out
            "2026-01-01 00:00:00",  # d: exactly 180 days back -> out
            "2026-01-02 00:00:00",  # e: 179 days back -> in
            "2026-04-01 00:00:00",  # f: detractor in the window...
            "2026-07-01 00:00:00",  # f: ...promoter after as_of does not count -> out
            "2026-06-20 00:00:00",  # g: support touchpoint -> out by default
            "2026-06-30 15:00:00",  # h: on as_of, later that day -> in (0 days)
            "2026-04-01 00:00:00",  # i: free plan only -> not paying -> out
        ]),
        "comment": ["Love it", "ok", "worse", "great", "good", "solid", "meh", "better", "fast", "superb", "nice"],
    })
    subs = pd.DataFrame({
        "subscription_id": [f"s{c}" for c in "abcdefghi"],
        "customer_id": list("abcdefghi"),
        "plan": ["pro"] * 8 + ["free"],
        "start_date": pd.to_datetime(["2025-01-01"] * 9),
        "end_date": pd.to_datetime([None, None, "2026-06-30", None, None, None, None, None, None]),
        "billing_period": "month",
        "amount": [100.0] * 8 + [0.0],
    })
    customers = pd.DataFrame({"customer_id": list("abcdefghi"), "signup_date": pd.to_datetime(["2025-01-01"] * 9),
                              "name": [f"Acme {c.upper()}" for c in "abcdefghi"], "segment": ["smb"] * 9})
    return Dataset(customers=customers, surveys=surveys, subscriptions=subs)


def test_referral_candidates():
    r = referral_candidates(_referral_dataset(), as_of="2026-06-30")
    # score desc, then most recent: h (10, Jun 30), a (10, Mar 1), e (9, Jan 2)
    assert r["customer_id"].tolist() == ["h", "a", "e"]
    assert r["days_since_response"].tolist() == [0, 121, 179]
    assert r["name"].tolist() == ["Acme H", "Acme A", "Acme E"]
    assert r["comment"].tolist() == ["superb", "Love it", "solid"]
    assert r["paying"].tolist() == [True, True, True]
    assert list(r.columns) == ["customer_id", "name", "segment", "response_id", "responded_at", "score", "comment",
                               "days_since_response", "paying"]


def test_referral_candidates_options():
    ds = _referral_dataset()
    assert referral_candidates(ds, as_of="2026-06").customer_id.tolist() == ["h", "a", "e"]  # month end
    assert referral_candidates(ds, as_of="2026-06-30", min_score=10).customer_id.tolist() == ["h", "a"]
    # every touchpoint: g's support answer (Jun 20) joins
    assert referral_candidates(ds, as_of="2026-06-30", touchpoint=None).customer_id.tolist() == ["h", "g", "a", "e"]
    # 60 days: only answers after 2026-05-01 -> h
    assert referral_candidates(ds, as_of="2026-06-30", within_days=60).customer_id.tolist() == ["h"]


def test_referral_candidates_without_subscriptions():
    # A bare surveys table: the paying check is skipped and said so (<NA>): c and i come back.
    r = referral_candidates(_referral_dataset().surveys, as_of="2026-06-30")
    assert r["customer_id"].tolist() == ["h", "c", "i", "a", "e"]
    assert r["paying"].isna().all()


def test_referral_candidates_bad_arguments():
    ds = _referral_dataset()
    with pytest.raises(ValueError, match="min_score"):
        referral_candidates(ds, as_of="2026-06-30", min_score=11)
    with pytest.raises(ValueError, match="within_days"):
        referral_candidates(ds, as_of="2026-06-30", within_days=0)
    with pytest.raises(ValueError, match="a day"):
        referral_candidates(ds, as_of="2026-06-30 12:00")
    with pytest.raises(ValueError, match="touchpoint"):
        referral_candidates(ds, as_of="2026-06-30", touchpoint="onboarding")
    bad = ds.surveys.copy()
    bad.loc[0, "score"] = 12.0
    with pytest.raises(DataValidationError, match="0 to 10") as err:
        referral_candidates(ds.with_tables(surveys=bad), as_of="2026-06-30")
    assert err.value.rows.index.tolist() == [1] and err.value.rows["score"].tolist() == [12.0]


def test_referral_candidates_takes_a_month_period_as_of():
    from csm_kit.datasets import load_sample

    ds = load_sample()
    by_text = referral_candidates(ds, as_of="2026-10")
    by_period = referral_candidates(ds, as_of=pd.Period("2026-10", "M"))
    pd.testing.assert_frame_equal(by_period, by_text)
    assert len(by_text) > 0


# -- negation ---------------------------------------------------------------------------------------------

from csm_kit.metrics.feedback import comment_tone, theme_mentions  # noqa: E402


def _tags(*comments):
    return feedback_themes(pd.DataFrame({"comment": list(comments)}))


@pytest.mark.parametrize("comment", [
    "It doesn't support SSO", "It doesn’t support single sign-on", "does not really support exports",
    "Bulk edit is not supported", "We found no support for multiple currencies", "It never supported our workflow",
    "Cannot support more than 5 users", "isn't supported on mobile",
])
def test_a_negated_capability_verb_is_a_missing_feature_not_support(comment):
    t = _tags(comment).iloc[0]
    assert t["missing_features"] and not t["support"], comment


@pytest.mark.parametrize("comment", [
    "Support never answers", "No support from the team for weeks", "Support is not helpful",
    "The support team doesn't reply", "I never got support",
])
def test_complaints_about_the_support_team_stay_support(comment):
    assert _tags(comment).iloc[0]["support"], comment


def test_a_shifted_comment_keeps_support_when_it_also_praises_the_team():
    t = _tags("It doesn't support SSO, but support was quick to tell us").iloc[0]
    assert t["support"] and t["missing_features"]


@pytest.mark.parametrize("comment, tone", [
    ("Not bad", "positive"), ("No issues so far", "positive"), ("Never had a problem", "positive"),
    ("Works without problems", "positive"), ("Great product", "positive"),
    ("Not fast", "negative"), ("Hardly works", "negative"), ("Support never replies", "negative"),
    ("Not good, not fast", "negative"), ("Reports are not useful without filters", "negative"),
    ("Great reports but the app is slow", "mixed"), ("We use it daily", "neutral"), ("", "neutral"),
    ("It doesn't work", "negative"), ("Not expensive at all", "positive"),
])
def test_comment_tone_reads_negation(comment, tone):
    assert comment_tone([comment]).iloc[0] == tone


def test_comment_tone_keeps_the_index_and_missing_is_neutral():
    s = pd.Series(["Not bad", None], index=[7, 9])
    assert comment_tone(s).to_dict() == {7: "positive", 9: "neutral"}


def test_theme_mentions_tone_is_that_of_the_theme_clause():
    s = pd.DataFrame({"response_id": ["a", "b", "c"], "comment": [
        "Support is not helpful, reports are great",   # support negative, reporting positive
        "No issues with billing",                      # pricing positive (negated complaint)
        "Doesn't support exports",                     # missing feature, negative; not support
    ]})
    m = theme_mentions(s).set_index(["response_id", "theme"])["tone"].to_dict()
    assert m == {("a", "support"): "negative", ("a", "reporting"): "positive", ("b", "pricing"): "positive",
                 ("c", "missing_features"): "negative", ("c", "reporting"): "negative"}
