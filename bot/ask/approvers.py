"""Whether the asker decides approval requests, and which: "am I an approver for discounts?", "what can I approve?".

Read from ``approvals.yaml``'s steps (their approvers, a person or a group of ``roles.yaml``), the same membership
the buttons check when someone clicks (:meth:`bot.policies.Policies.is_member`), so the answer and a click never
disagree; a requester never decides their own request, whatever groups they are in.
"""

from __future__ import annotations

from bot import mrkdwn
from bot.ask.approval_figures import request_type_named
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.ask.routes import label_of
from bot.policies import Policies

CITED = "approvers steps channels you cannot approve your own request"
OWN = "You can never decide a request you raised yourself."


def approver_finding(policies: Policies, asker: str, question: str) -> PolicyFinding:
    """The steps of each request type (the one the question names, else all) whose approvers include ``asker``."""
    named = request_type_named(policies, question)
    types = {t: rules for t, rules in policies.approvals.request_types.items() if named in (None, t)}
    mine: dict[str, dict[str, str]] = {}  # request type -> step name -> its channel
    for rtype, rules in types.items():
        for step in (s for rule in rules for s in rule.steps):
            if policies.is_member(asker, step.approvers):
                mine.setdefault(rtype, {})[step.name] = step.channel
    if not mine:
        if named is None:
            return _finding(f"No: you decide no step of any approval request. {OWN}")
        # who decides the type named (``types`` holds only it): each step once
        steps = {
            s.name: person(policies, s.approvers) for rules in types.values() for rule in rules for s in rule.steps
        }
        said = mrkdwn.listed([f"{mrkdwn.escape(s)} ({who})" for s, who in steps.items()]) if steps else "nobody"
        return _finding(f"No: {label_of(named)} requests are decided by {said}, and you are in none of them.")
    lines = [
        f"• {label_of(rtype)}: "
        + mrkdwn.listed([f"the {mrkdwn.escape(s)} step in {mrkdwn.channel_link(c)}" for s, c in steps.items()])
        for rtype, steps in mine.items()
    ]
    return _finding("\n".join([f"Yes: you decide these approval steps. {OWN}", *lines]))


def _finding(text: str) -> PolicyFinding:
    return PolicyFinding(text, "", citation_query=CITED, citation_title="approv", supported=False)
