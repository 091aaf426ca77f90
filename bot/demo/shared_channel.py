"""The sandbox's customer channels: a Slack Connect channel shared with a customer persona, linked to that
customer, so a person can post as the customer and watch the clock, the owner's DM and the alert; and a
second shared channel Rapport has not seen, shared once the bot runs, so an admin gets a link proposal.

The customer is the demo book's largest platinum account with an owner (a platinum P1 clock is 15 minutes:
the owner's DM at about 11, the alert to the owner and #platinum-escalations at 15, within a sweep).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from bot.channels.links import add_link, resolve
from bot.customers.normalize import slug
from bot.services import utc_now
from bot.store.db import make_session_factory
from bot.store.models import Customer, CustomerIdentifier
from slackdouble import SlackDouble

CHANNEL, PERSONA, TEAM = "C0EXTDEMO", "W0DEMOCUST", "T0DEMOCUST"
SECOND_CHANNEL, SECOND_PERSONA, SECOND_TEAM = "C0EXTNEW", "W0DEMONEW", "T0DEMONEW"


@dataclass(frozen=True)
class Persona:
    customer: str
    tier: str
    owner: str | None
    channel: str
    channel_name: str
    user: str
    second: tuple[str, str, str] | None = None  # (channel, its name, the other customer): proposed to admins


def _accounts(engine: Engine, tier: str | None, limit: int, skip: int | None = None) -> list[tuple[Customer, str]]:
    """The largest accounts (of ``tier``) with an owner and a domain, largest first."""
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(Customer, CustomerIdentifier.value)
            .join(CustomerIdentifier, CustomerIdentifier.customer_id == Customer.id)
            .where(
                Customer.tier == tier if tier else Customer.tier.is_not(None),
                Customer.id != (skip or 0),
                Customer.merged_into_id.is_(None),
                Customer.owner_slack_id.is_not(None),
                CustomerIdentifier.kind == "domain",
            )
            .order_by(Customer.arr.desc(), Customer.id)
            .limit(limit)
        ).all()
        return [(c, str(domain)) for c, domain in rows]


def seed_customer_channels(double: SlackDouble, engine: Engine, echo: Callable[[str], object]) -> Persona | None:
    """Before the bot starts: the customer's organisation and persona, the shared channel, and its link."""
    accounts = _accounts(engine, "platinum", 1)
    if not accounts:
        echo("customer channel: no platinum account with an owner and a domain in the book; skipped")
        return None
    customer, domain = accounts[0]
    name = f"ext-{slug(customer.name)[:60]}"
    double.add_team(TEAM, customer.name)
    first = customer.name.split()[0]
    double.add_user(
        PERSONA,
        f"pat.{slug(first)}",
        real_name=f"Pat ({first})",
        email=f"pat@{domain}",
        team_id=TEAM,
        tz=customer.timezone or "UTC",
    )
    double.add_channel(CHANNEL, name, topic=f"Shared with {customer.name} (Slack Connect)")
    double.share_channel(CHANNEL, TEAM, [PERSONA], deliver=False)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        if resolve(session, CHANNEL).state == "unlinked":
            c = session.get(Customer, customer.id)
            assert c is not None
            add_link(session, CHANNEL, c, "admin", "system:demo", utc_now())
    second = None
    others = _accounts(engine, None, 1, skip=customer.id)  # the next largest account, of any tier
    if others:
        other, other_domain = others[0]
        double.add_team(SECOND_TEAM, other.name)
        double.add_user(
            SECOND_PERSONA,
            "sam.customer",
            real_name=f"Sam ({other.name.split()[0]})",
            email=f"sam@{other_domain}",
            team_id=SECOND_TEAM,
            tz=other.timezone or "UTC",
        )
        second_name = f"ext-{slug(other.name)[:60]}"
        double.add_channel(SECOND_CHANNEL, second_name, topic=f"Shared with {other.name} (Slack Connect)")
        second = (SECOND_CHANNEL, second_name, other.name)
    return Persona(customer.name, customer.tier, customer.owner_slack_id, CHANNEL, name, PERSONA, second)


def share_second_channel(double: SlackDouble, persona: Persona | None) -> None:
    """Once the bot runs: the second channel is shared with its customer (channel_shared is delivered), so the
    admins get a proposal to link it."""
    if persona is not None and persona.second is not None:
        double.share_channel(persona.second[0], SECOND_TEAM, [SECOND_PERSONA])


def how_to(persona: Persona | None) -> str:
    if persona is None:
        return ""
    owner = f"its owner {persona.owner}" if persona.owner else "the on-duty owner"
    lines = [
        f"Customer channel: #{persona.channel_name} is shared with {persona.customer} ({persona.tier}). Pick "
        f"'You are: Pat' on the page and post there, e.g. 'Our API is down': a P1 first-response clock of 15 "
        f"minutes starts; {owner} gets a DM at 75% and #platinum-escalations an alert at 15 minutes, unless "
        "staff reply in the thread first. `/rapport channel show` in the channel shows the clock; 🎫, ✅ and "
        "'Customer context' are on each message.",
    ]
    if persona.second is not None:
        lines.append(
            f"#{persona.second[1]} was just shared with {persona.second[2]}: Dana Whitfield (U0CSLEAD) has a "
            "proposal to link it in her DM."
        )
    return "\n".join(lines)
