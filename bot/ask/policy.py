"""Executable policy: answers computed from the policy YAML and the customer's data, not paraphrased."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot import mrkdwn
from bot.ask.dates import counted
from bot.ask.facts import clock_text, name_of, ticket_line
from bot.ask.intents import PRIORITY, catalog, longest_matches
from bot.customers.card import CustomerCard, TicketLine, unknown_tier
from bot.customers.sla import human
from bot.policies import EscalationStep, Policies
from bot.policies.tiers import TierPromises

ESCALATION_WORDS = re.compile(
    r"\b(escalat\w*|sla|breach\w*|response time|resolution time|sev(?:erity)?\s*-?\s*[1-4]|p[1-4]|who (?:do|should) i"
    r"|page|on[- ]call|urgent|outage|down)\b",
    re.I,
)
STATE_RANK = {"breached": 0, "at_risk": 1, "ok": 2}


@dataclass(frozen=True)
class PolicyFinding:
    summary: str  # mrkdwn sentence(s) stating the computed answer
    tier: str
    severity: str | None = None
    escalate_to: str | None = None  # user or group id
    channel: str | None = None
    within: str | None = None
    next_step: str | None = None
    ticket_id: int | None = None
    breached: bool = False
    citation_query: str = ""  # what to search to cite the playbook section that states this
    citation_title: str = ""  # the playbook (by title words) whose section states it
    sensitive: bool = False  # it states a value only some roles may see: the answer goes to the asker only
    # the playbooks' sentences on the question may follow it; not after a list of the asker's own requests, which
    # the section on how requests are decided is cited for and the question's words find nothing to add to
    supported: bool = True


def is_policy_question(question: str) -> bool:
    return bool(ESCALATION_WORDS.search(question))


def mention(principal: str | None) -> str:
    return mrkdwn.mention(principal, nobody="the account owner")


def _worst(tickets: list[TicketLine]) -> TicketLine | None:
    clocked = [t for t in tickets if t.clock]
    if not clocked:
        return None
    return min(clocked, key=lambda t: (STATE_RANK[t.clock.state], t.priority, -t.clock.elapsed.total_seconds()))  # type: ignore[union-attr]


def escalation_finding(
    policies: Policies, card: CustomerCard, question: str, priority: str | None = None, ticket: int | None = None
) -> PolicyFinding | None:
    """For a customer with open tickets: which clock matters, is it breached, and who to escalate to.
    ``priority``: the one asked about, as the question's reading gives it (a thread's earlier question's, for a
    follow-up); else read from ``question``. ``ticket``: the one the question names ("who do I escalate #1305
    to?"), which is the clock that matters while it is open."""
    tier = card.tier
    problem = unknown_tier(policies, tier)
    if problem is not None:  # a source's own word (e.g. "Enterprise"): say so rather than answer generically
        owner = mention(card.owner) if card.owner else "the account owner"
        return PolicyFinding(
            f"*{mrkdwn.escape(card.name)}*: {mrkdwn.escape(problem)}. "
            f"{'Until then, escalate' if policies.configured else 'Escalate'} to {owner} directly.",
            tier,
            escalate_to=card.owner,
        )
    found = PRIORITY.search(question)
    priority = priority or (f"P{found.group(1)}" if found else "")
    # a priority asked about ("Acme has a P3 open, who do I escalate to?") is that priority's ticket, not their
    # most urgent one; the most urgent is still named when no ticket of the asked priority is on a clock
    named = [t for t in card.tickets if t.id == ticket]
    worst = _worst(named or [t for t in card.tickets if not priority or t.priority.upper() == priority])
    if worst is None or worst.clock is None:
        if not priority:
            return escalation_by_severity(policies, tier, card)
        matrix = escalation_step_finding(policies, tier, priority, card.owner)
        other = _worst(card.tickets)
        note = (
            f" No open {priority} ticket of theirs has an SLA clock on record (their most urgent is #{other.id}, "
            f"{mrkdwn.escape(other.priority)}): check the ticket is logged."
            if other is not None
            else " No open ticket of theirs has an SLA clock on record: check the ticket is logged."
        )
        told = _against_target(policies, tier, priority, question)  # "is that a breach?": the verdict leads
        return replace(matrix, summary=f"{told} {matrix.summary}{note}".lstrip())
    clock = worst.clock
    sev_num = int(worst.priority[1]) if worst.priority[:1] in "Pp" else 3
    if clock.state == "breached" and sev_num > 2:
        sev_num = 2  # a breached SLA is at least a sev2 (escalation.yaml)
    severity = f"sev{sev_num}"
    step = policies.escalation_for(tier, severity)
    # a ticket on the clock needs a person: with no owner on the record, the tier's on-duty owner takes it
    target = _escalate_to(policies, tier, step.escalate_to, card.owner or policies.on_duty(tier))
    state_text = clock_text(clock)
    action = "now" if clock.state != "ok" else f"if it is not resolved within {human(clock.remaining)}"
    summary = (
        f"*{mrkdwn.escape(card.name)}* ({tier}), {worst.priority} ticket #{worst.id} open {human(clock.elapsed)}"
        f"{' (business hours)' if clock.coverage == 'business_hours' else ''}: {state_text}. "
        f"Escalate ({severity}) to {mention(target)} in <#{step.channel}> {action}, "
        f"acknowledged within {human(step.within)}. Next step: {step.next_step}."
    )
    return PolicyFinding(
        summary,
        tier,
        severity,
        target,
        step.channel,
        human(step.within),
        step.next_step,
        worst.id,
        clock.state == "breached",
        f"escalation matrix {tier} {severity}",
    )


def sla_finding(policies: Policies, tier: str, priority: str, card: CustomerCard | None = None) -> PolicyFinding:
    """The tier's targets for a priority; for a customer with open tickets of that priority, their clocks first
    ("Acme's P1 - how long until it breaches?" is asked about the ticket, answered with the target too)."""
    target = policies.sla_target(tier, priority)
    summary = (
        f"*{tier.title()} {target.priority}*: first response within {human(target.first_response)}, "
        f"resolution within {human(target.resolution)} ({target.coverage.replace('_', ' ')})."
    )
    mine = [t for t in card.tickets if t.priority.upper() == target.priority] if card is not None else []
    if card is not None and mine:
        shown = "\n".join(f"• {ticket_line(t)}" for t in mine[:3])
        summary = f"{name_of(card)}'s open {target.priority} ticket{'s' if len(mine) > 1 else ''}:\n{shown}\n{summary}"
    return PolicyFinding(
        summary, tier, citation_query=f"SLA targets {tier} {target.priority} first response", citation_title="sla"
    )


# The one on duty for a tier is the one away: the on-duty rule names nobody else, and the hand-off playbook has
# the CS lead name cover.
_COVER = "the CS lead names who covers"


def duty_finding(
    policies: Policies, tier: str | None, card: CustomerCard | None = None, away: str | None = None
) -> PolicyFinding:
    """Who is on duty (roles.yaml ``on_duty``: who takes an account of the tier that has no owner, or whose owner
    is away): for the customer's or the named tier, else for every tier. ``away``: the staff member the question
    says is away (the asker's "my accounts", "Marcus's accounts"; a customer's owner), never named as their own
    cover."""
    if tier is None:
        duties = {t: policies.on_duty(t) for t in policies.tier_names}
        each = [
            f"• *{t.title()}*: {mention(who)}{f' (the one away: {_COVER})' if who == away else ''}"
            for t, who in duties.items()
            if who
        ]
        if not each:
            return PolicyFinding("No one is on duty for any tier (roles.yaml has no `on_duty`).", "")
        head = "On duty (takes an account with no owner, or whose owner is away), by tier:"
        return PolicyFinding("\n".join([head, *each]), "", citation_query="on duty owner", citation_title="role")
    duty = policies.on_duty(tier)
    who = f"{mention(duty)} is on duty" if duty else "No one is on duty"
    said = f"{who} for *{tier.title()}* accounts: they take an account with no owner, or whose owner is away."
    if duty and duty == (away or (card.owner if card is not None else None)):
        said += f" They are the one away: {_COVER}."
    if card is not None:
        owner = f"owned by {mention(card.owner)}" if card.owner else "has no owner on record"
        said = f"{name_of(card)} ({tier}) is {owner}. {said}"
    return PolicyFinding(said, tier, citation_query="on duty owner", citation_title="role")


def sla_summary(policies: Policies, tier: str, who: str = "") -> PolicyFinding:
    """Every priority's targets for a tier, when the question named none ("what SLA does Acme get?")."""
    parts = []
    for prio in ("P1", "P2", "P3", "P4"):
        t = policies.sla_target(tier, prio)
        parts.append(f"{prio} {human(t.first_response)} / {human(t.resolution)}")
    coverage = policies.sla_target(tier, "P1").coverage.replace("_", " ")
    head = f"{who} is *{tier.title()}*: " if who else f"*{tier.title()}* SLA: "
    summary = f"{head}first response / resolution {', '.join(parts)} ({coverage})."
    # the query carries what the summary states (every priority, both targets), so it finds the targets table
    # rather than a section that only mentions the tier's targets ("When a target is about to be missed")
    query = f"SLA targets {tier} P1 P2 P3 P4 first response resolution"
    return PolicyFinding(summary, tier, citation_query=query, citation_title="sla")


def escalation_step_finding(policies: Policies, tier: str, priority: str, owner: str | None = None) -> PolicyFinding:
    """The escalation matrix for a tier and severity with no ticket to read ("platinum P1?"); ``owner``: the
    customer's account owner, when there is a customer."""
    severity = f"sev{priority[-1]}"
    step = policies.escalation_for(tier, severity)
    target = _escalate_to(policies, tier, step.escalate_to, owner)
    summary = f"*{tier.title()} {severity}*: escalate to {_reach(step, target)}. Next step: {step.next_step}."
    return PolicyFinding(
        summary,
        tier,
        severity,
        target,
        step.channel,
        human(step.within),
        step.next_step,
        citation_query=f"escalation matrix {tier} {severity}",
        citation_title="escalation",
    )


def _escalate_to(policies: Policies, tier: str, target: str, owner: str | None) -> str | None:
    """Who the matrix's ``escalate_to`` names: the customer's owner (None when there is no customer), the tier's
    on-duty owner, or the user or group written there."""
    if target == "owner":
        return owner or None
    if target == "on_duty":
        return policies.on_duty(tier)
    return target


def _reach(step: EscalationStep, target: str | None) -> str:
    """Who, where and how fast, as one clause: "<@U…> in <#C…>, acknowledged within 15m"."""
    who = mention(target) if target else "the account owner"
    return f"{who} in <#{step.channel}>, acknowledged within {human(step.within)}"


def _first_level(policies: Policies, tier: str, severity: str, owner: str | None) -> str:
    """The matrix's first level for a tier and severity, as one clause (see _reach)."""
    step = policies.escalation_for(tier, severity)
    return _reach(step, _escalate_to(policies, tier, step.escalate_to, owner))


def escalation_by_severity(policies: Policies, tier: str, card: CustomerCard | None = None) -> PolicyFinding:
    """The matrix's first level for each severity of a tier, when no severity is asked: for a tier alone ("what
    is the escalation channel for silver?"), or for a customer with no open ticket on an SLA clock ("any breached
    SLAs for Acme?", "Acme is down, who do I page?"), saying that nothing is on record."""
    owner = card.owner if card else None
    rows = [f"• *Sev {n}*: {_first_level(policies, tier, f'sev{n}', owner)}" for n in range(1, 5)]
    head = (
        f"*{mrkdwn.escape(card.name)}* ({tier}) has no open ticket on an SLA clock, so nothing is breached or "
        "due on record. If something is wrong now, log the ticket; the first escalation by severity:"
        if card
        else f"Who a *{tier.title()}* escalation goes to, by severity:"
    )
    return PolicyFinding(
        "\n".join([head, *rows]),
        tier,
        citation_query=f"escalation matrix {tier}",
        citation_title="escalation",
    )


def escalation_by_tier(policies: Policies, priority: str, assumed: bool = False) -> PolicyFinding:
    """The matrix's first level for a severity in every tier, when the question names no customer and no tier
    ("who do I escalate a P3 to?"): the tier decides, so each is stated rather than guessed. ``assumed``: the
    question named no priority either ("who is on call?"), so the most urgent one is said, and that it was."""
    severity = f"sev{priority[-1]}"
    rows = [f"• *{tier.title()}*: {_first_level(policies, tier, severity, None)}" for tier in policies.tier_names]
    head = f"Who a *{severity}* goes to depends on the customer's tier (name the customer for theirs):"
    if assumed:
        head = (
            f"Who is on call depends on the customer's tier and the severity; for a *{severity}* (name the "
            "priority, the tier or the customer for another):"
        )
    return PolicyFinding(
        "\n".join([head, *rows]),
        "",
        severity,
        citation_query=f"escalation matrix {severity}",
        citation_title="escalation",
    )


def sla_by_tier(policies: Policies, priority: str) -> PolicyFinding:
    """A priority's targets in every tier, when the question names no customer and no tier ("what's the first
    response time for a P2?")."""
    rows = []
    for tier in policies.tier_names:
        t = policies.sla_target(tier, priority)
        rows.append(
            f"• *{tier.title()}*: {human(t.first_response)} / {human(t.resolution)} ({t.coverage.replace('_', ' ')})"
        )
    head = f"*{priority.upper()}* first response / resolution targets by tier (name the customer for theirs):"
    query = f"SLA targets {' '.join(policies.tier_names)} {priority} first response resolution"
    return PolicyFinding("\n".join([head, *rows]), "", citation_query=query, citation_title="sla")


# What a question about a tier's promises may single out (tiers.yaml ``promises``), by the words that ask it.
PROMISE_WORDS: dict[str, re.Pattern[str]] = {
    "coverage": re.compile(r"\b(coverage|24x7|24/7|business hours|support hours|weekends?|nights?)\b", re.I),
    "named_owner": re.compile(r"\b(named (owner|account)|account (manager|director|team)|dedicated)\b", re.I),
    "executive_sponsor": re.compile(r"\b(executive|exec|sponsor)\b", re.I),
    "business_review_every_days": re.compile(r"\b(business reviews?|qbrs?|ebrs?)\b", re.I),
    "proactive_checkin_every_days": re.compile(r"\b(check[- ]?ins?|proactive)\b", re.I),
    "support_channels": re.compile(r"\b(channels?|slack connect|phone|portal)\b", re.I),
    "onboarding": re.compile(r"\bonboard\w*\b", re.I),
    # the workload cap, asked as a limit: "how many accounts can a gold account manager own?"
    "max_accounts_per_owner": re.compile(
        r"\b(accounts per (owner|manager)|how many (\w+ )?(accounts|customers) (can|may|should|could) (an?|one|each|"
        r"the|our)? ?(\w+ )?(owner|account manager|am|csm|director|person|rep)|how many (\w+ )?(accounts|customers) "
        r"(can|may|should|could) (i|we|you|they|he|she) (own|have|handle|manage|look after|carry|take on)"
        r"( as (an?|the) (\w+ )?(owner|account manager|am|csm|director))?)\b",
        re.I,
    ),
}
_CHANNELS = {"slack_connect": "Slack Connect", "phone": "phone", "email": "email", "portal": "portal"}
PROMISE_LABELS = {
    "coverage": "support coverage",
    "named_owner": "named owner",
    "executive_sponsor": "executive sponsor",
    "business_review_every_days": "business review",
    "proactive_checkin_every_days": "proactive check-in",
    "support_channels": "support channels",
    "onboarding": "onboarding",
    "max_accounts_per_owner": "accounts per owner",
}


def _every(days: int | None) -> str:
    return "none" if days is None else "yearly" if days == 365 else f"every {days} days"


def promise_values(promises: TierPromises) -> dict[str, str]:
    """Each promise of a tier as the value a reader compares: '24x7', 'every 90 days', 'yes'."""
    channels = [_CHANNELS.get(c, c) for c in promises.support_channels]
    most = promises.max_accounts_per_owner
    return {
        "coverage": promises.coverage.replace("_", " "),
        "named_owner": mrkdwn.escape(promises.named_owner),
        "executive_sponsor": "yes" if promises.executive_sponsor else "no",
        "business_review_every_days": _every(promises.business_review_every_days),
        "proactive_checkin_every_days": _every(promises.proactive_checkin_every_days),
        "support_channels": mrkdwn.listed(channels),
        "onboarding": promises.onboarding.replace("_", "-"),
        "max_accounts_per_owner": f"at most {most}" if most else "no limit",
    }


def _promised(key: str, value: str) -> str:
    """One promise as a list of them reads it: "business review every 90 days", "an executive sponsor", "no
    executive sponsor" (was "executive sponsor no"), "no business review" (was "business review none")."""
    label = PROMISE_LABELS[key]
    if value in ("no", "none"):
        return f"no {label}"
    if value == "no limit":
        return f"no limit on {label}"
    if value == "yes":
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"
    return f"{label} {value}"


def promises_finding(policies: Policies, tiers: Sequence[str], question: str, who: str = "") -> PolicyFinding:
    """What a tier is promised (tiers.yaml), or what one tier gets that another does not when the question names
    two ("what does a gold customer get that a silver one doesn't?"): the promises the question asks about, or all
    of them. ``who``: the customer as mrkdwn, when the question is about one."""
    asked = list(longest_matches({k: [words] for k, words in PROMISE_WORDS.items()}, question))
    first = tiers[0]
    problem = unknown_tier(policies, first)
    if problem is not None:  # a source's own word for the tier (e.g. "Enterprise"): nothing is promised to it
        return PolicyFinding(f"{who or mrkdwn.escape(first)}: {mrkdwn.escape(problem)}.", first)
    mine = promise_values(policies.tier(first).promises)
    keys = asked or list(mine)
    head = f"{who} ({first})" if who else f"*{first.title()}*"
    if len(tiers) >= 2 and tiers[1] != first:
        other = tiers[1]
        theirs = promise_values(policies.tier(other).promises)
        differ = [k for k in keys if mine[k] != theirs[k]]
        if differ:
            parts = [f"{PROMISE_LABELS[k]} {mine[k]} ({other}: {theirs[k]})" for k in differ]
            summary = f"*{first.title()}* over *{other.title()}*: {'; '.join(parts)}."
        else:
            same = "; ".join(f"{PROMISE_LABELS[k]} {mine[k]}" for k in keys)
            summary = f"*{first.title()}* and *{other.title()}* are promised the same: {same}."
    else:
        summary = f"{head} is promised: {'; '.join(_promised(k, mine[k]) for k in keys)}."
    return PolicyFinding(summary, first, citation_query=f"what each tier is promised {first}", citation_title="tier")


def asks_delivery(question: str) -> bool:
    """Whether the question has the words of alert timing and delivery (the ``alert_delivery`` patterns of
    data/intents.yaml), not only its meaning: "what should I do when I get a gone-quiet alert?" is the
    handbook's procedure, not the asker's delivery."""
    low = question.lower()
    return any(p.search(low) for p in catalog()["alert_delivery"].patterns)


def alert_delivery_finding(
    policies: Policies, asker: str, now: dt.datetime, at: dt.time | None = None
) -> PolicyFinding:
    """When Rapport's alerts reach ``asker`` (alerts.yaml ``defaults`` and ``priority``, the asker's time zone in
    roles.yaml): quiet hours and what breaks through them, the digest, the daily cap. ``at``: the time of day the
    question asks about ("why did I get an alert at 3am?"), in the asker's zone; else now."""
    d = policies.alerts.defaults
    member = policies.staff(asker)
    zone = member.tz if member else "UTC"
    local = now.astimezone(ZoneInfo(zone))
    start, end = d.quiet_hours.start, d.quiet_hours.end
    when = at or local.time()
    inside = (start <= when or when < end) if start > end else start <= when < end
    tz_said = f"your time zone, {mrkdwn.escape(zone)}" if member else "UTC, as you are not in roles.yaml"
    ranking = policies.alerts.ranking
    through = (
        "only urgent alerts of the top priority band interrupt"
        if any(b.quiet_hours_bypass for b in ranking.bands)
        else "no alert interrupts"
    )
    never = ranking.never_defer_tiers
    summary = (
        f"Quiet hours for alerts are {start:%H:%M}-{end:%H:%M} in {tz_said} ({'' if at else 'now '}{when:%H:%M} "
        f"{'is' if at else 'there:'} {'inside' if inside else 'outside'} them). During them {through}; other "
        f"urgent alerts wait until {end:%H:%M}, and digest alerts come in your {d.digest_local_time:%H:%M} "
        f"digest. At most {d.per_recipient_daily_cap} interruptions a day"
        + (f"; urgent {' and '.join(never)} alerts are never deferred to a digest." if never else ".")
    )
    return PolicyFinding(summary, "", citation_query="alert delivery rules quiet hours", citation_title="alert")


_UNITS = {"m": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(7)}
# how long the asker says a ticket has been open ("its P2 has been open 3 days, is that a breach?")
_TOLD_OPEN = re.compile(
    r"\b(?:open(?:ed)?|waiting|unresolved|unanswered|stuck)(?: for| since)?(?: about| nearly| over)? "
    r"(\d{1,3}|an?|one|two|three|four|five|six|seven) ?(min(?:ute)?s?|h(?:ours?|rs?)?|d(?:ays?)?|w(?:eeks?)?)\b"
    r"|\b(\d{1,3}|an?|one|two|three|four|five|six|seven) (minutes?|hours?|days?|weeks?) old\b",
    re.I,
)


def told_open(question: str) -> dt.timedelta | None:
    """How long the question says the ticket has been open, if it says."""
    found = _TOLD_OPEN.search(question)
    if found is None:
        return None
    said, unit = (found.group(1), found.group(2)) if found.group(1) else (found.group(3), found.group(4))
    return counted(said) * _UNITS[unit[0].lower()]


def _against_target(policies: Policies, tier: str, priority: str, question: str) -> str:
    """The time the asker gives against the tier's resolution target ("open 3 days": past the 1d target by 2d). On
    a business-hours tier calendar time overstates the clock: under the target it is within it, over it the logged
    ticket's clock decides."""
    told = told_open(question)
    if told is None:
        return ""
    target = policies.sla_target(tier, priority)
    said = f"A {tier} {target.priority} open {human(told)}, as you say,"
    resolution, first = human(target.resolution), human(target.first_response)
    if told <= target.resolution:
        return f"{said} is within its {resolution} resolution target if it had its first response within {first}."
    if target.coverage == "business_hours":
        return (
            f"{said} may be past its {resolution} resolution target: {tier} runs on business hours, so the clock has "
            "counted less than the calendar; the logged ticket's clock decides."
        )
    return (
        f"{said} is past its {resolution} resolution target by {human(told - target.resolution)}, unless the clock "
        "was paused waiting on the customer."
    )
