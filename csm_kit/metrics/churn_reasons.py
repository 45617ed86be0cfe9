"""Why customers leave: stated cancel reasons with the MRR they took, and what leavers wrote before.

Conventions
-----------
- A **churn** is a customer who stops paying in a month, as counted by
  :func:`csm_kit.metrics.retention.churn_rates` (``churned`` = paying at the
  start and not at the end, plus joined and left inside the month); so the
  customers here add up to that month's ``churned``.
- Its **MRR lost** is its MRR at the end of the month before (what
  :func:`csm_kit.metrics.revenue.mrr_movements` counts as ``churn``); a
  customer who joined and left inside one month was in no month-end balance
  and loses 0. The month's MRR lost adds up to ``mrr_movements``' churn.
- Its **reason** is the ``cancel_reason`` of the subscriptions of that
  customer that ended in that month (the one with the largest MRR when they
  differ; ties: the first in the table). No reason recorded, or no
  ``cancel_reason`` column: :data:`NOT_RECORDED`.
- **Left vs stayed** (:func:`feedback_left_vs_stayed`): among customers paying
  at the start of a window, those who churned during it (*left*) and those
  paying at its end (*stayed*); their survey comments written in the window
  before they left (or before its end), tagged by
  :func:`csm_kit.metrics.feedback.feedback_themes`. Share = comments of the
  group mentioning the theme / comments of the group.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import months as month_range, to_month
from .coverage import check_months
from .feedback import OTHER, feedback_themes, theme_patterns
from .ledger import month_end_mrr, subscription_mrr
from .retention import customer_flows, customer_groups

__all__ = ["NOT_RECORDED", "churn_events", "cancel_reasons", "feedback_left_vs_stayed"]

#: The reason of a churn whose subscriptions carry no cancel_reason.
NOT_RECORDED = "(not recorded)"


def churn_events(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """One row per customer and month it churned, with the MRR it took and its stated reason.

    Parameters
    ----------
    data : Dataset
        Needs ``subscriptions`` (``cancel_reason`` optional); ``customers`` for ``by``.
    start, end : str or Period
        First and last month, inclusive (``start`` defaults to the first subscription's month).
    by : str, optional
        Adds the customer's group (``"segment"``, ``"plan"``, ``"billing_period"``...).

    Returns
    -------
    DataFrame
        ``customer_id``, ``month``, [``by``], ``kind`` (``"existing"``: paying at
        the start; ``"joined_and_left"``), ``mrr_lost``, ``reason``.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "start_date": pd.to_datetime(["2026-01-05", "2026-01-09", "2026-02-02"]),
    ...     "end_date": pd.to_datetime(["2026-02-10", None, "2026-02-20"]),
    ...     "billing_period": "month", "amount": [100.0, 50.0, 80.0],
    ...     "cancel_reason": ["price", None, None]})
    >>> churn_events(Dataset(subscriptions=subs), start="2026-02", end="2026-02")
      customer_id    month             kind  mrr_lost           reason
    0           a  2026-02         existing     100.0            price
    1           c  2026-02  joined_and_left       0.0  (not recorded)
    """
    data.require("subscriptions", by="churn_events")
    check_months(data, start, end, fn="churn_events", tables=["subscriptions"])
    subs = data.subscriptions
    flows = customer_flows(subs, start=start, end=end)
    months = flows["paying_end"].columns
    existing, joined = flows["churned_existing"].to_numpy(), flows["churned_joined"].to_numpy()
    rows, ks = np.nonzero(existing | joined)
    customers = flows["paying_end"].index
    before = month_end_mrr(subs, months[0] - 1, months[-1]).reindex(customers).to_numpy()[:, :-1]
    out = pd.DataFrame({"customer_id": customers.to_numpy()[rows], "month": months[ks],
                        "kind": np.where(existing[rows, ks], "existing", "joined_and_left"),
                        "mrr_lost": np.where(existing[rows, ks], before[rows, ks], 0.0)})
    if by:
        out.insert(2, by, customer_groups(data, by, customers).to_numpy()[rows])
    out["reason"] = _reasons(subs, out)
    return out.sort_values(["month", "customer_id"], kind="mergesort", ignore_index=True)


def _reasons(subs: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """The cancel_reason of each event's largest subscription ending in its month."""
    if "cancel_reason" not in subs.columns or events.empty:
        return np.full(len(events), NOT_RECORDED, dtype=object)
    ended = subs[subs["end_date"].notna()].assign(
        month=lambda d: d["end_date"].dt.to_period("M"), _mrr=lambda d: subscription_mrr(d),
        _row=lambda d: np.arange(len(d)))
    # [start_date, end_date) covers a month end only when end_date is after it: the churn month is end_date's.
    ended = ended.assign(_has=ended["cancel_reason"].notna())
    best = (ended.sort_values(["customer_id", "month", "_has", "_mrr", "_row"],
                              ascending=[True, True, False, False, True], kind="mergesort")
            .drop_duplicates(["customer_id", "month"]).set_index(["customer_id", "month"])["cancel_reason"])
    key = pd.MultiIndex.from_arrays([events["customer_id"], events["month"]])
    found = best.reindex(key).to_numpy(dtype=object)
    return np.where(pd.isna(found), NOT_RECORDED, found).astype(object)


def cancel_reasons(data, *, start=None, end, by: str | None = None) -> pd.DataFrame:
    """Churned customers and MRR lost per stated cancel reason, per month (and group).

    ``share_of_churned = customers / churned customers of the month (and group)``;
    ``share_of_mrr_lost = mrr_lost / MRR lost that month (and group)`` (NaN when
    nothing was lost). :data:`NOT_RECORDED` is a reason like the others, so
    the shares add up to 100%.

    Parameters
    ----------
    data : Dataset
    start, end : str or Period
        Months, inclusive.
    by : str, optional
        ``"segment"``, ``"plan"``, ``"billing_period"``... (see
        :func:`csm_kit.metrics.retention.customer_groups`).

    Returns
    -------
    DataFrame
        ``month``, [``by``], ``reason``, ``customers``, ``mrr_lost``,
        ``share_of_churned``, ``share_of_mrr_lost``; largest MRR lost first
        within each month. Months without churn have no rows.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "start_date": pd.to_datetime(["2026-01-05"] * 4),
    ...     "end_date": pd.to_datetime(["2026-02-10", "2026-02-11", "2026-02-12", None]),
    ...     "billing_period": "month", "amount": [100.0, 50.0, 30.0, 10.0],
    ...     "cancel_reason": ["price", "price", "not_using", None]})
    >>> cancel_reasons(Dataset(subscriptions=subs), start="2026-02", end="2026-02")
         month     reason  customers  mrr_lost  share_of_churned  share_of_mrr_lost
    0  2026-02      price          2     150.0          0.666667           0.833333
    1  2026-02  not_using          1      30.0          0.333333           0.166667
    """
    events = churn_events(data, start=start, end=end, by=by)
    keys = ["month"] + ([by] if by else [])
    out = (events.groupby([*keys, "reason"], observed=True, sort=False)
           .agg(customers=("customer_id", "size"), mrr_lost=("mrr_lost", "sum")).reset_index())
    totals = out.groupby(keys, observed=True)[["customers", "mrr_lost"]].transform("sum")
    out["share_of_churned"] = out["customers"] / totals["customers"]
    out["share_of_mrr_lost"] = out["mrr_lost"] / totals["mrr_lost"].where(totals["mrr_lost"] > 0)
    out = out.sort_values([*keys, "mrr_lost", "customers", "reason"],
                          ascending=[True] * len(keys) + [False, False, True],
                          kind="mergesort", ignore_index=True)
    return out[[*keys, "reason", "customers", "mrr_lost", "share_of_churned", "share_of_mrr_lost"]]


def feedback_left_vs_stayed(data, *, start, end, lexicon=None, extra_themes=None) -> pd.DataFrame:
    """Comment themes of customers who left during ``start..end`` against those who stayed.

    Customers paying at the start of ``start`` are split into *left* (churned
    in one of the months, counted as :func:`churn_events` counts them, joined
    and left excluded) and *stayed* (paying at the end of ``end``). Their
    survey comments (every survey and touchpoint) answered from the start of
    ``start`` to the end of ``end`` (for leavers, up to the end of the month
    they left) are tagged with :func:`~csm_kit.metrics.feedback.feedback_themes`.

    ``share = comments of the group mentioning the theme / comments of the group``;
    ``difference = share(left) - share(stayed)``: positive where leavers talk
    about the theme more.

    Parameters
    ----------
    data : Dataset
        Needs ``subscriptions`` and ``surveys``.
    start, end : str or Period
        The window, inclusive.
    lexicon, extra_themes : dict, optional
        As in :func:`~csm_kit.metrics.feedback.feedback_themes`.

    Returns
    -------
    DataFrame
        One row per theme (lexicon order, then ``other``): ``theme``,
        ``left_mentions``, ``left_comments``, ``left_share``,
        ``stayed_mentions``, ``stayed_comments``, ``stayed_share``, ``difference``.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2025-12-01"] * 2),
    ...     "end_date": pd.to_datetime(["2026-02-10", None]), "billing_period": "month", "amount": 10.0})
    >>> surveys = pd.DataFrame({"customer_id": ["a", "b", "b"], "survey": "nps", "score": [3.0, 9.0, 9.0],
    ...     "touchpoint": "relationship", "comment": ["Too expensive", "Great reports", None],
    ...     "responded_at": pd.to_datetime(["2026-01-15", "2026-01-20", "2026-03-31"])})
    >>> f = feedback_left_vs_stayed(Dataset(subscriptions=subs, surveys=surveys), start="2026-01", end="2026-03")
    >>> f.set_index("theme").loc[["pricing", "reporting"], ["left_share", "stayed_share", "difference"]]
               left_share  stayed_share  difference
    theme
    pricing           1.0           0.0         1.0
    reporting         0.0           1.0        -1.0
    """
    data.require("subscriptions", "surveys", by="feedback_left_vs_stayed")
    check_months(data, start, end, fn="feedback_left_vs_stayed", tables=["subscriptions"])
    start, end = to_month(start), to_month(end)
    flows = customer_flows(data.subscriptions, start=start, end=end)
    at_start = flows["paying_start"].iloc[:, 0]
    left_month = flows["churned_existing"].idxmax(axis=1).where(flows["churned_existing"].any(axis=1))
    left = left_month[at_start & left_month.notna()]
    stayed = at_start.index[at_start & flows["paying_end"].iloc[:, -1] & left_month.isna()]
    resp = data.surveys.assign(month=data.surveys["responded_at"].dt.to_period("M"))
    resp = resp[resp["month"].isin(month_range(start, end))]
    until = resp["customer_id"].map(left)
    is_left = until.notna() & (resp["month"] <= until)
    is_stayed = resp["customer_id"].isin(stayed)
    themes = [*theme_patterns(lexicon, extra_themes), OTHER]
    out = pd.DataFrame({"theme": themes})
    for name, mask in (("left", is_left), ("stayed", is_stayed)):
        part = resp[mask]
        tagged = (feedback_themes(part, lexicon=lexicon, extra_themes=extra_themes) if "comment" in part.columns
                  else pd.DataFrame(columns=themes))
        mentions = tagged[themes].sum().to_numpy() if len(tagged) else np.zeros(len(themes))
        out[f"{name}_mentions"] = mentions.astype("int64")
        out[f"{name}_comments"] = len(tagged)
        out[f"{name}_share"] = mentions / len(tagged) if len(tagged) else np.nan
    out["difference"] = out["left_share"] - out["stayed_share"]
    return out
