"""What priority a situation told in the question gets ("X says their system is down, what priority is that?"): the
priority its words ask for, by the same words that set a customer channel message's priority (channels.yaml
``customer_channels.priority_words``: "down", "outage" are P1; "error", "blocked" P2...), with the definition the
SLA playbook gives it and, for a customer, their tier's targets. A situation whose words say none is the
playbooks' (their priority definitions).
"""

from __future__ import annotations

import re

from bot import mrkdwn
from bot.ask.policy import PolicyFinding
from bot.channels.text import priority_said
from bot.customers.card import CustomerCard
from bot.customers.sla import human
from bot.policies import Policies

CITED = "priority definitions P1 P2 P3 P4 meaning examples"
# the asking words themselves: "how do I ..." asks, it does not tell the situation (a P4 word otherwise)
_ASKING = re.compile(
    r"\b(?:what|which) (?:priority|severity)(?: level)?(?: (?:is|should|would|does|do))?"
    r"(?: (?:that|this|it)(?: be| get)?)?"
    r"|^\W*(?:how do (?:i|we)|what should (?:i|we))\b",
    re.I,
)


def priority_finding(policies: Policies, question: str, card: CustomerCard | None) -> PolicyFinding | None:
    """None when the situation's words ask for no priority: the playbooks' definitions answer instead."""
    told = _ASKING.sub(" ", question)
    found = priority_said(told, policies.channels.customer_channels.priority_words)
    if found is None:
        return None
    priority, phrase = found
    said = (
        f"That is a *{priority}*: _{mrkdwn.escape(phrase)}_ is one of its words, as customer channel messages are "
        "read. The agent confirms the priority on first touch."
    )
    if card is not None:
        try:
            target = policies.sla_target(card.tier, priority)
            said += (
                f" For {mrkdwn.bold(card.name)} ({mrkdwn.escape(card.tier)}): first response within "
                f"{human(target.first_response)}, resolution within {human(target.resolution)}."
            )
        except LookupError:  # a tier no policy knows (UnknownPolicyKey), or one sla.yaml has no targets for
            pass
    return PolicyFinding(said, card.tier if card else "", citation_query=CITED, citation_title="sla")
