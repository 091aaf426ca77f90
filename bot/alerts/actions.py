"""Ack (one, a customer's, a whole digest), snooze (with a reason; a manager told above a severity), assign;
escalation of alerts nobody acknowledged after delivery; snooze wake-ups; message refresh; the open list.

Every state change is a conditional UPDATE (race-safe: two people clicking Ack at once record one ack)
and an audit event in the same transaction. Who may act: any active member of the staff roster
(``roles.yaml``); the Slack listener passes the clicking user id, which Bolt has verified (signed request).

One module because every state change on an alert is a conditional UPDATE plus audit; kept together so
the race-safety pattern is read once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.alerts.compose import HIDE_ALL, cards, hidden_for, outbound, outbox_row, reader_body
from bot.alerts.evaluate import interruptions, staff_timezones, write_notifications
from bot.alerts.models import ACKED, OPEN, PENDING, SENT, SNOOZED, Alert, AlertNotification, AlertOutbox
from bot.alerts.routing import IMMEDIATE, Candidate, plan
from bot.alerts.views import OPEN_ALERTS_PAGE, ActionResult, OpenAlerts
from bot.governance import audit
from bot.notify import Notifier, SentRef
from bot.policies import Policies
from bot.policies.alerts import SEVERITY_RANK
from bot.store.models import Customer

log = logging.getLogger(__name__)
SNOOZE_MAX = dt.timedelta(days=90)
REASON_MAX = 500


def _change(
    engine: Engine,
    policies: Policies,
    user: str,
    alert_id: int,
    action: str,
    where: Any,
    values: dict[str, Any],
    details: dict[str, Any] | None = None,
    then: Callable[[Connection], None] | None = None,
) -> ActionResult:
    if policies.staff(user) is None:
        return ActionResult(False, "Only staff on the roster can act on alerts.")
    a = Alert.__table__.c
    with Session(engine) as session, session.begin():
        done = session.connection().execute(update(Alert).where(a.id == alert_id, where).values(**values)).rowcount
        if done:
            audit.record(session, user, f"alerts.{action}", "alert", alert_id, details or {})
            if then is not None:
                then(session.connection())
    with engine.connect() as conn:
        found = cards(conn, [alert_id], hidden_for(policies, user))
    card = found[0] if found else None
    if card is None:
        return ActionResult(False, "That alert no longer exists.")
    if not done:
        return ActionResult(False, f"Nothing to do: the alert is {card.state}.", card)
    return ActionResult(True, f"Alert {action}.", card, (alert_id,))


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


def ack_many(engine: Engine, policies: Policies, user: str, alert_ids: Sequence[int], now: dt.datetime) -> ActionResult:
    """Acknowledge every open or snoozed alert of ``alert_ids`` at once (a customer's roll-up, a digest).
    Each acknowledged alert gets its own audit event; alerts already acknowledged are left as they are."""
    if policies.staff(user) is None:
        return ActionResult(False, "Only staff on the roster can act on alerts.")
    wanted = sorted(set(alert_ids))
    if not wanted:
        return ActionResult(False, "Nothing to acknowledge.")
    a = Alert.__table__.c
    with Session(engine) as session, session.begin():
        won = list(
            session.connection().scalars(
                update(Alert)
                .where(a.id.in_(wanted), a.state.in_((OPEN, SNOOZED)))
                .values(state=ACKED, acked_by=user, acked_at=now, snoozed_until=None)
                .returning(a.id)
            )
        )
        for alert_id in sorted(won):
            audit.record(session, user, "alerts.acknowledged", "alert", alert_id, {"with": len(won)})
    if not won:
        return ActionResult(False, "Nothing to do: those alerts are already acknowledged or resolved.")
    skipped = len(wanted) - len(won)
    note = f" ({skipped} were already handled)" if skipped else ""
    return ActionResult(True, f"Acknowledged {len(won)} alert(s){note}.", None, tuple(sorted(won)))


def digest_alerts(engine: Engine, digest_id: int) -> list[int]:
    """The alerts a digest message shows (not the ones it only counts)."""
    n = AlertNotification.__table__.c
    with engine.connect() as conn:
        return list(conn.scalars(select(n.alert_id).where(n.outbox_id == digest_id, n.mode == "digest").distinct()))


def ack_all(engine: Engine, policies: Policies, user: str, digest_id: int, now: dt.datetime) -> ActionResult:
    """The digest's "Ack all": everything the message shows, nothing it only summarises."""
    return ack_many(engine, policies, user, digest_alerts(engine, digest_id), now)


def snooze(
    engine: Engine,
    policies: Policies,
    user: str,
    alert_id: int,
    now: dt.datetime,
    duration: dt.timedelta,
    reason: str = "",
) -> ActionResult:
    """Snooze with a reason (the handbook asks for one); snoozing an alert at or above
    ``snooze.notify_manager_from`` tells the snoozer's manager (a DM, sent like any alert)."""
    if not dt.timedelta(minutes=5) <= duration <= SNOOZE_MAX:
        return ActionResult(False, "Snooze for between 5 minutes and 90 days.")
    rule = policies.alerts.snooze
    reason = " ".join(reason.split())[:REASON_MAX]
    if rule.require_reason and not reason:
        return ActionResult(False, "Say why you snooze it: a reason is required (it is shown to your manager).")
    a = Alert.__table__.c
    until = now + duration
    with engine.connect() as conn:
        severity = conn.scalar(select(a.severity).where(a.id == alert_id))
    manager = None
    threshold = rule.notify_manager_from
    if severity is not None and threshold is not None and SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[threshold]:
        manager = manager_of(policies, user)

    def tell_manager(conn: Connection) -> None:
        if manager is None:
            return
        body = reader_body(policies, manager, by=user, reason=reason, until=until.isoformat())
        write_notifications(
            conn,
            [],
            [
                {
                    "recipient": manager,
                    "kind": "snoozed",
                    "alert_id": alert_id,
                    "body": body,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            ],
        )

    result = _change(
        engine,
        policies,
        user,
        alert_id,
        "snoozed",
        a.state.in_((OPEN, SNOOZED)),
        {"state": SNOOZED, "snoozed_until": until, "snoozed_by": user, "snooze_reason": reason or None},
        {"until": until.isoformat(), "reason": reason, "manager_told": manager},
        then=tell_manager,
    )
    if result.ok and manager is not None:
        return ActionResult(
            True, f"Alert snoozed; {manager} was told (policy for {severity} alerts).", result.card, result.alert_ids
        )
    return result


def manager_of(policies: Policies, user: str) -> str | None:
    """The snooze policy's manager for the user's first role that has one, else the default; never the user."""
    rule = policies.alerts.snooze
    member = policies.staff(user)
    for role in member.roles if member else []:
        manager = rule.managers.get(role)
        if manager and manager != user:
            return manager
    if rule.default_manager and rule.default_manager != user:
        return rule.default_manager
    return None


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
    """Re-render every sent message that shows ``alert_id`` (single alert, roll-up or digest), in place."""
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
    """Alerts still open after their rule's timeout go to its escalation channel. The clock starts when the
    alert reached its owner (``delivered_at``); an alert never delivered escalates once the timeout has
    passed since it was due to be (a failed DM, an alert summarised out of a digest). Urgent rules use
    ``escalate_unacked_urgent_after``, digest rules ``escalate_unacked_digest_after``, unless they set their own.
    Alerts of a priority band with ``escalate: false`` never escalate (alerts from before bands existed do)."""
    a = Alert.__table__.c
    total = 0
    bands = [b.name for b in policies.alerts.ranking.bands if b.escalate]
    for rule in policies.alerts.rules:
        after = policies.alerts.escalation_after(rule)
        channel = rule.recipients.escalation_channel
        if after is None or channel is None:
            continue
        overdue = or_(
            a.delivered_at <= now - after,
            and_(a.delivered_at.is_(None), a.notify_due_at.is_not(None), a.notify_due_at <= now - after),
        )
        with engine.begin() as conn:
            ids = list(
                conn.scalars(
                    select(a.id)
                    .where(
                        a.rule == rule.name,
                        a.state == OPEN,
                        a.escalated_at.is_(None),
                        a.routed_at.is_not(None),
                        or_(a.band.in_(bands), a.band == ""),
                        overdue,
                    )
                    .order_by(a.priority.desc(), a.id)
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
            body = reader_body(policies, channel)
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
                    "body": body,
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
    """Snoozes that ran out: the alert is open again and its assignee (else owner) is reminded, routed like a
    new alert of the same priority (interruption caps, quiet hours)."""
    a, cust = Alert.__table__.c, Customer.__table__.c
    with engine.begin() as conn:
        rows = conn.execute(
            select(a.id, a.customer_id, a.tier, a.urgent, a.priority, a.reminders, a.assignee, a.recipient)
            .join(Customer.__table__, cust.id == a.customer_id)
            .where(a.state == SNOOZED, a.snoozed_until <= now)
            .limit(1000)
        ).all()
        if not rows:
            return 0
        woken = []
        for r in rows:
            won = conn.execute(
                update(Alert)
                .where(a.id == r.id, a.state == SNOOZED)
                .values(state=OPEN, snoozed_until=None, reminders=a.reminders + 1)
            ).rowcount
            who = r.assignee or r.recipient
            if won and who:
                woken.append((r, who))
        decisions = plan(
            [
                Candidate(int(r.id), int(r.customer_id), r.tier, bool(r.urgent), float(r.priority or 0), (who,))
                for r, who in woken
            ],
            policies.alerts.ranking,
            policies.alerts.defaults,
            now,
            staff_timezones(conn, policies),
            interruptions(conn, now),
        )
        rounds = {int(r.id): int(r.reminders) + 1 for r, _ in woken}
        notes: list[dict[str, Any]] = []
        out: list[dict[str, Any]] = []
        for d in decisions:
            rt = d.route
            notes.append(
                {
                    "alert_id": d.alert_id,
                    "recipient": rt.recipient,
                    "purpose": "reminder",
                    "round": rounds[d.alert_id],
                    "mode": rt.mode,
                    "reason": rt.reason,
                    "due_at": rt.due_at,
                    "created_at": now,
                }
            )
            if rt.mode == IMMEDIATE:
                out.append(
                    {
                        "recipient": rt.recipient,
                        "kind": "reminder",
                        "alert_id": d.alert_id,
                        "body": reader_body(policies, rt.recipient),
                        "state": PENDING,
                        "attempts": 0,
                        "next_attempt_at": rt.due_at,
                        "created_at": now,
                    }
                )
        write_notifications(conn, notes, out)
    return len(rows)


def open_alerts(
    engine: Engine,
    user: str,
    page: int = 1,
    per_page: int = OPEN_ALERTS_PAGE,
    policies: Policies | None = None,
    *,
    limit: int | None = None,
) -> OpenAlerts:
    """App Home and ``/rapport alerts``: open or snoozed alerts the user is assigned, or owns (as account owner
    or on duty) when nobody is assigned; highest priority first, one page, with the true total. ``policies``
    lets the cards show what the user's roles may see; ``limit`` is ``per_page`` by its older name."""
    per_page = max(1, limit or per_page)
    a = Alert.__table__.c
    where = (a.open_key.is_not(None), a.state.in_((OPEN, SNOOZED)), _mine(user))
    return _page(engine, user, where, page, per_page, policies)


def raised_alerts(
    engine: Engine, user: str, since: dt.datetime, until: dt.datetime, policies: Policies, limit: int
) -> OpenAlerts:
    """The alerts raised in ``[since, until)`` that the user is assigned, or owns when nobody is assigned, whatever
    they have become since (acked, resolved): "what alerts fired today?". Highest priority first."""
    a = Alert.__table__.c
    where = (a.created_at >= since, a.created_at < until, _mine(user))
    return _page(engine, user, where, 1, max(1, limit), policies)


def _mine(user: str) -> ColumnElement[bool]:
    a = Alert.__table__.c
    return or_(a.assignee == user, and_(a.assignee.is_(None), a.recipient == user))


def _page(
    engine: Engine,
    user: str,
    where: tuple[ColumnElement[bool], ...],
    page: int,
    per_page: int,
    policies: Policies | None,
) -> OpenAlerts:
    """One page of the alerts ``where`` selects, highest priority first, with the true total and the urgent count;
    each card showing what the user's roles may see."""
    a = Alert.__table__.c
    hidden = hidden_for(policies, user) if policies is not None else HIDE_ALL
    with engine.connect() as conn:
        total = int(conn.scalar(select(func.count()).where(*where)) or 0)
        urgent = int(conn.scalar(select(func.count()).where(*where, a.urgent.is_(True))) or 0)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        ids = list(
            conn.scalars(
                select(a.id)
                .where(*where)
                .order_by(a.priority.desc(), a.created_at.desc(), a.id.desc())
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        )
        return OpenAlerts(user, tuple(cards(conn, ids, hidden)), total, page, pages, urgent, per_page)
