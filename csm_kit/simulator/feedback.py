"""Surveys: invitations and answers, with comments whose tone follows the score.

- Relationship NPS every six months to 60% of paying accounts; engaged
  accounts answer more often. Scores follow latent satisfaction (which also
  drives churn) and engagement.
- Onboarding CSAT (1-5) 30 days after signup, higher for accounts that finished onboarding.
- Post-ticket CSAT (1-5) and CES 2.0 (1-7) after a resolved ticket, lower when it took long.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, ids
from .usage import MAX_USERS, user_names

THEMES = ("pricing", "support", "onboarding", "ease_of_use", "performance", "missing_features", "reporting", "integrations")
PHRASES = {  # (positive, neutral, negative) per theme
    "pricing": ("Good value for the price.", "Pricing is fair but not cheap.", "Too expensive for what we get."),
    "support": ("Support was fast and really helpful.", "Support answered eventually.", "Support is slow to respond."),
    "onboarding": ("Onboarding was smooth and quick.", "Onboarding took a while but we got there.",
                   "Onboarding was confusing and took too long."),
    "ease_of_use": ("Easy to use, the team picked it up quickly.", "Mostly easy to use once you learn it.",
                    "Hard to use and the interface is clunky."),
    "performance": ("Fast and reliable.", "Sometimes a bit slow.", "Slow and crashes too often."),
    "missing_features": ("Has every feature we need.", "A few features are missing for us.",
                         "Missing features we need, we may look elsewhere."),
    "reporting": ("The reports and dashboards are excellent.", "Reports are fine.", "Reporting is too limited."),
    "integrations": ("The integrations with our CRM work great.", "The integration works but needs setup.",
                     "The integration with our CRM keeps breaking."),
}
_BANK = np.array([[PHRASES[t][k] for k in range(3)] for t in THEMES], dtype=object)  # theme x tone


def _comments(rng, tone: np.ndarray, share: float = 0.55) -> np.ndarray:
    """A phrase per response in the given tone (0 positive, 1 neutral, 2 negative), or None."""
    theme = rng.integers(0, len(THEMES), len(tone))
    text = _BANK[theme, tone].astype(object)
    text[rng.random(len(tone)) >= share] = None
    return text


def _paying(spells: pd.DataFrame, c: np.ndarray, day: np.ndarray) -> np.ndarray:
    def covers(s, e):
        s, e = spells[s].to_numpy()[c], spells[e].to_numpy()[c]
        return (s <= day) & (np.isnan(e) | (day < e))
    return covers("start1", "end1") | covers("start2", "end2")


def surveys_tables(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame, cal: Calendar,
                   onboarded: np.ndarray, tickets: pd.DataFrame, first_send: int = 1,
                   first_response: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(surveys, survey_sends, csat score per ticket or NaN); send and response ids numbered from ``first_*``."""
    n = len(acc)
    e, s = acc["engagement"].to_numpy(), acc["satisfaction"].to_numpy()
    sends, answers = [], []
    end_s = cal.end * 86400.0

    # Relationship NPS waves: the 10th of every sixth month, from the third month.
    for m in range(2, cal.months, 6):  # a handful of waves
        day = cal.month_starts[m] + 9
        c = np.nonzero(_paying(spells, np.arange(n), np.full(n, day)) & (rng.random(n) < 0.6))[0]
        sent = day * 86400.0 + 10 * 3600
        sends.append(pd.DataFrame({"c": c, "survey": "nps", "touchpoint": "relationship", "sent": sent}))
        answered = rng.random(len(c)) < 0.25 + 0.25 / (1 + np.exp(-e[c]))
        a = c[answered]
        score = np.clip(np.round(7.3 + 1.6 * s[a] + 0.4 * e[a] + rng.normal(0, 1.1, len(a))), 0, 10)
        tone = np.where(score >= 9, 0, np.where(score >= 7, 1, 2))
        answers.append(pd.DataFrame({"c": a, "survey": "nps", "touchpoint": "relationship", "score": score,
                                     "at": sent + np.floor(rng.exponential(2 * 86400, len(a))), "tone": tone,
                                     "send": len(pd.concat(sends)) - len(c) + np.nonzero(answered)[0], "ticket": -1}))

    # Onboarding CSAT, 30 days after signup.
    day = acc["signup_day"].to_numpy() + 30
    c = np.nonzero((day < cal.end) & _paying(spells, np.arange(n), day))[0]
    offset = len(pd.concat(sends)) if sends else 0
    sends.append(pd.DataFrame({"c": c, "survey": "csat", "touchpoint": "onboarding", "sent": day[c] * 86400.0 + 10 * 3600}))
    answered = rng.random(len(c)) < 0.4
    a = c[answered]
    score = np.clip(np.round(3.5 + 0.7 * s[a] + 0.7 * onboarded[a] + rng.normal(0, 0.8, len(a))), 1, 5)
    answers.append(pd.DataFrame({"c": a, "survey": "csat", "touchpoint": "onboarding", "score": score,
                                 "at": day[a] * 86400.0 + 10 * 3600 + np.floor(rng.exponential(86400, len(a))),
                                 "tone": np.where(score >= 4, 0, np.where(score == 3, 1, 2)),
                                 "send": offset + np.nonzero(answered)[0], "ticket": -1}))

    # After each resolved ticket: CSAT and CES 2.0.
    resolved = np.isfinite(tickets["resolved"].to_numpy())
    t = np.nonzero(resolved)[0]
    tc = tickets["c"].to_numpy()[t]
    hours = (tickets["resolved"].to_numpy()[t] - tickets["opened"].to_numpy()[t]) / 3600
    slow = np.log(np.maximum(hours, 0.1) / 24)
    for survey, rate, scale, centre in (("csat", 0.3, (1, 5), 4.0), ("ces", 0.2, (1, 7), 5.2)):
        offset = len(pd.concat(sends))
        sent = tickets["resolved"].to_numpy()[t] + 600
        sends.append(pd.DataFrame({"c": tc, "survey": survey, "touchpoint": "support", "sent": sent}))
        answered = rng.random(len(t)) < rate
        spread = 0.7 if survey == "csat" else 1.0
        score = np.clip(np.round(centre + 0.7 * s[tc] - 0.3 * slow + rng.normal(0, spread, len(t))), *scale)[answered]
        mid = (scale[0] + scale[1]) / 2
        answers.append(pd.DataFrame({"c": tc[answered], "survey": survey, "touchpoint": "support", "score": score,
                                     "at": sent[answered] + np.floor(rng.exponential(3600 * 6, answered.sum())),
                                     "tone": np.where(score > mid + 0.5, 0, np.where(score >= mid - 0.5, 1, 2)),
                                     "send": offset + np.nonzero(answered)[0], "ticket": t[answered]}))

    sends = pd.concat(sends, ignore_index=True)
    sends["send_id"] = ids("E", len(sends), 8, start=first_send)
    answers = pd.concat(answers, ignore_index=True)
    answers = answers[answers["at"] < end_s]
    # The ticket's own csat column repeats its post-ticket CSAT answer, if one came in the window.
    ticket_csat = np.full(len(tickets), np.nan)
    on_ticket = (answers["survey"] == "csat").to_numpy() & (answers["ticket"].to_numpy() >= 0)
    ticket_csat[answers["ticket"].to_numpy()[on_ticket]] = answers["score"].to_numpy()[on_ticket]
    answers = answers.sort_values(["at", "c", "survey"], kind="mergesort", ignore_index=True)
    cid = acc["customer_id"].to_numpy()
    # The respondent: one of the account's users, the more active ones (low numbers) more often.
    ac = answers["c"].to_numpy()
    users = np.minimum(acc["seats"].to_numpy()[ac], MAX_USERS)
    respondent = user_names(cid[ac], np.floor(rng.random(len(ac)) ** 1.5 * users).astype(np.int64))
    surveys = pd.DataFrame({
        "response_id": ids("R", len(answers), 8, start=first_response), "customer_id": cid[answers["c"].to_numpy()],
        "survey": answers["survey"].to_numpy(dtype=object), "score": answers["score"].to_numpy(dtype=float),
        "responded_at": cal.instants(answers["at"].to_numpy().astype(np.int64)),
        "touchpoint": answers["touchpoint"].to_numpy(dtype=object),
        "comment": _comments(rng, answers["tone"].to_numpy()),
        "user_id": respondent,
        "ticket_id": np.where(answers["ticket"].to_numpy() >= 0,
                              tickets["ticket_id"].to_numpy()[np.maximum(answers["ticket"].to_numpy(), 0)], None),
        "send_id": sends["send_id"].to_numpy()[answers["send"].to_numpy()],
    })
    survey_sends = pd.DataFrame({"send_id": sends["send_id"].to_numpy(), "customer_id": cid[sends["c"].to_numpy()],
                                 "survey": sends["survey"].to_numpy(dtype=object),
                                 "touchpoint": sends["touchpoint"].to_numpy(dtype=object),
                                 "sent_at": cal.instants(sends["sent"].to_numpy().astype(np.int64))})
    survey_sends = survey_sends[survey_sends["sent_at"] < cal.dates(np.array([cal.end]))[0]].reset_index(drop=True)
    return surveys, survey_sends, ticket_csat
