"""What a reader gets: every page of the report reads as a finished document (issue 10, "a VP can read").

Each page of the kit's report on the small simulated data set is scanned as
a reader sees it (its visible text, style and script left out): no raw
Python repr (``<Dataset ...>``, ``<ChurnDrivers ...>``, ``object at 0x``),
no ``None``, ``NaT`` or ``nan``, no unformatted float (``0.02562111801242236``),
no snake_case column header, no number parameter named where its value
belongs ("the next `horizon_days` days"), no local path of the data; table columns say
their alignment on every cell (text left, numbers right, numbers formatted
before the table included). The index: its numbers formatted, the data named
by its folder name and fingerprint.
One test per page, so a failure names the page.
"""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from csm_kit.report import report_notebooks

PAGES = ["index"] + [nb.stem for nb in report_notebooks()]


class _Visible(HTMLParser):
    """The visible text of a page, and the text of its table headers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.headers, self._skip, self._in_th = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag == "th":
            self._in_th += 1
            self.headers.append("")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag == "th":
            self._in_th = max(0, self._in_th - 1)

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._in_th:
            self.headers[-1] += data


def visible(path: Path) -> tuple[str, list[str]]:
    parser = _Visible()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.text).split()), [" ".join(h.split()) for h in parser.headers]


RULES = {
    "raw Python repr": re.compile(r"<(Dataset|ChurnDrivers|csm_kit\.)|\bobject at 0x[0-9a-f]+|^\s*<\w+ object"),
    "None shown": re.compile(r"\bNone\b"),
    "NaT shown": re.compile(r"\bNaT\b"),
    "nan shown": re.compile(r"\bnan\b", re.I),
    "unformatted float": re.compile(r"\d\.\d{6,}"),
}


def _page(folder: Path, stem: str) -> Path:
    return folder / ("index.html" if stem == "index" else f"{stem}.html")


def _context(text: str, match: re.Match) -> str:
    return text[max(0, match.start() - 60): match.end() + 60]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("stem", PAGES)
def test_page_shows_no_raw_values(kit_report, stem, rule):
    text, _ = visible(_page(kit_report, stem))
    found = [_context(text, m) for m in RULES[rule].finditer(text)]
    assert found == [], f"{stem}: {rule}: {found[:3]}"


@pytest.mark.parametrize("stem", PAGES)
def test_table_headers_are_words_not_snake_case(kit_report, stem):
    _, headers = visible(_page(kit_report, stem))
    snake = [h for h in headers if re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", h)]
    assert snake == [], f"{stem}: column headers in snake_case: {snake[:8]}"


@pytest.mark.parametrize("stem", PAGES)
def test_page_shows_no_local_data_path(kit_report, small_data_dir, stem):
    text = _page(kit_report, stem).read_text(encoding="utf-8")
    assert str(small_data_dir) not in text, f"{stem}: shows the data's local path"
    assert str(Path(small_data_dir).parent) not in text, f"{stem}: shows a local path"


@pytest.mark.parametrize("stem", [p for p in PAGES if p != "index"])
def test_page_prose_gives_number_parameters_as_values_not_names(kit_report, stem):
    """A reader is told "the next 90 days", never "the next `horizon_days` days"."""
    import nbformat

    from csm_kit.report.parameters import parameter_values

    ran = parameter_values(nbformat.read(kit_report / f"{stem}.ipynb", as_version=4))
    numbers = [n for n, v in ran.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    page = _page(kit_report, stem).read_text(encoding="utf-8")
    named = [n for n in numbers if f"<code>{n}</code>" in page]
    assert named == [], f"{stem}: the prose names parameters instead of their values: {named}"


_NUMBER = re.compile(r"^(—|[+-]?[$€£¥]?\d{1,3}(,\d{3})*(\.\d{1,2})?(%| pts)?( [a-z][a-z ]*)?)$")


def test_index_numbers_are_formatted_and_the_data_named(kit_report, small_data_dir):
    import csm_kit

    page = (kit_report / "index.html").read_text(encoding="utf-8")
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td class='num'>(.*?)</td>", page)]
    assert cells, "the index has no numbers"
    bad = [c for c in cells if not _NUMBER.match(c)]
    assert bad == [], f"numbers on the index that are not formatted: {bad}"
    meta = re.search(r'<p class="meta">(.*?)</p>', page).group(1)
    assert Path(small_data_dir).name in meta and csm_kit.load_dataset(small_data_dir).fingerprint in meta
    assert re.search(r"<h1>Customer-success report, 2026-10</h1>", page)


_TABLE = re.compile(r'<table class="csm-table">(.*?)</table>', flags=re.S)
_CELL = re.compile(r'<t[dh] class="(num|text)" style="([^"]*)">(.*?)</t[dh]>', flags=re.S)
_FIGURES = re.compile(r"^[+-]?[$€£¥]?\d[\d,]*(\.\d+)?(e-?\d+)?(%| pts| points| h| days| months)?$")


def _columns(table_html: str) -> list[tuple[set, set, list]]:
    """Per column of one page table: the classes and inline styles of its cells, and its body cells' text."""
    rows = [_CELL.findall(row) for row in re.findall(r"<tr>(.*?)</tr>", table_html, flags=re.S)]
    width = max(len(r) for r in rows)
    return [({r[i][0] for r in rows if i < len(r)}, {r[i][1].rstrip(";") for r in rows if i < len(r)},
             [re.sub(r"<[^>]+>", "", r[i][2]).strip() for r in rows[1:] if i < len(r)]) for i in range(width)]


@pytest.mark.parametrize("stem", [p for p in PAGES if p != "index"])
def test_table_text_columns_are_left_aligned_and_number_columns_right_aligned(kit_report, stem):
    # JupyterLab right-aligns every cell of a notebook's tables: each cell says its alignment itself
    tables = _TABLE.findall(_page(kit_report, stem).read_text(encoding="utf-8"))
    assert tables, f"{stem}: no table"
    for t in tables:
        for classes, styles, cells in _columns(t):
            assert len(classes) == 1, f"{stem}: a column mixes number and text cells: {cells[:4]}"
            kind = classes.pop()
            assert styles == {"text-align: left" if kind == "text" else
                              "text-align: right; font-variant-numeric: tabular-nums"}, f"{stem}: {styles}"
            shown = [c for c in cells if c != "—"]
            if kind == "text" and shown:  # numbers formatted before they reached the table still read as numbers
                assert not all(_FIGURES.match(c) for c in shown), f"{stem}: numbers aligned as text: {shown[:4]}"
