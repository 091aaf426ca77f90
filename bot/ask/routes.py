"""Approval questions answered from ``approvals.yaml``: the route for THIS customer's tier and region and the
percentage/amount asked, in one sentence, with what was assumed for what the question left out.

"Can I give Willowfield Devices a 20% discount?" -> "A 20% discount for Willowfield Devices Co (gold) needs approval
from Sales manager, then Deal desk in #deal-desk if the discount value is at most $250,000 (above that: Sales
manager, then Deal desk, then Finance). Up to 10% and $10,000 at low risk is auto-approved." The rules are tried
exactly as :meth:`bot.policies.Policies.approval_route` tries them (``bot.approvals.routing.unmet`` names the
conditions a request misses), so the answer and a filed request never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot import mrkdwn
from bot.approvals.amounts import format_money, format_percent
from bot.approvals.routing import NO_AMOUNT, NO_PERCENT, unmet
from bot.ask.slots import AMOUNT_NEEDED, Problem
from bot.policies import ApprovalRule, ApprovalStep, Policies
from bot.policies.approvals import Condition

LABELS = {
    "discount": "discount",
    "custom_terms": "custom terms",
    "expedited_fulfilment": "expedite",
    "sla_exception": "service credit (SLA exception)",
    "special_handling": "special handling",
    "data_access": "data access request",
    "tier_override": "tier override",
}
MISSING = (NO_AMOUNT, NO_PERCENT)


# A question that asks for the route itself ("who approves ...", "does it need approval", "what can I give
# without approval"), as opposed to one about the request type ("does last year's discount carry over?", "which
# request type do I use?"): only these get every rule when no customer or value is named.
_ASKS_ROUTE = re.compile(
    r"\bwho\b.{0,40}\b(approv\w*|signs?\W+off|decides?|authori[sz]\w*)\b|\b(needs?|requires?|get)\b.{0,40}\bapprov\w*"
    r"|\bauto-?approv\w*|\bwithout (an )?approval\b|\bapproval (route|path|chain|limits?|thresholds?)\b",
    re.I,
)


def asks_route(question: str) -> bool:
    return _ASKS_ROUTE.search(question) is not None


def label_of(rtype: str) -> str:
    """A request type as the answer names it: "discount", "service credit (SLA exception)"."""
    return LABELS.get(rtype, rtype.replace("_", " "))


@dataclass(frozen=True)
class RouteAnswer:
    """The lead sentence(s), the request to prefill, and what to search to cite the rule."""

    sentences: tuple[str, ...]
    request_type: str
    rule: str | None  # the rule that applies (None: several, listed because no value was given)
    percent: float | None
    amount: Decimal | None
    citation_query: str
    sensitive: bool = False  # it states a value of the record only some roles see (valued on their ARR)


def _amount(value: float | Decimal, measure: str) -> str:
    if "usd" in measure.lower():
        return format_money(Decimal(str(value)))
    unit = " record" if "record" in measure.lower() else ""  # data access counts records, not money
    return f"{float(value):,.0f}{unit}{'s' if unit and float(value) != 1 else ''}"


def _measure(policies: Policies, rtype: str) -> str:
    measures = policies.approvals.measures.get(rtype, {})  # type: ignore[call-overload]
    return str(measures.get("amount") or "amount in USD")


def _measure_name(measure: str) -> str:
    """'discount value in USD over the contract term' -> 'discount value'."""
    return measure.split(" in ")[0].split(" over ")[0]


def conditions(when: Condition | None, measure: str) -> str:
    """A rule's conditions as a phrase: 'up to 10% and $10,000 at low risk'."""
    if when is None:
        return "anything else"
    limits = []
    if when.max_percent is not None:
        limits.append(format_percent(when.max_percent))
    if when.max_amount is not None:
        limits.append(_amount(when.max_amount, measure))
    parts = [f"up to {' and '.join(limits)}"] if limits else []
    if when.tiers is not None:
        parts.append(f"for {' or '.join(when.tiers)}")
    if when.regions is not None:
        parts.append(f"in {' or '.join(r.upper() for r in when.regions)}")
    if when.risk is not None:
        parts.append(f"at {' or '.join(when.risk)} risk")
    return " ".join(parts) or "always"


def chain(steps: Sequence[ApprovalStep]) -> str:
    """'Sales manager, then Deal desk in #deal-desk, then Finance (2 approvers) in #fin-approvals': each channel
    named once, after the run of steps decided in it."""
    runs: list[tuple[str, list[str]]] = []
    for s in steps:
        name = s.name + (f" ({s.required_approvals} approvers)" if s.required_approvals > 1 else "")
        if runs and runs[-1][0] == s.channel:
            runs[-1][1].append(name)
        else:
            runs.append((s.channel, [name]))
    return ", then ".join(f"{', then '.join(names)} in {mrkdwn.channel_link(channel)}" for channel, names in runs)


def outcome(rule: ApprovalRule) -> str:
    return "is auto-approved by Rapport (logged)" if rule.auto_approve else f"needs approval from {chain(rule.steps)}"


def _subject(
    rtype: str,
    who: str,
    percent: float | None,
    amount: Decimal | None,
    measure: str,
    base: Decimal | None = None,
    above: str = "",
) -> str:
    """'A 20% discount ($20,000) for *Acme* (gold)', 'A 12% discount ($14,400, 12% of $120,000) for ...', 'A service
    credit (SLA exception) of $800 for ...'; ``above``: 'An expedite over $5,000', 'A discount over 25%'."""
    label = label_of(rtype)
    pct = format_percent(percent) if percent is not None else ""
    value = _given(amount, measure)
    if value and pct and base is not None:
        value = f"{value}, {pct} of {format_money(base)}"
    if above == "amount" and value:
        value = f"over {value}"
    if above == "percent" and pct:
        what = f"{_article(label)} {label} over {pct}" + (f" ({value})" if value else "")
    elif pct:
        what = f"{'An' if pct.startswith(('8', '11', '18')) else 'A'} {pct} {label}" + (f" ({value})" if value else "")
    elif value:
        of = "" if above == "amount" else "of "  # "an expedite over $5,000", "an expedite of $5,000"
        what = f"{_article(label)} {label} {of}{value}" if "usd" in measure.lower() else f"{_article(label)} {label} "
        what = what if "usd" in measure.lower() else f"{what}for {value}"
    else:
        what = f"{_article(label)} {label}"
    what = what.strip()  # a label without an article ("custom terms") starts with the label itself
    what = what[0].upper() + what[1:]
    return f"{what} for {who}" if who else what


ABOVE = 0.01  # a value said as a lower bound is routed as this much larger (a cent, a hundredth of a point)


def _article(label: str) -> str:
    return "" if label.endswith("terms") or label.startswith("special") else ("an" if label[0] in "aeiou" else "a")


def _given(amount: Decimal | None, measure: str) -> str:
    return _amount(amount, measure) if amount is not None else ""


def applies_to(rule: ApprovalRule, tier: str | None, region: str | None) -> bool:
    """Whether the rule can ever match a request for this tier and region (its other conditions aside)."""
    when = rule.when
    if when is None:
        return True
    if when.tiers is not None and tier is not None and tier.lower() not in when.tiers:
        return False
    return not (when.regions is not None and region is not None and region.lower() not in when.regions)


def describe(
    policies: Policies,
    rtype: str,
    who: str,
    tier: str | None,
    region: str | None,
    percent: float | None,
    amount: Decimal | None,
    risk: str | None,
    base: Decimal | None = None,
    above: str = "",
) -> RouteAnswer:
    """The route for this request, or, when the question gave none of the values the type is routed by, every
    rule that can apply to this customer, cheapest first. ``who``: the customer as mrkdwn ("*Acme Inc* (gold)");
    ``base``: the deal ``amount`` was computed from as ``percent`` of it, said with it; ``above``: the value said as
    a lower bound ("amount" for "over $5,000", "percent"), so the request is routed as just larger and said so."""
    rules = list(policies.approvals.request_types.get(rtype, []))  # type: ignore[call-overload]
    measure = _measure(policies, rtype)
    level = risk or "low"  # what a request is filed with unless the requester says otherwise
    value = float(amount) if amount is not None else None
    if value is not None and above == "amount":
        value += ABOVE  # matched as just over it; said as given
    said_percent = percent
    if percent is not None and above == "percent":
        percent += ABOVE
    label = label_of(rtype)
    routed_by_values = any(r.when is not None and (r.when.max_amount or r.when.max_percent) is not None for r in rules)
    # A rule for some tiers or regions only, and the question names no customer, tier or region: which rule
    # applies is unknown, so every rule is listed ("for platinum or gold ...; anything else ...").
    unknown_place = (tier is None and any(r.when is not None and r.when.tiers is not None for r in rules)) or (
        region is None and any(r.when is not None and r.when.regions is not None for r in rules)
    )
    if (routed_by_values or unknown_place) and percent is None and amount is None:
        return _matrix(rtype, rules, who, tier, region, measure, label, routed_by_values)
    # The rules the request may meet depending on the value it left out (the discount value of "8%"), in the
    # order they are tried, then the first it meets whatever that value: the route at every size, not two ends.
    ladder: list[tuple[ApprovalRule, tuple[str, ...]]] = []
    route: ApprovalRule | None = None
    for rule in rules:
        missed = unmet(rule.when, value, percent, tier, region, level, measure) if rule.when is not None else ()
        if not missed:
            route = rule
            break
        if all(m in MISSING for m in missed):
            ladder.append((rule, missed))
    if route is None:  # pragma: no cover - every type ends in a catch-all rule (policy checks)
        raise LookupError(f"no {rtype} rule matches")
    subject = _subject(rtype, who, said_percent, amount, measure, base, above)
    stated = [rule for rule, _ in ladder] or [route]  # the rules the lead names, "above that" aside
    chosen = stated[0]
    if ladder:
        (first, missed), *rest = ladder
        assumed = _risk(first, risk)
        steps = [f"{outcome(first)}{assumed}{',' if assumed else ''} if {_limits(first, missed, measure)}"]
        steps += [f"up to {_limits(rule, missed, measure, bare=True)} it {outcome(rule)}" for rule, missed in rest]
        lead = f"{subject} {'; '.join(steps)}; above that it {outcome(route)}."
    else:
        lead = f"{subject} {outcome(route)}{_risk(chosen, risk)}."
    sentences = [lead]
    cheapest = next((r for r in rules if applies_to(r, tier, region)), None)
    if cheapest is not None and cheapest.when is not None and all(cheapest is not r for r in stated):
        sentences.append(f"{conditions(cheapest.when, measure).capitalize()} {outcome(cheapest)}.")
    return RouteAnswer(
        tuple(sentences), rtype, chosen.name, said_percent, amount, f"{chosen.name} {label} approval who approves"
    )


def _limits(rule: ApprovalRule, missed: tuple[str, ...], measure: str, bare: bool = False) -> str:
    """The limits of ``rule`` on the values the question left out: "the discount value is at most $10,000", or
    ``bare``, "$10,000"."""
    when = rule.when or Condition()
    ifs = []
    if NO_AMOUNT in missed and when.max_amount is not None:
        most = _amount(when.max_amount, measure)
        ifs.append(most if bare else f"the {_measure_name(measure)} is at most {most}")
    if NO_PERCENT in missed and when.max_percent is not None:
        most = format_percent(when.max_percent)
        ifs.append(most if bare else f"it is at most {most}")
    return " and ".join(ifs)


def _risk(rule: ApprovalRule, said: str | None) -> str:
    """Say the risk was assumed when the matched rule depends on it and the question did not give it."""
    # after the outcome, which may end in its own brackets ("auto-approved by Rapport (logged)")
    return ", at low risk (the default for a request)" if not said and rule.when and rule.when.risk else ""


def _matrix(
    rtype: str,
    rules: Sequence[ApprovalRule],
    who: str,
    tier: str | None,
    region: str | None,
    measure: str,
    label: str,
    routed_by_values: bool = True,
) -> RouteAnswer:
    """No percentage or amount given: each rule that can apply to this customer, cheapest first, up to the first
    that matches this customer whatever the value (the rules after it are never reached). No customer (``who``
    empty): every rule, and the answer asks for the customer too."""
    usable: list[ApprovalRule] = []
    for r in rules:
        if applies_to(r, tier, region):
            usable.append(r)
            if _whatever_the_value(r, tier, region):
                break
    head = f"For {who}, {_article(label)} {label}".replace(",  ", ", ") if who else f"{_article(label)} {label}".strip()
    head = head[0].upper() + head[1:]
    if len(usable) == 1 and usable[0].when is not None:
        # One rule decides ("in EMEA": privacy review whatever the value): the route is exact, nothing to ask.
        rule = usable[0]
        lead = f"{head}: every request {outcome(rule)}, whatever the {_measure_name(measure)}."
        return RouteAnswer((lead,), rtype, rule.name, None, None, f"{rule.name} {label} approval who approves")
    parts = [f"{conditions(r.when, measure)} {outcome(r)}" for r in usable]
    lead = f"{head}: {'; '.join(parts)}."
    wanted = []
    by_place = any(r.when is not None and (r.when.tiers or r.when.regions) is not None for r in usable)
    if not who and by_place:
        wanted.append("the customer")
    if routed_by_values:
        percent = any(r.when and r.when.max_percent is not None for r in usable)
        wanted.append(f"the {'percentage and ' if percent else ''}{_measure_name(measure)}")
    ask = f"Tell me {' and '.join(wanted)} for the exact route."
    return RouteAnswer((lead, ask), rtype, None, None, None, f"{label} approval thresholds who approves")


def _whatever_the_value(rule: ApprovalRule, tier: str | None, region: str | None) -> bool:
    """Whether the rule matches this customer's requests of any value and (unstated) risk: no value or risk limit,
    and its tier and region conditions known to hold."""
    when = rule.when
    if when is None:
        return True
    if when.max_amount is not None or when.max_percent is not None or when.risk is not None:
        return False
    if when.tiers is not None and (tier is None or tier.lower() not in when.tiers):
        return False
    return when.regions is None or (region is not None and region.lower() in when.regions)


def invalid(rtype: str | None, problems: Sequence[Problem], measure: str | None = None) -> str:
    """The short reply to a value no request can carry (a percentage over 100, a negative amount): each problem
    said back, and what to give instead (the first problem's; an amount named by what the type measures)."""
    what = LABELS.get(rtype or "", "request")
    said = "; ".join(p.said for p in problems)
    need = problems[0].need if problems else AMOUNT_NEEDED
    if measure and need in (AMOUNT_NEEDED, "the amount in USD"):
        need += f" ({_measure_name(measure)})"
    return f"I can't route that {what}: {said}. Give {need} and I'll tell you who approves it."
