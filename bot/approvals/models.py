"""Approval requests and the votes cast on them.

Exactly-once decisions rest on two database guarantees, not on application locks:
``approval_requests`` is only moved on by a conditional UPDATE (``WHERE state='pending' AND step=:n``),
and ``approval_votes`` has one row per (request, step, approver).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow

PENDING = "pending"
APPROVED = "approved"
AUTO_APPROVED = "auto_approved"
REJECTED = "rejected"
CHANGES_REQUESTED = "changes_requested"
EXPIRED = "expired"
FINAL_STATES = (APPROVED, AUTO_APPROVED, REJECTED, CHANGES_REQUESTED, EXPIRED)


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (
        Index("ix_approval_requests_state_step_started", "state", "step_started_at"),
        Index("ix_approval_requests_precedent", "request_type", "tier", "state"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    request_type: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    customer_name: Mapped[str] = mapped_column(String(200))  # snapshot: the name is public, shown to approvers
    tier: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    risk: Mapped[str] = mapped_column(String(10), default="low")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    percent: Mapped[float | None] = mapped_column(Float)
    terms: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    requester: Mapped[str] = mapped_column(String(32), index=True)
    origin_channel: Mapped[str | None] = mapped_column(String(32))
    origin_thread_ts: Mapped[str | None] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[str] = mapped_column(String(64))
    # The route as it was when the request was made: later policy edits do not move requests in flight.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    step: Mapped[int] = mapped_column(Integer, default=0)  # index into ``steps`` while pending
    approvers: Mapped[str | None] = mapped_column(String(32))  # current step's principal (changes on escalation)
    step_started_at: Mapped[dt.datetime | None] = mapped_column()
    reminded_at: Mapped[dt.datetime | None] = mapped_column()
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every claim: the row lock
    message_channel: Mapped[str | None] = mapped_column(String(32))  # current governance message
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Slack follow-up of the last decision, written with it and cleared once Slack was told: a replica that
    # dies in between leaves it here, and the sweep delivers it (code, step, the message it updates).
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notice_at: Mapped[dt.datetime | None] = mapped_column()
    # Separation of duties as the policy said when the request was made: one person decides at most one
    # step (policy ``separation_of_duties.relaxed`` turns it off per request type).
    one_step_per_person: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ApprovalVote(Base):
    """One approver's decision on one step; the unique key makes a repeated click a no-op."""

    __tablename__ = "approval_votes"
    __table_args__ = (UniqueConstraint("request_id", "step", "approver", name="uq_approval_vote"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    approver: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(20))  # approve | reject | changes
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApprovalSubmission(Base):
    """The latest request made from one requester's exact content (``content_key``: a sha256).

    Its primary key makes two identical submissions racing on two replicas create one request: a
    replayed slash command, a double-clicked modal or a retried delivery within the duplicate window
    is answered with the request the first one made (bot.approvals.requests).
    """

    __tablename__ = "approval_submissions"

    content_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[dt.datetime] = mapped_column()
