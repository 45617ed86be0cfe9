"""Customer lifetime value, simple forms: the teaching formula and the SaaS formula.

The statistical models (sBG, BG/NBD + Gamma-Gamma, survival-curve CLV) live
in :mod:`csm_kit.models`; these two are what most teams start with, and each
states what it assumes.

- Teaching form: ``CLV = average purchase value x purchase frequency x lifespan``.
  $100 a purchase, twice a month, for 36 months: 100 x 2 x 36 = $7,200.
- SaaS form: ``LTV = ARPA x gross margin / monthly churn``. ARPA $100, margin
  100%, churn 5% a month: 100 / 0.05 = $2,000. ``1 / churn`` is the expected
  lifetime in months when churn is constant; with no churn there is no finite
  answer, and the kit says so instead of dividing by zero.

Both are compared with acquisition cost (CAC): CLV:CAC (a common rule of
thumb wants 3 or more; it is a convention, not a law) and payback months
(CAC / monthly gross profit per customer).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import to_month
from .retention import churn_rates, customer_groups
from .revenue import mrr

#: CLV:CAC at or above this is called healthy (a rule of thumb, not a law).
HEALTHY_CLV_TO_CAC = 3.0


@dataclass(frozen=True)
class SimpleCLV:
    """Result of :func:`simple_clv`."""

    clv: float
    average_purchase_value: float
    purchase_frequency: float
    lifespan: float
    acquisition_cost: float | None
    clv_to_cac: float | None
    verdict: str
    convention: str = "CLV = average purchase value x purchase frequency x lifespan (same time unit)"

    def __str__(self) -> str:
        ratio = "" if self.clv_to_cac is None else f", CLV:CAC {self.clv_to_cac:.1f} ({self.verdict})"
        return f"CLV {self.clv:,.2f}{ratio}"


def _verdict(ratio: float | None) -> str:
    if ratio is None or not np.isfinite(ratio):
        return "no acquisition cost given"
    if ratio < 1:
        return "loses money: costs more to win than the customer is worth"
    if ratio < HEALTHY_CLV_TO_CAC:
        return f"poor: below the {HEALTHY_CLV_TO_CAC:g}:1 rule of thumb"
    return f"healthy: at or above the {HEALTHY_CLV_TO_CAC:g}:1 rule of thumb"


def simple_clv(average_purchase_value: float, purchase_frequency: float, lifespan: float, *,
               acquisition_cost: float | None = None) -> SimpleCLV:
    """The teaching formula: average purchase value x purchase frequency x lifespan.

    ``purchase_frequency`` and ``lifespan`` must use the same time unit
    (purchases per month and months, say). With an acquisition cost, the
    result also gives CLV:CAC and a plain-words verdict.

    Parameters
    ----------
    average_purchase_value : float
        Total purchase revenue / number of purchases.
    purchase_frequency : float
        Purchases per customer per time unit.
    lifespan : float
        Expected customer lifetime in the same time unit.
    acquisition_cost : float, optional
        Cost of winning one customer (CAC).

    Returns
    -------
    SimpleCLV

    Examples
    --------
    >>> simple_clv(100, 2, 36).clv
    7200.0
    >>> r = simple_clv(100, 1, 12, acquisition_cost=1000)
    >>> r.clv, r.clv_to_cac, r.verdict
    (1200.0, 1.2, 'poor: below the 3:1 rule of thumb')
    """
    for name, value in (("average_purchase_value", average_purchase_value),
                        ("purchase_frequency", purchase_frequency), ("lifespan", lifespan)):
        if value is None or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, not {value!r}.")
    if acquisition_cost is not None and (not np.isfinite(acquisition_cost) or acquisition_cost < 0):
        raise ValueError(f"acquisition_cost must be a non-negative number, not {acquisition_cost!r}.")
    clv = float(average_purchase_value) * float(purchase_frequency) * float(lifespan)
    ratio = None if not acquisition_cost else clv / float(acquisition_cost)
    return SimpleCLV(clv, float(average_purchase_value), float(purchase_frequency), float(lifespan),
                     None if acquisition_cost is None else float(acquisition_cost), ratio, _verdict(ratio))


@dataclass(frozen=True)
class SaasLTV:
    """Result of :func:`saas_ltv`. ``ltv`` is NaN when undefined, with the ``reason``."""

    ltv: float
    arpa: float
    gross_margin: float
    monthly_churn: float
    expected_lifetime_months: float
    reason: str
    convention: str = "LTV = ARPA x gross margin / monthly logo churn"


def saas_ltv(arpa: float, *, churn: float, gross_margin: float = 1.0) -> SaasLTV:
    """SaaS lifetime value: ``ARPA x gross margin / monthly churn``.

    Assumes a constant monthly churn rate, so the expected lifetime is
    ``1 / churn`` months. With zero churn the formula has no finite answer:
    ``ltv`` is NaN and ``reason`` says why (never a division by zero).

    Parameters
    ----------
    arpa : float
        Average revenue per account per month.
    churn : float
        Monthly logo churn rate as a fraction (0.05 = 5%), ideally smoothed
        over a few months (see :func:`saas_ltv_by_month`).
    gross_margin : float
        Fraction of revenue left after the cost of serving it (default 1).

    Examples
    --------
    >>> saas_ltv(100, churn=0.05).ltv
    2000.0
    >>> saas_ltv(100, churn=0.05, gross_margin=0.8).ltv
    1600.0
    >>> saas_ltv(100, churn=0.0).reason
    'undefined: no churn in the window, so the formula gives no finite lifetime'
    """
    if not 0 <= gross_margin <= 1:
        raise ValueError(f"gross_margin is a fraction between 0 and 1, not {gross_margin!r}.")
    if churn is None or not np.isfinite(churn) or not 0 <= churn <= 1:
        return SaasLTV(np.nan, arpa, gross_margin, np.nan if churn is None else churn, np.nan,
                       "undefined: churn rate is missing or not a fraction")
    if churn == 0:
        return SaasLTV(np.nan, arpa, gross_margin, 0.0, np.inf,
                       "undefined: no churn in the window, so the formula gives no finite lifetime")
    return SaasLTV(arpa * gross_margin / churn, arpa, gross_margin, churn, 1 / churn, "")


def saas_ltv_by_month(data, *, start=None, end, gross_margin: float = 1.0, window: int = 3,
                      convention: str = "start", by: str | None = None) -> pd.DataFrame:
    """SaaS LTV per month (and group) from a Dataset, with churn smoothed over ``window`` months.

    ``ltv = arpa x gross_margin / smoothed_churn`` where ``smoothed_churn`` is
    churned / denominator summed over the trailing ``window`` months (a pooled
    rate, so a quiet month does not swing it), under the logo-churn
    ``convention`` (default ``"start"``: the expected-lifetime reading of
    ``1 / churn`` needs the share of *starting* customers lost).

    Returns one row per month: ``month``, [group], ``arpa``,
    ``smoothed_churn``, ``expected_lifetime_months``, ``ltv``, ``reason``.
    """
    end = to_month(end)
    rates = churn_rates(data, start=None if start is None else to_month(start) - (window - 1), end=end,
                        convention=convention, by=by)
    keys = [by] if by else []
    rates = rates.sort_values(keys + ["month"], kind="mergesort")
    grouped = rates.groupby(keys, sort=False) if keys else rates
    roll = lambda col: (grouped[col].rolling(window, min_periods=window).sum().reset_index(level=0, drop=True)
                        if keys else rates[col].rolling(window, min_periods=window).sum())
    rates["smoothed_churn"] = roll("numerator") / roll("denominator").where(roll("denominator") > 0)
    revenue = mrr(data, start=rates["month"].min(), end=end, by=by)
    out = revenue.merge(rates[["month", *keys, "smoothed_churn"]], on=["month", *keys], how="left")
    if start is not None:
        out = out[out["month"] >= to_month(start)]
    results = [saas_ltv(a if np.isfinite(a) else 0.0, churn=c, gross_margin=gross_margin)
               for a, c in zip(out["arpa"].to_numpy(), out["smoothed_churn"].to_numpy())]  # one per month: small
    out["expected_lifetime_months"] = [r.expected_lifetime_months for r in results]
    out["ltv"] = np.where(out["arpa"].notna(), [r.ltv for r in results], np.nan)
    out["reason"] = [r.reason if np.isfinite(a) else "undefined: no paying customers"
                     for r, a in zip(results, out["arpa"].to_numpy())]
    return out[["month", *keys, "arpa", "smoothed_churn", "expected_lifetime_months", "ltv", "reason"]].reset_index(drop=True)


def simple_clv_by_segment(data, *, month, window: int = 12, gross_margin: float = 1.0,
                          by: str = "segment") -> pd.DataFrame:
    """The teaching formula per segment, from subscriptions, with CLV:CAC and payback.

    For subscription revenue one "purchase" is one month of service, so:

    - ``average_purchase_value`` = ARPA at the end of ``month``;
    - ``purchase_frequency`` = 1 per month;
    - ``lifespan`` = 1 / monthly logo churn pooled over the trailing
      ``window`` months (start-of-period convention); infinite without churn.
    - ``clv = ARPA x gross_margin x lifespan``.
    - ``cac`` = mean ``customers.acquisition_cost`` of the segment's customers
      who signed up in the window; ``payback_months = cac / (ARPA x gross_margin)``.

    Returns one row per segment: ``segment, paying_customers, arpa,
    monthly_churn, lifespan_months, clv, cac, clv_to_cac, payback_months, verdict``.
    """
    data.require("subscriptions", "customers", by="simple_clv_by_segment")
    month = to_month(month)
    rates = churn_rates(data, start=month - (window - 1), end=month, convention="start", by=by)
    pooled = rates.groupby(by)[["numerator", "denominator"]].sum()
    churn = pooled["numerator"] / pooled["denominator"].where(pooled["denominator"] > 0)
    revenue = mrr(data, start=month, end=month, by=by).set_index(by)
    out = revenue[["paying_customers", "arpa"]].join(churn.rename("monthly_churn"), how="outer")
    out["lifespan_months"] = 1 / out["monthly_churn"]
    out["clv"] = out["arpa"] * gross_margin * out["lifespan_months"]
    customers = data.customers
    if "acquisition_cost" in customers.columns:
        signed = customers["signup_date"].dt.to_period("M").between(month - (window - 1), month)
        labels = customer_groups(data, by, pd.Index(customers["customer_id"])).to_numpy()
        cac = customers.loc[signed, "acquisition_cost"].groupby(labels[signed.to_numpy()]).mean()
        out["cac"] = cac.reindex(out.index)
    else:
        out["cac"] = np.nan
    out["clv_to_cac"] = out["clv"] / out["cac"].where(out["cac"] > 0)
    out["payback_months"] = out["cac"] / (out["arpa"] * gross_margin)
    out["verdict"] = [_verdict(r if np.isfinite(r) else None) for r in out["clv_to_cac"].to_numpy()]
    return out.reset_index().rename(columns={"index": by})
