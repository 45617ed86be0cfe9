"""A CSM's book of business: each owner's accounts, MRR, health mix, renewals due and MRR at risk.

Definitions (on ``as_of``, what is known that day only)
-------------------------------------------------------
- *accounts*: customers paying on ``as_of`` (their subscriptions' MRR that
  day > 0, :func:`~csm_kit.metrics.renewals.paying_subscriptions`); *mrr*:
  their MRR summed.
- *health mix*: accounts per health band (``red``, ``yellow``, ``green``) of
  :func:`~csm_kit.metrics.health.health_scores` at ``as_of``, and accounts
  without a score (``no_band``).
- *renewals due*: subscriptions renewing in ``(as_of, as_of + within_days]``
  (:func:`~csm_kit.metrics.renewals.renewals`, its calendar and its rule
  that monthly plans without a term are not listed), and their ARR.
- *MRR at risk*: the churn-risk engine's expected MRR lost within
  ``within_days``, ``sum of p_churn x mrr`` over the owner's accounts
  (:class:`csm_kit.models.risk.ChurnRisk`, as on the risk page).

Accounts without an owner (an empty ``customers.owner``, or no such
column) are grouped as ``"(no owner)"``, listed last, and the notes say how
many (grouping by another column: ``"(no <column>)"``). What cannot be computed (health without usage data, risk without
history, renewals on a snapshot) is left empty (NaN), with the reason in
``attrs["notes"]``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..periods import as_of_day
from .renewals import account_health, paying_subscriptions, renewals

NO_OWNER = "(no owner)"
BANDS = ("red", "yellow", "green")


def portfolio(ds, *, as_of, by: str = "owner", within_days: int = 90, health=True, risk=True) -> pd.DataFrame:
    """Each owner's (CSM's) book of business on ``as_of``: accounts, MRR, health mix, renewals due, MRR at risk.

    Definitions: module docstring. ``mrr_at_risk = sum of p_churn x mrr``
    over the group's accounts; ``renewal_arr`` = ARR of the subscriptions
    renewing in ``(as_of, as_of + within_days]``.

    Parameters
    ----------
    ds : Dataset
        With ``customers`` and ``subscriptions``.
    as_of : date
        A month means its last day.
    by : str, default "owner"
        The customers column to group by (``"segment"``, ``"region"``...).
    within_days : int, default 90
        The renewal window and the risk horizon.
    health, risk : bool or DataFrame
        As :func:`~csm_kit.metrics.renewals.account_health`.

    Returns
    -------
    DataFrame
        One row per group, largest MRR first and ``"(no owner)"`` last:
        ``<by>, accounts, mrr, red, yellow, green, no_band, renewals_due,
        renewal_arr, mrr_at_risk``. ``attrs``: ``as_of``, ``within_days``,
        ``notes``.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "owner": ["Ann", None, "Ann"],
    ...     "signup_date": pd.to_datetime(["2025-01-01"] * 3)})
    >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2", "s3"], "customer_id": ["a", "b", "c"],
    ...     "plan": "pro", "start_date": pd.to_datetime(["2025-12-15", "2026-01-01", "2026-03-01"]),
    ...     "end_date": pd.NaT, "billing_period": ["year", "month", "month"], "amount": [1200.0, 50.0, 30.0]})
    >>> book = portfolio(Dataset(customers=customers, subscriptions=subs), as_of="2026-10-31",
    ...                  health=False, risk=False)
    >>> book[["owner", "accounts", "mrr", "renewals_due", "renewal_arr"]]
            owner  accounts    mrr  renewals_due  renewal_arr
    0         Ann         2  130.0             1       1200.0
    1  (no owner)         1   50.0             0          0.0
    """
    day = as_of_day(as_of)
    within = whole_number(within_days, "within_days", unit="days")
    ds.require("customers", "subscriptions", by="portfolio")
    customers = ds.customers
    notes = []
    missing_label = NO_OWNER if by == "owner" else f"(no {by})"
    if by not in customers.columns:
        if by != "owner":
            raise ValueError(f"portfolio: by={by!r} is not a customers column; it has {list(customers.columns)}.")
        notes.append("The customers table has no owner column: every account is in (no owner).")
        groups = pd.Series(NO_OWNER, index=customers["customer_id"])
    else:
        groups = customers.set_index("customer_id")[by]
    live = paying_subscriptions(ds, as_of=day, fn="portfolio")
    mrr = live.groupby("customer_id")["mrr"].sum()
    acc = pd.DataFrame({"mrr": mrr})
    label = groups.reindex(acc.index)
    missing = label.isna()
    if missing.any() and by in customers.columns:
        notes.append(f"{int(missing.sum()):,} paying account{'s' if missing.sum() != 1 else ''} "
                     f"{'have' if missing.sum() != 1 else 'has'} no {by}: grouped as {missing_label}.")
    acc[by] = label.astype(object).where(~missing, missing_label)

    scores, health_notes = account_health(ds, as_of=day, health=health, risk=risk, horizon_days=within)
    notes += health_notes
    has_band = "health_band" in scores.columns
    band = scores["health_band"].reindex(acc.index) if has_band else pd.Series(None, index=acc.index, dtype=object)
    for b in BANDS:
        acc[b] = (band == b).astype(int)
    acc["no_band"] = (~band.isin(BANDS)).astype(int)
    if "p_churn" in scores.columns:
        acc["mrr_at_risk"] = scores["p_churn"].reindex(acc.index).astype(float) * acc["mrr"]
    g = acc.groupby(by, sort=False)
    out = pd.DataFrame({"accounts": g.size(), "mrr": g["mrr"].sum()})
    for b in (*BANDS, "no_band"):
        out[b] = g[b].sum() if has_band or b == "no_band" else np.nan
    if not has_band:
        out[list(BANDS)] = np.nan

    if getattr(ds, "snapshot", False):
        out["renewals_due"] = np.nan
        out["renewal_arr"] = np.nan
        notes.append("Renewals are not available from a snapshot data set (its start dates are counted back "
                     "from one day, so they carry no renewal dates).")
    else:
        due = renewals(ds, as_of=day, within_days=within, health=False, risk=False)
        due_group = groups.reindex(due["customer_id"]).astype(object)
        due = due.assign(_group=due_group.where(due_group.notna(), missing_label).to_numpy())
        dg = due.groupby("_group")
        out["renewals_due"] = dg.size().reindex(out.index, fill_value=0).astype(int)
        out["renewal_arr"] = dg["arr"].sum().reindex(out.index, fill_value=0.0)
    if "mrr_at_risk" in acc.columns:
        out["mrr_at_risk"] = g["mrr_at_risk"].sum(min_count=1)
    else:
        out["mrr_at_risk"] = np.nan
    out = out.reset_index().rename(columns={"index": by})
    out = out.assign(_last=out[by].eq(missing_label)).sort_values(["_last", "mrr", by], ascending=[True, False, True],
                                                             kind="mergesort").drop(columns="_last")
    out = out[[by, "accounts", "mrr", *BANDS, "no_band", "renewals_due", "renewal_arr", "mrr_at_risk"]]
    out = out.reset_index(drop=True)
    out.attrs.update({"as_of": day, "within_days": within, "notes": notes})
    return out
