"""Showing results to a person: the one place where tables and data text become HTML.

Every table a notebook shows and every sentence that carries text from the
data (a segment, a plan, a feature name, a comment, a customer id) goes
through this module, which escapes it. pandas' ``Styler`` does not escape by
default, and IPython's ``Markdown`` renders HTML as HTML, so a segment named
``<script>alert(1)</script>`` would otherwise run in every page of an emailed
report. Plots are images and stay inert whatever their labels say.

Conventions
-----------
- Column labels are shown in words (``customer_id`` -> ``Customer``,
  ``churn_rate`` -> ``Churn rate``); pass ``labels`` to name them yourself.
- Numbers are formatted by kind (``formats``): ``"share"`` as a percentage,
  ``"money"`` with the currency sign, ``"int"`` with thousands separators,
  ``"ratio"`` with two decimals, ``"decimal"`` with one, or any ``str.format``
  pattern. Unformatted floats get at most three significant decimals, never
  ``0.02562111801242236``. Missing values show as an em dash, never ``nan``,
  ``None`` or ``NaT``.
- Text columns (names, segments, owners, reasons, dates) are left-aligned,
  number columns right-aligned with tabular figures: a column is a number
  column when its dtype is numeric, or when every value it shows is a number
  or a number already formatted as text (``"1,288"``, ``"60.0%"``,
  ``"-1.3 points"``; see :func:`is_number_column`). The alignment is written
  on each cell (a ``style`` attribute JupyterLab's sanitizer keeps) as well
  as in its class (``num`` / ``text``, which the exported page's stylesheet
  styles): JupyterLab right-aligns every table cell, and a notebook has no
  stylesheet of the kit's.
"""
from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd

#: What a missing value looks like on a page.
MISSING = "—"

#: Column names that read better as a person would say them.
LABELS = {
    "customer_id": "Customer", "subscription_id": "Subscription", "user_id": "User", "ticket_id": "Ticket",
    "mrr": "MRR", "arr": "ARR", "nps": "NPS", "csat": "CSAT", "ces": "CES", "nrr": "NRR", "grr": "GRR",
    "clv": "CLV", "ltv": "LTV", "auc": "AUC", "p_churn": "Chance of churning", "n": "Answers",
    "ci_low": "95% low", "ci_high": "95% high", "month": "Month", "segment": "Segment", "plan": "Plan",
}

_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def escape(value) -> str:
    """The text of ``value`` with HTML's special characters escaped (``<`` becomes ``&lt;``).

    >>> escape("<script>alert('x')</script>")
    '&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;'
    >>> escape(None)
    '—'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT or value is pd.NA:
        return MISSING
    return html.escape(str(value), quote=True)


def label(name) -> str:
    """A column name as words: ``"churn_rate"`` -> ``"Churn rate"``, known acronyms kept upper case.

    >>> [label(c) for c in ("customer_id", "churn_rate", "new_mrr", "Already nice")]
    ['Customer', 'Churn rate', 'New MRR', 'Already nice']
    """
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    if "_" not in text and text != text.lower():
        return text
    words = [LABELS.get(w, w) if w in LABELS and w.isalpha() and w.upper() == LABELS[w] else w
             for w in text.split("_")]
    sentence = " ".join(w for w in words if w)
    return sentence[:1].upper() + sentence[1:]


def format_number(value, kind: str | None = None, *, currency: str = "USD") -> str:
    """One number as a reader expects it.

    ``kind``: ``"share"`` (0.256 -> ``25.6%``), ``"money"`` (``$1,234``; cents
    below 100), ``"int"`` (``1,234``), ``"ratio"`` (``1.23``), ``"decimal"``
    (``1.2``), a ``str.format`` pattern, or None (integers as integers, other
    floats with up to three decimals).

    >>> [format_number(0.02562111801242236, "share"), format_number(1234.5, "money"),
    ...  format_number(12.5, "money", currency="EUR"), format_number(3.0), format_number(0.02562111801242236),
    ...  format_number(float("nan"), "share"), format_number(2, "{:.1f} days")]
    ['2.6%', '$1,234', '€12.50', '3', '0.0256', '—', '2.0 days']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp, pd.Period)):
        return str(value.date()) if isinstance(value, pd.Timestamp) else str(value)
    if kind and "{" in kind:
        return kind.format(value)
    v = float(value)
    if kind == "share":
        return f"{100 * v:.1f}%"
    if kind == "money":
        return _money("-" if v < 0 else "", _CURRENCY_SIGNS.get(currency, currency + " "), abs(v))
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "ratio":
        return f"{v:,.2f}"
    if kind == "decimal":
        return f"{v:,.1f}"
    if v.is_integer() and abs(v) < 1e15:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:,.2f}"


def _money(sign: str, symbol: str, size: float) -> str:
    """An amount of money: whole units from 100 up, cents below (``size`` >= 0; ``sign`` "", "-" or "+")."""
    return f"{sign}{symbol}{size:,.0f}" if size >= 100 else f"{sign}{symbol}{size:,.2f}"


#: Longest text shown in a table cell; longer text (a pasted e-mail in a comment) is cut with an ellipsis.
MAX_TEXT = 300


def shorten(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` cut to at most ``limit`` characters at a word boundary, with an ellipsis when cut.

    >>> shorten("short"), shorten("one two three four", limit=10)
    ('short', 'one two…')
    """
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut) + "…"


def format_value(value, unit=None, *, change: bool = False) -> str:
    """A recorded number as a reader expects it, by its unit (the index, the scorecard, a notebook's key numbers).

    Shares as percentages (their changes in points), money with a currency sign
    in whole units from 100 up, ratios with two decimals and no unit word,
    whole numbers without decimals, other measures with one decimal.

    >>> [format_value(0.0321, "share"), format_value(-0.015, "share", change=True), format_value(1707535.5, "USD"),
    ...  format_value(145932.75, "USD", change=True), format_value(49.612, "USD"), format_value(7.642, "ratio"),
    ...  format_value(28.32, "hours"), format_value(2000, "customers"), format_value(-5, "customers", change=True), format_value(None, "days")]
    ['3.2%', '-1.5 pts', '$1,707,536', '+$145,933', '$49.61', '7.64', '28.3 hours', '2,000 customers', '-5', '—']
    """
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    sign = "+" if change and value > 0 else "-" if value < 0 else ""
    size = abs(value)
    if unit == "share":
        return f"{sign}{100 * size:.1f} pts" if change else f"{sign}{100 * size:.1f}%"
    if unit in _CURRENCY_SIGNS:
        return _money(sign, _CURRENCY_SIGNS[unit], size)
    if unit == "ratio":
        return f"{sign}{size:,.2f}"
    if float(size).is_integer():
        text = f"{sign}{size:,.0f}"
    else:
        text = f"{sign}{size:.3g}" if size < 1 else f"{sign}{size:,.1f}"  # 0.0512, not 0.1
    return f"{text} {unit}" if unit and not change else text


def _cell(value, kind, currency, max_text: int = MAX_TEXT) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.number, pd.Timestamp, pd.Period)) or value is None or value is pd.NA \
            or value is pd.NaT:
        return escape(format_number(value, kind, currency=currency))
    return escape(shorten(str(value), max_text))


#: A number already formatted as text: sign, currency, digits with separators, decimals, exponent, a unit.
_NUMBER_TEXT = re.compile(r"[+\-\u2212]?(?:[$€£¥]|[A-Z]{3} )?\d[\d,]*(?:\.\d+)?(?:[eE][+\-]?\d+)?"
                          r"(?:%|\s?[^\W\d_]{1,12}\.?)?")

#: The attributes of a number cell and of a text cell (see the module's conventions).
CELL_ATTRIBUTES = {"num": ' class="num" style="text-align: right; font-variant-numeric: tabular-nums"',
                   "text": ' class="text" style="text-align: left"'}


def is_number_column(column: pd.Series) -> bool:
    """Whether a table shows ``column`` as numbers (right-aligned) rather than text (left-aligned).

    True for a numeric dtype (not bool), and for a column of text whose every
    non-missing value is a number or reads as one once formatted (what
    :func:`format_number` and :func:`format_value` write: ``"1,288"``,
    ``"$1,262.04"``, ``"60.0%"``, ``"+3.7"``, ``"-1.3 points"``,
    ``"2.1e-11"``, ``"3.9 h"``). A column mixing numbers and words
    (``"17.0"``, ``"not reached"``), dates or months, or only missing
    values, is text.

    >>> [is_number_column(pd.Series(v)) for v in ([1, 2], ["1,288", "60.0%", "—", None], ["smb", "3"],
    ...                                          ["2026-10"], [True, False], ["+3.7", "-1.3 points", "$1,262.04"])]
    [True, True, False, False, False, True]
    """
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    if not pd.api.types.is_object_dtype(column) and not pd.api.types.is_string_dtype(column):
        return False
    shown = [v for v in column if not (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, str) and v == MISSING)
                                       or (isinstance(v, float) and math.isnan(v)))]
    return bool(shown) and all(
        (isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)))
        or (isinstance(v, str) and _NUMBER_TEXT.fullmatch(v.strip()) is not None) for v in shown)


class Table:
    """An escaped, formatted HTML table (what :func:`table` returns); displays itself in Jupyter."""

    def __init__(self, html_text: str, frame: pd.DataFrame):
        self.html = html_text
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.frame.to_string()


def table(frame: pd.DataFrame, *, formats: dict | None = None, labels: dict | None = None, index: bool = False,
          currency: str = "USD", max_rows: int | None = None, caption: str | None = None) -> Table:
    """``frame`` as a table a reader can trust: every cell and label escaped, numbers formatted.

    Parameters
    ----------
    frame : DataFrame
        What to show. Its index is shown only with ``index=True``.
    formats : dict, optional
        Column -> kind (``"share"``, ``"money"``, ``"int"``, ``"ratio"``,
        ``"decimal"`` or a ``str.format`` pattern); see :func:`format_number`.
    labels : dict, optional
        Column -> header text; other columns get :func:`label`.
    index : bool
        Show the index as the first column(s).
    currency : str
        ISO code for ``"money"`` columns.
    max_rows : int, optional
        Show the first ``max_rows`` rows and say how many were left out.
    caption : str, optional
        A line above the table (escaped).

    Returns
    -------
    Table
        Has ``_repr_html_`` (Jupyter shows it) and ``.html``.

    Examples
    --------
    >>> t = table(pd.DataFrame({"segment": ["<b>smb</b>"], "churn_rate": [0.0256]}), formats={"churn_rate": "share"})
    >>> "&lt;b&gt;smb&lt;/b&gt;" in t.html and "<b>" not in t.html and "2.6%" in t.html and "Churn rate" in t.html
    True

    Text left, numbers right (with tabular figures), on every cell:

    >>> print(t.html.split("<tbody>")[1].split("</tbody>")[0])
    <tr><td class="text" style="text-align: left">&lt;b&gt;smb&lt;/b&gt;</td><td class="num" style="text-align: right; font-variant-numeric: tabular-nums">2.6%</td></tr>
    """
    formats, labels = dict(formats or {}), dict(labels or {})
    shown = frame.reset_index() if index else frame
    extra = 0
    if max_rows is not None and len(shown) > max_rows:
        extra, shown = len(shown) - max_rows, shown.head(max_rows)
    kinds = [CELL_ATTRIBUTES["num" if is_number_column(shown.iloc[:, i]) else "text"]
             for i in range(shown.shape[1])]
    head = "".join(f"<th{kind}>{escape(labels.get(c, label(c)))}</th>" for c, kind in zip(shown.columns, kinds))
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = "".join(f"<td{kind}>{_cell(v, formats.get(c), currency)}</td>"
                        for c, kind, v in zip(shown.columns, kinds, row))
        body.append(f"<tr>{cells}</tr>")
    more = (f'<p class="csm-more">{extra:,} more row{"s" if extra != 1 else ""} not shown.</p>' if extra else "")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    html_text = (f'<div class="csm-table"><table class="csm-table">{cap}<thead><tr>{head}</tr></thead>'
                 f'<tbody>{"".join(body)}</tbody></table>{more}</div>')
    return Table(html_text, frame)


_FIELD = re.compile(r"\{(\w+)(?::([^}]*))?\}")


class Text:
    """A Markdown sentence, already escaped, that displays itself (:attr:`markdown`; Jupyter shows it as Markdown).

    What :func:`text` returns (the data's values escaped), and what a page
    shows for a sentence the kit wrote (:class:`csm_kit.metrics.pages.PagePart`
    HTML-escapes its reason into one). The text is shown as given: escape
    anything from the data first.

    >>> Text("No churn in **2026-10**.")
    No churn in **2026-10**.
    """

    def __init__(self, markdown: str):
        self.markdown = markdown

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return self.markdown

    def __str__(self) -> str:
        return self.markdown


def _escape_markdown(value: str) -> str:
    """Markdown's markup characters neutralised (no link, emphasis or heading from data), then HTML escaped.

    In that order, and without escaping quotes (text content, never an attribute): escaping HTML first
    would turn an apostrophe into ``&#x27;`` and the Markdown pass would then break that entity.

    >>> _escape_markdown("O'Brien & <b>*Co*</b>")
    "O'Brien &amp; &lt;b&gt;\\\\*Co\\\\*&lt;/b&gt;"
    """
    return html.escape(re.sub(r"([\\`*_\[\]()#!|])", r"\\\1", value), quote=False)


def text(template: str, **values) -> Text:
    """A Markdown sentence built from a trusted ``template`` and untrusted ``values``.

    ``{name}`` and ``{name:spec}`` fields are filled in: numbers formatted by
    ``spec`` (a ``format`` spec, or a kind of :func:`format_number` such as
    ``share`` or ``money``), text from the data escaped for HTML and Markdown.

    >>> text("**{segment}** churned {rate:share} this month.", segment="<img src=x onerror=alert(1)>", rate=0.031)
    **&lt;img src=x onerror=alert\\(1\\)&gt;** churned 3.1% this month.
    """
    def fill(match):
        name, spec = match.group(1), match.group(2)
        value = values[name]
        if isinstance(value, str):
            return _escape_markdown(value)
        if spec in ("share", "money", "int", "ratio", "decimal"):
            return escape(format_number(value, spec))
        if spec:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return MISSING
            return escape(format(value, spec))
        return _escape_markdown(format_number(value) if isinstance(value, (int, float, np.number)) else str(value))

    return Text(_FIELD.sub(fill, template))


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return is prefixed with ``'`` (OWASP's advice for CSV injection), so a
    customer named ``=HYPERLINK(...)`` stays text in Excel or Sheets. Numbers
    (negative ones included) are left alone.

    >>> csv_safe(pd.DataFrame({"name": ["=1+1", "-x", "ok"], "change": [-1.5, 2.0, 0.0]}))
         name  change
    0   '=1+1    -1.5
    1     '-x     2.0
    2      ok     0.0
    """
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r")
                                else v)
    return out
