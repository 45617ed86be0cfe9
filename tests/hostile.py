"""A hostile data set: small simulated data with script and formula payloads in every text column.

Each distinct value of every text column of the contract (ids included, kept
consistent across tables so references still hold) gets one of
:data:`PAYLOADS` in front of it: a script tag, an image and an SVG with event
handlers, a frame, a Markdown ``javascript:`` link, an element with a marker
id, and spreadsheet formulas (``= + - @``). Every payload that could run
calls ``alert`` (a dialog in the browser) or creates an element the browser
test looks for (:data:`INJECTED_SELECTOR`). Only the enumerated columns
(billing_period, survey, currency) keep their values, since the contract
allows nothing else there, and the survey touchpoint ``relationship`` keeps
its name so the relationship NPS is still computed and shown.
"""
from __future__ import annotations

import itertools

import pandas as pd

PAYLOADS = (
    "<script>alert('csm-xss-{n}')</script>",
    "<img src=x onerror=alert('csm-xss-{n}')>",
    "\"><svg onload=alert('csm-xss-{n}')>",
    "<iframe src=javascript:alert('csm-xss-{n}')></iframe>",
    "[click me](javascript:alert('csm-xss-{n}'))",
    "<b id=csm-pwn-{n} onmouseover=alert('csm-xss-{n}')>bold</b>",
    "=HYPERLINK(\"http://evil.invalid/{n}\",\"x\")",
    "+SUM(1;{n})",
    "-2+3+cmd|' /C calc'!A{n}",
    "@SUM(1,{n})",
)
#: Elements that exist on a page only if a payload was rendered as live HTML.
INJECTED_SELECTOR = ("script, iframe, svg, object, embed, [onerror], [onload], [onmouseover], [id^='csm-pwn'], "
                     "a[href^='javascript'], img[src='x']")

#: Text columns of the contract, per table (ids included).
TEXT_COLUMNS = {
    "customers": ["customer_id", "segment", "plan", "region", "industry", "acquisition_channel", "name"],
    "subscriptions": ["subscription_id", "customer_id", "plan", "cancel_reason"],
    "transactions": ["transaction_id", "customer_id"],
    "usage_events": ["customer_id", "user_id", "event"],
    "surveys": ["response_id", "customer_id", "touchpoint", "comment", "user_id", "ticket_id", "send_id"],
    "survey_sends": ["send_id", "customer_id", "touchpoint"],
    "tickets": ["ticket_id", "customer_id", "priority", "channel", "category"],
    "onboarding": ["customer_id", "milestone"],
    "milestones": ["milestone", "description"],
}
#: Columns holding the same values in several tables (one mapping each, so references hold).
SHARED = {"customer_id": "customer_id", "user_id": "user_id", "ticket_id": "ticket_id", "send_id": "send_id",
          "milestone": "milestone", "touchpoint": "touchpoint", "plan": "plan"}
KEEP = {"touchpoint": {"relationship"}}


def hostile(value: str, n: int) -> str:
    """``value`` with payload ``n`` (cycling through :data:`PAYLOADS`) in front of it."""
    return PAYLOADS[n % len(PAYLOADS)].format(n=n) + " " + value


def hostile_dataset(ds):
    """A copy of the simulated Dataset ``ds`` with a payload in every text value (customers get a ``name``)."""
    counter = itertools.count()
    mappings: dict[str, dict] = {}
    tables = {}
    for table, frame in ds:
        frame = frame.copy()
        if table == "customers" and "name" not in frame.columns:
            frame["name"] = "Account " + frame["customer_id"].astype(str)
        for column in TEXT_COLUMNS.get(table, []):
            if column not in frame.columns:
                continue
            key = SHARED.get(column, f"{table}.{column}")
            mapping = mappings.setdefault(key, {})
            for value in frame[column].dropna().unique():
                if value not in mapping:
                    mapping[value] = value if value in KEEP.get(column, ()) else hostile(str(value), next(counter))
            frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
        tables[table] = frame
    return ds.with_tables(**tables)


def write_hostile(folder, *, seed: int = 7, n_customers: int = 150, months: int = 8, start: str = "2026-03"):
    """Simulate, poison and write a hostile data set as CSV files into ``folder``; returns the folder."""
    import csm_kit

    ds = csm_kit.simulate(n_customers=n_customers, start=start, months=months, seed=seed)
    hostile_dataset(ds).to_dir(folder, format="csv")
    return folder


def text_values(ds) -> pd.Series:
    """Every text value of the data set's text columns (to check each one carries a payload)."""
    parts = [frame[c].dropna().astype(str) for table, frame in ds for c in TEXT_COLUMNS.get(table, [])
             if c in frame.columns]
    return pd.concat(parts, ignore_index=True)
