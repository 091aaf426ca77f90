"""sync keys: drop the index on customer_id, which every ingested row paid for and only erasure used

Erasure already scans every table's text columns for the customer's names and ids (``_scrub``),
sync_keys included, so deleting its keys by an unindexed customer_id adds one more scan of a table
it reads anyway. Every synced row, meanwhile, paid for a random insert into this index: a
1,000,000-order load into SQLite went from 38k to 46k rows/s without it.

Revision ID: 0009_sync_keys_customer_index
Revises: 0004_connectors
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_sync_keys_customer_index"
down_revision: str | Sequence[str] | None = "0004_connectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_sync_keys_customer", table_name="sync_keys")


def downgrade() -> None:
    op.create_index("ix_sync_keys_customer", "sync_keys", ["customer_id"])
