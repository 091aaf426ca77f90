"""The hand-written 0006_conversation migration creates exactly what bot.ask.models declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot.models import metadata
from bot.store.migrate import current_heads

OURS = {"question_answers", "ask_channel_config", "ask_handoffs", "ask_passage_feedback", "questions"}


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
    assert current_heads(engine) & {"0006_conversation", "0007_passage_overrides"}  # 0006 applied, or its successor
    assert set(inspect(engine).get_table_names()) >= OURS
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if _touches_ours(d)]
    assert diffs == []
