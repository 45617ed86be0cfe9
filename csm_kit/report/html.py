"""HTML for the report: each executed notebook without code, and the index page.

Exports are self-contained: nbconvert embeds plot images as base64 data, so
an HTML file can be emailed on its own.
"""
from __future__ import annotations

import html
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets.config import Config

#: Cells with these tags never reach the HTML (papermill's injected parameters too).
ALWAYS_REMOVED = {"remove-cell", "injected-parameters"}
TEACHING_TAG = "teaching"


def notebook_html(notebook: Path, *, teaching: bool = False) -> str:
    """The executed notebook as an HTML page with code hidden.

    Cells tagged ``teaching`` are left out unless ``teaching`` is True.
    """
    removed = set(ALWAYS_REMOVED) | (set() if teaching else {TEACHING_TAG})
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = removed
    config.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(config=config, exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


def _fmt(value, unit, *, change: bool = False) -> str:
    """A number as a reader expects it: shares as percentages (changes in points), counts with separators."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, str):
        return value
    sign = "+" if change and value > 0 else ""
    if unit == "share":
        return f"{sign}{100 * value:.1f} pts" if change else f"{100 * value:.1f}%"
    if float(value).is_integer():
        text = f"{sign}{value:,.0f}"
    else:
        text = f"{sign}{value:,.2f}"
    return f"{text} {unit}" if unit and not change else text


_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: .2rem; } .meta { color: #666; font-size: .9rem; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; font-size: .95rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e3e3; }
th { background: #f4f6f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; width: .8rem; height: .8rem; border-radius: 50%; vertical-align: middle; }
.green { background: #3A9D6B; } .yellow { background: #E3B23C; } .red { background: #C44E52; }
.none { background: #ccc; }
ul.areas li { margin: .25rem 0; } .warn { color: #8a5a00; }
"""


def index_html(*, title: str, meta: str, areas: list[dict], scorecard_rows: list[dict],
               warnings: list[str]) -> str:
    """The report's front page: scorecard first, then links to each area.

    ``areas``: dicts with ``title`` and ``href``. ``scorecard_rows``: dicts with
    ``label``, ``value``, ``unit`` and optionally ``previous``, ``change``,
    ``target``, ``status`` (green/yellow/red) and ``note``.
    """
    e = html.escape
    has_targets = any("status" in r for r in scorecard_rows)
    head = "<tr><th>Metric</th><th>Value</th>"
    head += "<th>Previous month</th><th>Change</th><th>Target</th><th>Status</th><th>Note</th>" if has_targets else ""
    head += "</tr>"
    rows = []
    for r in scorecard_rows:
        unit = r.get("unit")
        cells = f"<td>{e(str(r['label']))}</td><td class='num'>{e(_fmt(r.get('value'), unit))}</td>"
        if has_targets:
            status = r.get("status") or "no target"
            css = status if status in ("green", "yellow", "red") else "none"
            cells += (f"<td class='num'>{e(_fmt(r.get('previous'), unit))}</td>"
                      f"<td class='num'>{e(_fmt(r.get('change'), unit, change=True))}</td>"
                      f"<td class='num'>{e(_fmt(r.get('target'), unit))}</td>"
                      f"<td><span class='status {css}' title='{e(status)}'></span> {e(status)}</td>"
                      f"<td>{e(str(r.get('note') or ''))}</td>")
        rows.append(f"<tr>{cells}</tr>")
    links = "".join(f"<li><a href='{e(a['href'])}'>{e(a['title'])}</a></li>" for a in areas)
    warn = "".join(f"<li class='warn'>{e(w)}</li>" for w in warnings)
    warn_block = f"<h2>Data warnings</h2><ul>{warn}</ul>" if warnings else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{_STYLE}</style></head>
<body><h1>{e(title)}</h1><p class="meta">{e(meta)}</p>
<h2>Scorecard</h2><table>{head}{''.join(rows)}</table>
<h2>Area reports</h2><ul class="areas">{links}</ul>{warn_block}
</body></html>
"""
