"""Every customer-channel view renders within Slack's limits, and customer words in it never become a live
mention, broadcast or disguised link (whatever a customer, or a data source, typed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ask.customer_context import CustomerContext
from bot.channels.text import plain
from bot.channels.views import (
    AdminNote,
    ChannelStatus,
    ConversationLine,
    HomeConversations,
    LinkedCustomer,
    Nudge,
    Proposal,
    ProposalLine,
    TicketMade,
)
from bot.customers.card import CustomerCard
from bot.slack import ids
from bot.slack.views import render

NOW = dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC)
HOSTILE = [
    "<!channel> refund us now",
    "<!here|here> look",
    "<!subteam^SEVIL|@everyone> hi",
    "<https://evil.example|the signed contract>",
    "<@UEVIL> please",
    "&lt;!everyone&gt; escaped already",
]
LIVE = ("<!channel", "<!here", "<!everyone", "<!subteam^SEVIL", "<https://evil", "<@UEVIL")


def mrkdwn(node: object) -> list[str]:
    """Every mrkdwn string in blocks: where Slack turns <...> into mentions and links (plain_text it never does)."""
    if isinstance(node, list):
        return [t for x in node for t in mrkdwn(x)]
    if not isinstance(node, dict):
        return []
    found = [str(node["text"])] if node.get("type") == "mrkdwn" and "text" in node else []
    return found + [t for k, v in node.items() if k != "text" or node.get("type") != "mrkdwn" for t in mrkdwn(v)]


def live(blocks: object) -> list[str]:
    return [t for t in mrkdwn(blocks) if any(bad in t for bad in LIVE)]


def line(text: str, customer: str = "Acme Corp") -> ConversationLine:
    return ConversationLine(
        1,
        "C0EXT",
        "1.1",
        7,
        customer,
        "platinum",
        "P1",
        "open",
        NOW,
        NOW + dt.timedelta(minutes=15),
        dt.timedelta(minutes=15),
        dt.timedelta(minutes=12),
        plain(text),
    )


def views(text: str) -> list[object]:
    """Every view, with ``text`` wherever customer or source words go (as the feature hands it over)."""
    card = CustomerCard(7, text, "platinum", "U0AMPLAT", {"tier": "platinum", "owner": "U0AMPLAT"})
    conv = line(text, customer=text)
    return [
        ChannelStatus(
            "C0EXT",
            text,
            "linked",
            True,
            (LinkedCustomer(7, text, "platinum", "admin", "U0CSLEAD"),),
            (conv,),
            (ProposalLine(1, 7, text, "gold", text),),
            text,
        ),
        Proposal(1, "C0EXT", text, 7, text, "gold", text, "pending"),
        Proposal(1, "C0EXT", text, 7, text, "gold", text, "accepted", "U0CSLEAD"),
        AdminNote("C0EXT", "conflict", f"linked to {plain(text)}"),
        Nudge("U0AMPLAT", conv),
        TicketMade(
            3,
            text,
            plain(text),
            "P1",
            "https://sandbox.slack.com/archives/C0EXT/p1",
            "first response 1m",
            "9001",
            note=plain(text),
        ),
        CustomerContext("C0EXT", text, card, (conv,), (), None, plain(text), plain(text)),
        CustomerContext("C0EXT", "", None, (), (), None, plain(text), plain(text)),
        HomeConversations("U0AMPLAT", (conv,), 3),
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_words_stay_inert(text: str) -> None:
    for view in views(text):
        assert live(render(view)) == [], type(view).__name__


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_any_text_stays_inert_and_within_limits(text: str) -> None:
    for view in views(text):
        blocks = render(view)
        assert len(blocks) <= 50
        for b in blocks:
            if b.get("type") == "section" and "text" in b:
                assert len(b["text"]["text"]) <= 3000
        assert live(blocks) == []


def test_a_pending_proposal_offers_both_buttons_a_decided_one_none() -> None:
    pending, decided = views("Acme")[1:3]
    (buttons,) = [b for b in render(pending) if b["type"] == "actions"]
    assert [(e["action_id"], json.loads(e["value"])) for e in buttons["elements"]] == [
        (ids.CHANNEL_LINK_ACCEPT, {"p": 1}),
        (ids.CHANNEL_LINK_DECLINE, {"p": 1}),
    ]
    done = json.dumps(render(decided))
    assert ids.CHANNEL_LINK_ACCEPT not in done and "Linked by <@U0CSLEAD>" in done


def test_the_nudge_says_how_long_is_left() -> None:
    text = json.dumps(render(Nudge("U0AMPLAT", line("Our checkout is down"))))
    assert "3m left" in text and "Our checkout is down" in text
