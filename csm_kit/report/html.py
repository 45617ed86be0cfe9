"""HTML for the report: each executed notebook without code, and the index page.

Exports are self-contained so a page can be emailed or opened offline: plot
images are embedded as base64 data, and the page fetches nothing. nbconvert's
``lab`` template would load require.js, MathJax and mermaid from a CDN (a
console error, or a hang, in an offline browser); the report's template below
extends it with those blocks emptied, and adds a link back to the index and a
readable line length.

Pages are inert whatever the data says. Tables and sentences carrying data
text are escaped where they are made (:mod:`csm_kit.display`); as a second
defence, the export sanitizes every HTML and Markdown output and Markdown
cell (:func:`clean_html`: an allowlist of tags and attributes, no script,
no event handler, no ``javascript:`` link, images only as embedded
``data:image/...``), and never writes JavaScript or widget outputs.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets.config import Config

from .parameters import with_parameter_values

#: Cells with these tags never reach the HTML (papermill's injected parameters too).
ALWAYS_REMOVED = {"remove-cell", "injected-parameters"}
TEACHING_TAG = "teaching"

#: Tags an output or Markdown cell may carry on a report page (everything else is removed, its text kept).
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"})
_ATTRIBUTES = {"*": {"class", "title", "id", "align"}, "td": {"colspan", "rowspan", "style"},
               "th": {"colspan", "rowspan", "style", "scope"}, "img": {"alt", "width", "height"},
               "a": {"href"}, "ol": {"start"}}
_DROPPED_WITH_CONTENT = re.compile(r"<(script|style|iframe|object|embed|template|noscript|textarea|title|svg|math)"
                                   r"\b[^>]*>.*?</\1\s*>", flags=re.I | re.S)
_IMG_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>", flags=re.I)
_SAFE_HREF = re.compile(r"^(https?:|mailto:|#|[^:]*$)", flags=re.I)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "img" and name == "src":  # the page embeds its images; nothing is fetched
        return value.startswith("data:image/") and not value.startswith("data:image/svg")
    if tag == "a" and name == "href":
        return bool(_SAFE_HREF.match(value.strip()))
    return name in _ATTRIBUTES.get(tag, set()) or name in _ATTRIBUTES["*"]


def clean_html(fragment) -> str:
    """An HTML fragment with everything that could run or fetch removed (the report's sanitizer).

    Allowed: the tags in :data:`ALLOWED_TAGS` with plain attributes (class,
    title, id; colspan/rowspan and a sanitized ``style`` on table cells),
    links to http(s), mailto, anchors and relative pages, and images embedded
    as ``data:image/...``. Script, style, frames and SVG are dropped with
    their content; any other tag is dropped and its text kept (escaped).

    >>> clean_html('<p onclick="x()">Hi <script>alert(1)</script><img src=x onerror=alert(1)>'
    ...            '<a href="javascript:alert(1)">link</a><b>bold</b></p>')
    '<p>Hi <a>link</a><b>bold</b></p>'
    >>> clean_html('<table class="csm-table"><thead><tr><th class="num">MRR</th></tr></thead></table>')
    '<table class="csm-table"><thead><tr><th class="num">MRR</th></tr></thead></table>'
    """
    import bleach

    text = fragment.decode() if isinstance(fragment, bytes) else str(fragment)
    text = _DROPPED_WITH_CONTENT.sub("", text)
    kwargs = {}
    try:
        from bleach.css_sanitizer import CSSSanitizer

        kwargs["css_sanitizer"] = CSSSanitizer(allowed_css_properties=["text-align", "white-space", "width",
                                                                       "min-width", "max-width",
                                                                       "font-variant-numeric"])
    except ImportError:  # tinycss2 missing: style attributes are dropped
        pass
    cleaned = bleach.clean(text, tags=ALLOWED_TAGS, attributes=_allowed_attribute,
                           protocols={"http", "https", "mailto", "data"}, strip=True, strip_comments=True, **kwargs)
    return _IMG_WITHOUT_SOURCE.sub("", cleaned)  # an image whose source was not embedded shows nothing


#: Style of tables made by csm_kit.display.table, and of any other table: they fit a 1366 px screen.
#: Text cells (class ``text``) left, number cells (``num``) right with tabular figures. The class rules
#: outrank JupyterLab's ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td { text-align: right }``
#: (two classes and two elements against two classes and one), which the lab template brings and which
#: would otherwise right-align every cell; the cells also carry the alignment inline (csm_kit.display).
TABLE_CSS = """
.csm-table { max-width: 100%; overflow-x: auto; margin: .4rem 0 1rem; }
table.csm-table { border-collapse: collapse; font-size: 14px; width: auto; max-width: 100%; table-layout: auto; }
table.csm-table caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 .3rem; }
table.csm-table th, table.csm-table td { padding: .3rem .6rem; border-bottom: 1px solid #e3e3e3;
  vertical-align: top; text-align: left; }
table.csm-table th { background: #f4f6f8; font-weight: 600; }
table.csm-table td.text { max-width: 28rem; white-space: normal; overflow-wrap: break-word; }
table.csm-table th { white-space: normal; min-width: 3.5rem; }
table.csm-table th.text, table.csm-table td.text { text-align: left; }
table.csm-table th.num, table.csm-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.csm-table td.num { white-space: nowrap; }
.csm-more { color: #666; font-size: 13px; margin: .2rem 0 0; }
.jp-RenderedHTMLCommon table { max-width: 100%; }
.jp-OutputArea-output { overflow-x: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { overflow-wrap: break-word; }
"""

_TEMPLATE_NAME = "csm_kit_report.html.j2"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_javascript -%}{%- endblock data_javascript -%}
{%- block data_widget_view -%}{%- endblock data_widget_view -%}
{%- block html_head_css -%}
<style type="text/css">
main { max-width: 72rem; margin: 0 auto; padding: 0 1rem 3rem; }
.jp-RenderedHTMLCommon { font-size: 15px; line-height: 1.5; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
nav.csm-back { max-width: 72rem; margin: 0 auto; padding: .8rem 1rem 0; font: 14px sans-serif; }
{{ resources.csm_table_css }}
@media print { nav.csm-back { display: none; } main { max-width: none; } }
</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{%- if resources.csm_index_href -%}
<nav class="csm-back"><a href="{{ resources.csm_index_href }}">&larr; Report index</a></nav>
{%- endif -%}
{%- endblock body_header -%}
"""


def notebook_html(notebook: Path, *, teaching: bool = False, index_href: str | None = "index.html") -> str:
    """The executed notebook as a self-contained HTML page with code hidden.

    Cells tagged ``teaching`` are left out unless ``teaching`` is True; cells
    tagged ``remove-cell`` and papermill's injected parameters always are, and
    ``remove-input`` hides a cell's code (all code is hidden here anyway).
    Images are embedded as ``data:`` URIs; the page loads no script or style
    from elsewhere. ``index_href``: the link back to the report index (None: no link).
    A number parameter named in the Markdown is written as its value
    (:func:`~csm_kit.report.parameters.with_parameter_values`).
    """
    removed = set(ALWAYS_REMOVED) | (set() if teaching else {TEACHING_TAG})
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = removed
    config.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(config=config, template_name="lab", template_file=_TEMPLATE_NAME,
                            extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})], embed_images=True,
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            sanitize_html=True, filters={"clean_html": clean_html})
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    executed = with_parameter_values(nbformat.read(notebook, as_version=4))  # "the next 90 days", not a name
    body, _ = exporter.from_notebook_node(executed,
                                          resources={"csm_index_href": index_href, "csm_table_css": TABLE_CSS})
    return body


def _fmt(value, unit, *, change: bool = False) -> str:
    """A number as the index shows it: :func:`csm_kit.display.format_value` (one formatting everywhere).

    >>> _fmt(0.0321, "share"), _fmt(-0.015, "share", change=True)
    ('3.2%', '-1.5 pts')
    """
    from ..display import format_value

    return format_value(value, unit, change=change)




#: The index's style, scoped to ``.csm-index`` so the same rules serve the page and its section of report.pdf.
INDEX_CSS = """
.csm-index { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 68rem; padding: 0 1rem; color: #222; line-height: 1.45; }
.csm-index h1 { margin-bottom: .2rem; } .csm-index h3 { margin: 1.5rem 0 .3rem; font-size: 1rem; color: #444; }
.csm-index .meta { color: #666; font-size: .9rem; margin-top: 0; }
.csm-index table { border-collapse: collapse; width: 100%; margin: .5rem 0 .5rem; font-size: .95rem; }
.csm-index th, .csm-index td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e3e3;
       vertical-align: top; }
.csm-index th { background: #f4f6f8; white-space: nowrap; } .csm-index th.num, .csm-index td.num { text-align: right; }
.csm-index td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.csm-index td:first-child { overflow-wrap: break-word; }
.csm-index .status { display: inline-block; width: .8rem; height: .8rem; border-radius: 50%; vertical-align: -1px;
          margin-right: .3rem; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.csm-index .green { background: #3A9D6B; } .csm-index .yellow { background: #E3B23C; }
.csm-index .red { background: #C44E52; } .csm-index .none { background: #ccc; } .csm-index td.muted { color: #888; }
.csm-index .noise { font-size: .85rem; padding: .05rem .4rem; border-radius: .6rem; white-space: nowrap; }
.csm-index .noise.within { background: #eef1f4; color: #555; }
.csm-index .noise.beyond { background: #fdebd0; color: #7a4a00; }
.csm-index .legend { color: #555; font-size: .85rem; margin: 0 0 2rem; }
.csm-index .areas li { margin: .35rem 0; } .csm-index .areas .blurb { color: #555; font-size: .9rem; }
.csm-index .warn { color: #8a5a00; overflow-wrap: break-word; }
@media print { .csm-index .pdf-link { display: none; } }
"""
_STYLE = INDEX_CSS

_LEGEND = ("Status against the targets in <code>targets.yaml</code>: green, goal met; yellow, between the goal "
           "and the warning level; red, beyond it. Previous month: last month's report in the same folder, else "
           "the value the area notebook computed for the month before. Sampling noise (survey metrics): whether "
           "the change is larger than a fresh sample of respondents could produce by chance (95% test).")
_NOISE = {True: ("within", "within noise"), False: ("beyond", "beyond noise")}


def index_html(*, title: str, meta: str, areas: list[dict], scorecard_rows: list[dict],
               warnings: list[str], pdf_href: str | None = None) -> str:
    """The report's front page: the scorecard first, then a link to each area.

    Parameters
    ----------
    title, meta : str
        The page heading and the line under it (data source, fingerprint, segment).
    areas : list of dict
        ``title``, ``href`` and optionally ``blurb`` (a sentence on what the page answers).
    scorecard_rows : list of dict
        Rows of :func:`csm_kit.metrics.scorecard.scorecard`: ``label``, ``value``,
        ``unit`` and optionally ``previous``, ``change``, ``target``, ``status``
        (green/yellow/red), ``within_noise`` (True/False/None) and ``note``.
    warnings : list of str
        Data validation warnings, listed at the end.
    pdf_href : str, optional
        The whole report as one PDF (``report.pdf``), linked under the heading.

    Returns
    -------
    str
        A complete HTML page with its style inline (it fetches nothing).

    Examples
    --------
    >>> page = index_html(title="Report", meta="", areas=[{"title": "Churn", "href": "02_churn.html"}],
    ...                   scorecard_rows=[{"label": "CSAT", "value": 0.8, "unit": "share", "previous": 0.78,
    ...                                    "change": 0.02, "target": 0.85, "status": "yellow",
    ...                                    "within_noise": True}], warnings=[])
    >>> [s in page for s in ("80.0%", "78.0%", "+2.0 pts", "85.0%", "yellow", "within noise", "02_churn.html")]
    [True, True, True, True, True, True, True]
    """
    e = html.escape

    def row(r: dict, with_target: bool) -> str:
        unit = r.get("unit")
        noise = _NOISE.get(r.get("within_noise"))
        noise_cell = (f"<span class='noise {noise[0]}' title='{e(str(r.get('note') or ''))}'>{noise[1]}</span>"
                      if noise else "")
        cells = (f"<td>{e(str(r['label']))}</td><td class='num'>{e(_fmt(r.get('value'), unit))}</td>"
                 f"<td class='num'>{e(_fmt(r.get('previous'), unit))}</td>"
                 f"<td class='num'>{e(_fmt(r.get('change'), unit, change=True))}</td>")
        if with_target:
            status = r.get("status")
            css = status if status in ("green", "yellow", "red") else "none"
            cells += (f"<td class='num'>{e(_fmt(r.get('target'), unit))}</td>"
                      f"<td{'' if css != 'none' else ' class=muted'}><span class='status {css}' "
                      f"title='{e(status)}'></span>{e(status)}</td>")
        return f"<tr>{cells}<td>{noise_cell}</td></tr>"

    common = "<th>Metric</th><th class='num'>Value</th><th class='num'>Previous month</th><th class='num'>Change</th>"
    targeted = [r for r in scorecard_rows if r.get("status") not in (None, "no target")]
    others = [r for r in scorecard_rows if r.get("status") in (None, "no target")]
    tables = ""
    if targeted:
        tables += (f"<table id='targets'><tr>{common}<th class='num'>Target</th><th>Status</th>"
                   f"<th>Sampling noise</th></tr>{''.join(row(r, True) for r in targeted)}</table>"
                   f"<p class='legend'>{_LEGEND}</p>")
    if others:
        tables += ((f"<h3>Other key numbers</h3>" if targeted else "")
                   + f"<table id='others'><tr>{common}<th>Sampling noise</th></tr>"
                   + "".join(row(r, False) for r in others) + "</table>")
    links = "".join(f"<li><a href='{e(a['href'])}'>{e(a['title'])}</a>"
                    + (f"<br><span class='blurb'>{e(a['blurb'])}</span>" if a.get("blurb") else "") + "</li>"
                    for a in areas)
    warn = "".join(f"<li class='warn'>{e(w)}</li>" for w in warnings)
    warn_block = f"<h2>Data warnings</h2><ul>{warn}</ul>" if warnings else ""
    pdf_link = (f"<p class='meta pdf-link'><a href='{e(pdf_href)}'>The whole report as one PDF</a></p>"
                if pdf_href else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{_STYLE}</style></head>
<body class="csm-index"><h1>{e(title)}</h1><p class="meta">{e(meta)}</p>{pdf_link}
<h2>Scorecard</h2>{tables}
<h2>Area reports</h2><ul class="areas">{links}</ul>{warn_block}
</body></html>
"""
