"""Awkward data sets for running the area notebooks under papermill (used by test_engagement/onboarding/support).

Built from ``csm_kit.simulate`` with seeds no other test fits on, then modified:

- ``hostile``: 9 segments (one named ``<script>alert(1)</script>``), 32 event
  names (one of them the payload too), the payload in ticket priority,
  channel and category and in a milestone's name; 2026-01 .. 2026-10;
- ``one_month``: a company whose data is a single month (2026-10);
- ``one_customer``: one customer, still paying and using the product at the end;
- ``minimal``: customers and subscriptions only (no usage, tickets, onboarding);
- ``snapshot``: one row per customer (``csm_kit.from_snapshot``: tenure, churned flag, MRR, segment);
- CDNOW (customers and transactions only) is the bundled ``data/cdnow``.

:data:`SCENARIOS` names each run: its parameters and the tables its data lacks.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

PAYLOAD = "<script>alert(1)</script>"
OPTIONAL_TABLES = ("subscriptions", "transactions", "usage_events", "surveys", "survey_sends", "tickets",
                   "onboarding", "milestones")


def build(folder: Path) -> dict[str, Path]:
    """Write the data sets under ``folder``; returns name -> data folder."""
    import csm_kit
    from csm_kit.config import CDNOW_DIR

    dirs = {}
    ds = csm_kit.simulate(n_customers=120, start="2026-01", months=10, seed=31)
    customers = ds.customers.copy()
    names = [f"segment {i}" for i in range(8)] + [PAYLOAD]
    customers["segment"] = [names[i % len(names)] for i in range(len(customers))]
    events = ds.usage_events.copy()
    features = [f"feature_{i:02d}" for i in range(31)] + [PAYLOAD]
    codes = np.arange(len(events)) % len(features)
    events["event"] = [features[c] for c in codes]
    tickets = ds.tickets.copy()
    every_fifth = np.arange(len(tickets)) % 5 == 0
    for column in ("priority", "channel", "category"):
        tickets[column] = tickets[column].astype(object)
        tickets.loc[every_fifth, column] = PAYLOAD
    milestones = ds.milestones.copy()
    renamed = milestones["milestone"].iloc[-1]
    milestones["milestone"] = milestones["milestone"].replace({renamed: PAYLOAD})
    onboarding = ds.onboarding.copy()
    onboarding["milestone"] = onboarding["milestone"].replace({renamed: PAYLOAD})
    hostile = ds.with_tables(customers=customers, usage_events=events, tickets=tickets, milestones=milestones,
                             onboarding=onboarding)
    dirs["hostile"] = hostile.to_dir(folder / "hostile")

    dirs["one_month"] = csm_kit.simulate(n_customers=40, start="2026-10", months=1, seed=32).to_dir(
        folder / "one_month")

    big = csm_kit.simulate(n_customers=60, start="2026-01", months=10, seed=33)
    last = big.usage_events[big.usage_events["timestamp"] >= "2026-10-01"]
    paying = big.subscriptions.loc[big.subscriptions["end_date"].isna(), "customer_id"]
    one = last.loc[last["customer_id"].isin(paying), "customer_id"].value_counts().index[0]
    alone = big.for_customers([one])
    alone = alone.with_tables(**{name: None for name, df in alone if df.empty})  # an empty file is refused on load
    dirs["one_customer"] = alone.to_dir(folder / "one_customer")

    minimal = folder / "minimal"
    minimal.mkdir()
    for table in ("customers", "subscriptions"):
        shutil.copy(dirs["hostile"] / f"{table}.csv", minimal / f"{table}.csv")
    dirs["minimal"] = minimal
    rng = np.random.default_rng(34)
    frame = pd.DataFrame({"id": [f"S{i:03d}" for i in range(40)], "tenure": rng.integers(1, 40, 40),
                          "churned": rng.choice(["Yes", "No"], 40), "mrr": rng.uniform(20, 120, 40).round(2),
                          "segment": rng.choice(["smb", PAYLOAD], 40)})
    snapshot = csm_kit.from_snapshot(frame, customer_id="id", tenure="tenure", churned="churned", as_of="2026-10",
                                     mrr="mrr", segment="segment")
    dirs["snapshot"] = snapshot.to_dir(folder / "snapshot")
    dirs["cdnow"] = Path(CDNOW_DIR)
    return dirs


#: scenario -> (data set, parameters, tables the data lacks)
SCENARIOS = {
    "hostile_last_month": ("hostile", {"month": "2026-10"}, ()),
    "hostile_first_month": ("hostile", {"month": "2026-01"}, ()),
    "hostile_segment": ("hostile", {"month": "2026-10", "segment": PAYLOAD}, ()),
    "one_month": ("one_month", {"month": "2026-10"}, ()),
    "one_customer": ("one_customer", {"month": "2026-10"}, ()),
    "minimal": ("minimal", {"month": "2026-10"}, tuple(t for t in OPTIONAL_TABLES if t != "subscriptions")),
    "snapshot": ("snapshot", {"month": "2026-10"}, tuple(t for t in OPTIONAL_TABLES if t != "subscriptions")),
    "cdnow": ("cdnow", {"month": "1998-06"}, tuple(t for t in OPTIONAL_TABLES if t != "transactions")),
}


def run_all(notebook: Path, dirs: dict[str, Path], out: Path) -> dict:
    """Run ``notebook`` in every scenario, in two reused kernels; scenario -> executed notebook or exception."""
    from tests.notebook_runs import run_notebooks

    return run_notebooks({scenario: (notebook, out / f"{notebook.stem}-{scenario}.ipynb",
                                     {"data": str(dirs[data]), **parameters})
                          for scenario, (data, parameters, _) in SCENARIOS.items()})


def page_outputs(nb) -> list[str]:
    """The HTML and Markdown a reader sees (display outputs), one string per output."""
    shown = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in ("text/html", "text/markdown"):
                if mime in data:
                    value = data[mime]
                    shown.append("".join(value) if isinstance(value, list) else value)
    return shown


def check_run(nb, scenario: str, expected_numbers: list[str]) -> tuple:
    """What every run must satisfy: no error, every key number recorded, nothing live or raw on the page.

    Returns the page outputs, the recorded numbers and the tables the data lacks, for more checks.
    """
    from csm_kit.record import read_recorded

    if isinstance(nb, Exception):
        raise nb
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == [], f"{scenario}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    warned = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert warned == [], f"{scenario}: a warning reached the page: {warned[0][:300]}"
    recorded = read_recorded(nb)
    assert list(recorded) == expected_numbers, f"{scenario}: recorded {list(recorded)}"
    for payload in recorded.values():
        json.dumps(payload)  # metrics.json can hold it
    page = page_outputs(nb)
    text = "\n".join(page)
    assert "<script" not in text.lower(), f"{scenario}: live script on the page"
    assert not re.search(r"<(img|svg|iframe)[^>]*on\w+=", text, flags=re.I), f"{scenario}: injected element"
    assert not re.search(r"\b(None|NaT|nan|NaN)\b", re.sub(r"<[^>]+>", " ", text)), (
        f"{scenario}: None/NaT/nan shown: {re.findall(r'.{40}(?:None|NaT|nan|NaN).{20}', text)[:3]}")
    assert "<Dataset" not in text and "PagePart(" not in text and "&lt;Dataset" not in text, f"{scenario}: raw repr"
    _, _, absent = SCENARIOS[scenario]
    return page, recorded, absent
