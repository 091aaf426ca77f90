"""Per-recipient digests: at the recipient's local morning, due digest items become outbox messages.

Items (``alert_notifications`` with mode ``digest``) carry their due time, computed when the alert was
routed (next ``digest_local_time`` in the recipient's zone). This job turns every recipient's due items
into one or more digest messages (``DIGEST_PART_SIZE`` alerts each: Block Kit allows 50 blocks), grouped
by customer and severity when rendered. One transaction per recipient: the outbox rows and the links from
items to them are written together, so a crash leaves either a whole digest or none.
Items whose alert was acknowledged or resolved before the morning are dropped from the digest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, insert, select, update

from bot.alerts.models import OPEN, PENDING, SNOOZED, Alert, AlertNotification, AlertOutbox
from bot.alerts.views import DIGEST_PART_SIZE, SEVERITY_ORDER

SKIPPED = "skipped"


def build_digests(engine: Engine, now: dt.datetime, part_size: int = DIGEST_PART_SIZE) -> int:
    """Create the digest messages that are due; returns how many outbox rows were written."""
    n, a = AlertNotification.__table__.c, Alert.__table__.c
    with engine.connect() as conn:
        recipients = list(
            conn.scalars(
                select(n.recipient).where(n.mode == "digest", n.outbox_id.is_(None), n.due_at <= now).distinct()
            )
        )
    written = 0
    for recipient in recipients:
        with engine.begin() as conn:
            due = n.mode == "digest", n.outbox_id.is_(None), n.due_at <= now, n.recipient == recipient
            items = conn.execute(
                select(n.id, a.state, a.severity, a.customer_id).join(Alert.__table__, a.id == n.alert_id).where(*due)
            ).all()
            live = [i for i in items if i.state in (OPEN, SNOOZED)]
            dead = [i.id for i in items if i.state not in (OPEN, SNOOZED)]
            if dead:
                conn.execute(update(AlertNotification).where(n.id.in_(dead)).values(mode=SKIPPED))
            parts = _split(live, part_size)
            for index, part in enumerate(parts, start=1):
                outbox_id = conn.execute(
                    insert(AlertOutbox)
                    .values(
                        recipient=recipient,
                        kind="digest",
                        alert_id=None,
                        state=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                        body={"part": index, "parts": len(parts), "total": len(live)},
                    )
                    .returning(AlertOutbox.__table__.c.id)
                ).scalar_one()
                conn.execute(
                    update(AlertNotification)
                    .where(n.id.in_([i.id for i in part]), n.outbox_id.is_(None))
                    .values(outbox_id=outbox_id)
                )
                written += 1
    return written


def _split(items: list[Any], size: int) -> list[list[Any]]:
    """Parts of at most ``size`` items, most severe customers first, a customer's alerts kept together."""
    by_customer: dict[int, list[Any]] = {}
    for item in items:
        by_customer.setdefault(item.customer_id, []).append(item)
    ordered = sorted(by_customer.items(), key=lambda kv: (min(SEVERITY_ORDER.get(i.severity, 9) for i in kv[1]), kv[0]))
    parts: list[list[Any]] = []
    current: list[Any] = []
    for _, group in ordered:
        if current and len(current) + len(group) > size:
            parts.append(current)
            current = []
        current.extend(group)
    if current:
        parts.append(current)
    return parts
