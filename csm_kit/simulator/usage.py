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
    am_c, am_lo, am_hi = am["c"].to_numpy(), am["lo"].to_numpy(), am["hi"].to_numpy()
    e = e_acc[am_c]
    seats = acc["seats"].to_numpy()[am_c]
    share = (am_hi - am_lo) / 30.44
    fading = FADE_FLOOR + (1 - FADE_FLOOR) * np.clip(np.nan_to_num(am["until_end"].to_numpy(), nan=FADE_DAYS)
                                                      / FADE_DAYS, 0, 1)
    lam = intensity * np.exp(0.7 * e - 0.245) * (seats / 5.0) ** 0.25 * share * fading
    del am, e, seats, share, fading
    k = rng.poisson(lam)
    del lam
    # From here on arrays have one entry per usage row (5.6M per 100k accounts): computed in place and
    # freed as soon as used, so that a block's peak stays near its result (same draws, same arithmetic).
    r = np.repeat(np.arange(len(am_c)), k)
    del k
    n_rows = len(r)
    lo = am_lo[r]
    day = rng.random(n_rows)
    width = am_hi[r]
    width -= lo
    day *= width  # floor(u * (hi - lo)) days into the month's active part
    del width
    day = np.floor(day, out=day).astype(np.int64)
    day += lo
    del lo
    c = am_c[r]
    del r, am_c, am_lo, am_hi
    users = np.minimum(acc["seats"].to_numpy()[c], MAX_USERS)
    power = e_acc[c]
    np.negative(power, out=power)
    np.exp(power, out=power)
    power += 1  # 1 + exp(-e): a few power users
    user = rng.random(n_rows)
    np.power(user, power, out=user)
    del power
    user *= users
    del users
    user = np.floor(user, out=user).astype(np.int64)
    # A row's feature: drawn by overall share, kept only if the account uses that feature (by that day),
    # otherwise the visit was to the dashboard.
    feature = rng.choice(len(FEATURES), size=n_rows, p=ROW_SHARE).astype(np.int64, copy=False)
    ok = adopted[c, feature]
    signup = acc["signup_day"].to_numpy()
    for f, milestone in GATED_BY.items():
        rows = feature == f
        ok[rows] = day[rows] >= signup[c[rows]] + np.nan_to_num(milestone_days[c[rows], milestone], nan=np.inf)
    del rows
    feature[~ok] = 0
    del ok
    extra = rng.random(n_rows)
    extra *= 10
    extra *= 3600
    extra = np.floor(extra, out=extra).astype(np.int64)
    seconds = day
    del day
    seconds *= 86400
    seconds += 8 * 3600
    seconds += extra
    del extra
    quantity = e_acc[c]
    quantity *= 0.3
    np.exp(quantity, out=quantity)
    quantity *= 2.0
    quantity = rng.poisson(quantity)
    quantity += 1
    order = np.lexsort((feature, user, seconds, c))
    c = c[order]
    user = user[order]
    seconds = seconds[order]
    feature = feature[order]
    quantity = quantity[order]
    del order
    names = acc["customer_id"].to_numpy()
    customer_id = names[c]
    # Build each user's id once and share it across that user's rows: at a million accounts
    # the per-row strings would otherwise cost several GB. Pairs (account, user) numbered c * 32 + user,
    # in order, as np.unique would give them.
    key = c
    del c
    key *= 32
    key += user
    del user
    seen = np.zeros(n * 32, dtype=bool)
    seen[key] = True
    pairs = np.flatnonzero(seen)
    rank = np.cumsum(seen) - 1
    del seen
    row_pair = rank[key]
    del rank, key
    user_id = user_names(names[pairs // 32], pairs % 32)[row_pair]
    del row_pair, pairs
    timestamp = cal.instants(seconds)
    del seconds
    event = FEATURES[feature]
    del feature
    quantity = pd.array(quantity, dtype="Int64")
    # copy=False: the frame holds these arrays as they are (one per column, not copied into 2-D blocks).
    return pd.DataFrame({"customer_id": customer_id, "user_id": user_id, "timestamp": timestamp,
                         "event": event, "quantity": quantity}, copy=False)


_USER_SUFFIX = np.array([f"-U{u:02d}" for u in range(MAX_USERS)], dtype=object)


def user_names(customer_id: np.ndarray, user: np.ndarray) -> np.ndarray:
    """``<customer_id>-U07``: user ``7`` of an account, unique across the data set.

    >>> user_names(np.array(["C0000001", "C0000002"], dtype=object), np.array([7, 24])).tolist()
    ['C0000001-U07', 'C0000002-U24']
    """
    customer_id, user = np.asarray(customer_id, dtype=object), np.asarray(user)
    if len(user) and (user.min() < 0 or user.max() >= MAX_USERS):
        raise ValueError(f"user numbers go from 0 to {MAX_USERS - 1}, not {user.min()} to {user.max()}.")
    return customer_id + _USER_SUFFIX[user]  # one new str per name, no intermediate strings
