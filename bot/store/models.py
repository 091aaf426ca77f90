"""SQLAlchemy 2.0 typed models for the core customer record, staff and the audit trail.

Feature packages (alerts, approvals, connectors) keep their own tables in their own modules on the
same ``Base`` so one metadata and one Alembic history cover the whole store.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC everywhere inside; SQLite stores naive values, so re-attach UTC on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# BigInteger primary keys that still autoincrement on SQLite (which only does so for INTEGER).
BigID = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    external_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source -> id
    tier: Mapped[str] = mapped_column(String(20), index=True)
    segment: Mapped[str] = mapped_column(String(40), default="mid-market")
    region: Mapped[str] = mapped_column(String(20), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    lifetime_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    arr: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    renewal_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    health_score: Mapped[int] = mapped_column(Integer, default=70)  # 0..100
    owner_slack_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Consent: alerts about a customer may be sent internally regardless; outreach flags gate contact.
    consent_outreach: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_data_processing: Mapped[bool] = mapped_column(Boolean, default=True)
    comm_preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", cascade="all, delete-orphan")


class CustomerIdentifier(Base):
    """Normalised lookup keys (name key, domain, email, external id) for identity resolution and linking."""

    __tablename__ = "customer_identifiers"
    __table_args__ = (
        UniqueConstraint("kind", "value", "customer_id", name="uq_identifier"),
        Index("ix_identifier_lookup", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # name | alias | domain | email | external_id
    value: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(40), default="crm")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_opened", "customer_id", "opened_at"),
        Index("ix_tickets_status_opened", "status", "opened_at"),
        Index("ix_tickets_external_id", "external_id"),  # a ticket named by the helpdesk's id (bot.customers.tickets)
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="helpdesk")
    external_id: Mapped[str | None] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(300))
    priority: Mapped[str] = mapped_column(String(4))  # P1..P4
    status: Mapped[str] = mapped_column(String(16))  # open | pending | solved | closed
    category: Mapped[str] = mapped_column(String(40), default="question")
    sentiment: Mapped[float] = mapped_column(Float, default=0.0)  # -1 (angry) .. 1 (delighted)
    opened_at: Mapped[dt.datetime] = mapped_column()
    first_response_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    # First-contact resolution (playbooks/governance/kpis-per-tier.md) needs both; NULL = the helpdesk did not say
    agent_replies: Mapped[int | None] = mapped_column(Integer)  # public agent responses on the ticket
    reopened_at: Mapped[dt.datetime | None] = mapped_column()  # first reopen after it was solved


class Renewal(Base):
    """A contract renewal decided (won, with its ARR before and after) or a customer lost (churned), as the CRM
    records it: what the relationship-outcome figures count (bot/kpi/outcomes.py)."""

    __tablename__ = "renewals"
    __table_args__ = (Index("ix_renewals_decided", "decided_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40), default="crm")
    external_id: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(12))  # renewed | churned
    renewal_date: Mapped[dt.date | None] = mapped_column(Date)  # the term end the decision was for
    decided_at: Mapped[dt.datetime] = mapped_column()
    arr_before: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    arr_after: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 0 or NULL when churned
    reason: Mapped[str | None] = mapped_column(String(200))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_ordered", "customer_id", "ordered_at"),
        # the overdue few among all orders (the owing list, the payment-overdue rule): one index range
        Index("ix_orders_status_customer", "status", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="erp")
    external_id: Mapped[str | None] = mapped_column(String(80))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(16))  # paid | invoiced | overdue | refunded
    ordered_at: Mapped[dt.datetime] = mapped_column()
    due_at: Mapped[dt.datetime | None] = mapped_column()
    paid_at: Mapped[dt.datetime | None] = mapped_column()


class UsageEvent(Base):
    """Product usage rolled up per customer, day and metric (what product analytics exports)."""

    __tablename__ = "usage_events"
    # Covering (quantity included): the alert rules' per-customer window sums read the index alone, never the
    # table (1M customers, 20M rows: usage-drop 18 -> 10 s on SQLite); still one index for ingest to keep.
    __table_args__ = (Index("ix_usage_customer_day", "customer_id", "day", "quantity"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40), default="active_users")
    quantity: Mapped[int] = mapped_column(Integer)


class SurveyResponse(Base):
    """A customer's answer to a survey (NPS 0-10, CSAT 1-5), as the survey tool exports it."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_customer_responded", "customer_id", "responded_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="surveys")
    external_id: Mapped[str | None] = mapped_column(String(80))
    survey: Mapped[str] = mapped_column(String(20), default="nps")
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[dt.datetime] = mapped_column()


class ContactChange(Base):
    """A contact's relationship to the customer changed: joined, left, or took a role (champion, sponsor...)."""

    __tablename__ = "contact_changes"
    __table_args__ = (Index("ix_contact_changes_customer_changed", "customer_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="crm")
    external_id: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(40))  # champion | sponsor | decision_maker | user | ...
    change: Mapped[str] = mapped_column(String(20))  # joined | left | role_changed
    title: Mapped[str | None] = mapped_column(String(120))
    changed_at: Mapped[dt.datetime] = mapped_column()


class Shipment(Base):
    """Delivery of an order against a promised date (fulfilment / logistics systems)."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_customer_promised", "customer_id", "promised_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="logistics")
    external_id: Mapped[str | None] = mapped_column(String(80))
    order_external_id: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))  # pending | shipped | delivered | cancelled | returned
    carrier: Mapped[str | None] = mapped_column(String(40))
    promised_at: Mapped[dt.datetime] = mapped_column()
    shipped_at: Mapped[dt.datetime | None] = mapped_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column()


HEALTH_COMPONENTS = ("usage", "support", "engagement", "sentiment", "payment")  # HealthScore's parts, 0-100


class HealthScore(Base):
    """A customer-health snapshot (score and components, 0-100) from the CS platform; history for trends."""

    __tablename__ = "health_scores"
    __table_args__ = (Index("ix_health_scores_customer_day", "customer_id", "day"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40), default="cs_platform")
    day: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    usage: Mapped[int | None] = mapped_column(Integer)
    support: Mapped[int | None] = mapped_column(Integer)
    engagement: Mapped[int | None] = mapped_column(Integer)
    sentiment: Mapped[int | None] = mapped_column(Integer)
    payment: Mapped[int | None] = mapped_column(Integer)


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_customer_created", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    author_slack_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20), default="note")  # note | call | meeting | email
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Staff(Base):
    __tablename__ = "staff"

    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditEvent(Base):
    """Append-only, hash-chained: each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # Slack user id or "system:<job>"
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # one successor per row: a linear chain
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ProcessedEvent(Base):
    """Slack deliveries already handled (event_id), so retries and replicas never answer twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class PlantedDuplicate(Base):
    """Ground truth written by the demo generator: which records are the same customer.

    Only the demo generator writes it and only the identity-resolution benchmark reads it.
    """

    __tablename__ = "demo_planted_duplicates"

    customer_id: Mapped[int] = mapped_column(BigID, primary_key=True)
    duplicate_of: Mapped[int] = mapped_column(BigID, index=True)


class Lease(Base):
    """A named, expiring lease: one process at a time runs a scheduled job or holds a role."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime] = mapped_column()
