"""Append-only, hash-chained audit trail.

Each row's hash covers its content and the previous row's hash, so editing or deleting any row breaks
verification from that row on. ``prev_hash`` is unique: two writers racing for the same chain position
cannot both win, the loser retries on the new head (inside a savepoint, so the caller's transaction lives).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.store.models import AuditEvent, utcnow

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    occurred_at: dt.datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any],
) -> str:
    body = json.dumps(
        [
            prev_hash,
            occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            actor,
            action,
            subject_type,
            subject_id,
            details,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction. Never pass secrets or sensitive field values.

    The chain head is read under the database's own write serialisation, so appenders in any thread or
    process queue in the database and never deadlock against each other: PostgreSQL takes a
    transaction-scoped advisory lock; SQLite takes its single write lock with an empty UPDATE (a write
    statement reserves the database even when it matches no row). The unique ``prev_hash`` is the backstop.
    """
    details = json.loads(json.dumps(details or {}, default=str))  # stored exactly as hashed
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_events SET prev_hash = prev_hash WHERE 1 = 0"))
    head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    now = utcnow()
    sid = str(subject_id)
    event = AuditEvent(
        occurred_at=now,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=sid,
        details=details,
        prev_hash=head,
        hash=_digest(head, now, actor, action, subject_type, sid, details),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 10_000) -> VerifyResult:
    """Walk the chain in id order; report the first row whose link or hash does not match."""
    cols = (
        AuditEvent.id,
        AuditEvent.prev_hash,
        AuditEvent.hash,
        AuditEvent.occurred_at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.subject_type,
        AuditEvent.subject_id,
        AuditEvent.details,
    )
    rows = session.execute(select(*cols).order_by(AuditEvent.id).execution_options(yield_per=batch))
    prev, n = GENESIS, 0
    for ev_id, prev_hash, ev_hash, occurred_at, actor, action, subject_type, subject_id, details in rows:
        n += 1
        if prev_hash != prev:
            return VerifyResult(False, n, ev_id, "previous-hash link broken (a row was deleted or reordered)")
        if _digest(prev_hash, occurred_at, actor, action, subject_type, subject_id, details) != ev_hash:
            return VerifyResult(False, n, ev_id, "content does not match its hash (the row was edited)")
        prev = ev_hash
    return VerifyResult(True, n)
