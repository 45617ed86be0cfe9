"""The revenue report area: every table, chart input and key number of notebook 03.

:func:`revenue_page` computes what the page shows and :func:`revenue_key_numbers`
what it records, both from :mod:`csm_kit.metrics.revenue` (MRR balances and
movements, NRR/GRR in the movement and trailing-12-month cohort forms, the
quick ratio), so the page, the index and ``metrics.json`` cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import display
from ..key_numbers import KeyNumber
from ..periods import to_month
from .pages import PagePart, ledger_reason, segment_lead, trend_start
from .revenue import MOVEMENTS, mrr, mrr_movements, quick_ratio, revenue_retention

__all__ = ["RevenuePage", "revenue_page", "revenue_key_numbers", "movements_worked_example"]


def _value(frame, month, column):
    """frame's ``column`` at ``month`` as a Python number, None when absent or missing."""
    if frame is None:
        return None
    rows = frame[frame["month"] == month]
    if rows.empty:
        return None
    v = rows[column].iloc[0]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if pd.isna(v) or (isinstance(v, float) and not np.isfinite(v)):
        return None
    return v.item() if hasattr(v, "item") else v


@dataclass(frozen=True, repr=False)
class RevenuePage:
    """What notebook 03 shows, computed once (see :func:`revenue_page`)."""

    month: pd.Period
    segment: str
    reason: str
    moves: pd.DataFrame | None
    balances: pd.DataFrame | None
    by_segment_mrr: pd.DataFrame | None
    monthly: pd.DataFrame | None
    ttm: pd.DataFrame | None
    qr: pd.DataFrame | None
    segment_table_frame: pd.DataFrame | None
    targets: dict

    @property
    def available(self) -> bool:
        """Whether the data has a ledger for the month."""
        return not self.reason

    def __repr__(self) -> str:
        return f"Revenue page for {self.month} ({self.segment}): {'available' if self.available else self.reason}"

    @property
    def this(self) -> pd.Series | None:
        """The reporting month's row of :func:`~csm_kit.metrics.revenue.mrr_movements`."""
        return None if self.moves is None else self.moves[self.moves["month"] == self.month].iloc[0]

    def headline_text(self):
        """The page's first sentence: who, which month, MRR and its change."""
        lead, who = segment_lead(self.segment)
        if not self.available:
            return display.text(lead + ", {month}: {reason}", who=who, month=str(self.month), reason=self.reason)
        t, now = self.this, self.balances[self.balances["month"] == self.month].iloc[0]
        growth = ("no MRR at the start of the month to compare with" if pd.isna(t["mrr_growth"]) else
                  display.format_number(t["mrr_growth"], "{:+.1%}") + " on last month")
        return display.text(lead + ", {month}: MRR **{mrr:money}** (ARR {arr:money}) from {paying} paying "
                            "customers, {growth}.", who=who, month=str(self.month), mrr=float(t["mrr_end"]),
                            arr=float(now["arr"]), paying=f"{int(now['paying_customers']):,}", growth=growth)

    def headline_table(self) -> PagePart:
        """MRR, ARR, paying customers, ARPA and growth at the month end."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        t, now = self.this, self.balances[self.balances["month"] == self.month].iloc[0]
        rows = [("MRR", display.format_number(now["mrr"], "money")),
                ("ARR (12 x MRR)", display.format_number(now["arr"], "money")),
                ("Paying customers", display.format_number(now["paying_customers"], "int")),
                ("ARPA (MRR per paying customer)", display.format_number(now["arpa"], "${:,.2f}")),
                ("MRR growth on last month", display.format_number(t["mrr_growth"], "{:+.2%}"))]
        return PagePart(pd.DataFrame(rows, columns=["what", "value"]), labels={"what": str(self.month), "value": ""},
                        caption=t["note"] or None)

    def reconciliation_table(self) -> PagePart:
        """start + new + reactivation + expansion - contraction - churn = end, with the customers behind each."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        t = self.this
        frame = pd.DataFrame({
            "step": ["MRR at the start", *MOVEMENTS, "MRR at the end"],
            "mrr": [t["mrr_start"], t["new"], t["reactivation"], t["expansion"], -t["contraction"], -t["churn"],
                    t["mrr_end"]],
            "customers": [t["paying_customers_start"], *(t[f"{m}_customers"] for m in MOVEMENTS),
                          t["paying_customers_end"]]})
        difference = t["mrr_start"] + t["new"] + t["reactivation"] + t["expansion"] - t["contraction"] - t["churn"] \
            - t["mrr_end"]
        caption = (f"start + movements - end = {difference:,.2f}; {int(t['joined_and_left']):,} customer(s) started "
                   f"and stopped paying inside {self.month} (in no balance and no movement)")
        return PagePart(frame, formats={"mrr": "{:+,.2f}", "customers": "int"}, labels={"mrr": "MRR (USD)"},
                        caption=caption)

    def retention_text(self):
        """NRR and GRR of the month and of the trailing 12 months, in one sentence."""
        if not self.available:
            return display.text("{reason}", reason=self.reason)
        m = self.monthly[self.monthly["month"] == self.month].iloc[0]
        y = self.ttm[self.ttm["month"] == self.month].iloc[0] if self.ttm is not None else None
        ttm = ("trailing 12 months: NRR " + display.format_number(y["nrr"], "share") + ", GRR "
               + display.format_number(y["grr"], "share")) if y is not None and not pd.isna(y["nrr"]) else \
            "no trailing-12-month figure (nobody was paying 12 months earlier)"
        return display.text("{month}: NRR {nrr:share}, GRR {grr:share} (one month); {ttm}.", month=str(self.month),
                            nrr=m["nrr"], grr=m["grr"], ttm=ttm)

    def quick_ratio_text(self):
        """The month's quick ratio, or why it has no finite value."""
        if not self.available:
            return display.text("{reason}", reason=self.reason)
        q = self.qr[self.qr["month"] == self.month].iloc[0]
        if not q["defined"]:
            return display.text("Quick ratio in {month}: {note}.", month=str(self.month), note=q["note"])
        return display.text("Quick ratio in {month}: **{q:ratio}** (MRR gained per dollar lost).",
                            month=str(self.month), q=q["quick_ratio"])

    def segment_table(self) -> PagePart:
        """MRR, customers, ARPA, movements, NRR/GRR and quick ratio of each segment this month."""
        if not self.available:
            return PagePart(None, reason=self.reason, escape_markdown=True)
        if self.segment_table_frame is None:
            return PagePart(None, reason="No customer segments in this data: no segment breakdown.",
                            escape_markdown=True)
        money = {c: "money" for c in ["mrr", "new", "reactivation", "expansion", "contraction", "churn"]}
        return PagePart(self.segment_table_frame, formats={**money, "arpa": "${:,.2f}", "paying_customers": "int",
                                                           "mrr_growth": "{:+.1%}", "nrr": "share", "grr": "share",
                                                           "quick_ratio": "ratio"}, labels={"arpa": "ARPA"})


def revenue_page(data, *, month, trend_months: int = 24, segment: str = "all",
                 targets: dict | None = None) -> RevenuePage:
    """Everything the revenue page shows for ``month``.

    Parameters
    ----------
    data : Dataset
        Needs ``subscriptions``; ``customers.segment`` for the breakdown.
    month : str or Period
    trend_months : int
        Months in the trends (from the first subscription on).
    segment : str
        The segment the data was restricted to ("all": none), for the headline.
    targets : dict, optional
        :func:`~csm_kit.metrics.scorecard.load_targets`, for the goals on the charts.

    Returns
    -------
    RevenuePage
        Frames None and ``reason`` set when the ledger cannot answer (no
        subscriptions, a snapshot, a month outside the data).

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> revenue_page(Dataset(), month="2026-10").headline_table().available
    False
    """
    month = to_month(month)
    targets = targets or {}
    reason = ledger_reason(data, month) or ""
    if reason:
        return RevenuePage(month, segment, reason, None, None, None, None, None, None, None, targets)
    first = trend_start(data, month, trend_months)
    moves = mrr_movements(data, start=first, end=month)
    balances = mrr(data, start=first, end=month)
    has_segment = data.has("customers") and "segment" in data.customers.columns
    by_seg = mrr(data, start=first, end=month, by="segment") if has_segment else None
    monthly = revenue_retention(data, start=first, end=month, form="movement")
    ttm = revenue_retention(data, start=first, end=month, form="cohort", window=12)
    qr = quick_ratio(data, start=first, end=month)
    seg_frame = None
    if has_segment:
        parts = [mrr(data, start=month, end=month, by="segment").set_index("segment")[
                     ["mrr", "paying_customers", "arpa"]],
                 mrr_movements(data, start=month, end=month, by="segment").set_index("segment")[
                     ["new", "reactivation", "expansion", "contraction", "churn", "mrr_growth"]],
                 revenue_retention(data, start=month, end=month, by="segment").set_index("segment")[["nrr", "grr"]],
                 quick_ratio(data, start=month, end=month, by="segment").set_index("segment")[["quick_ratio"]]]
        seg_frame = pd.concat(parts, axis=1)
        seg_frame = seg_frame[seg_frame["paying_customers"] > 0].reset_index()
        seg_frame["quick_ratio"] = seg_frame["quick_ratio"].where(np.isfinite(seg_frame["quick_ratio"]))
    return RevenuePage(month, segment, "", moves, balances, by_seg, monthly, ttm, qr, seg_frame, targets)


def revenue_key_numbers(data, *, month, trend_months: int = 24, segment: str = "all",
                        **report_parameters) -> list[KeyNumber]:
    """The key numbers of the revenue page (notebook 03).

    ``mrr`` (end of the month; previous = the start of the month), ``mrr_growth``,
    ``nrr`` and ``grr`` (one month, movement form), ``nrr_ttm`` and ``grr_ttm``
    (trailing 12 months, cohort form), ``quick_ratio``, ``arpa``,
    ``paying_customers``, ``arr`` and ``mrr_<movement>``; each with last month's
    value as ``previous`` where the data has it. All None when the ledger
    cannot answer for ``month``. Other report parameters are accepted and not used.

    Examples
    --------
    >>> from csm_kit import Dataset
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "start_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
    ...     "end_date": pd.NaT, "billing_period": "month", "amount": [100.0, 40.0]})
    >>> k = {n.name: n for n in revenue_key_numbers(Dataset(subscriptions=subs), month="2026-02")}
    >>> k["mrr"].value, k["mrr"].extra["previous"], k["mrr_growth"].value, k["quick_ratio"].value
    (140.0, 100.0, 0.4, None)
    >>> k["quick_ratio"].extra["note"]
    'no lost MRR: ratio is unbounded'
    """
    month = to_month(month)
    page = revenue_page(data, month=month, trend_months=2, segment=segment)  # the month and the one before
    prev = month - 1

    def val(frame, column, m=month):
        return _value(frame, m, column)

    q_defined = val(page.qr, "defined")
    ttm_base = val(page.ttm, "customers_base")
    return [
        KeyNumber("mrr", val(page.moves, "mrr_end"), "USD", f"MRR at the end of {month}",
                  {"previous": val(page.moves, "mrr_start")}),
        KeyNumber("mrr_growth", val(page.moves, "mrr_growth"), "share", "MRR growth (month over month)",
                  {"mrr_start": val(page.moves, "mrr_start"), "previous": val(page.moves, "mrr_growth", prev)}),
        KeyNumber("nrr", val(page.monthly, "nrr"), "share", "Net revenue retention (monthly)",
                  {"previous": val(page.monthly, "nrr", prev)}),
        KeyNumber("grr", val(page.monthly, "grr"), "share", "Gross revenue retention (monthly)",
                  {"previous": val(page.monthly, "grr", prev)}),
        KeyNumber("nrr_ttm", val(page.ttm, "nrr"), "share", "Net revenue retention (trailing 12 months)",
                  {"customers_base": None if ttm_base is None else int(ttm_base), "previous": val(page.ttm, "nrr", prev)}),
        KeyNumber("grr_ttm", val(page.ttm, "grr"), "share", "Gross revenue retention (trailing 12 months)",
                  {"scorecard": False}),
        KeyNumber("quick_ratio", val(page.qr, "quick_ratio"), "ratio", "SaaS quick ratio",
                  {"defined": q_defined, "note": val(page.qr, "note"), "previous": val(page.qr, "quick_ratio", prev)}),
        KeyNumber("arpa", val(page.balances, "arpa"), "USD", "ARPA (MRR per paying customer)",
                  {"previous": val(page.balances, "arpa", prev)}),
        KeyNumber("paying_customers", val(page.balances, "paying_customers"), "customers", "Paying customers",
                  {"previous": val(page.balances, "paying_customers", prev)}),
        KeyNumber("arr", val(page.balances, "arr"), "USD", "ARR (12 x MRR)", {"scorecard": False}),
        *[KeyNumber(f"mrr_{m}", val(page.moves, m), "USD", f"MRR movement: {m}", {"scorecard": False})
          for m in MOVEMENTS],
    ]


def movements_worked_example() -> pd.DataFrame:
    """The teaching example of notebook 03: five customers in one February, with the kit's figures.

    By hand: start 300, end 340; GRR (300 - 100 - 30) / 300 = 56.7%, NRR (300 - 100 - 30 + 50) / 300 = 73.3%,
    quick ratio (80 + 50 + 40) / (100 + 30) = 1.31, growth +13.3%.

    >>> movements_worked_example()[["mrr_start", "mrr_end", "grr", "nrr", "quick_ratio"]].round(3)
       mrr_start  mrr_end    grr    nrr  quick_ratio
    0      300.0    340.0  0.567  0.733        1.308
    """
    example = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "c", "d", "e", "e"],
        "start_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01", "2026-01-01",
                                      "2026-02-05", "2025-11-01", "2026-02-12"]),
        "end_date": pd.to_datetime([None, None, "2026-02-01", None, "2026-02-10", None, "2026-01-01", None]),
        "billing_period": ["month", "month", "month", "month", "month", "year", "month", "month"],
        "amount": [100.0, 50.0, 100.0, 70.0, 100.0, 960.0, 40.0, 40.0]})
    feb = dict(start="2026-02", end="2026-02")
    worked = mrr_movements(example, **feb)[["mrr_start", *MOVEMENTS, "mrr_end", "mrr_growth"]]
    return (worked.join(revenue_retention(example, **feb)[["grr", "nrr"]])
            .join(quick_ratio(example, **feb)[["quick_ratio"]]))
