"""Typed records every connector yields, whatever the source system.

Validation lives on the models (non-negative amounts, no timestamps in the future, known
priorities/statuses), so a CSV row, a SQL row, a webhook event and a helpdesk API object are all
checked by the same rules. ``entity`` names the store table family a record lands in.

One module because the typed record of every entity, validated by the same shared rules; a connector
imports one module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from connectors.dates import parse_date, parse_datetime

# Clock skew tolerated before a timestamp counts as "in the future". Small: a row a day ahead would move an
# incremental sync's cursor a day ahead, and every change made meanwhile would be skipped.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
PRIORITY_WORDS = {"urgent": "P1", "critical": "P1", "high": "P2", "normal": "P3", "medium": "P3", "low": "P4"}
TICKET_STATUSES = {
    "new": "open",
    "open": "open",
    "hold": "pending",
    "pending": "pending",
    "solved": "solved",
    "closed": "closed",
    "resolved": "solved",
}
ORDER_STATUSES = frozenset({"paid", "invoiced", "overdue", "refunded"})
# A contact's relationship changes as a CRM records them (champion or sponsor gone is a churn signal).
CONTACT_CHANGES = frozenset({"joined", "left", "role_changed"})
SHIPMENT_STATUSES = frozenset({"pending", "shipped", "delivered", "cancelled", "returned"})
# A renewal decision: won (renewed, possibly at another ARR) or lost (the customer churned).
RENEWAL_OUTCOMES = frozenset({"renewed", "churned"})
RENEWAL_WORDS = {"won": "renewed", "renew": "renewed", "lost": "churned", "churn": "churned", "cancelled": "churned"}
# Touches with a customer a CRM logs; business reviews count apart (each tier promises a cadence of both).
ACTIVITY_KINDS = frozenset({"call", "meeting", "email", "checkin", "business_review", "note"})
ACTIVITY_WORDS = {
    "qbr": "business_review",
    "ebr": "business_review",
    "review": "business_review",
    "check-in": "checkin",
}


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _strip(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _bool(value: Any) -> Any:
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "t", "yes", "y", "1"):
            return True
        if v in ("false", "f", "no", "n", "0"):
            return False
        if not v:
            return None
    return value


def email_address(value: str | None) -> str | None:
    if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
        raise ValueError(f"not an email address: {value!r}")
    return value.strip().lower() if value else value


def ticket_priority(value: str) -> str:
    v = value.strip().upper()
    if v in ("P1", "P2", "P3", "P4"):
        return v
    if v.isdigit() and 1 <= int(v) <= 4:
        return f"P{v}"
    word = PRIORITY_WORDS.get(v.lower())
    if word is None:
        raise ValueError(f"unknown priority {value!r} (P1..P4, 1..4 or urgent/high/normal/low)")
    return word


def ticket_status(value: str) -> str:
    status = TICKET_STATUSES.get(value.strip().lower())
    if status is None:
        raise ValueError(f"unknown ticket status {value!r} (one of {', '.join(sorted(TICKET_STATUSES))})")
    return status


def order_status(value: str) -> str:
    v = value.strip().lower()
    if v not in ORDER_STATUSES:
        raise ValueError(f"unknown order status {value!r} (one of {', '.join(sorted(ORDER_STATUSES))})")
    return v


def _one_of(allowed: frozenset[str], what: str) -> Any:
    def check(value: str) -> str:
        v = value.strip().lower()
        if v not in allowed:
            raise ValueError(f"unknown {what} {value!r} (one of {', '.join(sorted(allowed))})")
        return v

    return check


contact_change = _one_of(CONTACT_CHANGES, "contact change")
shipment_status = _one_of(SHIPMENT_STATUSES, "shipment status")


def renewal_outcome(value: str) -> str:
    v = value.strip().lower()
    v = RENEWAL_WORDS.get(v, v)
    if v not in RENEWAL_OUTCOMES:
        raise ValueError(f"unknown renewal outcome {value!r} (renewed or churned; won/lost)")
    return v


def activity_kind(value: str) -> str:
    v = "_".join(value.strip().lower().split())
    v = ACTIVITY_WORDS.get(v, v)
    if v not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind {value!r} (one of {', '.join(sorted(ACTIVITY_KINDS))})")
    return v


def lower_slug(value: str) -> str:
    """A role or survey name as a rule names it: ``Executive Sponsor`` -> ``executive_sponsor``."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Id = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=80)]
Text = Annotated[str, BeforeValidator(_strip), Field(min_length=1)]
OptText = Annotated[str | None, BeforeValidator(_blank_to_none)]
When = Annotated[dt.datetime, BeforeValidator(parse_datetime)]
# Before-validators run right to left: blank-to-None must be the LAST one listed so it runs first
# (an empty "paid at" column means "not paid", not an unparseable date).
OptWhen = Annotated[dt.datetime | None, BeforeValidator(parse_datetime), BeforeValidator(_blank_to_none)]
Day = Annotated[dt.date, BeforeValidator(parse_date)]
OptDay = Annotated[dt.date | None, BeforeValidator(parse_date), BeforeValidator(_blank_to_none)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
OptMoney = Annotated[Money | None, BeforeValidator(_blank_to_none)]  # constraints on the Decimal, not on None
OptBool = Annotated[bool | None, BeforeValidator(_bool)]
Score10 = Annotated[int, Field(ge=0, le=10)]  # NPS 0-10 (CSAT 1-5 fits too)
Percent = Annotated[int, Field(ge=0, le=100)]
OptPercent = Annotated[Percent | None, BeforeValidator(_blank_to_none)]
OptCount = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_blank_to_none)]


class Record(BaseModel):
    """Base of all records: strict keys (a typo'd mapping is an error), external id, change time."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=10_000)
    entity: ClassVar[str]
    # Fields that are event times: must not lie in the future.
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at",)

    external_id: Id
    updated_at: OptWhen = None

    @model_validator(mode="after")
    def _not_in_future(self) -> Self:
        limit = dt.datetime.now(dt.UTC) + FUTURE_TOLERANCE
        for name in self.past_fields:
            value = getattr(self, name)
            if isinstance(value, dt.datetime) and value > limit:
                raise ValueError(f"{name} {value.isoformat()} is in the future")
        return self


class CustomerRecord(Record):
    entity: ClassVar[str] = "customer"
    # Length limits are the widest value the store keeps: a longer one is a field-level error on
    # every backend (PostgreSQL would refuse it, SQLite would silently keep it).
    name: Text = Field(max_length=200)
    domain: OptText = Field(default=None, max_length=320)
    tier: OptText = Field(default=None, max_length=20)
    segment: OptText = Field(default=None, max_length=40)
    region: OptText = Field(default=None, max_length=20)
    timezone: OptText = Field(default=None, max_length=64)
    lifetime_value: OptMoney = None
    arr: OptMoney = None
    renewal_date: OptDay = None
    owner_slack_id: OptText = Field(default=None, max_length=32)
    consent_outreach: OptBool = None
    consent_marketing: OptBool = None


class ContactRecord(Record):
    entity: ClassVar[str] = "contact"
    customer_external_id: Id
    name: Text = Field(max_length=200)
    email: OptText = Field(default=None, max_length=320)
    phone: OptText = Field(default=None, max_length=40)
    title: OptText = Field(default=None, max_length=120)
    opted_out: OptBool = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return email_address(value)


class TicketRecord(Record):
    entity: ClassVar[str] = "ticket"
    past_fields: ClassVar[tuple[str, ...]] = (
        "updated_at",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "reopened_at",
    )
    customer_external_id: Id
    subject: Text
    priority: Text = "P3"
    status: Text = "open"
    category: Annotated[str, BeforeValidator(_strip)] = "question"
    opened_at: When
    first_response_at: OptWhen = None
    resolved_at: OptWhen = None
    agent_replies: OptCount = None  # public agent responses (first-contact resolution needs it)
    reopened_at: OptWhen = None  # first reopen after the ticket was solved

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str) -> str:
        return ticket_priority(value)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return ticket_status(value)


class OrderRecord(Record):
    entity: ClassVar[str] = "order"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at", "ordered_at", "paid_at")
    customer_external_id: Id
    amount: Money
    currency: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")] = "USD"
    status: Text = "invoiced"
    ordered_at: When
    due_at: OptWhen = None
    paid_at: OptWhen = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return order_status(value)


class UsageRecord(Record):
    entity: ClassVar[str] = "usage"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at",)
    customer_external_id: Id
    day: Day
    metric: Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=40)] = "active_users"
    quantity: Annotated[int, Field(ge=0)]


class SurveyResponseRecord(Record):
    """One answer to a customer survey (NPS 0-10, CSAT 1-5). No respondent name: the score and when it came
    are what the alert rules need; the comment is customer text, shown escaped if at all."""

    entity: ClassVar[str] = "survey"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at", "responded_at")
    customer_external_id: Id
    survey: Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=20)] = "nps"
    score: Score10
    responded_at: When
    comment: OptText = Field(default=None, max_length=2000)

    @field_validator("survey")
    @classmethod
    def _survey(cls, value: str) -> str:
        return lower_slug(value)


class ContactChangeRecord(Record):
    """A change in a customer contact's relationship: joined, left, or took another role (champion, sponsor...)."""

    entity: ClassVar[str] = "contact_change"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at", "changed_at")
    customer_external_id: Id
    role: Text = Field(max_length=40)
    change: Text = Field(max_length=20)
    title: OptText = Field(default=None, max_length=120)
    changed_at: When

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        return lower_slug(value)

    @field_validator("change")
    @classmethod
    def _change(cls, value: str) -> str:
        return contact_change(value)


class ShipmentRecord(Record):
    """Delivery of an order with a promised date. ``promised_at`` may lie in the future; the others may not."""

    entity: ClassVar[str] = "shipment"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at", "shipped_at", "delivered_at")
    customer_external_id: Id
    order_external_id: OptText = Field(default=None, max_length=80)
    status: Text = "pending"
    carrier: OptText = Field(default=None, max_length=40)
    promised_at: When
    shipped_at: OptWhen = None
    delivered_at: OptWhen = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return shipment_status(value)


class HealthScoreRecord(Record):
    """A customer-health snapshot from the CS platform: the score and the components it is made of."""

    entity: ClassVar[str] = "health"
    customer_external_id: Id
    day: Day
    score: Percent
    usage: OptPercent = None
    support: OptPercent = None
    engagement: OptPercent = None
    sentiment: OptPercent = None
    payment: OptPercent = None


class RenewalRecord(Record):
    """A renewal decided: renewed (with the ARR before and after, so expansion and contraction show) or churned."""

    entity: ClassVar[str] = "renewal"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at", "decided_at")
    customer_external_id: Id
    outcome: Text = Field(max_length=12)
    decided_at: When
    renewal_date: OptDay = None
    arr_before: OptMoney = None
    arr_after: OptMoney = None
    reason: OptText = Field(default=None, max_length=200)

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str) -> str:
        return renewal_outcome(value)


class ActivityRecord(Record):
    """A touch with the customer the CRM logged (call, meeting, email, check-in, business review)."""

    entity: ClassVar[str] = "activity"
    past_fields: ClassVar[tuple[str, ...]] = ("updated_at", "occurred_at")
    customer_external_id: Id
    kind: Text = Field(max_length=20)
    occurred_at: When
    owner: OptText = Field(default=None, max_length=32)  # the staff member's Slack id
    subject: OptText = Field(default=None, max_length=2000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return activity_kind(value)


HEALTH_COMPONENTS = ("usage", "support", "engagement", "sentiment", "payment")
RECORD_TYPES: dict[str, type[Record]] = {
    t.entity: t
    for t in (
        CustomerRecord,
        ContactRecord,
        TicketRecord,
        OrderRecord,
        UsageRecord,
        SurveyResponseRecord,
        ContactChangeRecord,
        ShipmentRecord,
        HealthScoreRecord,
        RenewalRecord,
        ActivityRecord,
    )
}
Entity = Literal[
    "customer",
    "contact",
    "ticket",
    "order",
    "usage",
    "survey",
    "contact_change",
    "shipment",
    "health",
    "renewal",
    "activity",
]
