"""Ack, snooze, assign; escalation of unacknowledged urgent alerts; snooze wake-ups; message refresh.

Every state change is a conditional UPDATE (race-safe: two people clicking Ack at once record one ack)
and an audit event in the same transaction. Who may act: any active member of the staff roster
(``roles.yaml``); the Slack listener passes the clicking user id, which Bolt has verified (signed request).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.alerts.compose import cards, outbound, outbox_row
from bot.alerts.evaluate import staff_timezones, write_notifications
from bot.alerts.models import ACKED, OPEN, PENDING, SENT, SNOOZED, Alert, AlertNotification, AlertOutbox
from bot.alerts.routing import IMMEDIATE, route
from bot.alerts.views import ActionResult, OpenAlerts
from bot.governance import audit
from bot.notify import Notifier, SentRef
from bot.policies import Policies
from bot.store.models import Customer

log = logging.getLogger(__name__)
SNOOZE_MAX = dt.timedelta(days=90)


def _change(
    engine: Engine,
    policies: Policies,
    user: str,
    alert_id: int,
    action: str,
    where: Any,
    values: dict[str, Any],
    details: dict[str, Any] | None = None,
) -> ActionResult:
    if policies.staff(user) is None:
        return ActionResult(False, "Only staff on the roster can act on alerts.")
    a = Alert.__table__.c
    with Session(engine) as session, session.begin():
        done = session.connection().execute(update(Alert).where(a.id == alert_id, where).values(**values)).rowcount
        if done:
            audit.record(session, user, f"alerts.{action}", "alert", alert_id, details or {})
    with engine.connect() as conn:
        found = cards(conn, [alert_id])
    card = found[0] if found else None
    if card is None:
        return ActionResult(False, "That alert no longer exists.")
    if not done:
        return ActionResult(False, f"Nothing to do: the alert is {card.state}.", card)
    return ActionResult(True, f"Alert {action}.", card)


def ack(engine: Engine, policies: Policies, user: str, alert_id: int, now: dt.datetime) -> ActionResult:
    a = Alert.__table__.c
    return _change(
        engine,
        policies,
        user,
        alert_id,
        "acknowledged",
        a.state.in_((OPEN, SNOOZED)),
        {"state": ACKED, "acked_by": user, "acked_at": now, "snoozed_until": None},
    )


def snooze(
    engine: Engine, policies: Policies, user: str, alert_id: int, now: dt.datetime, duration: dt.timedelta
) -> ActionResult:
    if not dt.timedelta(minutes=5) <= duration <= SNOOZE_MAX:
        return ActionResult(False, "Snooze for between 5 minutes and 90 days.")
    a = Alert.__table__.c
    return _change(
        engine,
        policies,
        user,
        alert_id,
        "snoozed",
        a.state.in_((OPEN, SNOOZED)),
        {"state": SNOOZED, "snoozed_until": now + duration},
        {"until": (now + duration).isoformat()},
    )


def assign(
    engine: Engine, policies: Policies, user: str, alert_id: int, assignee: str, now: dt.datetime
) -> ActionResult:
    if policies.staff(assignee) is None:
        return ActionResult(False, f"{assignee} is not on the staff roster.")
    a = Alert.__table__.c
    return _change(
        engine,
        policies,
        user,
        alert_id,
        "assigned",
        a.state.in_((OPEN, SNOOZED, ACKED)),
        {"assignee": assignee},
        {"assignee": assignee},
    )


def refresh_messages(engine: Engine, notifier: Notifier, alert_id: int) -> int:
    """Re-render every sent message that shows ``alert_id`` (single alert or digest part), in place."""
    o, n = AlertOutbox.__table__.c, AlertNotification.__table__.c
    with engine.connect() as conn:
        ids = set(conn.scalars(select(o.id).where(o.alert_id == alert_id, o.state == SENT)))
        ids |= set(
            conn.scalars(
                select(o.id)
                .join(AlertNotification.__table__, n.outbox_id == o.id)
                .where(n.alert_id == alert_id, o.state == SENT)
            )
        )
        updates = []
        for outbox_id in sorted(ids):
            row = outbox_row(conn, outbox_id)
            updates.append((SentRef(row.sent_channel, row.sent_ts), outbound(conn, row)))
    for ref, message in updates:
        try:
            notifier.update(ref, message)
        except Exception:  # the state change is recorded; a stale message is cosmetic
            log.warning("could not update alert message %s", ref, exc_info=True)
    return len(updates)


def escalate_unacked(engine: Engine, policies: Policies, now: dt.datetime) -> int:
    """Urgent alerts still unacknowledged after the rule's (or default) time go to its escalation channel."""
    a = Alert.__table__.c
    total = 0
    for rule in policies.alerts.rules:
        if not rule.urgent or rule.recipients.escalation_channel is None:
            continue
        after = rule.escalate_unacked_after or policies.alerts.defaults.escalate_unacked_urgent_after
        channel = rule.recipients.escalation_channel
        with engine.begin() as conn:
            ids = list(
                conn.scalars(
                    select(a.id)
                    .where(a.rule == rule.name, a.state == OPEN, a.escalated_at.is_(None), a.created_at <= now - after)
                    .limit(500)
                )
            )
            if not ids:
                continue
            won = list(
                conn.scalars(
                    update(Alert)
                    .where(a.id.in_(ids), a.escalated_at.is_(None))
                    .values(escalated_at=now)
                    .returning(a.id)
                )
            )
            notes = [
                {
                    "alert_id": i,
                    "recipient": channel,
                    "purpose": "escalation",
                    "round": 0,
                    "mode": IMMEDIATE,
                    "reason": "unacked",
                    "due_at": now,
                    "created_at": now,
                }
                for i in won
            ]
            out = [
                {
                    "recipient": channel,
                    "kind": "escalation",
                    "alert_id": i,
                    "body": {},
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for i in won
            ]
            write_notifications(conn, notes, out)
            total += len(won)
    return total


def wake_snoozed(engine: Engine, policies: Policies, now: dt.datetime) -> int:
    """Snoozes that ran out: the alert is open again and its assignee (else owner) is reminded."""
    a, cust = Alert.__table__.c, Customer.__table__.c
    with engine.begin() as conn:
        rows = conn.execute(
            select(a.id, a.urgent, a.reminders, a.assignee, cust.owner_slack_id)
            .join(Customer.__table__, cust.id == a.customer_id)
            .where(a.state == SNOOZED, a.snoozed_until <= now)
            .limit(1000)
        ).all()
        if not rows:
            return 0
        tz_of = staff_timezones(conn, policies)
        sent: dict[str, int] = {}
        notes: list[dict[str, Any]] = []
        out: list[dict[str, Any]] = []
        for r in rows:
            won = conn.execute(
                update(Alert)
                .where(a.id == r.id, a.state == SNOOZED)
                .values(state=OPEN, snoozed_until=None, reminders=a.reminders + 1)
            ).rowcount
            who = r.assignee or r.owner_slack_id
            if not won or not who:
                continue
            for rt in route([who], bool(r.urgent), policies.alerts.defaults, now, tz_of, sent):
                notes.append(
                    {
                        "alert_id": r.id,
                        "recipient": who,
                        "purpose": "reminder",
                        "round": r.reminders + 1,
                        "mode": rt.mode,
                        "reason": rt.reason,
                        "due_at": rt.due_at,
                        "created_at": now,
                    }
                )
                if rt.mode == IMMEDIATE:
                    out.append(
                        {
                            "recipient": who,
                            "kind": "reminder",
                            "alert_id": r.id,
                            "body": {},
                            "state": PENDING,
                            "attempts": 0,
                            "next_attempt_at": rt.due_at,
                            "created_at": now,
                        }
                    )
        write_notifications(conn, notes, out)
    return len(rows)


def open_alerts(engine: Engine, user: str, limit: int = 20) -> OpenAlerts:
    """App Home: open, snoozed or acknowledged-but-unresolved alerts the user owns or is assigned."""
    a, cust = Alert.__table__.c, Customer.__table__.c
    mine = or_(a.assignee == user, and_(a.assignee.is_(None), cust.owner_slack_id == user))
    with engine.connect() as conn:
        q = (
            select(a.id)
            .join(Customer.__table__, cust.id == a.customer_id)
            .where(a.open_key.is_not(None), a.state.in_((OPEN, SNOOZED)), mine)
            .order_by(a.created_at.desc(), a.id.desc())
        )
        ids = list(conn.scalars(q.limit(limit + 1)))
        return OpenAlerts(user, tuple(cards(conn, ids[:limit])), more=max(0, len(ids) - limit))
