"""A ranking of the book asked for: "top 5 customers by ARR", "which of my accounts has the lowest health score?",
"who is our biggest customer?", "rank my accounts by lifetime value".

Only values that are one number on the record rank (ARR, lifetime value, health score); each is a field roles.yaml
restricts, so the list (:mod:`bot.ask.book`) is given only to roles that see it. Read here, apart from the list,
because both the question's reading (:mod:`bot.ask.intents`: is this about many customers?) and the list use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_RANKED = 25  # "top 50 customers by ARR": a ranking shows at most this many lines

_OF_CUSTOMERS = r"(?:\s+[\w-]+){0,2}\s+(?:customers?|accounts?|clients?|ones?|logos?)\b|\W*$"
_HIGH = r"highest|largest|biggest|greatest|most valuable|healthiest|best|top|most"
_LOW = r"lowest|smallest|least valuable|unhealthiest|worst|bottom|least"
# the values a ranking is by, as a question names them (or implies them: "biggest" is by ARR)
_MEASURES = (
    ("lifetime_value", re.compile(r"\b(?:by )?(?:ltv|(?:customer )?lifetime values?|clv)\b", re.I)),
    ("health_score", re.compile(r"\b(?:by )?(?:health(?: scores?)?|healthiest|unhealthiest)\b", re.I)),
    (
        "arr",
        re.compile(
            r"\b(?:by )?(?:arr|annual recurring revenue|revenue|"
            # a size said of the customers ("our biggest gold accounts"), not of a thing they get ("the biggest
            # discount a bronze customer can get" is the discount route, not the book by ARR)
            rf"(?:biggest|largest|smallest|(?:most|least) valuable)(?={_OF_CUSTOMERS}))\b",
            re.I,
        ),
    ),
)
_WAY = re.compile(rf"\b(?P<way>{_HIGH}|{_LOW})\b|\b(?:sorted|ranked|ordered|rank|sort|order)\b", re.I)
_NUMBER = {w: i for i, w in enumerate("one two three four five six seven eight nine ten".split(), 1)} | {"twenty": 20}
_COUNT = r"\d{1,3}|" + "|".join(_NUMBER)
_HOW_MANY = re.compile(rf"\b(?:top|bottom|first)\s+(?P<n>{_COUNT})\b|\b(?P<m>{_COUNT})\s+(?:{_HIGH}|{_LOW})\b", re.I)
_ONE = re.compile(rf"\b(?:{_HIGH}|{_LOW})\s+(?:[\w-]+\s+)?(?:customer|account|client)\b(?!s)", re.I)
# "our top accounts", "the top 10 platinum customers": by ARR when no value is named
_TOP = re.compile(r"\b(?:top|bottom)\s+(?:\d{1,3}\s+|[a-z]+\s+){0,2}(?:customers|accounts|clients)\b", re.I)
_MANY = re.compile(r"\b(?:customers?|accounts?|clients?|book)\b", re.I)
_HOW_TO = re.compile(r"^\W*(?:how (?:do|does|should|can|would|to)|why)\b", re.I)  # "how do we treat our biggest ..."


@dataclass(frozen=True)
class Ranking:
    field: str  # the record value: "arr", "lifetime_value", "health_score"
    lowest: bool  # lowest first
    top: int  # lines asked for; 0 when the question says no number
    rest: str  # the question without the ranking's words (what else it asks: a filter, another value)


# a list's lines asked with a value: "which platinum customers renew next quarter and what's their ARR?", "my
# accounts with their health scores" (the list ranked by it, highest first, each line saying it)
_WITH_VALUE = re.compile(
    r"\b(?:and|with|showing|incl\w*)\s+(?:(?:what(?:'s| is| are)|show(?: me)?|give me)\s+)?(?:their|its|the)\s+"
    r"(?P<value>arr|annual recurring revenue|ltv|lifetime values?|health(?: scores?)?)\b",
    re.I,
)


def ranking(question: str) -> Ranking | None:
    """The ranking a question asks for, or None. The value is the one named nearest the ranking's word ("the
    highest ARR", "healthiest"); "our biggest customer" asks for one line; a list asked "with their ARR" is ranked
    by it."""
    way = _WAY.search(question)
    if way is None:
        shown = _WITH_VALUE.search(question) if _MANY.search(question) else None
        if shown is None:
            return None
        field = next(f for f, p in _MEASURES if p.search(shown["value"]))
        a, b = shown.span()
        return Ranking(field, False, 0, f"{question[:a]} {question[b:]}")
    named: list[tuple[int, str, tuple[int, int]]] = [
        (abs(m.start() - way.start()), field, m.span()) for field, p in _MEASURES for m in p.finditer(question)
    ]
    if not named and _TOP.search(question):
        named = [(0, "arr", way.span())]
    if not named:
        return None
    _, field, span = min(named)
    lowest = bool(way["way"]) and re.fullmatch(_LOW, way["way"], re.I) is not None
    count = _HOW_MANY.search(question)
    said = (count["n"] or count["m"]).lower() if count else ""
    top = int(said) if said.isdigit() else _NUMBER.get(said, 1 if _ONE.search(question) else 0)
    spans = [way.span(), span, *((count.span(),) if count else ())]  # they may overlap ("top 5")
    rest = "".join(" " if any(a <= i < b for a, b in spans) else c for i, c in enumerate(question))
    return Ranking(field, lowest, min(top, MAX_RANKED), rest)


# a follow-up that only turns a ranked list round: "and the highest?", "lowest first?", "what about the worst ones?"
_TURNED = re.compile(
    rf"\W*(?:and|but|now|ok|so|what about|how about|show me)?\s*(?:the\s+)?(?P<way>{_HIGH}|{_LOW})"
    r"(?:\s+(?:first|ones?|instead))*\W*",
    re.I,
)


def turned(question: str) -> bool | None:
    """The way a follow-up turns the thread's ranked list (True: lowest first), or None when it only says that."""
    m = _TURNED.fullmatch(question)
    return None if m is None else re.fullmatch(_LOW, m["way"], re.I) is not None


def ranks_the_book(question: str) -> bool:
    """Whether the question asks for customers ranked ("who is our biggest customer?", "healthiest accounts in
    emea"): a list of the book, whatever else it says."""
    return ranking(question) is not None and _MANY.search(question) is not None and not _HOW_TO.search(question)
