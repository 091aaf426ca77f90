"""sync: the stored version's change time, webhook delivery ids, erased identities, stale/erased run counts

``sync_keys.updated_at`` is the source's ``updated_at`` of the version a key's row holds: an upsert
carrying an older one is skipped as stale (a replayed webhook delivery, a late retry, an old export).
Existing keys get NULL (unknown: the next version is taken whatever its time). ``sync_deliveries``
keeps webhook delivery ids so a repeat is applied once; ``sync_suppressions`` the hashes of erased
identities that every sync and webhook skips. ``sync_runs`` counts both kinds of skipped rows.

Revision ID: 0031_sync_replays_and_erasure
Revises: 0009_sync_keys_customer_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0031_sync_replays_and_erasure"
down_revision: str | Sequence[str] | None = "0009_sync_keys_customer_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("sync_keys") as batch:
        batch.add_column(sa.Column("updated_at", UTC(timezone=True), nullable=True))
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("rows_stale", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rows_erased", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "sync_deliveries",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("delivery_id", sa.String(128), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("source", "delivery_id"),
    )
    op.create_index("ix_sync_deliveries_received_at", "sync_deliveries", ["received_at"])
    op.create_table(
        "sync_suppressions",
        sa.Column("id", BigID, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.UniqueConstraint("digest", name="uq_sync_suppressions_digest"),
    )


def downgrade() -> None:
    op.drop_table("sync_suppressions")
    op.drop_index("ix_sync_deliveries_received_at", table_name="sync_deliveries")
    op.drop_table("sync_deliveries")
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("rows_erased")
        batch.drop_column("rows_stale")
    with op.batch_alter_table("sync_keys") as batch:
        batch.drop_column("updated_at")
