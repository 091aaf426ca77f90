"""channels: customer channels (Slack Connect), their links to customers, conversations with first-response
clocks, the messages and tickets that belong to them, notes to admins, and who Slack users are

Revision ID: 0040_channels
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0040_channels"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def UTC() -> bot.store.models.UTCDateTime:  # noqa: N802 - reads like a type in the column lists
    return bot.store.models.UTCDateTime(timezone=True)


def _customer_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "shared_channels",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_ext_shared", sa.Boolean(), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("external_teams", sa.JSON(), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("checked_at", UTC(), nullable=True),
        sa.Column("first_seen_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    op.create_table(
        "channel_links",
        sa.Column("id", BigID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        sa.Column("linked_at", UTC(), nullable=False),
        _customer_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "customer_id", name="uq_channel_link"),
    )
    op.create_index("ix_channel_links_channel_id", "channel_links", ["channel_id"])
    op.create_index("ix_channel_links_customer_id", "channel_links", ["customer_id"])
    op.create_table(
        "channel_proposals",
        sa.Column("id", BigID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("proposed_at", UTC(), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        _customer_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "customer_id", name="uq_channel_proposal"),
    )
    op.create_index("ix_channel_proposals_channel_id", "channel_proposals", ["channel_id"])
    op.create_index("ix_channel_proposals_customer_id", "channel_proposals", ["customer_id"])
    op.create_table(
        "conversations",
        sa.Column("id", BigID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("open_key", sa.String(length=80), nullable=True),
        sa.Column("started_ts", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=4), nullable=False),
        sa.Column("priority_source", sa.String(length=12), nullable=False),
        sa.Column("coverage", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("nudge_at", UTC(), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("first_response_at", UTC(), nullable=True),
        sa.Column("first_response_by", sa.String(length=32), nullable=True),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("nudged_at", UTC(), nullable=True),
        sa.Column("breached_at", UTC(), nullable=True),
        sa.Column("alert_id", BigID, nullable=True),
        sa.Column("last_customer_at", UTC(), nullable=False),
        sa.Column("last_activity_at", UTC(), nullable=False),
        sa.Column("resolved_at", UTC(), nullable=True),
        sa.Column("resolved_how", sa.String(length=16), nullable=True),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        _customer_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_conversations_state_due", "conversations", ["state", "due_at"])
    op.create_index("ix_conversations_state_nudge", "conversations", ["state", "nudge_at"])
    op.create_index("ix_conversations_channel_state", "conversations", ["channel_id", "state"])
    op.create_index("ix_conversations_customer_started", "conversations", ["customer_id", "started_at"])
    op.create_index("ix_conversations_started", "conversations", ["started_at"])
    op.create_table(
        "channel_messages",
        sa.Column("id", BigID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("conversation_id", BigID, nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("from_customer", sa.Boolean(), nullable=False),
        sa.Column("posted_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        _customer_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "ts", name="uq_channel_message"),
    )
    op.create_index("ix_channel_messages_conversation_id", "channel_messages", ["conversation_id"])
    op.create_index("ix_channel_messages_customer_id", "channel_messages", ["customer_id"])
    op.create_table(
        "channel_tickets",
        sa.Column("id", BigID, nullable=False),
        sa.Column("ticket_id", BigID, nullable=False),
        sa.Column("customer_id", BigID, nullable=False),
        sa.Column("conversation_id", BigID, nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("permalink", sa.String(length=300), nullable=False),
        sa.Column("helpdesk_id", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="SET NULL"),
        _customer_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "message_ts", name="uq_channel_ticket"),
    )
    op.create_index("ix_channel_tickets_ticket_id", "channel_tickets", ["ticket_id"])
    op.create_index("ix_channel_tickets_customer_id", "channel_tickets", ["customer_id"])
    op.create_index("ix_channel_tickets_conversation_id", "channel_tickets", ["conversation_id"])
    op.create_table(
        "channel_notices",
        sa.Column("id", BigID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "kind", "key", name="uq_channel_notice"),
    )
    op.create_table(
        "slack_people",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("is_guest", sa.Boolean(), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("email_domain", sa.String(length=200), nullable=True),
        sa.Column("checked_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    for name in (
        "slack_people",
        "channel_notices",
        "channel_tickets",
        "channel_messages",
        "conversations",
        "channel_proposals",
        "channel_links",
        "shared_channels",
    ):
        op.drop_table(name)
