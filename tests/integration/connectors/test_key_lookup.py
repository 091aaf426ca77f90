"""A source's first load writes without looking its keys up (``service.KeyLookup``); a key that is
stored after all is updated as it would have been, never refused or duplicated. Customer references
resolved once in a run are not looked up again, yet a customer added or erased meanwhile is seen."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, delete, func, select

from bot.store.models import Customer, Order
from bot.sync import service
from bot.sync.config import SourceSpec
from bot.sync.models import SyncKey
from connectors import Batch
from connectors.records import OrderRecord

from .conftest import customer_spec, customers_csv


def _orders(ids: range, amount: str, customers: tuple[str, ...] = ("A00000",)) -> Batch:
    batch = Batch()
    for i in ids:
        record = OrderRecord.model_validate(
            {
                "external_id": f"INV{i}",
                "customer_external_id": customers[i % len(customers)],
                "amount": amount,
                "status": "paid",
                "ordered_at": "2025-01-01",
            }
        )
        batch.add(record, i + 2)
    batch.rows_read = len(ids)
    return batch


def test_a_first_load_is_planned_without_the_look_up_and_a_later_one_with_it(engine: Engine, tmp_path: Path) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 3))
    with engine.connect() as conn:
        assert service.KeyLookup.at_start(conn, spec.name, "customer").probe is False
    service.sync_source(engine, spec, full=True)
    with engine.connect() as conn:
        assert service.KeyLookup.at_start(conn, spec.name, "customer").probe is True
        assert service.KeyLookup.at_start(conn, spec.name, "order").probe is False  # per entity


def test_a_key_stored_after_all_is_updated_not_refused(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 1)), full=True)
    spec = SourceSpec(name="erp", kind="csv", entity="order", path=str(tmp_path / "x.csv"), customer_source="crm_csv")
    run = service.SyncResult(source="erp", run_id=service.start_run(engine, "erp", "full"), mode="full")
    with engine.begin() as conn:  # another run of the source stored INV3..INV5 meanwhile
        service.apply_batch(conn, spec.name, "order", _orders(range(3, 6), "10.00"), run, "crm_csv")
    keys = service.KeyLookup(probe=False)  # what this run planned when it found no keys
    with engine.begin() as conn:
        service.apply_batch(conn, spec.name, "order", _orders(range(0, 8), "20.00"), run, "crm_csv", keys=keys)
    assert keys.probe is True  # and it stays on for the rest of the run
    assert run.rows_quarantined == 0
    with engine.connect() as conn:
        amounts = conn.execute(select(Order.external_id, Order.amount)).all()
        assert len(amounts) == 8 and {str(a) for _, a in amounts} == {"20.00"}
        stored = conn.scalar(select(func.count()).select_from(SyncKey).where(SyncKey.source == "erp"))
        assert stored == 8


def _run(engine: Engine) -> tuple[SourceSpec, service.SyncResult]:
    spec = SourceSpec(name="erp", kind="csv", entity="order", path="x.csv", customer_source="crm_csv")
    return spec, service.SyncResult(source="erp", run_id=service.start_run(engine, "erp", "full"), mode="full")


def test_a_customer_added_during_a_run_is_found_by_its_next_batch(engine: Engine, tmp_path: Path) -> None:
    crm = customers_csv(tmp_path / "crm.csv", 2)
    service.sync_source(engine, customer_spec(crm), full=True)
    spec, run = _run(engine)
    keys = service.KeyLookup(probe=False)
    both = ("A00000", "A00002")
    with engine.begin() as conn:
        service.apply_batch(conn, spec.name, "order", _orders(range(0, 4), "10.00", both), run, "crm_csv", keys=keys)
    assert run.rows_quarantined == 2 and set(keys.customers) == {"A00000"}  # a miss is not remembered
    service.sync_source(engine, customer_spec(customers_csv(crm, 3)), full=True)
    with engine.begin() as conn:
        service.apply_batch(conn, spec.name, "order", _orders(range(4, 8), "10.00", both), run, "crm_csv", keys=keys)
    assert run.rows_quarantined == 2 and set(keys.customers) == set(both)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Order)) == 6


def test_a_customer_erased_during_a_run_is_unknown_to_its_next_batch(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 2)), full=True)
    spec, run = _run(engine)
    keys = service.KeyLookup(probe=False)
    both = ("A00000", "A00001")
    with engine.begin() as conn:
        service.apply_batch(conn, spec.name, "order", _orders(range(0, 4), "10.00", both), run, "crm_csv", keys=keys)
    gone = keys.customers["A00001"]
    with engine.begin() as conn:  # erased meanwhile: its rows and its keys go
        conn.execute(delete(SyncKey).where(SyncKey.customer_id == gone))
        conn.execute(delete(Customer).where(Customer.id == gone))
    with engine.begin() as conn:
        service.apply_batch(conn, spec.name, "order", _orders(range(4, 10), "10.00", both), run, "crm_csv", keys=keys)
    (error,) = {e.reason for e in service.errors(engine, "erp")}
    assert "unknown customer 'A00001'" in error  # not a foreign-key refusal of every row naming it
    assert run.rows_quarantined == 3
    with engine.connect() as conn:
        assert conn.scalars(select(Order.external_id).where(Order.customer_id != gone)).all()
        assert sorted(conn.scalars(select(Order.external_id))) == ["INV0", "INV2", "INV4", "INV6", "INV8"]
