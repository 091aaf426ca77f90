"""questions.priority: the ticket priority an answer was read with (its own words or its thread's), so the
Escalate button under it hands off the ticket the answer was about

Revision ID: 0060_question_priority
Revises: 0007_passage_overrides (the ask branch)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060_question_priority"
down_revision: str | Sequence[str] | None = "0007_passage_overrides"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("priority", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("priority")
