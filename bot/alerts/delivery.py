"""Deliver the outbox: claim, send, mark; retry with backoff; reconcile after a crash.

Each row moves ``pending -> sending -> sent`` (or ``failed``). The claim is a conditional UPDATE
(``WHERE id = :id AND state = 'pending'``) that stamps a fresh claim token and a lease: exactly one worker
wins a row, across threads and processes. Marking sent is conditional on the same token.

Where the crash window lies, and why duplicates cannot be observed:

* crash before the claim, or after claiming but before Slack accepted the message: the row is left
  ``sending`` with an expired lease; nothing was posted.
* crash after Slack accepted the message but before the mark: the row is also ``sending``; a message
  exists. Every message carries the marker ``rapport-outbox-<id>`` as the block_id of its first block.

On restart, an expired ``sending`` row is *reconciled* before anything is re-sent: the :class:`SentLookup`
(``conversations.history`` since the claim time) looks for the marker; found -> mark sent with that ts,
not found -> back to ``pending`` for another try. So delivery is at-least-once on the wire but
exactly-once as anyone sees it. Without a lookup (e.g. a notifier that cannot read history) the row is
re-sent: at-least-once, with the duplicate window limited to a crash between send and mark.

Errors: ``DeliveryError(permanent=True)`` (channel_not_found, not_in_channel...) -> ``failed`` at once;
anything else -> retried with exponential backoff (30 s doubling, at most 1 h) until ``MAX_ATTEMPTS``,
then ``failed``. Failed rows stay visible (``rapport alerts status``) and can be retried by hand.
Rate limits (429) are honoured inside the Slack notifier (Retry-After); a 429 that outlives its retries
surfaces here as a transient error and is backed off like any other.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.alerts.compose import outbound, outbox_row
from bot.alerts.models import FAILED, PENDING, SENDING, SENT, AlertOutbox
from bot.alerts.views import marker
from bot.governance import audit
from bot.notify import DeliveryError, Notifier, SentRef

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)


class SentLookup(Protocol):
    """Finds a message this app posted to ``channel`` (a channel id or a user id for the DM) since
    ``since`` whose first block has block_id ``marker``."""

    def find(self, channel: str, marker: str, since: dt.datetime) -> SentRef | None: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0  # found already posted after a crash: marked sent, not re-sent
    requeued: int = 0  # expired claims with no message found: sent again


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def deliver_due(
    engine: Engine,
    notifier: Notifier,
    lookup: SentLookup | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    limit: int = 1000,
) -> DeliveryReport:
    """Send every due row (up to ``limit``), oldest first. Safe to run in several processes at once."""
    report = DeliveryReport()
    recover(engine, lookup, clock, report)
    o = AlertOutbox.__table__.c
    with engine.connect() as conn:
        due = list(
            conn.scalars(
                select(o.id).where(o.state == PENDING, o.next_attempt_at <= clock()).order_by(o.id).limit(limit)
            )
        )
    for outbox_id in due:
        deliver_one(engine, notifier, outbox_id, clock, report)
    return report


def claim(engine: Engine, outbox_id: int, now: dt.datetime) -> str | None:
    """pending -> sending under a fresh token; None if someone else got it first."""
    token = uuid.uuid4().hex
    o = AlertOutbox.__table__.c
    with engine.begin() as conn:
        won = conn.execute(
            update(AlertOutbox)
            .where(o.id == outbox_id, o.state == PENDING)
            .values(
                state=SENDING, claim_token=token, claimed_at=now, claimed_until=now + LEASE, attempts=o.attempts + 1
            )
        ).rowcount
    return token if won == 1 else None


def deliver_one(
    engine: Engine, notifier: Notifier, outbox_id: int, clock: Callable[[], dt.datetime], report: DeliveryReport
) -> None:
    token = claim(engine, outbox_id, clock())
    if token is None:
        return
    with engine.connect() as conn:
        row = outbox_row(conn, outbox_id)
        message = outbound(conn, row)
    try:
        ref = notifier.send(message)
    except DeliveryError as exc:
        _failed_attempt(engine, row, token, str(exc), exc.permanent, clock(), report)
        return
    except Exception as exc:  # network errors and the like: transient
        _failed_attempt(engine, row, token, f"{type(exc).__name__}: {exc}", False, clock(), report)
        return
    mark_sent(engine, outbox_id, token, ref, clock())
    report.sent += 1


def mark_sent(engine: Engine, outbox_id: int, token: str, ref: SentRef, now: dt.datetime) -> bool:
    o = AlertOutbox.__table__.c
    with Session(engine) as session, session.begin():
        done = (
            session.connection()
            .execute(
                update(AlertOutbox)
                .where(o.id == outbox_id, o.claim_token == token, o.state == SENDING)
                .values(state=SENT, sent_channel=ref.channel, sent_ts=ref.ts, sent_at=now, last_error=None)
            )
            .rowcount
        )
        if done:
            audit.record(
                session, "system:alerts", "alerts.delivered", "alert_outbox", outbox_id, {"channel": ref.channel}
            )
    return bool(done)


def _failed_attempt(
    engine: Engine, row: object, token: str, error: str, permanent: bool, now: dt.datetime, report: DeliveryReport
) -> None:
    o = AlertOutbox.__table__.c
    attempts = int(getattr(row, "attempts", 0)) + 1
    give_up = permanent or attempts >= MAX_ATTEMPTS
    outbox_id = int(getattr(row, "id"))  # noqa: B009
    with engine.begin() as conn:
        conn.execute(
            update(AlertOutbox)
            .where(o.id == outbox_id, o.claim_token == token)
            .values(
                state=FAILED if give_up else PENDING,
                next_attempt_at=now + backoff(attempts),
                last_error=error[:500],
            )
        )
    if give_up:
        report.failed += 1
        log.error("alert outbox %s failed permanently after %d attempt(s): %s", outbox_id, attempts, error)
    else:
        report.retried += 1
        log.warning("alert outbox %s attempt %d failed, retrying: %s", outbox_id, attempts, error)


def recover(
    engine: Engine, lookup: SentLookup | None, clock: Callable[[], dt.datetime], report: DeliveryReport
) -> None:
    """Settle rows whose worker died mid-delivery (``sending`` past the lease)."""
    o = AlertOutbox.__table__.c
    now = clock()
    with engine.connect() as conn:
        stuck = conn.execute(
            select(o.id, o.recipient, o.claim_token, o.claimed_at).where(o.state == SENDING, o.claimed_until < now)
        ).all()
    for row in stuck:
        found = None
        if lookup is not None:
            since = (row.claimed_at or now) - dt.timedelta(seconds=5)
            found = lookup.find(row.recipient, marker(row.id), since)
        if found is not None and mark_sent(engine, row.id, row.claim_token, found, now):
            report.reconciled += 1
            continue
        with engine.begin() as conn:
            moved = conn.execute(
                update(AlertOutbox)
                .where(o.id == row.id, o.state == SENDING, o.claim_token == row.claim_token)
                .values(state=PENDING, next_attempt_at=now, last_error="lease expired; not found in history")
            ).rowcount
        report.requeued += moved


def retry_failed(engine: Engine, now: dt.datetime) -> int:
    """Put failed rows back in the queue (after fixing the cause: bot invited, channel restored...)."""
    o = AlertOutbox.__table__.c
    with engine.begin() as conn:
        return int(
            conn.execute(
                update(AlertOutbox).where(o.state == FAILED).values(state=PENDING, attempts=0, next_attempt_at=now)
            ).rowcount
        )
