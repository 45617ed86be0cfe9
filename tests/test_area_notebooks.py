"""Notebooks 00-03 under papermill on awkward data: they run, say what they cannot compute, escape every
payload, and record exactly what the areas' key-number functions compute (one number, one place).

Scenarios come from tests/degenerate_data.py (another simulator seed with 9 segments, one of them named
``<script>alert(1)</script>``, at the first and the last month of its range and as a segment report;
one month of data; one customer; customers and subscriptions only; CDNOW).
"""
import pytest

NUMBERS = {
    "00_data_overview": None,  # rows_<table> depend on the tables present
    "01_satisfaction": ["nps_relationship", "csat_support", "ces_support", "csat_onboarding", "ces_support_mean",
                        "referral_candidates"],
    "02_churn_retention": ["logo_churn", "logo_retention", "churned_customers", "reactivated_customers",
                           "logo_retention_12m", "churn_top_reason", "churn_top_reason_mrr_lost"],
    "03_revenue": ["mrr", "mrr_growth", "nrr", "grr", "nrr_ttm", "grr_ttm", "quick_ratio", "arpa",
                   "paying_customers", "arr", "mrr_new", "mrr_reactivation", "mrr_expansion", "mrr_contraction",
                   "mrr_churn"],
}
SCENARIOS = ["hostile_last_month", "hostile_first_month", "hostile_segment", "one_month", "one_customer", "minimal",
             "cdnow"]


@pytest.fixture(scope="module")
def awkward_runs(tmp_path_factory):
    from csm_kit.config import NOTEBOOKS_DIR
    from tests import degenerate_data
    from tests.notebook_runs import run_notebooks

    dirs = degenerate_data.build(tmp_path_factory.mktemp("awkward_areas"))
    out = tmp_path_factory.mktemp("area_runs")
    runs = run_notebooks({(stem, scenario): (NOTEBOOKS_DIR / f"{stem}.ipynb", out / f"{stem}-{scenario}.ipynb",
                                             {"data": str(dirs[data]), **parameters})
                          for stem in NUMBERS for scenario, (data, parameters, _) in degenerate_data.SCENARIOS.items()})
    by_stem = {stem: {scenario: nb for (s, scenario), nb in runs.items() if s == stem} for stem in NUMBERS}
    return by_stem, dirs


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("stem", list(NUMBERS))
def test_area_notebook_on_awkward_data(stem, scenario, awkward_runs):
    import csm_kit
    from csm_kit.key_numbers import key_numbers_function
    from csm_kit.record import read_recorded
    from tests import degenerate_data

    runs, dirs = awkward_runs
    data, params, absent = degenerate_data.SCENARIOS[scenario]
    ds = csm_kit.load_dataset(dirs[data]).for_segment(params.get("segment", "all"))
    expected = key_numbers_function(stem)(ds, **params)
    names = NUMBERS[stem] or [k.name for k in expected]
    page, recorded, _ = degenerate_data.check_run(runs[stem][scenario], scenario, names)
    text = "\n".join(page)
    # one number, one place: the notebook recorded what the library computes
    got = {n: recorded[n]["value"] for n in names}
    want = {k.name: k.value for k in expected}
    assert got.keys() == want.keys()
    for name in names:
        if isinstance(want[name], (int, float)) and want[name] is not None:
            assert got[name] == pytest.approx(want[name]), name
        else:
            assert got[name] == (str(want[name]) if want[name] is not None and not isinstance(want[name], str)
                                 else want[name]), name
    if data == "hostile" and stem in ("02_churn_retention", "03_revenue") and scenario != "hostile_segment":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the payload segment, escaped in the tables
    if scenario == "hostile_segment":
        assert "Segment **&lt;script&gt;alert\\(1\\)&lt;/script&gt;**" in page[0]
    if "subscriptions" in absent and stem in ("02_churn_retention", "03_revenue"):
        assert "no subscriptions" in text and all(v is None for v in got.values())
    if "surveys" in absent and stem == "01_satisfaction":
        assert "no surveys table" in text and all(v is None for v in got.values())
    if stem == "02_churn_retention" and "subscriptions" not in absent and scenario != "one_month":
        assert "Why customers leave" not in text  # headings are markdown cells, not outputs
        assert "cohort" in text.lower()


@pytest.fixture(scope="module")
def hostile_runs(hostile_data_dir, tmp_path_factory):
    """Notebooks 00-03 on the data set with a script or formula payload in every text value (tests/hostile.py)."""
    from csm_kit.config import NOTEBOOKS_DIR
    from tests.notebook_runs import run_notebooks

    out = tmp_path_factory.mktemp("area_hostile")
    return run_notebooks({stem: (NOTEBOOKS_DIR / f"{stem}.ipynb", out / f"{stem}.ipynb",
                                 {"data": str(hostile_data_dir), "month": "2026-10"}) for stem in NUMBERS})


@pytest.mark.parametrize("stem", list(NUMBERS))
def test_area_notebook_escapes_a_payload_in_every_text_column(stem, hostile_runs):
    import re

    from tests import degenerate_data

    nb = hostile_runs[stem]
    if isinstance(nb, Exception):
        raise nb
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    text = "\n".join(degenerate_data.page_outputs(nb))
    assert "<script" not in text.lower() and "<iframe" not in text.lower()
    assert not re.search(r"<(img|svg|b)\b[^>]*\bon\w+=", text, flags=re.I), "an injected element"
    markdown = [o["data"]["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
                if "text/markdown" in o.get("data", {})]
    assert not any(re.search(r"\]\(javascript:", m) for m in markdown), "a live Markdown link"
    if stem == "02_churn_retention":
        assert "&lt;script&gt;alert(" in text  # payload segments and cancel reasons shown, escaped
    if stem == "01_satisfaction":
        assert "&lt;" in text  # payload comments, segments and customer ids shown, escaped


def test_churn_and_revenue_notebooks_when_every_customer_churned(tmp_path):
    """Every subscription ends by 20 October: churn 100%, MRR 0, no division by zero on the page."""
    import pandas as pd

    import csm_kit
    from csm_kit.config import NOTEBOOKS_DIR
    from csm_kit.record import read_recorded
    from tests import degenerate_data
    from tests.notebook_runs import run_notebooks

    ds = csm_kit.simulate(n_customers=40, start="2026-01", months=10, seed=42)
    subs = ds.subscriptions.assign(end_date=ds.subscriptions["end_date"].fillna(pd.Timestamp("2026-10-20")))
    subs["end_date"] = subs["end_date"].where(subs["end_date"] > subs["start_date"],
                                              subs["start_date"] + pd.Timedelta(days=1))
    folder = ds.with_tables(subscriptions=subs).to_dir(tmp_path / "all_churned")
    expectations = (("02_churn_retention", {"logo_churn": 1.0}), ("03_revenue", {"mrr": 0.0, "nrr": 0.0}))
    runs = run_notebooks({stem: (NOTEBOOKS_DIR / f"{stem}.ipynb", tmp_path / f"{stem}.ipynb",
                                 {"data": str(folder), "month": "2026-10"}) for stem, _ in expectations})
    for stem, expected in expectations:
        nb = runs[stem]
        if isinstance(nb, Exception):
            raise nb
        recorded = read_recorded(nb)
        assert {n: recorded[n]["value"] for n in expected} == expected
        text = "\n".join(degenerate_data.page_outputs(nb))
        assert "nan" not in text.lower().split() and "None" not in text


def test_area_notebooks_on_a_snapshot_data_set(tmp_path):
    """One row per customer (csm_kit.from_snapshot): calendar metrics say they are not available, record None."""
    import pandas as pd

    import csm_kit
    from csm_kit.config import NOTEBOOKS_DIR
    from csm_kit.record import read_recorded
    from tests import degenerate_data
    from tests.notebook_runs import run_notebooks

    frame = pd.DataFrame({"customerID": [f"K{i:03d}" for i in range(60)], "tenure": [i % 30 for i in range(60)],
                          "Churn": ["Yes" if i % 4 == 0 else "No" for i in range(60)],
                          "MonthlyCharges": [20.0 + i for i in range(60)],
                          "Contract": ["Month-to-month" if i % 2 else "One year" for i in range(60)]})
    snap = csm_kit.from_snapshot(frame, customer_id="customerID", tenure="tenure", churned="Churn",
                                 as_of="2026-10", mrr="MonthlyCharges", segment="Contract")
    folder = snap.to_dir(tmp_path / "snapshot")
    assert csm_kit.load_dataset(folder).snapshot
    runs = run_notebooks({stem: (NOTEBOOKS_DIR / f"{stem}.ipynb", tmp_path / f"{stem}.ipynb",
                                 {"data": str(folder), "month": "2026-10"}) for stem in NUMBERS})
    for stem in NUMBERS:
        nb = runs[stem]
        if isinstance(nb, Exception):
            raise nb
        recorded = read_recorded(nb)
        text = "\n".join(degenerate_data.page_outputs(nb))
        if stem in ("02_churn_retention", "03_revenue"):
            assert "snapshot" in text and all(recorded[n]["value"] is None for n in NUMBERS[stem])
        if stem == "00_data_overview":
            assert "It is a snapshot" in text and recorded["customers_total"]["value"] == 60


@pytest.fixture(scope="module")
def sample_edge_runs(tmp_path_factory):
    """Notebooks 00-03 on the bundled sample at the first (2023-11) and last (2026-10) month of its range."""
    from csm_kit.config import NOTEBOOKS_DIR
    from tests.notebook_runs import run_notebooks

    out = tmp_path_factory.mktemp("area_sample_edges")
    return run_notebooks({(stem, month): (NOTEBOOKS_DIR / f"{stem}.ipynb", out / f"{stem}-{month}.ipynb",
                                          {"month": month}) for stem in NUMBERS for month in ("2023-11", "2026-10")})


@pytest.mark.parametrize("month", ["2023-11", "2026-10"])
@pytest.mark.parametrize("stem", list(NUMBERS))
def test_area_notebooks_at_the_edges_of_the_sample(stem, month, sample_edge_runs):
    import csm_kit
    from csm_kit.key_numbers import key_numbers_function
    from csm_kit.record import read_recorded
    from tests import degenerate_data

    nb = sample_edge_runs[(stem, month)]
    if isinstance(nb, Exception):
        raise nb
    recorded = read_recorded(nb)
    expected = {k.name: k.value for k in key_numbers_function(stem)(csm_kit.load_sample(), month=month)}
    assert list(recorded) == list(expected)
    for name, value in expected.items():
        got = recorded[name]["value"]
        assert got == (pytest.approx(value) if isinstance(value, float) else value), name
    text = "\n".join(degenerate_data.page_outputs(nb))
    assert "None" not in text and " nan" not in text.lower()
    if month == "2023-11" and stem == "02_churn_retention":
        # nobody paid on 31 Oct; one of the 24 who joined in November left again: seeds = 1 / (0 + 1)
        assert recorded["logo_churn"]["value"] == 1.0 and "(1 of 1 customers, seeds convention)" in text
        assert recorded["logo_retention_12m"]["value"] is None
    if month == "2026-10" and stem == "02_churn_retention":
        assert recorded["churn_top_reason"]["value"] is not None and "Why" not in text
    if month == "2023-11" and stem == "01_satisfaction":
        assert recorded["nps_relationship"]["value"] is None
