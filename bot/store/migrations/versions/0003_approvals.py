"""approvals: requests and per-step votes

Revision ID: 0003_approvals
Revises: 0001_core
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0003_approvals"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("approvals",)
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", BigID, nullable=False),
        sa.Column("request_type", sa.String(length=32), nullable=False),
        sa.Column("customer_id", BigID, nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("region", sa.String(length=20), nullable=True),
        sa.Column("risk", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("requester", sa.String(length=32), nullable=False),
        sa.Column("origin_channel", sa.String(length=32), nullable=True),
        sa.Column("origin_thread_ts", sa.String(length=32), nullable=True),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("approvers", sa.String(length=32), nullable=True),
        sa.Column("step_started_at", UTC(timezone=True), nullable=True),
        sa.Column("reminded_at", UTC(timezone=True), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("message_channel", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index("ix_approval_requests_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_approval_requests_requester", ["requester"], unique=False)
        batch_op.create_index("ix_approval_requests_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_approval_requests_state_step_started", ["state", "step_started_at"], unique=False)
        batch_op.create_index("ix_approval_requests_precedent", ["request_type", "tier", "state"], unique=False)

    op.create_table(
        "approval_votes",
        sa.Column("id", BigID, nullable=False),
        sa.Column("request_id", BigID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["approval_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "step", "approver", name="uq_approval_vote"),
    )
    with op.batch_alter_table("approval_votes", schema=None) as batch_op:
        batch_op.create_index("ix_approval_votes_request_id", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_table("approval_votes")
    op.drop_table("approval_requests")
