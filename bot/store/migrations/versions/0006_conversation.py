"""conversation: answers as given, per-channel configuration, hand-offs with SLA clocks, passage feedback

Revision ID: 0006_conversation
Revises: 0005_ask
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0006_conversation"
down_revision: str | Sequence[str] | None = "0005_ask"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = bot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "question_answers",
        sa.Column("question_id", BigID, nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("cited", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id"),
    )
    op.create_table(
        "ask_channel_config",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("collections", sa.JSON(), nullable=False),
        sa.Column("answers", sa.String(length=16), nullable=False),
        sa.Column("card_roles", sa.JSON(), nullable=False),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("escalation_channel", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "ask_handoffs",
        sa.Column("id", BigID, nullable=False),
        sa.Column("question_id", BigID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("requester", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.Column("source_ts", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", UTC, nullable=True),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("reescalated_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ask_handoffs_state_due", "ask_handoffs", ["state", "due_at"])
    op.create_index("ix_ask_handoffs_question_id", "ask_handoffs", ["question_id"])
    op.create_table(
        "ask_passage_feedback",
        sa.Column("id", BigID, nullable=False),
        sa.Column("qkey", sa.String(length=300), nullable=False),
        sa.Column("passage", sa.String(length=600), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("qkey", "passage", "user_id", name="uq_passage_feedback_vote"),
    )
    op.create_index("ix_ask_passage_feedback_qkey", "ask_passage_feedback", ["qkey"])


def downgrade() -> None:
    op.drop_table("ask_passage_feedback")
    op.drop_table("ask_handoffs")
    op.drop_table("ask_channel_config")
    op.drop_table("question_answers")
