"""CSV sync end to end on SQLite and PostgreSQL: loads, quarantine with lines, incremental, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.store.models import Customer, CustomerIdentifier, Ticket
from bot.sync import service
from bot.sync.models import QuarantineRow, SyncKey, SyncRun
from connectors import Batch

from .conftest import customer_spec, customers_csv, ticket_spec, tickets_csv_with_breakage


def _count(engine: Engine, model: type, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_customers_load_with_identifiers_and_rerun_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 50))
    first = service.sync_source(engine, spec, full=True)
    assert (first.status, first.rows_loaded, first.rows_quarantined) == ("ok", 50, 0)
    assert _count(engine, Customer) == 50
    with Session(engine) as conn:
        acme = conn.scalars(select(Customer).where(Customer.name == "Company 7 Inc")).one()
        assert acme.domains == ["company7.com"] and acme.external_ids == {"crm_csv": "A00007"}
        kinds = set(conn.scalars(select(CustomerIdentifier.kind).where(CustomerIdentifier.customer_id == acme.id)))
    assert kinds == {"name", "domain", "external_id"}
    again = service.sync_source(engine, spec, full=True)
    assert (again.rows_loaded, again.rows_unchanged) == (0, 50)
    assert _count(engine, Customer) == 50


def test_five_percent_broken_rows(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 40)), full=True)
    good, bad = tickets_csv_with_breakage(tmp_path / "tickets.csv", 2000, 40, rate=0.05)
    assert 60 < len(bad) < 140
    result = service.sync_source(engine, ticket_spec(tmp_path / "tickets.csv"), full=True)
    assert result.status == "partial"
    with Session(engine) as conn:
        loaded = set(conn.scalars(select(Ticket.external_id).where(Ticket.source == "helpdesk_csv")))
        reported = {r.row: r for r in conn.scalars(select(QuarantineRow))}
    assert loaded == good  # every good row arrived, nothing bad was written
    assert set(reported) == set(bad)  # every bad row reported with its line
    assert result.rows_quarantined == len(bad) and result.rows_loaded == len(good)
    for line, kind in bad.items():
        row = reported[line]
        expected_field = {
            "future": "Opened",
            "missing_subject": "Subject",
            "bad_priority": "Priority",
            "negative": "Priority",
            "bad_date": "Opened",
            "unknown_customer": "customer_external_id",
            "duplicate_id": "Ticket",
            "short_row": None,
            "bad_encoding": None,
        }[kind]
        assert row.field == expected_field, (line, kind, row.reason)
        assert row.reason
    reasons = {kind: reported[line].reason for line, kind in bad.items()}
    assert "in the future" in reasons["future"]
    assert "not valid utf-8" in reasons["bad_encoding"]
    assert "duplicate id 'T000000'" in reasons["duplicate_id"]
    assert "expected 7 columns" in reasons["short_row"]


def test_incremental_reads_only_changed_rows_and_cursor_moves(engine: Engine, tmp_path: Path) -> None:
    path = customers_csv(tmp_path / "crm.csv", 30)
    spec = customer_spec(path)
    service.sync_source(engine, spec, full=True)
    assert service.load_cursor(engine, "crm_csv") == "2025-01-01T00:00:00+00:00"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace("emea", "apac").replace("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z")
    path.write_text("\n".join(lines) + "\n")
    inc = service.sync_source(engine, spec)
    assert (inc.rows_read, inc.rows_loaded) == (1, 1)
    assert service.load_cursor(engine, "crm_csv") == "2025-03-01T00:00:00+00:00"
    with engine.connect() as conn:
        assert conn.scalar(select(Customer.region).where(Customer.name == "Company 4 Inc")) == "apac"


class _Crashing:
    """Yields two committed batches (each with a cursor), then fails mid-stream."""

    name, entity = "crm_csv", "customer"

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def poll(self, cursor: str | None, batch_size: int = 5000):  # type: ignore[no-untyped-def]
        for i, batch in enumerate(self.inner.full_load(10)):  # type: ignore[attr-defined]
            if i == 2:
                raise OSError("connection reset while reading")
            batch.cursor = f"2025-01-0{i + 1}T00:00:00+00:00"
            yield batch

    def full_load(self, batch_size: int = 5000):  # type: ignore[no-untyped-def]
        return self.poll(None, batch_size)


def test_crash_keeps_committed_batches_and_their_cursor(engine: Engine, tmp_path: Path) -> None:
    from connectors import create

    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 30))
    inner = create(spec.connector_spec({}))
    result = service.sync_source(engine, spec, connector=_Crashing(inner))  # type: ignore[arg-type]
    assert result.status == "failed" and "connection reset" in (result.error or "")
    assert _count(engine, Customer) == 20  # two committed batches survive
    assert service.load_cursor(engine, "crm_csv") == "2025-01-02T00:00:00+00:00"
    assert _count(engine, SyncKey) == 20
    with Session(engine) as conn:
        run = conn.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    assert run is not None and run.status == "failed" and run.rows_loaded == 20
    resumed = service.sync_source(engine, spec, full=True)
    assert resumed.status == "ok" and _count(engine, Customer) == 30


def test_missing_column_fails_the_run_with_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Account ID;Account Name\nA1;Acme\n")
    result = service.sync_source(engine, customer_spec(path))
    assert result.status == "failed"
    assert "missing column 'Account ID'" in (result.error or "") and "delimiter ','" in (result.error or "")
    ok = service.sync_source(
        engine, customer_spec(path, delimiter=";", mapping={"external_id": "Account ID", "name": "Account Name"})
    )
    assert ok.status == "ok" and _count(engine, Customer) == 1


def test_latin1_file_with_declared_encoding(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes("Account ID,Account Name\nA1,Société Générale SA\n".encode("latin-1"))
    mapping = {"external_id": "Account ID", "name": "Account Name"}
    wrong = service.sync_source(engine, customer_spec(path, mapping=mapping))
    assert wrong.rows_quarantined == 1 and wrong.rows_loaded == 0
    right = service.sync_source(engine, customer_spec(path, mapping=mapping, encoding="latin-1"), full=True)
    assert right.rows_loaded == 1
    with engine.connect() as conn:
        assert conn.scalar(select(Customer.name)) == "Société Générale SA"


@pytest.mark.parametrize("amount", ["-5.00"])
def test_negative_order_amount_is_quarantined(engine: Engine, tmp_path: Path, amount: str) -> None:
    from bot.sync.config import SourceSpec

    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 2)), full=True)
    path = tmp_path / "orders.jsonl"
    path.write_text(
        '{"id": "O1", "acct": "A00001", "amount": "12.50", "status": "paid", "at": "2025-01-01"}\n'
        f'{{"id": "O2", "acct": "A00001", "amount": "{amount}", "status": "paid", "at": "2025-01-01"}}\n'
        "{not json\n"
    )
    spec = SourceSpec(
        name="erp",
        kind="jsonl",
        entity="order",
        path=str(path),
        customer_source="crm_csv",
        mapping={
            "external_id": "id",
            "customer_external_id": "acct",
            "amount": "amount",
            "status": "status",
            "ordered_at": "at",
        },
    )
    result = service.sync_source(engine, spec, full=True)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    errs = {e.row: e for e in service.errors(engine, "erp")}
    assert errs[2].field == "amount" and "must not be negative" in errs[2].reason
    assert "invalid JSON" in errs[3].reason


def test_status_and_errors_listing(engine: Engine, tmp_path: Path) -> None:
    from bot.sync.config import SourcesPolicy

    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 3))
    service.sync_source(engine, spec, full=True)
    rows = service.status(engine, SourcesPolicy(sources=[spec]))
    assert rows[0].name == "crm_csv" and rows[0].last_run is not None and rows[0].last_run.rows_loaded == 3
    assert isinstance(Batch(), Batch)
