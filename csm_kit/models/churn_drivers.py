"""Churn drivers: a Cox proportional-hazards model of tenure, with holdout checks.

The hazard of churning at tenure t for a customer with covariates x is

``h(t | x) = h0(t) * exp(beta . (x - mean))``

so ``exp(beta_j)``, the *hazard ratio*, multiplies the churn risk at every
tenure by that factor per unit of covariate j, others held equal (1.5: half
as likely again to churn in any month; 0.5: half as likely). Survival
follows as ``S(t | x) = S0(t) ** exp(beta . (x - mean))``.

Fitted by :class:`lifelines.CoxPHFitter` (Efron ties) on a table from
:func:`~csm_kit.models.survival_table.survival_table`, left-truncated at
``entry`` (a customer observed from its tenure on the observation date
only counts as at risk from then on). By default tenures are rounded up to
whole units (months): a churn during month k of tenure is an event at k.
The fit then handles one risk set per month instead of one per distinct
day, which is what makes a million customers take seconds, and monthly
billers churn on anniversaries anyway.

What makes lifelines fail to converge for most users is handled before the
fit, with a :class:`CovariateWarning` naming the columns: constant columns
are dropped, and so is any column that is a linear combination of earlier
ones (perfectly collinear pairs, dummy traps). Missing values are, by
default, filled with the training mean plus a 0/1 ``<column> missing``
indicator (``missing="indicator"``); ``missing="error"`` refuses them.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arguments import whole_number
from .base import check_is_fitted
from .retention_curves import check_table
from .survival_table import MAX_LEVELS, table_unit

#: Behavioural and static covariates used when ``covariates=None`` (those present in the table).
DEFAULT_COVARIATES = ("usage_share", "nps", "csat", "tickets", "onboarded", "segment", "billing_period",
                      "reactivated")
#: Counts and money enter as log(1 + x): a tenth ticket matters less than the first.
DEFAULT_LOG = ("tickets", "active_users", "mrr", "seats")
#: Covariates measured per this many of their units, so hazard ratios read on a human scale
#: (usage share per 10 percentage points of days, not per 100).
DEFAULT_SCALE = {"usage_share": 0.1}
#: Units per year, to extend the baseline past the longest tenure seen (see predict_survival).
PER_YEAR = {"month": 12, "week": 52, "day": 365}


class CovariateWarning(UserWarning):
    """Covariates were dropped (constant or collinear) or transformed before a fit."""


@dataclass(frozen=True)
class Validation:
    """Holdout checks of a churn model at a horizon.

    Attributes
    ----------
    concordance : float
        Harrell's C of the predicted risk against time from observation to
        churn (0.5 = no better than chance, 1 = perfect ranking).
    brier : float
        Inverse-probability-of-censoring weighted Brier score of
        ``P(churn within horizon)`` (Graf et al. 1999); lower is better.
    brier_null : float
        The same for predicting everyone the overall Kaplan-Meier churn
        probability: the bar to beat.
    calibration : DataFrame
        ``bin, customers, predicted, observed, observed_ci_low, observed_ci_high``:
        mean predicted churn probability per band of prediction, against the
        Kaplan-Meier churn probability at the horizon in that band.
    horizon : float
        In the table's unit.
    customers, churned : int
        Rows scored, and churned among them (any time).
    """

    concordance: float
    brier: float
    brier_null: float
    calibration: pd.DataFrame
    horizon: float
    customers: int
    churned: int

    def __repr__(self) -> str:
        return (f"<Validation on {self.customers:,} rows ({self.churned:,} churned): concordance "
                f"{self.concordance:.3f}, Brier at {self.horizon:g} {self.brier:.4f} (null {self.brier_null:.4f})>")


def _km_at(durations: np.ndarray, events: np.ndarray, t: float) -> tuple[float, float, float]:
    """Kaplan-Meier churn probability 1 - S(t) with its 95% band (low, high)."""
    from lifelines import KaplanMeierFitter

    if len(durations) == 0:
        return np.nan, np.nan, np.nan
    kmf = KaplanMeierFitter().fit(durations, events)
    s = float(kmf.survival_function_at_times(t).iloc[0])
    ci = kmf.confidence_interval_survival_function_
    pos = max(np.searchsorted(ci.index.to_numpy(), t, side="right") - 1, 0)
    return 1 - s, 1 - float(ci.iloc[pos, 1]), 1 - float(ci.iloc[pos, 0])


def ipcw_brier(residual: np.ndarray, events: np.ndarray, p_churn: np.ndarray, horizon: float) -> float:
    """Brier score at ``horizon`` with inverse-probability-of-censoring weights (Graf et al. 1999).

    ``BS = mean_i [ 1{T_i <= h, event} (1 - p_i)^2 / G(T_i-) + 1{T_i > h} p_i^2 / G(h) ]``
    where ``p_i`` = predicted P(churn by h) and ``G`` the Kaplan-Meier curve of
    *censoring*; rows censored before h add 0 but are represented by the weights.

    >>> round(ipcw_brier(np.array([1.0, 5.0]), np.array([True, False]), np.array([0.8, 0.1]), 3.0), 3)
    0.025
    """
    from lifelines import KaplanMeierFitter

    g = KaplanMeierFitter().fit(residual, ~events)
    sf = g.survival_function_.iloc[:, 0]
    times = sf.index.to_numpy()

    def g_at(t, left=False):
        pos = np.searchsorted(times, t, side="left" if left else "right") - 1
        return np.where(pos >= 0, sf.to_numpy()[np.clip(pos, 0, None)], 1.0)

    churn_by_h = events & (residual <= horizon)
    alive_at_h = residual > horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(churn_by_h, (1 - p_churn) ** 2 / g_at(residual, left=True), 0.0)
        b = np.where(alive_at_h, p_churn ** 2 / g_at(horizon), 0.0)
    return float(np.mean(a + b))


class ChurnDrivers:
    """Cox proportional-hazards model of churn: which covariates raise or lower the risk, and by how much.

    Parameters
    ----------
    covariates : sequence of str, optional
        Columns of the survival table to use; default those of
        :data:`DEFAULT_COVARIATES` present. Text columns become 0/1 dummies
        against their most common level (named ``segment=smb``); booleans 0/1.
    log : sequence of str
        Columns entered as ``log(1 + x)`` (default counts and money:
        tickets, active_users, mrr, seats).
    scale : dict
        Column -> size of the unit its hazard ratio is per (default
        ``{"usage_share": 0.1}``: per 10 percentage points of days with usage).
    penalizer : float
        L2 penalty of lifelines' fit (0.01 steadies fits with rare levels;
        0 for the plain partial likelihood).
    strata : sequence of str, optional
        Columns with a baseline hazard of their own instead of a
        coefficient (e.g. ``["billing_period"]``: annual billers can only
        leave at renewals, which breaks proportional hazards).
    discrete : bool
        Round tenures up to whole units of the table (default True; see
        module docstring).
    holdout : float
        Share of *customers* (all their spells together) kept out of the
        fit to check it. Default 0: the model is fitted on every row; a
        holdout is asked for explicitly (e.g. 0.25), and ``validation_``
        then holds its checks.
    seed : int
        Seed of the holdout split.
    horizon : float
        Horizon of the Brier score and calibration table, in the table's
        unit (default 3 months, about 90 days).
    missing : {"indicator", "error"}
        How missing covariate values are handled (module docstring).
    alpha : float
        1 - confidence level of the hazard-ratio intervals.
    max_levels : int
        A text covariate with more distinct values is refused before the
        fit (an id, or a number column read as text: convert it, e.g. with
        ``survival_table(..., attributes=[...])``, which parses numbers).

    Attributes
    ----------
    cox_ : lifelines.CoxPHFitter
    params_ : Series
        Coefficients ``beta`` (log hazard ratios) per design column.
    hazard_ratios_ : Series
    design_columns_ : list of str
    dropped_ : dict
        Column -> reason it was dropped before the fit.
    validation_ : Validation or None
        Holdout checks (None with ``holdout=0``).
    ph_test_ : DataFrame
        Proportional-hazards test per covariate (Schoenfeld residuals with
        Efron ties, as the fit; rank-transformed time):
        ``test_statistic, p_value, ph_violated``.
    unit_ : str
        Unit of the table's tenure (its ``time_unit`` column, or ``fit(unit=)``).
    n_rows_, n_churned_ : int
        Rows and churn events the model was fitted on.

    Examples
    --------
    >>> from csm_kit.datasets import load_sample
    >>> from csm_kit.models import survival_table
    >>> t = survival_table(load_sample(), as_of="2026-10-31", covariates_at="2025-10-31", spells=True)
    >>> m = ChurnDrivers(covariates=["usage_share", "onboarded"]).fit(t)
    >>> round(float(m.hazard_ratios_["onboarded"]), 2)  # onboarded customers churn at 0.54 times the rate
    0.54
    """

    def __init__(self, covariates=None, log=DEFAULT_LOG, scale=None, penalizer: float = 0.01, strata=None,
                 discrete: bool = True, holdout: float = 0.0, seed: int = 0, horizon: float = 3,
                 missing: str = "indicator", alpha: float = 0.05, max_levels: int = MAX_LEVELS):
        self.covariates = covariates
        self.log = log
        self.scale = scale
        self.penalizer = penalizer
        self.strata = strata
        self.discrete = discrete
        self.holdout = holdout
        self.seed = seed
        self.horizon = horizon
        self.missing = missing
        self.alpha = alpha
        self.max_levels = max_levels

    # -- design matrix -------------------------------------------------------
    def _check_fitted(self) -> None:
        check_is_fitted(self, "cox_")

    def _chosen(self, table: pd.DataFrame) -> list[str]:
        if self.covariates is None:
            # Defaults that do not vary here (no reactivations, one segment) are skipped quietly.
            chosen = [c for c in DEFAULT_COVARIATES if c in table.columns and table[c].nunique(dropna=False) > 1]
        else:
            chosen = list(self.covariates)
            missing = [c for c in chosen if c not in table.columns]
            if missing:
                raise ValueError(f"ChurnDrivers: covariate(s) {missing} are not columns of the survival table; "
                                 f"it has {list(table.columns)}.")
        strata = list(self.strata or [])
        return [c for c in chosen if c not in strata]

    def _design(self, table: pd.DataFrame, learn: bool) -> pd.DataFrame:
        """Numeric design matrix; with ``learn`` it also fixes levels, fill values and dropped columns."""
        if learn:
            self.variables_ = self._chosen(table)
            self.levels_, self.fill_, self.logged_ = {}, {}, [c for c in self.variables_ if c in (self.log or ())]
            scale = DEFAULT_SCALE if self.scale is None else self.scale
            self.scale_ = {c: float(scale[c]) for c in self.variables_ if c in scale and c not in self.logged_}
        if not learn and "time_unit" in table.columns:
            got = table_unit(table, who="ChurnDrivers: the table scored")
            if got != self.unit_:
                raise ValueError(f"ChurnDrivers: the table scored has tenure in {got}s but the model was fitted "
                                 f"in {self.unit_}s; build both tables with the same unit.")
        cols = {}
        for v in self.variables_:
            x = table[v]
            if isinstance(x.dtype, pd.PeriodDtype):
                x = x.astype(str)
            if x.dtype == bool or str(x.dtype) == "boolean":
                cols[v] = x.astype(float)
            elif pd.api.types.is_numeric_dtype(x):
                x = x.astype(float)
                if v in self.logged_:
                    if (x < 0).any():
                        raise ValueError(f"ChurnDrivers: {v} has negative values, so log(1 + x) is undefined.")
                    x = np.log1p(x)
                cols[v] = x / self.scale_.get(v, 1.0)
            else:
                labels = x.astype(object).where(x.notna(), "(missing)").astype(str)
                if learn:
                    counts = labels.value_counts()
                    if len(counts) > self.max_levels:
                        self._too_many_levels(v, x, len(counts))
                    self.levels_[v] = (counts.index[0], sorted(counts.index[1:]))
                ref, others = self.levels_[v]
                for lev in others:
                    cols[f"{v}={lev}"] = (labels == lev).astype(float)
        X = pd.DataFrame(cols, index=table.index)
        for v in [c for c in X.columns if c in self.variables_ and c not in self.levels_]:
            na = X[v].isna()
            if learn and na.any():
                if self.missing == "error":
                    rows = table.loc[na, [c for c in ("customer_id", v) if c in table.columns]].head(5)
                    raise ValueError(f"ChurnDrivers: covariate {v!r} has {int(na.sum())} missing value(s) "
                                     f"(missing='error'), for example:\n{rows.to_string()}")
                self.fill_[v] = float(X[v].mean()) if na.mean() < 1 else 0.0
            if v in self.fill_:
                X[f"{v} missing"] = na.astype(float)
                X[v] = X[v].fillna(self.fill_[v])
            elif na.any():
                raise ValueError(f"ChurnDrivers: covariate {v!r} has missing values, but had none when fitted.")
        if learn:
            self.dropped_ = self._redundant(X)
            if self.dropped_:
                warnings.warn("ChurnDrivers dropped covariate(s) before the fit: "
                              + "; ".join(f"{k} ({why})" for k, why in self.dropped_.items()),
                              CovariateWarning, stacklevel=3)
            self.design_columns_ = [c for c in X.columns if c not in self.dropped_]
        return X[self.design_columns_]

    @staticmethod
    def _redundant(X: pd.DataFrame) -> dict[str, str]:
        """Constant columns, then columns that add no rank to the ones kept before them.

        A column is redundant when its regression on the kept columns leaves
        a residual variance under 1e-10 of its own (R^2 > 1 - 1e-10), judged
        from the correlation matrix (one pass over the rows, then k x k algebra).
        """
        values = X.to_numpy(dtype=float)
        sd = values.std(axis=0)
        dropped = {c: f"constant at {values[0, j]:g}" for j, c in enumerate(X.columns) if sd[j] == 0}
        live = [j for j, c in enumerate(X.columns) if c not in dropped]
        if not live:
            return dropped
        Z = (values[:, live] - values[:, live].mean(axis=0)) / sd[live]
        R = Z.T @ Z / len(Z)
        kept: list[int] = []
        for a, j in enumerate(live):
            c = X.columns[j]
            if kept:
                k = [live.index(i) for i in kept]
                r = R[np.ix_(k, [a])].ravel()
                coef = np.linalg.lstsq(R[np.ix_(k, k)], r, rcond=None)[0]
                if 1 - r @ coef < 1e-10:
                    best = int(np.argmax(np.abs(r)))
                    dropped[c] = (f"perfectly collinear with {X.columns[kept[best]]}" if abs(r[best]) > 1 - 1e-9
                                  else "a linear combination of "
                                  + ", ".join(X.columns[kept[i]] for i in np.flatnonzero(np.abs(coef) > 1e-6)))
                    continue
            kept.append(j)
        return dropped

    def _durations(self, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        t = table["tenure"].to_numpy(dtype=float)
        entry = table["entry"].to_numpy(dtype=float) if "entry" in table.columns else np.zeros(len(t))
        if self.discrete:
            # Churn in (k-1, k] is an event at k; alive at entry e in (k-1, k] means at risk from k.
            return np.maximum(np.ceil(t), 1.0), np.maximum(np.ceil(entry) - 1, 0.0)
        return t, entry

    # -- fit -----------------------------------------------------------------
    def _too_many_levels(self, v: str, x: pd.Series, n_levels: int) -> None:
        raw = x.dropna().astype(str)
        parsed = pd.to_numeric(raw.str.strip(), errors="coerce")
        share = float(parsed.notna().mean()) if len(raw) else 0.0
        hint = (f"{int(parsed.notna().sum()):,} of its {len(raw):,} values parse as numbers, so it is probably a "
                f"number column read as text (not parsing: {raw[parsed.isna()].head(3).tolist()}); convert it "
                "(pd.to_numeric, or "
                "survival_table(..., attributes=[...]), which converts a column when every value parses)"
                if share >= 0.5 else "an id or free text makes one dummy per value; group it into a few levels")
        raise ValueError(f"ChurnDrivers: covariate {v!r} is text with {n_levels:,} distinct values (more than "
                         f"max_levels={self.max_levels}): {hint}.")

    def fit(self, table: pd.DataFrame, unit: str | None = None) -> "ChurnDrivers":
        """Fit the Cox model (on every row, or on the customers outside the holdout when one is asked for).

        ``unit`` is the unit of ``tenure`` when the table has no ``time_unit``
        column (a table built by hand); a table from :func:`survival_table`
        carries its own and ``unit`` must then agree with it.
        """
        from lifelines import CoxPHFitter

        check_table(table)
        unit = table_unit(table, unit, who="ChurnDrivers: the survival table")
        if self.missing not in ("indicator", "error"):
            raise ValueError(f"missing must be 'indicator' or 'error', not {self.missing!r}.")
        if not 0 <= self.holdout < 1:
            raise ValueError(f"holdout must be in [0, 1), not {self.holdout!r}.")
        for s in self.strata or []:
            if s not in table.columns:
                raise ValueError(f"ChurnDrivers: stratum column {s!r} is not in the survival table.")
        table = table.reset_index(drop=True)
        self.unit_ = unit
        if self.holdout > 0 and "customer_id" not in table.columns:
            raise ValueError("ChurnDrivers: a holdout is drawn by customer, so the table needs customer_id "
                             "(or pass holdout=0).")
        if self.holdout > 0:
            ids = pd.unique(table["customer_id"])
            rng = np.random.default_rng(self.seed)
            test_ids = set(rng.choice(ids, size=int(round(self.holdout * len(ids))), replace=False).tolist())
            is_test = table["customer_id"].isin(test_ids).to_numpy()
        else:
            is_test = np.zeros(len(table), dtype=bool)
        train = table[~is_test]
        events = train["churned"].to_numpy(dtype=bool)
        if not events.any():
            raise ValueError(f"ChurnDrivers: no churn among the {len(train):,} training rows, so no hazard can "
                             "be estimated. Use an earlier covariates_at (a longer outcome window) or more data.")
        X = self._design(train, learn=True)
        if X.shape[1] == 0:
            raise ValueError("ChurnDrivers: no usable covariate left (all constant or collinear).")
        dur, entry = self._durations(train)
        df = X.assign(_duration=dur, _event=events.astype(int), _entry=entry)
        for s in self.strata or []:
            df[s] = train[s].astype(str).to_numpy()
        self.cox_ = CoxPHFitter(penalizer=self.penalizer, alpha=self.alpha)
        truncated = bool((entry > 0).any())  # lifelines takes a slower path with an entry column
        self.cox_.fit(df if truncated else df.drop(columns="_entry"), duration_col="_duration", event_col="_event",
                      entry_col="_entry" if truncated else None, strata=list(self.strata) if self.strata else None)
        self.params_ = self.cox_.params_.copy()
        self.hazard_ratios_ = np.exp(self.params_).rename("hazard_ratio")
        self.means_ = X.mean()
        self._train_df = df
        self.n_rows_, self.n_churned_ = len(train), int(events.sum())
        self._baseline(df)
        self.ph_test_ = self._ph_test(df)
        test = table[is_test]
        self.validation_ = self.score(test) if len(test) and test["churned"].any() else None
        return self

    def _baseline(self, df: pd.DataFrame) -> None:
        """Baseline cumulative hazard per stratum on its time grid (at the covariate means)."""
        bch = self.cox_.baseline_cumulative_hazard_
        self.baseline_ = {}
        for col in bch.columns:
            key = col if self.strata else "all"
            h = bch[col].dropna()
            self.baseline_[key if not isinstance(key, tuple) or len(key) > 1 else key[0]] = (
                h.index.to_numpy(dtype=float), h.to_numpy(dtype=float))

    def _ph_test(self, df: pd.DataFrame) -> pd.DataFrame:
        """Grambsch-Therneau test of proportional hazards, time rank-transformed, with Efron ties as in the fit.

        Scaled Schoenfeld residuals ``r*_i = d * V r_i`` (``d`` events, ``V``
        the coefficients' covariance) are correlated with the rank of the
        event time: ``T_j = (sum_i (g_i - mean g) r*_ij)^2 / (d var(beta_j) sum_i (g_i - mean g)^2)``,
        chi-squared with 1 df. The residual of an event at time ``t`` is
        ``r_i = x_i - E_t``, where ``E_t`` is Efron's tie-corrected mean over
        the ``k`` events tied at ``t`` (the fit's tie handling):
        ``E_t = (1/k) sum_{l=0}^{k-1} (S1_R - (l/k) S1_D) / (S0_R - (l/k) S0_D)``,
        ``S0, S1`` the sums of ``w`` and ``w x`` (``w = exp(beta . x)``) over the
        risk set R (``entry < t <= duration``, same stratum) and over the tied
        events D. Without ties this is the usual weighted mean of the risk
        set, and without left truncation the residuals equal lifelines'
        (``compute_residuals(kind="schoenfeld")``, Efron too). Tied event
        times share their average rank (lifelines ranks tied events in row
        order, so its statistic differs when times tie). Computed here
        because lifelines has no residuals for left-truncated fits.
        """
        from scipy import stats

        cols = self.design_columns_
        r, t = self._schoenfeld(df)
        d = len(t)
        V = self.cox_.variance_matrix_.loc[cols, cols].to_numpy()
        scaled = d * r @ V
        g = stats.rankdata(t)  # tied event times share their average rank
        g = g - g.mean()
        se2 = self.cox_.standard_errors_[cols].to_numpy() ** 2
        T = (g @ scaled) ** 2 / (d * se2 * (g ** 2).sum())
        out = pd.DataFrame({"covariate": cols, "test_statistic": T, "p_value": stats.chi2.sf(T, 1)})
        out["ph_violated"] = out["p_value"] < self.alpha
        out.attrs["ties"] = "efron"
        return out

    def _schoenfeld(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Efron-tied Schoenfeld residuals (events x design columns) and the events' times (see ``_ph_test``)."""
        cols = self.design_columns_
        X = df[cols].to_numpy(dtype=float)
        w = np.exp((X - X.mean(axis=0)) @ self.params_[cols].to_numpy())
        dur, entry, ev = (df["_duration"].to_numpy(float), df["_entry"].to_numpy(float),
                          df["_event"].to_numpy(bool))
        keys = (df[list(self.strata)].astype(str).agg("|".join, axis=1).to_numpy() if self.strata
                else np.zeros(len(df)))
        resid, times = [], []
        for k in pd.unique(keys):  # a few strata
            m = keys == k
            if not ev[m].any():
                continue
            wx = np.column_stack([w[m], w[m, None] * X[m]])
            od, oe = np.argsort(dur[m], kind="mergesort"), np.argsort(entry[m], kind="mergesort")
            cd = np.vstack([np.zeros(wx.shape[1]), np.cumsum(wx[od], axis=0)])
            ce = np.vstack([np.zeros(wx.shape[1]), np.cumsum(wx[oe], axis=0)])
            t_ev = dur[m][ev[m]]
            t_u, inv = np.unique(t_ev, return_inverse=True)
            risk = (cd[-1] - cd[np.searchsorted(dur[m][od], t_u, side="left")]) \
                - (ce[-1] - ce[np.searchsorted(entry[m][oe], t_u, side="left")])
            tie = np.zeros((len(t_u), wx.shape[1]))
            np.add.at(tie, inv, wx[ev[m]])
            n_tied = np.bincount(inv, minlength=len(t_u))
            expected = np.empty((len(t_u), X.shape[1]))
            for j in range(len(t_u)):  # distinct event times (whole months: a few hundred at most)
                frac = np.arange(n_tied[j]) / n_tied[j]
                num = risk[j, 1:][None, :] - frac[:, None] * tie[j, 1:][None, :]
                den = risk[j, 0] - frac * tie[j, 0]
                expected[j] = (num / den[:, None]).mean(axis=0)
            resid.append(X[m][ev[m]] - expected[inv])
            times.append(t_ev)
        return np.vstack(resid), np.concatenate(times)

    # -- results ---------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        """Per design column: coefficient, hazard ratio with interval, p-value, and the PH test p-value."""
        self._check_fitted()
        s = self.cox_.summary
        lo, hi = [c for c in s.columns if c.startswith("exp(coef) lower")][0], \
            [c for c in s.columns if c.startswith("exp(coef) upper")][0]
        out = pd.DataFrame({"coef": s["coef"], "std_error": s["se(coef)"], "hazard_ratio": s["exp(coef)"],
                            "hr_ci_low": s[lo], "hr_ci_high": s[hi], "p_value": s["p"]})
        out["significant"] = out["p_value"] < self.alpha
        ph = self.ph_test_.set_index("covariate")["p_value"] if len(self.ph_test_) else pd.Series(dtype=float)
        out["ph_p_value"] = ph.reindex(out.index).to_numpy()
        out.index.name = "covariate"
        return out

    def _risk(self, table: pd.DataFrame) -> np.ndarray:
        """exp(beta . (x - mean)) per row (the model's relative hazard)."""
        X = self._design(table, learn=False)
        return np.exp((X - self.means_[self.design_columns_]).to_numpy() @ self.params_[self.design_columns_].to_numpy())

    def _cumhaz(self, table: pd.DataFrame, at: np.ndarray) -> np.ndarray:
        """Baseline cumulative hazard of each row at ``at`` (rows x times), counting events strictly before."""
        if self.strata:
            keys = table[list(self.strata)].astype(str)
            keys = keys.iloc[:, 0] if len(self.strata) == 1 else keys.apply(tuple, axis=1)
        else:
            keys = pd.Series("all", index=table.index)
        out = np.full(at.shape, np.nan)
        per_year = PER_YEAR.get(self.unit_, 12)
        for key, (times, H) in self.baseline_.items():  # one pass per stratum
            m = (keys == key).to_numpy()
            if not m.any():
                continue
            x = at[m]
            if self.discrete:
                x = np.ceil(x) - 1  # paying at tenure x: events up to ceil(x) - 1 have happened
                pos = np.searchsorted(times, x, side="right") - 1
            else:
                pos = np.searchsorted(times, x, side="left") - 1
            h = np.where(pos >= 0, H[np.clip(pos, 0, None)], 0.0)
            # Past the longest tenure seen, extend at the average hazard of its last year.
            t_max = times[-1] if len(times) else 0.0
            lo = np.searchsorted(times, t_max - per_year, side="right") - 1
            slope = (H[-1] - (H[lo] if lo >= 0 else 0.0)) / min(per_year, max(t_max, 1.0)) if len(times) else 0.0
            h = np.where(x > t_max, H[-1] + slope * (x - t_max), h) if len(times) else h
            out[m] = h
        unknown = np.isnan(out).any(axis=1)
        if unknown.any():
            raise ValueError(f"ChurnDrivers: stratum value(s) not seen in the fit: "
                             f"{sorted(set(keys[unknown]))[:5]}")
        return out

    def conditional_survival(self, table: pd.DataFrame, ahead, start=None) -> np.ndarray:
        """P(still a customer ``ahead`` units after ``start`` | paying at ``start``), rows x len(ahead).

        ``start`` defaults to the table's ``tenure`` (its value at ``as_of``);
        ``S(start + a | x) / S(start | x) = exp(-(H0(start + a) - H0(start)) * risk)``.
        """
        self._check_fitted()
        ahead = np.atleast_1d(np.asarray(ahead, dtype=float))
        s0 = table["tenure"].to_numpy(dtype=float) if start is None else np.asarray(start, dtype=float)
        return self._survival_between(table, s0, s0[:, None] + ahead[None, :])

    def _survival_between(self, table: pd.DataFrame, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """P(paying at tenure ``stop`` | paying at ``start``) per row; ``stop`` is rows x k."""
        H = self._cumhaz(table, np.column_stack([start, stop]))
        return np.exp(-(H[:, 1:] - H[:, [0]]) * self._risk(table)[:, None])

    def predict_survival(self, table: pd.DataFrame, months: int = 12) -> pd.DataFrame:
        """Probability of still being a customer 1..``months`` months after ``as_of``, given paying at ``as_of``.

        Months whatever the table's unit: a weekly or daily model is read
        ``12 / 52`` or ``12 / 365`` of a year per unit (``PER_YEAR``), so the
        columns are months for :class:`SurvivalCLV`.

        For each censored row (a customer paying on ``as_of``; churned rows
        have no future and are left out) with tenure ``tau``:
        ``P(t) = S(tau + t | x) / S(tau | x)``. With ``discrete=True`` a
        churn at tenure exactly ``tau`` counts as still ahead (the customer
        pays on ``as_of``). Past the longest tenure seen in the fit, the
        baseline hazard is extended at its average over the last year
        observed (stated assumption; a Cox model has no baseline there).
        A customer with several paying spells keeps its latest.

        Returns
        -------
        DataFrame
            Index ``customer_id``, columns ``1..months`` (ints), values in [0, 1],
            non-increasing along each row: the shape SurvivalCLV consumes.
        """
        self._check_fitted()
        months = whole_number(months, "months")
        check_table(table, ("customer_id", "tenure", "churned"))
        alive = table[~table["churned"].to_numpy(dtype=bool)]
        if "spell" in alive.columns:
            alive = alive.sort_values(["customer_id", "spell"], kind="mergesort")
        alive = alive.drop_duplicates("customer_id", keep="last")
        per_month = PER_YEAR[self.unit_] / 12  # model units in a month
        p = self.conditional_survival(alive, np.arange(1, months + 1) * per_month)
        return pd.DataFrame(p, index=pd.Index(alive["customer_id"].to_numpy(), name="customer_id"),
                            columns=pd.RangeIndex(1, months + 1, name="months_ahead"))

    def contributions(self, table: pd.DataFrame) -> pd.DataFrame:
        """Per row and covariate, ``beta_j * (x_j - mean_j)``: its push on the log hazard (dummies summed per variable)."""
        self._check_fitted()
        X = self._design(table, learn=False)
        c = (X - self.means_[self.design_columns_]) * self.params_[self.design_columns_]
        var = [next((v for v in self.variables_ if col == v or col.startswith(f"{v}=") or col == f"{v} missing"),
                    col) for col in c.columns]
        return c.T.groupby(var, sort=False).sum().T

    # -- validation ---------------------------------------------------------------
    def score(self, table: pd.DataFrame, horizon: float | None = None, bins: int = 5) -> Validation:
        """Concordance, Brier score and calibration on a table (e.g. a holdout, or a later period).

        Risk is ranked against the time from observation (``tenure - entry``);
        predicted churn by the horizon is ``1 - P(alive at entry + h | alive at entry)``.
        """
        from lifelines.utils import concordance_index

        self._check_fitted()
        check_table(table)
        h = float(self.horizon if horizon is None else horizon)
        table = table.reset_index(drop=True)
        entry = table["entry"].to_numpy(dtype=float) if "entry" in table.columns else np.zeros(len(table))
        residual = table["tenure"].to_numpy(dtype=float) - entry
        events = table["churned"].to_numpy(dtype=bool)
        if not events.any():
            raise ValueError("ChurnDrivers.score: no churn in the table, so concordance is undefined.")
        risk = self._risk(table)
        p = 1 - self.conditional_survival(table, [h], start=entry)[:, 0]
        c = float(concordance_index(residual, -risk, events))
        brier = ipcw_brier(residual, events, p, h)
        null_p = _km_at(residual, events, h)[0]
        brier_null = ipcw_brier(residual, events, np.full(len(p), null_p), h)
        k = int(min(bins, max(1, len(table) // 20)))
        band = pd.qcut(pd.Series(p).rank(method="first"), k, labels=False) if k > 1 else np.zeros(len(p), int)
        rows = []
        for b in range(k):  # a handful of bands
            m = np.asarray(band == b)
            obs, lo, hi = _km_at(residual[m], events[m], h)
            rows.append({"bin": b + 1, "customers": int(m.sum()), "predicted": float(p[m].mean()),
                         "observed": obs, "observed_ci_low": lo, "observed_ci_high": hi})
        return Validation(concordance=c, brier=brier, brier_null=brier_null, calibration=pd.DataFrame(rows),
                          horizon=h, customers=len(table), churned=int(events.sum()))

    # -- plots ---------------------------------------------------------------------
    def plot_hazard_ratios(self, ax=None, title: str | None = None):
        """Forest plot of the hazard ratios (see :func:`csm_kit.plotting.survival.plot_hazard_ratios`)."""
        from ..plotting.survival import plot_hazard_ratios

        self._check_fitted()
        return plot_hazard_ratios(self, ax=ax, title=title)

    def label(self, column: str) -> str:
        """Axis label of a design column, with the unit its hazard ratio is per (``"usage_share (per 0.1)"``)."""
        self._check_fitted()
        if column in self.logged_:
            return f"{column} (log 1+x)"
        if column in self.scale_:
            return f"{column} (per {self.scale_[column]:g})"
        return column

    def __repr__(self) -> str:
        if not hasattr(self, "cox_"):
            return f"<ChurnDrivers (Cox, not fitted), covariates={self.covariates!r}>"
        v = self.validation_
        held = f", holdout concordance {v.concordance:.3f}" if v is not None else ""
        return (f"<ChurnDrivers (Cox) fitted on {self.n_rows_:,} rows ({self.n_churned_:,} churned), "
                f"{len(self.design_columns_)} covariates, tenure in {'whole ' if self.discrete else ''}"
                f"{self.unit_}s{held}>")
