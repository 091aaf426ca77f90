"""Counts of the book broken down by a field of the record ("how many customers do we have per tier?", "break
down our accounts by region", "who has the most accounts?"): one line of counts (bot.ask.book), not a list of
customers, nor the tier policy."""

from __future__ import annotations

import re

_GROUPED = re.compile(
    r"\b(?:per|by|in each|for each|each|across(?: the)?|split by|broken down by) (?P<field>tier|region|segment)s?\b"
    # per owner ("how many accounts does each owner have?", "who has the most accounts?"); not "accounts per owner",
    # which is the tier's cap (a limit: the tier policy)
    r"|(?:\b(?:by|each|every|for each|split by|broken down by)|(?<!accounts )(?<!account )(?<!customers )\bper) "
    r"(?P<owner>owner|account manager|am|csm)s?\b"
    r"|\b(?P<most>who|which (?:owner|account manager|am|csm)) (?:has|owns|carries|manages|looks after) the "
    r"(?:most|fewest|least)\b",
    re.I,
)
OWNER = "owner"
_FEWEST = re.compile(r"\b(?:fewest|least|smallest|lowest)\b", re.I)
_OF_THE_BOOK = re.compile(r"\b(customers|accounts|clients|book|tickets|cases|p[1-4]s)\b", re.I)
# Tickets counted per person working them: the record keeps no assignee on a ticket, only its customer's owner
_PER_AGENT = re.compile(
    r"\b(?:which|what|who) (?:support )?(?:agents?|engineers?|assignees?)\b.{0,30}\btickets\b"
    r"|\btickets\b.{0,30}\b(?:per|by|each|every) (?:support )?(?:agent|engineer|assignee)s?\b",
    re.I,
)
PER_AGENT = (
    "Tickets on record carry no assignee (they are synced with their customer, whose owner is on the record), so I "
    "can't count them per agent. Per account owner: `which owner has the most open tickets?`; per tier: `open "
    "tickets by tier`."
)


def grouped_by(question: str) -> str:
    """The record field a count is broken down by ("tier", "region", "segment"), or ""."""
    found = _GROUPED.search(question)
    if found is None:
        return ""
    return found["field"].lower() if found["field"] else OWNER


def per_agent(question: str) -> bool:
    """Whether tickets are asked per agent ("which agent has the most open tickets?"), which the record cannot say."""
    return bool(_PER_AGENT.search(question))


def fewest_first(question: str) -> bool:
    """Whether the counts are asked smallest first ("which owner has the fewest accounts?")."""
    return bool(_FEWEST.search(question))


def without_grouping(question: str) -> str:
    """The question without the words of the breakdown (which are no filter of the list)."""
    return _GROUPED.sub(" ", question)


def asks_the_book(question: str) -> bool:
    """Whether the customers of the book are counted by a field ("break down our customers by tier")."""
    return bool(grouped_by(question)) and bool(_OF_THE_BOOK.search(question))
