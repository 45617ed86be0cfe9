"""A seeded simulator of a SaaS company's customer-success data.

``simulate(n_customers, start, months, seed)`` returns a :class:`~csm_kit.Dataset`
with every table of the contract, generated from hidden account traits so
that the tables hang together the way real ones do:

- accounts sign up over the window (3% more each month) in three segments
  with different prices, seat counts and billing mixes (monthly, quarterly,
  annual), some with recurring discounts and a few on a free plan; each
  has an acquisition channel and cost;
- each account has hidden *engagement* and *satisfaction* (standard normal,
  correlation 0.45) and *support pain* (log-normal, sd 0.6). They show in
  the tables: engagement in usage (days, users, features adopted) and
  onboarding speed, satisfaction in survey scores, support pain in ticket
  counts;
- with onboarding, they drive churn (the truth models are checked against,
  also in :data:`TRUE_CHURN_DRIVERS`). The monthly churn hazard is::

      h = base[segment] * exp(- 0.45 * engagement
                              - 0.40 * satisfaction
                              + 0.70 * not_onboarded
                              + 0.50 * log(support_pain))

  with base 3.0% (smb), 1.6% (mid_market), 0.8% (enterprise), capped at
  60%; ``not_onboarded`` is 1 when the three required milestones were not
  all reached within 90 days of signup. Monthly billers can leave at any
  monthly anniversary; quarterly and annual billers only at renewal, with
  the hazard accumulated over the term (``1 - (1 - h)**12`` for a year);
- about 3% of monthly accounts (more when disengaged) give up in their first
  weeks, so some join and churn in the same month; 18% of churned accounts
  come back two or more months later on a monthly plan (reactivations);
- seats change at anniversaries (renewals for longer terms; the old row
  ends and a new one starts the same day), engaged accounts mostly
  expanding; some larger accounts add a monthly add-on; ended subscriptions
  carry a cancel reason that follows the traits (70% of them);
- users use features daily (fading over the three months before churn),
  answer NPS, CSAT and CES surveys with comments whose tone follows the
  score, open tickets, reach onboarding milestones, and buy one-off services.

Everything is drawn with one ``numpy.random.Generator`` in a fixed order and
vectorised over accounts (loops run over months, survey waves or a handful
of features only), so the same seed gives the same tables, byte for byte
once written. Big companies are drawn in blocks of 100,000 accounts and can be
streamed to Parquet block by block (:mod:`csm_kit.simulator.scale`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..dataset import Dataset
from .accounts import customers_table, draw_accounts
from .calendar import Calendar, ids
from .feedback import surveys_tables
from .onboarding import MILESTONES, draw_onboarding, onboarded_within, onboarding_table
from .purchases import transactions_table
from .subscriptions import TRUE_CHURN_DRIVERS, draw_spells, monthly_hazard, subscriptions_table
from .support import tickets_frame, tickets_table
from .usage import usage_table

__all__ = ["simulate", "TRUE_CHURN_DRIVERS"]


def simulate(n_customers: int = 2000, start="2023-11", months: int = 36, seed: int = 0, *,
             usage_intensity: float = 5.0) -> Dataset:
    """Simulate a SaaS company's customer-success data.

    Parameters
    ----------
    n_customers : int
        Accounts that sign up during the window.
    start : str
        First month, ``YYYY-MM``.
    months : int
        Length of the window; the data ends on the last day of its last month.
    seed : int
        Random seed: the same seed gives the same data.
    usage_intensity : float
        About how many usage rows (user x day x feature, with a count) a paying
        account has per month; 0 leaves usage out.

    Returns
    -------
    Dataset
        All nine contract tables, and the hidden traits in ``Dataset.truth``
        (:func:`truth_table`; not a contract table, never written by ``to_dir``).

    Notes
    -----
    Above 100,000 accounts the company is drawn in blocks of that size, each
    with its own generator (:mod:`csm_kit.simulator.scale`);
    :func:`~csm_kit.simulator.scale.write_parquet` streams the same data to
    Parquet in the memory of one block (10M accounts on a 24 GiB machine).

    Examples
    --------
    >>> ds = simulate(n_customers=50, start="2026-01", months=6, seed=1)
    >>> len(ds.customers), ds.subscriptions["start_date"].min() >= pd.Timestamp("2026-01-01")
    (50, True)
    """
    if n_customers < 1 or months < 1:
        raise ValueError(f"n_customers and months must be at least 1, not {n_customers!r} and {months!r}.")
    if not usage_intensity >= 0:
        raise ValueError(f"usage_intensity must be 0 or more, not {usage_intensity!r}.")
    from .scale import simulate_blocks

    source = f"simulate(n_customers={n_customers}, start={start!r}, months={months}, seed={seed})"
    return Dataset(**simulate_blocks(n_customers, start, months, seed, usage_intensity), source=source)


def simulate_block(rng: np.random.Generator, cal: Calendar, n_customers: int, usage_intensity: float,
                   first_customer: int = 1, first_ids: dict[str, int] | None = None) -> dict[str, pd.DataFrame]:
    """One block of accounts (``C<first_customer>``...): every table and the truth, as a dict.

    :func:`simulate` is one block for up to :data:`~csm_kit.simulator.scale.BLOCK_CUSTOMERS`
    accounts, and those blocks side by side above it (:mod:`csm_kit.simulator.scale`).
    ``first_ids`` gives the first number of the block's other ids by prefix (``S``
    subscriptions, ``P`` transactions, ``T`` tickets, ``E`` survey sends, ``R`` survey
    responses; 1 when not given), so that a block's ids follow on from the blocks
    before it and the ids a table repeats from another (``surveys.ticket_id``,
    ``surveys.send_id``) are the same string objects, not copies.
    """
    first = {"S": 1, "P": 1, "T": 1, "E": 1, "R": 1, **(first_ids or {})}
    acc = draw_accounts(rng, n_customers, cal)
    if first_customer != 1:
        acc["customer_id"] = ids("C", n_customers, start=first_customer)
    milestone_days = draw_onboarding(rng, acc)
    onboarded = onboarded_within(milestone_days, TRUE_CHURN_DRIVERS["onboarded_within_days"])
    hazard = monthly_hazard(acc, onboarded)
    spells = draw_spells(rng, acc, hazard, cal)
    subscriptions = subscriptions_table(rng, acc, spells, cal, first_id=first["S"])
    usage = usage_table(rng, acc, spells, cal, usage_intensity, milestone_days)
    tickets = tickets_frame(rng, acc, spells, cal, first_id=first["T"])
    surveys, sends, ticket_csat = surveys_tables(rng, acc, spells, cal, onboarded, tickets,
                                                 first_send=first["E"], first_response=first["R"])
    return dict(
        customers=customers_table(acc, cal),
        subscriptions=subscriptions,
        transactions=transactions_table(rng, acc, spells, cal, first_id=first["P"]),
        usage_events=usage,
        surveys=surveys,
        survey_sends=sends,
        tickets=tickets_table(acc, tickets, cal, ticket_csat),
        onboarding=onboarding_table(acc, milestone_days, cal),
        milestones=MILESTONES.copy(),
        truth=truth_table(acc, hazard, onboarded, spells),
    )


def truth_table(acc: pd.DataFrame, hazard: np.ndarray, onboarded: np.ndarray, spells: pd.DataFrame) -> pd.DataFrame:
    """The hidden traits behind each account (``Dataset.truth``), for checking models against.

    One row per account: ``customer_id``; ``monthly_hazard`` (the true monthly
    churn hazard ``h`` above: a monthly biller leaves at each monthly anniversary
    with probability ``h``, a quarterly or annual one at renewal with
    ``1 - (1 - h)**3`` or ``1 - (1 - h)**12``; a returning account pays monthly
    with the same ``h``); ``engagement``, ``satisfaction`` (standard normal),
    ``support_pain`` (log-normal ticket-rate multiplier), ``onboarded``
    (required milestones within 90 days), and ``early_dropout`` (the account gave
    up in its first weeks, whatever its hazard). No metric or model of the kit
    reads it: it is what they are judged against.
    """
    return pd.DataFrame({
        "customer_id": acc["customer_id"].to_numpy(),
        "monthly_hazard": np.asarray(hazard, dtype=float),
        "engagement": acc["engagement"].to_numpy(dtype=float),
        "satisfaction": acc["satisfaction"].to_numpy(dtype=float),
        "support_pain": acc["support_pain"].to_numpy(dtype=float),
        "onboarded": np.asarray(onboarded, dtype=bool),
        "early_dropout": spells["flop"].to_numpy(dtype=bool),
    })
