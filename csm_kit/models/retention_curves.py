"""Kaplan-Meier retention curves: overall and by group, with bands, at-risk counts, medians and log-rank tests.

Why Kaplan-Meier and not an average: on any day most customers have not
churned *yet*, so their lifetimes are unknown (censored). Averaging the
tenures of churned customers only keeps the short lives; averaging everyone
treats "still here after 4 months" as "lived 4 months". Kaplan-Meier uses
every customer for as long as it was observed:

``S(t) = prod over churn times t_i <= t of (1 - d_i / n_i)``

with ``d_i`` churned at ``t_i`` and ``n_i`` at risk just before it (tenure
>= t_i; with left truncation, also entered before t_i). Bands are lifelines'
exponential Greenwood intervals; the median lifetime is the first t with
``S(t) <= 0.5`` (not reached when the curve stays above one half).

Built on :class:`lifelines.KaplanMeierFitter` and
:func:`lifelines.statistics.multivariate_logrank_test`.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .base import check_is_fitted
from .survival_table import table_unit

NEEDED = ("tenure", "churned")


def check_table(table: pd.DataFrame, columns=NEEDED, who: str = "the survival table") -> None:
    """Refuse a table that is not a survival table: missing columns, missing or negative tenures, non-boolean churn."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{who} must be a DataFrame from survival_table(), not {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{who} needs column(s) {missing}; it has {list(table.columns)}. "
                         "Build it with csm_kit.models.survival_table().")
    shown = [c for c in ("customer_id", "spell", "tenure", "entry", "churned") if c in table.columns]
    rules = [("tenure", "must be a number >= 0", ~(pd.to_numeric(table["tenure"], errors="coerce") >= 0))]
    if "entry" in table.columns:
        rules.append(("entry", "must be >= 0 and <= tenure", ~((table["entry"] >= 0) & (table["entry"] <= table["tenure"]))))
    bad_churn = ~table["churned"].isin([True, False, 0, 1]) | table["churned"].isna()
    rules.append(("churned", "must be True/False", bad_churn))
    for column, rule, bad in rules:
        bad = bad.to_numpy(dtype=bool)
        if bad.any():
            rows = table.loc[bad, shown].head(5)
            raise ValueError(f"{who}: column {column!r} {rule}; {int(bad.sum())} row(s), for example:\n"
                             f"{rows.to_string()}")
    if not len(table):
        raise ValueError(f"{who} has no rows: nothing to fit.")


class RetentionCurves:
    """Kaplan-Meier retention curves of a survival table, overall or by a grouping column.

    Parameters
    ----------
    by : str, optional
        Column of the table to split by (``"segment"``, ``"plan"``,
        ``"billing_period"``, ``"cohort"``, ...). Missing labels form a
        ``"(missing)"`` group.
    times : sequence of float
        Tenures (in the table's unit) for the retention table; default 3, 6,
        12, 24 (months).
    alpha : float
        1 - confidence level of the bands and intervals (0.05: 95%).
    cohort_freq : str
        With ``by="cohort"``, group start months into ``"Q"`` (quarters,
        default), ``"Y"`` or ``"M"``.

    Attributes
    ----------
    fitters_ : dict
        Group label -> fitted :class:`lifelines.KaplanMeierFitter`.
    curves_ : DataFrame
        Tidy: ``group, tenure, retention, ci_low, ci_high, at_risk, churned, censored``.
    retention_ : DataFrame
        ``group, tenure, retention, ci_low, ci_high, at_risk``: one row per
        group and requested tenure; NaN beyond the longest tenure observed in
        the group (not yet known, not 0).
    median_lifetime_ : DataFrame
        ``group, customers, churned, censored, median, ci_low, ci_high`` (NaN
        when the curve never falls to one half: ``median_reached`` False).
    logrank_ : DataFrame or None
        One row: ``test_statistic, df, p_value, groups`` of the multivariate
        log-rank test that all groups share one curve (None with one group).
    pairwise_logrank_ : DataFrame or None
        ``group_a, group_b, test_statistic, p_value``.

    Examples
    --------
    >>> t = pd.DataFrame({"tenure": [1, 2, 2, 3, 4], "churned": [True, True, False, True, False]})
    >>> rc = RetentionCurves(times=[1, 2, 3]).fit(t, unit="month")  # a hand-made table names its unit
    >>> rc.retention_["retention"].round(2).tolist()
    [0.8, 0.6, 0.3]
    >>> rc
    <RetentionCurves (Kaplan-Meier) fitted on 5 rows (3 churned, 2 censored), 1 group, tenure in months>
    """

    def __init__(self, by: str | None = None, times=(3, 6, 12, 24), alpha: float = 0.05, cohort_freq: str = "Q"):
        self.by = by
        self.times = times
        self.alpha = alpha
        self.cohort_freq = cohort_freq

    def _check_fitted(self) -> None:
        check_is_fitted(self, "fitters_")

    def _groups(self, table: pd.DataFrame) -> pd.Series:
        if self.by is None:
            return pd.Series("all", index=table.index)
        if self.by not in table.columns:
            raise ValueError(f"RetentionCurves: by={self.by!r} is not a column of the table; "
                             f"it has {list(table.columns)}.")
        col = table[self.by]
        if self.by == "cohort" and isinstance(col.dtype, pd.PeriodDtype):
            col = col.dt.asfreq(self.cohort_freq)
        return col.astype(object).where(col.notna(), "(missing)").astype(str)

    def fit(self, table: pd.DataFrame, unit: str | None = None) -> "RetentionCurves":
        """Fit one Kaplan-Meier curve per group (left-truncated at ``entry`` when the table has one > 0).

        ``unit``: the unit of ``tenure`` for a table without a ``time_unit``
        column (one built by hand); a table from ``survival_table`` has one.
        """
        from lifelines import KaplanMeierFitter

        check_table(table)
        unit = table_unit(table, unit, who="RetentionCurves: the survival table")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, not {self.alpha!r}.")
        groups = self._groups(table)
        t = table["tenure"].to_numpy(dtype=float)
        e = table["churned"].to_numpy(dtype=bool)
        entry = table["entry"].to_numpy(dtype=float) if "entry" in table.columns else np.zeros(len(t))
        truncated = bool((entry > 0).any())
        labels = sorted(groups.unique())
        self.fitters_, curves, medians, ret = {}, [], [], []
        for g in labels:  # one fit per group: a handful of groups, not rows
            m = (groups == g).to_numpy()
            kmf = KaplanMeierFitter(alpha=self.alpha).fit(t[m], e[m], entry=entry[m] if truncated else None,
                                                          label=str(g))
            self.fitters_[g] = kmf
            ev = kmf.event_table
            ci = kmf.confidence_interval_survival_function_
            curves.append(pd.DataFrame({"group": g, "tenure": kmf.survival_function_.index.to_numpy(),
                                        "retention": kmf.survival_function_.iloc[:, 0].to_numpy(),
                                        "ci_low": ci.iloc[:, 0].to_numpy(), "ci_high": ci.iloc[:, 1].to_numpy(),
                                        "at_risk": ev["at_risk"].to_numpy(), "churned": ev["observed"].to_numpy(),
                                        "censored": ev["censored"].to_numpy()}))
            med = float(kmf.median_survival_time_)
            from lifelines.utils import median_survival_times
            mci = median_survival_times(ci).to_numpy().ravel()
            medians.append({"group": g, "customers": int(m.sum()), "churned": int(e[m].sum()),
                            "censored": int((~e[m]).sum()), "median": med if np.isfinite(med) else np.nan,
                            "ci_low": mci[0] if np.isfinite(mci[0]) else np.nan,
                            "ci_high": mci[1] if np.isfinite(mci[1]) else np.nan,
                            "median_reached": bool(np.isfinite(med))})
            times = np.asarray(self.times, dtype=float)
            known = times <= t[m].max()
            s = kmf.survival_function_at_times(times).to_numpy()
            pos = np.searchsorted(ci.index.to_numpy(), times, side="right") - 1
            at_risk = (t[m][None, :] >= times[:, None]).sum(axis=1) if not truncated else \
                ((t[m][None, :] >= times[:, None]) & (entry[m][None, :] < times[:, None])).sum(axis=1)
            ret.append(pd.DataFrame({"group": g, "tenure": times,
                                     "retention": np.where(known, s, np.nan),
                                     "ci_low": np.where(known, ci.iloc[pos, 0].to_numpy(), np.nan),
                                     "ci_high": np.where(known, ci.iloc[pos, 1].to_numpy(), np.nan),
                                     "at_risk": at_risk}))
        self.curves_ = pd.concat(curves, ignore_index=True)
        self.retention_ = pd.concat(ret, ignore_index=True)
        self.median_lifetime_ = pd.DataFrame(medians)
        self.logrank_, self.pairwise_logrank_ = self._logrank(t, e, groups, labels, truncated)
        self.n_rows_, self.n_churned_ = len(t), int(e.sum())
        self.unit_ = unit
        self.left_truncated_ = truncated
        return self

    def _logrank(self, t, e, groups, labels, truncated):
        if len(labels) < 2:
            return None, None
        if truncated:
            warnings.warn("The log-rank tests ignore left truncation (entry > 0): read them as indicative.",
                          stacklevel=3)
        from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test

        g = groups.to_numpy()
        res = multivariate_logrank_test(t, g, e)
        overall = pd.DataFrame({"test_statistic": [float(res.test_statistic)], "df": [int(res.degrees_of_freedom)],
                                "p_value": [float(res.p_value)], "groups": [len(labels)]})
        pw = pairwise_logrank_test(t, g, e).summary.reset_index()
        pw = pw.rename(columns={pw.columns[0]: "group_a", pw.columns[1]: "group_b"})
        return overall, pw[["group_a", "group_b", "test_statistic", "p"]].rename(columns={"p": "p_value"})

    @property
    def summary(self) -> pd.DataFrame:
        """One row per group: counts, median lifetime with interval, and retention at each requested tenure."""
        self._check_fitted()
        wide = self.retention_.pivot(index="group", columns="tenure", values="retention")
        wide.columns = [f"retention_{c:g}" for c in wide.columns]
        return self.median_lifetime_.set_index("group").join(wide).reset_index()

    def plot(self, ax=None, ci: bool = True, at_risk_counts: bool = True, title: str | None = None):
        """Retention curves with bands and at-risk counts (see :func:`csm_kit.plotting.survival.plot_retention`)."""
        from ..plotting.survival import plot_retention

        self._check_fitted()
        return plot_retention(self, ax=ax, ci=ci, at_risk_counts=at_risk_counts, title=title, legend=True)

    def __repr__(self) -> str:
        if not hasattr(self, "fitters_"):
            return f"<RetentionCurves (Kaplan-Meier, not fitted), by={self.by!r}>"
        n_groups = len(self.fitters_)
        return (f"<RetentionCurves (Kaplan-Meier) fitted on {self.n_rows_:,} rows ({self.n_churned_:,} churned, "
                f"{self.n_rows_ - self.n_churned_:,} censored), {n_groups} group{'s' if n_groups > 1 else ''}"
                f"{' by ' + self.by if self.by else ''}, tenure in {self.unit_}s>")
