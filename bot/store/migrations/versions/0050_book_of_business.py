"""book of business: the export's vocabulary on sync runs, new customers awaiting placement, renewals and churn,
and what first-contact resolution needs on tickets

``sync_runs.unknown_values`` counts the values a run stored that no policy file knows (a tier ``Enterprise``);
``sync_untiered`` holds customers a sync created without a tier until ``rapport segment`` places them;
``renewals`` holds renewal decisions (won with ARR before/after, or churned); ``tickets.agent_replies`` and
``tickets.reopened_at`` let first-contact resolution be counted as kpis-per-tier.md defines it (one agent
response, no reopen within 7 days). Existing rows get NULL: unknown, never a guessed value.

Revision ID: 0050_book_of_business
Revises: 0031_sync_replays_and_erasure
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0050_book_of_business"
down_revision: str | Sequence[str] | None = "0031_sync_replays_and_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def UTC() -> bot.store.models.UTCDateTime:  # noqa: N802 - reads like a type in the column lists
    return bot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("sync_runs", sa.Column("unknown_values", sa.JSON(), nullable=True))
    op.create_table(
        "sync_untiered",
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.add_column("tickets", sa.Column("agent_replies", sa.Integer(), nullable=True))
    op.add_column("tickets", sa.Column("reopened_at", UTC(), nullable=True))
    op.create_table(
        "renewals",
        sa.Column("id", BigID, nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("external_id", sa.String(80), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=False),
        sa.Column("arr_before", sa.Numeric(14, 2), nullable=True),
        sa.Column("arr_after", sa.Numeric(14, 2), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_renewals_customer_id", "renewals", ["customer_id"])
    op.create_index("ix_renewals_decided", "renewals", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_renewals_decided", table_name="renewals")
    op.drop_index("ix_renewals_customer_id", table_name="renewals")
    op.drop_table("renewals")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("reopened_at")
        batch.drop_column("agent_replies")
    op.drop_table("sync_untiered")
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("unknown_values")
