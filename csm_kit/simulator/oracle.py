"""The oracle: churn probabilities from the simulator's hidden truth, the ceiling models are judged against.

For an account paying on ``as_of`` with true monthly hazard ``h``
(``Dataset.truth``), the simulator lets it leave only at renewals, each with
probability ``1 - (1 - h)^m`` for a term of ``m`` months. So the probability
that its paid spell ends in ``(as_of, as_of + horizon_days]`` is::

    P = 1 - (1 - h) ** exposure_months

where ``exposure_months`` is the months of contract renewing in the window
(:func:`csm_kit.models.risk_features.renewal_schedule`: 2 or 3 for a monthly
account over 90 days, 12 for an annual account whose renewal falls in them, 0
mid-term). An account that gave up in its first weeks (``early_dropout``)
and is still in its first spell has ``P = 1``. Nothing in the kit's metrics or
models reads the truth; only this oracle, the benchmarks and the tests do.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.risk_features import current_terms, renewal_schedule
from ..periods import as_of_day


def oracle_churn_probability(data, *, as_of, horizon_days: int = 90) -> pd.DataFrame:
    """True probability that each account paying on ``as_of`` churns within ``horizon_days``.

    Parameters
    ----------
    data : Dataset
        Simulated data with ``truth`` (:func:`csm_kit.simulate`).
    as_of : date
    horizon_days : int, default 90

    Returns
    -------
    DataFrame
        ``customer_id, monthly_hazard, exposure_months, p_churn``, one row per paying account.

    Examples
    --------
    >>> from csm_kit.simulator import simulate
    >>> o = oracle_churn_probability(simulate(n_customers=200, months=12, seed=2), as_of="2024-08-31")
    >>> bool(o["p_churn"].between(0, 1).all()), bool((o.loc[o["exposure_months"] == 0, "p_churn"] == 0).all())
    (True, True)
    """
    if data.truth is None:
        raise ValueError("oracle_churn_probability needs simulated data with its truth (csm_kit.simulate).")
    day = as_of_day(as_of)
    terms = current_terms(data.subscriptions, day)
    sched = renewal_schedule(terms["anchor"], terms["billing_period"].to_numpy(), day, int(horizon_days))
    truth = data.truth.set_index("customer_id").reindex(terms.index)
    h = truth["monthly_hazard"].to_numpy(dtype=float)
    exposure = sched["exposure_months"].to_numpy(dtype=float)
    p = 1 - (1 - h) ** exposure
    tenure = (day - terms["spell_start"]).dt.days.to_numpy()
    dropout = truth["early_dropout"].to_numpy(dtype=bool) & (terms["spell"].to_numpy() == 1) & (tenure < 30)
    p = np.where(dropout, 1.0, p)
    return pd.DataFrame({"customer_id": terms.index.to_numpy(), "monthly_hazard": h,
                         "exposure_months": exposure, "p_churn": p})
