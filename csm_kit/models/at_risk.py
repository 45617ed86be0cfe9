"""The at-risk list: every active customer's churn probability, MRR at risk and why, for a CSM to act on."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..arguments import whole_number
from .churn_drivers import ChurnDrivers
from .retention_curves import check_table

DAYS_PER_MONTH = 365.25 / 12
MIN_PUSH = np.log(1.05)  # a driver is listed when it raises the hazard by 5% or more
DAYS_PER_UNIT = {"month": DAYS_PER_MONTH, "week": 7.0, "day": 1.0}

#: Plain words for the usual covariates: (label, formatter of the value).
_WORDS = {
    "usage_share": ("product used on", lambda v: f"{v:.0%} of days"),
    "active_users": ("active users", lambda v: f"{v:.0f}"),
    "nps": ("latest NPS answer", lambda v: f"{v:.0f}/10"),
    "csat": ("latest CSAT answer", lambda v: f"{v:.1f}/5"),
    "tickets": ("tickets in the last 90 days", lambda v: f"{v:.0f}"),
    "onboarded": ("onboarded within 90 days", lambda v: "yes" if v >= 0.5 else "no"),
    "mrr": ("MRR", lambda v: f"{v:,.0f}"),
    "seats": ("seats", lambda v: f"{v:,.0f}"),
    "reactivated": ("came back after churning", lambda v: "yes" if v >= 0.5 else "no"),
}


def _phrase(variable: str, value, mean) -> str:
    """``"tickets in the last 90 days: 6 (average 1)"``, ``"segment: smb"``, ``"no NPS answer"``."""
    if variable in _WORDS:
        label, fmt = _WORDS[variable]
        if pd.isna(value):
            return f"{label}: no answer" if variable in ("nps", "csat") else f"{label}: unknown"
        avg = f" (average {fmt(mean)})" if mean is not None and variable not in ("onboarded", "reactivated") else ""
        return f"{label}: {fmt(float(value))}{avg}"
    if pd.isna(value):
        return f"{variable}: missing"
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return f"{variable}: {value:.3g}" + (f" (average {mean:.3g})" if mean is not None else "")
    return f"{variable}: {value}"


def _restricted_mean(drivers: ChurnDrivers, alive: pd.DataFrame, horizon: float) -> np.ndarray:
    """``integral_0^horizon P(paying at tau + u | paying at tau) du`` per row, in the model's unit.

    With whole-unit durations the curve is a step function: 1 until tenure
    reaches the next whole unit ``c = ceil(tau)``, then constant on each unit
    ``(c + i - 1, c + i]``, so the integral is an exact sum of ``horizon + 1``
    steps. With exact durations, a midpoint sum on tenth-of-a-unit steps.
    """
    tau = alive["tenure"].to_numpy(dtype=float)
    if not drivers.discrete:
        steps = (np.arange(int(np.ceil(10 * horizon))) + 0.5) / 10
        steps = steps[steps < horizon]
        return drivers.conditional_survival(alive, steps).sum(axis=1) / 10
    first = np.ceil(tau) - tau                      # length of the first step, where P = 1
    i = np.arange(1, int(np.ceil(horizon)) + 1)
    lo = first[:, None] + i[None, :] - 1            # step i covers u in (lo, lo + 1]
    length = np.clip(np.minimum(lo + 1, horizon) - lo, 0, 1)
    p = drivers._survival_between(alive, tau, tau[:, None] + lo + 1)
    return np.minimum(first, horizon) + (length * p).sum(axis=1)


def at_risk(drivers, table=None, horizon_days: int = 90, *, as_of=None, lifetime_months: int = 24,
            top: int = 3, sort_by: str = "mrr_at_risk", model=None) -> pd.DataFrame:
    """Every active customer's probability of churning in the next ``horizon_days``, its MRR at risk and why.

    Two ways to call it:

    - ``at_risk(ds, as_of=..., horizon_days=90)``: from the churn-risk engine
      (:class:`~csm_kit.models.ChurnRisk`, fitted on the history before
      ``as_of`` unless a fitted ``model`` is given), the one the health bands
      and CLV read. Renewal-aware: an annual account mid-term has almost no
      90-day risk. See :func:`at_risk_from_engine` for the columns.
    - ``at_risk(drivers, table, horizon_days)``: from a fitted Cox model
      (:class:`ChurnDrivers`) and a survival table, as below.

    For each customer paying on ``as_of`` (a censored row of ``table``,
    which should be built with ``covariates_at=as_of`` so the covariates are
    today's; with ``spells=True`` reactivated customers are included):

    - ``p_churn = 1 - S(tau + h | x) / S(tau | x)``, ``tau`` its tenure and
      ``h = horizon_days`` in the model's unit (30.44 days a month), from
      :meth:`ChurnDrivers.conditional_survival`;
    - ``expected_months``: restricted mean remaining lifetime over the next
      ``lifetime_months``: ``integral_0^L P(still a customer at tau + u) du``,
      in months (exact for whole-month models, whose curve is a step
      function; a midpoint sum on tenth-of-a-unit steps otherwise). It cannot exceed
      L: a customer the model expects to keep scores L.
    - ``mrr_at_risk = mrr x p_churn`` (expected MRR lost within the horizon);
    - ``drivers``: the ``top`` covariates pushing its hazard up most,
      ``beta_j (x_j - mean_j) > log(1.05)`` (raising it by 5% or more; dummies of one variable summed), in
      plain words with the customer's value and the average, and
      ``risk_multiplier = exp(sum_j beta_j (x_j - mean_j))`` (its hazard
      relative to an average customer).

    Parameters
    ----------
    drivers : ChurnDrivers
        A fitted model.
    table : DataFrame
        Survival table of the customers to score.
    horizon_days : int
        Horizon of the churn probability (default 90).
    lifetime_months : int
        Horizon of the restricted mean lifetime (default 24).
    top : int
        Drivers listed per customer.
    sort_by : str
        Column to sort on, largest first (``"mrr_at_risk"`` or ``"p_churn"``).

    Returns
    -------
    DataFrame
        One row per active customer: ``customer_id``, [``segment``],
        ``tenure_months``, ``mrr``, ``p_churn``, ``mrr_at_risk``,
        ``expected_months``, ``risk_multiplier``, ``drivers`` (a "; "-joined
        string) and ``driver_1..top``; ``attrs`` holds the horizon.

    Examples
    --------
    >>> from csm_kit.datasets import load_sample
    >>> from csm_kit.models import survival_table, ChurnDrivers
    >>> ds = load_sample()
    >>> m = ChurnDrivers(covariates=["usage_share", "tickets"], holdout=0).fit(
    ...     survival_table(ds, as_of="2026-10-31", covariates_at="2025-10-31", spells=True))
    >>> now = survival_table(ds, as_of="2026-10-31", covariates_at="2026-10-31", spells=True)
    >>> r = at_risk(m, now)
    >>> len(r) == int((~now["churned"]).sum()), bool(r["mrr_at_risk"].is_monotonic_decreasing)
    (True, True)
    """
    if not isinstance(drivers, ChurnDrivers):
        if table is not None:
            raise TypeError("at_risk(ds, as_of=...) takes the Dataset only; a survival table goes with a fitted "
                            "ChurnDrivers: at_risk(drivers, table).")
        return at_risk_from_engine(drivers, as_of=as_of, horizon_days=horizon_days, lifetime_months=lifetime_months,
                                   top=top, sort_by=sort_by, model=model)
    if table is None:
        raise TypeError("at_risk(drivers, table): the survival table to score is missing.")
    drivers._check_fitted()
    check_table(table, ("customer_id", "tenure", "churned"), who="at_risk: the survival table")
    horizon_days = whole_number(horizon_days, "horizon_days", unit="days")
    lifetime_months = whole_number(lifetime_months, "lifetime_months")
    unit = drivers.unit_
    per_month = DAYS_PER_MONTH / DAYS_PER_UNIT[unit]  # model units in a month
    alive = table[~table["churned"].to_numpy(dtype=bool)]
    if "spell" in alive.columns:
        alive = alive.sort_values(["customer_id", "spell"], kind="mergesort")
    alive = alive.drop_duplicates("customer_id", keep="last").reset_index(drop=True)
    if alive.empty:
        raise ValueError("at_risk: no active (censored) customer in the table.")
    if sort_by not in ("mrr_at_risk", "p_churn", "expected_months"):
        raise ValueError(f"sort_by must be 'mrr_at_risk', 'p_churn' or 'expected_months', not {sort_by!r}.")

    p_churn = 1 - drivers.conditional_survival(alive, [horizon_days / DAYS_PER_UNIT[unit]])[:, 0]
    expected = _restricted_mean(drivers, alive, lifetime_months * per_month) / per_month

    contrib = drivers.contributions(alive)
    order = np.argsort(-contrib.to_numpy(), axis=1, kind="stable")[:, :top]
    vals = np.take_along_axis(contrib.to_numpy(), order, axis=1)
    names = np.asarray(contrib.columns)[order]
    # The average customer's value on the table's own scale (undoing log(1 + x) and per-unit scaling).
    means = {v: (None if v not in drivers.means_ else float(np.expm1(drivers.means_[v])) if v in drivers.logged_
                 else float(drivers.means_[v]) * drivers.scale_.get(v, 1.0)) for v in contrib.columns}
    phrases = np.full(order.shape, "", dtype=object)
    listed = vals > MIN_PUSH
    for v in contrib.columns:  # one pass per variable, over the rows that list it only
        hit = listed & (names == v)
        rows = np.flatnonzero(hit.any(axis=1))
        if not len(rows):
            continue
        raw = pd.Series(alive[v].to_numpy()[rows] if v in alive.columns else np.full(len(rows), np.nan))
        if pd.api.types.is_float_dtype(raw):
            raw = raw.round(6)  # few distinct texts: phrase each distinct value once
        words = {x: _phrase(v, x, means.get(v)) for x in pd.unique(raw)}
        text = raw.map(words).to_numpy(dtype=object)
        r_idx, c_idx = np.nonzero(hit[rows])
        phrases[rows[r_idx], c_idx] = text[r_idx]

    mrr = alive["mrr"].to_numpy(dtype=float) if "mrr" in alive.columns else np.full(len(alive), np.nan)
    out = pd.DataFrame({"customer_id": alive["customer_id"].to_numpy()})
    if "segment" in alive.columns:
        out["segment"] = alive["segment"].to_numpy()
    tenure_days = alive["tenure_days"].to_numpy() if "tenure_days" in alive.columns else None
    out["tenure_months"] = (tenure_days / DAYS_PER_MONTH if tenure_days is not None
                            else alive["tenure"].to_numpy() / per_month)
    out["mrr"] = mrr
    out["p_churn"] = p_churn
    out["mrr_at_risk"] = mrr * p_churn
    out["expected_months"] = expected
    out["risk_multiplier"] = np.exp(contrib.sum(axis=1).to_numpy())
    out["drivers"] = ["; ".join(p for p in row if p) for row in phrases]
    for j in range(order.shape[1]):
        out[f"driver_{j + 1}"] = phrases[:, j]
    out = out.sort_values(sort_by, ascending=False, kind="mergesort", ignore_index=True)
    out.attrs.update({"horizon_days": int(horizon_days), "lifetime_months": int(lifetime_months),
                      "as_of": table.attrs.get("as_of")})
    return out


def at_risk_from_engine(data, *, as_of, horizon_days: int = 90, lifetime_months: int = 24, top: int = 3,
                        sort_by: str = "mrr_at_risk", model=None) -> pd.DataFrame:
    """The at-risk list from the churn-risk engine: every account paying on ``as_of``, riskiest MRR first.

    ``p_churn``, ``mrr_at_risk = mrr x p_churn``, ``monthly_hazard``,
    ``next_renewal``, ``status`` and the drivers come from
    :meth:`ChurnRisk.predict`; with the columns of the Cox-based list kept:

    - ``tenure_months = tenure_days / 30.44``;
    - ``expected_months``: expected months still paying over the next
      ``lifetime_months`` at the account's monthly hazard ``h``:
      ``integral_0^L (1 - h)^u du = (1 - (1 - h)^L) / -log(1 - h)`` (``L`` when ``h = 0``);
    - ``risk_multiplier = p_churn / mean p_churn`` (1 = an average account);
    - ``drivers`` (= ``top_drivers``) and ``driver_1..top``.

    Parameters
    ----------
    data : Dataset
    as_of : date
    horizon_days : int, default 90
    lifetime_months : int, default 24
    top : int, default 3
    sort_by : {"mrr_at_risk", "p_churn", "expected_months"}
    model : ChurnRisk, optional
        A fitted engine (its ``horizon_days`` must match); default: one fitted on the data before ``as_of``.

    Examples
    --------
    >>> import csm_kit
    >>> ds = csm_kit.simulate(n_customers=400, months=24, seed=5)
    >>> r = at_risk(ds, as_of="2025-10-31")
    >>> bool(r["mrr_at_risk"].is_monotonic_decreasing), bool((r["expected_months"] <= 24).all())
    (True, True)
    """
    from ..periods import as_of_day
    from .risk import ChurnRisk

    if as_of is None:
        raise ValueError("at_risk(ds, as_of=...): as_of is required (the day the accounts are scored).")
    lifetime_months = whole_number(lifetime_months, "lifetime_months")
    if sort_by not in ("mrr_at_risk", "p_churn", "expected_months"):
        raise ValueError(f"sort_by must be 'mrr_at_risk', 'p_churn' or 'expected_months', not {sort_by!r}.")
    day = as_of_day(as_of)
    if model is None:
        from ..report.engines import fitted

        model = fitted(ChurnRisk(horizon_days=horizon_days, top=top), data, as_of=day)  # once per report
    elif model.horizon_days != horizon_days:
        raise ValueError(f"at_risk: the model's horizon is {model.horizon_days} days, not {horizon_days}.")
    pred = model.predict(data, as_of=day)
    if pred.empty:
        raise ValueError(f"at_risk: no account is paying on {day.date()}.")
    h = pred["monthly_hazard"].to_numpy(dtype=float)
    L = float(lifetime_months)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(h > 0, (1 - (1 - h) ** L) / -np.log1p(-np.minimum(h, 1 - 1e-12)), L)
    out = pred.copy()
    out.insert(out.columns.get_loc("p_churn"), "tenure_months", out["tenure_days"] / DAYS_PER_MONTH)
    out["expected_months"] = expected
    mean_p = np.nanmean(out["p_churn"]) if out["p_churn"].notna().any() else np.nan
    out["risk_multiplier"] = out["p_churn"] / mean_p if mean_p > 0 else np.nan
    out["drivers"] = out["top_drivers"]
    parts = out["top_drivers"].str.split("; ")
    for j in range(int(top)):
        out[f"driver_{j + 1}"] = [p[j] if isinstance(p, list) and len(p) > j and p[j] else "" for p in parts]
    out = out.sort_values([sort_by, "p_churn"], ascending=False, kind="mergesort", na_position="last",
                          ignore_index=True)
    out.attrs.update({"horizon_days": int(horizon_days), "lifetime_months": int(lifetime_months), "as_of": day})
    return out
