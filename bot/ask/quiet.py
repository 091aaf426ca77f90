"""Accounts gone quiet (or due a check-in, or without tickets), asked of many customers: "which of my customers
haven't been contacted in 60 days?", "which gold accounts have gone quiet?", "which haven't opened a ticket in 6
months?". Quiet is no contact on record since a day: no
ticket opened, order placed, note, call or meeting logged (what the card's last contact is made of). Read here,
apart from the list (:mod:`bot.ask.book`), because the question's reading (:mod:`bot.ask.intents`: is this about
many customers?) uses it too."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.ask.dates import COUNT_WORDS, DAYS, WINDOW, counted, past_window
from bot.ask.reachable import MANY

QUIET_DAYS = 30  # "which accounts have gone quiet?": the days without contact when the question names none

_NOT = r"(?:have ?n[o']t|has ?n[o']t|have not|has not|not|never)"
_QUIET = re.compile(
    r"\b(?:gone|going|been|are|is) (?:very )?(?:quiet|silent|dark)\b"
    r"|\b(?:no|without(?: any)?) (?:contact|touch ?points?|interactions?|activity)\b"
    rf"|\b{_NOT} (?:been )?(?:contacted|heard from|spoken (?:to|with)|talked (?:to|with)|in touch|touched)\b"
    rf"|\b{_NOT} (?:\w+ )?(?:contacted|heard from|spoken to|talked to|reached out to|been in touch with|called|"
    r"emailed|phoned|met with)\b",
    re.I,
)
_WORDS = "|".join(COUNT_WORDS)
_SPAN = re.compile(
    rf"\b(?:in|for|over|within|since) (?:the )?(?:last |past )?(?:(?P<n>\d{{1,3}}|{_WORDS}) (?P<unit>days?|weeks?|"
    r"months?)|(?P<one>week|month|quarter|year))\b",
    re.I,
)


def quiet_days(question: str) -> int | None:
    """The days without contact a question asks about ("in 60 days", "for two weeks", "in the last month"),
    :data:`QUIET_DAYS` when it names none; None when it does not ask who has gone quiet."""
    if not _QUIET.search(question):
        return None
    return _span_days(question) or QUIET_DAYS


def _span_days(question: str) -> int | None:
    """The days of the span a question names ("in 60 days", "for two weeks", "in the last month"), None when it
    names none."""
    span = _SPAN.search(question)
    if span is None:
        return None
    if span["one"]:
        return DAYS[span["one"].lower()]
    return counted(span["n"]) * DAYS[span["unit"].lower().rstrip("s")]


# Customers without tickets, asked of many: "which of my customers haven't opened a ticket in 6 months?", "which
# platinum customers have no open tickets?" (was: read as the customers WITH open tickets, the negation unread).
_NO_TICKETS = re.compile(
    rf"\b(?:{_NOT}|did ?n[o']?t|do(?:es)? ?n[o']t) (?:\w+ )?(?:opened|raised|filed|logged|submitted|had|created|open|"
    r"raise|file|log|submit|have|create) (?:any |a |an )?(?P<open1>open )?(?:support )?(?:tickets?|cases?)\b"
    r"|\b(?:no|without(?: any)?|zero) (?P<open2>open )?(?:support )?(?:tickets?|cases?)\b",
    re.I,
)


@dataclass(frozen=True)
class NoTickets:
    open_now: bool  # no open ticket now ("have no open tickets"), else none opened since
    since: dt.date | None  # the first day of the span ("in 6 months"); None: none on record at all


def no_tickets(question: str, today: dt.date) -> NoTickets | None:
    """Which customers without tickets a question asks for, None when it does not ask for any."""
    m = _NO_TICKETS.search(question)
    if m is None:
        return None
    open_now = bool(m["open1"] or m["open2"])
    if open_now:
        return NoTickets(True, None)
    if days := _span_days(question):  # "in 6 months", "for a year"
        return NoTickets(False, today - dt.timedelta(days=days))
    if WINDOW.search(question):  # "this year", "last quarter", "in the last 2 years": from its first day
        start, _, _ = past_window(question, dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC), 0)
        return NoTickets(False, start.date())
    return NoTickets(False, None)


def without_no_tickets(question: str) -> str:
    """The question without its words for no tickets and their span, which the list reads, not rejects."""
    return _SPAN.sub(" ", _NO_TICKETS.sub(" ", question)) if _NO_TICKETS.search(question) else question


# "who haven't I talked to?", "which accounts have I not called?": the asker as the one who did not, so their own
_BY_ME = re.compile(
    r"\b(?:have|has|did) ?n[o']?t I\b|\b(?:have|did) I (?:not|never)\b"
    r"|\bI (?:have ?n[o']t|have not|never|did ?n[o']?t)\b",
    re.I,
)
_WHO = re.compile(r"^\W*who(?:m|'s)?\b", re.I)


def asks_the_book(question: str) -> bool:
    """Whether the question asks who has gone quiet (or opened no ticket) among many customers ("which of my
    accounts have gone quiet?", "who haven't I talked to in 2 months?"), not whether one has ("has Acme gone
    quiet?")."""
    return (quiet_days(question) is not None or _NO_TICKETS.search(question) is not None) and _of_many(question)


def _of_many(question: str) -> bool:
    """Asked of many customers ("which of my accounts ...", "who ..."), not of one."""
    return (MANY.search(question) or _WHO.match(question)) is not None


# Accounts due a check-in by their tier's promised cadence (tiers.yaml ``proactive_checkin_every_days``), asked of
# many: "which of my customers are overdue for a check-in?", "who needs a check-in?" (one customer's: bot.ask.cadence)
_CHECK_IN_DUE = re.compile(
    r"\b(?:overdue|due|late|behind)\b.{0,15}\bcheck[- ]?ins?\b|\bcheck[- ]?ins?\b.{0,15}\b(?:overdue|due|late|behind)\b"
    r"|\bneeds? (?:an? )?check[- ]?ins?\b",
    re.I,
)


def checkins_due(question: str) -> bool:
    """Whether the question asks for accounts due a check-in by their tier's cadence."""
    return bool(_CHECK_IN_DUE.search(question))


def asks_checkins(question: str) -> bool:
    """Whether the question asks which of many customers are due a check-in, not whether one is."""
    return checkins_due(question) and _of_many(question)


def without_checkins(question: str) -> str:
    """The question without its check-in words, which the list reads, not rejects."""
    return _CHECK_IN_DUE.sub(" ", question)


def without_quiet(question: str) -> str:
    """The question without the words of its quiet span ("in the last month"), which the list reads, not rejects."""
    return _SPAN.sub(" ", _QUIET.sub(" ", question)) if _QUIET.search(question) else question


def by_the_asker(question: str) -> bool:
    """Whether a gone-quiet question is about the asker's own contact ("who haven't I talked to?"): their accounts."""
    return quiet_days(question) is not None and _BY_ME.search(question) is not None
