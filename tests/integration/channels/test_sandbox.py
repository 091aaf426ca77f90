"""The sandbox's customer channel: a channel shared with the largest platinum account's organisation, its
persona able to post there (and nowhere else), linked, so the persona's first message starts a clock."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.links import status
from bot.channels.models import Conversation
from bot.demo.shared_channel import CHANNEL, PERSONA, SECOND_CHANNEL, how_to, seed_customer_channels
from bot.services import Services
from slackdouble import SlackDouble
from slackdouble.scopes import ALL_SCOPES

from .conftest import HOME


def test_the_sandbox_shares_a_linked_channel_with_a_platinum_persona(services: Services) -> None:
    double = SlackDouble("secret", team_id=HOME, scopes=ALL_SCOPES)
    double.add_user("U0AMPLAT", "priya.raman")
    double.add_channel("C0SUPPORT", "support-queue")
    said: list[str] = []
    persona = seed_customer_channels(double, services.engine, said.append)
    assert persona is not None and persona.customer == "Acme Corp" and persona.tier == "platinum"
    assert persona.second is not None and persona.second[0] == SECOND_CHANNEL  # Globex, for the proposal
    ch = double.workspace.channels[CHANNEL]
    assert ch.is_ext_shared and double.workspace.is_member(ch, PERSONA)
    assert not double.workspace.is_member(double.workspace.channels["C0SUPPORT"], PERSONA)
    assert double.workspace.users[PERSONA].email == "pat@acme.com"
    assert status(services, CHANNEL).customers[0].name == "Acme Corp"
    assert seed_customer_channels(double, services.engine, said.append) is not None  # a second run: still one link
    assert len(status(services, CHANNEL).customers) == 1
    text = how_to(persona)
    assert "Pat" in text and "15" in text and "#platinum-escalations" in text
    # The persona's message, as the bot will see it, starts a clock
    from bot.channels.directory import NoDirectory
    from bot.channels.tracking import Posted, Tracker

    d = double.post_user_message(PERSONA, CHANNEL, "Our API is down!")
    tracked = Tracker(services).track(
        Posted(CHANNEL, d.ts, PERSONA, d.text, team=double.workspace.users[PERSONA].team_id, home_team=HOME),
        NoDirectory(),
    )
    assert tracked.started
    with services.sessions() as s:
        assert s.scalars(select(Conversation.priority)).one() == "P1"
