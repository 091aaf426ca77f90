"""A first-response clock past its target becomes an alert, through the alerts feature's own machinery.

Each breached conversation gets one alert (``rule`` :data:`RULE`, ``open_key`` ``RULE:<conversation>``: one per
conversation, whatever the job's retries or replicas do), with its priority and band from ``alerts.yaml``'s
ranking (severity from the conversation's priority, x tier x ARR), routed by :func:`bot.alerts.routing.plan`
(owner else the tier's on-duty member; interruption caps; quiet hours, which bands and never-defer tiers
break through) to the owner and to the tier's escalation channel from ``escalation.yaml`` (not for a band
with ``escalate: false``), and written to the alert outbox by :func:`bot.alerts.evaluate.write_routes` in the
same transaction as the claim. Delivery, Ack/Snooze/Assign, snooze wake-ups and the open-alerts list are the
alerts feature's as for any alert. An answer (or the conversation's end) resolves the alert.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from bot.alerts.evaluate import NewAlert, interruptions, staff_timezones, write_routes
from bot.alerts.evidence import Evidence, Fact, span
from bot.alerts.models import OPEN as ALERT_OPEN
from bot.alerts.models import Alert
from bot.alerts.routing import Candidate, on_duty_member, plan
from bot.channels.lines import clock_of
from bot.channels.models import OPEN, Conversation, SharedChannel
from bot.governance import audit
from bot.policies import Policies, UnknownPolicyKey
from bot.store.models import Customer

log = logging.getLogger(__name__)
RULE = "customer-channel-first-response"
KIND = "conversation_sla"
SEVERITY = {"P1": "critical", "P2": "high", "P3": "medium", "P4": "low"}
URGENT = ("P1", "P2")
BATCH = 200


@dataclass(frozen=True)
class Breach:
    conversation_id: int
    alert_id: int
    customer_id: int
    recipients: tuple[str, ...]


def owner_or_on_duty(policies: Policies, owner: str | None, tier: str, customer_id: int) -> str | None:
    if owner:
        return owner
    duty = policies.roles.on_duty.get(tier)
    group = policies.group(duty) if duty else None
    return on_duty_member(duty, group.members if group else (), customer_id)


def escalation_channel(policies: Policies, tier: str, priority: str) -> str | None:
    try:
        return policies.escalation_for(tier, priority).channel
    except (UnknownPolicyKey, IndexError, KeyError):
        return None


def evidence(conv: Conversation, channel_name: str, waited: dt.timedelta, now: dt.datetime) -> Evidence:
    target = dt.timedelta(seconds=conv.target_seconds)
    coverage = "business hours" if conv.coverage == "business_hours" else "24x7"
    where = f"#{channel_name}" if channel_name else "the customer channel"
    label = (
        f"Customer message unanswered in {where} for {span(waited.total_seconds() / 3600)} "
        f"({conv.priority} first-response target {span(target.total_seconds() / 3600)}, {coverage}): "
        f"“{conv.excerpt[:140]}”"
    )
    facts = (
        Fact(
            "waited",
            "waiting for a first response",
            waited.total_seconds() / 3600,
            "hours",
            threshold=target.total_seconds() / 3600,
            op=">",
            met=True,
        ),
        Fact("priority", "priority", conv.priority, "text"),
        Fact("coverage", "coverage", coverage, "text"),
        Fact("channel", "channel", where, "text"),
        Fact("started_at", "asked at", conv.started_at.isoformat(timespec="minutes"), "date"),
        Fact("due_at", "due at", conv.due_at.isoformat(timespec="minutes"), "date"),
        Fact("message", "message", conv.excerpt, "text"),
        Fact("conversation", "conversation", float(conv.id), "count"),
    )
    return Evidence(KIND, label, facts, 0.0)


def raise_breaches(engine: Engine, policies: Policies, now: dt.datetime, limit: int = BATCH) -> list[Breach]:
    """Alert every open conversation whose first-response clock ran out by ``now`` (each once)."""
    c = Conversation.__table__.c
    with engine.connect() as conn:
        due = list(
            conn.scalars(
                select(c.id)
                .where(c.state == OPEN, c.breached_at.is_(None), c.first_response_at.is_(None), c.due_at <= now)
                .order_by(c.due_at)
                .limit(limit)
            )
        )
    if not due:
        return []
    with Session(engine) as session, session.begin():
        conn = session.connection()
        # Claim first (the transaction's first write takes SQLite's lock): a conversation alerts once.
        won = list(
            conn.scalars(
                update(Conversation)
                .where(c.id.in_(due), c.breached_at.is_(None), c.state == OPEN, c.first_response_at.is_(None))
                .values(breached_at=now)
                .returning(c.id)
            )
        )
        if not won:
            return []
        convs = session.scalars(select(Conversation).where(c.id.in_(won)).order_by(c.due_at)).all()
        made = _alerts(session, conn, policies, convs, now)
    return made


def _alerts(
    session: Session, conn: Connection, policies: Policies, rows: Sequence[Conversation], now: dt.datetime
) -> list[Breach]:
    customers = {
        r.id: r
        for r in conn.execute(
            select(Customer.id, Customer.name, Customer.arr).where(Customer.id.in_({x.customer_id for x in rows}))
        )
    }
    names = dict(
        conn.execute(
            select(SharedChannel.channel_id, SharedChannel.name).where(
                SharedChannel.channel_id.in_({x.channel_id for x in rows})
            )
        ).all()
    )
    ranking = policies.alerts.ranking
    hours = policies.sla.business_hours
    bands_escalating = {b.name for b in ranking.bands if b.escalate}
    pending: list[NewAlert] = []
    out: list[Breach] = []
    for conv in rows:
        cust = customers.get(conv.customer_id)
        if cust is None:
            continue
        severity = SEVERITY.get(conv.priority, "medium")
        score = ranking.score(severity, conv.tier, float(cust.arr or 0))
        band = ranking.band(score).name
        waited = clock_of(conv, hours).elapsed(conv.started_at, now)
        ev = evidence(conv, str(names.get(conv.channel_id) or ""), waited, now)
        owner = owner_or_on_duty(policies, conv.owner, conv.tier, conv.customer_id)
        recipients = [r for r in (owner,) if r]
        esc = escalation_channel(policies, conv.tier, conv.priority)
        if esc and band in bands_escalating and esc not in recipients:
            recipients.append(esc)
        alert_id = conn.execute(
            insert(Alert)
            .values(
                rule=RULE,
                kind=KIND,
                customer_id=conv.customer_id,
                tier=conv.tier,
                severity=severity,
                urgent=conv.priority in URGENT,
                state=ALERT_OPEN,
                open_key=f"{RULE}:{conv.id}",
                evidence={**ev.to_json(), "summary": ev.label},
                created_at=now,
                last_seen_at=now,
                seen_count=1,
                reminders=0,
                priority=score,
                band=band,
                value_at_risk=0.0,
                recipient=owner,
                routed_at=now,
            )
            .returning(Alert.__table__.c.id)
        ).scalar_one()
        conv.alert_id = alert_id
        pending.append(
            NewAlert(
                alert_id,
                RULE,
                conv.customer_id,
                str(cust.name),
                conv.tier,
                severity,
                True,
                score,
                band,
                ev.label,
                tuple(recipients),
            )
        )
        out.append(Breach(conv.id, alert_id, conv.customer_id, tuple(recipients)))
        audit.record(
            session,
            "system:channels",
            "channels.breached",
            "conversation",
            conv.id,
            {"alert_id": alert_id, "priority": conv.priority, "tier": conv.tier, "recipients": recipients},
        )
    # Every breach interrupts as its band allows (urgent for routing): "nothing slips" is the point of a clock.
    route(conn, policies, pending, now, interrupt=True)
    session.flush()
    return out


def route(
    conn: Connection, policies: Policies, pending: Sequence[NewAlert], now: dt.datetime, interrupt: bool | None = None
) -> None:
    """Alerts written here go where the alerts feature sends its own: :func:`bot.alerts.routing.plan` (roll-ups,
    interruption caps, quiet hours) and the outbox (:func:`bot.alerts.evaluate.write_routes`), in the caller's
    transaction. ``interrupt``: route as urgent (or not) whatever the alert's own flag."""
    urgent = (lambda x: x.urgent) if interrupt is None else (lambda x: interrupt)
    decisions = plan(
        [Candidate(x.id, x.customer_id, x.tier, urgent(x), x.priority, x.recipients) for x in pending if x.recipients],
        policies.alerts.ranking,
        policies.alerts.defaults,
        now,
        staff_timezones(conn, policies),
        interruptions(conn, now),
    )
    write_routes(conn, decisions, pending, now, policies)
