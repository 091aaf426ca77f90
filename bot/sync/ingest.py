"""Webhook ingest: ``POST /ingest/<source>`` (routed by the serve HTTP server to :func:`handle_ingest`).

Body: ``{"entity": "ticket", "records": [{...}, ...]}`` (or a bare list when the source has an
``entity``). Authenticated per source, the secret read from the env variable the source names:

* ``auth: hmac`` (the default): ``X-Rapport-Timestamp: <unix seconds>`` and
  ``X-Rapport-Signature: v1=<hex HMAC-SHA256(secret, "v1:{timestamp}:{body}")>``. A timestamp more
  than 5 minutes from the server's clock is refused (401), so a captured delivery cannot be replayed
  later. The old body-only form, ``X-Rapport-Signature: sha256=<hex HMAC-SHA256(secret, body)>``,
  is accepted only from a source with ``legacy_signature: true`` (and then replays are stopped only by
  the delivery ids and the ``updated_at`` guard below).
* ``auth: bearer``: ``Authorization: Bearer <secret>``.

Each delivery is applied once: by its ``X-Rapport-Delivery`` id (up to 128 printable characters),
or by the SHA-256 of its body when it has none. A repeat within a day is answered with the first
delivery's counts and ``"duplicate": true``, and changes nothing. Records then go through the same
writer as every sync: a record older than the stored version (``updated_at``) is skipped as stale,
an erased customer's is skipped as erased, bad ones are quarantined; all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy import exc as sa_exc

from bot.store.models import utcnow
from bot.sync import suppression
from bot.sync.config import SourceSpec, Vocabulary, load_sources
from bot.sync.models import IngestDelivery
from bot.sync.service import KeyLookup, SyncResult, apply_batch, finish_run, start_run
from connectors import RECORD_TYPES, Batch, RowError, validate_row
from connectors.values import Shaper

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.services import Services

MAX_BODY = 10 * 1024 * 1024
MAX_REPORTED = 50
WINDOW = 300  # seconds either side of the server's clock a signed timestamp may be
DELIVERY_TTL = dt.timedelta(days=1)  # a delivery id is remembered this long (the window is far shorter)
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
SIGNATURE_HEADER = "X-Rapport-Signature"
DELIVERY_HEADER = "X-Rapport-Delivery"
DELIVERIES: Table = IngestDelivery.__table__  # type: ignore[assignment]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Rapport-Signature`` value for a body sent at ``timestamp`` (unix seconds as text)."""
    mac = hmac.new(secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def _refusal(spec: SourceSpec, secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str | None:
    """Why the delivery is not authentic, or None when it is."""
    if spec.auth == "bearer":
        given = _header(headers, "Authorization").removeprefix("Bearer ").strip()
        ok = bool(given) and hmac.compare_digest(given.encode(), secret.encode())
        return None if ok else "invalid bearer token"
    given = _header(headers, SIGNATURE_HEADER).strip()
    stamp = _header(headers, TIMESTAMP_HEADER).strip()
    if given.startswith("sha256=") and not stamp:
        if not spec.legacy_signature:
            return f"invalid signature: sign {TIMESTAMP_HEADER} with the body (v1), see SECURITY.md"
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(given.removeprefix("sha256="), expected) else "invalid signature"
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 15):
        return f"invalid signature: {TIMESTAMP_HEADER} must be unix seconds"
    if abs(now - int(stamp)) > WINDOW:
        return f"invalid signature: {TIMESTAMP_HEADER} is more than {WINDOW // 60} minutes from the server's clock"
    ok = given.isascii() and hmac.compare_digest(given, sign(secret, stamp, body))
    return None if ok else "invalid signature"


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """The sender's delivery id when it gives a usable one, else the body's hash."""
    given = _header(headers, DELIVERY_HEADER).strip()
    if given and len(given) <= 128 and given.isascii() and given.isprintable():
        return given
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _first_response(engine: Engine, source: str, delivery: str) -> tuple[int, dict[str, Any]] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(DELIVERIES.c.status, DELIVERIES.c.response).where(
                DELIVERIES.c.source == source, DELIVERIES.c.delivery_id == delivery
            )
        ).first()
    if row is None:
        return None
    return 200, {**(row.response or {}), "duplicate": True, "delivery": delivery}


def _parse(spec: SourceSpec, body: bytes) -> tuple[str, Batch] | tuple[int, dict[str, Any]]:
    """The entity and validated batch of a delivery, or the client error to answer."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return 400, {"error": f"body is not JSON: {exc}"}
    entity = payload.get("entity", spec.entity) if isinstance(payload, dict) else spec.entity
    records = payload.get("records") if isinstance(payload, dict) else payload
    if entity not in RECORD_TYPES:
        return 400, {"error": f"unknown entity {entity!r} (one of {', '.join(RECORD_TYPES)})"}
    if not isinstance(records, list):
        return 400, {"error": "expected 'records': a JSON list of objects"}
    batch = Batch(rows_read=len(records))
    model = RECORD_TYPES[entity]
    # the source's value maps and derived fields are for its own entity (another entity's fields differ)
    shaper = Shaper.build(spec.values, spec.derive) if entity == spec.entity else None
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            batch.errors.append(RowError(i, None, f"expected an object, found {type(rec).__name__}"))
            continue
        if shaper is not None:
            rec = shaper.apply({k: v for k, v in rec.items() if k in model.model_fields}, rec)
        result = validate_row(model, rec, i)
        if isinstance(result, list):
            batch.errors.extend(result)
        else:
            batch.add(result, i)
    return str(entity), batch


def handle_ingest(
    services: Services,
    source: str,
    headers: Mapping[str, str],
    body: bytes,
    env: Mapping[str, str] | None = None,
    now: Callable[[], float] = time.time,
) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for one webhook delivery. Never raises for client errors."""
    if len(body) > MAX_BODY:
        return 413, {"error": f"body too large: {len(body):,} bytes (limit {MAX_BODY:,})"}
    spec = load_sources(services.settings.policies_dir).by_name.get(source)
    if spec is None or spec.kind != "webhook":
        return 404, {"error": f"no webhook source named {source!r}"}
    secret = (env if env is not None else os.environ).get(spec.secret_env or "", "")
    if not secret:
        return 503, {"error": f"source {source!r} has no secret configured ({spec.secret_env} is unset)"}
    refusal = _refusal(spec, secret, headers, body, now())
    if refusal:
        return 401, {"error": refusal}
    delivery = delivery_id(headers, body)
    seen = _first_response(services.engine, source, delivery)
    if seen is not None:
        return seen
    parsed = _parse(spec, body)
    if isinstance(parsed[1], dict):
        return parsed  # type: ignore[return-value]
    entity, batch = parsed
    assert isinstance(entity, str) and isinstance(batch, Batch)
    vocabulary = Vocabulary.of(services.policies.tiers, services.policies.roles)
    return _apply(services.engine, spec, delivery, entity, batch, vocabulary)


def _apply(
    engine: Engine, spec: SourceSpec, delivery: str, entity: str, batch: Batch, vocabulary: Vocabulary | None = None
) -> tuple[int, dict[str, Any]]:
    """Record the delivery and write its batch in one transaction; a racing twin is answered as a repeat."""
    run = SyncResult(source=spec.name, run_id=start_run(engine, spec.name, "webhook"), mode="webhook")
    key = {"source": spec.name, "delivery_id": delivery}
    keys = KeyLookup(vocabulary=vocabulary)
    try:
        with engine.begin() as conn:
            suppression.lock_shared(conn)  # before anything is written: see bot.sync.suppression
            conn.execute(delete(DELIVERIES).where(DELIVERIES.c.received_at < utcnow() - DELIVERY_TTL))
            conn.execute(insert(DELIVERIES).values(**key, received_at=utcnow(), status=0))
            apply_batch(conn, spec.name, entity, batch, run, spec.customer_source, keys=keys)
            status, summary = _summary(run)
            conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.source == spec.name, DELIVERIES.c.delivery_id == delivery)
                .values(status=status, response=summary)
            )
    except sa_exc.IntegrityError:
        # The same delivery committed meanwhile (a retry racing the original): it is applied once.
        run.status, run.error = "ok", f"duplicate delivery {delivery}: not applied again"
        finish_run(engine, run)
        return _first_response(engine, spec.name, delivery) or (409, {"error": "duplicate delivery"})
    run.status = "partial" if run.rows_quarantined else "ok"
    finish_run(engine, run)
    customers = spec.customer_source or spec.name
    shown = [e for e in batch.errors if not keys.suppressed.raw(spec.name, customers, e.raw)]  # erased: not errors
    errors = [{"row": e.row, "field": e.field, "reason": e.reason} for e in shown][:MAX_REPORTED]
    unknown = {"unknown_values": run.unknown_lines()} if run.unknown else {}
    return status, {**summary, "delivery": delivery, "errors": errors, **unknown}


def _summary(run: SyncResult) -> tuple[int, dict[str, Any]]:
    """The status and counts of an applied delivery (kept for repeats: counts only, no record values)."""
    status = 200 if not run.rows_quarantined else (207 if run.rows_loaded or run.rows_unchanged else 422)
    return status, {
        "accepted": run.rows_loaded + run.rows_unchanged,
        "quarantined": run.rows_quarantined,
        "stale": run.rows_stale,
        "erased": run.rows_erased,
    }
