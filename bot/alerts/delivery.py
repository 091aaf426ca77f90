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
surfaces here as a transient error and is backed off like any other. When ``STOP_AFTER`` transient
failures come in a row (Slack unreachable, no token), the pass stops: the remaining rows keep their place
and their attempts, and the report says why once instead of once per message.

Marking a row sent also records when each alert in it reached its owner (``alerts.delivered_at``): the
escalation clock starts there, not when the alert was created.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from bot.alerts.compose import outbound, outbox_row
from bot.alerts.models import FAILED, PENDING, SENDING, SENT, Alert, AlertNotification, AlertOutbox
from bot.alerts.routing import DIGEST, IMMEDIATE
from bot.alerts.views import marker
from bot.governance import audit
from bot.notify import DeliveryError, Outbound, SentRef

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)
STOP_AFTER = 3  # transient failures in a row that end a delivery pass


class Sender(Protocol):
    """All delivery needs of a :class:`bot.notify.Notifier`: post a message, get its reference."""

    def send(self, message: Outbound) -> SentRef: ...


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
    stopped: str | None = None  # why the pass stopped early (STOP_AFTER transient failures in a row)
    left: int = 0  # due rows not tried because the pass stopped
    in_a_row: int = 0  # transient failures in a row (the last ones of the pass)
    _last_error: str = field(default="", repr=False)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def deliver_due(
    engine: Engine,
    notifier: Sender,
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
    for index, outbox_id in enumerate(due):
        deliver_one(engine, notifier, outbox_id, clock, report)
        if report.in_a_row >= STOP_AFTER:
            report.left = len(due) - index - 1
            report.stopped = report._last_error
            log.error("alert delivery stopped after %d failures in a row: %s", report.in_a_row, report.stopped)
            break
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
    engine: Engine,
    notifier: Sender,
    outbox_id: int,
    clock: Callable[[], dt.datetime],
    report: DeliveryReport,
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
    report.in_a_row = 0


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
            _mark_delivered(session, outbox_id, now)
            audit.record(
                session, "system:alerts", "alerts.delivered", "alert_outbox", outbox_id, {"channel": ref.channel}
            )
    return bool(done)


def _mark_delivered(session: Session, outbox_id: int, now: dt.datetime) -> None:
    """The alerts this message shows to their own recipient (owner, else on-duty) reached them now."""
    a, n, o = Alert.__table__.c, AlertNotification.__table__.c, AlertOutbox.__table__.c
    shown = select(n.alert_id).where(n.outbox_id == outbox_id, n.mode.in_((IMMEDIATE, DIGEST)))
    session.connection().execute(
        update(Alert)
        .where(
            a.delivered_at.is_(None),
            a.recipient == select(o.recipient).where(o.id == outbox_id).scalar_subquery(),
            or_(a.id.in_(shown), a.id == select(o.alert_id).where(o.id == outbox_id).scalar_subquery()),
        )
        .values(delivered_at=now)
    )


def _failed_attempt(
    engine: Engine, row: object, token: str, error: str, permanent: bool, now: dt.datetime, report: DeliveryReport
) -> None:
    o = AlertOutbox.__table__.c
    attempts = int(getattr(row, "attempts", 0))  # the claim counted this attempt already
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
    if permanent:
        report.in_a_row = 0
    else:
        report.in_a_row += 1
        report._last_error = error
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
