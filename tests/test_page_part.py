"""The one page-part type (csm_kit.metrics.pages.PagePart): what each page puts on the page, by hand.

Every report page's tables are PageParts. Two reason renderings coexist on
purpose (escape_markdown), each exactly what its pages showed before the two
page-part types were merged; the strings below are written out by hand.
"""
import pandas as pd

from csm_kit.display import Table, Text
from csm_kit.metrics.pages import PagePart, Sentence

HOSTILE = "<script>alert('x')</script> (a_b) *c*"


def test_a_kit_reason_is_html_escaped_only():
    part = PagePart(reason=HOSTILE)
    shown = part.show()
    assert not part.available and isinstance(shown, Sentence)
    assert str(shown) == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; (a_b) *c*"
    assert part.note()._repr_markdown_() == str(shown)
    assert part._repr_html_() == f"<p>{shown}</p>"


def test_a_data_text_reason_is_markdown_and_html_escaped():
    part = PagePart(None, reason=HOSTILE, escape_markdown=True)
    shown = part.show()
    assert not part.available and isinstance(shown, Text)
    # Markdown's characters first get a backslash, then HTML's are escaped (not quotes: text content)
    assert shown.markdown == "&lt;script&gt;alert\\('x'\\)&lt;/script&gt; \\(a\\_b\\) \\*c\\*"
    assert part.note().markdown == shown.markdown
    assert part._repr_html_() == "<p>" + shown.markdown + "</p>"
    assert repr(part) == HOSTILE  # the notebook's text/plain, as before


def test_an_empty_reason_is_unavailable_and_shows_nothing():
    part = PagePart(None, reason="", escape_markdown=True)
    assert not part.available and part._repr_html_() == "<p></p>"


def test_a_table_is_escaped_and_formatted_and_shows_as_itself():
    frame = pd.DataFrame({"segment": ["<b>smb</b>", "ent"], "churn_rate": [0.025, 0.1]})
    part = PagePart(frame, formats={"churn_rate": "share"}, caption="October", max_rows=1)
    shown = part.show()
    assert part.available and isinstance(shown, Table)
    assert "<caption>October</caption>" in shown.html and "&lt;b&gt;smb&lt;/b&gt;" in shown.html
    assert "2.5%" in shown.html and "10.0%" not in shown.html and "1 more row not shown." in shown.html
    assert part._repr_html_() == shown.html
    assert repr(part) == repr(frame)


def test_shown_replaces_the_frame_and_an_empty_table_with_a_caption_is_the_caption_alone():
    frame = pd.DataFrame({"month": ["2026-09", "2026-10"], "n": [3, 4]})
    assert "2026-09" not in PagePart(frame, shown=frame.tail(1)).show().html
    empty = PagePart(frame.iloc[:0], caption="No <rows> yet")
    assert str(empty.show()) == "No &lt;rows&gt; yet" and str(empty.note()) == "No &lt;rows&gt; yet"
    assert PagePart(frame).note() is None
