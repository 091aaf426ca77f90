"""Policy matrix -> the step chain stored on a request (a snapshot, so policy edits don't move requests in flight),
and why a request took its route (which rule matched, which conditions the rules before it missed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.approvals.amounts import format_money, format_percent
from bot.approvals.results import RouteReason
from bot.approvals.validation import ValidRequest
from bot.policies import ApprovalRoute, ApprovalStep, Policies
from bot.policies.approvals import Condition

NO_AMOUNT = "no amount given"
NO_PERCENT = "no percentage given"


def route_for(policies: Policies, req: ValidRequest) -> ApprovalRoute:
    return policies.approval_route(
        req.request_type,
        amount=float(req.amount) if req.amount is not None else None,
        percent=req.percent,
        tier=req.tier,
        region=req.region,
        risk=req.risk,
    )


def snapshot(step: ApprovalStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "approvers": step.approvers,
        "channel": step.channel,
        "required": step.required_approvals,
        "timeout_s": int(step.timeout.total_seconds()),
        "reminder_s": int(step.reminder_after.total_seconds()),
        "escalate_to": step.escalate_to,
    }


def amount_needed(policies: Policies, request_type: str | None) -> str | None:
    """What the amount means for ``request_type`` when any of its rules routes by amount (else None): a request
    without one can only take the rule that asks for none, usually the longest route."""
    rules = policies.approvals.request_types.get(request_type or "", [])  # type: ignore[call-overload]
    if not any(r.when is not None and r.when.max_amount is not None for r in rules):
        return None
    return policies.approvals.measures.get(request_type or "", {}).get("amount") or "the amount"  # type: ignore[call-overload]


def missing_amount(policies: Policies, request_type: str | None, amount: str) -> str | None:
    """The form's question when the policy routes this type by amount and none was given (else None)."""
    measure = amount_needed(policies, request_type)
    if measure is None or amount.strip():
        return None
    return f"The policy routes this request by its amount ({measure}): give it, or 0"


def _amount(value: float, measure: str | None) -> str:
    if measure and "usd" not in measure.lower():
        return f"{value:,.0f}"  # a count (data access: records), not money
    return format_money(Decimal(str(value)))


def unmet(
    when: Condition,
    amount: float | None,
    percent: float | None,
    tier: str | None,
    region: str | None,
    risk: str,
    measure: str | None = None,
) -> tuple[str, ...]:
    """The conditions of ``when`` a request does not meet, each as a short phrase (``measure``: what the
    amount is, from the policy's ``measures``; money unless it says otherwise)."""
    out: list[str] = []
    if when.max_amount is not None:
        if amount is None:
            out.append(NO_AMOUNT)
        elif amount > when.max_amount:
            out.append(f"{_amount(amount, measure)} is over {_amount(when.max_amount, measure)}")
    if when.max_percent is not None:
        if percent is None:
            out.append(NO_PERCENT)
        elif percent > when.max_percent:
            out.append(f"{format_percent(percent)} is over {format_percent(when.max_percent)}")
    if when.tiers is not None and (tier or "").lower() not in when.tiers:
        out.append(f"tier {tier or 'unknown'} is not {' or '.join(when.tiers)}")
    if when.regions is not None and (region or "").lower() not in when.regions:
        out.append(f"region {region or 'unknown'} is not {' or '.join(when.regions)}")
    if when.risk is not None and risk.lower() not in when.risk:
        out.append(f"risk {risk} is not {' or '.join(when.risk)}")
    return tuple(out)


def explain(
    policies: Policies,
    request_type: str,
    amount: float | Decimal | None,
    percent: float | None,
    tier: str | None,
    region: str | None,
    risk: str,
) -> RouteReason | None:
    """Why the policy routes this request where it does; None if the type is unknown to this policy."""
    rules = policies.approvals.request_types.get(request_type)  # type: ignore[call-overload]
    if not rules:
        return None
    value = float(amount) if amount is not None else None
    measure = policies.approvals.measures.get(request_type, {}).get("amount")  # type: ignore[call-overload]
    passed: list[tuple[str, tuple[str, ...]]] = []
    for rule in rules:
        missed = unmet(rule.when, value, percent, tier, region, risk, measure) if rule.when is not None else ()
        if not missed:
            lacking = any(NO_AMOUNT in m for _, m in passed)
            return RouteReason(
                rule.name, rule.when is None, tuple(passed), (measure or "the amount") if lacking else None
            )
        passed.append((rule.name, missed))
    return None
