"""Block Kit for alerts: one customer's alert(s), digests (one entry per customer, a summary line, Ack all),
escalations, snooze notices, cap notices, the paged open list (App Home and ``/rapport alerts``).

The first block of every delivered message carries the outbox marker as its block_id: delivery uses it to
find a message it posted but could not record before a crash (``bot.alerts.delivery``). Customer names and
evidence come from data sources: they are escaped before they go into any text.
"""

from __future__ import annotations

import json

from bot.alerts.evidence import money
from bot.alerts.views import (
    AlertCard,
    AlertMessage,
    CapNotice,
    DigestGroup,
    DigestMessage,
    OpenAlerts,
    SnoozeNotice,
)
from bot.slack import ids
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
    section,
    user,
)
from bot.slack.views.render import Blocks, render

SEVERITY_EMOJI = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":white_circle:",
}
STATE_TEXT = {"open": "Open", "acked": "Acknowledged", "snoozed": "Snoozed", "resolved": "Resolved"}


def _marked(block: Block, marker: str) -> Block:
    return {**block, "block_id": marker}


def _status(card: AlertCard) -> str:
    parts = [STATE_TEXT.get(card.state, inert(card.state))]
    if card.state == "acked" and card.acked_by:
        parts[0] += f" by {user(card.acked_by)}"
    if card.state == "snoozed" and card.snoozed_until:
        parts[0] += f" until {card.snoozed_until:%Y-%m-%d %H:%M} UTC"
    if card.assignee:
        parts.append(f"assigned to {user(card.assignee)}")
    return " · ".join(parts)


def card_buttons(card: AlertCard) -> Block:
    """Ack / Snooze / Assign / Open card. Finished alerts keep only Open card."""
    value = str(card.alert_id)
    elements: list[Block] = []
    if card.state in ("open", "snoozed"):
        elements += [
            button("Ack", ids.ALERT_ACK, value, style="primary"),
            button("Snooze 1d", ids.ALERT_SNOOZE_1D, value),
            button("Snooze 7d", ids.ALERT_SNOOZE_7D, value),
            button("Snooze…", ids.ALERT_SNOOZE_CUSTOM, value),
        ]
    if card.state != "resolved":
        elements += [
            button("Assign to me", ids.ALERT_ASSIGN_ME, value),
            {
                "type": "users_select",
                "action_id": ids.ALERT_ASSIGN_USER,
                "placeholder": {"type": "plain_text", "text": "Assign to…"},
            },
        ]
    elements.append(button("Open customer card", ids.ALERT_OPEN_CARD, str(card.customer_id)))
    return actions(*elements, block_id=f"alert-{card.alert_id}")


def card_summary(card: AlertCard) -> str:
    emoji = SEVERITY_EMOJI.get(card.severity, "")
    return clip(f"{emoji} *{inert(card.severity.title())}* · `{inert(card.rule)}` · {inert(card.why)}", 3000)


def customer_line(card: AlertCard) -> str:
    bits = [f"*{inert(card.customer)}*", inert(card.tier.title()), inert(card.region.upper())]
    if card.arr is not None:
        bits.append(f"ARR {money(card.arr)}")
    if card.owner:
        bits.append(f"owner {user(card.owner)}")
    elif card.recipient:
        bits.append(f"no owner: on duty {user(card.recipient)}")
    if card.renewal_date:
        bits.append(f"renews {card.renewal_date:%Y-%m-%d}")
    bits.append(f"{card.open_tickets} open ticket(s)")
    return " · ".join(bits)


def ack_group_button(cards: tuple[AlertCard, ...], label: str) -> Block:
    """Acknowledge all of a customer's open signals shown here at once (value: their alert ids)."""
    live = [str(c.alert_id) for c in cards if c.state in ("open", "snoozed")]
    return button(label, ids.ALERT_ACK_GROUP, ",".join(live), style="primary")


@render.register
def render_alert(msg: AlertMessage) -> Blocks:
    card = msg.card
    title = {"escalation": "Unacknowledged alert", "reminder": "Snoozed alert is back"}.get(
        msg.purpose, "Urgent alert" if card.urgent else "Alert"
    )
    blocks: list[Block] = [_marked(header(f"{title}: {card.customer}"), msg.marker)]
    if msg.note:
        blocks.append(context(defuse(msg.note)))
    blocks += [section(card_summary(card)), section(customer_line(card))]
    if msg.others:
        lines = "\n".join(card_summary(c) for c in msg.others)
        blocks.append(section(clip(f"*Also for this customer, by priority:*\n{lines}", 3000)))
    blocks += [context(inert(card.outreach), _status(card)), card_buttons(card)]
    live = [c for c in msg.cards if c.state in ("open", "snoozed")]
    if msg.others and len(live) > 1:
        blocks.append(actions(ack_group_button(msg.cards, f"Ack all {len(live)}"), block_id=f"alerts-{card.alert_id}"))
    return cap(blocks)


def _entry(group: DigestGroup) -> list[Block]:
    """One customer: who, then its signals ranked by priority; one row of buttons for the whole entry."""
    first = group.alerts[0]
    signals = "\n".join(f"• {card_summary(c)} — _{_status(c)}_" for c in group.alerts)
    text = clip(f"{customer_line(first)}\n{signals}", 3000)
    elements: list[Block] = []
    if any(c.state in ("open", "snoozed") for c in group.alerts):
        label = "Ack" if len(group.alerts) == 1 else f"Ack {len(group.alerts)}"
        elements.append(ack_group_button(group.alerts, label))
        elements.append(button("Snooze…", ids.ALERT_SNOOZE_CUSTOM, str(first.alert_id)))
        elements.append(button("Assign to me", ids.ALERT_ASSIGN_ME, str(first.alert_id)))
    elements.append(button("Open customer card", ids.ALERT_OPEN_CARD, str(group.customer_id)))
    return [section(text), actions(*elements, block_id=f"alert-{first.alert_id}")]


def digest_summary(msg: DigestMessage) -> str:
    s = msg.summary
    parts = []
    if s.urgent:
        parts.append(f":rotating_light: *{s.urgent} urgent*")
    if s.at_risk:
        arr = f" ARR *{money(s.at_risk_arr)}*" if s.at_risk_arr is not None else ""
        parts.append(f"*{s.at_risk}* at-risk{arr}")
    if s.customers > s.at_risk:
        parts.append(f"{s.customers - s.at_risk} expansion signal(s)")
    if s.more:
        parts.append(f"*{s.more} more* in `/rapport alerts`")
    return ", ".join(parts) or f"{s.customers} customer(s)"


@render.register
def render_digest(msg: DigestMessage) -> Blocks:
    s = msg.summary
    blocks: list[Block] = [
        _marked(header(f"Alert digest: {s.customers} customer(s), {s.alerts} signal(s)"), msg.marker),
        section(digest_summary(msg)),
        actions(button("Ack all shown", ids.ALERT_ACK_ALL, str(msg.digest_id)), block_id=f"digest-{msg.digest_id}"),
    ]
    for group in msg.groups:
        blocks += _entry(group)
    footer = "Highest value at risk first. Full list: `/rapport alerts` or Rapport's *Home* tab."
    if s.more:
        footer = f"{s.more} more customer(s) not shown here. " + footer
    blocks.append(context(footer))
    return cap(blocks)


@render.register
def render_snooze_notice(msg: SnoozeNotice) -> Blocks:
    card = msg.card
    return cap(
        [
            _marked(header(f"{card.severity.title()} alert snoozed: {card.customer}"), msg.marker),
            section(
                f"{user(msg.by)} snoozed this alert until {msg.until:%Y-%m-%d %H:%M} UTC.\n"
                f"*Reason:* {inert(msg.reason) or '_none given_'}"
            ),
            section(card_summary(card)),
            section(customer_line(card)),
            actions(button("Open customer card", ids.ALERT_OPEN_CARD, str(card.customer_id))),
        ]
    )


@render.register
def render_cap_notice(msg: CapNotice) -> Blocks:
    return [
        _marked(header(f"Alert rule capped: {msg.rule}"), msg.marker),
        section(
            f"`{inert(msg.rule)}` matched *{msg.candidates}* new customers at once. Only the {msg.alerted} "
            f"highest-priority were alerted; *{msg.capped}* were held back so nobody is flooded. A rule matching "
            "this many accounts is usually too broad: check its thresholds in `playbooks/policies/alerts.yaml`."
        ),
    ]


@render.register
def render_open_alerts(view: OpenAlerts) -> Blocks:
    urgent = f", {view.urgent} urgent" if view.urgent else ""
    blocks: list[Block] = [header(f"My open alerts: {view.total}{urgent}")]
    if not view.cards:
        return [*blocks, context("No open alerts. :tada:")]
    for card in view.cards:
        blocks += [section(card_summary(card) + "\n" + customer_line(card)), card_buttons(card)]
    if view.pages > 1:
        first = (view.page - 1) * view.per_page + 1
        paging: list[Block] = []
        if view.page > 1:
            paging.append(button("‹ Previous", ids.ALERTS_PAGE, str(view.page - 1)))
        if view.page < view.pages:
            paging.append(button("Next ›", ids.ALERTS_PAGE, str(view.page + 1)))
        blocks.append(context(f"Showing {first}–{first + len(view.cards) - 1} of {view.total}, highest priority first"))
        blocks.append(actions(*paging, block_id=f"alerts-page-{view.page}"))
    return cap([*blocks, divider()])


def snooze_modal(alert_id: int, duration: str = "") -> dict[str, object]:
    """Snooze with a reason (required: the handbook asks for one, and a manager may be told). ``duration``
    pre-fills the field (``1d`` from the Snooze 1d button)."""
    length: dict[str, object] = {
        "type": "plain_text_input",
        "action_id": "duration",
        "placeholder": {"type": "plain_text", "text": "4h, 3d or 2w"},
    }
    if duration:
        length["initial_value"] = duration
    return {
        "type": "modal",
        "callback_id": ids.ALERT_SNOOZE_MODAL,
        "title": {"type": "plain_text", "text": "Snooze alert"},
        "submit": {"type": "plain_text", "text": "Snooze"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"alert_id": alert_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": "snooze",
                "label": {"type": "plain_text", "text": "Snooze for"},
                "element": length,
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why"},
                "hint": {
                    "type": "plain_text",
                    "text": "Snoozing a critical alert tells your manager, with this reason.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "multiline": True,
                    "max_length": 500,
                    "placeholder": {"type": "plain_text", "text": "e.g. customer on holiday until the 3rd"},
                },
            },
        ],
    }
