"""Customer messages waiting in shared channels: "is anyone from Acme waiting on a reply?" (that customer's open
conversations), "which customer messages are waiting for a reply?" (the unanswered ones of the asker's accounts,
as App Home lists them). Each with its first-response clock (:mod:`bot.channels.home`); the customer's words are
quoted inert. And which channels a customer is linked to: "is Acme in a shared channel with us?"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.ask.policy import PolicyFinding
from bot.channels.home import customer_conversations, home_conversations
from bot.channels.models import ChannelLink, SharedChannel
from bot.channels.views import ConversationLine
from bot.customers.card import CustomerCard
from bot.customers.sla import human
from bot.services import Services

EXCERPT = 120  # characters of the customer's message quoted
_STATE = {"breached": "*past target*", "at_risk": "*near target*", "answered_late": "answered late"}


def waiting_finding(session: Session, services: Services, asker: str, card: CustomerCard | None) -> PolicyFinding:
    """With a customer in view, their conversations still open; else the asker's accounts' unanswered ones."""
    if card is not None:
        name = mrkdwn.bold(card.name)
        lines = customer_conversations(session, services, card.customer_id)
        if not lines:
            return _finding(f"No conversation with {name} is open in a shared channel.")
        n = len(lines)
        head = f"{name} has {n} conversation{'' if n == 1 else 's'} open in shared channels, unanswered first:"
        return _finding("\n".join([head, *(_line(x, show_customer=False) for x in lines)]))
    home = home_conversations(services, asker)
    if home is None:
        return _finding("No customer message waits for your reply in your accounts' shared channels.")
    n = home.total
    head = f"{n} customer message{'' if n == 1 else 's'} wait{'s' if n == 1 else ''} for a reply in your accounts'"
    more = f"\n…and {n - len(home.lines)} more: `/rapport channel show` in each channel." if n > len(home.lines) else ""
    return _finding("\n".join([f"{head} shared channels, the soonest due first:", *map(_line, home.lines)]) + more)


def channels_finding(session: Session, card: CustomerCard) -> PolicyFinding:
    """The channels linked to the customer (where Rapport tracks their conversations), oldest link first, each said
    shared with their organisation or not as Slack last told us; else how to link one."""
    name = mrkdwn.bold(card.name)
    rows = session.execute(
        select(ChannelLink.channel_id, SharedChannel.is_ext_shared)
        .outerjoin(SharedChannel, SharedChannel.channel_id == ChannelLink.channel_id)
        .where(ChannelLink.customer_id == card.customer_id)
        .order_by(ChannelLink.linked_at, ChannelLink.channel_id)
    ).all()
    if not rows:
        return _finding(
            f"No channel is linked to {name}: Rapport tracks no shared channel with them. An admin links one with "
            f"`/rapport channel link {mrkdwn.escape(card.name)}` in that channel."
        )
    each = [f"{mrkdwn.channel_link(c)}{' (shared with their organisation)' if shared else ''}" for c, shared in rows]
    n = len(rows)
    return _finding(f"{name} is linked to {n} channel{'' if n == 1 else 's'}: {mrkdwn.listed(each)}.")


def _line(x: ConversationLine, show_customer: bool = True) -> str:
    """ "• *Acme Corp* (P1) in <#C0EXT>: waiting 12m of 15m (24x7), *near target*: “checkout is down”"."""
    who = f"{mrkdwn.bold(x.customer)} " if show_customer else ""
    verb = "answered after" if x.first_response_at is not None else "waiting"
    state = _STATE.get(x.clock_state, "")
    clock = f"{verb} {human(x.elapsed)} of {human(x.target)}" + (f", {state}" if state else "")
    excerpt = x.excerpt if len(x.excerpt) <= EXCERPT else f"{x.excerpt[: EXCERPT - 1]}…"
    return (
        f"• {who}({mrkdwn.escape(x.priority)}) in {mrkdwn.channel_link(x.channel)}: {clock}: “{mrkdwn.escape(excerpt)}”"
    )


def _finding(text: str) -> PolicyFinding:
    """Cited to the shared-channel playbook's first-response clock; the list is the answer."""
    return PolicyFinding(
        text,
        "",
        citation_query="customer channels Slack Connect first response clock",
        citation_title="sla",
        supported=False,
    )
