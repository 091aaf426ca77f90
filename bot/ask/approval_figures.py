"""How approvals went across the book: "how many discounts did we approve this month?", "what's our approval
turnaround?", "how many requests were rejected last month?".

The KPI pack's approval figures (:mod:`bot.approvals.figures`): requests made and decided in the window the question
names (the last 30 days when none), how many were approved, and the median hours from request to decision for those
people decided (the rules auto-approve the rest at once); of the request type the question names, if any. Counts of
requests, which every role may see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot import mrkdwn
from bot.approvals.amounts import format_percent
from bot.approvals.figures import approval_pathways, discount_rates
from bot.ask.dates import latest_window
from bot.ask.facts import sees, who_sees
from bot.ask.policy import PolicyFinding
from bot.ask.routes import label_of
from bot.customers.outcomes import percent
from bot.customers.sla import human
from bot.policies import Policies
from bot.services import Services

DEFAULT_DAYS = 30  # the window when the question names none
DISCOUNTS = "discount_history"  # the record field whose access the discounts' percentages follow
CITED = "approval volume by type median turnaround per step approval rate recurring exceptions"
# the request types as questions name them (each only where approvals.yaml configures it)
_TYPES = (
    ("discount", r"discounts?"),
    ("sla_exception", r"(?:service )?credits?|sla exceptions?"),
    ("expedited_fulfilment", r"expedit\w*"),
    ("custom_terms", r"custom (?:contract )?terms"),
    ("special_handling", r"special handling"),
    ("data_access", r"data access(?: requests?)?"),
    ("tier_override", r"tier overrides?"),
)


def request_type_named(policies: Policies, question: str) -> str | None:
    """The approvals.yaml request type the question names ("how many discounts ..."), or None."""
    types = policies.approvals.request_types
    return next((t for t, words in _TYPES if t in types and re.search(rf"\b(?:{words})\b", question, re.I)), None)


def approval_figures_finding(
    services: Services, questions: Sequence[str], now: dt.datetime, asker: str = ""
) -> PolicyFinding:
    """``questions``: the thread's chain, the question last; the window is the latest one said, the type the
    latest named. Discounts' percentages (a tier's mean may be one customer's discount) only to ``asker`` when
    their roles see discount history."""
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    rtype = next((t for q in reversed(questions) if (t := request_type_named(services.policies, q))), None)
    standard, exception = approval_pathways(services.engine, since, until or now, rtype)
    made = standard.requests + exception.requests
    decided = standard.decided + exception.decided
    what = f"{label_of(rtype)} requests" if rtype else "approval requests"
    clocks = _step_clocks(services, rtype) if rtype and _HOW_LONG.search(questions[-1]) else ""
    if not made and not decided:
        return _finding(f"No {what[:-1]} was made or decided {window}.{clocks}")
    approved = standard.approved + exception.approved
    rate = f" ({percent(approved / decided)})" if decided else ""
    lines = [f"{what[0].upper()}{what[1:]} {window}: {made:,} made, {decided:,} decided, {approved:,} approved{rate}."]
    if standard.decided:
        lines.append(f"• Auto-approved by the rules: {standard.decided:,}")
    if exception.decided:
        turnaround = exception.median_turnaround_hours
        said = f", median turnaround {human(dt.timedelta(hours=turnaround))}" if turnaround is not None else ""
        refused = exception.decided - exception.approved
        lines.append(
            f"• Decided by approvers: {exception.decided:,}, {exception.approved:,} approved and {refused:,} not "
            f"(rejected, changes requested or expired){said}"
        )
    shown = False
    if rtype == "discount" and (rates := discount_rates(services.engine, since, until or now)):
        if sees(services.policies, asker, DISCOUNTS):
            lines.append(_rates(rates, services.policies.tier_names))
            shown = True
        else:
            lines.append(
                f":lock: The discounts' percentages are restricted for your role"
                f"{who_sees(services.policies, [DISCOUNTS])}."
            )
    # a percentage that may be one customer's: to the asker only, as a card keeps it
    return _finding("\n".join(lines) + clocks, sensitive=shown)


def _rates(rates: dict[str, tuple[int, float]], tiers: Sequence[str]) -> str:
    """ "• Approved discounts averaged 11.5% (platinum 14%, gold 12%)": the mean over all, then each tier's."""
    n = sum(count for count, _ in rates.values())
    mean = sum(count * rate for count, rate in rates.values()) / n
    order = [*(t for t in tiers if t in rates), *sorted(set(rates) - set(tiers))]
    each = ", ".join(f"{mrkdwn.escape(t)} {format_percent(round(rates[t][1], 1))}" for t in order)
    return f"• Approved discounts averaged {format_percent(round(mean, 1))} ({each})"


_HOW_LONG = re.compile(r"\bhow (long|quickly|fast)\b|\bturnaround\b", re.I)


def _step_clocks(services: Services, rtype: str) -> str:
    """The clocks approvals.yaml sets on the type's steps (reminder, then escalation), which bound what "how long
    does it usually take?" asks: "By policy each step is reminded after 8h and escalates undecided after 1d"."""
    rules = [r for t, rs in services.policies.approvals.request_types.items() if t == rtype for r in rs]
    steps = {mrkdwn.escape(s.name): s for rule in rules for s in rule.steps}  # a maintainer's words, inert too
    if not steps:
        return ""
    clocks = {(human(s.reminder_after), human(s.timeout)) for s in steps.values()}
    names = ", ".join(steps)
    if len(clocks) == 1:
        remind, timeout = clocks.pop()
        return f"\nBy policy each step is reminded after {remind} and escalates undecided after {timeout}: {names}."
    each = ", ".join(f"{n} after {human(s.reminder_after)} and {human(s.timeout)}" for n, s in steps.items())
    return f"\nBy policy a step is reminded, then escalated if still undecided: {each}."


def _finding(text: str, sensitive: bool = False) -> PolicyFinding:
    """Cited to the KPI playbook's approval figures; the figures are the answer (no prose after them)."""
    return PolicyFinding(text, "", citation_query=CITED, citation_title="kpi", supported=False, sensitive=sensitive)
