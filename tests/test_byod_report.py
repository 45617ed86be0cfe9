"""The report on a snapshot data set: written, and every page says what a snapshot cannot give.

A Telco-shaped snapshot (tests/fixtures/telco_churn_sample.csv, IBM's columns)
saved as a folder with ``snapshot.json`` runs through ``csm-kit report``. Calendar
metrics (monthly churn, MRR movements, cohorts) must not be computed from the
start dates counted back from the snapshot day: their pages say the data is a
snapshot and their key numbers are empty. Survival numbers are computed, and
equal lifelines' Kaplan-Meier on the raw tenure and churn columns.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from csm_kit import from_snapshot
from csm_kit.cli import main
from csm_kit.report import report_notebooks

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = [p.stem for p in report_notebooks()]
#: Pages of a calendar metric: they must say "snapshot".
CALENDAR_PAGES = ("02_churn_retention", "03_revenue")


@pytest.fixture(scope="module")
def telco():
    return pd.read_csv(FIXTURES / "telco_churn_sample.csv")


@pytest.fixture(scope="module")
def snapshot_report(telco, tmp_path_factory):
    root = tmp_path_factory.mktemp("byod_report")
    frame = telco.assign(csm=["<script>alert(1)</script>" if i % 7 == 0 else ("Ann" if i % 2 else None)
                              for i in range(len(telco))])
    ds = from_snapshot(frame, customer_id="customerID", tenure="tenure", churned="Churn", as_of="2026-10-31",
                       mrr="MonthlyCharges", segment="Contract", owner="csm",
                       attributes=["SeniorCitizen", "TechSupport", "MonthlyCharges"])
    data = ds.to_dir(root / "telco")
    assert (data / "snapshot.json").is_file()
    status = main(["report", "--data", str(data), "--month", "2026-10", "--out", str(root / "reports"),
                   "--jobs", "2"])
    assert status == 0
    return root / "reports" / "2026-10"


def page_text(folder: Path, stem: str) -> str:
    raw = (folder / f"{stem}.html").read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


def test_report_is_written_with_every_page(snapshot_report):
    assert (snapshot_report / "index.html").is_file()
    for stem in PAGES:
        assert (snapshot_report / f"{stem}.html").is_file()


@pytest.mark.parametrize("stem", PAGES)
def test_each_page_says_it_is_a_snapshot_or_why_it_has_nothing(snapshot_report, stem):
    text = page_text(snapshot_report, stem)
    says_snapshot = "snapshot" in text.lower()
    says_missing = re.search(r"has no [\w ]+? tables?\b", text) is not None
    if stem in CALENDAR_PAGES or stem.startswith("00_"):
        assert says_snapshot, f"{stem}: a snapshot's calendar figures rest on invented dates; the page must say so"
    else:
        assert says_snapshot or says_missing, f"{stem}: says neither that the data is a snapshot nor what is missing"


def test_calendar_key_numbers_are_empty(snapshot_report):
    metrics = json.loads((snapshot_report / "metrics.json").read_text())["notebooks"]
    for name in ("logo_churn", "logo_retention", "churned_customers"):
        assert metrics["02_churn_retention"][name]["value"] is None
    for name in ("mrr", "nrr", "grr", "mrr_new", "mrr_churn"):
        assert metrics["03_revenue"][name]["value"] is None


def test_survival_numbers_equal_kaplan_meier_on_the_raw_columns(snapshot_report, telco):
    metrics = json.loads((snapshot_report / "metrics.json").read_text())["notebooks"]["04_survival_churn"]
    km = KaplanMeierFitter().fit(telco["tenure"], telco["Churn"].eq("Yes"))
    for months in (3, 6, 12, 24):
        assert metrics[f"retention_{months}m"]["value"] == pytest.approx(
            float(km.survival_function_at_times(months).iloc[0]), abs=1e-12)


def test_renewals_page_on_a_snapshot(snapshot_report):
    text = page_text(snapshot_report, "10_renewals")
    assert "renewal calendar (renewal dates and the pipeline) is not available" in text
    assert "<script>alert(1)</script>" in text  # the owner's name shown as text, escaped in the page
    raw = (snapshot_report / "10_renewals.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in raw
    for shown in (" nan ", " NaN ", " None ", " NaT "):
        assert shown not in f" {text} "
    metrics = json.loads((snapshot_report / "metrics.json").read_text())["notebooks"]["10_renewals"]
    assert metrics["renewals_due"]["value"] is None
    assert metrics["accounts_without_owner"]["value"] == sum(
        1 for i, churn in enumerate(pd.read_csv(FIXTURES / "telco_churn_sample.csv")["Churn"])
        if churn == "No" and i % 7 != 0 and i % 2 == 0)
