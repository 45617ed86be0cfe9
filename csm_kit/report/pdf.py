"""The report as one PDF (``report.pdf``), printed by headless Chromium.

The index and every area page are put into one HTML document, one section
per page, each section starting on a new sheet, and printed by Chromium
(Debian's ``chromium``, driven by Playwright with ``executable_path``: the
same browser the browser test uses; no browser is downloaded). The index's
links become links inside the PDF. Nothing is fetched while printing: every
request other than ``file:`` and ``data:`` is refused.

:func:`page_count` reads the number of pages back from the file (the page
tree's ``/Count``, checked against the ``/Type /Page`` objects), so the kit
needs no PDF library.
"""
from __future__ import annotations

import html
import os
import queue
import re
import shutil
import threading
from concurrent.futures import Future
from pathlib import Path

#: Chromium's executable: ``CSM_KIT_CHROMIUM`` if set, else the first of these that exists.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Sheet and margins of report.pdf: A4 landscape at 85%, so a page is laid out about 1,200 CSS px wide,
#: as on a laptop screen (the pages' tables and charts are made for that width).
PAPER = {"format": "A4", "landscape": True, "scale": 0.85,
         "margin": {"top": "12mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}}
LAYOUT_WIDTH = 1200

_SECTION_CSS = """
section.csm-pdf-section { break-before: page; }
section.csm-pdf-section:first-of-type { break-before: auto; }
nav.csm-back, .pdf-link, a.anchor-link { display: none !important; }
main { max-width: none !important; }
img { break-inside: avoid; }
tr, .csm-table caption { break-inside: avoid; }
h1, h2, h3 { break-after: avoid; }
.jp-OutputArea-output { overflow: visible !important; }
"""


def chromium_path() -> Path | None:
    """The Chromium executable the PDF is printed with, or None when there is none."""
    chosen = os.environ.get("CSM_KIT_CHROMIUM")
    for candidate in ([chosen] if chosen else []) + list(CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    found = shutil.which("chromium")
    return Path(found) if found else None


def unavailable() -> str | None:
    """Why report.pdf cannot be written here (no Playwright, no Chromium), or None when it can.

    >>> unavailable() is None or isinstance(unavailable(), str)
    True
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[pdf]')"
    if chromium_path() is None:
        return "no Chromium found (Debian: apt-get install chromium; or set CSM_KIT_CHROMIUM)"
    return None


_HEAD_STYLES = re.compile(r"<style[^>]*>.*?</style>", flags=re.S | re.I)
_BODY = re.compile(r"<body([^>]*)>(.*)</body>", flags=re.S | re.I)


def _body(page: str) -> str:
    found = _BODY.search(page)
    return found.group(2) if found else page


def combined_html(pages: list[Path], *, title: str, styles_from: list[Path] | None = None) -> str:
    """One HTML document holding every page as a section, in order, for printing.

    The styles of every page's head (or of ``styles_from``) are kept once
    each (the area pages share nbconvert's; the index has its own, scoped to
    ``.csm-index``). A link to another page of the report becomes a link to its section.
    """
    styles, sections, seen = [], [], set()
    stems = {Path(p).stem for p in pages}
    for path in styles_from or pages:
        head = Path(path).read_text(encoding="utf-8").split("<body", 1)[0]
        for style in _HEAD_STYLES.findall(head):
            if style not in seen:
                seen.add(style)
                styles.append(style)
    for path in pages:
        text = Path(path).read_text(encoding="utf-8")
        body_tag = _BODY.search(text)
        classes = re.search(r'class=["\']([^"\']*)["\']', body_tag.group(1)) if body_tag else None
        body = _body(text)
        for stem in stems:  # links between pages of the report stay inside the PDF
            body = re.sub(rf"""href=(["']){re.escape(stem)}\.html\1""", rf'href="#{stem}"', body)
        css = f"csm-pdf-section {classes.group(1) if classes else ''}".strip()
        sections.append(f'<section class="{html.escape(css)}" id="{html.escape(Path(path).stem)}">{body}</section>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            + "".join(styles) + f"<style>{_SECTION_CSS}</style></head>\n"
            '<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">'
            + "\n".join(sections) + "</body></html>\n")


def _footer(title: str) -> str:
    return ('<div style="font: 8px sans-serif; color: #777; width: 100%; padding: 0 12mm; display: flex; '
            f'justify-content: space-between;"><span>{html.escape(title)}</span>'
            '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')


def _launch(pw):
    return pw.chromium.launch(executable_path=str(chromium_path()), headless=True, args=FLAGS)


def _print_with(browser, document: Path, output: Path, title: str) -> None:
    page = browser.new_page(viewport={"width": LAYOUT_WIDTH, "height": 800})
    try:
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                   else route.abort())
        page.goto(document.as_uri(), wait_until="load")
        page.pdf(path=str(output), print_background=True, display_header_footer=True,
                 header_template="<div></div>", footer_template=_footer(title), outline=True, tagged=True,
                 **PAPER)
    finally:
        page.close()


def _print(document: Path, output: Path, title: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _launch(pw)
        try:
            _print_with(browser, document, output, title)
        finally:
            browser.close()


class Printer:
    """Playwright and Chromium started ahead, in their own thread, for :func:`write_pdf` (``printer=``).

    The report runner makes one while its notebooks run, so that starting
    Playwright and the browser (about 1 s) is off the report's wall time;
    :func:`write_pdf` then only loads the document and prints it, in the same
    browser flags and paper as without. A printer that failed to start fails
    the print with its reason. :meth:`close` stops the browser.
    """

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="csm-kit-pdf-printer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = _launch(pw)
                try:
                    while True:
                        job = self._jobs.get()
                        if job is None:
                            return
                        document, output, title, done = job
                        try:
                            _print_with(browser, document, output, title)
                        except Exception as exc:
                            done.set_exception(exc)
                        else:
                            done.set_result(output)
                finally:
                    browser.close()
        except Exception as exc:  # told to every print asked for, now or later
            with self._lock:
                self.error = exc
                while True:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None:
                        job[3].set_exception(exc)

    def print(self, document: Path, output: Path, title: str) -> None:
        """Print ``document`` into ``output`` (blocks until done; raises what printing raised)."""
        done: Future = Future()
        with self._lock:
            if self.error is not None:
                raise self.error
            if not self._thread.is_alive():
                raise RuntimeError("the printer is closed")
            self._jobs.put((document, output, title, done))
        done.result()

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)


def write_pdf(pages: list[Path], output: Path, *, title: str, styles_from: list[Path] | None = None,
              printer: Printer | None = None) -> Path:
    """Print ``pages`` (the index, then every area page) into one PDF at ``output``.

    Parameters
    ----------
    pages : list of Path
        HTML pages of the report, in the order they appear in the PDF.
    output : Path
        The PDF to write (``report.pdf`` beside ``index.html``).
    title : str
        The report's title, in the PDF's metadata and in every page's footer.
    styles_from : list of Path, optional
        Pages whose styles the document carries (default: ``pages``'); to
        print one page exactly as it is laid out in the whole report.
    printer : Printer, optional
        A browser started ahead (:class:`Printer`); default: one is started for this print.

    Returns
    -------
    Path
        ``output``.

    Raises
    ------
    ReportError
        Chromium is missing or failed to print.
    """
    from ..exceptions import ReportError

    reason = unavailable()
    if reason:
        raise ReportError(f"Cannot write report.pdf: {reason}.")
    output = Path(output)
    document = output.with_name(f".{output.stem}-print.html")
    document.write_text(combined_html([Path(p) for p in pages], title=title, styles_from=styles_from),
                        encoding="utf-8")
    failure = []

    def run():  # its own thread: Playwright's sync API refuses a thread that already runs an event loop
        try:
            _print(document, output, title)
        except Exception as exc:  # reported below, in the caller's thread
            failure.append(exc)

    try:
        if printer is not None:
            try:
                printer.print(document, output, title)
            except Exception as exc:
                failure.append(exc)
        else:
            worker = threading.Thread(target=run, name="csm-kit-pdf")
            worker.start()
            worker.join()
    finally:
        document.unlink(missing_ok=True)
    if failure:
        raise ReportError(f"Chromium could not print report.pdf: {failure[0]}") from failure[0]
    return output


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", flags=re.S)


def page_count(path) -> int:
    """The number of pages of a PDF, read from the file itself (no PDF library).

    The page tree's root ``/Count`` (the largest ``/Count`` of a ``/Pages``
    node) must equal the number of ``/Type /Page`` objects; a file that is
    not a complete PDF, or where the two disagree, is refused.

    Raises
    ------
    ValueError
        Not a PDF (no ``%PDF-`` header or ``%%EOF`` trailer), no page tree,
        or a page tree that disagrees with the page objects.
    """
    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise ValueError(f"{path}: not a complete PDF file.")
    pages = len(_PAGE_OBJECT.findall(data))
    counts = [int(a or b) for a, b in _COUNT.findall(data)]
    if not counts:
        raise ValueError(f"{path}: no page tree found (its objects may be compressed).")
    if max(counts) != pages:
        raise ValueError(f"{path}: the page tree counts {max(counts)} pages but the file has {pages} page objects.")
    return pages
