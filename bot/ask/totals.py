"""What the book's values add up to, asked for: "what's the total ARR of our gold customers?", "how much ARR renews
next quarter?", "what's the average health score of my accounts?".

Read here, apart from the list (:mod:`bot.ask.book`), as a ranking is (:mod:`bot.ask.ranking`): both the
question's reading (:mod:`bot.ask.intents`: is this about many customers?) and the list use it. The list answers a
total with its first line and then shows the customers it adds up, each with their value, highest first: a ranking,
so given only to roles that see the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# the record values a question adds up or bounds, as it names them (a ranking's "biggest" names no value to add)
VALUES = (
    ("lifetime_value", r"ltv|(?:customer )?lifetime values?|clv"),
    ("health_score", r"health(?: scores?)?"),
    ("arr", r"arr|annual recurring revenue|recurring revenue|revenue"),
)
MEASURE = "|".join(f"(?P<{field}>{words})" for field, words in VALUES)  # the field named is the group matched
_HOW = r"total|sum(?: of)?|combined|aggregate|overall|average|avg|mean|how much"
_BEFORE = re.compile(rf"\b(?:{_HOW})\s+(?:(?:the|our|my|of|in|all)\s+)*(?:{MEASURE})\b", re.I)
_AFTER = re.compile(rf"\b(?:{MEASURE})\b.{{0,40}}?\b(?:in total|altogether|combined|adds? up)\b", re.I)
# "what are my renewals this month worth?": their ARR added up
_WORTH = re.compile(
    r"\b(?:what|how much)\b.{0,40}?\b(?:renewals?|customers|accounts|clients|book|pipeline)\b.{0,40}?"
    r"\b(?P<worth>worth)\b",
    re.I,
)
# "how healthy is our platinum book?": the health scores' average
_HEALTHY = re.compile(
    r"\bhow healthy (?:is|are)\s+(?:our|my|the)\b(?=.{0,30}\b(?:book|customers|accounts|clients|base)\b)", re.I
)
_HOW_TO = re.compile(r"^\W*(?:how (?:do|does|should|can|would|to)|why)\b", re.I)  # "how do we calculate total ARR?"


@dataclass(frozen=True)
class Total:
    field: str  # the record value: "arr", "lifetime_value", "health_score"
    rest: str  # the question without the total's words (what else it asks: a filter, a window)


def total_asked(question: str) -> Total | None:
    """The record value whose total (or average) the question asks for, or None."""
    if _HOW_TO.search(question):
        return None
    found = _BEFORE.search(question) or _AFTER.search(question)
    if found is None and (healthy := _HEALTHY.search(question)):
        a, b = healthy.span()
        return Total("health_score", f"{question[:a]} {question[b:]}")
    if found is None:
        worth = _WORTH.search(question)
        if worth is None:
            return None
        a, b = worth.span("worth")
        return Total("arr", f"{question[:a]} {question[b:]}")
    field = next(f for f, _ in VALUES if found[f])
    a, b = found.span()
    return Total(field, f"{question[:a]} {question[b:]}")
