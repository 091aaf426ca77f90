"""passage overrides: maintainers boost, demote or hide a playbook passage for every question

Revision ID: 0007_passage_overrides
Revises: 0006_conversation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0007_passage_overrides"
down_revision: str | Sequence[str] | None = "0006_conversation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ask_passage_overrides",
        sa.Column("passage", sa.String(length=600), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("set_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("passage"),
    )


def downgrade() -> None:
    op.drop_table("ask_passage_overrides")
