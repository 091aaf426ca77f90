"""approval notices: a decision's Slack follow-up, kept until delivered so a crash cannot lose it

Revision ID: 0008_approval_notices
Revises: 0003_approvals
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0008_approval_notices"
down_revision: str | Sequence[str] | None = "0003_approvals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("approval_requests") as batch:
        batch.add_column(sa.Column("notice", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("notice_at", UTC(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approval_requests") as batch:
        batch.drop_column("notice_at")
        batch.drop_column("notice")
