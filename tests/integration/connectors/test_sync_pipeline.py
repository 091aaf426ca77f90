"""Batches are written in order, one transaction each, on every backend (on PostgreSQL the write of
one batch overlaps reading the next): a failed write ends the run with the batches before it
committed with their cursor, and nothing after it written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.store.models import Customer
from bot.sync import service
from connectors import Batch, create

from .conftest import customer_spec, customers_csv


class _Stamped:
    """The file's batches of 10, each carrying a cursor, and a log of what was read when."""

    name, entity = "crm_csv", "customer"

    def __init__(self, inner: Any, log: list[str]) -> None:
        self.inner, self.log = inner, log

    def poll(self, cursor: str | None, batch_size: int = 5000) -> Iterator[Batch]:
        for i, batch in enumerate(self.inner.full_load(10)):
            batch.cursor = f"2025-01-{i + 1:02d}T00:00:00+00:00"
            self.log.append(f"read {i}")
            yield batch

    def full_load(self, batch_size: int = 5000) -> Iterator[Batch]:
        return self.poll(None, batch_size)


def test_a_failed_write_stops_the_run_after_the_committed_batches(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 50))
    log: list[str] = []
    real = service.write_batch

    def failing_third(*args: Any, **kwargs: Any) -> Any:
        done = sum(entry.startswith("wrote") for entry in log)
        if done == 2:
            raise RuntimeError("disk on fire")
        out = real(*args, **kwargs)
        log.append(f"wrote {done}")
        return out

    monkeypatch.setattr(service, "write_batch", failing_third)
    source = _Stamped(create(spec.connector_spec({})), log)
    with pytest.raises(RuntimeError, match="disk on fire"):
        service.sync_source(engine, spec, connector=source)  # type: ignore[arg-type]
    assert [e for e in log if e.startswith("wrote")] == ["wrote 0", "wrote 1"]
    assert "read 4" not in log  # reading stopped at the failure (at most one batch ahead)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Customer)) == 20
    assert service.load_cursor(engine, "crm_csv") == "2025-01-02T00:00:00+00:00"
    (run,) = [s.last_run for s in service.status(engine, service.SourcesPolicy(sources=[spec]))]
    assert run is not None and run.status == "failed" and "disk on fire" in (run.error or "")
    assert run.rows_loaded == 20
