"""Answers and customer cards as Block Kit.

What came from outside (the question, customer names and fields, ticket subjects, the answer excerpt a
hand-off quotes) goes through ``inert``; what a feature composed as mrkdwn (the answer, a policy finding)
through ``defuse``; citation and thread links are built by ``link`` from trusted data.

One module because answers and cards share the escaping and citation helpers; every ask view in one
place keeps their escaping the same.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.ask.channel_config import MODE_TEXT, ChannelSettings
from bot.ask.configure import Configured
from bot.ask.handoff import Handoff, HandoffState, Reescalation
from bot.ask.reply import Working
from bot.ask.service import Answer
from bot.customers.card import CustomerCard
from bot.customers.sla import human
from bot.mrkdwn import CHANNEL_ID, bold, channel_link
from bot.slack import ids
from bot.slack.views.common import (
    SECTION_LIMIT,
    Block,
    actions,
    button,
    cap,
    context,
    defuse,
    divider,
    fields_section,
    header,
    inert,
    link,
    section,
    user,
)
from bot.slack.views.render import render

FIELD_LABELS = {
    "tier": "Tier",
    "segment": "Segment",
    "region": "Region",
    "time_zone": "Time zone",
    "owner": "Owner",
    "renewal_date": "Renewal",
    "open_tickets": "Open tickets",
    "last_contact": "Last contact",
    "lifetime_value": "Lifetime value",
    "arr": "ARR",
    "health_score": "Health",
    "sentiment": "Sentiment",
    "nps": "NPS",
    "payment_status": "Payments",
    "contact_name": "Contact",
    "contact_email": "Contact email",
    "contact_phone": "Contact phone",
    "consent": "Consent",
    "preferences": "Preferences",
}
TS = re.compile(r"\d{1,12}\.\d{1,9}")  # a Slack message timestamp
MAX_ANSWER_SECTIONS = 4  # ~12,000 characters of answer; the rest is behind a link to the source
CLOCK_ICON = {"breached": ":red_circle:", "at_risk": ":large_orange_circle:", "ok": ":large_green_circle:"}


MONEY_FIELDS = frozenset({"arr", "lifetime_value"})


def fmt(value: Any, key: str = "") -> str:
    """A card value as mrkdwn: money fields as dollars, other numbers as numbers (sentiment is -1..+1, never
    money), dates formatted, text (from the customer record) inert."""
    if value is None or value == "" or value == []:
        return "—"
    if key in MONEY_FIELDS and isinstance(value, Decimal | float | int):
        return f"${value:,.0f}"
    if isinstance(value, Decimal | float):
        return f"{value:+.2f}" if key == "sentiment" else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dict):
        return (
            ", ".join(
                f"{inert(k)}: {'yes' if v is True else 'no' if v is False else inert(v)}" for k, v in value.items()
            )
            or "—"
        )
    if isinstance(value, list):
        return "\n".join(f"• {inert(v)}" for v in value[:3])
    return inert(value)


def card_blocks(card: CustomerCard) -> list[Block]:
    pairs = []
    for key, label in FIELD_LABELS.items():
        if key in card.fields:
            value = card.fields[key]
            pairs.append((label, user(value) if key == "owner" else fmt(value, key)))
    blocks: list[Block] = [section(f":office: *{inert(card.name)}*  ·  {inert(card.tier.title())}")]
    blocks.append(fields_section(pairs[:10]))
    if len(pairs) > 10:
        blocks.append(fields_section(pairs[10:20]))
    for t in card.tickets[:5]:
        clock = (
            f"{CLOCK_ICON.get(t.clock.state, '')} {inert(t.clock.milestone)} {human(t.clock.elapsed)} of "
            f"{human(t.clock.target)}"
            if t.clock
            else "no SLA clock"
        )
        blocks.append(context(f"#{t.id} · {inert(t.priority)} · {inert(t.subject)} · {inert(t.status)} · {clock}"))
    for key in ("recent_interactions", "notes"):
        if card.fields.get(key):
            blocks.append(context(f"*{key.replace('_', ' ').title()}*\n{fmt(card.fields[key])}"))
    if card.hidden:
        blocks.append(context(f":lock: {len(card.hidden)} field(s) hidden for your role"))
    return blocks


@render.register
def _render_card(card: CustomerCard) -> list[Block]:
    return cap(card_blocks(card))


def age(days: int | None) -> str:
    if days is None:
        return ""
    if days < 1:
        return "updated today"
    if days < 45:
        return f"updated {days} day{'s' if days != 1 else ''} ago"
    if days < 365:
        return f"updated {round(days / 30.4)} months ago"
    years = days // 365
    return f"updated {years} year{'s' if years != 1 else ''} ago"


def citation_line(answer: Answer) -> str:
    parts = []
    for c in answer.citations:
        where = f"{c.heading_path} ({c.path}:{c.line_start}-{c.line_end})" if c.heading_path else c.path
        label = link(c.url, c.title) if c.url else f"*{inert(c.title)}*"
        line = f"[{c.number}] {label} › {inert(where)}"
        if c.updated_days is not None:
            line += f" · {age(c.updated_days)}"
        if c.stale:
            line += f" · :warning: *stale* (review was due {inert(c.review_by[:10])})"
        parts.append(line)
    return "\n".join(parts)


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a paragraph, line or word boundary where there is one."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def answer_sections(answer: Answer) -> list[Block]:
    """The answer's prose within Block Kit limits: split across sections, the overflow replaced by a link."""
    pieces = split_text(defuse(answer.text) or "Here is what the playbooks say.")
    if len(pieces) <= MAX_ANSWER_SECTIONS:
        return [section(p) for p in pieces]
    blocks = [section(p) for p in pieces[:MAX_ANSWER_SECTIONS]]
    first = answer.citations[0] if answer.citations else None
    where = (
        (link(first.url, first.title) if first.url else f"*{inert(first.title)}* ({inert(first.path)})")
        if first
        else ""
    )
    more = f" Read the rest in {where}." if where else " Ask a narrower question for the rest."
    blocks.append(context(f":scissors: The answer was longer than Slack shows in one message.{more}"))
    return blocks


def answer_blocks(answer: Answer, include_card: bool = True) -> list[Block]:
    qid = answer.question_id or 0
    blocks: list[Block] = []
    if answer.choices:
        blocks.append(section("Which customer do you mean?"))
        blocks.append(
            actions(
                *[
                    button(f"{c.name} ({c.tier})", f"{ids.ASK_PICK_CUSTOMER}_{i}", {"q": qid, "c": c.id})  # plain_text
                    for i, c in enumerate(answer.choices[:5])
                ],
                block_id="pick_customer",
            )
        )
    if answer.answered:
        blocks += answer_sections(answer)
    else:
        blocks.append(section(declined_text(answer)))
    if answer.citations:
        blocks.append(context(citation_line(answer)))
    elif answer.source == "clarify":
        pass  # a question back (which customer?) or why not: nothing was claimed, nothing to source
    elif answer.answered and (answer.customer is not None or answer.source == "record"):
        blocks.append(context("Source: the customer record; no playbook passage applies."))
    elif answer.answered:
        blocks.append(
            context(":warning: Nothing in the playbooks could be cited for this answer; treat it as unverified.")
        )
    if answer.truncated:
        blocks.append(context("Your message was long; I read the first 2,000 characters."))
    if include_card and answer.customer and not answer.private_card:
        blocks += [divider(), *card_blocks(answer.customer)]
    buttons = [
        button(":+1: Helpful", ids.ASK_FEEDBACK_UP, str(qid)),
        button(":-1: Not helpful", ids.ASK_FEEDBACK_DOWN, str(qid)),
    ]
    if answer.finding and answer.finding.channel:
        buttons.append(button("Escalate", ids.ASK_ESCALATE, {"q": qid}, style="danger"))
    if answer.customer or answer.approval:
        style = "primary" if answer.approval else None  # the answer is about an approval: its next step
        buttons.append(button("Request approval", ids.ASK_REQUEST_APPROVAL, approval_value(answer), style=style))
    buttons.append(button("Get a person", ids.ASK_GET_PERSON, {"q": qid}))
    blocks.append(actions(*buttons, block_id=f"answer_{qid}"))
    return cap(blocks)


def declined_text(answer: Answer) -> str:
    """ "I don't know", whom to ask (the playbook owner; for a question about a customer, also its account owner,
    who knows the account when the playbooks don't say) and that the question is logged."""
    text = (
        f":thinking_face: I don't know. The playbooks don't answer this with confidence ({answer.confidence:.0%}). "
        f"Ask {f'*@{inert(answer.owner_handle)}*' if answer.owner_handle else user(answer.owner)}, the playbook owner"
    )
    if answer.account_owner and answer.customer:
        text += f", or {user(answer.account_owner)}, who owns {bold(answer.customer.name)}"
    return f"{text}; I've logged the question for the maintainers."


def approval_value(answer: Answer) -> dict[str, Any]:
    """The Request approval button's value: what ``bot.approvals.intake.prefill_from_button`` fills the form
    with (question, customer, request type, percentage, amount)."""
    value: dict[str, Any] = {"q": answer.question_id or 0}
    pre = answer.approval
    cid = pre.customer_id if pre and pre.customer_id else (answer.customer.customer_id if answer.customer else None)
    if cid:
        value["c"] = cid
    if pre:
        value.update(
            {k: v for k, v in (("type", pre.request_type), ("percent", pre.percent), ("amount", pre.amount)) if v}
        )
    return value


@render.register
def _render_answer(answer: Answer) -> list[Block]:
    return answer_blocks(answer, include_card=answer.card_inline)


@render.register
def working_blocks(working: Working) -> list[Block]:
    return [context(f":hourglass_flowing_sand: Looking into _{inert(working.question[:150])}_ …")]


@dataclass(frozen=True)
class Help:
    """``/rapport help``: the subcommands this app registered."""

    text: str


@render.register
def help_blocks(help: Help) -> list[Block]:
    return [header("Rapport"), section(defuse(help.text))]


# ---- hand-offs ----------------------------------------------------------------------------------------
def thread_link(channel: str | None, ts: str | None) -> str:
    """The permalink of a thread, built only from a well-formed channel id and message timestamp."""
    if not channel or not ts or not CHANNEL_ID.fullmatch(channel) or not TS.fullmatch(ts):
        return ""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _when(t: dt.datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC" if t else "—"


def handoff_buttons(handoff_id: int, state: str) -> Block:
    buttons = []
    if state == "open":
        buttons.append(button("Claim", ids.HANDOFF_CLAIM, {"h": handoff_id}, style="primary"))
    if state in ("open", "claimed"):
        buttons.append(button("Resolved", ids.HANDOFF_RESOLVE, {"h": handoff_id}))
    return actions(*buttons, block_id=f"handoff_{handoff_id}")


def handoff_blocks(h: Handoff) -> list[Block]:
    who = user(h.tag) if h.tag else "the on-duty owner"
    clock = f" · {inert(h.tier.title())} · answer by {_when(h.due_at)}" if h.due_at else ""
    blocks: list[Block] = [
        section(
            f":rotating_light: *Hand-off for {who}* from {user(h.requester)}"
            + (f" · {inert(h.severity)}" if h.severity else "")
            + clock
        ),
        section(f"*Question:* {inert(h.question)}\n*Why:* {defuse(h.reason)}"),
    ]
    if h.answer:
        blocks.append(context(f"*Rapport answered:* {inert(h.answer[:600])}"))
    if h.next_step:
        blocks.append(context(f"Next step: {defuse(h.next_step)}"))
    thread = thread_link(h.source_channel, h.source_ts)
    if thread:
        blocks.append(context(link(thread, "Original thread")))
    if h.customer:
        blocks += card_blocks(h.customer)
    if h.id:
        blocks.append(handoff_buttons(h.id, "open"))
    return cap(blocks)


render.register(Handoff, handoff_blocks)


def handoff_state_blocks(s: HandoffState) -> list[Block]:
    """The hand-off message after Claim/Resolved: who, when, how long it took; buttons that still apply."""
    lines = [f":rotating_light: *Hand-off* · {inert(s.tier.title())} · {inert(s.question[:300])}"]
    if s.claimed_by and s.claimed_at:
        lines.append(f":raising_hand: Claimed by {user(s.claimed_by)} after {human(s.claimed_at - s.created_at)}")
    if s.resolved_by and s.resolved_at:
        lines.append(
            f":white_check_mark: Resolved by {user(s.resolved_by)} after {human(s.resolved_at - s.created_at)}"
        )
    blocks: list[Block] = [section("\n".join(lines))]
    thread = thread_link(s.source_channel, s.source_ts)
    if thread:
        blocks.append(context(link(thread, "Original thread")))
    if s.state != "resolved":
        blocks.append(handoff_buttons(s.id, s.state))
    return blocks


render.register(HandoffState, handoff_state_blocks)


def reescalation_blocks(r: Reescalation) -> list[Block]:
    return [
        section(
            f":alarm_clock: *Unclaimed {human(r.overdue_by)} past its SLA* ({inert(r.tier.title())}): "
            f"{user(r.tag)}, please take this hand-off (level {r.level + 1})."
            + (f" Previously: {user(r.previous_tag)}." if r.previous_tag else "")
        ),
        section(f"*Question:* {inert(r.question[:1000])}"),
        context(f"Next step: {defuse(r.next_step)}"),
        handoff_buttons(r.handoff_id, "open"),
    ]


render.register(Reescalation, reescalation_blocks)


# ---- channel configuration --------------------------------------------------------------------------
def describe(cfg: ChannelSettings) -> str:
    """The channel's settings as ``ChannelSettings.describe`` words them, built here from the fields so what an
    admin typed (collections, roles) stays text."""
    source = f"set by {user(cfg.updated_by)}" if cfg.source == "admin" and cfg.updated_by else inert(cfg.source_text)
    escalation = channel_link(cfg.escalation) if cfg.escalation else "policy default"
    lines = [
        f"*Rapport in {channel_link(cfg.channel)}* ({source})",
        f"• mode: `{inert(cfg.mode)}` ({inert(MODE_TEXT.get(cfg.mode, cfg.mode))})",
        f"• collections: {inert(', '.join(cfg.collections)) or 'all playbooks'}",
        f"• answers: `{inert(cfg.answers)}`",
        f"• card_roles: {inert(', '.join(cfg.card_roles)) or 'every role (sensitive fields only privately)'}",
        f"• quiet: `{'on' if cfg.quiet else 'off'}`",
        f"• escalation: {escalation}",
    ]
    return "\n".join(lines)


def config_blocks(cfg: ChannelSettings, note: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    if note:
        blocks.append(section(defuse(note)))
    blocks.append(section(describe(cfg)))
    blocks.append(
        context(
            "Change with `/rapport config set KEY VALUE` (admins): mode mention|questions · "
            "collections FOLDER,tag:TAG|all · answers public|ephemeral · card_roles ROLE,...|all · quiet on|off · "
            "escalation #channel|default. `/rapport config reset` restores the defaults."
        )
    )
    return blocks


render.register(ChannelSettings, config_blocks)


@render.register
def configured_blocks(result: Configured) -> list[Block]:
    if result.settings is None:
        return [section(defuse(result.message))]
    note = None if result.message == result.settings.describe() else result.message
    return config_blocks(result.settings, note)


def feedback_reason_modal(question_id: int) -> dict[str, Any]:
    """The optional "what was wrong?" after a thumbs-down; the vote counts whether or not it is sent."""
    return {
        "type": "modal",
        "callback_id": ids.FEEDBACK_MODAL,
        "private_metadata": json.dumps({"q": question_id}),
        "title": {"type": "plain_text", "text": "Not helpful"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            context("Thanks, your vote is counted. Optionally tell the playbook owner what was wrong."),
            {
                "type": "input",
                "block_id": "reason",
                "optional": True,
                "label": {"type": "plain_text", "text": "What was wrong or missing?"},
                "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True, "max_length": 500},
            },
        ],
    }
