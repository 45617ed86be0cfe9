"""Every report notebook runs under papermill with parameters other than its defaults.

The report only ever runs the notebooks with the current month on the full
data set; these runs make sure a notebook also works for another month and
one segment, on a data set with only the tables a subscription business must
have, and on the CDNOW data set (customers and transactions only). Notebooks
are found by ``report_notebooks()``, so a new one is tested without editing
this file. One small simulated data set is shared by the whole session, and
the runs go two at a time in two reused kernels, as in the report
(``tests/notebook_runs.py``).

Degenerate data never stops a notebook (the notebook rule): a snapshot data
set (one row per customer, ``csm_kit.from_snapshot``), one customer, nine
segments, every customer churned before the month, a single month of data.
The notebook says what it could not compute, records None for it, and runs
to its end.

A run passes when it finishes without an error, the parameters reached the
notebook (papermill injects them), it records its key numbers, and each table
the notebook reads but the data lacks is named in its output in plain words.
"""
import re
import shutil

import papermill
import pytest

from csm_kit.config import CDNOW_DIR
from csm_kit.record import read_recorded
from csm_kit.report import report_notebooks
from tests.notebook_runs import run_notebooks

OPTIONAL_TABLES = ("subscriptions", "transactions", "usage_events", "surveys", "survey_sends", "tickets",
                   "onboarding", "milestones")
NOTEBOOKS = report_notebooks()
#: How a notebook says a table is missing ("No tickets in this data set", "not in this data set: ...").
NEGATION = re.compile(r"\b(no|not|without|lacks?|missing|absent|none)\b")


@pytest.fixture(scope="module")
def minimal_data_dir(small_data_dir, tmp_path_factory):
    """The small simulated data set cut down to customers and subscriptions."""
    folder = tmp_path_factory.mktemp("minimal_data")
    for table in ("customers", "subscriptions"):
        shutil.copy(small_data_dir / f"{table}.csv", folder / f"{table}.csv")
    return folder


@pytest.fixture(scope="module")
def degenerate_dirs(small_data_dir, tmp_path_factory):
    """Folders of degenerate data sets made from the small simulated one (see the module docstring)."""
    import pandas as pd

    import csm_kit

    ds = csm_kit.load_dataset(small_data_dir)
    dirs = {}

    paying = ds.subscriptions.loc[ds.subscriptions["amount"] > 0, "customer_id"].iloc[0]
    one = ds.for_customers([paying])
    one = one.with_tables(**{t: None for t, frame in one if frame.empty})  # tables the customer has no rows in
    dirs["one_customer"] = one.to_dir(tmp_path_factory.mktemp("one_customer"))

    segments = [f"segment {i}" for i in range(1, 10)]
    customers = ds.customers.assign(segment=[segments[i % 9] for i in range(len(ds.customers))])
    dirs["nine_segments"] = ds.with_tables(customers=customers).to_dir(tmp_path_factory.mktemp("nine_segments"))

    cut = pd.Timestamp("2026-09-15")  # every subscription over by then: nobody pays in October
    subs = ds.subscriptions[ds.subscriptions["start_date"] < cut].copy()
    subs["end_date"] = subs["end_date"].where(subs["end_date"] <= cut, cut)
    dirs["all_churned"] = ds.with_tables(subscriptions=subs).to_dir(tmp_path_factory.mktemp("all_churned"))

    one_month = csm_kit.simulate(n_customers=60, start="2026-10", months=1, seed=5)
    dirs["one_month"] = one_month.to_dir(tmp_path_factory.mktemp("one_month"))

    frame = pd.DataFrame({"customerID": [f"K{i:03d}" for i in range(80)], "tenure": [i % 30 for i in range(80)],
                          "Churn": ["Yes" if i % 4 == 0 else "No" for i in range(80)],
                          "MonthlyCharges": [20.0 + i for i in range(80)],
                          "Contract": ["Month-to-month" if i % 2 else "One year" for i in range(80)]})
    snap = csm_kit.from_snapshot(frame, customer_id="customerID", tenure="tenure", churned="Churn",
                                 as_of="2026-10", mrr="MonthlyCharges", segment="Contract")
    dirs["snapshot"] = snap.to_dir(tmp_path_factory.mktemp("snapshot"))
    return dirs


SCENARIOS = {
    # another month, one small segment (17 enterprise customers in the small data set)
    "2026-08_enterprise": lambda dirs: ({"data": str(dirs["small"]), "month": "2026-08", "segment": "enterprise"},
                                        ()),
    "no_usage_surveys_tickets": lambda dirs: ({"data": str(dirs["minimal"]), "month": "2026-10"},
                                              tuple(t for t in OPTIONAL_TABLES if t != "subscriptions")),
    "cdnow": lambda dirs: ({"data": str(CDNOW_DIR), "month": "1998-06"},
                           tuple(t for t in OPTIONAL_TABLES if t != "transactions")),
    "one_customer": lambda dirs: ({"data": str(dirs["one_customer"]), "month": "2026-10"}, ()),
    "nine_segments": lambda dirs: ({"data": str(dirs["nine_segments"]), "month": "2026-10"}, ()),
    "all_churned": lambda dirs: ({"data": str(dirs["all_churned"]), "month": "2026-10"}, ()),
    "one_month": lambda dirs: ({"data": str(dirs["one_month"]), "month": "2026-10"}, ()),
    "snapshot": lambda dirs: ({"data": str(dirs["snapshot"]), "month": "2026-10"},
                              tuple(t for t in OPTIONAL_TABLES if t != "subscriptions")),
}


def _output_lines(nb) -> list[str]:
    """The lines of every text-like output of the executed notebook (not its fixed markdown)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for mime in ("text/plain", "text/markdown", "text/html"):
                value = out.get("data", {}).get(mime, "")
                parts.append("".join(value) if isinstance(value, list) else value)
    return "\n".join(parts).lower().splitlines()


def _tables_read(nb) -> set[str]:
    """Optional tables the notebook's code reads (``ds.<table>``)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return {t for t in OPTIONAL_TABLES if re.search(rf"\bds\.{t}\b", code)}


@pytest.fixture(scope="module")
def runs(small_data_dir, minimal_data_dir, degenerate_dirs, tmp_path_factory):
    """Every (notebook, scenario) run, in two reused kernels as the report runs them; exceptions kept."""
    dirs = {"small": small_data_dir, "minimal": minimal_data_dir, **degenerate_dirs}
    out = tmp_path_factory.mktemp("notebook_runs")
    return run_notebooks({(nb, sc): (nb, out / f"{nb.stem}-{sc}.ipynb", SCENARIOS[sc](dirs)[0])
                          for nb in NOTEBOOKS for sc in SCENARIOS}), dirs


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_other_parameters(notebook, scenario, runs):
    results, dirs = runs
    parameters, absent = SCENARIOS[scenario](dirs)
    nb = results[(notebook, scenario)]
    if isinstance(nb, papermill.PapermillExecutionError):
        pytest.fail(f"{notebook.name} stopped on the {scenario} data: cell {nb.cell_index}: {nb.ename}: {nb.evalue}",
                    pytrace=False)
    if isinstance(nb, Exception):
        raise nb

    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f'month = "{parameters["month"]}"' in injected[0].source
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert read_recorded(nb), f"{notebook.name} recorded no key numbers"

    lines = _output_lines(nb)
    for table in sorted(_tables_read(nb) & set(absent)):
        names = (table, table.replace("_", " "))
        said = [line for line in lines if any(n in line for n in names) and NEGATION.search(line)]
        assert said, f"{notebook.name} reads `{table}`, which this data set lacks, but its output never says so"
