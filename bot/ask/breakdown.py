"""Counts of the book broken down by a field of the record ("how many customers do we have per tier?", "break
down our accounts by region"): one line of counts (bot.ask.book), not a list of customers, nor the tier policy."""

from __future__ import annotations

import re

_GROUPED = re.compile(
    r"\b(?:per|by|in each|for each|each|across(?: the)?|split by|broken down by) (?P<field>tier|region|segment)s?\b",
    re.I,
)
_OF_THE_BOOK = re.compile(r"\b(customers|accounts|clients|book)\b", re.I)


def grouped_by(question: str) -> str:
    """The record field a count is broken down by ("tier", "region", "segment"), or ""."""
    found = _GROUPED.search(question)
    return found["field"].lower() if found else ""


def without_grouping(question: str) -> str:
    """The question without the words of the breakdown (which are no filter of the list)."""
    return _GROUPED.sub(" ", question)


def asks_the_book(question: str) -> bool:
    """Whether the customers of the book are counted by a field ("break down our customers by tier")."""
    return bool(grouped_by(question)) and bool(_OF_THE_BOOK.search(question))
