""" "Customer context" and the App Home section: the card (its view audited), the open conversations with
their clocks, the tickets, and the playbook passage for the message, for staff only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from bot.ask.customer_context import customer_context
from bot.channels.home import home_conversations
from bot.services import Services
from bot.store.models import AuditEvent
from retrieval import Passage, SearchResult
from retrieval.embedder import HashingEmbedder

from .conftest import NOW, Channel

M = dt.timedelta(minutes=1)


class OnePassageIndex:
    """The playbook index, reduced to one passage about outages (the Ask pipeline runs on it)."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.embedder = HashingEmbedder()  # what the Ask pipeline reads questions with (a deterministic stand-in)

    def search(self, query: str, k: int = 5, **_: object) -> SearchResult:
        self.queries.append(query)
        passage = Passage(
            "service/escalation-matrix.md",
            "Escalation matrix > Platinum > Severity 1",
            10,
            20,
            "Escalation matrix",
            "U0SVCMGR",
            "1",
            ("platinum",),
            (),
            1.0,
            "A platinum severity 1 is escalated to the CS leads in #platinum-escalations within 15 minutes.",
        )
        return SearchResult(query, [passage], 0.9, True)

    def documents(self) -> list[object]:
        return []


def test_customer_context_shows_the_relationship_to_staff_only(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    services._index = OnePassageIndex()  # type: ignore[assignment]
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Our production checkout is down!", NOW - 12 * M)
    acme.customer("Also: invoice question for March", NOW - 40 * M)
    services.clock = lambda: NOW  # type: ignore[method-assign]
    ctx = customer_context(services, "C0EXTACME", "Our production checkout is down!", "U0AMPLAT")
    assert ctx.customer == "Acme Corp" and ctx.card is not None and ctx.card.name == "Acme Corp"
    assert "arr" in ctx.card.fields  # the owner (account manager) may see ARR
    waiting = {c.excerpt: c for c in ctx.conversations}
    down = waiting["Our production checkout is down!"]
    assert (down.priority, down.clock_state, down.elapsed) == ("P1", "at_risk", 12 * M)  # 80% of 15 min
    assert waiting["Also: invoice question for March"].clock_state == "ok"
    assert ctx.answer is not None and ctx.answer.answered and ctx.answer.citations
    assert "platinum-escalations" in ctx.answer.text
    with services.sessions() as s:
        viewed = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "customer.viewed")).all()
    assert len(viewed) == 1  # the card's view, audited once
    support = customer_context(services, "C0EXTACME", "Our production checkout is down!", "U0SUPAGT1")
    assert support.card is not None and "arr" not in support.card.fields  # redacted for a support agent
    outsider = customer_context(services, "C0EXTACME", "anything", "W0ACME")
    assert outsider.card is None and "for staff" in outsider.note


def test_in_an_unlinked_channel_the_message_names_the_customer(services: Services) -> None:
    services._index = OnePassageIndex()  # type: ignore[assignment]
    found = customer_context(services, "C0SUPPORT", "Globex asked about their renewal", "U0AMGOLD")
    assert found.customer == "Globex GmbH"
    none = customer_context(services, "C0SUPPORT", "lunch at noon?", "U0AMGOLD")
    assert none.card is None and "not linked" in none.note


def test_app_home_lists_the_owners_waiting_conversations(services: Services, channel: Callable[[str], Channel]) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Where is the SOC 2 report?", NOW)
    acme.customer("And the DPA, please", NOW + 30 * M)
    home = home_conversations(services, "U0AMPLAT")
    assert home is not None and home.total == 2 and [x.customer for x in home.lines] == ["Acme Corp"] * 2
    acme.staff("Both attached", NOW + 45 * M)
    assert home_conversations(services, "U0AMPLAT") is None
    assert home_conversations(services, "U0AMGOLD") is None
