"""Report areas 00-03 as library objects: hand-computed key numbers, and honest pages on degenerate data.

The notebooks only show what these objects hold and record what the key-number functions return, so
testing them here tests the pages' numbers; tests/test_area_notebooks.py runs the notebooks themselves.
"""
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import csm_kit
from csm_kit import Dataset
from csm_kit.metrics import churn_rates, mrr_movements
from csm_kit.metrics.churn_page import churn_key_numbers, churn_page, cohort_retention_12m
from csm_kit.metrics.overview import data_overview, overview_key_numbers
from csm_kit.metrics.retention import DEFAULT_CONVENTION, month_churn
from csm_kit.metrics.revenue_page import revenue_key_numbers, revenue_page
from csm_kit.metrics.satisfaction_page import satisfaction_key_numbers, satisfaction_page
from csm_kit.plotting import overview as plot_overview, retention as plot_retention, revenue as plot_revenue
from csm_kit.plotting import satisfaction as plot_satisfaction

matplotlib.use("Agg")


def values(numbers):
    return {k.name: k.value for k in numbers}


# -- a company small enough to count by hand --------------------------------------------------------------

def hand_dataset():
    """Four customers. September: a, b, c pay ($100, $50, $30 a month). October: b leaves (price), a adds
    $20, d joins ($40). Relationship NPS waves in January (10, 9, 3) and July (6, 10), none since."""
    subs = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "d"],
        "start_date": pd.to_datetime(["2026-08-10", "2026-10-05", "2026-08-12", "2026-08-20", "2026-10-12"]),
        "end_date": pd.to_datetime([None, None, "2026-10-15", None, None]),
        "billing_period": "month", "amount": [100.0, 20.0, 50.0, 30.0, 40.0],
        "cancel_reason": [None, None, "price", None, None]})
    customers = pd.DataFrame({"customer_id": list("abcd"), "segment": ["smb", "ent", "smb", "ent"],
                              "signup_date": pd.to_datetime(["2026-08-01", "2026-08-02", "2026-08-03", "2026-10-01"])})
    surveys = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(7)], "customer_id": ["a", "b", "c", "a", "c", "a", "b"],
        "survey": ["nps"] * 5 + ["csat", "csat"], "score": [10.0, 9.0, 3.0, 6.0, 10.0, 5.0, 2.0],
        "touchpoint": ["relationship"] * 5 + ["support"] * 2,
        "comment": ["Great reports", "Fast", "Too expensive", "It doesn't support SSO", "Love it", None, None],
        "responded_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07", "2026-07-02", "2026-07-03",
                                        "2026-10-30", "2026-10-31"])})
    return Dataset(customers=customers, subscriptions=subs, surveys=surveys, source="/home/someone/acme")


def test_churn_key_numbers_by_hand():
    k = values(churn_key_numbers(hand_dataset(), month="2026-10"))
    # start: a, b, c paying on 30 Sep; b churned; d new and stays: seeds = 1 / (3 + 0)
    assert k["logo_churn"] == pytest.approx(1 / 3) and k["churned_customers"] == 1
    assert k["logo_retention"] == pytest.approx(2 / 3) and k["reactivated_customers"] == 0
    assert k["churn_top_reason"] == "price" and k["churn_top_reason_mrr_lost"] == 50.0
    assert k["logo_retention_12m"] is None  # no cohort is 12 months old


def test_month_churn_is_the_page_headline_and_the_default_convention():
    ds = hand_dataset()
    h = month_churn(ds, month="2026-10")
    assert DEFAULT_CONVENTION == "seeds" and h.convention == "seeds"
    assert h.rate == churn_rates(ds, start="2026-10", end="2026-10")["churn_rate"].item()
    page = churn_page(ds, month="2026-10")
    assert page.headline == h
    start = month_churn(ds, month="2026-10", convention="start")
    assert start.rate == pytest.approx(1 / 3) and start.label == "Logo churn in 2026-10 (start convention)"


def test_revenue_key_numbers_by_hand():
    k = values(revenue_key_numbers(hand_dataset(), month="2026-10"))
    # Sep end 180; Oct end: a 120 + c 30 + d 40 = 190
    assert k["mrr"] == 190.0 and k["mrr_new"] == 40.0 and k["mrr_expansion"] == 20.0 and k["mrr_churn"] == 50.0
    assert k["mrr_growth"] == pytest.approx(10 / 180)
    assert k["grr"] == pytest.approx(130 / 180) and k["nrr"] == pytest.approx(150 / 180)
    assert k["quick_ratio"] == pytest.approx(60 / 50) and k["paying_customers"] == 3
    assert k["arpa"] == pytest.approx(190 / 3) and k["arr"] == 12 * 190.0
    assert k["nrr_ttm"] is None  # nobody paid 12 months earlier
    assert values(revenue_key_numbers(hand_dataset(), month="2026-10"))["mrr"] == \
        mrr_movements(hand_dataset(), start="2026-10", end="2026-10")["mrr_end"].item()


def test_satisfaction_previous_nps_is_the_previous_distinct_wave():
    numbers = {k.name: k for k in satisfaction_key_numbers(hand_dataset(), month="2026-10")}
    nps = numbers["nps_relationship"]
    # July wave: 6 (detractor), 10 (promoter) -> 0; January: 2 promoters, 1 detractor -> +33.3
    assert nps.value == 0.0 and nps.extra["wave"] == "2026-07"
    assert nps.extra["previous"] == pytest.approx(100 / 3) and nps.extra["previous_wave"] == "2026-01"
    assert (nps.extra["previous_promoters"], nps.extra["previous_passives"], nps.extra["previous_detractors"]) == (2, 0, 1)
    assert numbers["csat_support"].value == 0.5 and numbers["csat_support"].extra["n"] == 2
    page = satisfaction_page(hand_dataset(), month="2026-10")
    assert "in the 2026-01 wave before it" in str(page.headline_text())
    moves = page.moves_table().frame
    assert moves.iloc[0][["from", "to", "change"]].tolist() == ["2026-01", "2026-07", "-33.3 points"]


def test_detractor_themes_read_negation():
    page = satisfaction_page(hand_dataset(), month="2026-10", trend_months=12)
    t = page.detractor_themes_table().frame.set_index("theme")
    # detractors: "Too expensive" (January, outside the window) and "It doesn't support SSO" (July)
    assert t.loc["missing features", "detractor_mentions"] == 1 and t.loc["support", "detractor_mentions"] == 0


def test_overview_by_hand_without_the_local_path():
    ds = hand_dataset()
    k = values(overview_key_numbers(ds, month="2026-10"))
    assert k == {"customers_total": 4, "new_customers": 1, "rows_customers": 4, "rows_subscriptions": 5,
                 "rows_surveys": 7}
    text = str(data_overview(ds, month="2026-10").headline_text())
    assert "/home/someone" not in text and "acme" in text


# -- degenerate data ---------------------------------------------------------------------------------------

def snapshot_dataset():
    from csm_kit.io.snapshot_import import from_snapshot

    frame = pd.DataFrame({"id": ["a", "b", "c"], "tenure": [3, 10, 0], "left": [True, False, False],
                          "mrr": [10.0, 20.0, 30.0]})
    return from_snapshot(frame, customer_id="id", tenure="tenure", churned="left", as_of="2026-10", mrr="mrr")


def nine_segments():
    ds = csm_kit.simulate(n_customers=180, start="2025-06", months=17, seed=41, usage_intensity=0)
    names = [f"region {i}" for i in range(8)] + ["<script>alert(1)</script>"]
    customers = ds.customers.assign(segment=[names[i % 9] for i in range(len(ds.customers))])
    return ds.with_tables(customers=customers)


def all_churned():
    ds = csm_kit.simulate(n_customers=40, start="2026-01", months=10, seed=42, usage_intensity=0)
    subs = ds.subscriptions.assign(end_date=ds.subscriptions["end_date"].fillna(pd.Timestamp("2026-10-20")))
    subs["end_date"] = subs[["end_date", "start_date"]].max(axis=1).where(subs["end_date"] > subs["start_date"],
                                                                         subs["start_date"] + pd.Timedelta(days=1))
    return ds.with_tables(subscriptions=subs)


def one_customer():
    ds = csm_kit.simulate(n_customers=30, start="2026-01", months=10, seed=43, usage_intensity=0)
    return ds.for_customers([ds.subscriptions["customer_id"].iloc[0]])


DEGENERATE = {
    "empty": lambda: Dataset(source="nothing"),
    "customers_only": lambda: Dataset(customers=hand_dataset().customers),
    "customers_and_subscriptions": lambda: hand_dataset().with_tables(surveys=None),
    "snapshot": snapshot_dataset,
    "nine_segments": nine_segments,
    "all_churned": all_churned,
    "one_customer": one_customer,
    "one_month": lambda: csm_kit.simulate(n_customers=30, start="2026-10", months=1, seed=44, usage_intensity=0),
    "cdnow": lambda: csm_kit.load_cdnow(),
}
MONTH = {"cdnow": "1998-06"}


@pytest.fixture(scope="module", params=list(DEGENERATE))
def degenerate(request):
    return request.param, DEGENERATE[request.param]()


def _every_part(page):
    return [getattr(page, name)() for name in dir(page)
            if (name.endswith("_table") or name.endswith("_text")) and callable(getattr(page, name))]


PLOTS = {
    "churn": [plot_retention.plot_churn_trend, plot_retention.plot_customer_flows, plot_retention.plot_churn_by_billing,
              lambda p: plot_retention.plot_cohort_heatmap(p, kind="logo"),
              lambda p: plot_retention.plot_cohort_heatmap(p, kind="revenue"), plot_retention.plot_cancel_reasons,
              plot_retention.plot_left_vs_stayed],
    "revenue": [plot_revenue.plot_mrr_waterfall, plot_revenue.plot_mrr_trend, plot_revenue.plot_mrr_movements,
                plot_revenue.plot_revenue_retention, lambda p: plot_revenue.plot_revenue_retention(p, form="cohort"),
                plot_revenue.plot_quick_ratio],
    "satisfaction": [plot_satisfaction.plot_nps_waves, plot_satisfaction.plot_survey_trend,
                     lambda p: plot_satisfaction.plot_survey_trend(p, survey="ces"),
                     plot_satisfaction.plot_detractor_themes],
    "overview": [plot_overview.plot_rows_per_month],
}


def test_every_page_part_and_chart_renders_on_degenerate_data(degenerate):
    name, ds = degenerate
    month = MONTH.get(name, "2026-10")
    pages = {"churn": churn_page(ds, month=month), "revenue": revenue_page(ds, month=month),
             "satisfaction": satisfaction_page(ds, month=month), "overview": data_overview(ds, month=month)}
    for area, page in pages.items():
        for part in _every_part(page):
            if getattr(part, "available", True) is False and part.reason == "":
                continue  # silent on purpose: the part above it said why (detractor comments after themes)
            shown = part.show() if hasattr(part, "show") else part
            text = getattr(shown, "html", None) or str(shown)
            assert text.strip(), f"{name}/{area}: an empty part"
            assert not pd.Series([text]).str.contains(r"\b(?:None|NaT|nan)\b|<script", regex=True).item(), \
                f"{name}/{area}: {text[:200]}"
        for plot in PLOTS[area]:
            ax = plot(page)
            assert ax is not None
            plt.close(ax.figure)
    if name in ("empty", "customers_only", "snapshot", "cdnow"):
        assert not pages["churn"].available and not pages["revenue"].available
        word = "snapshot" if name == "snapshot" else "no subscriptions"
        assert word in pages["churn"].reason and word in str(pages["churn"].headline_text())


def test_key_numbers_are_none_with_a_reason_where_the_ledger_cannot_answer(degenerate):
    name, ds = degenerate
    month = MONTH.get(name, "2026-10")
    churn, revenue = values(churn_key_numbers(ds, month=month)), values(revenue_key_numbers(ds, month=month))
    satisfaction, overview = values(satisfaction_key_numbers(ds, month=month)), values(overview_key_numbers(ds, month=month))
    assert list(churn) == ["logo_churn", "logo_retention", "churned_customers", "reactivated_customers",
                           "logo_retention_12m", "churn_top_reason", "churn_top_reason_mrr_lost"]
    assert list(satisfaction) == ["nps_relationship", "csat_support", "ces_support", "csat_onboarding",
                                  "ces_support_mean", "referral_candidates"]
    if name in ("empty", "customers_only", "snapshot", "cdnow"):
        assert all(v is None for v in churn.values()) and all(v is None for v in revenue.values())
    else:
        assert revenue["mrr"] is not None
    if name in ("empty", "customers_only", "customers_and_subscriptions", "snapshot", "cdnow"):
        assert all(v is None for v in satisfaction.values())
    if name == "all_churned":
        # everybody's last subscription ends on 20 October: every customer paying at the start leaves
        assert churn["logo_churn"] == 1.0 and revenue["mrr"] == 0.0 and revenue["paying_customers"] == 0
    if name == "one_month":
        assert churn["logo_churn"] is None  # nobody was paying at the start of the data's only month
    if name == "cdnow":
        assert overview["customers_total"] == len(ds.customers)


def test_nine_segments_get_nine_colours_and_the_payload_stays_text():
    ds = nine_segments()
    page = churn_page(ds, month="2026-10")
    assert page.by_segment["segment"].nunique() == 9
    ax = plot_retention.plot_churn_trend(page)
    colours = [line.get_color() for line in ax.lines if line.get_label() not in ("all customers",)]
    segment_lines = [c for line, c in zip(ax.lines, [l.get_color() for l in ax.lines])
                     if line.get_label() not in ("all customers",) and not line.get_label().startswith("goal")]
    assert len(segment_lines) == 9 and len(set(segment_lines)) == 9
    plt.close(ax.figure)
    html = page.segment_table().show().html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    reasons = page.reasons_month_table().show().html
    assert "<script>" not in reasons
    assert colours  # the chart drew something


def test_months_outside_the_data_say_so_and_record_nothing():
    ds = hand_dataset()
    # the last dated row is the CSAT answer of 31 October, so October is the last complete month
    for month, reason in (
            ("2099-01", "The data ends on 2026-10-31 (last complete month 2026-10), before 2099-01: "
                        "nothing can be said about 2099-01 yet."),
            ("2026-07", "The first subscription starts in 2026-08, after 2026-07: there was no paying customer yet.")):
        page = churn_page(ds, month=month)
        assert not page.available and page.reason == reason
        assert values(churn_key_numbers(ds, month=month))["logo_churn"] is None
        assert values(revenue_key_numbers(ds, month=month))["mrr"] is None
    assert satisfaction_page(ds, month="2099-01").reason == (
        "The data ends on 2026-10-31 (last complete month 2026-10), before 2099-01: "
        "no answers can be reported for 2099-01.")
    late = {k.name: k for k in overview_key_numbers(ds, month="2099-01")}["new_customers"]
    assert late.value is None and late.extra["reason"] == (
        "The data ends on 2026-10-31 (last complete month 2026-10), before 2099-01: "
        "no sign-ups can be counted for 2099-01.")


def test_edges_of_the_sample_range():
    ds = csm_kit.simulate(n_customers=120, start="2025-01", months=14, seed=45, usage_intensity=0)
    first, last = "2025-01", "2026-02"
    assert values(churn_key_numbers(ds, month=first))["logo_churn"] is None  # nobody paid before the first month
    assert values(revenue_key_numbers(ds, month=first))["mrr"] > 0
    k = values(churn_key_numbers(ds, month=last))
    assert k["logo_churn"] == churn_rates(ds, start=last, end=last)["churn_rate"].item()
    assert values(revenue_key_numbers(ds, month=last))["nrr_ttm"] is not None
    assert cohort_retention_12m(ds, month=last, cohort_months=14).first_cohort == pd.Period("2025-01", "M")


def test_the_scorecard_never_compares_a_survey_wave_with_itself(tmp_path):
    """Last month's report showed the same July wave: the index uses the previous distinct wave instead."""
    import json

    from csm_kit.report.runner import _scorecard

    numbers = {k.name: {"name": k.name, "value": k.value, "unit": k.unit, "label": k.label, **k.extra}
               for k in satisfaction_key_numbers(hand_dataset(), month="2026-10")}
    shown_last_month = {k.name: {"name": k.name, "value": k.value, "unit": k.unit, "label": k.label, **k.extra}
                        for k in satisfaction_key_numbers(hand_dataset(), month="2026-09")}
    assert shown_last_month["nps_relationship"]["wave"] == "2026-07"
    (tmp_path / "metrics.json").write_text(json.dumps({"notebooks": {"01_satisfaction": shown_last_month}}))
    card = _scorecard({"01_satisfaction": numbers}, pd.Period("2026-10", "M"), tmp_path).set_index("metric")
    assert card.loc["nps_relationship", "value"] == 0.0
    assert card.loc["nps_relationship", "previous"] == pytest.approx(100 / 3)  # January, not July again
    assert card.loc["nps_relationship", "change"] == pytest.approx(-100 / 3)


def test_no_detractor_comments_is_said_once():
    ds = hand_dataset()
    surveys = ds.surveys.assign(comment=ds.surveys["comment"].where(ds.surveys["score"] >= 9, None))
    page = satisfaction_page(ds.with_tables(surveys=surveys), month="2026-10", trend_months=12)
    themes, comments = page.detractor_themes_table(), page.detractor_comments_table()
    assert not themes.available and themes.reason == "No detractor comments from 2026-01 to 2026-10."  # the data starts in January
    assert not comments.available and comments.reason == ""  # said once, under the chart above
    assert satisfaction_page(hand_dataset(), month="2026-10", trend_months=12).detractor_comments_table().available
