"""What was asked and answered, and what people thought of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow


class QuestionLog(Base):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_answered_created", "answered", "created_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    asker: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(BigID)
    answered: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    top_path: Mapped[str | None] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(32))  # playbook owner to route an unanswered question to
    # the ticket priority the answer was read with (its words or its thread's): the Escalate button's ticket
    priority: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("question_id", "user_id", name="uq_feedback_once_per_user"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---- conversation (0006): per-channel configuration, hand-offs, passage feedback ---------------------
HANDOFF_OPEN = "open"
HANDOFF_CLAIMED = "claimed"
HANDOFF_RESOLVED = "resolved"


class QuestionAnswer(Base):
    """What Rapport answered and cited for a question (hand-offs carry it; feedback maps to passages)."""

    __tablename__ = "question_answers"

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    cited: Mapped[list[str]] = mapped_column(JSON, default=list)  # passage keys "path#heading", citation order


class ChannelConfig(Base):
    """How Rapport behaves in one channel; a channel without a row gets the conservative defaults."""

    __tablename__ = "ask_channel_config"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="mention")
    collections: Mapped[list[str]] = mapped_column(JSON, default=list)
    answers: Mapped[str] = mapped_column(String(16), default="public")
    card_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_channel: Mapped[str | None] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HandoffRecord(Base):
    """A hand-off to a person, its SLA clock and how the loop was closed.

    State moves only by conditional UPDATE (``WHERE state = ...``): a double click claims once.
    """

    __tablename__ = "ask_handoffs"
    __table_args__ = (Index("ix_ask_handoffs_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # person | escalate
    requester: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(32))  # where the hand-off was posted
    tag: Mapped[str | None] = mapped_column(String(32))  # who was tagged (user or group id)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    source_channel: Mapped[str | None] = mapped_column(String(32))
    source_ts: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=HANDOFF_OPEN)
    level: Mapped[int] = mapped_column(Integer, default=0)  # re-escalations so far
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    reescalated_at: Mapped[dt.datetime | None] = mapped_column()


class PassageFeedback(Base):
    """Helpful/unhelpful votes per (normalised question, passage): the signal the ask service re-ranks with."""

    __tablename__ = "ask_passage_feedback"
    __table_args__ = (UniqueConstraint("qkey", "passage", "user_id", name="uq_passage_feedback_vote"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    qkey: Mapped[str] = mapped_column(String(300), index=True)  # sorted content words of the question
    passage: Mapped[str] = mapped_column(String(600))  # "path#heading path"
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PassageOverride(Base):
    """A maintainer's standing decision on one passage, for every question: boost, demote or hide."""

    __tablename__ = "ask_passage_overrides"

    passage: Mapped[str] = mapped_column(String(600), primary_key=True)  # "path#heading path"
    action: Mapped[str] = mapped_column(String(16))  # boost | demote | hide
    set_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
