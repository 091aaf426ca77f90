"""Append-only, hash-chained audit trail.

Each row's hash covers its content and the previous row's hash, so editing or deleting any row breaks
verification from that row on. ``prev_hash`` is unique: two writers racing for the same chain position
cannot both win, the loser retries on the new head (inside a savepoint, so the caller's transaction lives).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import AuditEvent, utcnow

GENESIS = "0" * 64
_local_lock = threading.Lock()  # SQLite has no advisory locks; serialise this process's appenders


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
    *,
    attempts: int = 20,
) -> AuditEvent:
    """Append one event in the caller's transaction. Never pass secrets or sensitive field values."""
    details = json.loads(json.dumps(details or {}, default=str))  # stored exactly as hashed
    is_pg = session.get_bind().dialect.name == "postgresql"
    with _local_lock:
        for _ in range(attempts):
            if is_pg:
                session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
            head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
            now = utcnow()
            event = AuditEvent(
                occurred_at=now,
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=str(subject_id),
                details=details,
                prev_hash=head,
                hash=_digest(head, now, actor, action, subject_type, str(subject_id), details),
            )
            try:
                with session.begin_nested():
                    session.add(event)
                return event
            except IntegrityError:
                continue  # another process took this chain position: chain onto the new head
    raise RuntimeError("could not append to the audit trail: too much contention")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify(session: Session) -> VerifyResult:
    """Walk the chain in id order; report the first row whose link or hash does not match."""
    prev, n = GENESIS, 0
    for ev in _stream(session):
        n += 1
        if ev.prev_hash != prev:
            return VerifyResult(False, n, ev.id, "previous-hash link broken (a row was deleted or reordered)")
        expected = _digest(
            ev.prev_hash, ev.occurred_at, ev.actor, ev.action, ev.subject_type, ev.subject_id, ev.details
        )
        if expected != ev.hash:
            return VerifyResult(False, n, ev.id, "content does not match its hash (the row was edited)")
        prev = ev.hash
    return VerifyResult(True, n)


def _stream(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()
