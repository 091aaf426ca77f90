"""Turning what a requester typed (slash command, modal, prefilled button) into a valid request, or clear errors.

Errors are keyed by field so the modal can show each under its input and the slash command can list them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.approvals.amounts import AmountError, parse_measure, parse_percent
from bot.policies.approvals import REQUEST_TYPES
from bot.policies.tiers import OVERRIDE_FORMAT, TiersPolicy, parse_override
from bot.store.models import Customer

RISKS = ("low", "medium", "high")
MIN_JUSTIFICATION = 10
MAX_LINKS = 10
_URL = re.compile(r"^https?://[^\s<>\"]+$")

TYPE_ALIASES = {
    "discount": "discount",
    "terms": "custom_terms",
    "custom-terms": "custom_terms",
    "contract": "custom_terms",
    "expedite": "expedited_fulfilment",
    "expedited": "expedited_fulfilment",
    "expedited-fulfilment": "expedited_fulfilment",
    "expedited_fulfillment": "expedited_fulfilment",
    "sla": "sla_exception",
    "sla-exception": "sla_exception",
    "credit": "sla_exception",
    "handling": "special_handling",
    "special": "special_handling",
    "special-handling": "special_handling",
    "access": "data_access",
    "data": "data_access",
    "data-access": "data_access",
    "tier": "tier_override",
    "override": "tier_override",
    "tier-override": "tier_override",
}


def normalize_type(text: str) -> str | None:
    key = text.strip().lower()
    if key in REQUEST_TYPES:
        return key
    return TYPE_ALIASES.get(key) or TYPE_ALIASES.get(key.replace("_", "-"))


@dataclass(frozen=True)
class RequestDraft:
    """What the requester typed; every field is text, as it arrives from Slack."""

    request_type: str
    customer: str
    requester: str
    justification: str = ""
    amount: str = ""  # "$12,500", "15%", or "15% / $12,500"
    percent: str = ""  # optional separate percentage field (the modal has one)
    terms: str = ""
    links: tuple[str, ...] = ()
    risk: str = "low"
    origin_channel: str | None = None
    origin_thread_ts: str | None = None


@dataclass(frozen=True)
class ValidRequest:
    request_type: str
    customer_id: int
    customer_name: str
    tier: str | None
    region: str | None
    amount: Decimal | None
    percent: float | None
    terms: str | None
    justification: str
    links: tuple[str, ...]
    risk: str
    requester: str
    origin_channel: str | None
    origin_thread_ts: str | None


class ValidationFailed(ValueError):
    """``errors`` maps field name -> one clear sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class _Collector:
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def resolve_customer(session: Session, text: str) -> Customer | str:
    """The customer named by id (``42``/``#42``) or name (exact, else a unique partial match); else an error."""
    query = text.strip()
    if not query:
        return "name the customer"
    if re.fullmatch(r"#?\d+", query):
        found = session.get(Customer, int(query.lstrip("#")))
        if found is None:
            return f"no customer with id {query}"
        return _follow_merge(session, found)
    exact = session.scalars(select(Customer).where(func.lower(Customer.name) == query.lower()).limit(5)).all()
    if len(exact) == 1:
        return _follow_merge(session, exact[0])
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    candidates = (
        exact
        or session.scalars(
            select(Customer).where(func.lower(Customer.name).like(f"%{escaped}%", escape="\\")).limit(6)
        ).all()
    )
    live = {c.id: c for c in (_follow_merge(session, c) for c in candidates)}
    if len(live) == 1:
        return next(iter(live.values()))
    if not live:
        return f"unknown customer {query!r}; check the spelling or use the customer id"
    names = ", ".join(sorted(c.name for c in live.values())[:5])
    return f"{query!r} matches several customers ({names}); be more specific or use the id"


def _follow_merge(session: Session, customer: Customer) -> Customer:
    seen = {customer.id}
    while customer.merged_into_id is not None and customer.merged_into_id not in seen:
        nxt = session.get(Customer, customer.merged_into_id)
        if nxt is None:
            break
        seen.add(nxt.id)
        customer = nxt
    return customer


def validate(
    session: Session, draft: RequestDraft, tiers: TiersPolicy | None = None, today: dt.date | None = None
) -> ValidRequest:
    """Check every field, collect every problem, raise :class:`ValidationFailed` if any. ``tiers`` and ``today``
    check a tier override's terms (the tier exists, the end is within the policy's limit)."""
    c = _Collector()
    rtype = normalize_type(draft.request_type)
    if rtype is None:
        c.add("request_type", f"unknown request type {draft.request_type!r}; use one of {', '.join(REQUEST_TYPES)}")

    amount: Decimal | None = None
    percent: float | None = None
    try:
        if draft.amount.strip():
            amount, percent = parse_measure(draft.amount)
        if draft.percent.strip():
            if percent is not None:
                raise AmountError("give the percentage once")
            percent = parse_percent(draft.percent)
    except AmountError as exc:
        c.add("percent" if draft.percent.strip() and "percent" in str(exc) else "amount", str(exc))
    if rtype == "data_access" and amount is not None and amount != amount.to_integral_value():
        c.add("amount", "for data access, the amount is a number of records (a whole number)")
    if rtype == "discount" and amount is None and percent is None and "amount" not in c.errors:
        c.add("amount", "a discount needs a percentage (15%) or an amount ($12,500)")
    if rtype == "custom_terms" and not draft.terms.strip():
        c.add("terms", "describe the custom terms you are asking for")
    if rtype == "tier_override":
        if not draft.terms.strip():
            c.add("terms", f"say which tier and until when: {OVERRIDE_FORMAT}")
        elif tiers is not None:
            parsed = parse_override(draft.terms, tiers, today or dt.date.today())
            if isinstance(parsed, str):
                c.add("terms", parsed)

    justification = " ".join(draft.justification.split())
    if not justification:
        c.add("justification", "a justification is required: why should this exception be granted?")
    elif len(justification) < MIN_JUSTIFICATION:
        c.add("justification", f"the justification is too short; give at least {MIN_JUSTIFICATION} characters")

    links = tuple(x.strip().strip("<>") for x in draft.links if x.strip())
    bad = [x for x in links if not _URL.match(x)]
    if bad:
        c.add("links", f"{bad[0]!r} is not a link (http:// or https://)")
    if len(links) > MAX_LINKS:
        c.add("links", f"at most {MAX_LINKS} links")

    risk = draft.risk.strip().lower() or "low"
    if risk not in RISKS:
        c.add("risk", f"risk must be one of {', '.join(RISKS)}")

    if not re.fullmatch(r"[UW][A-Z0-9]+", draft.requester or ""):
        c.add("requester", "the requester must be a Slack user id")

    customer = resolve_customer(session, draft.customer)
    if isinstance(customer, str):
        c.add("customer", customer)

    if c.errors:
        raise ValidationFailed(c.errors)
    assert rtype is not None and isinstance(customer, Customer)
    return ValidRequest(
        request_type=rtype,
        customer_id=customer.id,
        customer_name=customer.name,
        tier=customer.tier,
        region=customer.region,
        amount=amount,
        percent=percent,
        terms=draft.terms.strip() or None,
        justification=justification,
        links=links,
        risk=risk,
        requester=draft.requester,
        origin_channel=draft.origin_channel,
        origin_thread_ts=draft.origin_thread_ts,
    )
