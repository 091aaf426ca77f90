"""What was asked and answered, and what people thought of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
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
