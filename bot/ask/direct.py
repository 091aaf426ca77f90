"""The direct answers that are not the playbooks': questions back (which customer? which one?), a record answer
where the channel does not show records, an approval route (or why there is none), and the citation of the
playbook section on a computed sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.approvals.amounts import format_money
from bot.ask.compose import Citation, cite
from bot.ask.facts import LABELS, name_of, record_facts, who_knows, who_sees
from bot.ask.routes import RouteAnswer, describe, invalid, label_of
from bot.ask.slots import Slots
from bot.customers.card import CustomerCard
from bot.customers.linking import CustomerRef
from bot.mrkdwn import bold, escape, listed
from bot.policies import Policies
from retrieval import Passage
from retrieval.markdown import list_marker

__all__ = ["name_of", "record_facts"]

WHICH_CUSTOMER = (
    "Which customer do you mean? Name them in your question, e.g. `when does Northwave Foods renew?`, or ask in "
    "a thread where we talked about them."
)

# A bound below zero on a list of the book ("owe more than -$500"): said, never dropped for the whole list.
NEGATIVE_BOUND = (
    "A bound on an amount or a score can't be below zero: ask with 0 or more, e.g. `which customers owe more than "
    "$500?` or `gold customers with ARR over $100k`."
)
# A list asked for with a filter turned round ("which customers are not in emea?"): said, never the list it excludes.
NEGATED_LIST = (
    "I can't list customers by what they are *not*, except for no contact, no tickets, no owner, consent not given "
    "and outside contact hours: ask for what they are instead, one list at a time, e.g. `which gold customers are "
    "in apac?` rather than `not in emea`."
)
# A window of no length ("in the last 0 days"): said, never read as an empty list or the whole book.
EMPTY_WINDOW = "A window of 0 days has nothing in it: ask with 1 or more, e.g. `in the last 30 days` or `next 2 weeks`."
# A question about many customers at once that no list of the book answers (by risk, past work, per owner): what
# Ask lists instead (bot.ask.book).
ACROSS_THE_BOOK = (
    "I list customers across the book by tier, segment, region, owner, consent, legal hold, renewal window, open "
    "tickets, SLA breaches and late shipments (e.g. `which gold customers renew next month?`), and by ARR, lifetime "
    "value, health score, overdue invoices or renewal risk for the roles that see those (`top 5 gold customers by "
    "ARR`, `total ARR renewing next quarter`, `which renewals are at risk?`), but not by other risks, nor past "
    "work: name a customer for their record, e.g. `when does Northwave Foods "
    "renew?`; `what's our churn rate this quarter?` gives how renewals went, `/rapport workload` shows each owner's "
    "accounts against their cap, and the alerts tell each owner which of their renewals are at risk (`what alerts "
    "will I get?`)."
)


@dataclass(frozen=True)
class ApprovalPrefill:
    """What the answer's Request approval button fills the request form with."""

    request_type: str
    customer_id: int | None
    percent: str = ""
    amount: str = ""


@dataclass(frozen=True)
class Routed:
    """An approval question's answer: the route (its sentences and citation query), or a short reply saying why
    there is none (an invalid value, no approval policy in this handbook)."""

    text: str = ""
    route: RouteAnswer | None = None
    invalid: bool = False
    configured: bool = True  # False: this handbook has no approval policy for the type (the playbooks answer)


def restricted_ranking(policies: Policies, key: str) -> str:
    """A ranking, a total or a filter by a value the asker's role may not see: refused, as the card withholds the
    value itself (the order or the filter alone would tell it)."""
    label = LABELS[key]
    seers = who_sees(policies, [key])
    said = f"{label[0].upper()}{label[1:]} is restricted for your role{seers}"
    return f":lock: {said}, so I can't rank or filter customers by it."


def no_such_line(shown: int) -> str:
    """The reply when a follow-up points at a line ("the 9th one") the thread's list does not show."""
    if shown == 0:
        return "The list above is empty, so there is no customer to pick from it. Name the customer you mean."
    lines = f"{shown} customer{'' if shown == 1 else 's'}"
    return f"The list above shows {lines}: name the customer you mean, or point at one of them (`the first one`)."


def no_such_tier(name: str, tiers: Sequence[str]) -> str:
    """The reply when the question names a tier the policy does not have ("diamond customers")."""
    return f"There is no {bold(name)} tier: the tiers are {listed([t.capitalize() for t in tiers])}."


def not_found(name: str) -> str:
    """The reply when the question names a company that is no customer of ours."""
    return (
        f"I can't find a customer called {bold(name)}: I look customers up by name (with or "
        "without Inc, Ltd...), domain, email and id. Check the spelling, or name them by their domain, e.g. "
        "`when does northwave.example renew?`"
    )


def no_ticket(said: str) -> str:
    """The reply when the question names a ticket we do not have."""
    return (
        f"I can't find ticket {bold(said)}: I look tickets up by our number "
        "(`#1305`, as answers and cards show it) or the helpdesk's id (`HD-00001305`). Check the number, or name "
        "the customer."
    )


def which_one(choices: Sequence[CustomerRef], several_named: bool) -> str:
    """The question back when a question names two customers, or a name fits several."""
    names = [f"{bold(c.name)} ({escape(c.tier)})" for c in choices[:5]]
    if several_named:
        return f"You named {listed(names)}: which one do you mean? I answer for one customer at a time."
    if choices and choices[0].matched_on == "first-word":  # a word of a name, not a name: never linked alone
        word = escape(choices[0].matched_text)
        either = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return f"No customer is called _{word}_; did you mean {either}? Pick one."
    return "Which customer do you mean? Several match; pick one."


def unrecorded_kind(card: CustomerCard, kind: str, policies: Policies) -> str:
    """The reply to "is X a <kind>?" where no field of the record says so ("a reference customer")."""
    return (
        f"The record has no field that says whether {name_of(card)} is {escape(kind)}: ask "
        f"{who_knows(card, policies)}. The card below has what the record holds."
    )


def not_here(card: CustomerCard) -> str:
    return (
        f":lock: I don't show customer records to your role in this channel, so nothing on {name_of(card)} here. "
        "Ask me in a direct message."
    )


# What each policy computation needs from policies/, to say so on a handbook without it (a plain handbook): the
# playbooks answer instead, and the answer says it is not a computed rule.
_COMPUTED_FROM = {
    "escalation": ("Escalation is", "escalation.yaml"),
    "sla": ("SLA targets are", "sla.yaml"),
    "promises": ("Tier promises are", "tiers.yaml"),
    "alerts": ("Alerts are", "alerts.yaml"),
    "access": ("Field access is", "roles.yaml"),
    "duty": ("On-duty cover is", "roles.yaml"),
    "renewal_risk": ("The renewal-at-risk rule is", "alerts.yaml"),
    "customer_alerts": ("Alerting is", "alerts.yaml"),
    "usage": ("Usage rules are", "alerts.yaml"),
    "placement": ("Tiers are", "tiers.yaml"),
    "approvals": ("Approvals are", "approvals.yaml"),
    "approval_figures": ("Approvals are", "approvals.yaml"),
    "alert_figures": ("Alerts are", "alerts.yaml"),
    "approvers": ("Approvals are", "approvals.yaml"),
    "decisions": ("Approvals are", "approvals.yaml"),
    "request": ("Approvals are", "approvals.yaml"),
    "customer_requests": ("Approvals are", "approvals.yaml"),
    "service_levels": ("SLA targets are", "sla.yaml"),
    "priority_words": ("Priority words are", "channels.yaml"),
}


def not_configured(compute: str) -> str:
    """The note for a policy question on a handbook without policies: what the answer is instead."""
    what, file = _COMPUTED_FROM.get(compute, ("This policy is", ""))
    missing = f"no `policies/{file}`" if file else "no `policies/` folder"  # was: "no `policies/the policy file`"
    return (
        f"{what} not configured in this handbook ({missing}), so this is what the playbooks say, not a rule I computed."
    )


def routed_by_percent(policies: Policies, rtype: str) -> bool:
    """Whether approvals.yaml measures the request type by a percentage (a discount), not by an amount alone."""
    return "percent" in policies.approvals.measures.get(rtype, {})  # type: ignore[call-overload]


def route(policies: Policies, rtype: str, card: CustomerCard | None, slots: Slots) -> Routed:
    """The approval route for this customer (or the tier/region named) and the values asked."""
    label = label_of(rtype)
    try:
        types = policies.approvals.request_types
    except AttributeError:
        types = {}
    if rtype not in types:
        return Routed(
            f"Approvals are not configured in this handbook (no `policies/approvals.yaml`), so this is what the "
            f"playbooks say about a {label}, not a route I computed.",
            invalid=True,
            configured=False,
        )
    measure = policies.approvals.measures.get(rtype, {}).get("amount")  # type: ignore[call-overload]
    if slots.problems:
        return Routed(invalid(rtype, slots.problems, measure), invalid=True)
    if rtype == "tier_override" and card is not None and [t.lower() for t in slots.tiers] == [card.tier.lower()]:
        # "how do I move X to platinum?" of a platinum customer: there is nothing to move (was: the override's route)
        return Routed(
            f"{name_of(card)} is already {escape(card.tier)}: a tier override is only for moving them to another "
            "tier. Name the tier to move them to for its route.",
            invalid=True,
        )
    tier = card.tier if card else slots.tier
    region = str(card.fields.get("region") or "") if card else slots.region
    who = f"{name_of(card)} ({escape(card.tier)})" if card else (f"a {tier} customer" if tier else "")
    if region and not card:
        who = f"{who} in {region.upper()}".strip() if who else f"a customer in {region.upper()}"
    amount, base = slots.amount, None
    on_record = _valued_on(policies, rtype, card) if amount is None and slots.base is None else None
    if on_record is not None:  # "can I give Acme 20%?": 20% of their ARR (the value said stands, when one is)
        slots = replace(slots, base=on_record[1].quantize(Decimal("1")))  # in whole dollars, as the card says it
    unit = Decimal("1") if on_record is not None else Decimal("0.01")  # a record value is said in whole dollars
    if amount is None and slots.base is not None:
        # the deal a percentage is taken from: the request is valued at that share of it ("12% on a $120k renewal"
        # is a $14,400 discount, "a 10% credit on a $5k invoice" a $500 credit); with no percentage, a type not
        # routed by one is measured by the deal's own value (custom terms: the annual contract value)
        if slots.free_months:  # "two free months on a $120k deal": 2/12 of it (not the 16.7% said back)
            amount, base = (slots.base * slots.free_months / 12).quantize(unit), slots.base
        elif slots.percent is not None:
            amount, base = (slots.base * Decimal(str(slots.percent)) / 100).quantize(unit), slots.base
        elif not routed_by_percent(policies, rtype):
            amount = slots.base
    found = describe(policies, rtype, who, tier, region or None, slots.percent, amount, slots.risk, base, slots.above)
    if slots.free_months and rtype == "discount":
        n = slots.free_months
        said = "1 free month counts" if n == 1 else f"{n} free months count"
        share = (
            f"{n}/12 of a year's fees" if base is None else f"{n}/12 of {format_money(base)}, taken as a year's fees"
        )
        note = f"{said} as discount value: {share}."
        found = replace(found, sentences=(*found.sentences, note))
    if on_record is not None and found.amount is not None:  # the answer states a value only some roles see
        said = f"Valued on their {on_record[0]} on record, {format_money(slots.base)}, as one year's fees"
        extra = () if slots.free_months else (f"{said}; say the deal's value if it differs.",)  # free months say it
        found = replace(found, sentences=(*found.sentences, *extra), sensitive=True)
    return Routed(route=found)


def _valued_on(policies: Policies, rtype: str, card: CustomerCard | None) -> tuple[str, Decimal] | None:
    """The customer record value a request is valued on (``record`` in approvals.yaml's measures: a discount's
    percentage is taken of their ARR), as (its label, the value), when the asker's card shows it: a role that may
    not see it gets the route for every value instead, which tells nothing of it."""
    field = policies.approvals.measures.get(rtype, {}).get("record")  # type: ignore[call-overload]
    if card is None or not field or field in card.hidden:
        return None
    value = card.fields.get(str(field))
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None  # a redacted or unreadable value: not one to compute with
    return (LABELS.get(str(field), str(field)), number) if number > 0 else None


def cite_lead(
    text: str,
    citations: Sequence[Citation],
    lead: Sequence[str],
    rule: Passage,
    base_url: str | None,
    more: Sequence[Passage] = (),
) -> tuple[str, list[Citation]]:
    """The lead sentences cited [1] on the rule's section, then only the supporting lines that add something (a
    table row or sentence saying again what the lead computed, "Tier: Gold · Priority: P1 · First response: 30
    min", goes), their citations renumbered from [2] (or sharing [1] when they quote the rule's section).
    ``more``: the sections stating the lead's next lines, one per line (SLA targets, then escalation), each line
    cited on its own section."""
    head_lines = [s.strip() for s in lead if s.strip()]
    head = "\n".join(head_lines)
    if not head or not text.startswith(head):  # a writer that rewrote the lead: cite the rule after its text
        return text, [*citations, replace(cite([rule], base_url)[0], number=len(citations) + 1)]
    by_number = {c.number: c for c in citations}
    numbers: dict[tuple[str, str], int] = {}
    out: list[Citation] = []
    marks: list[int] = []
    for section in [rule, *more][: len(head_lines)]:
        key = (section.path, section.heading_path)
        if key not in numbers:
            numbers[key] = len(out) + 1
            out.append(replace(cite([section], base_url)[0], number=numbers[key]))
        marks.append(numbers[key])
    quoted = {c.number for c in citations if (c.path, c.heading_path) in numbers}
    kept = [
        line
        for line in text[len(head) :].split("\n")
        if line.strip() and not _repeats(line, head) and not _row(line) and not _only(line, quoted)
    ]
    # a line that introduces what follows ("... threshold it meets (USD):") goes when what it introduced went
    kept = [line for i, line in enumerate(kept) if not _introduces_nothing(line, kept[i + 1 : i + 2])]
    new: dict[int, int] = {}
    for n in (int(m) for line in kept for m in _MARK.findall(line)):
        c = by_number.get(n)
        if c is None or n in new:
            continue
        key = (c.path, c.heading_path)
        if key in numbers:
            new[n] = numbers[key]
        else:
            new[n] = len(out) + 1
            out.append(replace(c, number=new[n]))
    body = "\n".join(_MARK.sub(lambda m: f"[{new.get(int(m.group(1)), m.group(1))}]", line) for line in kept)
    cited = "\n".join(
        f"{line} [{marks[i]}]" if i < len(marks) and (i == 0 or marks[i] != marks[i - 1]) else line
        for i, line in enumerate(head_lines)
    )
    return cited + (f"\n\n{body}" if body else ""), out


_MARK = re.compile(r"\[(\d+)\]")
_WORD = re.compile(r"[a-z0-9]+")
REPEATS = 0.6  # share of a supporting line's words the lead already says, from which the line adds nothing


def _introduces_nothing(line: str, after: Sequence[str]) -> bool:
    """``line`` ends in a colon (its citation mark aside) and no list item or table row follows it."""
    if not _MARK.sub("", line).rstrip().endswith(":"):
        return False
    return not after or not (list_marker(after[0]) or _row(after[0]))


def _row(line: str) -> bool:
    """A table row as the index renders it ("Tier: Gold · Priority: P1 · First response: 30 min", or with only the
    tier asked about, "Promise: Proactive check-in · Platinum: Every 14 days"): the table the lead was computed
    from, or one like it, says the same thing less precisely, or another of its rows says something not asked."""
    return line.count(" · ") >= 1 and line.count(": ") >= 2


def _only(line: str, numbers: set[int]) -> bool:
    """The line quotes the rule's own section and nothing else (the lead is what that section computes to)."""
    marks = {int(n) for n in _MARK.findall(line)}
    return bool(marks) and marks <= numbers


def _repeats(line: str, lead: str) -> bool:
    words = set(_WORD.findall(_MARK.sub(" ", line).lower()))
    if not words:
        return True
    said = set(_WORD.findall(lead.lower()))
    return len(words & said) / len(words) >= REPEATS
