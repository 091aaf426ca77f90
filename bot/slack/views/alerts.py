"""Block Kit for alerts: single alerts, digests (grouped by customer and severity), cap notices, App Home.

The first block of every delivered message carries the outbox marker as its block_id: delivery uses it to
find a message it posted but could not record before a crash (``bot.alerts.delivery``).
"""

from __future__ import annotations

import json

from bot.alerts.views import AlertCard, AlertMessage, CapNotice, DigestMessage, OpenAlerts
from bot.slack import ids
from bot.slack.views.common import Block, actions, button, cap, clip, context, divider, header, section, user
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
    parts = [STATE_TEXT.get(card.state, card.state)]
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
    return clip(f"{emoji} *{card.severity.title()}* · `{card.rule}` · {card.why}", 3000)


def customer_line(card: AlertCard) -> str:
    bits = [f"*{card.customer}*", card.tier.title(), card.region.upper()]
    if card.owner:
        bits.append(f"owner {user(card.owner)}")
    if card.renewal_date:
        bits.append(f"renews {card.renewal_date:%Y-%m-%d}")
    bits.append(f"{card.open_tickets} open ticket(s)")
    return " · ".join(bits)


@render.register
def render_alert(msg: AlertMessage) -> Blocks:
    card = msg.card
    title = {"escalation": "Unacknowledged urgent alert", "reminder": "Snoozed alert is back"}.get(
        msg.purpose, "Urgent alert" if card.urgent else "Alert"
    )
    return cap(
        [
            _marked(header(f"{title}: {card.customer}"), msg.marker),
            section(card_summary(card)),
            section(customer_line(card)),
            context(card.outreach, _status(card)),
            card_buttons(card),
        ]
    )


@render.register
def render_digest(msg: DigestMessage) -> Blocks:
    title = f"Alert digest: {msg.total} alert(s)" + (f" · part {msg.part} of {msg.parts}" if msg.parts > 1 else "")
    blocks: list[Block] = [_marked(header(title), msg.marker)]
    for group in msg.groups:
        first = group.alerts[0]
        blocks.append(section(customer_line(first)))
        for card in group.alerts:
            blocks.append(context(card_summary(card), _status(card) + " · " + card.outreach))
            blocks.append(card_buttons(card))
    return cap(blocks)


@render.register
def render_cap_notice(msg: CapNotice) -> Blocks:
    return [
        _marked(header(f"Alert rule capped: {msg.rule}"), msg.marker),
        section(
            f"`{msg.rule}` matched *{msg.candidates}* new customers at once. Only the {msg.alerted} highest-value "
            f"were alerted; *{msg.capped}* were held back so nobody is flooded. A rule matching this many accounts "
            "is usually too broad: check its thresholds in `playbooks/policies/alerts.yaml`."
        ),
    ]


@render.register
def render_open_alerts(view: OpenAlerts) -> Blocks:
    blocks: list[Block] = [header("My open alerts")]
    if not view.cards:
        return [*blocks, context("No open alerts. :tada:")]
    for card in view.cards:
        blocks += [section(card_summary(card) + "\n" + customer_line(card)), card_buttons(card)]
    if view.more:
        blocks.append(context(f"and {view.more} more: `rapport alerts explain CUSTOMER` for details"))
    return cap([*blocks, divider()])


def snooze_modal(alert_id: int) -> dict[str, object]:
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
                "element": {
                    "type": "plain_text_input",
                    "action_id": "duration",
                    "placeholder": {"type": "plain_text", "text": "4h, 3d or 2w"},
                },
            }
        ],
    }
