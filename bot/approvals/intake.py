"""Entry points that turn Slack-shaped input into a draft: ``/rapport approve ...`` text and the Ask answer's
"Request approval" button value (JSON), plus the modal's prefill. Plain functions, no Slack imports."""

from __future__ import annotations

import json
import re
import shlex

from bot.approvals.amounts import is_percent
from bot.approvals.results import RequestPrefill
from bot.approvals.validation import RequestDraft, normalize_type
from bot.services import Services
from bot.store.models import Customer

USAGE = (
    'Usage: `/rapport approve TYPE CUSTOMER [AMOUNT] [PERCENT] [risk=low|medium|high] [terms="..."]: JUSTIFICATION`\n'
    "e.g. `/rapport approve discount Northwave Foods 15% $12,500: competitor offer, renewal at risk`.\n"
    "Types: discount, terms, expedite, sla, handling, access. `/rapport approve` alone opens a form."
)
_SPLIT = re.compile(r":\s|\s--\s|\s+because\s+", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>|]+")
_MEASURE = re.compile(r"^(?:usd)?\$?[\d.,]+[kmb]?%?$", re.IGNORECASE)


def parse_slash(text: str, requester: str, channel: str | None = None) -> RequestDraft:
    """Best-effort parse; :func:`bot.approvals.validation.validate` reports what is wrong or missing."""
    parts = _SPLIT.split(text.strip(), maxsplit=1)
    head, justification = parts[0], (parts[1] if len(parts) > 1 else "")
    try:
        tokens = shlex.split(head)
    except ValueError:  # unbalanced quote: fall back to whitespace
        tokens = head.split()
    rtype = tokens.pop(0) if tokens else ""
    amount: list[str] = []
    percent = ""
    risk, terms = "low", ""
    name: list[str] = []
    for tok in tokens:
        low = tok.lower()
        if low.startswith("risk="):
            risk = tok.split("=", 1)[1]
        elif low.startswith("terms="):
            terms = tok.split("=", 1)[1]
        elif _MEASURE.match(tok) and any(ch.isdigit() for ch in tok):
            if is_percent(tok):
                percent = tok
            else:
                amount.append(tok)
        elif not name and low == "for":
            continue
        else:
            name.append(tok)
    return RequestDraft(
        request_type=rtype,
        customer=" ".join(name),
        requester=requester,
        justification=justification.strip(),
        amount=" ".join(amount),
        percent=percent,
        terms=terms,
        links=tuple(u.rstrip(".,;:)") for u in _URL.findall(justification)),
        risk=risk,
        origin_channel=channel,
    )


def prefill_from_button(services: Services, value: str, channel: str | None, thread_ts: str | None) -> RequestPrefill:
    """What the Ask answer's "Request approval" button opens: the modal pre-filled from its JSON value.

    Understood keys: ``c`` (customer id) or ``customer`` (name), ``type``, ``amount``, ``percent``,
    ``justification``, ``q`` (question id, kept as context). Unknown or malformed values give an empty form.
    """
    try:
        data = json.loads(value or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    customer = str(data.get("customer") or "")
    cid = data.get("c")
    if not customer and isinstance(cid, int | str) and str(cid).isdigit():
        with services.sessions() as s:
            found = s.get(Customer, int(cid))
            customer = found.name if found is not None else ""
    rtype = normalize_type(str(data.get("type") or "")) or ""
    return RequestPrefill(
        request_type=rtype,
        customer=customer,
        amount=str(data.get("amount") or ""),
        percent=str(data.get("percent") or ""),
        justification=str(data.get("justification") or ""),
        origin_channel=channel,
        origin_thread_ts=thread_ts,
    )


def prefill_from_draft(draft: RequestDraft, errors: dict[str, str] | None = None) -> RequestPrefill:
    return RequestPrefill(
        request_type=normalize_type(draft.request_type) or "",
        customer=draft.customer,
        amount=draft.amount,
        percent=draft.percent,
        terms=draft.terms,
        justification=draft.justification,
        links=draft.links,
        risk=draft.risk,
        origin_channel=draft.origin_channel,
        origin_thread_ts=draft.origin_thread_ts,
        errors=dict(errors or {}),
    )
