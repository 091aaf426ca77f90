"""How support kept its SLA across the book: "how are we doing on SLA this week?", "how many tickets did we close
last week?", "what's our median resolution time this month?", "what's our first contact resolution rate?"; and how
many came in: "how many P1 tickets did we have this month?" (the tickets opened in the window, by priority).

The KPI pack's own figures (:mod:`bot.customers.service_levels`, as ``playbooks/governance/kpis-per-tier.md``
defines them), over the tickets closed in the window the question names (the last 7 days, as the weekly digest,
when it names none): first-response and resolution SLA met and first-contact resolution per tier against the
targets of ``tiers.yaml``, with the median times. Aggregates of tickets, which every role may see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot import mrkdwn
from bot.ask.dates import latest_window
from bot.ask.policy import PolicyFinding
from bot.customers.outcomes import beside_target, percent
from bot.customers.service_levels import closed_tickets, opened_counts, ticket_figures
from bot.customers.sla import human
from bot.services import Services

DEFAULT_DAYS = 7  # the window when the question names none: the weekly digest's
# cited: the KPI playbook's service targets per tier
CITED = "first response SLA met resolution SLA met first contact resolution targets per tier"


def service_levels_finding(
    services: Services,
    questions: Sequence[str],
    now: dt.datetime,
    tiers: Sequence[str] = (),
    priority: str | None = None,
) -> PolicyFinding:
    """``questions``: the thread's chain, the question last; the window is the latest one said. ``tiers``: those the
    question names ("how are we doing on SLA for platinum?"): their tickets alone; none, every tier's. ``priority``:
    the one it names ("how many P1s missed their target?"), alone."""
    policies = services.policies
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    end = until or now
    rows = [
        r
        for r in closed_tickets(services.engine, since, end)
        if (not tiers or r.tier in tiers) and (priority is None or r.priority == priority)
    ]
    per, unknown = ticket_figures(policies, rows)
    closed = sum(int(t["closed"]) for t in per.values())
    named = " ".join(w for w in (", ".join(mrkdwn.escape(t) for t in tiers), priority or "") if w)
    which = f"{named} " if named else ""  # "platinum ", "gold P2 "
    if not closed:
        return _finding(f"No {which}ticket was closed {window}.")
    subject = f"{which[0].upper()}{which[1:]}tickets" if which else "Tickets"
    fr_met = sum(t["fr_met"] for t in per.values())
    res_met = sum(t["res_met"] for t in per.values())
    # the share and the count missed: "how many tickets breached SLA last week?" asks the count
    lines = [
        f"{subject} closed {window}: {closed:,}; first-response SLA met {percent(fr_met / closed)} "
        f"({closed - int(fr_met):,} missed), resolution SLA met {percent(res_met / closed)} "
        f"({closed - int(res_met):,} missed)."
    ]
    targets = {t.name: t.targets for t in policies.tiers.tiers}
    order = [*(n for n in policies.tier_names if n in per), *sorted(set(per) - set(policies.tier_names))]
    for tier in order:
        t, goal = per[tier], targets.get(tier)
        n = int(t["closed"])
        said = [
            _against("first response met", t["fr_met"] / n, goal.first_response_sla_met if goal else None),
            _against("resolution met", t["res_met"] / n, goal.resolution_sla_met if goal else None),
        ]
        if t["fcr_known"]:
            fcr = t["fcr"] / t["fcr_known"]
            said.append(_against("first-contact resolution", fcr, goal.first_contact_resolution if goal else None))
        times = [
            f"{what} {human(dt.timedelta(hours=t[key]))}"
            for what, key in (("first response", "first_response_hours"), ("resolution", "resolution_hours"))
            if key in t
        ]
        median = f"; median {', '.join(times)}" if times else ""
        lines.append(f"• *{mrkdwn.escape(tier)}*: {n:,} closed; {', '.join(said)}{median}")
    if unknown:
        lines.append(
            f"First-contact resolution leaves out {unknown:,} ticket{'' if unknown == 1 else 's'} whose helpdesk "
            "reports no agent responses (never guessed)."
        )
    return _finding("\n".join(lines))


# How many tickets came in, not how they were closed: "how many P1 tickets did we have this month?", "how many
# tickets were opened last week?", "ticket volume this quarter"
_OPENED = re.compile(
    r"\bhow many\b.{0,30}\b(?:tickets?|p[1-4]s?|cases|incidents)\b.{0,20}\b(?:did (?:we|support|the team) (?:have|get|"
    r"receive|see)|were (?:there|opened|raised|filed|logged|created|submitted)|came in|have (?:we had|been opened))\b"
    r"|\bhow many (?:new )?(?:tickets?|p[1-4]s?|cases) (?:opened|raised|came in|were opened)\b|\bticket volumes?\b",
    re.I,
)


def asks_opened(question: str) -> bool:
    return bool(_OPENED.search(question))


def opened_finding(
    services: Services,
    questions: Sequence[str],
    now: dt.datetime,
    tiers: Sequence[str] = (),
    priority: str | None = None,
) -> PolicyFinding:
    """The tickets opened in the window the question names (the last 7 days when none), by priority (by tier when
    it names a priority): only the tiers and the priority named."""
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    counts = {
        key: n
        for key, n in opened_counts(services.engine, since, until or now).items()
        if (not tiers or key[0] in tiers) and (priority is None or key[1] == priority)
    }
    total = sum(counts.values())
    named = [*tiers, *((priority,) if priority else ())]  # "gold P1 "
    which = "".join(f"{mrkdwn.escape(w)} " for w in named)
    if not total:
        return _finding(f"No {which}ticket was opened {window}.")
    by: dict[str, int] = {}
    for (tier, prio), n in counts.items():
        key = tier if priority else prio  # a priority named: by tier, else by priority
        by[key] = by.get(key, 0) + n
    order = [*(n for n in services.policies.tier_names if n in by)] if priority else sorted(by)
    order += sorted(set(by) - set(order))
    parts = ", ".join(f"{mrkdwn.escape(k)} {by[k]:,}" for k in order)
    subject = f"{which[0].upper()}{which[1:]}tickets" if which else "Tickets"
    return _finding(f"{subject} opened {window}: {total:,} ({parts}).")


def _against(label: str, value: float, target: float | None) -> str:
    """ "first response met 93% (target 98%, *missed*)"."""
    if target is None:
        return f"{label} {percent(value)}"
    missed = ", *missed*" if value < target else ""
    shown = beside_target(value, target, bool(missed), percent, "{:.1%}".format)
    return f"{label} {shown} (target {percent(target)}{missed})"


def _finding(text: str) -> PolicyFinding:
    """Cited to the KPI playbook's service targets; the figures are the answer (no prose after them)."""
    return PolicyFinding(text, "", citation_query=CITED, citation_title="kpi", supported=False)
