"""The book filtered by a record value: "customers with a health score below 40", "gold accounts with ARR over
$100k", "which of my accounts have a lifetime value of at least 1m?"; or by their payment status: "which customers
have overdue invoices?".

The list (:mod:`bot.ask.book`) shows the customers within the bound ranked by that value (from the bound's side:
"below 40" lowest first), each with it: a ranking, so given only to roles that see the field (roles.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.approvals.amounts import AmountError, parse_money
from bot.ask.dates import DAYS
from bot.ask.totals import MEASURE, VALUES

_BELOW = r"below|under|less than|lower than|beneath|at most|no more than|up to|<=?"
_ABOVE = r"above|over|more than|greater than|higher than|at least|no less than|>=?"
# a bound's value: "40", "$100k", "5 million", "usd 1.2m" (a minus sign read, to be refused: :func:`negative_bound`)
_VALUE = r"(?P<value>(?:usd\s*|\$\s*)?\d[\d,]*(?:\.\d+)?(?:\s*(?:thousand|million|billion|mn|bn|[kmb]))?)\b"
_BOUND = re.compile(
    rf"\b(?:{MEASURE})\s*(?:score\s*)?(?:of\s+|is\s+|was\s+)?(?P<way>{_BELOW}|{_ABOVE})\s*{_VALUE}",
    re.I,
)
# an amount bound said of the customers or their renewals, naming no value ("renewals over $100k", "accounts worth
# more than 50k"): their ARR, what a renewal or an account is worth a year; only an amount of money (a "$", "usd" or
# "k"/"million"), never a bare number ("customers over 30 days")
_SCALE = r"thousand|million|mn|[km]"
_MONEY = rf"(?P<value>(?:usd\s*|\$\s*)\d[\d,]*(?:\.\d+)?(?:\s*(?:{_SCALE}))?|\d[\d,]*(?:\.\d+)?\s*(?:{_SCALE}))\b"
_WORTH_BOUND = re.compile(
    rf"\b(?:renewals?|customers?|accounts?|clients?|deals?)\s+(?:worth\s+|valued at\s+|of\s+)?"
    rf"(?P<way>{_BELOW}|{_ABOVE})\s*{_MONEY}",
    re.I,
)
_MEASURED = re.compile(rf"\b(?:{MEASURE})\b", re.I)
_NEGATIVE = re.compile(rf"\b(?:{_BELOW}|{_ABOVE})\s*(?:usd\s*|\$\s*)?(?:-|−|minus\s)\s*(?:usd\s*|\$\s*)?\d", re.I)


def negative_bound(question: str) -> bool:
    """Whether a bound on a record value or on what is owed has a value below zero ("owe more than -$500", "health
    score below -3"): refused, never dropped."""
    if _NEGATIVE.search(question) is None:
        return False
    return _MEASURED.search(question) is not None or owes(question)


_INCLUSIVE = re.compile(r"at most|no more than|up to|<=|at least|no less than|>=", re.I)
_SYMBOLS = {"<": "below", "<=": "at most", ">": "over", ">=": "at least"}  # as the answer's head says them


@dataclass(frozen=True)
class Threshold:
    field: str  # the record value: "arr", "lifetime_value", "health_score"
    below: bool  # within the bound from below ("under 40"), else from above ("over $100k")
    value: Decimal
    inclusive: bool  # "at most", "at least": the bound itself is within
    word: str  # the bound's word as the answer's head says it: "below", "over", "at least"
    rest: str  # the question without the bound's words


def threshold(question: str) -> Threshold | None:
    """The bound on a record value the question asks the list within, or None."""
    found = _BOUND.search(question)
    if found is None:
        worth = _WORTH_BOUND.search(question)
        return _read("arr", worth, question) if worth else None
    return _read(next(f for f, _ in VALUES if found[f]), found, question)


def _read(field: str, found: re.Match[str], question: str) -> Threshold | None:
    """The bound ``found`` (its ``way`` and ``value`` groups) on ``field``; None when the value is no amount."""
    try:
        value = parse_money(found["value"])
    except AmountError:
        return None
    way = found["way"].lower()
    below = re.fullmatch(_BELOW, way, re.I) is not None
    word = _SYMBOLS.get(way, way)  # "<" is said "below"
    a, b = found.span()
    return Threshold(field, below, value, bool(_INCLUSIVE.fullmatch(way)), word, f"{question[:a]} {question[b:]}")


# Customers behind on payments: "which customers have overdue invoices?", "who hasn't paid?". The record's payment
# status (orders overdue), a field only some roles see (roles.yaml), so the list goes only to them.
OVERDUE_PAYMENTS = re.compile(
    r"\b(?:overdue|late|unpaid|outstanding) (?:payments?|invoices?|bills?)\b|\b(?:payments?|invoices?|bills?)\b.{0,20}"
    r"\b(?:overdue|late|unpaid|outstanding|behind)\b|\b(?:has ?n.t|have ?n.t|has not|have not|not) paid\b"
    r"(?:\s+(?:their|its|the|our)?\s*(?:invoices?|bills?)\b)?"
    r"|\b(?:behind|overdue|late) (?:on|with) (?:their |its |the )?(?:payments?|invoices?|bills?|paying)\b|\bowes? us\b"
    # "which platinum customers are overdue?" (not "overdue for a check-in": a promised cadence)
    r"|\b(?:customers|accounts|clients) (?:are|is) (?:overdue|late)\b"
    r"(?!\s+(?:for|with|on (?!(?:their |its )?payments)))"
    r"|\bowe (?:us )?money\b|\bin arrears\b|\b(?:late|slow) (?:in )?(?:paying|payers?|to pay)\b|\bpays? (?:us )?late\b"
    r"|\bowes?(?=\s+(?:more than|over|above|at least|greater than|less than|under|\$))",
    re.I,
)


# What the overdue invoices add up to, asked of the book: "how much is overdue?", "how much revenue is overdue?",
# "the total outstanding" (the record's overdue orders, added up; not a customer's ARR)
OWED_TOTAL = re.compile(
    r"\bhow much\b(?:\s+[\w'-]+){0,3}?\s+(?:is|are)\s+(?:still\s+)?(?:overdue|unpaid|outstanding|owed)\b"
    r"|\b(?:revenue|money|cash)\s+(?:is\s+|are\s+)?(?:overdue|unpaid|outstanding|owed)\b"
    r"|\bhow much\b(?:\s+[\w'-]+){0,4}?\s+owed?\b(?!\s+(?:to|for)\b)"  # "how much do they owe (in total)?"
    r"|\b(?:total|amount|sum)\s+(?:of\s+)?(?:overdue|unpaid|outstanding|owed)\b"
    r"|\b(?:overdue|unpaid|outstanding)\s+(?:amount|balance|total)\b",
    re.I,
)
# A bound on what a customer owes: "owe more than $5,000", "overdue invoices over 5k" (not "30 days overdue")
OWED_BOUND = re.compile(
    rf"(?P<way>{_BELOW}|{_ABOVE})\s*{_VALUE}"
    r"(?!\s*(?:days?|weeks?|months?|years?|invoices?|orders?|customers?|accounts?)\b)",
    re.I,
)


def owed_bound(question: str) -> Threshold | None:
    """The bound on the overdue amount a customer owes that a question about overdue payments names, or None (a
    record value's bound, "ARR over $100k", is :func:`threshold`'s)."""
    if not owes(question) or threshold(question) is not None:
        return None
    found = OWED_BOUND.search(question)
    return _read("payment_status", found, question) if found is not None else None


# How long past due: "which customers are 30 days overdue?", "invoices overdue by more than 60 days", "90+ days
# past due" (an invoice at least that late; not a shipment's delay)
_LATE_BY = re.compile(
    r"\b(?:(?:more than|over|at least)\s+)?(?P<n>\d{1,3})\+?\s*(?P<unit>days?|weeks?|months?)\s+(?:or more\s+)?"
    r"(?:overdue|past due)\b"
    r"|\b(?:overdue|past due)\s+(?:by\s+|for\s+)?(?:more than\s+|over\s+|at least\s+)?(?P<m>\d{1,3})\+?\s*"
    r"(?P<unit2>days?|weeks?|months?)\b",
    re.I,
)
_SHIPPED = re.compile(r"\b(?:shipments?|deliver(?:y|ies)|parcels?|packages?)\b", re.I)


def overdue_days(question: str) -> int:
    """How many days past due the invoices asked about are at least ("30 days overdue": 30); 0 when not said."""
    found = _LATE_BY.search(question)
    if found is None or _SHIPPED.search(question):
        return 0
    n, unit = (found["n"], found["unit"]) if found["n"] else (found["m"], found["unit2"])
    return int(n) * DAYS[unit.lower().rstrip("s")]


def without_overdue_days(question: str) -> str:
    """The question without its "30 days overdue" words, which the list reads."""
    return _LATE_BY.sub(" ", question)


def owes(question: str) -> bool:
    """Whether the question asks about customers behind on payments ("who hasn't paid?")."""
    return bool(OVERDUE_PAYMENTS.search(question) or OWED_TOTAL.search(question) or overdue_days(question))


# Renewals at risk across the book: "which renewals next quarter are at risk?", "how much ARR is at risk?". The
# renewal-at-risk alert rule evaluated for the book (its own SQL), which rests on the health score, so the list goes
# only to roles that see it.
RENEWAL_RISK = re.compile(
    r"\b(?:renewals?|accounts?|customers?|clients?|arr|revenue)\b.{0,40}?\bat[- ]risk\b"
    r"|\bat[- ]risk (?:renewals?|accounts?|customers?|clients?|arr|revenue)\b",
    re.I,
)


# a question asking for the customers themselves ("which renewals are at risk?"), not what puts one at risk
_WHICH = re.compile(
    r"^\W*(?:which|who|list|show|how (?:many|much)|any|give me|get me|what (?:are|is) (?:my|our|the) (?:at[- ]risk|"
    r"renewals|accounts|customers))\b",
    re.I,
)


def renewals_at_risk(question: str) -> bool:
    """Whether the question asks for the book's renewals at risk ("which renewals are at risk?", not "what puts a
    renewal at risk?")."""
    return bool(RENEWAL_RISK.search(question)) and bool(_WHICH.match(question))
