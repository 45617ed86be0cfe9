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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..arguments import whole_number
from ..contract import BILLING_PERIOD_MONTHS
from ..exceptions import DataValidationError
from ..periods import months as month_range, to_month
from .ledger import MICRO, month_end_micro, paid_spells
from .retention import first_subscription_month, churn_rates, customer_groups
from .revenue import sums_by_group, subscriptions_of, mrr

#: CLV:CAC at or above this is called healthy (a rule of thumb, not a law).
HEALTHY_CLV_TO_CAC = 3.0
_DAYS_PER_MONTH = 365.25 / 12


def _verdict(ratio) -> str:
    if ratio is None or not np.isfinite(ratio):
        return "no CLV:CAC (acquisition cost or CLV missing)"
    if ratio < 1:
        return "loses money: costs more to win than the customer is worth"
    if ratio < HEALTHY_CLV_TO_CAC:
        return f"poor: below the {HEALTHY_CLV_TO_CAC:g}:1 rule of thumb"
    return f"healthy: at or above the {HEALTHY_CLV_TO_CAC:g}:1 rule of thumb"


def _check_fraction(name: str, value: float) -> None:
    if value is None or not np.isfinite(value) or not 0 <= value <= 1:
        raise ValueError(f"{name} is a fraction between 0 and 1 (0.8 = 80%), not {value!r}.")


# -- teaching formula -------------------------------------------------------------

@dataclass(frozen=True)
class SimpleCLV:
    """Result of :func:`simple_clv`: the value, its inputs, and how it compares with CAC."""

    clv: float
    average_purchase_value: float
    purchase_frequency: float
    lifespan: float
    time_unit: str
    gross_margin: float
    acquisition_cost: float | None
    clv_to_cac: float | None
    payback_months: float | None
    verdict: str
    convention: str = ("CLV = average purchase value x purchase frequency x lifespan x gross margin "
                       f"(frequency and lifespan in one time unit); CLV:CAC >= {HEALTHY_CLV_TO_CAC:g} "
                       "is a rule of thumb")

    @property
    def inputs(self) -> dict:
        """The inputs, as passed (for a report table)."""
        return {"average_purchase_value": self.average_purchase_value,
                "purchase_frequency": self.purchase_frequency, "lifespan": self.lifespan,
                "time_unit": self.time_unit, "gross_margin": self.gross_margin,
                "acquisition_cost": self.acquisition_cost}

    @property
    def healthy(self) -> bool | None:
        """CLV:CAC at or above the 3:1 rule of thumb (None without a CAC)."""
        return None if self.clv_to_cac is None else self.clv_to_cac >= HEALTHY_CLV_TO_CAC

    def __str__(self) -> str:
        ratio = "" if self.clv_to_cac is None else f", CLV:CAC {self.clv_to_cac:.1f} ({self.verdict})"
        return f"CLV {self.clv:,.2f}{ratio}"


def simple_clv(average_purchase_value: float, purchase_frequency: float, lifespan: float, *,
               acquisition_cost: float | None = None, gross_margin: float = 1.0,
               time_unit: str = "month") -> SimpleCLV:
    """The teaching formula: average purchase value x purchase frequency x lifespan.

    ``clv = average_purchase_value x purchase_frequency x lifespan x gross_margin``

    ``purchase_frequency`` (purchases per ``time_unit``) and ``lifespan`` (in
    ``time_unit``\\ s) must use the same unit. With the default gross margin
    of 1 this is revenue, as the formula is usually taught; pass a margin for
    profit. With an acquisition cost (CAC) the result also gives:

    - ``clv_to_cac = clv / acquisition_cost`` and a plain-words ``verdict``
      (below 1 loses money; a common rule of thumb wants 3 or more: a
      convention, not a law);
    - ``payback_months = acquisition_cost / (value per month x gross_margin)``,
      the months of gross profit needed to earn the CAC back (None when the
      customer brings in nothing).

    Parameters
    ----------
    average_purchase_value : float
        Total purchase revenue / number of purchases.
    purchase_frequency : float
        Purchases per customer per ``time_unit``.
    lifespan : float
        Expected customer lifetime, in ``time_unit``\\ s.
    acquisition_cost : float, optional
        Cost of winning one customer (CAC).
    gross_margin : float
        Fraction of revenue kept after the cost of serving it (default 1).
    time_unit : {"month", "week", "quarter", "year", "day"}
        Unit of ``purchase_frequency`` and ``lifespan`` (default month).

    Returns
    -------
    SimpleCLV
        ``clv``, the inputs (also as ``.inputs``), ``clv_to_cac``,
        ``payback_months``, ``verdict``, ``healthy``, ``convention``.

    Examples
    --------
    >>> simple_clv(100, 2, 36).clv
    7200.0
    >>> r = simple_clv(1200, 1, 1, acquisition_cost=1000)   # worth 1,200, costs 1,000
    >>> r.clv_to_cac, r.verdict
    (1.2, 'poor: below the 3:1 rule of thumb')
    >>> r.payback_months        # 1,000 / 1,200 a month
    0.833...
    """
    for name, value in (("average_purchase_value", average_purchase_value),
                        ("purchase_frequency", purchase_frequency), ("lifespan", lifespan)):
        if value is None or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, not {value!r}.")
    if acquisition_cost is not None and (not np.isfinite(acquisition_cost) or acquisition_cost < 0):
        raise ValueError(f"acquisition_cost must be a non-negative number, not {acquisition_cost!r}.")
    _check_fraction("gross_margin", gross_margin)
    if time_unit not in BILLING_PERIOD_MONTHS:
        raise ValueError(f"time_unit must be one of {list(BILLING_PERIOD_MONTHS)}, not {time_unit!r}.")
    apv, freq, life = float(average_purchase_value), float(purchase_frequency), float(lifespan)
    clv = apv * freq * life * gross_margin
    ratio = payback = None
    if acquisition_cost is not None:
        cac = float(acquisition_cost)
        ratio = clv / cac if cac > 0 else None
        monthly_profit = apv * freq / BILLING_PERIOD_MONTHS[time_unit] * gross_margin
        payback = cac / monthly_profit if monthly_profit > 0 else None
    return SimpleCLV(clv, apv, freq, life, time_unit, float(gross_margin),
                     None if acquisition_cost is None else float(acquisition_cost), ratio, payback, _verdict(ratio))


# -- SaaS formula ---------------------------------------------------------------------

@dataclass(frozen=True)
class SaasLTV:
    """Result of :func:`saas_ltv`. ``ltv`` is NaN when undefined, and ``reason`` says why."""

    ltv: float
    arpa: float
    gross_margin: float
    monthly_churn: float
    expected_lifetime_months: float
    reason: str
    month: pd.Period | None = None
    churn_window: tuple = field(default=())   # the monthly churn rates that were averaged
    convention: str = "LTV = ARPA x gross margin / monthly logo churn"
    churn_convention: str = ""                # the churn_rates convention of monthly_churn ("" when given)


_NO_CHURN = "undefined: no churn in the window, so the formula gives no finite lifetime"
_NO_RATE = "undefined: no customers at the start of any month in the churn window"
_NO_PAYING = "undefined: no paying customers at the month end"


def _ltv_parts(arpa, churn, gross_margin):
    """LTV, expected lifetime and reason, elementwise (arrays or scalars)."""
    arpa, churn = np.asarray(arpa, dtype=float), np.asarray(churn, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lifetime = np.where(churn > 0, 1.0 / churn, np.where(churn == 0, np.inf, np.nan))
        ltv = np.where(churn > 0, arpa * gross_margin / churn, np.nan)
    reason = np.where(np.isnan(arpa), _NO_PAYING,
                      np.where(np.isnan(churn), _NO_RATE, np.where(churn == 0, _NO_CHURN, "")))
    return ltv, lifetime, reason


def default_churn_convention() -> str:
    """The churn convention the churn page uses: ``csm_kit.metrics.retention``'s default.

    Read from ``retention.DEFAULT_CONVENTION`` when it exists, else from the
    default of :func:`~csm_kit.metrics.retention.churn_rates`, so that the
    LTV and the churn page can never silently use two conventions.

    >>> from csm_kit.metrics.retention import churn_rates
    >>> import inspect
    >>> default_churn_convention() == inspect.signature(churn_rates).parameters["convention"].default
    True
    """
    import inspect

    from . import retention

    return getattr(retention, "DEFAULT_CONVENTION",
                   inspect.signature(retention.churn_rates).parameters["convention"].default)


def saas_ltv(data_or_arpa, *, churn: float | None = None, gross_margin: float = 1.0, month=None,
             window: int = 3, convention: str | None = None, smoothing: str = "mean") -> SaasLTV:
    """SaaS lifetime value: ``LTV = ARPA x gross margin / monthly churn``.

    Assumes a constant monthly logo churn rate, so the expected lifetime is
    ``1 / churn`` months. With zero churn the formula has no finite answer:
    ``ltv`` is NaN and ``reason`` says why (never a division by zero).

    Two ways to call it:

    - teaching: ``saas_ltv(100, churn=0.05)`` with plain numbers;
    - reporting: ``saas_ltv(dataset, month="2026-06")``: ARPA at the end of
      the month (:func:`csm_kit.metrics.revenue.arpa`) and churn smoothed
      over the trailing ``window`` months of
      :func:`csm_kit.metrics.retention.churn_rates` (see
      :func:`saas_ltv_by_month` for the smoothing, and for one row per month
      or segment).

    The churn convention defaults to the churn page's
    (:func:`default_churn_convention`, the default of
    :func:`~csm_kit.metrics.retention.churn_rates`), so the LTV and the churn
    page quote one churn rate; the result names it (``churn_convention``).
    ``"start"`` (customers lost / customers at the start of the month) is the
    one whose ``1 / churn`` reads exactly as a lifetime of starting
    customers; ``"seeds"``, ``"start_plus_new"`` and ``"average"`` are
    accepted too.

    Parameters
    ----------
    data_or_arpa : float, Dataset or DataFrame
        ARPA per month, or the data (a Dataset with ``subscriptions``, or the
        subscriptions table).
    churn : float, optional
        Monthly logo churn as a fraction (0.05 = 5%). Required with a number;
        with data, overrides the measured churn.
    gross_margin : float
        Fraction of revenue kept after the cost of serving it (default 1).
    month : str or Period
        The reporting month (data form only).
    window : int
        Months of churn averaged, ending with ``month`` (default 3).
    convention : str, optional
        Logo-churn convention, as :func:`~csm_kit.metrics.retention.churn_rates`;
        default the churn page's (:func:`default_churn_convention`).
    smoothing : {"mean", "pooled"}
        ``"mean"`` of the monthly rates (default), or ``"pooled"``: churned /
        starting customers summed over the window.

    Returns
    -------
    SaasLTV
        ``ltv``, ``arpa``, ``gross_margin``, ``monthly_churn``,
        ``expected_lifetime_months``, ``reason`` ("" when defined) and, with
        data, ``month``, ``churn_window`` (the rates averaged) and
        ``churn_convention``.

    Examples
    --------
    >>> saas_ltv(100, churn=0.05).ltv
    2000.0
    >>> saas_ltv(100, churn=0.05, gross_margin=0.8).ltv
    1600.0
    >>> saas_ltv(100, churn=0.0).reason
    'undefined: no churn in the window, so the formula gives no finite lifetime'
    """
    _check_fraction("gross_margin", gross_margin)
    if churn is not None:
        _check_fraction("churn", churn)
    if isinstance(data_or_arpa, (int, float, np.integer, np.floating)):
        if churn is None:
            raise ValueError("saas_ltv(arpa, ...) needs churn= (monthly logo churn, 0.05 = 5%).")
        arpa = float(data_or_arpa)
        if not np.isfinite(arpa) or arpa < 0:
            raise ValueError(f"ARPA must be a non-negative number, not {data_or_arpa!r}.")
        ltv, lifetime, reason = _ltv_parts(arpa, churn, gross_margin)
        return SaasLTV(float(ltv), arpa, float(gross_margin), float(churn), float(lifetime), str(reason))
    if month is None:
        raise ValueError("saas_ltv(data, ...) needs month= (the reporting month, YYYY-MM).")
    month = to_month(month)
    convention = default_churn_convention() if convention is None else convention
    table = saas_ltv_by_month(data_or_arpa, start=month, end=month, gross_margin=gross_margin, window=window,
                              convention=convention, smoothing=smoothing)
    row = table.iloc[0]
    rates = churn_rates(data_or_arpa, start=month - (window - 1), end=month, convention=convention)
    monthly = float(row.smoothed_churn) if churn is None else float(churn)
    ltv, lifetime, reason = _ltv_parts(row.arpa, monthly, gross_margin)
    return SaasLTV(float(ltv), float(row.arpa), float(gross_margin), monthly, float(lifetime), str(reason),
                   month, tuple(rates["churn_rate"].tolist()),
                   f"LTV = ARPA x gross margin / monthly logo churn ({row.convention})", convention)


def saas_ltv_by_month(data, *, start=None, end, gross_margin: float = 1.0, window: int = 3,
                      convention: str | None = None, smoothing: str = "mean", by: str | None = None) -> pd.DataFrame:
    """SaaS LTV per month (and group), with logo churn smoothed over a trailing window.

    ``ltv = arpa x gross_margin / smoothed_churn``

    - ``arpa``: MRR / paying customers at the month end.
    - ``smoothed_churn``, over the ``window`` months ending with the month:
      ``"mean"`` (default) of the monthly rates that are defined (months with
      no customers at their start have no rate; ``churn_months`` counts the
      rates used), or ``"pooled"``: sum of churned / sum of starting customers
      (a quiet month then weighs less).
    - monthly rates from :func:`~csm_kit.metrics.retention.churn_rates` under
      ``convention`` (default the churn page's, :func:`default_churn_convention`).

    Undefined months get NaN and a ``reason``: no churn in the window (no
    finite lifetime), no churn rate at all, or nobody paying.

    Parameters
    ----------
    data : Dataset or DataFrame
        A Dataset with ``subscriptions`` (and ``customers`` for ``by``), or the
        subscriptions table.
    start, end : str or Period
        Months reported, inclusive (churn looks back ``window - 1`` months
        before ``start``).
    gross_margin : float
        Fraction of revenue kept (default 1).
    window : int
        Months of churn smoothed (default 3).
    convention : str
        Logo-churn convention (see :func:`~csm_kit.metrics.retention.churn_rates`).
    smoothing : {"mean", "pooled"}
    by : str, optional
        Group breakdown (``"segment"``, ...), as :func:`~csm_kit.metrics.revenue.mrr`.

    Returns
    -------
    DataFrame
        ``month``, [``by``], ``arpa``, ``gross_margin``, ``smoothed_churn``,
        ``churn_months``, ``expected_lifetime_months``, ``ltv``, ``reason``,
        ``convention``.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": list("abcdefghij"), "billing_period": "month", "amount": 100.0,
    ...     "start_date": pd.Timestamp("2026-01-01"), "end_date": pd.to_datetime(["2026-02-10"] + [None] * 9)})
    >>> saas_ltv_by_month(subs, start="2026-02", end="2026-02", window=1)[["arpa", "smoothed_churn", "ltv"]]
        arpa  smoothed_churn     ltv
    0  100.0             0.1  1000.0
    """
    _check_fraction("gross_margin", gross_margin)
    window = whole_number(window, "window", unit="months")
    if smoothing not in ("mean", "pooled"):
        raise ValueError(f"smoothing must be 'mean' or 'pooled', not {smoothing!r}.")
    subs = subscriptions_of(data, "saas_ltv_by_month")
    end = to_month(end)
    start = to_month(start) if start is not None else first_subscription_month(subs)
    keys = [by] if by else []
    convention = default_churn_convention() if convention is None else convention
    rates = churn_rates(data, start=start - (window - 1), end=end, convention=convention, by=by)
    rates = rates.sort_values(keys + ["month"], kind="mergesort", ignore_index=True)
    grouped = rates.groupby(keys, sort=False) if keys else rates.groupby(np.zeros(len(rates)), sort=False)

    def trailing(column, how):  # a rolling window per group: a loop over a handful of groups at most
        return grouped[column].transform(lambda s: getattr(s.rolling(window, min_periods=1), how)())

    rates["churn_months"] = trailing("churn_rate", "count").astype(int)
    if smoothing == "mean":
        rates["smoothed_churn"] = trailing("churn_rate", "mean")
    else:
        den = trailing("denominator", "sum")
        rates["smoothed_churn"] = trailing("numerator", "sum") / den.where(den > 0)
    revenue = mrr(data, start=start, end=end, by=by)
    out = revenue.merge(rates[["month", *keys, "smoothed_churn", "churn_months"]], on=["month", *keys], how="left")
    out["churn_months"] = out["churn_months"].fillna(0).astype(int)
    out["gross_margin"] = float(gross_margin)
    ltv, lifetime, reason = _ltv_parts(out["arpa"], out["smoothed_churn"], gross_margin)
    out["expected_lifetime_months"], out["ltv"], out["reason"] = lifetime, ltv, reason
    out["convention"] = f"{convention} churn, {smoothing} of {window} month(s)"
    return out[["month", *keys, "arpa", "gross_margin", "smoothed_churn", "churn_months",
                "expected_lifetime_months", "ltv", "reason", "convention"]]


# -- teaching formula from data, per segment --------------------------------------------

def _observed_lifespan(data, subs, start, end, by, groups) -> pd.Series:
    """Mean months from first paid day to the end of the last paid spell, for
    customers whose paying ended inside the window (completed lifetimes only)."""
    spells = paid_spells(subs)
    life = spells.groupby("customer_id").agg(first=("start", "min"), last=("end", "max"),
                                             open_=("end", lambda e: e.isna().any()))
    done = life[~life["open_"] & life["last"].dt.to_period("M").between(start, end)]
    months = (done["last"] - done["first"]).dt.days / _DAYS_PER_MONTH
    labels = customer_groups(data, by, done.index).to_numpy()
    return months.groupby(labels).mean().reindex(groups)


def simple_clv_by_segment(data, *, start, end, by: str | None = "segment", gross_margin: float = 1.0,
                          lifespan="churn", source: str = "subscriptions") -> pd.DataFrame:
    """The teaching formula per segment, measured from the data, with CLV:CAC and payback.

    ``clv = average_purchase_value x purchase_frequency x lifespan x gross_margin``

    measured over the months ``start..end``:

    - ``source="subscriptions"`` (default): one "purchase" is one paid
      customer-month (an annual plan counts as twelve months at its MRR), so
      ``average_purchase_value`` = total month-end MRR / paying customer-months
      (the average ARPA) and ``purchase_frequency`` = 1 per month.
    - ``source="transactions"``: the one-off purchases dated in the window:
      ``average_purchase_value`` = revenue / purchases and
      ``purchase_frequency`` = purchases / (buyers x months in the window).
    - ``lifespan`` in months: ``"churn"`` (default) = 1 / mean monthly logo
      churn in the window (start-of-month convention, from subscriptions);
      ``"observed"`` = mean months from first paid day to leaving, over the
      customers who left in the window (completed lifetimes only, so biased
      short: use as a floor); or a number of months assumed for every group.
      No churn gives an infinite lifespan, a NaN CLV and a ``note``.
    - ``cac`` = mean ``customers.acquisition_cost`` of the group's customers
      who signed up in the window (``cac_customers`` of them had a cost);
      ``clv_to_cac = clv / cac``; ``payback_months = cac / (monthly value x
      gross_margin)``, the months of gross profit that earn CAC back. A CLV:CAC
      of 3 or more is a rule of thumb, not a law.

    Parameters
    ----------
    data : Dataset
        With ``subscriptions`` (or ``transactions``) and ``customers``.
    start, end : str or Period
        Months measured, inclusive.
    by : str or None
        Grouping column of ``customers`` (default ``"segment"``); None for
        one overall row.
    gross_margin : float
        Fraction of revenue kept (default 1: revenue CLV, as usually taught).
    lifespan : {"churn", "observed"} or float
        How the lifespan is measured, or months to assume.
    source : {"subscriptions", "transactions"}
        Where purchases come from.

    Returns
    -------
    DataFrame
        One row per group: [``by``], ``customers`` (paying or buying in the
        window), ``average_purchase_value``, ``purchase_frequency``,
        ``monthly_churn``, ``lifespan_months``, ``lifespan_source``,
        ``gross_margin``, ``clv``, ``cac``, ``cac_customers``,
        ``clv_to_cac``, ``payback_months``, ``verdict``, ``note``.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": list("abcd"), "billing_period": "month", "amount": 100.0,
    ...     "start_date": pd.Timestamp("2026-01-01"), "end_date": pd.to_datetime(["2026-02-10", None, None, None])})
    >>> customers = pd.DataFrame({"customer_id": list("abcd"), "signup_date": pd.Timestamp("2026-01-01"),
    ...     "segment": "smb", "acquisition_cost": 200.0})
    >>> out = simple_clv_by_segment(Dataset(customers=customers, subscriptions=subs), start="2026-01", end="2026-02")
    >>> out[["segment", "monthly_churn", "clv", "clv_to_cac", "payback_months"]]
      segment  monthly_churn    clv  clv_to_cac  payback_months
    0     smb           0.25  400.0         2.0             2.0
    """
    _check_fraction("gross_margin", gross_margin)
    start, end = to_month(start), to_month(end)
    n_months = len(month_range(start, end))
    data.require("customers", by="simple_clv_by_segment")
    if source == "subscriptions":
        subs = subscriptions_of(data, "simple_clv_by_segment")
        customers, _, _, micro = month_end_micro(subs, start, end)
        groups, sums = sums_by_group(data, by, pd.Index(customers), {
            "revenue": micro, "customer_months": micro > 0,
            "customers": lambda: (micro > 0).any(axis=1, keepdims=True)})
        table = pd.DataFrame({"customers": sums["customers"][:, 0],
                              "revenue": sums["revenue"].sum(axis=1) / MICRO,
                              "purchases": sums["customer_months"].sum(axis=1)}, index=groups)
        table["purchase_frequency"] = np.where(table["purchases"] > 0, 1.0, np.nan)
    elif source == "transactions":
        data.require("transactions", by="simple_clv_by_segment(source='transactions')")
        tx = data.transactions
        if "currency" in tx.columns and tx["currency"].dropna().nunique() > 1:
            raise DataValidationError("transactions", "currency", "CLV cannot add up amounts in different currencies",
                                      rows=tx.drop_duplicates("currency").head(5),
                                      detail="convert first or filter to one currency")
        tx = tx[tx["date"].dt.to_period("M").between(start, end)]
        labels = customer_groups(data, by, pd.Index(tx["customer_id"])).to_numpy()
        agg = tx.groupby(labels).agg(customers=("customer_id", "nunique"), revenue=("amount", "sum"),
                                     purchases=("amount", "size"))
        groups = agg.index if by else pd.Index(["all"])
        table = agg.reindex(groups)
        table["purchase_frequency"] = table["purchases"] / (table["customers"] * n_months)
    else:
        raise ValueError(f"source must be 'subscriptions' or 'transactions', not {source!r}.")
    table["average_purchase_value"] = table["revenue"] / table["purchases"].where(table["purchases"] > 0)

    # Lifespan.
    table["monthly_churn"] = np.nan
    if isinstance(lifespan, str) and lifespan == "churn":
        rates = churn_rates(data, start=start, end=end, convention="start", by=by)
        rates["_g"] = rates[by] if by else "all"
        table["monthly_churn"] = rates.groupby("_g")["churn_rate"].mean().reindex(table.index)
        with np.errstate(divide="ignore"):
            table["lifespan_months"] = 1.0 / table["monthly_churn"]
        source_label = "1 / mean monthly logo churn (start-of-month convention)"
    elif isinstance(lifespan, str) and lifespan == "observed":
        table["lifespan_months"] = _observed_lifespan(data, subscriptions_of(data, "simple_clv_by_segment"),
                                                      start, end, by, table.index)
        source_label = "observed: mean completed lifetime of customers who left in the window"
    elif isinstance(lifespan, (int, float, np.integer, np.floating)) and np.isfinite(lifespan) and lifespan >= 0:
        table["lifespan_months"] = float(lifespan)
        source_label = "assumed"
    else:
        raise ValueError(f"lifespan must be 'churn', 'observed' or a number of months, not {lifespan!r}.")
    table["lifespan_source"] = source_label
    table["gross_margin"] = float(gross_margin)
    finite = np.isfinite(table["lifespan_months"])
    table["clv"] = (table["average_purchase_value"] * table["purchase_frequency"]
                    * table["lifespan_months"].where(finite) * gross_margin)

    # Acquisition cost of the customers won in the window.
    cust = data.customers
    if "acquisition_cost" in cust.columns:
        signed = cust[cust["signup_date"].dt.to_period("M").between(start, end)]
        labels = customer_groups(data, by, pd.Index(signed["customer_id"])).to_numpy()
        cost = signed["acquisition_cost"].groupby(labels)
        table["cac"], table["cac_customers"] = cost.mean().reindex(table.index), cost.count().reindex(table.index)
    else:
        table["cac"], table["cac_customers"] = np.nan, 0
    table["cac_customers"] = table["cac_customers"].fillna(0).astype(int)
    table["clv_to_cac"] = table["clv"] / table["cac"].where(table["cac"] > 0)
    monthly_profit = table["average_purchase_value"] * table["purchase_frequency"] * gross_margin
    table["payback_months"] = table["cac"] / monthly_profit.where(monthly_profit > 0)
    table["verdict"] = [_verdict(r) for r in table["clv_to_cac"].to_numpy()]  # one per group: small
    notes = np.where(table["purchases"].fillna(0) == 0, "no purchases in the window",
                     np.where(np.isinf(table["lifespan_months"]), "no churn in the window: lifespan unbounded",
                              np.where(table["lifespan_months"].isna(), "lifespan could not be measured",
                                       np.where(table["cac"].isna(), "no acquisition cost for the window", ""))))
    table["note"] = notes
    table = table.rename_axis(by or "group").reset_index()
    columns = ([by] if by else []) + ["customers", "average_purchase_value", "purchase_frequency", "monthly_churn",
                                      "lifespan_months", "lifespan_source", "gross_margin", "clv", "cac",
                                      "cac_customers", "clv_to_cac", "payback_months", "verdict", "note"]
    return table[columns]
