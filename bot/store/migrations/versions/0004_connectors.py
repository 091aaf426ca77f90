"""connectors: sync cursors/runs/quarantine/keys, legal holds, identity provenance and merges

Revision ID: 0004_connectors
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0004_connectors"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("connectors",)
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sync_cursors",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(200), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", BigID, primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("finished_at", UTC(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_sync_runs_source_started", "sync_runs", ["source", "started_at"])
    op.create_table(
        "sync_quarantine",
        sa.Column("id", BigID, primary_key=True),
        sa.Column("run_id", BigID, sa.ForeignKey("sync_runs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
    )
    op.create_index("ix_sync_quarantine_run_id", "sync_quarantine", ["run_id"])
    op.create_index("ix_sync_quarantine_source_created", "sync_quarantine", ["source", "created_at"])
    op.create_table(
        "sync_keys",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("entity", sa.String(20), primary_key=True),
        sa.Column("external_id", sa.String(80), primary_key=True),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("row_hash", sa.String(32), nullable=False),
    )
    op.create_index("ix_sync_keys_customer", "sync_keys", ["customer_id"])
    op.create_table(
        "legal_holds",
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("placed_at", UTC(timezone=True), nullable=False),
    )
    op.create_table(
        "customer_field_provenance",
        sa.Column("customer_id", BigID, sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("field", sa.String(40), primary_key=True),
        sa.Column("source_customer_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=False),
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", BigID, primary_key=True),
        sa.Column("golden_id", BigID, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("merged_id", BigID, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("previous_golden", sa.JSON(), nullable=False),
        sa.Column("merged_at", UTC(timezone=True), nullable=False),
        sa.Column("undone_at", UTC(timezone=True), nullable=True),
    )
    op.create_index("ix_customer_merges_golden_id", "customer_merges", ["golden_id"])
    op.create_index("ix_customer_merges_merged_id", "customer_merges", ["merged_id"])


def downgrade() -> None:
    for name in (
        "customer_merges",
        "customer_field_provenance",
        "legal_holds",
        "sync_keys",
        "sync_quarantine",
        "sync_runs",
        "sync_cursors",
    ):
        op.drop_table(name)
