"""The clock sweep (every 30 s, one process at a time): owners' DMs at 75%, breach alerts, quiet resolution.

* **Nudge**: an unanswered conversation past ``nudge_percent`` of its target, not yet breached, DMs its owner
  (the account owner, else the tier's on-duty member) once: the claim (``nudged_at``) is a conditional update
  and a failed DM is released for the next sweep. In the owner's quiet hours a nudge waits, unless the
  conversation is urgent (P1/P2) or the customer's tier is never deferred (``alerts.yaml``).
* **Breach**: :func:`bot.channels.breaches.raise_breaches`.
* **Quiet**: an answered conversation with no message for ``resolve_after_quiet`` resolves (its tickets from
  Slack are solved with it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update

from bot.alerts.clock import quiet_until
from bot.alerts.evaluate import staff_timezones
from bot.channels.breaches import URGENT, Breach, owner_or_on_duty, raise_breaches
from bot.channels.lines import conversation_lines
from bot.channels.models import ANSWERED, OPEN, RESOLVED, ChannelTicket, Conversation
from bot.channels.views import Nudge
from bot.notify import DeliveryError, Outbound
from bot.services import Services
from bot.store.models import Ticket

log = logging.getLogger(__name__)
BATCH = 200


@dataclass
class SweepReport:
    nudged: int = 0
    nudges_waiting: int = 0  # in the owner's quiet hours
    breaches: list[Breach] = field(default_factory=list)
    resolved: int = 0


def sweep(services: Services, now: dt.datetime | None = None) -> SweepReport:
    now = now or services.clock()
    report = SweepReport()
    send_nudges(services, now, report)
    report.breaches = raise_breaches(services.engine, services.policies, now)
    report.resolved = resolve_quiet(services, now)
    if report.nudged or report.breaches or report.resolved:
        log.info(
            "customer channels: %d nudge(s), %d breach alert(s), %d resolved after a quiet period",
            report.nudged,
            len(report.breaches),
            report.resolved,
        )
    return report


def send_nudges(services: Services, now: dt.datetime, report: SweepReport) -> None:
    policies = services.policies
    c = Conversation.__table__.c
    never = set(policies.alerts.ranking.never_defer_tiers)
    quiet = policies.alerts.defaults.quiet_hours
    with services.sessions() as session:
        rows = session.scalars(
            select(Conversation)
            .where(
                c.state == OPEN,
                c.first_response_at.is_(None),
                c.nudged_at.is_(None),
                c.nudge_at <= now,
                c.due_at > now,
            )
            .order_by(c.nudge_at)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        tz_of = staff_timezones(session.connection(), policies)
        lines = {x.id: x for x in conversation_lines(session, rows, now, policies.sla.business_hours)}
    for conv in rows:
        owner = owner_or_on_duty(policies, conv.owner, conv.tier, conv.customer_id)
        urgent = conv.priority in URGENT or conv.tier in never
        if owner and not urgent and quiet_until(now, tz_of(owner), quiet.start, quiet.end) is not None:
            report.nudges_waiting += 1
            continue
        with services.sessions.begin() as session:
            won = session.scalar(
                update(Conversation).where(c.id == conv.id, c.nudged_at.is_(None)).values(nudged_at=now).returning(c.id)
            )
        if not won or not owner:
            continue
        line = lines[conv.id]
        pct = policies.channels.customer_channels.nudge_percent
        text = f"{line.customer}: a {line.priority} customer message is at {pct}% of its first-response target"
        try:
            services.notifier.send(Outbound(owner, text, Nudge(owner, line)))
            report.nudged += 1
        except DeliveryError as exc:
            log.warning("nudge for conversation %s to %s failed: %s", conv.id, owner, exc)
            if not exc.permanent:
                with services.sessions.begin() as session:
                    session.execute(update(Conversation).where(c.id == conv.id).values(nudged_at=None))


def resolve_quiet(services: Services, now: dt.datetime) -> int:
    after = services.policies.channels.customer_channels.resolve_after_quiet
    c = Conversation.__table__.c
    with services.sessions.begin() as session:
        ids = list(
            session.scalars(
                update(Conversation)
                .where(c.state == ANSWERED, c.open_key.is_not(None), c.last_activity_at <= now - after)
                .values(state=RESOLVED, open_key=None, resolved_at=now, resolved_how="quiet")
                .returning(c.id)
            )
        )
        if ids:
            session.execute(
                update(Ticket)
                .where(
                    Ticket.id.in_(select(ChannelTicket.ticket_id).where(ChannelTicket.conversation_id.in_(ids))),
                    Ticket.status.in_(("open", "pending")),
                )
                .values(status="solved", resolved_at=now)
            )
    return len(ids)
