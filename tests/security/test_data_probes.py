"""Issue 16 findings 2, 3 and 5 replayed against `rapport serve` and the `rapport` CLI, on SQLite and PostgreSQL:

2. a future-dated row is quarantined and never moves the sync cursor (later real changes still load), and a
   cursor in the future is a problem in `rapport sync status` and on admins' App Home;
3. a replayed or late webhook delivery never rolls a customer back (signed timestamp window, delivery ids, the
   updated_at guard), and the old body-only signature works only where a source allows it;
5. `rapport forget` is durable: a full re-sync and a webhook do not bring the customer back, their quarantined
   raw row is gone, and on SQLite their name is no longer in the database file or its WAL while other
   connections are open; on PostgreSQL the affected tables were vacuumed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from .conftest import wait_for
from .dataplane import OLD_SECRET, Plane, no_tracebacks, plane

PG = os.environ.get("RAPPORT_TEST_PG_URL")
CRM_HEADER = "Account ID,Account Name,Website,Tier,Region,ARR,Modified"
TICKET_HEADER = "Ticket,Account,Subject,Priority,Status,Opened,Updated"


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=[pytest.mark.skipif(not PG, reason="RAPPORT_TEST_PG_URL not set"), pytest.mark.postgres],
        ),
    ],
)
def data(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plane]:
    home = tmp_path_factory.mktemp(f"rapport-data-{request.param}")
    with plane(request.param, home, PG) as running:
        yield running


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_a_future_dated_row_never_moves_the_cursor(data: Plane) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _write(data.home / "crm.csv", CRM_HEADER, ["C100,Cursor Corp,cursor.example,gold,emea,1000,2025-01-01T00:00:00Z"])
    hour_ago, far = _iso(now - dt.timedelta(hours=1)), _iso(now + dt.timedelta(days=3))
    rows = [f"K1,C100,Printer,P2,open,2025-02-01 10:00:00,{hour_ago}", f"K2,C100,Time travel,P2,open,2025-02-01,{far}"]
    _write(data.home / "tickets.csv", TICKET_HEADER, rows)
    out = data.cli("sync")
    assert "tickets: partial (incremental) read 2, loaded 1, unchanged 0, quarantined 1" in out, out
    assert "in the future" in data.cli("sync", "errors", "--source", "tickets")
    status = data.cli("sync", "status")
    assert f"cursor {(now - dt.timedelta(hours=1)).isoformat()}" in status and "PROBLEM" not in status, status

    # The next scheduled (incremental) run still sees a real change: before the fix it said "loaded 0".
    _write(data.home / "tickets.csv", TICKET_HEADER, [*rows, f"K3,C100,Real change,P1,open,2025-02-02,{_iso(now)}"])
    out = data.cli("sync", "--source", "tickets")
    assert "read 2, loaded 1" in out and "quarantined 1" in out, out
    assert data.rows("SELECT external_id FROM tickets ORDER BY external_id") == [("K1",), ("K3",)]
    no_tracebacks(data.server)


def test_a_cursor_in_the_future_is_a_problem_in_status_and_on_app_home(data: Plane) -> None:
    _write(data.home / "crm.csv", CRM_HEADER, ["C200,Clock Corp,clock.example,gold,emea,10,2025-01-01T00:00:00Z"])
    data.cli("sync", "--source", "crm")
    with data.engine.begin() as conn:  # what a run before the fix left behind
        conn.execute(text("UPDATE sync_cursors SET cursor = '2031-05-01T00:00:00+00:00' WHERE source = 'crm'"))
    status = data.cli("sync", "status")
    (line,) = [x for x in status.splitlines() if x.startswith("crm ")]
    assert "PROBLEM: cursor 2031-05-01T00:00:00+00:00 is" in line and "in the future" in line, line
    double = data.server.double
    assert double.open_app_home("U0CSLEAD").status == 200  # an admin (cs_lead)
    home = wait_for(lambda: double.home_view("U0CSLEAD"))
    shown = str(home.get("blocks"))
    assert ":warning: *Problem:* crm: cursor 2031-05-01T00:00:00+00:00 is" in shown, shown
    data.cli("sync", "--source", "crm", "--full")  # what the problem line says to do
    assert "PROBLEM" not in data.cli("sync", "status")
    no_tracebacks(data.server)


def _customer(ext: str, tier: str, arr: int, updated: str) -> dict[str, object]:
    record = {"external_id": ext, "name": f"Replay {ext}", "tier": tier, "arr": arr, "updated_at": updated}
    return {"entity": "customer", "records": [record]}


def test_a_replayed_or_late_webhook_delivery_never_rolls_a_customer_back(data: Plane) -> None:
    gold = _customer("R1", "gold", 1000, "2026-01-01T00:00:00Z")
    platinum = _customer("R1", "platinum", 5000, "2026-02-01T00:00:00Z")

    def stored() -> tuple[object, ...]:
        (row,) = data.rows("SELECT tier, arr FROM customers WHERE name = 'Replay R1'")
        return (row[0], int(row[1]))

    status, first, captured = data.ingest("hook", gold, delivery="d-gold")
    assert status == 200 and first["accepted"] == 1, first
    status, out, _ = data.ingest("hook", platinum, delivery="d-platinum")
    assert status == 200 and stored() == ("platinum", 5000), out

    # 1. The captured delivery replayed as it was, within the window: applied once, answered as a duplicate.
    status, out, _ = data.ingest("hook", gold, headers=captured)
    assert (status, out["duplicate"]) == (200, True) and stored() == ("platinum", 5000)
    # 2. Replayed later: its signed timestamp is outside the 5-minute window.
    status, out, _ = data.ingest("hook", gold, timestamp=int(time.time()) - 400, delivery="d-gold-again")
    assert status == 401 and "5 minutes" in out["error"] and stored() == ("platinum", 5000)
    # 3. A late retry, freshly signed with a new delivery id: older than what is stored, so skipped as stale.
    status, out, _ = data.ingest("hook", gold, delivery="d-gold-retry")
    assert (status, out["stale"], out["accepted"]) == (200, 1, 0) and stored() == ("platinum", 5000)
    # 4. The old body-only signature: refused, except on a source that allows it explicitly.
    body = json.dumps(gold).encode()
    legacy = {"X-Rapport-Signature": "sha256=" + hmac.new(OLD_SECRET.encode(), body, hashlib.sha256).hexdigest()}
    status, out, _ = data.ingest("hook", gold, headers=legacy)
    assert status == 401 and "X-Rapport-Timestamp" in out["error"]
    status, out, _ = data.ingest("old_hook", gold, headers=legacy)
    assert status == 200 and out["accepted"] == 1
    runs = data.rows("SELECT count(*) FROM sync_runs WHERE source = 'hook' AND rows_stale = 1")
    assert runs == [(1,)]
    no_tracebacks(data.server)


def _sqlite_bytes(plane: Plane) -> bytes:
    path = plane.home / "rapport.db"
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_forget_is_durable(data: Plane) -> None:
    name, domain = "Zephyrine Quillfeather Analytics", "zephyrine-quill.example"
    crm = [
        f"Z900,{name},https://{domain},gold,emea,9000,2025-01-01T00:00:00Z",
        "Z901,Ordinary Works,ordinary.example,silver,emea,10,2025-01-01T00:00:00Z",
    ]
    _write(data.home / "crm.csv", CRM_HEADER, crm)
    tickets = [
        "ZT1,Z900,Invoice question,P3,open,2025-02-01,2025-02-01T00:00:00Z",
        f"ZT2,Z900,Escalation for {name},P9,open,2025-02-01,2025-02-01T00:00:00Z",  # bad priority: quarantined
    ]
    _write(data.home / "tickets.csv", TICKET_HEADER, tickets)
    data.cli("sync", "--full")
    crm[0] = crm[0].replace("gold,emea,9000,2025-01-01", "platinum,emea,9500,2025-03-01")  # updated in place
    _write(data.home / "crm.csv", CRM_HEADER, crm)
    data.cli("sync", "--source", "crm")
    assert data.rows("SELECT tier FROM customers WHERE name = :n", n=name) == [("platinum",)]
    assert data.rows("SELECT count(*) FROM sync_quarantine WHERE reason LIKE '%priority%'") == [(1,)]
    sqlite = data.env["DATABASE_URL"].startswith("sqlite")
    reader = sqlite3.connect(data.home / "rapport.db") if sqlite else None  # another open connection, as serve's
    try:
        if reader is not None:
            assert reader.execute("SELECT count(*) FROM customers").fetchone()[0] >= 2
            assert name.encode() in _sqlite_bytes(data)  # the probe can see it before

        out = data.cli("forget", name, "--yes")
        assert "identities kept out of future syncs" in out, out

        if reader is not None:
            assert "WAL checkpointed" in out and "truncated" in out, out
            raw = _sqlite_bytes(data)
            assert name.encode() not in raw and domain.encode() not in raw
            assert name.lower().encode() not in raw.lower()
        else:
            assert "postgresql: VACUUM" in out and "customers" in out, out
            sql = "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL"
            assert wait_for(lambda: {("customers",), ("sync_quarantine",)} <= set(data.rows(sql)), timeout=10)
    finally:
        if reader is not None:
            reader.close()
    quarantined = "SELECT count(*) FROM sync_quarantine WHERE source = 'tickets' AND reason LIKE '%priority%'"
    assert data.rows(quarantined) == [(0,)]  # the raw row naming them is gone

    out = data.cli("sync", "--full")  # the source still has them
    assert "erased 1 skipped" in out and "erased 2 skipped" in out, out  # the customer; both of its tickets
    assert data.rows("SELECT count(*) FROM customers WHERE name = :n", n=name) == [(0,)]
    assert data.rows("SELECT count(*) FROM customers WHERE name = 'Ordinary Works'") == [(1,)]
    assert data.rows(quarantined) == [(0,)]  # their bad row is not quarantined again
    ticket = {"external_id": "ZW1", "customer_external_id": "Z900", "subject": "Hi", "opened_at": "2025-03-01"}
    payload = {"entity": "ticket", "records": [ticket]}
    status, answer, _ = data.ingest("hook", payload, delivery="zw1")
    assert status == 200 and (answer["erased"], answer["accepted"]) == (1, 0), answer
    assert data.rows("SELECT count(*) FROM tickets WHERE external_id LIKE 'Z%'") == [(0,)]
    no_tracebacks(data.server)
