"""segments: placement runs, the moves they made, and the promises kept until a renewal or an override's end

Revision ID: 0050_segments
Revises: 0050_book_of_business
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0050_segments"
down_revision: str | Sequence[str] | None = "0050_book_of_business"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def UTC() -> bot.store.models.UTCDateTime:  # noqa: N802 - reads like a type in the column lists
    return bot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segment_runs",
        sa.Column("id", BigID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("finished_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_segment_runs_kind_as_of", "segment_runs", ["kind", "as_of"])
    op.create_table(
        "tier_moves",
        sa.Column("id", BigID, nullable=False),
        sa.Column("run_id", BigID, nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_tier", sa.String(20), nullable=False),
        sa.Column("to_tier", sa.String(20), nullable=False),
        sa.Column("kept_until", sa.Date(), nullable=True),
        sa.Column("lifetime_value", sa.Numeric(14, 2), nullable=True),
        sa.Column("arr", sa.Numeric(14, 2), nullable=True),
        sa.Column("revenue_12m", sa.Numeric(16, 2), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["segment_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tier_moves_run_customer", "tier_moves", ["run_id", "customer_id"])
    op.create_index("ix_tier_moves_customer_id", "tier_moves", ["customer_id"])
    op.create_index("ix_tier_moves_request_id", "tier_moves", ["request_id"])
    op.create_table(
        "customer_tier_promises",
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("placed_tier", sa.String(20), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("run_id", BigID, nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["segment_runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_customer_tier_promises_until", "customer_tier_promises", ["until"])


def downgrade() -> None:
    op.drop_index("ix_customer_tier_promises_until", table_name="customer_tier_promises")
    op.drop_table("customer_tier_promises")
    op.drop_index("ix_tier_moves_request_id", table_name="tier_moves")
    op.drop_index("ix_tier_moves_customer_id", table_name="tier_moves")
    op.drop_index("ix_tier_moves_run_customer", table_name="tier_moves")
    op.drop_table("tier_moves")
    op.drop_index("ix_segment_runs_kind_as_of", table_name="segment_runs")
    op.drop_table("segment_runs")
