"""Issue 16 findings 2 and 3, on SQLite and PostgreSQL: a rejected row never moves a cursor, a cursor in the
future is refused and reported, and no source replaces a record with an older version of it."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.orm import Session

from bot.store.models import Customer, Ticket
from bot.sync import service
from bot.sync.config import SourceSpec, SourcesPolicy
from bot.sync.ingest import handle_ingest, sign
from bot.sync.models import QuarantineRow, SyncCursor
from bot.sync.status import for_admin

from .conftest import customer_spec, customers_csv, services_for, ticket_spec

HEADER = "Ticket,Account,Subject,Priority,Status,Opened,Updated"


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tickets(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """(ticket id, subject, updated_at) rows for customer A00001."""
    lines = [HEADER] + [f"{t},A00001,{s},P2,open,2025-02-01 10:00:00,{u}" for t, s, u in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_future_dated_row_is_quarantined_and_never_moves_the_cursor(engine: Engine, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 3)), full=True)
    hour_ago, two_days_on = _iso(now - dt.timedelta(hours=1)), _iso(now + dt.timedelta(days=2))
    skewed = _iso(now + dt.timedelta(minutes=2))  # within the clock-skew allowance: a real row
    path = _tickets(tmp_path / "t.csv", [("T1", "First", hour_ago), ("T2", "From the future", two_days_on)])
    spec = ticket_spec(path)
    first = service.sync_source(engine, spec)
    assert (first.rows_loaded, first.rows_quarantined) == (1, 1)
    with Session(engine) as s:
        (q,) = s.scalars(select(QuarantineRow)).all()
    assert q.field == "Updated" and "in the future" in q.reason
    assert service.load_cursor(engine, "helpdesk_csv") == (now - dt.timedelta(hours=1)).isoformat()

    # A real change after the first run is picked up by the next incremental (scheduled) run: before the
    # fix the future row had moved the cursor two days ahead and this run said "loaded 0".
    _tickets(
        path,
        [("T1", "First", hour_ago), ("T2", "From the future", two_days_on), ("T3", "Real change", _iso(now))],
    )
    second = service.sync_source(engine, spec)
    assert second.rows_loaded == 1 and second.rows_quarantined == 1  # T3 loaded; T2 still refused
    _tickets(path, [("T3", "Real change", _iso(now)), ("T4", "Clock a little fast", skewed)])
    third = service.sync_source(engine, spec)
    assert (third.rows_loaded, third.rows_quarantined) == (1, 0)
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(Ticket.external_id))) == ["T1", "T3", "T4"]


def test_sql_source_cursor_stops_before_a_rejected_trailing_row(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 3)), full=True)
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    src = create_engine(url)
    future = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    with src.begin() as conn:
        conn.execute(text("CREATE TABLE inv (no TEXT, acct TEXT, total TEXT, issued TEXT, mod TEXT)"))
        conn.execute(
            text("INSERT INTO inv VALUES (:n, 'A00001', '10.00', '2025-01-05', :m)"),
            [{"n": "I1", "m": "2025-01-10T00:00:00Z"}, {"n": "I2", "m": future}],
        )
    spec = SourceSpec(
        name="billing",
        kind="sql",
        entity="order",
        url_env="BILLING_URL",
        query="SELECT no AS external_id, acct AS customer_external_id, total AS amount, "
        "issued AS ordered_at, mod AS updated_at FROM inv",
        cursor_column="updated_at",
        customer_source="crm_csv",
    )
    run = service.sync_source(engine, spec, env={"BILLING_URL": url})
    src.dispose()
    assert (run.rows_loaded, run.rows_quarantined) == (1, 1)
    assert service.load_cursor(engine, "billing") == "2025-01-10T00:00:00Z"


def test_a_cursor_in_the_future_is_a_problem_in_status_and_on_app_home(engine: Engine, tmp_path: Path) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 2))
    service.sync_source(engine, spec, full=True)
    with engine.begin() as conn:  # as a run before the fix left it
        conn.execute(update(SyncCursor).values(cursor="2999-01-01T00:00:00+00:00"))
    (status,) = [s for s in service.status(engine, SourcesPolicy()) if s.name == "crm_csv"]
    line = service.describe(status)
    assert "PROBLEM: cursor 2999-01-01T00:00:00+00:00 is" in line and "rapport sync --source crm_csv --full" in line
    services = services_for(engine)
    summary = for_admin(services, "U0CSLEAD")
    assert summary is not None and any("crm_csv" in p and "in the future" in p for p in summary.problems)
    service.sync_source(engine, spec, full=True)  # a full run resets it to the newest loaded row
    assert service.load_cursor(engine, "crm_csv") == "2025-01-01T00:00:00+00:00"
    assert service.status(engine, SourcesPolicy())[0].problems() == []


def test_a_batch_cursor_in_the_future_is_not_saved(engine: Engine) -> None:
    """Whatever a connector says (a SQL cursor column that is not the validated updated_at, say)."""
    from connectors import Batch

    run = service.SyncResult("src", service.start_run(engine, "src", "incremental"), "incremental")
    with engine.begin() as conn:
        service.apply_batch(conn, "src", "customer", Batch(cursor="2025-01-01T00:00:00Z"), run, None)
    with engine.begin() as conn:
        service.apply_batch(conn, "src", "customer", Batch(cursor="2999-01-01T00:00:00Z"), run, None)
    assert service.load_cursor(engine, "src") == "2025-01-01T00:00:00Z"
    assert run.error and "in the future" in run.error


def test_no_source_replaces_a_record_with_an_older_version(engine: Engine, tmp_path: Path) -> None:
    newer = tmp_path / "new.csv"
    newer.write_text(
        "Account ID,Account Name,Website,Region,ARR,Last Modified\nA1,Acme,acme.com,emea,5000,2025-03-01T00:00:00Z\n"
    )
    spec = customer_spec(newer)
    assert service.sync_source(engine, spec, full=True).rows_loaded == 1
    older = tmp_path / "old.csv"
    older.write_text(
        "Account ID,Account Name,Website,Region,ARR,Last Modified\n"
        "A1,Acme,acme.com,emea,1000,2025-01-01T00:00:00Z\n"
        "A2,Beta,beta.com,emea,10,2025-01-01T00:00:00Z\n"
    )
    stale = service.sync_source(engine, customer_spec(older), full=True)
    assert (stale.rows_stale, stale.rows_loaded, stale.rows_quarantined, stale.status) == (1, 1, 0, "ok")
    # Within one file, an id twice: the newer version wins whatever the row order.
    both = tmp_path / "both.csv"
    both.write_text(
        "Account ID,Account Name,Website,Region,ARR,Last Modified\n"
        "A2,Beta,beta.com,emea,30,2025-04-01T00:00:00Z\n"
        "A3,Gamma,gamma.com,emea,1,2025-01-01T00:00:00Z\n"
    )
    service.sync_source(engine, spec.model_copy(update={"path": str(both)}), full=True)
    with engine.connect() as conn:
        arr = dict(conn.execute(select(Customer.name, Customer.arr)).tuples().all())
    assert arr["Acme"] == 5000 and arr["Beta"] == 30

    # The webhook path: a replayed (re-signed, new delivery id) older delivery is stale too.
    services = services_for(engine)
    env = {"RAPPORT_INGEST_SECRET_PRODUCT_EVENTS": "s3cret"}

    def deliver(ticket_subject: str, updated: str, delivery: str) -> dict[str, object]:
        body = json.dumps(
            {
                "entity": "ticket",
                "records": [
                    {
                        "external_id": "W1",
                        "customer_external_id": "A1",
                        "subject": ticket_subject,
                        "opened_at": "2025-03-01T10:00:00Z",
                        "updated_at": updated,
                    }
                ],
            }
        ).encode()
        ts = str(int(time.time()))
        headers = {"X-Rapport-Timestamp": ts, "X-Rapport-Signature": sign("s3cret", ts, body)}
        status, out = handle_ingest(services, "product_events", headers | {"X-Rapport-Delivery": delivery}, body, env)
        assert status == 200, out
        return out

    spec_hook = customer_spec(newer).model_copy(update={"name": "crm_accounts"})
    service.sync_source(engine, spec_hook, full=True)
    assert deliver("Escalated: P1", "2025-03-02T00:00:00Z", "d-2")["accepted"] == 1
    late = deliver("Opened", "2025-03-01T12:00:00Z", "d-1")  # the older delivery, retried late
    assert (late["stale"], late["accepted"]) == (1, 0)
    with engine.connect() as conn:
        assert conn.scalar(select(Ticket.subject).where(Ticket.external_id == "W1")) == "Escalated: P1"


def test_webhook_signature_window_and_legacy_form(engine: Engine, tmp_path: Path) -> None:
    import hashlib
    import hmac

    services = services_for(engine)
    env = {"RAPPORT_INGEST_SECRET_PRODUCT_EVENTS": "s3cret"}
    body = b'{"entity": "ticket", "records": []}'
    now = int(time.time())
    for offset, ok in ((0, True), (-299, True), (299, True), (-301, False), (400, False)):
        ts = str(now + offset)
        headers = {"X-Rapport-Timestamp": ts, "X-Rapport-Signature": sign("s3cret", ts, body)}
        status, out = handle_ingest(services, "product_events", headers, body, env, now=lambda: float(now))
        assert (status == 200) is ok, (offset, status, out)
        if not ok:
            assert status == 401 and "5 minutes" in out["error"]
    legacy = {"X-Rapport-Signature": "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()}
    status, out = handle_ingest(services, "product_events", legacy, body, env)
    assert status == 401 and "X-Rapport-Timestamp" in out["error"]
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "sources.yaml").write_text(
        "sources:\n  - {name: old_sender, kind: webhook, secret_env: OLD_SECRET, legacy_signature: true}\n"
    )
    old = services_for(engine, tmp_path)
    assert handle_ingest(old, "old_sender", legacy, body, {"OLD_SECRET": "not-it"})[0] == 401  # wrong secret
    legacy_old = {"X-Rapport-Signature": "sha256=" + hmac.new(b"older", body, hashlib.sha256).hexdigest()}
    assert handle_ingest(old, "old_sender", legacy_old, body, {"OLD_SECRET": "older"})[0] == 200
