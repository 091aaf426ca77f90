"""The bulk load path (COPY on PostgreSQL, driver executemany on SQLite) stores exactly what a Core
insert stores, and a batch the database refuses over one row still loads every other row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, delete, func, insert, select

from bot.store.models import Customer, Order, UsageEvent
from bot.sync import service, writer
from bot.sync.config import SourceSpec
from bot.sync.models import SyncKey
from bot.sync.writer import TABLES, bulk_insert

from .conftest import customer_spec, customers_csv

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


def _parent(conn: Any) -> int:
    table: Table = Customer.__table__  # type: ignore[assignment]
    return int(
        conn.execute(insert(table).returning(table.c.id), {"name": "P", "tier": "gold", "region": "emea"}).scalar_one()
    )


def _rows(cid: int) -> dict[str, dict[str, Any]]:
    return {
        "customer": {
            "name": "Tab\there \\ and\nnewline Société",
            "tier": "gold",
            "region": "emea",
            "domains": ["acme.com"],
            "external_ids": {"crm": "A1"},
            "arr": Decimal("1234.50"),
            "renewal_date": dt.date(2026, 3, 1),
            "consent_marketing": True,
            "created_at": WHEN,
            "updated_at": WHEN,
        },
        "contact": {"customer_id": cid, "name": "Bo", "email": "bo@acme.com", "phone": None, "opted_out": True},
        "ticket": {
            "customer_id": cid,
            "source": "hd",
            "external_id": "T1",
            "subject": "Printer",
            "priority": "P2",
            "status": "open",
            "category": "question",
            "opened_at": WHEN,
            "first_response_at": None,
            "agent_replies": 2,
            "reopened_at": WHEN,
        },
        "order": {
            "customer_id": cid,
            "source": "erp",
            "external_id": "O1",
            "amount": Decimal("12.30"),
            "currency": "USD",
            "status": "paid",
            "ordered_at": WHEN,
            "paid_at": None,
        },
        "usage": {"customer_id": cid, "day": dt.date(2025, 1, 2), "metric": "active_users", "quantity": 7},
        "survey": {
            "customer_id": cid,
            "source": "surveys",
            "external_id": "S1",
            "survey": "nps",
            "score": 3,
            "comment": "Slow\tsupport \\ again\nand again",
            "responded_at": WHEN,
        },
        "contact_change": {
            "customer_id": cid,
            "source": "crm",
            "external_id": "CC1",
            "role": "champion",
            "change": "left",
            "title": None,
            "changed_at": WHEN,
        },
        "shipment": {
            "customer_id": cid,
            "source": "logistics",
            "external_id": "SH1",
            "order_external_id": "O1",
            "status": "shipped",
            "carrier": None,
            "promised_at": WHEN,
            "shipped_at": WHEN,
            "delivered_at": None,
        },
        "health": {
            "customer_id": cid,
            "source": "cs",
            "day": dt.date(2025, 1, 2),
            "score": 61,
            "usage": 40,
            "payment": None,
        },
        "renewal": {
            "customer_id": cid,
            "source": "crm",
            "external_id": "R1",
            "outcome": "renewed",
            "renewal_date": dt.date(2025, 3, 1),
            "decided_at": WHEN,
            "arr_before": Decimal("1000.00"),
            "arr_after": Decimal("1100.50"),
            "reason": "Expanded\tto two teams",
        },
        "activity": {
            "customer_id": cid,
            "author_slack_id": "U0AMGOLD",
            "kind": "business_review",
            "body": "QBR \\ roadmap\nnotes",
            "created_at": WHEN,
        },
    }


@pytest.mark.parametrize("entity", list(TABLES))
def test_bulk_insert_stores_what_a_core_insert_stores(engine: Engine, entity: str) -> None:
    table = TABLES[entity]
    with engine.begin() as conn:
        row = _rows(_parent(conn))[entity]
        core_id = conn.execute(insert(table).returning(table.c.id), row).scalar_one()
        (bulk_id,) = bulk_insert(conn, table, [row], with_ids=True)
    assert bulk_id != core_id
    with engine.connect() as conn:
        stored = {r.id: {k: v for k, v in r._mapping.items() if k != "id"} for r in conn.execute(select(table))}
    assert stored[bulk_id] == stored[core_id]


def test_a_row_the_database_refuses_is_quarantined_with_its_line_and_the_rest_load(
    engine: Engine, tmp_path: Path
) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 3)), full=True)
    with engine.begin() as conn:  # A00001 vanishes from the store but its source key stays behind
        gone = conn.scalar(select(SyncKey.target_id).where(SyncKey.external_id == "A00001"))
        conn.execute(delete(Customer.__table__).where(Customer.__table__.c.id == gone))  # type: ignore[arg-type]
    path = tmp_path / "usage.csv"
    lines = ["id,acct,day,n"] + [f"U{i},A0000{i % 3},2025-01-0{1 + i % 9},{i}" for i in range(40)]
    path.write_text("\n".join(lines) + "\n")
    spec = SourceSpec(
        name="product",
        kind="csv",
        entity="usage",
        path=str(path),
        customer_source="crm_csv",
        batch_size=16,
        mapping={"external_id": "id", "customer_external_id": "acct", "day": "day", "quantity": "n"},
    )
    result = service.sync_source(engine, spec, full=True)
    refused = {i + 2 for i in range(40) if i % 3 == 1}  # file lines of the rows for A00001
    assert result.status == "partial"
    assert (result.rows_loaded, result.rows_quarantined) == (40 - len(refused), len(refused))
    errors = {e.row: e for e in service.errors(engine, "product", limit=100)}
    assert set(errors) == refused
    assert all("refused by the database" in e.reason for e in errors.values())
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(UsageEvent)) == 40 - len(refused)
        assert conn.scalar(select(func.count()).select_from(SyncKey).where(SyncKey.source == "product")) == 27
    again = service.sync_source(engine, spec, full=True)  # idempotent: the loaded rows are unchanged
    assert (again.rows_loaded, again.rows_unchanged, again.rows_quarantined) == (0, 27, 13)


def test_blank_optional_columns_load_as_empty(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 2)), full=True)
    path = tmp_path / "orders.csv"
    path.write_text("id,acct,amount,at,paid\nO1,A00001,10.00,2025-01-01,\nO2,A00001,5.00,2025-01-01,2025-01-03\n")
    spec = SourceSpec(
        name="erp",
        kind="csv",
        entity="order",
        path=str(path),
        customer_source="crm_csv",
        mapping={
            "external_id": "id",
            "customer_external_id": "acct",
            "amount": "amount",
            "ordered_at": "at",
            "paid_at": "paid",
        },
    )
    result = service.sync_source(engine, spec, full=True)
    assert (result.status, result.rows_loaded) == ("ok", 2)
    with engine.connect() as conn:
        paid = dict(conn.execute(select(Order.external_id, Order.paid_at)).all())  # type: ignore[arg-type]
    assert paid["O1"] is None and paid["O2"] == dt.datetime(2025, 1, 3, tzinfo=dt.UTC)


def test_a_value_wider_than_its_column_is_a_field_error_on_every_backend(engine: Engine, tmp_path: Path) -> None:
    path = customers_csv(tmp_path / "crm.csv", 3)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("emea", "e" * 21)  # region: the store keeps 20 characters
    path.write_text("\n".join(lines) + "\n")
    result = service.sync_source(engine, customer_spec(path), full=True)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    (error,) = service.errors(engine, "crm_csv")
    assert (error.row, error.field) == (3, "Region") and "at most 20 characters" in error.reason


@pytest.mark.parametrize("chunk", [1, 3, 1000], ids=["row-chunks", "3-row-chunks", "one-chunk"])
@pytest.mark.parametrize("entity", ["customer", "order"])
def test_bulk_insert_of_mixed_rows_stores_what_core_inserts_store(
    engine: Engine, entity: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Columns mixing NULLs, text needing COPY escapes and plain text (rendered a column at a time),
    sent to COPY in chunks of any size."""
    monkeypatch.setattr(writer, "COPY_CHUNK_ROWS", chunk)
    table = TABLES[entity]
    with engine.begin() as conn:
        base = _rows(_parent(conn))[entity]
        plain = {k: ("plain" if k in ("name", "external_id") else v) for k, v in base.items()}
        nulls = {k: v for k, v in plain.items() if k not in ("arr", "renewal_date", "paid_at")}
        rows = [plain, base, nulls, {**plain, "external_id" if entity == "order" else "name": "back\\slash"}]
        core = [conn.execute(insert(table).returning(table.c.id), r).scalar_one() for r in rows]
        bulk = bulk_insert(conn, table, rows, with_ids=True)
    with engine.connect() as conn:
        stored = {r.id: {k: v for k, v in r._mapping.items() if k != "id"} for r in conn.execute(select(table))}
    assert [stored[i] for i in bulk] == [stored[i] for i in core]
