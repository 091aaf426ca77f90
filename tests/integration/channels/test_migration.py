"""Migration 0040_channels: its own branch off 0001_core; creates exactly the tables the models declare, and
downgrades cleanly (both backends)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from bot.models import metadata
from bot.store.migrate import alembic_config, upgrade

MINE = {
    "shared_channels",
    "channel_links",
    "channel_proposals",
    "conversations",
    "channel_messages",
    "channel_tickets",
    "channel_notices",
    "slack_people",
}


def _tables_in(entry: Any) -> set[str]:
    found: set[str] = set()
    stack = [entry]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            found |= {item} & MINE
        else:
            table = getattr(item, "table", None)
            found |= {str(n) for n in (getattr(item, "name", None), getattr(table, "name", None)) if n in MINE}
    return found


def test_tables_exist_and_match_models(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= MINE
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if _tables_in(d)] == []


def test_its_own_branch_off_core_and_a_clean_downgrade(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    script = ScriptDirectory.from_config(alembic_config(url))
    rev = script.get_revision("0040_channels")
    assert rev is not None and rev.down_revision == "0001_core"
    assert "0040_channels" in script.get_heads()
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0040_channels@0001_core")  # this branch only
    assert not MINE & set(inspect(engine).get_table_names())
    assert {"customers", "alerts"} <= set(inspect(engine).get_table_names())  # other branches untouched
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= MINE
