"""Block Kit for approvals: the governance card (updated in place), requester notices, App Home section, and
the request / reason modals. Pure functions of the feature's results."""

from __future__ import annotations

import json
from typing import Any

from bot.approvals.results import (
    TYPE_LABELS,
    ApprovalCard,
    ApprovalsHome,
    RequesterNotice,
    RequestPrefill,
    RouteReason,
    label,
    measure,
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
    fields_section,
    header,
    inert,
    section,
    user,
)
from bot.slack.views.render import render

OUTCOME = {
    "approved": ":white_check_mark: Approved",
    "auto_approved": ":white_check_mark: Approved automatically (within policy)",
    "rejected": ":x: Rejected",
    "changes_requested": ":pencil2: Changes requested",
    "expired": ":hourglass: Expired without a decision",
    "pending": ":hourglass_flowing_sand: Pending",
}
STEP_ICON = {
    "done": ":white_check_mark:",
    "current": ":arrow_forward:",
    "waiting": ":white_circle:",
    "stopped": ":no_entry:",
}
MODAL_TITLE = 24


def route_line(route: RouteReason) -> str:
    """Why this route: the rule that matched and what each rule before it needed that the request lacks."""
    line = f":twisted_rightwards_arrows: *Why this route:* rule `{inert(route.rule)}`" + (
        ", the catch-all" if route.catch_all else ""
    )
    if route.passed_over:
        missed = "; ".join(f"`{inert(name)}`: {inert(', '.join(why))}" for name, why in route.passed_over)
        line += f". Rules before it did not apply: {missed}."
    else:
        line += ", the first rule that applies."
    if route.amount_measure:
        line += f" Give the amount ({inert(route.amount_measure)}) and it may take a shorter route."
    return line


def card_blocks(card: ApprovalCard) -> list[Block]:
    blocks: list[Block] = [
        header(f"{label(card.request_type)} request #{card.request_id}: {card.customer_name}"),
        fields_section(
            [
                ("Requested by", user(card.requester)),
                (
                    "Customer",
                    inert(f"{card.customer_name} ({(card.tier or '?').title()}, {(card.region or '?').upper()})"),
                ),
                ("Amount", measure(card.amount, card.percent)),
                ("Risk", inert(card.risk.title())),
                (
                    "Step",
                    inert(f"{card.step + 1} of {len(card.steps)}: {card.steps[card.step].name}") if card.steps else "-",
                ),
                ("Approvers", user(card.approvers) + (" (escalated)" if card.escalated else "")),
            ]
        ),
    ]
    if card.terms:
        blocks.append(section(f"*Terms*\n{inert(clip(card.terms, 2900))}"))
    blocks.append(section(f"*Justification*\n{inert(clip(card.justification, 2900))}"))
    if card.links:  # as text: Slack links a bare URL by itself, showing where it goes
        blocks.append(context(" · ".join(inert(clip(u, 300)) for u in card.links[:10])))
    if card.route is not None:
        blocks.append(context(route_line(card.route)))
    if len(card.steps) > 1:
        lines = [
            f"{STEP_ICON.get(s.status, '')} {inert(s.name)} ({user(s.approvers)}"
            + (f", {s.required} needed" if s.required > 1 else "")
            + ")"
            + (f" — approved by {', '.join(user(a) for a in s.approved_by)}" if s.approved_by else "")
            for s in card.steps
        ]
        blocks.append(section("*Chain*\n" + "\n".join(lines)))
    if card.precedents:
        lines = [
            f"• #{p.request_id} {inert(p.customer_name)}: {measure(p.amount, p.percent)} — "
            f"{OUTCOME.get(p.state, inert(p.state))}" + (f" ({p.decided_at:%Y-%m-%d})" if p.decided_at else "")
            for p in card.precedents
        ]
        blocks.append(section("*Similar past decisions* (same type and tier)\n" + "\n".join(lines)))
    elif card.actionable:
        blocks.append(context("No similar past decisions for this type and tier."))
    if card.actionable and card.earlier_deciders:
        who = ", ".join(user(a) for a in card.earlier_deciders)
        blocks.append(
            context(
                f"Earlier steps decided by {who}: separation of duties, so they cannot decide this step."
                if card.one_step_per_person
                else f"Earlier steps decided by {who}; policy lets one person decide several steps of this type."
            )
        )
    if card.actionable:
        required = card.steps[card.step].required if card.steps else 1
        got = len(card.steps[card.step].approved_by) if card.steps else 0
        if required > 1:
            blocks.append(context(f"{got} of {required} approvals so far; each approver counts once."))
        blocks.append(
            actions(
                button("Approve", ids.APPROVAL_APPROVE, card.button_value, style="primary"),
                button("Reject", ids.APPROVAL_REJECT, card.button_value, style="danger"),
                button("Request changes", ids.APPROVAL_CHANGES, card.button_value),
                block_id=f"approval_{card.request_id}_{card.step}",
            )
        )
    else:
        outcome = OUTCOME.get(card.outcome or card.state, inert(card.outcome or card.state))
        by = f" by {user(card.decided_by)}" if card.decided_by and not card.decided_by.startswith("system:") else ""
        reason = f"\n>{inert(clip(card.reason, 2800))}" if card.reason else ""
        blocks.append(section(f"*{outcome}*{by}{reason}"))
    blocks.append(context(f"Rule `{inert(card.rule)}` · policy `{inert(card.policy_version[:12])}`"))
    return cap(blocks)


def notice_blocks(notice: RequesterNotice) -> list[Block]:
    blocks = [section(defuse(notice.headline))]
    if notice.reason and notice.state in ("rejected", "changes_requested"):
        blocks.append(section(f"*Reason*\n>{inert(clip(notice.reason, 2800))}"))
    return blocks


def home_blocks(home: ApprovalsHome) -> list[Block]:
    blocks: list[Block] = [header("Approvals waiting for me")]
    blocks.append(
        section("\n".join(r.line() for r in home.to_decide[:15]))
        if home.to_decide
        else context("Nothing waits for your decision.")
    )
    blocks.append(header("My open requests"))
    blocks.append(
        section("\n".join(r.line() for r in home.my_open[:15]))
        if home.my_open
        else context("You have no open requests.")
    )
    return blocks


def _input(block_id: str, label: str, element: Block, optional: bool = False, hint: str | None = None) -> Block:
    b: Block = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
    if hint:
        b["hint"] = {"type": "plain_text", "text": hint}
    return b


def _text(action_id: str, initial: str = "", multiline: bool = False, placeholder: str = "") -> Block:
    el: Block = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        el["initial_value"] = initial
    if placeholder:
        el["placeholder"] = {"type": "plain_text", "text": placeholder}
    return el


def _option(value: str, text: str) -> Block:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def request_modal(prefill: RequestPrefill, amount_measure: str | None = None) -> dict[str, Any]:
    """The request form; block ids equal the field names ``ValidationFailed.errors`` uses. ``amount_measure``:
    the policy routes the chosen type by amount, so the form asks for it (what it means, as the hint)."""
    type_el: Block = {
        "type": "static_select",
        "action_id": "value",
        "options": [_option(k, v) for k, v in TYPE_LABELS.items()],
    }
    if prefill.request_type in TYPE_LABELS:
        type_el["initial_option"] = _option(prefill.request_type, TYPE_LABELS[prefill.request_type])
    risk_el: Block = {
        "type": "static_select",
        "action_id": "value",
        "options": [_option(r, r.title()) for r in ("low", "medium", "high")],
        "initial_option": _option(
            prefill.risk if prefill.risk in ("low", "medium", "high") else "low", (prefill.risk or "low").title()
        ),
    }
    meta = {"c": prefill.origin_channel, "t": prefill.origin_thread_ts}
    return {
        "type": "modal",
        "callback_id": ids.APPROVAL_REQUEST_MODAL,
        "title": {"type": "plain_text", "text": "Request approval"[:MODAL_TITLE]},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(meta)[:3000],
        "blocks": [
            _input("request_type", "Type", type_el),
            _input("customer", "Customer", _text("value", prefill.customer, placeholder="Name or id")),
            _input(
                "amount",
                "Amount",
                _text("value", prefill.amount, placeholder="$12,500"),
                optional=amount_measure is None,
                hint=(
                    f"{amount_measure[:1].upper()}{amount_measure[1:]}: the policy routes by it"
                    if amount_measure
                    else "USD; for data access, the number of records. Most requests are routed by it"
                )[:150],
            ),
            _input("percent", "Percentage", _text("value", prefill.percent, placeholder="15%"), optional=True),
            _input(
                "terms",
                "Terms",
                _text("value", prefill.terms, multiline=True),
                optional=True,
                hint="For custom terms: what you are asking for",
            ),
            _input("justification", "Justification", _text("value", prefill.justification, multiline=True)),
            _input(
                "links",
                "Attachments (links)",
                _text("value", "\n".join(prefill.links), multiline=True, placeholder="One link per line"),
                optional=True,
            ),
            _input("risk", "Risk", risk_el),
        ],
    }


def reason_modal(kind: str, request_id: int, step: int) -> dict[str, Any]:
    """``kind``: reject | changes. The reason is required (Slack enforces non-empty; the server re-checks)."""
    reject = kind == "reject"
    return {
        "type": "modal",
        "callback_id": ids.APPROVAL_REJECT_MODAL if reject else ids.APPROVAL_CHANGES_MODAL,
        "title": {"type": "plain_text", "text": ("Reject request" if reject else "Request changes")[:MODAL_TITLE]},
        "submit": {"type": "plain_text", "text": "Reject" if reject else "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"r": request_id, "s": step}),
        "blocks": [
            section(f"Request #{request_id}: the requester will see your reason."),
            _input("reason", "Reason" if reject else "What needs to change", _text("value", multiline=True)),
        ],
    }


@render.register
def _render_card(card: ApprovalCard) -> list[Block]:
    return card_blocks(card)


@render.register
def _render_notice(notice: RequesterNotice) -> list[Block]:
    return notice_blocks(notice)


@render.register
def _render_home(home: ApprovalsHome) -> list[Block]:
    return home_blocks(home)
