"""The connectors migrations (0004, 0009, 0031) create exactly the tables bot.sync.models declares
(both backends)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select

import bot.sync.models as m
from bot.models import metadata
from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.sync.models import SyncKey

MINE = {
    t.name
    for t in m.Base.metadata.sorted_tables
    if t.name
    in {
        "sync_cursors",
        "sync_runs",
        "sync_quarantine",
        "sync_keys",
        "sync_deliveries",
        "sync_suppressions",
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


def test_0009_drops_the_customer_index_of_sync_keys_and_keeps_its_rows(engine: Engine, make_db_url: Any) -> None:
    older = make_engine(make_db_url(engine.dialect.name))
    try:
        upgrade(older, "0004_connectors")
        with older.begin() as conn:
            conn.execute(
                insert(SyncKey),
                {"source": "crm", "entity": "customer", "external_id": "A1", "target_id": 1, "row_hash": "h"},
            )

        def indexed() -> set[str]:
            return {i["name"] for i in inspect(older).get_indexes("sync_keys") if i["name"]}

        assert "ix_sync_keys_customer" in indexed()
        upgrade(older)
        assert "ix_sync_keys_customer" not in indexed()
        with older.connect() as conn:
            assert conn.execute(select(SyncKey.external_id)).scalars().all() == ["A1"]
    finally:
        older.dispose()
