"""The hand-written ask migrations (0006_conversation, 0007, 0060_question_priority, 0061_ticket_external_id,
0062_orders_status_index) create exactly what bot.ask.models (and the tickets and orders indexes it reads by)
declares; 0060 and 0062 downgrade cleanly and upgrade back."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot.models import metadata
from bot.store.migrate import alembic_config, current_heads, upgrade

OURS = {
    "question_answers",
    "ask_channel_config",
    "ask_handoffs",
    "ask_passage_feedback",
    "questions",
    "tickets",
    "orders",
}


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
    assert "0062_orders_status_index" in current_heads(engine)  # the ask branch's head
    assert "ix_tickets_external_id" in {i["name"] for i in inspect(engine).get_indexes("tickets")}
    assert "ix_orders_status_customer" in _indexes(engine, "orders")
    assert set(inspect(engine).get_table_names()) >= OURS
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if _touches_ours(d)]
    assert diffs == []


def _question_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("questions")}


def test_question_priority_downgrades_and_upgrades_back(engine: Engine) -> None:
    assert "priority" in _question_columns(engine)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0060_question_priority@0007_passage_overrides")  # this revision only
    assert "priority" not in _question_columns(engine) and "question" in _question_columns(engine)
    upgrade(engine)
    assert "priority" in _question_columns(engine)


def _indexes(engine: Engine, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


def test_orders_status_index_downgrades_and_upgrades_back(engine: Engine) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0062_orders_status_index@0061_ticket_external_id")  # this revision only
    assert "ix_orders_status_customer" not in _indexes(engine, "orders")
    upgrade(engine)
    assert "ix_orders_status_customer" in _indexes(engine, "orders")
