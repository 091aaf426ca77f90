"""Escalations and "get a person" hand-offs: where they go, what they carry, and the SLA clock on them.

A hand-off is a row in ``ask_handoffs`` with a deadline. The clock for "Get a person" is the customer
tier's P2 *first response* target (sla.yaml): a person asking for a person is treated like a ticket whose
workaround is painful; an Escalate from a computed policy finding uses that escalation step's ``within``.
Clocks run in calendar time (a hand-off is internal work; business-hours tiers just get longer targets).
State moves only by conditional UPDATE, so a double click claims once and two schedulers re-escalate once.

One module because a hand-off's route, payload and clock are created, claimed and swept against the same
row and rules.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.ask.channel_config import load as load_channel
from bot.ask.models import (
    HANDOFF_CLAIMED,
    HANDOFF_OPEN,
    HANDOFF_RESOLVED,
    HandoffRecord,
    QuestionAnswer,
    QuestionLog,
)
from bot.ask.policy import escalation_finding
from bot.customers.card import CustomerCard, build_card
from bot.customers.tickets import named_ticket
from bot.governance.audit import record
from bot.notify import DeliveryError, Outbound
from bot.policies import EscalationStep, Policies
from bot.services import Services

log = logging.getLogger(__name__)
DEFAULT_ESCALATION_CHANNEL = "C0ESCALATE"
PERSON_PRIORITY = "P2"  # the SLA row whose first-response target clocks a "Get a person" hand-off
FINAL_REMINDER = dt.timedelta(days=1)  # after the last level: remind daily rather than spin
# Hand-offs are posted in shared channels: the card carries public fields only, whoever clicked.
CHANNEL_VIEWER = ""


@dataclass(frozen=True)
class Handoff:
    question_id: int
    requester: str
    channel: str
    tag: str | None  # user or group to notify
    question: str
    reason: str
    severity: str | None
    next_step: str | None
    customer: CustomerCard | None
    source_channel: str | None
    source_ts: str | None
    id: int = 0
    tier: str = ""
    due_at: dt.datetime | None = None
    answer: str = ""


@dataclass(frozen=True)
class HandoffState:
    """A hand-off as it stands, for updating its message in place."""

    id: int
    state: str
    tier: str
    tag: str | None
    question: str
    channel: str
    message_ts: str | None
    source_channel: str | None
    source_ts: str | None
    created_at: dt.datetime
    due_at: dt.datetime
    level: int
    claimed_by: str | None
    claimed_at: dt.datetime | None
    resolved_by: str | None
    resolved_at: dt.datetime | None


@dataclass(frozen=True)
class Transition:
    changed: bool
    message: str  # for the clicker
    state: HandoffState | None


@dataclass(frozen=True)
class Reescalation:
    """Posted when a hand-off's clock ran out unclaimed: the next level is tagged."""

    handoff_id: int
    question: str
    tier: str
    tag: str | None
    previous_tag: str | None
    overdue_by: dt.timedelta
    level: int
    next_step: str
    link_channel: str
    link_ts: str | None


class HandoffError(LookupError):
    pass


def _resolve_target(policies: Policies, target: str, tier: str, card: CustomerCard | None) -> str | None:
    if target == "owner":
        return (card.owner if card else None) or policies.on_duty(tier)
    if target == "on_duty":
        return policies.on_duty(tier)
    return target


def plan_handoff(
    services: Services,
    question_id: int,
    requester: str,
    person: bool,
    source_channel: str | None = None,
    source_ts: str | None = None,
) -> Handoff:
    """Build, record (with its clock) and audit the hand-off. Escalate uses the policy; person uses on-duty."""
    now = services.clock()
    policies = services.policies
    with services.sessions() as session, session.begin():
        q = session.get(QuestionLog, question_id)
        if q is None:
            raise HandoffError("That answer is no longer on record; ask again and I'll hand it over.")
        card = build_card(session, policies, q.customer_id, CHANNEL_VIEWER, now) if q.customer_id else None
        tier = card.tier if card else policies.tier_names[-1]
        # the ticket the question named, if it is this customer's ("who do I escalate #1305 to?"): its clock
        named = named_ticket(session, q.question) if card else None
        ticket = named.id if named is not None and card is not None and named.customer_id == card.customer_id else None
        finding = escalation_finding(policies, card, q.question, q.priority, ticket) if card and not person else None
        if finding and finding.channel and finding.severity:
            channel, tag, severity, step = finding.channel, finding.escalate_to, finding.severity, finding.next_step
            reason = finding.summary
            window = policies.escalation_for(tier, finding.severity).within
        else:
            configured = load_channel(session, source_channel).escalation if source_channel else None
            channel = configured or DEFAULT_ESCALATION_CHANNEL
            tag = policies.on_duty(tier) or (card.owner if card else None)
            severity, step = None, "Claim this hand-off and reply in the original thread."
            reason = "Asked for a person" if person else "Escalated from an answer"
            window = policies.sla_target(tier, PERSON_PRIORITY).first_response
        given = session.get(QuestionAnswer, question_id)
        row = HandoffRecord(
            question_id=question_id,
            kind="person" if person else "escalate",
            requester=requester,
            tier=tier,
            channel=channel,
            tag=tag,
            source_channel=source_channel,
            source_ts=source_ts,
            state=HANDOFF_OPEN,
            level=0,
            created_at=now,
            due_at=now + window,
        )
        session.add(row)
        session.flush()
        record(
            session,
            requester,
            "ask.handoff" if person else "ask.escalated",
            "question",
            question_id,
            {"handoff": row.id, "channel": channel, "tag": tag, "severity": severity, "due_at": row.due_at.isoformat()},
        )
        return Handoff(
            question_id,
            requester,
            channel,
            tag,
            q.question,
            reason,
            severity,
            step,
            card,
            source_channel,
            source_ts,
            id=row.id,
            tier=tier,
            due_at=row.due_at,
            answer=given.answer_text if given else "",
        )


def posted(services: Services, handoff_id: int, channel: str, ts: str) -> None:
    """Remember where the hand-off message is, so Claim/Resolve and re-escalation can update it."""
    with services.sessions() as session, session.begin():
        session.execute(
            update(HandoffRecord).where(HandoffRecord.id == handoff_id).values(message_ts=ts, channel=channel)
        )


def _state(row: HandoffRecord, question: str) -> HandoffState:
    return HandoffState(
        row.id,
        row.state,
        row.tier,
        row.tag,
        question,
        row.channel,
        row.message_ts,
        row.source_channel,
        row.source_ts,
        row.created_at,
        row.due_at,
        row.level,
        row.claimed_by,
        row.claimed_at,
        row.resolved_by,
        row.resolved_at,
    )


def _load(session: Session, handoff_id: int) -> HandoffState | None:
    row = session.get(HandoffRecord, handoff_id, populate_existing=True)
    if row is None:
        return None
    q = session.get(QuestionLog, row.question_id)
    return _state(row, q.question if q else "")


def claim(services: Services, handoff_id: int, user_id: str) -> Transition:
    """Staff only; the first click wins (conditional update on ``state = open``)."""
    if services.policies.staff(user_id) is None:
        return Transition(False, "Only Rapport staff can claim hand-offs.", None)
    now = services.clock()
    with services.sessions() as session, session.begin():
        res = session.execute(
            update(HandoffRecord)
            .where(HandoffRecord.id == handoff_id, HandoffRecord.state == HANDOFF_OPEN)
            .values(state=HANDOFF_CLAIMED, claimed_by=user_id, claimed_at=now)
        )
        state = _load(session, handoff_id)
        if state is None:
            return Transition(False, "That hand-off is no longer on record.", None)
        if not res.rowcount:  # type: ignore[attr-defined]
            who = state.claimed_by or state.resolved_by
            return Transition(False, f"Already {state.state} by <@{who}>.", state)
        record(
            session,
            user_id,
            "ask.handoff_claimed",
            "handoff",
            handoff_id,
            {"tier": state.tier, "seconds_to_claim": int((now - state.created_at).total_seconds())},
        )
        return Transition(True, "You claimed it: reply in the original thread.", state)


def resolve(services: Services, handoff_id: int, user_id: str) -> Transition:
    """The claimer, the tagged owner/group, or an admin may resolve; once."""
    now = services.clock()
    policies = services.policies
    with services.sessions() as session, session.begin():
        current = _load(session, handoff_id)
        if current is None:
            return Transition(False, "That hand-off is no longer on record.", None)
        allowed = (
            user_id == current.claimed_by
            or (current.tag is not None and policies.is_member(user_id, current.tag))
            or policies.is_admin(user_id)
        )
        if not allowed:
            return Transition(False, "Only whoever claimed this hand-off (or its owner) can resolve it.", current)
        res = session.execute(
            update(HandoffRecord)
            .where(HandoffRecord.id == handoff_id, HandoffRecord.state.in_((HANDOFF_OPEN, HANDOFF_CLAIMED)))
            .values(
                state=HANDOFF_RESOLVED,
                resolved_by=user_id,
                resolved_at=now,
                claimed_by=current.claimed_by or user_id,
                claimed_at=current.claimed_at or now,
            )
        )
        state = _load(session, handoff_id)
        assert state is not None
        if not res.rowcount:  # type: ignore[attr-defined]
            return Transition(False, f"Already resolved by <@{state.resolved_by}>.", state)
        record(
            session,
            user_id,
            "ask.handoff_resolved",
            "handoff",
            handoff_id,
            {"tier": state.tier, "seconds_to_resolve": int((now - state.created_at).total_seconds())},
        )
        return Transition(True, "Resolved. Thanks for closing the loop.", state)


def ladder(policies: Policies, tier: str) -> list[EscalationStep]:
    """Who comes next when a hand-off sits unclaimed: the tier's sev2 path, then the senior sev1 levels."""
    steps = list(policies.escalation_path(tier, "sev2")) + list(policies.escalation_path(tier, "sev1"))[1:]
    seen: set[tuple[str, str]] = set()
    out = []
    for s in steps:
        if (s.escalate_to, s.channel) not in seen:
            seen.add((s.escalate_to, s.channel))
            out.append(s)
    return out


def reescalate_due(services: Services, limit: int = 100) -> list[Reescalation]:
    """Unclaimed hand-offs past their deadline go to the next level (once per deadline, race-safe)."""
    now = services.clock()
    policies = services.policies
    done: list[Reescalation] = []
    with services.sessions() as session:
        due = session.scalars(
            select(HandoffRecord)
            .where(HandoffRecord.state == HANDOFF_OPEN, HandoffRecord.due_at <= now)
            .order_by(HandoffRecord.due_at)
            .limit(limit)
        ).all()
        candidates = [(r.id, r.level, r.due_at, r.tier, r.tag, r.question_id) for r in due]
    for hid, level, due_at, tier, tag, question_id in candidates:
        steps = ladder(policies, tier)
        nxt = steps[min(level + 1, len(steps) - 1)]
        last = level + 1 >= len(steps)
        with services.sessions() as session, session.begin():
            q = session.get(QuestionLog, question_id)
            card = build_card(session, policies, q.customer_id, CHANNEL_VIEWER, now) if q and q.customer_id else None
            target = _resolve_target(policies, nxt.escalate_to, tier, card)
            res = session.execute(
                update(HandoffRecord)
                .where(HandoffRecord.id == hid, HandoffRecord.state == HANDOFF_OPEN, HandoffRecord.level == level)
                .values(
                    level=level + 1,
                    tag=target,
                    due_at=now + (FINAL_REMINDER if last else nxt.within),
                    reescalated_at=now,
                )
            )
            if not res.rowcount:  # type: ignore[attr-defined]
                continue  # claimed meanwhile, or another process got there first
            row = session.get(HandoffRecord, hid)
            assert row is not None
            record(
                session,
                "rapport",
                "ask.handoff_reescalated",
                "handoff",
                hid,
                {
                    "tier": tier,
                    "level": level + 1,
                    "tag": target,
                    "overdue_seconds": int((now - due_at).total_seconds()),
                },
            )
            done.append(
                Reescalation(
                    hid,
                    q.question if q else "",
                    tier,
                    target,
                    tag,
                    now - due_at,
                    level + 1,
                    nxt.next_step,
                    row.channel,
                    row.message_ts,
                )
            )
    for r in done:
        # In the hand-off's own thread (context stays together), tagging the next level.
        try:
            services.notifier.send(
                Outbound(
                    channel=r.link_channel,
                    text=f"Hand-off unclaimed past its SLA: escalating to the next level ({r.tier})",
                    view=r,
                    thread_ts=r.link_ts,
                )
            )
        except DeliveryError:
            log.exception("re-escalation notice for hand-off %s not delivered", r.handoff_id)
    return done


@dataclass(frozen=True)
class TierStats:
    tier: str
    handoffs: int
    claimed: int
    resolved: int
    reescalated: int
    median_to_claim: dt.timedelta | None
    median_to_resolve: dt.timedelta | None


def stats(services: Services, since: dt.datetime | None = None) -> list[TierStats]:
    """Time to claim and to resolve per tier (the loop-closing measure)."""
    with services.sessions() as session:
        q = select(HandoffRecord)
        if since is not None:
            q = q.where(HandoffRecord.created_at >= since)
        rows = session.scalars(q).all()
    out = []
    for tier in services.policies.tier_names:
        mine = [r for r in rows if r.tier == tier]
        if not mine:
            continue
        to_claim = [(r.claimed_at - r.created_at).total_seconds() for r in mine if r.claimed_at]
        to_resolve = [(r.resolved_at - r.created_at).total_seconds() for r in mine if r.resolved_at]
        out.append(
            TierStats(
                tier,
                len(mine),
                len(to_claim),
                len(to_resolve),
                sum(1 for r in mine if r.level > 0),
                dt.timedelta(seconds=statistics.median(to_claim)) if to_claim else None,
                dt.timedelta(seconds=statistics.median(to_resolve)) if to_resolve else None,
            )
        )
    return out
