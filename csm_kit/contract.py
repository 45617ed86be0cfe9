"""The csm-kit data contract: the tables the kit reads, as data.

Every loader, validator, writer and the simulator read these specifications,
so the contract is stated once. ``data/README.md`` is its human-readable form
(a test keeps the two in step).

Kinds of column and the pandas dtype a loaded table carries:

========  ==========================  =========================================
kind      pandas dtype                meaning
========  ==========================  =========================================
id        object (str)                identifier, always text ("42", not 42)
text      object (str)                free text or a label; missing = None
date      datetime64[ns]              a calendar day (midnight, no time part)
datetime  datetime64[ns]              an instant, naive UTC
float     float64                     a number; missing = NaN
int       Int64 (nullable)            a whole number; missing = <NA>
bool      bool                        true/false
========  ==========================  =========================================
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: Months in one billing period, used to normalise amounts to MRR.
BILLING_PERIOD_MONTHS: dict[str, float] = {
    "month": 1.0,
    "quarter": 3.0,
    "year": 12.0,
    "week": 12.0 / 52.0,
    "day": 12.0 / 365.25,
}

#: Default score scales per survey type, used unless a row states its own.
SURVEY_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

#: Survey types whose answers are whole points on their scale (a 9.5 is an average, not an answer).
SURVEY_WHOLE_SCORES: frozenset[str] = frozenset({"nps", "csat", "ces"})

#: Largest amount one row may hold (per billing period, or one purchase). Revenue is added up as
#: whole millionths of a currency unit in 64-bit integers (exact sums, no float drift), which
#: holds up to about 9.2e12 units in total; a row above this bound is refused at load.
MAX_AMOUNT: float = 1e12

#: Largest total MRR of all subscriptions together (amount x (1 - discount) / months in the
#: period, summed): the 64-bit limit of the revenue ledger (2**63 - 1 millionths), with margin.
MAX_TOTAL_MRR: float = 9e12

#: Dates after this day cannot be held (pandas' nanosecond timestamps end on 2262-04-11). In a
#: column that may be empty (end dates, resolutions), a date beyond it, like ``9999-12-31``, is the
#: usual "no end" placeholder of billing exports and is read as empty (open-ended), with a warning.
LAST_DAY: str = "2262-04-11"


@dataclass(frozen=True)
class Column:
    """One column of a table in the contract."""

    name: str
    kind: str  # id | text | date | datetime | float | int | bool
    required: bool = True
    nullable: bool = False
    description: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" this column must match
    #: A category (segment, plan, event...): surrounding spaces are removed on load, with a warning,
    #: so that "smb " and "smb" are one segment. Ids are always treated so; free text never.
    label: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the contract: its columns, key and meaning."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    time_column: str | None = None  # the column that dates a row (coverage)
    columns_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns_by_name", {c.name: c for c in self.columns})

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def __getitem__(self, name: str) -> Column:
        return self.columns_by_name[name]


C = Column

CUSTOMERS = Table(
    "customers",
    "One row per customer account.",
    (
        C("customer_id", "id", description="Unique identifier of the account."),
        C("signup_date", "date", description="Day the account was created (first contact with the product)."),
        C("segment", "text", label=True, required=False, nullable=True, description="Commercial segment, e.g. smb, mid_market, enterprise."),
        C("plan", "text", label=True, required=False, nullable=True, description="Plan at signup (current plans live in subscriptions)."),
        C("region", "text", label=True, required=False, nullable=True, description="Sales region, e.g. emea."),
        C("industry", "text", label=True, required=False, nullable=True, description="Industry of the account."),
        C("acquisition_channel", "text", label=True, required=False, nullable=True, description="How the account was won, e.g. organic, paid, partner, outbound."),
        C("acquisition_cost", "float", required=False, nullable=True, min=0, description="Cost of acquiring this account (CAC), in the subscriptions' currency."),
        C("name", "text", required=False, nullable=True, description="Display name of the account."),
        C("owner", "text", label=True, required=False, nullable=True, description="The account's CSM or account manager (name or email), for books of business."),
    ),
    key=("customer_id",),
    time_column="signup_date",
)

SUBSCRIPTIONS = Table(
    "subscriptions",
    "Recurring contracts. A subscription covers [start_date, end_date); an empty end_date means still active.",
    (
        C("subscription_id", "id", description="Unique identifier of the subscription."),
        C("customer_id", "id", references="customers.customer_id", description="Account that holds it."),
        C("plan", "text", label=True, description="Plan name; free plans have amount 0."),
        C("start_date", "date", description="First day covered."),
        C("end_date", "date", nullable=True, description="First day no longer covered; empty while active. Must not be before start_date."),
        C("billing_period", "text", label=True, allowed=tuple(BILLING_PERIOD_MONTHS), description="Length of one billing period: month, quarter, year, week or day."),
        C("amount", "float", min=0, max=MAX_AMOUNT, description="Price charged per billing period for the whole subscription (all seats), before discount, excluding tax and one-off fees."),
        C("quantity", "int", required=False, nullable=True, min=0, description="Seats or units (informational: amount already includes them)."),
        C("discount", "float", required=False, nullable=True, min=0, max=1, description="Recurring discount as a fraction of amount (0.2 = 20% off), applied every period."),
        C("currency", "text", label=True, required=False, nullable=True, description="ISO 4217 code. Revenue metrics refuse to add up more than one currency."),
        C("cancel_reason", "text", required=False, nullable=True, description="Why the subscription ended, where known."),
        C("term_months", "int", required=False, nullable=True, min=1, description="Committed term in months (12 = an annual contract), separate from billing_period: a yearly term may be billed monthly. Empty: no commitment beyond the billing period."),
        C("commitment_end", "date", required=False, nullable=True, description="First day no longer committed (end of the current committed term, like end_date). Not before start_date."),
    ),
    key=("subscription_id",),
    time_column="start_date",
)

TRANSACTIONS = Table(
    "transactions",
    "One-off purchases (non-contractual revenue), used by the BG/NBD and Gamma-Gamma CLV models.",
    (
        C("transaction_id", "id", description="Unique identifier of the purchase."),
        C("customer_id", "id", references="customers.customer_id", description="Buyer."),
        C("date", "datetime", description="When the purchase happened (a day or an instant)."),
        C("amount", "float", min=0, max=MAX_AMOUNT, description="Value of the purchase."),
        C("currency", "text", label=True, required=False, nullable=True, description="ISO 4217 code."),
    ),
    key=("transaction_id",),
    time_column="date",
)

USAGE_EVENTS = Table(
    "usage_events",
    "Product usage: one row per event (or per user, feature and day when pre-aggregated, with quantity).",
    (
        C("customer_id", "id", references="customers.customer_id", description="Account of the user."),
        C("user_id", "id", description="The person who acted (unique within the whole data set)."),
        C("timestamp", "datetime", description="When it happened."),
        C("event", "text", label=True, description="Feature name or event type."),
        C("quantity", "int", required=False, nullable=True, min=0, description="Number of occurrences this row stands for (default 1)."),
    ),
    time_column="timestamp",
)

SURVEYS = Table(
    "surveys",
    "Survey responses: NPS, CSAT and CES.",
    (
        C("response_id", "id", description="Unique identifier of the response."),
        C("customer_id", "id", references="customers.customer_id", description="Account of the respondent."),
        C("survey", "text", label=True, allowed=tuple(SURVEY_SCALES), description="nps, csat or ces."),
        C("score", "float", description="The answer, a whole number of points. Default scales: NPS 0-10, CSAT 1-5, CES 1-7 (or scale_min/scale_max)."),
        C("responded_at", "datetime", description="When the answer was given."),
        C("touchpoint", "text", label=True, description="relationship, onboarding, support, ... Transactional and relationship surveys are never pooled."),
        C("comment", "text", required=False, nullable=True, description="Free-text answer."),
        C("user_id", "id", required=False, nullable=True, description="Respondent."),
        C("ticket_id", "id", required=False, nullable=True, references="tickets.ticket_id", description="Ticket a post-support survey is about."),
        C("send_id", "id", required=False, nullable=True, references="survey_sends.send_id", description="The send this answers."),
        C("scale_min", "float", required=False, nullable=True, description="Lowest possible score when not the default scale."),
        C("scale_max", "float", required=False, nullable=True, description="Highest possible score when not the default scale."),
    ),
    key=("response_id",),
    time_column="responded_at",
)

SURVEY_SENDS = Table(
    "survey_sends",
    "Survey invitations, so that response rates can be computed (responses / sends).",
    (
        C("send_id", "id", description="Unique identifier of the invitation."),
        C("customer_id", "id", references="customers.customer_id", description="Account invited."),
        C("survey", "text", label=True, allowed=tuple(SURVEY_SCALES), description="nps, csat or ces."),
        C("touchpoint", "text", label=True, description="Same vocabulary as surveys.touchpoint."),
        C("sent_at", "datetime", description="When it was sent."),
    ),
    key=("send_id",),
    time_column="sent_at",
)

TICKETS = Table(
    "tickets",
    "Support tickets.",
    (
        C("ticket_id", "id", description="Unique identifier of the ticket."),
        C("customer_id", "id", references="customers.customer_id", description="Account that raised it."),
        C("opened_at", "datetime", description="When it was opened."),
        C("first_response_at", "datetime", nullable=True, description="First reply by support; empty if none yet. Not before opened_at."),
        C("resolved_at", "datetime", nullable=True, description="When it was resolved; empty while open. Not before opened_at."),
        C("priority", "text", label=True, description="e.g. low, normal, high, urgent."),
        C("channel", "text", label=True, description="e.g. email, chat, phone, web."),
        C("csat", "float", required=False, nullable=True, min=1, max=5, description="Post-ticket satisfaction 1-5, if asked on the ticket itself."),
        C("category", "text", label=True, required=False, nullable=True, description="Topic, e.g. billing, bug, how-to."),
    ),
    key=("ticket_id",),
    time_column="opened_at",
)

ONBOARDING = Table(
    "onboarding",
    "Onboarding milestones reached: one row per customer and milestone.",
    (
        C("customer_id", "id", references="customers.customer_id", description="Account."),
        C("milestone", "text", label=True, references="milestones.milestone", description="Milestone name, one of milestones.milestone."),
        C("completed_at", "datetime", description="When it was reached."),
    ),
    key=("customer_id", "milestone"),
    time_column="completed_at",
)

MILESTONES = Table(
    "milestones",
    "The onboarding plan: every milestone, whether it is required, and which one marks first value.",
    (
        C("milestone", "text", label=True, description="Unique name."),
        C("order", "int", description="Position in the plan (1 = first)."),
        C("required", "bool", description="Whether completing onboarding requires it."),
        C("first_value", "bool", description="True for exactly one milestone: reaching it is 'first value' (time to value)."),
        C("description", "text", required=False, nullable=True, description="What it means."),
    ),
    key=("milestone",),
)

#: All tables, in the order they are documented, loaded and written.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, SUBSCRIPTIONS, TRANSACTIONS, USAGE_EVENTS, SURVEYS, SURVEY_SENDS, TICKETS, ONBOARDING, MILESTONES)
}
