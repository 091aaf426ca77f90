"""Reactions: ✅ resolves, 🚨 raises the priority, 🎫 by staff on a customer message makes one ticket on the
record (and in the helpdesk when one is configured), answered privately, which the SLA alert rules then watch;
on a staff message it is ignored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.alerts.evaluate import evaluate
from bot.alerts.models import Alert
from bot.channels.helpdesk import HelpdeskError, HelpdeskTicket
from bot.channels.models import RESOLVED, ChannelTicket, Conversation
from bot.channels.reactions import Reacted, react
from bot.channels.tickets import Source, write_to_helpdesk
from bot.services import Services
from bot.store.models import AuditEvent, Ticket

from .conftest import HOME, NOW, Channel, FakeDirectory

M = dt.timedelta(minutes=1)


def reacted(ch: str, ts: str, user: str, name: str) -> Reacted:
    return Reacted(ch, ts, user, name, None, HOME)


def conv(services: Services) -> Conversation:
    with services.sessions() as s:
        return s.scalars(select(Conversation)).one()


def test_a_check_mark_resolves_the_conversation(
    services: Services, channel: Callable[[str], Channel], directory: FakeDirectory
) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("The report is missing yesterday's data", NOW)
    answer_ts, _ = acme.staff("Re-ran it, can you check?", NOW + 5 * M, thread=ts)
    out = react(services, reacted("C0EXTACME", answer_ts, "W0ACME", "white_check_mark"), directory)  # the customer
    assert out.action == "resolved"
    c = conv(services)
    assert (c.state, c.resolved_how, c.resolved_by, c.open_key) == (RESOLVED, "reaction", "W0ACME", None)


def test_an_alarm_reaction_raises_an_unanswered_conversations_priority(
    services: Services, channel: Callable[[str], Channel], directory: FakeDirectory
) -> None:
    globex = channel("C0EXTGLOBEX")  # gold: P3 4h, P1 30m
    ts, _ = globex.customer("Exports are slower than usual", NOW)
    assert react(services, reacted("C0EXTGLOBEX", ts, "W0GLOBEX", "rotating_light"), directory).action == "raised"
    c = conv(services)
    assert (c.priority, c.priority_source, c.due_at) == ("P1", "reaction", NOW + 30 * M)
    assert react(services, reacted("C0EXTGLOBEX", ts, "U0SUPAGT1", "bangbang"), directory).action == "ignored"


def test_a_ticket_from_a_reaction_is_made_once_and_told_privately(
    services: Services, channel: Callable[[str], Channel], directory: FakeDirectory
) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Billing: the March invoice shows 500 seats, we have 300", NOW)
    out = react(services, reacted("C0EXTACME", ts, "U0SUPAGT1", "ticket"), directory)
    assert out.action == "ticket" and out.ticket is not None and not out.ticket.already
    made = out.ticket
    assert made.customer == "Acme Corp" and made.priority == "P3"
    assert made.subject.startswith("Billing: the March invoice")
    assert made.permalink.endswith(f"/C0EXTACME/p{ts.replace('.', '')}")
    assert made.clock_text.startswith("first response: 0m of 2h (P3, 24x7)")
    with services.sessions() as s:
        (t,) = s.scalars(select(Ticket)).all()
        (link,) = s.scalars(select(ChannelTicket)).all()
        assert (t.source, t.status, t.customer_id, t.opened_at) == ("slack", "open", 1, NOW)
        assert link.conversation_id == conv(services).id and link.created_by == "U0SUPAGT1"
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "channels.ticket_created"))
    again = react(services, reacted("C0EXTACME", ts, "U0AMPLAT", "ticket"), directory)
    assert again.ticket is not None and again.ticket.already and again.ticket.ticket_id == made.ticket_id
    # The staff reply is the ticket's first response too
    acme.staff("Correcting the invoice now", NOW + 7 * M, thread=ts)
    with services.sessions() as s:
        assert s.scalars(select(Ticket)).one().first_response_at == NOW + 7 * M


def test_ticket_reactions_on_staff_messages_or_by_customers_are_ignored(
    services: Services, channel: Callable[[str], Channel], directory: FakeDirectory
) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Question about SSO", NOW)
    staff_ts, _ = acme.staff("Sure, what's up?", NOW + M, thread=ts)
    assert react(services, reacted("C0EXTACME", staff_ts, "U0SUPAGT1", "ticket"), directory).reason == "a staff message"
    assert react(services, reacted("C0EXTACME", ts, "W0ACME", "ticket"), directory).action == "ignored"
    assert react(services, reacted("C0EXTACME", ts, "U0SUPAGT1", "tada"), directory).action == "ignored"
    with services.sessions() as s:
        assert s.scalars(select(Ticket)).all() == []


class FakeHelpdesk:
    def __init__(self, fail: bool = False) -> None:
        self.created: list[HelpdeskTicket] = []
        self.fail = fail

    def create(self, ticket: HelpdeskTicket) -> str:
        if self.fail:
            raise HelpdeskError("HTTP 403 from /api/v2/tickets.json (the token lacks permission)")
        self.created.append(ticket)
        return str(9000 + len(self.created))


def test_the_helpdesk_gets_the_ticket_too_when_configured(
    services: Services, channel: Callable[[str], Channel], directory: FakeDirectory
) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Our webhook deliveries stopped an hour ago", NOW)
    out = react(services, reacted("C0EXTACME", ts, "U0SUPAGT1", "ticket"), directory)
    assert out.ticket is not None
    with services.sessions() as s:
        link_id = s.scalars(select(ChannelTicket.id)).one()
    desk = FakeHelpdesk()
    source = Source("C0EXTACME", ts, "Our webhook deliveries stopped an hour ago")
    assert write_to_helpdesk(services, desk, link_id, source, "P2") == ""
    (sent,) = desk.created
    assert sent.external_id == f"slack:C0EXTACME:{ts}" and "From Slack: https://" in sent.body
    with services.sessions() as s:
        assert s.get(ChannelTicket, link_id).helpdesk_id == "9001"  # type: ignore[union-attr]
    note = write_to_helpdesk(services, FakeHelpdesk(fail=True), link_id, source, "P2")
    assert "token lacks permission" in note and "on the customer record" in note


@pytest.mark.parametrize("name", ["white_check_mark", "rotating_light", "ticket"])
def test_reactions_in_unlinked_channels_do_nothing(services: Services, directory: FakeDirectory, name: str) -> None:
    assert react(services, reacted("C0SUPPORT", "1.000001", "U0SUPAGT1", name), directory).action == "ignored"


def test_a_reaction_ticket_enters_the_normal_sla_alerts(
    services: Services, channel: Callable[[str], Channel], directory: FakeDirectory
) -> None:
    acme = channel("C0EXTACME")  # platinum, 24x7: P3 first response 2h
    ts, _ = acme.customer("Billing: the March invoice shows 500 seats, we have 300", NOW)
    assert react(services, reacted("C0EXTACME", ts, "U0SUPAGT1", "ticket"), directory).ticket is not None

    def sla_alerts() -> list[Alert]:
        with services.sessions() as s:
            return list(s.scalars(select(Alert).where(Alert.rule == "sla-breach", Alert.customer_id == 1)))

    evaluate(services.engine, services.policies, NOW + 119 * M, rules=["sla-breach"])
    assert sla_alerts() == []  # within the tier's target
    evaluate(services.engine, services.policies, NOW + 121 * M, rules=["sla-breach"])
    (alert,) = sla_alerts()
    facts = {f["key"]: f["value"] for f in alert.evidence["facts"]}
    assert facts["worst_ticket"] == "P3 first response" and facts["worst_target"] == 2.0
