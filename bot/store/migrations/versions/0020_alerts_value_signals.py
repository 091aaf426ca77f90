"""alerts: value-aware priority, owner routing and delivery time; signal data (surveys, contact changes,
shipments, health snapshots) for the new rules

Alerts gain ``priority``/``band``/``value_at_risk`` (what interrupts and in which order), ``recipient`` (owner,
else on-duty), ``routed_at``/``notify_due_at``/``delivered_at`` (escalation counts from delivery) and the
snooze's author and reason. Existing alerts count as routed and delivered when they were created (the old
escalation clock) and belong to their customer's owner.

Revision ID: 0020_alerts_value_signals
Revises: 0002_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0020_alerts_value_signals"
down_revision: str | Sequence[str] | None = "0002_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def UTC() -> bot.store.models.UTCDateTime:  # noqa: N802 - reads like a type in the column lists
    return bot.store.models.UTCDateTime(timezone=True)


def _child(name: str, *columns: sa.Column, time_column: str) -> None:
    op.create_table(
        name,
        sa.Column("id", BigID, nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{name}_customer_{time_column.removesuffix('_at')}", name, ["customer_id", time_column])


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("priority", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("band", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("value_at_risk", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("recipient", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("routed_at", UTC(), nullable=True))
        batch.add_column(sa.Column("notify_due_at", UTC(), nullable=True))
        batch.add_column(sa.Column("delivered_at", UTC(), nullable=True))
        batch.add_column(sa.Column("snoozed_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("snooze_reason", sa.Text(), nullable=True))
    op.execute("UPDATE alerts SET routed_at = created_at, notify_due_at = created_at, delivered_at = created_at")
    op.execute(
        "UPDATE alerts SET recipient = (SELECT c.owner_slack_id FROM customers c WHERE c.id = alerts.customer_id)"
    )
    op.create_index("ix_alerts_recipient_state", "alerts", ["recipient", "state"])
    op.create_index("ix_alerts_routed", "alerts", ["routed_at"])

    _child(
        "survey_responses",
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("survey", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("responded_at", UTC(), nullable=False),
        time_column="responded_at",
    )
    _child(
        "contact_changes",
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=True),
        sa.Column("changed_at", UTC(), nullable=False),
        time_column="changed_at",
    )
    _child(
        "shipments",
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("order_external_id", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=True),
        sa.Column("promised_at", UTC(), nullable=False),
        sa.Column("shipped_at", UTC(), nullable=True),
        sa.Column("delivered_at", UTC(), nullable=True),
        time_column="promised_at",
    )
    _child(
        "health_scores",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        *(
            sa.Column(c, sa.Integer(), nullable=True)
            for c in ("usage", "support", "engagement", "sentiment", "payment")
        ),
        time_column="day",
    )


def downgrade() -> None:
    for name in ("health_scores", "shipments", "contact_changes", "survey_responses"):
        op.drop_table(name)
    op.drop_index("ix_alerts_routed", table_name="alerts")
    op.drop_index("ix_alerts_recipient_state", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        for column in (
            "snooze_reason",
            "snoozed_by",
            "delivered_at",
            "notify_due_at",
            "routed_at",
            "recipient",
            "value_at_risk",
            "band",
            "priority",
        ):
            batch.drop_column(column)
