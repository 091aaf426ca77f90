"""tickets.external_id indexed: a question naming a ticket by the helpdesk's id ("is HD-00001305 breaching?") finds
it, and its customer, with one index probe whatever the size of the book

Revision ID: 0061_ticket_external_id
Revises: 0060_question_priority (the ask branch)
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0061_ticket_external_id"
down_revision: str | Sequence[str] | None = "0060_question_priority"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_external_id", "tickets", ["external_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_external_id", table_name="tickets")
