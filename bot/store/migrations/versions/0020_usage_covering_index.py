"""usage index covers quantity: the usage alert rules' per-customer window sums read the index alone

``ix_usage_customer_day`` (customer_id, day) becomes (customer_id, day, quantity). The usage-drop and
usage-growth rules sum quantities over a window for every customer of their segment; with quantity in the
index SQLite never visits the table (1M customers, 20M usage rows: usage-drop 18 -> 10 s, measured on a
loaded 2-core machine). Ingest still keeps one index on the table.

Revision ID: 0020_usage_covering_index
Revises: 0020_alerts_value_signals
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_usage_covering_index"
down_revision: str | Sequence[str] | None = "0020_alerts_value_signals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_usage_customer_day", table_name="usage_events")
    op.create_index("ix_usage_customer_day", "usage_events", ["customer_id", "day", "quantity"])


def downgrade() -> None:
    op.drop_index("ix_usage_customer_day", table_name="usage_events")
    op.create_index("ix_usage_customer_day", "usage_events", ["customer_id", "day"])
