"""The hand-written approvals migrations (0003, 0008, 0030) create exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot.models import metadata
from bot.store.migrate import current_heads

OURS = {"approval_requests", "approval_votes", "approval_submissions"}


def _touches_ours(diff: object) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if part in OURS or name in OURS or getattr(table, "name", None) in OURS:
                return True
    return False


def test_migration_matches_models(engine: Engine) -> None:
    assert "0030_approval_duties_and_replays" in current_heads(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if _touches_ours(d)]
    assert diffs == []
