"""Escalations and "get a person" hand-offs: where they go and what they carry, so nobody asks twice."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ask.models import QuestionLog
from bot.ask.policy import escalation_finding
from bot.customers.card import CustomerCard, build_card
from bot.governance.audit import record
from bot.services import Services

DEFAULT_ESCALATION_CHANNEL = "C0ESCALATE"
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


class HandoffError(LookupError):
    pass


def plan_handoff(
    services: Services,
    question_id: int,
    requester: str,
    person: bool,
    source_channel: str | None = None,
    source_ts: str | None = None,
) -> Handoff:
    """Build (and audit) the hand-off for an answered question. Escalate uses the policy; person uses on-duty."""
    with services.sessions() as session, session.begin():
        q = session.get(QuestionLog, question_id)
        if q is None:
            raise HandoffError("That answer is no longer on record; ask again and I'll hand it over.")
        card = (
            build_card(session, services.policies, q.customer_id, CHANNEL_VIEWER, services.clock())
            if q.customer_id
            else None
        )
        finding = escalation_finding(services.policies, card, q.question) if card and not person else None
        if finding and finding.channel:
            channel, tag, severity, step = finding.channel, finding.escalate_to, finding.severity, finding.next_step
            reason = finding.summary
        else:
            tier = card.tier if card else services.policies.tier_names[-1]
            channel = DEFAULT_ESCALATION_CHANNEL
            tag = (card.owner if card and card.owner else None) or services.policies.on_duty(tier)
            severity, step = None, "Claim this hand-off and reply in the original thread."
            reason = "Asked for a person" if person else "Escalated from an answer"
        record(
            session,
            requester,
            "ask.handoff" if person else "ask.escalated",
            "question",
            question_id,
            {"channel": channel, "tag": tag, "severity": severity},
        )
        return Handoff(
            question_id, requester, channel, tag, q.question, reason, severity, step, card, source_channel, source_ts
        )
