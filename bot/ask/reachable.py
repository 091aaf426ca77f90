"""Contact hours asked of many customers: "which of my customers are in quiet hours right now?" (outside them),
"which of my accounts can I call now?" (within them). Read here, apart from the list (:mod:`bot.ask.book`), because
the question's reading (:mod:`bot.ask.intents`: is this about many customers?) uses it too."""

from __future__ import annotations

import re

_QUIET = re.compile(
    r"\b(quiet hours|outside (of )?(their )?(contact|business|working|office) hours|after hours|asleep)\b", re.I
)
_REACHABLE = re.compile(
    r"\b(can|could|may) (i|we) (call|contact|reach|ring|phone|email|message)\b.{0,40}\b(now|right now|at the moment|"
    r"currently)\b|\b(within|in) (their )?(contact|business|working|office) hours\b|\b(awake|reachable|contactable)\b",
    re.I,
)
# Many customers named ("which customers ...", "my accounts"): the book, not one record.
MANY = re.compile(r"\b(customers|accounts|clients|book)\b", re.I)
_REACH_OUT = re.compile(r"\b(call|contact|reach|ring|phone|email|message)\b(?!\s+hours)", re.I)


def reachable(question: str) -> bool | None:
    """True: those within contact hours now are asked for; False: those outside them (in quiet hours); None: the
    question asks neither."""
    return False if _QUIET.search(question) else True if _REACHABLE.search(question) else None


def asks_the_book(question: str) -> bool:
    """Whether the question asks contact hours of many customers ("which customers can I call right now?"), not of
    one ("can I call Acme now?")."""
    return reachable(question) is not None and MANY.search(question) is not None


def reaches_out(question: str) -> bool:
    """Whether the question would contact them ("can I call ..."): their outreach consent counts too."""
    return bool(_REACH_OUT.search(question))
