"""Alert tables: alerts (one row per rule x customer episode), their fan-out to recipients, the outbox, runs.

* ``alerts``: an episode of a rule matching a customer. ``open_key`` (``rule:customer``) is set while the
  episode is not resolved and is UNIQUE, so two evaluators racing can never open the same alert twice;
  NULLs are distinct on SQLite and PostgreSQL, so resolved episodes keep their history. ``priority``
  (severity x tier x ARR) and its ``band`` decide what interrupts; ``recipient`` is who owns it (the
  account owner, else the tier's on-duty owner); ``routed_at`` is set once its notifications are written
  (an alert committed by a run that died before routing is routed by the next run); ``delivered_at`` is
  when ``recipient`` was first actually told, which is where the escalation clock starts.
* ``alert_notifications``: who is told about an alert and how (immediately or in a digest). Unique per
  (alert, recipient, purpose, round): re-running a step never notifies twice.
* ``alert_outbox``: messages to send, written in the same transaction as the alerts they carry. Delivery
  claims a row with a conditional update (pending -> sending + claim token) and marks it sent with Slack's ts.
* ``alert_runs``: one row per rule evaluation: counts, what was capped, how long it took.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow

# Alert states
OPEN, ACKED, SNOOZED, RESOLVED = "open", "acked", "snoozed", "resolved"
# Outbox states
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_rule_customer_created", "rule", "customer_id", "created_at"),
        Index("ix_alerts_state_created", "state", "created_at"),
        Index("ix_alerts_recipient_state", "recipient", "state"),
        Index("ix_alerts_routed", "routed_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    tier: Mapped[str] = mapped_column(String(20))  # at creation, for measures per tier
    severity: Mapped[str] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(12), default=OPEN)
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seen_count: Mapped[int] = mapped_column(Integer, default=1)
    assignee: Mapped[str | None] = mapped_column(String(32), index=True)
    acked_by: Mapped[str | None] = mapped_column(String(32))
    acked_at: Mapped[dt.datetime | None] = mapped_column()
    snoozed_until: Mapped[dt.datetime | None] = mapped_column()
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    reminders: Mapped[int] = mapped_column(Integer, default=0)  # snooze wake-ups so far
    priority: Mapped[float] = mapped_column(Float, default=0.0)  # severity x tier x ARR factor
    band: Mapped[str] = mapped_column(String(16), default="")  # priority band: what it may interrupt
    value_at_risk: Mapped[float] = mapped_column(Float, default=0.0)  # USD the signal puts at risk
    recipient: Mapped[str | None] = mapped_column(String(32))  # owner, else the tier's on-duty owner
    routed_at: Mapped[dt.datetime | None] = mapped_column()  # notifications written
    notify_due_at: Mapped[dt.datetime | None] = mapped_column()  # when ``recipient`` was due to hear of it
    delivered_at: Mapped[dt.datetime | None] = mapped_column()  # when ``recipient`` was first told
    snoozed_by: Mapped[str | None] = mapped_column(String(32))
    snooze_reason: Mapped[str | None] = mapped_column(Text)


class AlertNotification(Base):
    __tablename__ = "alert_notifications"
    __table_args__ = (
        UniqueConstraint("alert_id", "recipient", "purpose", "round", name="uq_alert_notification"),
        Index("ix_alert_notifications_digest", "mode", "outbox_id", "due_at"),
        Index("ix_alert_notifications_recipient_created", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(32))  # user id (DM) or channel id
    purpose: Mapped[str] = mapped_column(String(16), default="alert")  # alert | escalation | reminder
    round: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[str] = mapped_column(String(10))  # immediate | digest | skipped | summarised
    reason: Mapped[str] = mapped_column(String(40), default="")  # why this mode/time: urgent, quiet_hours, cap...
    due_at: Mapped[dt.datetime] = mapped_column()
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("alert_outbox.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AlertOutbox(Base):
    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))  # alert | digest | escalation | reminder | notice | snoozed
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    claimed_until: Mapped[dt.datetime | None] = mapped_column()
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AlertRun(Base):
    __tablename__ = "alert_runs"
    __table_args__ = (Index("ix_alert_runs_rule_started", "rule", "started_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    candidates: Mapped[int] = mapped_column(Integer, default=0)  # new matches before the cap
    created: Mapped[int] = mapped_column(Integer, default=0)
    capped: Mapped[int] = mapped_column(Integer, default=0)  # new matches left out by max_matches_per_rule
    refreshed: Mapped[int] = mapped_column(Integer, default=0)  # still-open alerts seen again
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    policy_version: Mapped[str] = mapped_column(String(64), default="")
