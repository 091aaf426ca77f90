"""A source's first load writes without looking its keys up (``service.KeyLookup``); a key that is
stored after all is updated as it would have been, never refused or duplicated."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.connectors_state import service
from bot.connectors_state.config import SourceSpec
from bot.connectors_state.models import SyncKey
from bot.store.models import Order
from connectors import Batch
from connectors.records import OrderRecord

from .conftest import customer_spec, customers_csv


def _orders(ids: range, amount: str) -> Batch:
    batch = Batch()
    for i in ids:
        record = OrderRecord.model_validate(
            {
                "external_id": f"INV{i}",
                "customer_external_id": "A00000",
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
