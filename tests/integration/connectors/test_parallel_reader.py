"""Reading a big file in a child process (connectors.parallel) gives exactly what the in-process reader
gives: the same records, lines, errors, cursor and content hashes, and the same rows stored."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.store.models import Ticket
from bot.sync import service
from bot.sync.config import SourceSpec
from bot.sync.models import QuarantineRow, SyncKey
from connectors import Batch, ConnectorError, create, parallel
from connectors.hashing import record_hashes
from connectors.parallel import read_in_child

from .conftest import customer_spec, customers_csv, ticket_spec, tickets_csv_with_breakage


def _facts(batch: Batch) -> tuple[Any, ...]:
    records = [(repr(r.__dict__), sorted(r.model_fields_set)) for r in batch.records]
    return records, batch.lines, batch.errors, batch.cursor, batch.rows_read


def _tickets(tmp_path: Path) -> SourceSpec:
    tickets_csv_with_breakage(tmp_path / "tickets.csv", 3000, 40, rate=0.05)
    lines = (tmp_path / "tickets.csv").read_bytes().splitlines(keepends=True)
    # a later stamp on some rows, so an incremental poll from the first stamp reads only those
    for i in range(1, len(lines), 7):
        lines[i] = lines[i].replace(b"2025-02-03T10:00:00Z", b"2025-02-04T10:00:00Z")
    (tmp_path / "tickets.csv").write_bytes(b"".join(lines))
    return ticket_spec(tmp_path / "tickets.csv", batch_size=500)


@pytest.fixture(params=["fork", "spawn"])
def start_method(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the child can start, whatever threads this test process happens to run."""
    monkeypatch.setattr(parallel, "_start_method", lambda: request.param)
    return str(request.param)


def test_the_child_is_forked_only_where_no_other_thread_runs() -> None:
    probe = "from connectors.parallel import _start_method; print(_start_method())"
    alone = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert alone.stdout.strip() == ("fork" if sys.platform == "linux" else "spawn")
    threaded = (
        f"import threading; stop = threading.Event(); threading.Thread(target=stop.wait).start()\n{probe}\nstop.set()"
    )
    busy = subprocess.run([sys.executable, "-c", threaded], capture_output=True, text=True, check=True)
    assert busy.stdout.strip() == "spawn"
    # a thread the threading module does not know of (as a native library's would be) counts too
    unlisted = (
        "import _thread, threading, time; _thread.start_new_thread(time.sleep, (5,)); time.sleep(0.2)\n"
        f"assert threading.active_count() == 1\n{probe}"
    )
    native = subprocess.run([sys.executable, "-c", unlisted], capture_output=True, text=True, check=True)
    assert native.stdout.strip() == "spawn"


@pytest.mark.parametrize("cursor", [None, "2025-02-03T10:00:00+00:00"], ids=["full", "poll"])
def test_child_reader_yields_what_the_in_process_reader_yields(
    tmp_path: Path, cursor: str | None, start_method: str
) -> None:
    spec = _tickets(tmp_path).connector_spec({})
    source = create(spec)
    here = list(source.full_load(100) if cursor is None else source.poll(cursor, 100))
    there = list(read_in_child(spec, "ticket", cursor, cursor is None, 100))
    assert len(here) == len(there) > 2
    assert sum(len(b.errors) for b in here) > 20 and here[-1].cursor
    assert [_facts(b) for b in here] == [_facts(b) for b, _ in there]
    assert [record_hashes(b.records) for b in here] == [digests for _, digests in there]


def test_a_first_batch_read_here_while_the_child_starts_leaves_the_sequence_unchanged(tmp_path: Path) -> None:
    spec = _tickets(tmp_path).connector_spec({})
    here = list(create(spec).full_load(100))
    mixed = list(read_in_child(spec, "ticket", None, True, 100, here=create(spec).full_load(100)))
    assert [_facts(b) for b in here] == [_facts(b) for b, _ in mixed]
    assert mixed[0][1] is None and all(digests is not None for _, digests in mixed[1:])
    assert [record_hashes(b.records) for b in here[1:]] == [digests for _, digests in mixed[1:]]


def test_a_source_error_in_the_child_is_the_in_process_error(tmp_path: Path, start_method: str) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Account ID;Account Name\nA1;Acme\n")
    spec = customer_spec(path).connector_spec({})
    with pytest.raises(ConnectorError) as here:
        list(create(spec).full_load())
    with pytest.raises(ConnectorError) as there:
        list(read_in_child(spec, "customer", None, True, 100))
    assert str(there.value) == str(here.value) and "missing column 'Account ID'" in str(there.value)


def test_an_unexpected_failure_in_the_child_is_a_clear_connector_error(tmp_path: Path, start_method: str) -> None:
    spec = {**customer_spec(customers_csv(tmp_path / "crm.csv", 3)).connector_spec({}), "mapping": 5}
    with pytest.raises(ConnectorError, match=r"source 'crm_csv': the reader process failed: TypeError"):
        list(read_in_child(spec, "customer", None, True, 100))


def test_closing_the_reader_early_stops_the_child(tmp_path: Path, start_method: str) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 5000)).connector_spec({})
    batches = read_in_child(spec, "customer", None, True, 10, depth=1)
    first, _ = next(batches)
    assert len(first.records) == 10
    assert mp.active_children()  # the child is blocked on the full queue, mid-file
    batches.close()
    assert mp.active_children() == []


def _stored(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        tickets = {
            r.external_id: {k: v for k, v in r._mapping.items() if k != "id"} for r in conn.execute(select(Ticket))
        }
        keys = {r.external_id: r.row_hash for r in conn.execute(select(SyncKey).where(SyncKey.entity == "ticket"))}
        quarantined = sorted((q.row, q.field, q.reason, repr(q.raw)) for q in conn.execute(select(QuarantineRow)))
    return {"tickets": tickets, "keys": keys, "quarantined": quarantined}


def test_a_sync_read_in_a_child_stores_what_an_in_process_sync_stores(
    engine: Engine, make_db_url: Any, tmp_path: Path
) -> None:
    other = make_engine(make_db_url(engine.dialect.name))
    upgrade(other)
    spec = _tickets(tmp_path)
    crm = customer_spec(customers_csv(tmp_path / "crm.csv", 40))
    results = []
    try:
        for eng, child in ((engine, False), (other, True)):
            service.sync_source(eng, crm, full=True)
            results.append(
                (service.sync_source(eng, spec, full=True, reader_process=child), service.load_cursor(eng, spec.name))
            )
        (here, here_cursor), (there, there_cursor) = results
        counts = ("status", "rows_read", "rows_loaded", "rows_unchanged", "rows_quarantined")
        assert [getattr(there, c) for c in counts] == [getattr(here, c) for c in counts]
        assert here.status == "partial" and here.rows_quarantined > 100 and here_cursor == there_cursor
        assert _stored(other) == _stored(engine)
        again = service.sync_source(other, spec, full=True, reader_process=True)  # child hashes match stored ones
        assert (again.rows_loaded, again.rows_unchanged) == (0, here.rows_loaded)
    finally:
        other.dispose()


def test_busy_cores_counts_a_core_kept_busy_now(tmp_path: Path) -> None:
    spin = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 3\nwhile time.time() < end: pass"])
    try:
        time.sleep(0.3)  # running, past its start-up
        busy = service.busy_cores(window=0.5)
    finally:
        spin.kill()
        spin.wait()
    assert 0.7 <= busy <= (os.cpu_count() or 1) + 0.01


@pytest.mark.parametrize(
    ("size", "load", "child"),
    [(5 << 20, 0.3, True), (5 << 20, 1.5, True), (5 << 20, 1.8, False), (1 << 20, 0.0, False)],
)
def test_a_child_reads_big_files_when_a_core_is_spare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, load: float, child: bool
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Account ID,Account Name\n" + "A1,Acme\n" * (size // 8))
    monkeypatch.setattr(service.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(service, "busy_cores", lambda: load)
    mapping = {"external_id": "Account ID", "name": "Account Name"}
    source = create(customer_spec(path, mapping=mapping).connector_spec({}))  # its cursor_field: updated_at
    assert service._worth_a_reader_process(source) is child
    assert not service._worth_a_reader_process(source, cursor="2025-01-01T00:00:00+00:00")  # polls: no child
