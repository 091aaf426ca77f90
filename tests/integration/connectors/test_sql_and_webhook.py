"""SQL source (a separate SQLite database) and webhook ingest, into both store backends."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.store.models import Order, Ticket
from bot.sync import service
from bot.sync.config import SourceSpec
from bot.sync.ingest import MAX_BODY, handle_ingest, sign
from bot.sync.models import SyncRun

from .conftest import customer_spec, customers_csv

REPO = Path(__file__).resolve().parents[3]


def _billing_db(path: Path) -> str:
    url = f"sqlite:///{path}"
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (no TEXT, acct TEXT, total TEXT, state TEXT, issued TEXT, mod TEXT)"))
        conn.execute(
            text("INSERT INTO invoices VALUES (:n, :a, :t, 'paid', '2025-01-05', :m)"),
            [
                {
                    "n": f"INV{i}",
                    "a": f"A{i % 5:05d}",
                    "t": "-1" if i == 7 else f"{i}.00",
                    "m": f"2025-01-{10 + i:02d}T00:00:00",
                }
                for i in range(10)
            ],
        )
    eng.dispose()
    return url


QUERY = (
    "SELECT no AS external_id, acct AS customer_external_id, total AS amount, state AS status, "
    "issued AS ordered_at, mod AS updated_at FROM invoices"
)


def test_sql_source_full_then_incremental(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, customer_spec(customers_csv(tmp_path / "crm.csv", 5)), full=True)
    url = _billing_db(tmp_path / "billing.db")
    spec = SourceSpec(
        name="billing",
        kind="sql",
        entity="order",
        url_env="BILLING_URL",
        query=QUERY,
        cursor_column="updated_at",
        customer_source="crm_csv",
        batch_size=4,
    )
    env = {"BILLING_URL": url}
    first = service.sync_source(engine, spec, env=env)
    assert (first.rows_loaded, first.rows_quarantined) == (9, 1)
    assert first.cursor == "2025-01-19T00:00:00"
    src = create_engine(url)
    with src.begin() as conn:
        conn.execute(text("UPDATE invoices SET total='99.00', mod='2025-02-01T00:00:00' WHERE no='INV3'"))
    src.dispose()
    inc = service.sync_source(engine, spec, env=env)
    assert inc.rows_read == 2 and inc.rows_loaded == 1 and inc.rows_unchanged == 1  # boundary row re-read
    with engine.connect() as conn:
        assert conn.scalar(select(Order.amount).where(Order.external_id == "INV3")) == 99
        assert conn.scalar(select(func.count()).select_from(Order)) == 9
    missing = service.sync_source(engine, spec, env={})
    assert missing.status == "failed" and "no database URL" in (missing.error or "")


def _services(engine: Engine) -> Services:
    return Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )


def test_webhook_auth_limits_and_partial_load(engine: Engine, tmp_path: Path) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 3))
    service.sync_source(engine, spec.model_copy(update={"name": "crm_accounts"}), full=True)
    services = _services(engine)
    env = {"RAPPORT_INGEST_SECRET_PRODUCT_EVENTS": "s3cret"}
    body = json.dumps(
        {
            "entity": "ticket",
            "records": [
                {
                    "external_id": "W1",
                    "customer_external_id": "A00001",
                    "subject": "Login fails",
                    "priority": "high",
                    "opened_at": "2025-03-01T10:00:00Z",
                },
                {"external_id": "W2", "customer_external_id": "A00002", "subject": "", "opened_at": "2025-03-01"},
            ],
        }
    ).encode()
    ts = str(int(time.time()))
    signed = {"X-Rapport-Timestamp": ts, "x-rapport-signature": sign("s3cret", ts, body)}

    status, out = handle_ingest(
        services, "product_events", {"X-Rapport-Timestamp": ts, "X-Rapport-Signature": "v1=00"}, body, env
    )
    assert (status, out) == (401, {"error": "invalid signature"})
    assert handle_ingest(services, "product_events", {}, b"x" * (MAX_BODY + 1), env)[0] == 413
    assert handle_ingest(services, "nope", {}, body, env)[0] == 404
    assert handle_ingest(services, "product_events", signed, body, {})[0] == 503
    bad_json = b"{not json"
    bad_sig = {"X-Rapport-Timestamp": ts, "X-Rapport-Signature": sign("s3cret", ts, bad_json)}
    assert handle_ingest(services, "product_events", bad_sig, bad_json, env)[0] == 400

    status, out = handle_ingest(services, "product_events", signed, body, env)
    assert status == 207 and out["accepted"] == 1 and out["quarantined"] == 1
    assert out["errors"] == [{"row": 2, "field": "subject", "reason": "must not be empty"}]
    with engine.connect() as conn:
        assert conn.scalars(select(Ticket.external_id)).all() == ["W1"]
    again = handle_ingest(services, "product_events", signed, body, env)
    assert again[0] == 200 and again[1]["duplicate"] is True and again[1]["accepted"] == 1  # applied once
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Ticket)) == 1
        assert conn.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.mode == "webhook")) == 1
