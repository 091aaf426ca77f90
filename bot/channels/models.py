"""Customer channels: what Rapport knows of a shared channel, which customer it belongs to, and the
conversations (first-response clocks) its customers' messages start.

* ``shared_channels``: facts about a Slack channel (shared with another organisation or not, the external
  teams in it) and ``linked``: whether a customer link was made. The facts hold no customer id, so erasing a
  customer deletes its ``channel_links`` row but not this one: a channel still marked ``linked`` without a
  link row belonged to an erased customer, and its messages start no clock.
* ``channel_links``: channel -> customer (from ``channels.yaml``, an admin's ``/rapport channel link``, or a
  confirmed proposal). Two rows for one channel are a conflict: nothing is tracked there until it is fixed.
* ``channel_proposals``: a Slack Connect channel whose external members' email domains match a customer,
  waiting for an admin's button. One row per (channel, customer): a decline is remembered.
* ``conversations``: one per customer question: the first-response clock (``due_at``; ``nudge_at`` for the
  owner's DM) from the tier's SLA. ``open_key`` (``channel:thread_ts``) is set until it resolves and is
  UNIQUE, so a redelivered or concurrent event never opens the same conversation twice. ``breached_at`` /
  ``nudged_at`` are claimed by conditional updates: each conversation alerts and nudges at most once.
* ``channel_messages``: the messages that belong to a conversation (reactions name a message, not a thread).
* ``channel_tickets``: tickets made from a message (🎫, or a detected complaint), with the link back to Slack.
* ``channel_notices``: notes to admins already sent (one per channel, kind and key).
* ``slack_people``: who a Slack user is for Rapport (their team, guest or not, their email domain only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow

# Conversation states
OPEN, ANSWERED, RESOLVED = "open", "answered", "resolved"
# Proposal states
PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"


class SharedChannel(Base):
    __tablename__ = "shared_channels"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    is_ext_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    external_teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    linked: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[dt.datetime | None] = mapped_column()  # when Slack was last asked (conversations.info)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChannelLink(Base):
    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("channel_id", "customer_id", name="uq_channel_link"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # yaml | admin | proposal
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChannelProposal(Base):
    __tablename__ = "channel_proposals"
    __table_args__ = (UniqueConstraint("channel_id", "customer_id", name="uq_channel_proposal"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # which domains matched, how many members
    state: Mapped[str] = mapped_column(String(12), default=PENDING)
    proposed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    messages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[channel, ts], ...] shown to admins


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_state_due", "state", "due_at"),
        Index("ix_conversations_state_nudge", "state", "nudge_at"),
        Index("ix_conversations_channel_state", "channel_id", "state"),
        Index("ix_conversations_customer_started", "customer_id", "started_at"),
        Index("ix_conversations_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    thread_ts: Mapped[str] = mapped_column(String(32))  # the thread the conversation lives in
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)  # channel:thread_ts until resolved
    started_ts: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(32))  # the customer member who asked
    owner: Mapped[str | None] = mapped_column(String(32))  # the account owner when it started
    tier: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(4))  # P1..P4
    priority_source: Mapped[str] = mapped_column(String(12), default="default")  # default | words | reaction
    coverage: Mapped[str] = mapped_column(String(16))  # 24x7 | business_hours
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # the customer's, for business hours
    target_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column()
    nudge_at: Mapped[dt.datetime] = mapped_column()
    due_at: Mapped[dt.datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(12), default=OPEN)
    first_response_at: Mapped[dt.datetime | None] = mapped_column()
    first_response_by: Mapped[str | None] = mapped_column(String(32))
    response_seconds: Mapped[int | None] = mapped_column(Integer)  # SLA time (calendar or business) to answer
    nudged_at: Mapped[dt.datetime | None] = mapped_column()
    breached_at: Mapped[dt.datetime | None] = mapped_column()
    alert_id: Mapped[int | None] = mapped_column(BigID)  # the breach alert (alerts.id)
    last_customer_at: Mapped[dt.datetime] = mapped_column()
    last_activity_at: Mapped[dt.datetime] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_how: Mapped[str | None] = mapped_column(String(16))  # reaction | quiet | withdrawn | unlinked
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    messages: Mapped[int] = mapped_column(Integer, default=1)  # customer messages in it
    excerpt: Mapped[str] = mapped_column(Text, default="")  # the first words, plain text
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChannelMessage(Base):
    __tablename__ = "channel_messages"
    __table_args__ = (UniqueConstraint("channel_id", "ts", name="uq_channel_message"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(32))
    from_customer: Mapped[bool] = mapped_column(Boolean)
    posted_at: Mapped[dt.datetime] = mapped_column()


class ChannelTicket(Base):
    __tablename__ = "channel_tickets"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts", name="uq_channel_ticket"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    permalink: Mapped[str] = mapped_column(String(300), default="")
    helpdesk_id: Mapped[str | None] = mapped_column(String(80))  # the ticket's id in the helpdesk, when written
    reason: Mapped[str] = mapped_column(String(16))  # reaction | complaint
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChannelNotice(Base):
    __tablename__ = "channel_notices"
    __table_args__ = (UniqueConstraint("channel_id", "kind", "key", name="uq_channel_notice"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))  # erased | conflict | unresolved | rate_limited | ...
    key: Mapped[str] = mapped_column(String(80), default="")  # e.g. the day or the user: when to tell again
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SlackPerson(Base):
    __tablename__ = "slack_people"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), default="")
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    email_domain: Mapped[str | None] = mapped_column(String(200))  # the domain only: never the address
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
