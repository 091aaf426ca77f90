"""approvals: separation of duties as decided per request, and one request per replayed submission

``approval_requests.one_step_per_person`` keeps what the policy said when the request was made (true for
every existing request: the safe reading). ``approval_submissions`` holds the latest request per
requester and content hash; its primary key makes racing identical submissions create one request.

Revision ID: 0030_approval_duties_and_replays
Revises: 0008_approval_notices
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0030_approval_duties_and_replays"
down_revision: str | Sequence[str] | None = "0008_approval_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("approval_requests") as batch:
        batch.add_column(sa.Column("one_step_per_person", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        "approval_submissions",
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("request_id", BigID, nullable=False),
        sa.Column("submitted_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["approval_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("content_key"),
    )
    op.create_index("ix_approval_submissions_request_id", "approval_submissions", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_approval_submissions_request_id", table_name="approval_submissions")
    op.drop_table("approval_submissions")
    with op.batch_alter_table("approval_requests") as batch:
        batch.drop_column("one_step_per_person")
