"""A small, valid data set with every contract table, for loader and validation tests."""
import pandas as pd

from csm_kit import Dataset


def valid_tables() -> dict[str, pd.DataFrame]:
    d = lambda values: pd.to_datetime(values, format="ISO8601")  # noqa: E731
    return {
        "customers": pd.DataFrame({
            "customer_id": ["007", "c2", "c3"], "signup_date": d(["2026-01-05", "2026-02-01", "2026-02-10"]),
            "segment": ["smb", "enterprise", None], "plan": ["basic", "pro", "basic"],
            "acquisition_cost": [120.5, 5000.0, float("nan")]}),
        "subscriptions": pd.DataFrame({
            "subscription_id": ["s1", "s2", "s3"], "customer_id": ["007", "c2", "c3"],
            "plan": ["basic", "pro", "basic"], "start_date": d(["2026-01-05", "2026-02-01", "2026-02-10"]),
            "end_date": d([None, None, "2026-03-10"]), "billing_period": ["month", "year", "month"],
            "amount": [0.1 + 0.2, 12000.0, 49.0], "quantity": pd.array([1, 20, None], dtype="Int64"),
            "discount": [0.0, 0.15, float("nan")], "currency": ["USD", "USD", "USD"]}),
        "transactions": pd.DataFrame({
            "transaction_id": ["t1", "t2"], "customer_id": ["007", "c2"],
            "date": d(["2026-01-20T10:30:00", "2026-02-02"]), "amount": [300.0, 1500.25]}),
        "usage_events": pd.DataFrame({
            "customer_id": ["007", "007", "c2"], "user_id": ["u1", "u1", "u2"],
            "timestamp": d(["2026-01-06T09:00:00", "2026-01-06T09:05:00.250000", "2026-02-03T12:00:00"]),
            "event": ["report", "export", "report"], "quantity": pd.array([1, 3, None], dtype="Int64")}),
        "surveys": pd.DataFrame({
            "response_id": ["r1", "r2", "r3"], "customer_id": ["007", "c2", "c2"], "survey": ["nps", "csat", "ces"],
            "score": [9.0, 4.0, 6.0], "responded_at": d(["2026-02-01T08:00:00", "2026-02-05T10:00:00", "2026-02-06T10:00:00"]),
            "touchpoint": ["relationship", "support", "support"],
            "comment": ['Great, "fast" reports,\nthanks', None, "Ünïcode ok"],
            "ticket_id": [None, "k1", "k1"], "send_id": ["e1", None, None]}),
        "survey_sends": pd.DataFrame({
            "send_id": ["e1", "e2"], "customer_id": ["007", "c2"], "survey": ["nps", "nps"],
            "touchpoint": ["relationship", "relationship"], "sent_at": d(["2026-01-30T08:00:00"] * 2)}),
        "tickets": pd.DataFrame({
            "ticket_id": ["k1", "k2"], "customer_id": ["c2", "007"],
            "opened_at": d(["2026-02-04T09:00:00", "2026-02-20T09:00:00"]),
            "first_response_at": d(["2026-02-04T10:00:00", None]), "resolved_at": d(["2026-02-05T09:00:00", None]),
            "priority": ["high", "low"], "channel": ["email", "chat"], "csat": [4.0, float("nan")]}),
        "onboarding": pd.DataFrame({
            "customer_id": ["007", "007", "c2"], "milestone": ["account_created", "data_connected", "account_created"],
            "completed_at": d(["2026-01-05T10:00:00", "2026-01-09T10:00:00", "2026-02-01T10:00:00"])}),
        "milestones": pd.DataFrame({
            "milestone": ["account_created", "data_connected", "first_report"],
            "order": pd.array([1, 2, 3], dtype="Int64"), "required": [True, True, False],
            "first_value": [False, True, False], "description": ["Signed up", "Connected data", None]}),
    }


def valid_dataset() -> Dataset:
    return Dataset(**valid_tables())


def valid_tables_with_terms() -> dict[str, pd.DataFrame]:
    """The valid tables plus the optional owner and commitment-term columns (issue 12)."""
    tables = valid_tables()
    tables["customers"]["owner"] = ["ann@example.com", "Bob Smith", None]
    subs = tables["subscriptions"]
    # s1 monthly with no commitment; s2 an annual term billed yearly; s3 a 3-month term, cancelled.
    subs["term_months"] = pd.array([None, 12, 3], dtype="Int64")
    subs["commitment_end"] = pd.to_datetime([None, "2027-02-01", "2026-05-10"])
    return tables
