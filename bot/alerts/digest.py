"""Per-recipient digests: at the recipient's local morning, due digest items become one message.

Items (``alert_notifications`` with mode ``digest``) carry their due time, computed when the alert was
routed (next ``digest_local_time`` in the recipient's zone). This job turns every recipient's due items into
ONE digest message: one entry per customer (its signals ranked by priority), customers ranked by their
highest priority, at most ``digest.max_entries`` of them (the handbook's cap per recipient per day). The rest
are *summarised*: counted in the summary line ("3 urgent, 12 at-risk ARR $4.1M, 40 more in /rapport alerts")
and linked to the message with mode ``summarised``; they stay open in ``/rapport alerts`` and App Home.

One transaction per recipient: the outbox row and the links from items to it are written together, so a
crash leaves either a whole digest or none. Items whose alert was acknowledged or resolved before the
morning are dropped (mode ``skipped``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, insert, select, update

from bot.alerts.compose import reader_body
from bot.alerts.models import OPEN, PENDING, SNOOZED, Alert, AlertNotification, AlertOutbox
from bot.policies import Policies
from bot.store.models import Customer

SKIPPED, SUMMARISED = "skipped", "summarised"
DEFAULT_ENTRIES = 15


def build_digests(engine: Engine, now: dt.datetime, policies: Policies | None = None) -> int:
    """Create the digest messages that are due; returns how many outbox rows were written."""
    entries = policies.alerts.digest_entries if policies is not None else DEFAULT_ENTRIES
    n = AlertNotification.__table__.c
    with engine.connect() as conn:
        recipients = list(
            conn.scalars(
                select(n.recipient).where(n.mode == "digest", n.outbox_id.is_(None), n.due_at <= now).distinct()
            )
        )
    written = 0
    for recipient in sorted(recipients):
        written += _one(engine, recipient, now, entries, reader_body(policies, recipient))
    return written


def _one(engine: Engine, recipient: str, now: dt.datetime, entries: int, reader: dict[str, Any]) -> int:
    n, a, c = AlertNotification.__table__.c, Alert.__table__.c, Customer.__table__.c
    with engine.begin() as conn:
        due = n.mode == "digest", n.outbox_id.is_(None), n.due_at <= now, n.recipient == recipient
        items = conn.execute(
            select(n.id, a.state, a.urgent, a.priority, a.value_at_risk, a.customer_id, c.arr)
            .join(Alert.__table__, a.id == n.alert_id)
            .join(Customer.__table__, c.id == a.customer_id)
            .where(*due)
        ).all()
        live = [i for i in items if i.state in (OPEN, SNOOZED)]
        dead = [i.id for i in items if i.state not in (OPEN, SNOOZED)]
        if dead:
            conn.execute(update(AlertNotification).where(n.id.in_(dead)).values(mode=SKIPPED))
        if not live:
            return 0
        groups = _ranked_customers(live)
        shown, rest = groups[:entries], groups[entries:]
        at_risk = [g for g in groups if any(float(i.value_at_risk or 0) > 0 for i in g)]
        body = {
            **reader,
            "customers": len(groups),
            "shown": len(shown),
            "alerts": len(live),
            "urgent": sum(1 for g in groups if any(i.urgent for i in g)),
            "at_risk": len(at_risk),
            "arr": float(sum(float(g[0].arr or 0) for g in at_risk)),
            "more": len(rest),
        }
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
                body=body,
            )
            .returning(AlertOutbox.__table__.c.id)
        ).scalar_one()
        shown_ids = [i.id for g in shown for i in g]
        rest_ids = [i.id for g in rest for i in g]
        conn.execute(update(AlertNotification).where(n.id.in_(shown_ids)).values(outbox_id=outbox_id))
        if rest_ids:
            conn.execute(
                update(AlertNotification).where(n.id.in_(rest_ids)).values(outbox_id=outbox_id, mode=SUMMARISED)
            )
    return 1


def _ranked_customers(items: list[Any]) -> list[list[Any]]:
    """Items grouped by customer, customers by their highest priority (urgent first on a tie)."""
    by_customer: dict[int, list[Any]] = {}
    for item in items:
        by_customer.setdefault(int(item.customer_id), []).append(item)
    return sorted(
        by_customer.values(),
        key=lambda g: (-max(float(i.priority or 0) for i in g), not any(i.urgent for i in g), g[0].customer_id),
    )
