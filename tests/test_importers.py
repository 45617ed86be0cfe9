"""Importers: Stripe's Dashboard exports and Segment track events, on fixtures built from their public formats."""
from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import csm_kit
from csm_kit import DataValidationError, DataValidationWarning
from csm_kit.io.segment_events import read_segment_events
from csm_kit.io.stripe import read_stripe_export, read_stripe_subscriptions

FIXTURES = Path(__file__).parent / "fixtures"
STRIPE = FIXTURES / "stripe"
EVENTS = FIXTURES / "segment" / "events.jsonl"
D = pd.Timestamp


def stripe_tables(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        return read_stripe_export(STRIPE / "customers.csv", STRIPE / "subscriptions.csv", **kw)


# -- Stripe ------------------------------------------------------------------------------------------------
def test_stripe_customers_by_hand():
    c = stripe_tables(columns={"segment": "tier (metadata)", "owner": "csm (metadata)"})["customers"]
    assert c["customer_id"].tolist()[:2] == ["cus_Q1aZ8kLm3nOp", "cus_Q1bY7jKl2mNo"]
    # Created (UTC) 2025-02-03 23:40 is the 3rd in UTC, whatever the reader's zone
    assert c["signup_date"].tolist()[:3] == [D("2025-01-10"), D("2025-02-03"), D("2025-03-15")]
    assert c["name"].iloc[0] == "Acme Corp" and c["segment"].iloc[1] == "mid_market"
    assert c["owner"].tolist()[:4] == ["Ana Souza", "Ben Okafor", "Ana Souza", None]
    assert "Email" not in c.columns and "email" not in c.columns


def test_stripe_subscriptions_by_hand():
    with pytest.warns(DataValidationWarning, match="2 subscription\\(s\\) never paid.*sub_1Pe5, sub_1Pf6"):
        s = read_stripe_export(STRIPE / "customers.csv", STRIPE / "subscriptions.csv")["subscriptions"]
    s = s.set_index("subscription_id")
    assert list(s.index) == ["sub_1Pa1", "sub_1Pb2", "sub_1Pc3", "sub_1Pd4", "sub_1Pg7"]
    assert s.loc["sub_1Pb2", "amount"] == 3600.0            # "1,200.00" x 3 seats
    assert s.loc["sub_1Pb2", "billing_period"] == "year" and s.loc["sub_1Pb2", "quantity"] == 3
    assert s.loc["sub_1Pc3", "end_date"] == D("2025-08-15") and s.loc["sub_1Pc3", "amount"] == 198.0
    assert s.loc["sub_1Pc3", "cancel_reason"] == "cancellation_requested"
    assert s.loc["sub_1Pd4", "start_date"] == D("2026-10-04")  # paid from the end of its trial
    assert s.loc["sub_1Pa1", "start_date"] == D("2025-01-10") and pd.isna(s.loc["sub_1Pa1", "end_date"])
    assert (s["currency"] == "USD").all() and s.loc["sub_1Pg7", "coupon"] == "SAVE10"
    assert s.loc["sub_1Pg7", "plan"] == "Seats add-on" and s.loc["sub_1Pg7", "amount"] == 50.0


def test_stripe_tables_load_and_give_the_hand_computed_mrr():
    ds = csm_kit.load_dataset(stripe_tables())
    from csm_kit.metrics import mrr

    october = mrr(ds, start="2026-10", end="2026-10")
    # 49 + 3600 / 12 + 990 (from 4 Oct) + 5 x 10 on 31 October; Initech ended in 2025
    assert float(october["mrr"].iloc[0]) == pytest.approx(49 + 300 + 990 + 50)
    assert int(october["paying_customers"].iloc[0]) == 3


def test_stripe_own_account_id_from_metadata():
    t = stripe_tables(customer_id="account_id (metadata)")
    assert t["customers"]["customer_id"].tolist()[:2] == ["acct_001", "acct_002"]
    assert t["subscriptions"]["customer_id"].tolist()[:2] == ["acct_001", "acct_002"]


def write_subs(tmp_path, edit) -> Path:
    frame = pd.read_csv(STRIPE / "subscriptions.csv", dtype=str, keep_default_na=False)
    frame = edit(frame)
    path = tmp_path / "subscriptions.csv"
    frame.to_csv(path, index=False)
    return path


def test_stripe_interval_count_quarter_and_refusals(tmp_path):
    path = write_subs(tmp_path, lambda f: f.assign(**{"Interval Count": ["3", "1", "1", "1", "1", "1", "2"]}))
    with pytest.raises(DataValidationError, match="billing interval the kit cannot express") as err:
        read_stripe_subscriptions(path)
    assert err.value.rows.index.tolist() == [8] and err.value.table == "subscriptions.csv"
    path = write_subs(tmp_path, lambda f: f.assign(**{"Interval Count": ["3", "1", "1", "1", "1", "1", "1"]}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        s = read_stripe_subscriptions(path)
    assert s["billing_period"].iloc[0] == "quarter"


def test_stripe_bad_time_and_unknown_customer_name_the_rows(tmp_path):
    def bad_time(f):
        f.loc[1, "Ended At (UTC)"] = "15/08/2025"
        return f
    with pytest.raises(DataValidationError, match="Ended At \\(UTC\\): not a date and time") as err:
        read_stripe_subscriptions(write_subs(tmp_path, bad_time))
    assert err.value.rows.index.tolist() == [3]

    def stranger(f):
        f.loc[0, "Customer ID"] = "cus_UNKNOWN"
        return f
    with pytest.raises(DataValidationError, match="customer not in the customers export") as err:
        read_stripe_export(STRIPE / "customers.csv", write_subs(tmp_path, stranger))
    assert err.value.rows.index.tolist() == [2]


def test_stripe_missing_column_is_named(tmp_path):
    with pytest.raises(DataValidationError, match="Amount: column is missing from the Stripe export"):
        read_stripe_subscriptions(write_subs(tmp_path, lambda f: f.drop(columns="Amount")))


# -- Segment -----------------------------------------------------------------------------------------------
def read_events(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        return read_segment_events(*args, **kw)


def test_segment_track_events_by_hand():
    with pytest.warns(DataValidationWarning, match="1 event\\(s\\) repeat a messageId"):
        ev = read_segment_events(EVENTS)
    assert ev["event"].tolist() == ["Report Created", "Dashboard Viewed", "Export Downloaded", "Seat Added"]
    assert ev["customer_id"].tolist() == ["acct_001", "acct_002", "acct_003", "acct_003"]  # 2nd from its group call
    assert ev["user_id"].tolist() == ["u_019", "u_027", "u_031", "anon-9c1d"]            # anonymousId when no userId
    assert ev["timestamp"].tolist() == [D("2026-10-01 09:14:05.120"), D("2026-10-01 21:30:00"),  # +02:00 -> UTC
                                        D("2026-10-03 16:45:00"), D("2026-10-04 11:00:00")]     # originalTimestamp
    assert ev["timestamp"].dt.tz is None


def test_segment_page_and_screen_calls_when_asked():
    ev = read_events(EVENTS, types=("track", "page", "screen"))
    assert "page: Pricing" in ev["event"].tolist() and "screen: Home" in ev["event"].tolist() and len(ev) == 6


def test_segment_account_from_a_property_and_unattributed_events(tmp_path):
    with pytest.raises(DataValidationError, match="event without an account") as err:
        read_events(EVENTS, account_field="properties.account_id")
    assert err.value.rows.index.tolist() == [10]  # the anonymous Seat Added: no property, no group call
    ev = read_events(EVENTS, account_field="properties.account_id", unattributed="drop")
    assert ev["customer_id"].tolist() == ["acct_001", "acct_002", "acct_003"]
    with pytest.warns(DataValidationWarning, match="1 event\\(s\\) without an account left out"):
        read_segment_events(EVENTS, account_field="properties.account_id", unattributed="drop")


def test_segment_bad_lines_are_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = EVENTS.read_text().splitlines()
    lines[3] = '{"type":"track","event":"Report Created",'
    lines.append('{"type":"track","event":"X","userId":"u_1","context":{"groupId":"a"},"timestamp":"yesterday"}')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match="line is not a JSON object") as err:
        read_events(path)
    assert err.value.rows.index.tolist() == [4]
    lines[3] = lines[4]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match="not an ISO 8601 time") as err:
        read_events(path)
    assert err.value.rows.index.tolist() == [len(lines)]
    no_user = tmp_path / "nouser.jsonl"
    no_user.write_text('{"type":"track","event":"X","context":{"groupId":"a"},"timestamp":"2026-10-01T00:00:00Z"}\n')
    with pytest.raises(DataValidationError, match="no userId or anonymousId"):
        read_events(no_user)


def test_segment_gzip_and_refused_arguments(tmp_path):
    gz = tmp_path / "events.jsonl.gz"
    with open(EVENTS, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert len(read_events(gz)) == 4
    with pytest.raises(ValueError, match="types"):
        read_segment_events(EVENTS, types=("identify",))
    with pytest.raises(ValueError, match="unattributed"):
        read_segment_events(EVENTS, unattributed="ignore")


def test_stripe_and_segment_load_together():
    tables = stripe_tables(customer_id="account_id (metadata)")
    tables["usage_events"] = read_events(EVENTS)
    ds = csm_kit.load_dataset(tables)
    assert len(ds.usage_events) == 4 and set(ds.usage_events["customer_id"]) <= set(ds.customers["customer_id"])
    assert ds.usage_events["timestamp"].dtype == "datetime64[ns]"
