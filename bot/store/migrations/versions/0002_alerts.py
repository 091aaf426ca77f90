"""alerts: alerts, notifications fan-out, outbox, evaluation runs

Revision ID: 0002_alerts
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0002_alerts"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("alerts",)
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def UTC() -> bot.store.models.UTCDateTime:  # noqa: N802 - reads like a type in the column lists
    return bot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BigID, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("open_key", sa.String(length=120), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("last_seen_at", UTC(), nullable=False),
        sa.Column("seen_count", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(length=32), nullable=True),
        sa.Column("acked_by", sa.String(length=32), nullable=True),
        sa.Column("acked_at", UTC(), nullable=True),
        sa.Column("snoozed_until", UTC(), nullable=True),
        sa.Column("escalated_at", UTC(), nullable=True),
        sa.Column("resolved_at", UTC(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_alerts_rule_customer_created", "alerts", ["rule", "customer_id", "created_at"])
    op.create_index("ix_alerts_state_created", "alerts", ["state", "created_at"])
    op.create_index("ix_alerts_customer_id", "alerts", ["customer_id"])
    op.create_index("ix_alerts_assignee", "alerts", ["assignee"])

    op.create_table(
        "alert_outbox",
        sa.Column("id", BigID, nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("alert_id", BigID, nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", UTC(), nullable=True),
        sa.Column("claimed_until", UTC(), nullable=True),
        sa.Column("sent_channel", sa.String(length=32), nullable=True),
        sa.Column("sent_ts", sa.String(length=32), nullable=True),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_outbox_state_next", "alert_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_alert_outbox_alert_id", "alert_outbox", ["alert_id"])

    op.create_table(
        "alert_notifications",
        sa.Column("id", BigID, nullable=False),
        sa.Column("alert_id", BigID, nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("outbox_id", BigID, nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outbox_id"], ["alert_outbox.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "recipient", "purpose", "round", name="uq_alert_notification"),
    )
    op.create_index("ix_alert_notifications_digest", "alert_notifications", ["mode", "outbox_id", "due_at"])
    op.create_index("ix_alert_notifications_recipient_created", "alert_notifications", ["recipient", "created_at"])
    op.create_index("ix_alert_notifications_alert_id", "alert_notifications", ["alert_id"])
    op.create_index("ix_alert_notifications_outbox_id", "alert_notifications", ["outbox_id"])

    op.create_table(
        "alert_runs",
        sa.Column("id", BigID, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Integer(), nullable=False),
        sa.Column("refreshed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_runs_rule_started", "alert_runs", ["rule", "started_at"])


def downgrade() -> None:
    op.drop_table("alert_runs")
    op.drop_table("alert_notifications")
    op.drop_table("alert_outbox")
    op.drop_table("alerts")
