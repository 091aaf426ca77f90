"""Answers and customer cards as Block Kit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bot.ask.service import Answer
from bot.customers.card import CustomerCard
from bot.customers.sla import human
from bot.slack import ids
from bot.slack.views import render
from bot.slack.views.common import Block, actions, button, cap, context, divider, fields_section, header, section, user

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
    "payment_status": "Payments",
    "contact_email": "Contact email",
    "contact_phone": "Contact phone",
    "consent": "Consent",
    "preferences": "Preferences",
}
CLOCK_ICON = {"breached": ":red_circle:", "at_risk": ":large_orange_circle:", "ok": ":large_green_circle:"}


def fmt(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, Decimal | float):
        return f"${value:,.0f}"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {'yes' if v is True else 'no' if v is False else v}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return "\n".join(f"• {v}" for v in value[:3])
    return str(value)


def card_blocks(card: CustomerCard) -> list[Block]:
    pairs = []
    for key, label in FIELD_LABELS.items():
        if key in card.fields:
            value = card.fields[key]
            pairs.append((label, user(value) if key == "owner" else fmt(value)))
    blocks: list[Block] = [section(f":office: *{card.name}*  ·  {card.tier.title()}")]
    blocks.append(fields_section(pairs[:10]))
    if len(pairs) > 10:
        blocks.append(fields_section(pairs[10:20]))
    for t in card.tickets[:5]:
        clock = (
            f"{CLOCK_ICON[t.clock.state]} {t.clock.milestone} {human(t.clock.elapsed)} of {human(t.clock.target)}"
            if t.clock
            else "no SLA clock"
        )
        blocks.append(context(f"#{t.id} · {t.priority} · {t.subject} · {t.status} · {clock}"))
    for key in ("recent_interactions", "notes"):
        if card.fields.get(key):
            blocks.append(context(f"*{key.replace('_', ' ').title()}*\n{fmt(card.fields[key])}"))
    if card.hidden:
        blocks.append(context(f":lock: {len(card.hidden)} field(s) hidden for your role"))
    return blocks


@render.register
def _render_card(card: CustomerCard) -> list[Block]:
    return cap(card_blocks(card))


def citation_line(answer: Answer) -> str:
    parts = []
    for c in answer.citations:
        where = f"{c.heading_path} ({c.path}:{c.line_start}-{c.line_end})" if c.heading_path else c.path
        label = f"<{c.url}|{c.title}>" if c.url else f"*{c.title}*"
        parts.append(f"[{c.number}] {label} › {where}")
    return "\n".join(parts)


def answer_blocks(answer: Answer, include_card: bool = True) -> list[Block]:
    qid = answer.question_id or 0
    blocks: list[Block] = []
    if answer.choices:
        blocks.append(section("Which customer do you mean?"))
        blocks.append(
            actions(
                *[
                    button(f"{c.name} ({c.tier})", f"{ids.ASK_PICK_CUSTOMER}_{i}", {"q": qid, "c": c.id})
                    for i, c in enumerate(answer.choices[:5])
                ],
                block_id="pick_customer",
            )
        )
    if answer.answered:
        blocks.append(section(answer.text or "Here is what the playbooks say."))
    else:
        blocks.append(
            section(
                f":thinking_face: I don't know. The playbooks don't answer this with confidence "
                f"({answer.confidence:.0%}). Ask {user(answer.owner)}, the playbook owner; I've logged the question "
                "for the maintainers."
            )
        )
    if answer.citations:
        blocks.append(context(citation_line(answer)))
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
    if answer.customer:
        buttons.append(
            button("Request approval", ids.ASK_REQUEST_APPROVAL, {"q": qid, "c": answer.customer.customer_id})
        )
    buttons.append(button("Get a person", ids.ASK_GET_PERSON, {"q": qid}))
    blocks.append(actions(*buttons, block_id=f"answer_{qid}"))
    return cap(blocks)


@render.register
def _render_answer(answer: Answer) -> list[Block]:
    return answer_blocks(answer)


def working_blocks(question: str) -> list[Block]:
    return [context(f":hourglass_flowing_sand: Looking into _{question[:150]}_ …")]


def help_blocks(text: str) -> list[Block]:
    return [header("Rapport"), section(text)]
