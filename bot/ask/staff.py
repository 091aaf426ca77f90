"""Who holds a job: "who is the DPO?", "who's our CFO?", "who is the logistics lead?". Read from the staff roster
(``roles.yaml``: each person's name and title), by the title's words or its initials ("DPO": Data Protection
Officer). Named, not mentioned: asking who the DPO is must not notify the DPO."""

from __future__ import annotations

import re

from bot import mrkdwn
from bot.ask.policy import PolicyFinding
from bot.policies import Policies
from bot.policies.roles import StaffMember
from retrieval.lexical import tokenize

# "who is the DPO?", "who's our head of customer success?": the job asked about, to the end of the question
_ASKED = re.compile(r"^\W*who(?:'s| is| are)\s+(?:our|the|my)\s+(?P<job>[\w ,&'-]{2,60}?)\s*\??\s*$", re.I)
CITED = "staff roster slack id name title roles"
# "and the CFO?" after "who is the DPO?": the job of a follow-up read with the question before it
_AND = re.compile(r"^\W*(?:and|what about|how about)\s+(?:our|the)\s+(?P<job>[\w ,&'-]{2,60}?)\s*\??\s*$", re.I)
_SMALL = {"of", "and", "the", "for", "na", "emea", "apac", "latam"}  # not part of a title's initials


def staff_finding(policies: Policies, question: str) -> PolicyFinding | None:
    """The staff whose title is the job the question names; None when it names none (the playbooks answer)."""
    asked = _ASKED.match(question) or _AND.match(question)
    if asked is None or not policies.configured:
        return None
    job = asked["job"].strip()
    holders = [m for m in policies.roles.staff if _holds(m, job)]
    if not holders:
        return None
    said = "; ".join(f"{mrkdwn.escape(m.name)} ({mrkdwn.escape(m.title)})" for m in holders)
    verb = "is" if len(holders) == 1 else "are"
    # cited: the roles playbook's staff roster, which a test keeps equal to roles.yaml
    return PolicyFinding(
        f"{said} {verb} our {mrkdwn.escape(job)}.", "", citation_query=CITED, citation_title="roles", supported=False
    )


def _holds(member: StaffMember, job: str) -> bool:
    """The title has every word of the job ("logistics lead", "support engineer"), or the job is its initials
    ("DPO", "CFO")."""
    title, words = set(tokenize(member.title)), tokenize(job)
    if not words or not title:
        return False
    if set(words) <= title:
        return True
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", member.title) if w.lower() not in _SMALL)
    return len(words) == 1 and len(words[0]) >= 2 and words[0] == initials.lower()
