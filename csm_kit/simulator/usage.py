"""Product usage: rows per user, day and feature, with a count of events.

Engaged accounts use the product on more days, with more users, and adopt
more features. Each account adopts a feature once (probability by feature,
higher when engaged), so features differ in adoption: everyone uses the
dashboard, few use the API; ``integrations`` is used only after the account
reached the ``integration_live`` milestone and ``collaboration`` only after
``team_invited``. Usage fades over the three months before an account
leaves. The ``intensity`` parameter scales the number of rows (about
``intensity`` rows per average paying account and month), which keeps a
million-account simulation tractable.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, active_months

FEATURES = np.array(["dashboard", "reports", "alerts", "export", "integrations", "api", "collaboration"], dtype=object)
ROW_SHARE = np.array([0.34, 0.22, 0.14, 0.10, 0.08, 0.04, 0.08])  # of rows, among accounts that adopted all
ADOPT_LOGIT = np.array([np.inf, 2.0, 1.0, 0.2, np.inf, -1.4, np.inf])  # inf: always (or gated by a milestone)
GATED_BY = {4: 4, 6: 3}  # feature -> onboarding milestone column it needs (integration_live, team_invited)
FADE_DAYS = 90.0  # usage falls linearly to FADE_FLOOR over the last FADE_DAYS of a spell
FADE_FLOOR = 0.25
MAX_USERS = 25  # users per account (ids U00..U24), capped so ids stay short


def usage_table(rng: np.random.Generator, acc: pd.DataFrame, spells: pd.DataFrame, cal: Calendar,
                intensity: float, milestone_days: np.ndarray) -> pd.DataFrame:
    cols = ["customer_id", "user_id", "timestamp", "event", "quantity"]
    if intensity <= 0 or len(acc) == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, [object, object, "datetime64[ns]", object, "Int64"])})
    n = len(acc)
    e_acc = acc["engagement"].to_numpy()
    with np.errstate(over="ignore"):
        adopted = rng.random((n, len(FEATURES))) < 1 / (1 + np.exp(-(ADOPT_LOGIT[None, :] + 1.0 * e_acc[:, None])))

    c_all = np.arange(n)
    am = pd.concat([active_months(cal, c_all, spells["start1"].to_numpy(), spells["end1"].to_numpy()),
                    active_months(cal, c_all, spells["start2"].to_numpy(), spells["end2"].to_numpy())],
                   ignore_index=True)
    e = e_acc[am["c"].to_numpy()]
    seats = acc["seats"].to_numpy()[am["c"].to_numpy()]
    share = (am["hi"] - am["lo"]).to_numpy() / 30.44
    fading = FADE_FLOOR + (1 - FADE_FLOOR) * np.clip(np.nan_to_num(am["until_end"].to_numpy(), nan=FADE_DAYS)
                                                      / FADE_DAYS, 0, 1)
    lam = intensity * np.exp(0.7 * e - 0.245) * (seats / 5.0) ** 0.25 * share * fading
    k = rng.poisson(lam)
    r = np.repeat(np.arange(len(am)), k)
    lo, hi = am["lo"].to_numpy()[r], am["hi"].to_numpy()[r]
    day = lo + np.floor(rng.random(len(r)) * (hi - lo)).astype(np.int64)
    del lo, hi
    c = am["c"].to_numpy()[r]
    users = np.minimum(acc["seats"].to_numpy()[c], MAX_USERS)
    user = np.floor(rng.random(len(r)) ** (1 + np.exp(-e[r])) * users).astype(np.int64)  # a few power users
    del users
    # A row's feature: drawn by overall share, kept only if the account uses that feature (by that day),
    # otherwise the visit was to the dashboard.
    feature = rng.choice(len(FEATURES), size=len(r), p=ROW_SHARE).astype(np.int64)
    ok = adopted[c, feature]
    signup = acc["signup_day"].to_numpy()
    for f, milestone in GATED_BY.items():
        rows = feature == f
        ok[rows] = day[rows] >= signup[c[rows]] + np.nan_to_num(milestone_days[c[rows], milestone], nan=np.inf)
    feature[~ok] = 0
    seconds = day * 86400 + 8 * 3600 + np.floor(rng.random(len(r)) * 10 * 3600).astype(np.int64)
    quantity = 1 + rng.poisson(2.0 * np.exp(0.3 * e[r]))
    del day, r, ok
    order = np.lexsort((feature, user, seconds, c))
    c, user, seconds, feature, quantity = c[order], user[order], seconds[order], feature[order], quantity[order]
    del order
    customer_id = acc["customer_id"].to_numpy()[c]
    # Build each user's id once and share it across that user's rows: at a million accounts
    # the per-row strings would otherwise cost several GB.
    pairs, row_pair = np.unique(c * 32 + user, return_inverse=True)
    del c, user
    user_id = user_names(acc["customer_id"].to_numpy()[pairs // 32], pairs % 32)[row_pair]
    return pd.DataFrame({"customer_id": customer_id, "user_id": user_id, "timestamp": cal.instants(seconds),
                         "event": FEATURES[feature], "quantity": pd.array(quantity, dtype="Int64")})


def user_names(customer_id: np.ndarray, user: np.ndarray) -> np.ndarray:
    """``<customer_id>-U07``: user ``7`` of an account, unique across the data set."""
    return (pd.Series(customer_id, dtype=object) + "-U"
            + pd.Series(user).astype(str).str.zfill(2)).to_numpy(dtype=object)
