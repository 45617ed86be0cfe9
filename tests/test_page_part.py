"""The one page-part type (csm_kit.metrics.pages.PagePart): what each page puts on the page, by hand.

Every report page's tables are PageParts. Two reason renderings coexist on
purpose (escape_markdown), each exactly what its pages showed before the two
page-part types were merged; the strings below are written out by hand.
"""
import pandas as pd

from csm_kit.display import Table, Text
from csm_kit.metrics.pages import PagePart

HOSTILE = "<script>alert('x')</script> (a_b) *c*"


def test_a_kit_reason_is_html_escaped_only():
    part = PagePart(reason=HOSTILE)
    shown = part.show()
    assert not part.available and isinstance(shown, Text)
    assert str(shown) == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; (a_b) *c*"
    assert part.note()._repr_markdown_() == str(shown)
    assert part._repr_html_() is None and part._repr_markdown_() == str(shown)  # Markdown, not inside HTML


def test_a_data_text_reason_is_markdown_and_html_escaped():
    part = PagePart(None, reason=HOSTILE, escape_markdown=True)
    shown = part.show()
    assert not part.available and isinstance(shown, Text)
    # Markdown's characters first get a backslash, then HTML's are escaped (not quotes: text content)
    assert shown.markdown == "&lt;script&gt;alert\\('x'\\)&lt;/script&gt; \\(a\\_b\\) \\*c\\*"
    assert part.note().markdown == shown.markdown
    # Shown as the Markdown it is: a notebook renders "\\(" as "(", where inside an HTML <p> the
    # backslashes showed on the page
    assert part._repr_html_() is None and part._repr_markdown_() == shown.markdown
    assert repr(part) == HOSTILE  # the notebook's text/plain, as before


def test_an_empty_reason_is_unavailable_and_shows_nothing():
    part = PagePart(None, reason="", escape_markdown=True)
    assert not part.available and part._repr_html_() is None and part._repr_markdown_() == ""


def test_a_table_is_escaped_and_formatted_and_shows_as_itself():
    frame = pd.DataFrame({"segment": ["<b>smb</b>", "ent"], "churn_rate": [0.025, 0.1]})
    part = PagePart(frame, formats={"churn_rate": "share"}, caption="October", max_rows=1)
    shown = part.show()
    assert part.available and isinstance(shown, Table)
    assert "<caption>October</caption>" in shown.html and "&lt;b&gt;smb&lt;/b&gt;" in shown.html
    assert "2.5%" in shown.html and "10.0%" not in shown.html and "1 more row not shown." in shown.html
    assert part._repr_html_() == shown.html and part._repr_markdown_() is None
    assert repr(part) == repr(frame)


def test_shown_replaces_the_frame_and_an_empty_table_with_a_caption_is_the_caption_alone():
    frame = pd.DataFrame({"month": ["2026-09", "2026-10"], "n": [3, 4]})
    assert "2026-09" not in PagePart(frame, shown=frame.tail(1)).show().html
    empty = PagePart(frame.iloc[:0], caption="No <rows> yet")
    assert str(empty.show()) == "No &lt;rows&gt; yet" and str(empty.note()) == "No &lt;rows&gt; yet"
    assert PagePart(frame).note() is None


# -- the data's last day: two names for two meanings ---------------------------------------------------------------
def _snapshot():
    """Two customers of a snapshot taken 2026-10-31; their start dates (counted back) end on 2026-09-15."""
    from csm_kit import Dataset

    customers = pd.DataFrame({"customer_id": ["a", "b"],
                              "signup_date": pd.to_datetime(["2026-06-01 09:00", "2026-09-15 13:30"]),
                              "snapshot_as_of": pd.to_datetime(["2026-10-31", "2026-10-31"])})
    subscriptions = pd.DataFrame({"subscription_id": ["s1", "s2"], "customer_id": ["a", "b"],
                                  "start_date": pd.to_datetime(["2026-06-01", "2026-09-15"]),
                                  "end_date": pd.to_datetime([None, None]), "billing_period": "month",
                                  "amount": [10.0, 20.0]})
    return Dataset(customers=customers, subscriptions=subscriptions, snapshot=True)


def test_the_last_dated_and_the_last_observed_day_differ_on_a_snapshot_only():
    from csm_kit import Dataset
    from csm_kit.metrics.pages import after_data_reason, last_dated_day, last_observed_day
    from csm_kit.models.risk import risk_backtest

    snap = _snapshot()
    # latest of signup_date (2026-09-15 13:30 -> midnight) and start_date (2026-09-15): 2026-09-15
    assert last_dated_day(snap) == pd.Timestamp("2026-09-15")
    # the snapshot is known up to the day it was taken
    assert last_observed_day(snap) == pd.Timestamp("2026-10-31")
    # what a page built on the dated day says of October
    assert after_data_reason(snap, "2026-10") == ("The data ends on 2026-09-15 (last complete month 2026-08), "
                                                  "before 2026-10: nothing to measure for 2026-10.")

    dated = Dataset(customers=snap.customers.drop(columns="snapshot_as_of"), subscriptions=snap.subscriptions)
    assert last_dated_day(dated) == last_observed_day(dated) == pd.Timestamp("2026-09-15")
    # the backtest's horizon is checked against the observed day: 2026-09-15 + 90 days = 2026-12-14, after it
    try:
        risk_backtest(dated, as_of="2026-09-15")
    except ValueError as exc:
        assert "after the data (2026-09-15)" in str(exc)
    else:
        raise AssertionError("a horizon past the data was accepted")


def test_nothing_dated_is_none_for_one_and_an_error_for_the_other():
    from csm_kit import Dataset
    from csm_kit.metrics.pages import last_dated_day, last_observed_day

    empty = Dataset(customers=pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime([None])}))
    assert last_dated_day(empty) is None
    assert last_dated_day(pd.DataFrame({"t": [1]}), "other") is None
    try:
        last_observed_day(empty)
    except ValueError as exc:
        assert str(exc) == "The data has no dates."
    else:
        raise AssertionError("no dates gave a day")


def test_a_reason_reaches_the_page_without_markdown_backslashes():
    """What a notebook cell showing an unavailable part puts in the exported page (IPython, then nbconvert)."""
    from IPython.core.formatters import DisplayFormatter
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    part = PagePart(None, reason="Snapshot data (one row a customer): no *monthly* churn_rate.", escape_markdown=True)
    shown, _ = DisplayFormatter().format(part)
    assert "text/html" not in shown  # an HTML <p> around the Markdown showed its backslashes
    html = markdown2html_mistune(shown["text/markdown"])
    assert "(one row a customer)" in html and "*monthly*" in html and "churn_rate" in html and "\\" not in html
