"""Migrations 0050_book_of_business and 0050_segments: one chain on the sync branch (0031 -> 0050_book_of_business
-> 0050_segments, a single head), tables and columns as the models declare, a clean downgrade of just this chain
and an upgrade back (both backends)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from bot.models import metadata
from bot.store.migrate import alembic_config, upgrade

TABLES = {"sync_untiered", "renewals", "segment_runs", "tier_moves", "customer_tier_promises"}
COLUMNS = {("sync_runs", "unknown_values"), ("tickets", "agent_replies"), ("tickets", "reopened_at")}


def _mine(entry: Any) -> bool:
    text = repr(entry)
    return any(t in text for t in TABLES) or any(f"'{t}'" in text and f"'{c}'" in text for t, c in COLUMNS)


def _columns(engine: Engine) -> set[tuple[str, str]]:
    insp = inspect(engine)
    return {(t, c["name"]) for t in ("sync_runs", "tickets") for c in insp.get_columns(t)}


def test_tables_and_columns_match_models(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert _columns(engine) >= COLUMNS
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if _mine(d)] == []


def test_one_chain_on_the_sync_branch_and_a_clean_downgrade(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    script = ScriptDirectory.from_config(alembic_config(url))
    first, second = script.get_revision("0050_book_of_business"), script.get_revision("0050_segments")
    assert first is not None and first.down_revision == "0031_sync_replays_and_erasure"
    assert second is not None and second.down_revision == "0050_book_of_business"
    heads = script.get_heads()
    assert "0050_segments" in heads and "0050_book_of_business" not in heads
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0050_segments@0031_sync_replays_and_erasure")  # this chain only
    assert not TABLES & set(inspect(engine).get_table_names())
    assert not COLUMNS & _columns(engine)
    assert {"customers", "alerts", "sync_runs"} <= set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES and _columns(engine) >= COLUMNS
