"""Which owners carry more accounts than a tier allows ("who is over their account cap?", "is anyone overloaded?"):
each owner's accounts per tier against the tier's ``max_accounts_per_owner`` (tiers.yaml), named, not mentioned,
from the same count the workload report reads (bot.customers.accounts). `/rapport workload` has each owner's
whole load (hand-offs, escalations, pages)."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.customers.accounts import accounts_per_owner
from bot.policies import Policies

SHOWN = 10
CITED = "accounts per owner at most cap named owner"
WORKLOAD = "`/rapport workload` has each owner's whole load."
_MINE = re.compile(r"\b(am i|my|i have|i own)\b", re.I)  # "am I over my cap?": the asker's own accounts


def asks_own(question: str) -> bool:
    return bool(_MINE.search(question))


def caps_finding(session: Session, policies: Policies, asker: str | None = None) -> PolicyFinding:
    """``asker``: only their accounts ("am I over my cap?")."""
    caps = {t.name: cap for t in policies.tiers.tiers if (cap := t.promises.max_accounts_per_owner)}
    if not caps:
        return PolicyFinding(f"No tier sets a cap on accounts per owner (tiers.yaml). {WORKLOAD}", "", supported=False)
    over: list[tuple[int, str, str]] = []  # (how far over, owner, "platinum 12 of 8")
    for owner, tiers in accounts_per_owner(session).items():
        if owner is None or (asker is not None and owner != asker):
            continue
        excess = {t: n - caps[t] for t, n in tiers.items() if t in caps and n > caps[t]}
        if excess:
            said = ", ".join(
                f"{mrkdwn.escape(t)} {tiers[t]:,} of {caps[t]}" for t in policies.tier_names if t in excess
            )
            over.append((sum(excess.values()), person(policies, owner), said))
    limits = mrkdwn.listed([f"{mrkdwn.escape(t)} at most {c}" for t, c in caps.items()])
    if not over:
        nobody = "You are not" if asker is not None else "No owner is"
        said = f"{nobody} over a tier's cap on accounts ({limits}). {WORKLOAD}"
        return PolicyFinding(said, "", citation_query=CITED, citation_title="tier", supported=False)
    over.sort(key=lambda o: (-o[0], o[1]))
    lines = [f"• {name}: {said}" for _, name, said in over[:SHOWN]]
    more = [f"…and {len(over) - SHOWN} more."] if len(over) > SHOWN else []
    head = f"{len(over)} owner{' is' if len(over) == 1 else 's are'} over a tier's cap on accounts ({limits}):"
    return PolicyFinding(
        "\n".join([head, *lines, *more, WORKLOAD]), "", citation_query=CITED, citation_title="tier", supported=False
    )
