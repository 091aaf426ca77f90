"""The alerts migrations (0002, 0020) create exactly the tables the models declare (both backends)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot.models import metadata

MINE = {
    "alerts",
    "alert_notifications",
    "alert_outbox",
    "alert_runs",
    "survey_responses",
    "contact_changes",
    "shipments",
    "health_scores",
}


def _tables_in(entry: Any) -> set[str]:
    """Every table name an autogenerate diff entry touches (entries nest tuples and lists)."""
    found: set[str] = set()
    stack = [entry]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            if item in MINE:
                found.add(item)
        else:
            table = getattr(item, "table", None)
            for name in (getattr(item, "name", None), getattr(table, "name", None)):
                if name in MINE:
                    found.add(str(name))
    return found


def test_tables_exist_and_match_models(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= MINE
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    mine = [d for d in diff if _tables_in(d)]
    assert mine == []
