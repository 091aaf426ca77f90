"""Webhook ingest: ``POST /ingest/<source>`` (routed by the serve HTTP server to :func:`handle_ingest`).

Body: ``{"entity": "ticket", "records": [{...}, ...]}`` (or a bare list when the source has an
``entity``). Authenticated per source: ``X-Rapport-Signature: sha256=<hex HMAC of the body>`` or
``Authorization: Bearer <secret>``, the secret read from the env variable the source names.
Good records are upserted and bad ones quarantined in one transaction, like a pull sync batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.sync.config import load_sources
from bot.sync.service import SyncResult, apply_batch, finish_run, start_run
from connectors import RECORD_TYPES, Batch, RowError, validate_row

if TYPE_CHECKING:
    from bot.services import Services

MAX_BODY = 10 * 1024 * 1024
MAX_REPORTED = 50


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def _authentic(auth: str, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    if auth == "bearer":
        given = _header(headers, "Authorization").removeprefix("Bearer ").strip()
        return bool(given) and hmac.compare_digest(given.encode(), secret.encode())
    given = _header(headers, "X-Rapport-Signature").removeprefix("sha256=").strip()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(given, expected)


def handle_ingest(
    services: Services, source: str, headers: Mapping[str, str], body: bytes, env: Mapping[str, str] | None = None
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
    if not _authentic(spec.auth, secret, headers, body):
        return 401, {"error": "invalid signature" if spec.auth == "hmac" else "invalid bearer token"}
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
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            batch.errors.append(RowError(i, None, f"expected an object, found {type(rec).__name__}"))
            continue
        result = validate_row(model, rec, i)
        if isinstance(result, list):
            batch.errors.extend(result)
        else:
            batch.add(result, i)
    run = SyncResult(source=source, run_id=start_run(services.engine, source, "webhook"), mode="webhook")
    with services.engine.begin() as conn:
        before = run.rows_quarantined
        apply_batch(conn, source, entity, batch, run, spec.customer_source)
    run.status = "partial" if run.rows_quarantined else "ok"
    finish_run(services.engine, run)
    errors = [{"row": e.row, "field": e.field, "reason": e.reason} for e in batch.errors][:MAX_REPORTED]
    status = 200 if run.rows_quarantined == before else (207 if run.rows_loaded or run.rows_unchanged else 422)
    return status, {
        "accepted": run.rows_loaded + run.rows_unchanged,
        "quarantined": run.rows_quarantined,
        "errors": errors,
    }
