"""Block Kit for customer channels: channel status, link proposals, notes to admins, the owner's nudge, the
ticket made from 🎫, "Customer context" and the App Home section. Every one of these goes to a person
privately (DM or ephemeral); customer words in them are escaped."""

from __future__ import annotations

from bot.ask.customer_context import CustomerContext
from bot.channels.views import (
    AdminNote,
    ChannelStatus,
    ConversationLine,
    HomeConversations,
    Nudge,
    Proposal,
    TicketMade,
)
from bot.customers.sla import human
from bot.mrkdwn import channel_link
from bot.slack import ids
from bot.slack.views.ask import answer_sections, card_blocks, citation_line
from bot.slack.views.common import (
    Block,
    actions,
    button,
    cap,
    clip,
    context,
    defuse,
    divider,
    header,
    inert,
    link,
    section,
    user,
)
from bot.slack.views.render import Blocks, render

CLOCK = {
    "ok": ":large_green_circle:",
    "at_risk": ":large_orange_circle:",
    "breached": ":red_circle:",
    "answered": ":white_check_mark:",
    "answered_late": ":heavy_check_mark:",
}
STATE_TEXT = {
    "linked": "linked",
    "unlinked": "not linked to a customer",
    "conflict": ":warning: linked to two customers: nothing is tracked until one link is removed",
    "erased": ":warning: linked to a customer who was erased: nothing is tracked",
}


def clock_text(line: ConversationLine) -> str:
    state = line.clock_state
    coverage = "business hours" if line.coverage == "business_hours" else "24x7"
    verb = {"answered": "answered after", "answered_late": "answered late, after"}.get(state, "waiting")
    return f"{CLOCK.get(state, '')} {verb} {human(line.elapsed)} of {human(line.target)} ({coverage})"


def conversation_line(line: ConversationLine, show_customer: bool = True) -> str:
    who = f"*{inert(line.customer)}* · " if show_customer and line.customer else ""
    return clip(
        f"{who}*{inert(line.priority)}* · {channel_link(line.channel)} · {clock_text(line)}\n> {inert(line.excerpt)}",
        3000,
    )


@render.register
def status_blocks(s: ChannelStatus) -> Blocks:
    blocks: list[Block] = []
    if s.message:
        blocks.append(section(("" if s.ok else ":warning: ") + inert(s.message)))
    where = f"#{inert(s.name)}" if s.name else channel_link(s.channel)
    shared = " · shared with another organisation" if s.shared_externally else ""
    blocks.append(context(f"{where}: {STATE_TEXT.get(s.state, inert(s.state))}{shared}"))
    for c in s.customers:
        blocks.append(
            section(
                f":office: *{inert(c.name)}* · {inert(c.tier.title())} · linked by {_by(c.linked_by)} "
                f"({inert(c.source)})"
            )
        )
    if s.conversations:
        blocks.append(section("*Waiting for a first response*"))
        blocks += [section(conversation_line(x, show_customer=len(s.customers) != 1)) for x in s.conversations[:15]]
    elif s.state == "linked":
        blocks.append(context("No customer message is waiting for a first response here."))
    for p in s.proposals:
        blocks.append(context(f"Proposed: {inert(p.customer)} ({inert(p.tier)}): {inert(p.reason)}"))
    return cap(blocks)


def _by(actor: str) -> str:
    return user(actor) if actor[:1] in ("U", "W") else f"`{inert(actor)}`"


@render.register
def proposal_blocks(p: Proposal) -> Blocks:
    where = f"#{inert(p.channel_name)}" if p.channel_name else channel_link(p.channel)
    blocks: list[Block] = [
        section(
            f":link: {where} is shared with another organisation: *{inert(p.customer)}* ({inert(p.tier.title())}) "
            f"looks like the customer on the other side ({inert(p.reason)}).\nLink it, so every message from "
            "them starts a first-response clock?"
        )
    ]
    if p.state == "pending":
        value = {"p": p.proposal_id}
        blocks.append(
            actions(
                button(f"Link to {p.customer}", ids.CHANNEL_LINK_ACCEPT, value, style="primary"),
                button("Not this customer", ids.CHANNEL_LINK_DECLINE, value),
                block_id=f"proposal-{p.proposal_id}",
            )
        )
    else:
        decided = {"accepted": "Linked", "declined": "Declined", "superseded": "Linked another way"}
        by = f" by {user(p.decided_by)}" if p.decided_by and p.decided_by[:1] in ("U", "W") else ""
        blocks.append(context(f"{decided.get(p.state, inert(p.state))}{by}."))
    return blocks


@render.register
def note_blocks(n: AdminNote) -> Blocks:
    return [section(f":warning: *Customer channel {channel_link(n.channel)}*\n{defuse(n.text)}")]


@render.register
def nudge_blocks(n: Nudge) -> Blocks:
    line = n.conversation
    left = line.target - line.elapsed
    return [
        section(
            f":hourglass_flowing_sand: *{inert(line.customer)}* asked in {channel_link(line.channel)} "
            f"{human(line.elapsed)} ago in SLA time; the {inert(line.priority)} first-response target is "
            f"{human(line.target)}: *{human(left)} left*.\n> {inert(line.excerpt)}"
        ),
        context("Reply in the customer's thread to stop the clock; at the target the escalation channel is told."),
    ]


@render.register
def ticket_blocks(t: TicketMade) -> Blocks:
    lead = "This message already has a ticket" if t.already else "Ticket created"
    blocks: list[Block] = [
        section(
            f":ticket: {lead}: *#{t.ticket_id}* for *{inert(t.customer)}* · {inert(t.priority)}\n> {inert(t.subject)}"
        ),
        context(inert(t.clock_text)),
    ]
    links = []
    if t.permalink:
        links.append(link(t.permalink, "the Slack thread"))
    if t.helpdesk_id:
        links.append(f"helpdesk ticket {inert(t.helpdesk_id)}")
    if links:
        blocks.append(context("Linked to " + " and ".join(links)))
    if t.note:
        blocks.append(context(f":warning: {inert(t.note)}"))
    return blocks


@render.register
def context_blocks(c: CustomerContext) -> Blocks:
    if c.card is None:
        return [section(f":information_source: {inert(c.note)}")]
    blocks: list[Block] = [header(f"Customer context: {c.customer}")]
    if c.note:
        blocks.append(context(f":warning: {inert(c.note)}"))
    blocks += card_blocks(c.card)
    if c.conversations:
        blocks += [divider(), section("*Conversations in customer channels*")]
        blocks += [section(conversation_line(x, show_customer=False)) for x in c.conversations[:8]]
    if c.answer is not None and c.answer.answered:
        blocks += [divider(), section("*What the playbooks say about this message*"), *answer_sections(c.answer)[:2]]
        if c.answer.citations:
            blocks.append(context(citation_line(c.answer)))
    blocks.append(context("Only you can see this."))
    return cap(blocks)


@render.register
def home_blocks(h: HomeConversations) -> Blocks:
    blocks: list[Block] = [header("Customer messages waiting for a reply")]
    blocks += [section(conversation_line(x)) for x in h.lines]
    if h.total > len(h.lines):
        blocks.append(context(f"{h.total - len(h.lines)} more: `/rapport channel show` in each channel."))
    return blocks
