"""0004_connectors creates exactly the tables bot.connectors_state.models declares (both backends)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

import bot.connectors_state.models as m
from bot.store.registry import metadata

MINE = {
    t.name
    for t in m.Base.metadata.sorted_tables
    if t.name
    in {
        "sync_cursors",
        "sync_runs",
        "sync_quarantine",
        "sync_keys",
        "legal_holds",
        "customer_field_provenance",
        "customer_merges",
    }
}


def test_tables_exist_and_match_models(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= MINE
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)

    def table_of(entry: object) -> str | None:
        item = entry[0] if isinstance(entry, list) else entry
        for part in item[1:] if isinstance(item, tuple) else ():
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if name in MINE:
                return str(name)
            if isinstance(part, str) and part in MINE:
                return part
        return None

    mine = [d for d in diff if table_of(d) in MINE]
    assert mine == []
