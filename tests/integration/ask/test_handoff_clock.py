"""Hand-off loop: SLA clock from the tier's policy, claim once, resolve by the right people, re-escalation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.ask.handoff import PERSON_PRIORITY, claim, ladder, plan_handoff, reescalate_due, resolve, stats
from bot.ask.models import HandoffRecord
from bot.ask.service import AskService
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AuditEvent, Customer, Ticket

from .conftest import Clock


def _ask(services: Services, customer: str) -> int:
    with services.sessions() as s:
        cid = s.scalars(select(Customer.id).where(Customer.name == customer)).one()
    answer = AskService(services).answer("How do I reset a customer password?", "U0SUPAGT1", "C0SUPPORT", "1.1", cid)
    return int(answer.question_id or 0)


def test_get_a_person_tags_on_duty_and_clocks_the_tier_p2_first_response(services: Services, clock: Clock) -> None:
    qid = _ask(services, "Helios Analytics")
    h = plan_handoff(services, qid, "U0SUPAGT1", person=True, source_channel="C0SUPPORT", source_ts="1.1")
    assert h.tier == "platinum" and h.tag == services.policies.on_duty("platinum")
    assert h.due_at == clock.now + services.policies.sla_target("platinum", PERSON_PRIORITY).first_response
    assert h.answer and "reset" in h.answer  # the answer given travels with the hand-off
    assert h.channel == "C0ESCALATE"


def test_claim_once_resolve_by_claimer_and_stats(services: Services, clock: Clock) -> None:
    qid = _ask(services, "Northwave Foods Inc")
    h = plan_handoff(services, qid, "U0SUPAGT1", person=True)
    assert not claim(services, h.id, "U0STRANGER").changed  # not staff: refused before any change
    clock.advance(minutes=12)
    first = claim(services, h.id, "U0AMGOLD")
    second = claim(services, h.id, "U0SUPLEAD")  # a second click (or a second person) changes nothing
    assert first.changed and not second.changed and "U0AMGOLD" in second.message
    assert not resolve(services, h.id, "U0SUPAGT2").changed  # neither claimer, owner nor admin
    clock.advance(minutes=30)
    done = resolve(services, h.id, "U0AMGOLD")
    assert done.changed and done.state is not None and done.state.state == "resolved"
    assert not resolve(services, h.id, "U0AMGOLD").changed
    (gold,) = stats(services)
    assert gold.tier == "gold" and gold.claimed == gold.resolved == 1
    assert gold.median_to_claim is not None and gold.median_to_claim.total_seconds() == 12 * 60
    assert gold.median_to_resolve is not None and gold.median_to_resolve.total_seconds() == 42 * 60
    with services.sessions() as s:
        actions = set(s.scalars(select(AuditEvent.action)).all())
    assert {"ask.handoff", "ask.handoff_claimed", "ask.handoff_resolved"} <= actions


def test_unclaimed_handoff_is_reescalated_once_when_the_clock_runs_out(
    services: Services, clock: Clock, notifier: RecordingNotifier
) -> None:
    qid = _ask(services, "Helios Analytics")
    h = plan_handoff(services, qid, "U0SUPAGT1", person=True)
    assert h.due_at is not None
    clock.now = h.due_at - dt.timedelta(seconds=1)
    assert reescalate_due(services) == []  # not yet due
    clock.now = h.due_at
    (r,) = reescalate_due(services)
    assert reescalate_due(services) == []  # once per deadline
    steps = ladder(services.policies, "platinum")
    assert r.level == 1 and r.tag == steps[1].escalate_to and r.previous_tag == h.tag
    assert notifier.sent and notifier.sent[-1][1].view == r
    with services.sessions() as s:
        row = s.get(HandoffRecord, h.id)
        assert row is not None and row.due_at == clock.now + steps[1].within
    # A claimed hand-off is never re-escalated.
    claim(services, h.id, "U0CSLEAD")
    clock.advance(days=3)
    assert reescalate_due(services) == []


def _helios_with_p1_and_p3(services: Services, clock: Clock) -> int:
    with session_scope(services.sessions) as s:
        cid = s.scalars(select(Customer.id).where(Customer.name == "Helios Analytics")).one()
        for subject, priority, opened in [
            ("Outage", "P1", clock.now - dt.timedelta(hours=5)),
            ("Question", "P3", clock.now - dt.timedelta(minutes=30)),
        ]:
            s.add(Ticket(customer_id=cid, subject=subject, priority=priority, status="open", opened_at=opened))
    return cid


def test_escalate_from_a_thread_follow_up_hands_off_the_ticket_the_answer_was_about(
    services: Services, clock: Clock
) -> None:
    # was: the hand-off re-read the follow-up's words alone, found no priority and escalated their breached P1,
    # while the answer (read with the thread's earlier question) was about the P3
    cid = _helios_with_p1_and_p3(services, clock)
    ask = AskService(services)
    first = "Helios Analytics has a P3 open, who do I escalate to?"
    ask.answer(first, "U0SUPLEAD", "C0SUPPORT", "9.9")
    follow = ask.answer("and for that one?", "U0SUPLEAD", "C0SUPPORT", "9.9", earlier=first, thread_customer=cid)
    assert "P3" in follow.text and "P1 ticket" not in follow.text
    h = plan_handoff(services, int(follow.question_id or 0), "U0SUPLEAD", person=False)
    assert h.severity == "sev3" and h.reason is not None and "P3" in h.reason and "P1" not in h.reason


def test_escalate_from_an_answer_about_a_named_ticket_hands_off_that_ticket(services: Services, clock: Clock) -> None:
    # the answer was about ticket N (its clock); the Escalate button hands off N, not their most urgent P3
    cid = _helios_with_p1_and_p3(services, clock)
    with session_scope(services.sessions) as s:
        older = Ticket(
            customer_id=cid,
            subject="Older question",
            priority="P3",
            status="open",
            opened_at=clock.now - dt.timedelta(days=4),
        )
        s.add(older)
        s.flush()
        older_id = older.id
    with services.sessions() as s:
        newer = s.scalars(select(Ticket.id).where(Ticket.customer_id == cid, Ticket.subject == "Question")).one()
    answer = AskService(services).answer(f"who do I escalate ticket {newer} to?", "U0SUPLEAD", "C0SUPPORT", "9.8")
    assert f"P3 ticket #{newer} open" in answer.text, answer.text
    h = plan_handoff(services, int(answer.question_id or 0), "U0SUPLEAD", person=False)
    assert h.reason is not None and f"#{newer} " in h.reason and f"#{older_id} " not in h.reason, h.reason
