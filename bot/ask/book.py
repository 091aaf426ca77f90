"""Questions about many customers at once, answered from the book: "which customers renew next month?", "list my
accounts", "how many open P1s do we have?", "which shipments are late?", "is anyone breaching right now?".

A list is of renewals in a window, of accounts, of customers with open tickets, of open tickets past (or near) their
SLA target on each customer's clock, or of late shipments; filtered by the tiers, region and owner the question
names. Only what every staff member may see is listed (tier, region, owner, renewal date, open tickets: ``public``
in roles.yaml), so the list is the same for every role; except a ranking by ARR, lifetime value or health score
(:mod:`bot.ask.ranking`), which states each line's value and which the ask service gives only to a role that sees
that field; so are a total of those values (:mod:`bot.ask.totals`), a bound on one (:mod:`bot.ask.thresholds`) and
customers with overdue invoices (their payment status). A question across the book about risk, about past work, or
per owner beyond a count of accounts is not answered here:
:data:`bot.ask.direct.ACROSS_THE_BOOK` says what Ask lists instead. Owners are named, not mentioned: a list of
accounts must not notify ten people.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, or_, select, union
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.alerts.rules import EvalContext, compile_rule
from bot.ask.breakdown import OWNER, fewest_first, grouped_by, without_grouping
from bot.ask.dates import COUNT_WORDS, counted, counted_span, day, period_name
from bot.ask.facts import LABELS, money, sees, ticket_line, within_contact_hours
from bot.ask.people import person
from bot.ask.quiet import (
    NoTickets,
    by_the_asker,
    checkins_due,
    no_tickets,
    quiet_days,
    without_checkins,
    without_no_tickets,
    without_quiet,
)
from bot.ask.ranking import Ranking, ranking, turned
from bot.ask.reachable import reachable, reaches_out
from bot.ask.shipments import OPEN, shipment_line
from bot.ask.thresholds import (
    OVERDUE_PAYMENTS,
    OWED_BOUND,
    OWED_TOTAL,
    RENEWAL_RISK,
    Threshold,
    overdue_days,
    owed_bound,
    owes,
    renewals_at_risk,
    threshold,
    without_overdue_days,
)
from bot.ask.totals import Total, total_asked
from bot.customers.card import CONTACT_EVENTS, OPEN_STATUSES, TicketLine
from bot.customers.outcomes import TOUCH_KINDS
from bot.customers.sla import sla_clock
from bot.policies import Policies
from bot.policies.alerts import RenewalAtRiskRule
from bot.privacy.models import LegalHold
from bot.store.models import Customer, Note, Order, Shipment, Ticket

SHOWN = 10  # customers listed; the rest are counted
UPCOMING_DAYS = 90  # "which customers renew soon?": the window when none is said

RENEWALS, TICKETS, ACCOUNTS, LATE_SHIPMENTS = "renewals", "tickets", "accounts", "late shipments"
BREACHED, AT_RISK = "breached", "at_risk"  # open tickets past their SLA target, or within its last quarter
# What a list of the book cannot say to every role, or cannot say without working out each record.
_NOT_LISTED = re.compile(
    r"\b(arr|revenue|ltv|lifetime|valu\w*|worth|health\w*|nps|sentiment|payments?|paid|overdue|owes?|invoices?|"
    r"churn\w*|risk\w*|happy|unhappy|breach\w*|late|usage|biggest|largest|smallest|top|highest|lowest|"
    r"total(?! (?:number|count)\b)|sum|average|closed|resolved|solved|caps?|workload|renewed|churned)\b"
    r"|\bdid \w+ (close|resolve|solve|fix)\b"
    r"|\b(last|past|previous) (week|month|quarter|year)\b"
    # per owner as a limit ("accounts per owner": the tier's cap); counted per owner is a breakdown, whose words
    # (bot.ask.breakdown) are taken out of the question before this is read
    r"|\b(each|every|per|by) (owner|account manager|am|csm)\b"
    r"|\b(cancell?ed|left|downgraded|upgraded)\b",
    re.I,
)
# Late shipments across the book ("which shipments are late?"): a list the logistics records answer.
_LATE_SHIPMENTS = re.compile(
    r"\b(late|overdue|delayed)\s+(shipments?|deliver(y|ies)|orders?)\b|\b(shipments?|deliver(y|ies)|orders?)\b.{0,30}"
    r"\b(late|overdue|delayed|behind)\b",
    re.I,
)
# Tickets on an SLA clock across the book: "is anyone breaching right now?", "which tickets are about to breach?".
_BREACHING = re.compile(r"\bbreach\w*|\b(past|missed) (their |the |its )?(sla|target)", re.I)
_ABOUT_TO = re.compile(r"\b(about to|close to|near(ly)?|at risk of|going to|will)\b", re.I)
_RENEW = re.compile(r"\brenew\w*\b|\bup for renewal\b", re.I)
_TICKETS = re.compile(r"\b(tickets?|cases?|p[1-4]s?|incidents?|escalations?)\b", re.I)
# A filter turned round ("which customers are not in emea?", "who doesn't renew next month?", "which shipments are
# not late?"): the list has no "not" but for the negatives it reads (no contact, no tickets, no owner, consent not
# given, outside contact hours, who hasn't paid), and read without it, it would list the very customers excluded.
_NEGATIVE = (
    r"(?:not|never|no|none|without|non|except|excluding|\w+n't|(?:do|does|did|is|are|was|were|have|has|had|wo|ca|"
    r"could|should)nt)"
)
_NEGATION = re.compile(rf"\b{_NEGATIVE}\b", re.I)
# ... and those whose own words a filter's pattern reads whole ("customers are not at risk", "no overdue invoices",
# "aren't late paying"), where "who hasn't paid?" is the overdue list itself
_NOT_FILTER = re.compile(rf"\b{_NEGATIVE}\s+(?:any\s+|yet\s+)?(?:at[- ]risk|overdue|late|unpaid|breach\w*)\b", re.I)
# the open tickets by age, each one a line: "what's the oldest open ticket?", "which tickets have been open longest?"
OLDEST = re.compile(r"\b(?:oldest|longest[- ](?:open|running|waiting))\b|\bopen (?:the )?longest\b", re.I)
_UNOWNED = re.compile(
    r"\b(no|without( an?)?|missing( an?)?|lacking( an?)?) (owners?|account managers?)\b|\b(unowned|ownerless)\b"
    r"|\b(nobody|no one) (assigned|owns|owning)\b",
    re.I,
)
UNOWNED = "-"  # BookQuery.owner: the accounts nobody owns
# Consent asked of the book ("which customers haven't consented to marketing?", "accounts that opted out of
# outreach"): which of the record's consents, and whether given. A list read without it would be every customer.
_CONSENT = re.compile(r"\b(consent\w*|opt(ed|s)?[- ]?(in|out)|opt[- ]?outs?|unsubscribed)\b", re.I)
_CONSENTS = (
    ("consent_marketing", re.compile(r"\b(marketing|newsletters?|promotion\w*|unsubscribed)\b", re.I), "marketing"),
    ("consent_data_processing", re.compile(r"\b(data )?processing\b", re.I), "data processing"),
    ("consent_outreach", re.compile(r"\b(outreach|contact(ed)?|reach(ed)? out|calls?)\b", re.I), "outreach"),
)
_NOT_GIVEN = re.compile(
    r"\b(no|not|without|haven'?t|hasn'?t|have not|has not|never|opt(ed|s)?[- ]?out|opt[- ]?outs?|withdr[ae]wn?|"
    r"declined|refused|lacking|missing|unsubscribed)\b",
    re.I,
)
_HELD = re.compile(r"\blegal[- ]holds?\b|\b(on|under) (a )?(legal )?hold\b", re.I)
# A segment named as one ("the enterprise segment", "segment smb"): its value as the record may spell it.
_SEGMENT = (
    re.compile(r"\bsegment (?:is |of |= )?([a-z][\w-]{1,24})\b", re.I),
    re.compile(r"\b([a-z][\w-]{1,24}) segment\b", re.I),
)
_NOT_SEGMENT = {
    *"the a an which what where whose same their its our your my customer customers this that each every any by per "
    "in of for and or no".split()
}
# The words of a list of every customer ("how many customers do we have?", "list all our accounts"): a list
# question with any other word asks for a filter the list does not have, and is not answered with every customer.
_EVERYONE = frozenset(
    "which what who whom list show tell me all every our my the are is do does we i have has had how many much "
    "customers customer accounts account clients client book there in total of please can could you give get any "
    "a an with us count number current currently active existing whole entire full everyone s on across".split()
)
_BILLED = re.compile(r"\b(?:invoices?|bills?|payments?)\b", re.I)
_IN_ALL = re.compile(r"\b(?:in total|in all|altogether|combined|total)\b", re.I)
_ARR = re.compile(r"\b(?:arr|annual recurring revenue|recurring revenue)\b", re.I)  # the record's ARR, said so
_MINE = re.compile(r"\b(my|mine|i own|i have)\b", re.I)
# a colleague's book by their name ("Bob's accounts"), read once the owners the roster names are looked for
_WHOSE = re.compile(r"\b(?P<name>[a-z][\w-]*)'s (?:accounts|customers|clients|book)\b", re.I)
_NOT_A_NAME = frozenset(
    {"our", "their", "his", "her", "its", "everyone", "everybody", "someone", "somebody", "team", "company", "today"}
    | {"yesterday", "tomorrow", "week", "month", "quarter", "year", "customer", "owner", "manager"}
)
_OWNED_BY = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?(?:\s+(?P<year>20\d\d))?"
_QUARTER = re.compile(r"\bq(?P<q>[1-4])(?:\s+(?P<year>20\d\d))?\b", re.I)
_BEFORE = re.compile(r"\b(?P<how>before|by|until|till|in|during)\s+" + _MONTH, re.I)
_N = r"(?P<n>\d+|" + "|".join(COUNT_WORDS) + r")"
_UNIT = r"\s+(?P<unit>days?|weeks?|months?|quarters?|years?)\b"
_NEXT_N = re.compile(r"\b(?:in|within|over)?\s*the\s+next\s+" + _N + _UNIT, re.I)
_WITHIN_N = re.compile(r"\b(?:in|within)\s+" + _N + _UNIT, re.I)
_YEAR = re.compile(r"\b(?:in|during|for)\s+(?P<year>20\d\d)\b", re.I)
_DAY = re.compile(r"\b(?P<day>today|tomorrow)\b", re.I)
_RELATIVE = re.compile(r"\b(?P<which>this|next)\s+(?P<unit>week|month|quarter|year)\b", re.I)
# "before the end of the year", "by the end of next quarter", "by year end": from today to that period's last day
_END_OF = re.compile(
    r"\b(?:before|by|until|till)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?(?P<which>this\s+|next\s+)?"
    r"(?P<unit>week|month|quarter|year)\b|(?P<unit2>year|quarter|month)[- ]?end\b)",
    re.I,
)


@dataclass(frozen=True)
class BookQuery:
    about: str  # RENEWALS | ACCOUNTS | TICKETS | BREACHED | AT_RISK | LATE_SHIPMENTS
    tiers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    owner: str | None = None  # a user id: "my accounts" is the asker's
    start: dt.date | None = None  # the renewal window, both ends included
    end: dt.date | None = None
    window: str = ""  # the window as the answer says it: "in January 2027"
    priority: str | None = None  # open tickets of this priority only
    with_open: bool = False  # renewals of customers with open tickets only ("... renew in January and have open P1s")
    place: str = ""  # a country named for its region ("the UK"): the list is the region's, and the answer says so
    consent: tuple[str, bool] | None = None  # a consent field and whether it is given ("without marketing consent")
    held: bool = False  # customers under a legal hold only
    segment: str = ""  # customers of this segment only, as the record spells it ("mid-market")
    rank: str = ""  # ranked by this record value ("arr", "lifetime_value", "health_score"), highest first
    lowest: bool = False  # ... lowest first
    top: int = 0  # lines shown (0: SHOWN)
    reachable: bool | None = None  # within (True) or outside (False) contact hours now, in each one's time zone
    among: tuple[int, ...] = ()  # only these customers: the lines of a cut ranking "which of them ..." is about
    total: bool = False  # what ``rank``'s value adds up to over the list is asked ("total ARR of gold customers")
    bound: Threshold | None = None  # customers within a bound on a record value ("health score below 40")
    overdue: bool = False  # customers with overdue invoices only (their payment status)
    owed: Threshold | None = None  # ... owing within this bound in all ("owe more than $5,000")
    late_days: int = 0  # ... counting only invoices at least this many days past due ("30 days overdue")
    at_risk: bool = False  # customers the renewal-at-risk alert rule holds for now
    quiet_since: dt.date | None = None  # customers with no contact on record since this day ("gone quiet")
    checkins: bool = False  # customers due a check-in by their tier's cadence (tiers.yaml), none on record since
    group: str = ""  # how many customers per value of this record field (bot.ask.breakdown), not the list
    unknown_owner: str = ""  # a colleague named as an owner whom the roster does not know ("Bob's accounts")
    oldest: bool = False  # the open tickets themselves, oldest first (not their customers, most tickets first)
    no_tickets: NoTickets | None = None  # customers with no open ticket, or none opened in a span
    negated: bool = False  # a filter turned round that the list cannot turn ("not in emea"): said so, not listed


def read_book(
    question: str,
    asker: str,
    today: dt.date,
    tiers: Sequence[str],
    regions: Sequence[str],
    priority: str | None,
    staff: Mapping[str, str] | None = None,
    place: str = "",
) -> BookQuery | None:
    """What a question about many customers asks, or None when it asks what a list of the book does not say
    (ARR, health, who is at risk). ``tiers``, ``regions``, ``priority``: those the question names (its slots);
    ``staff``: who owns accounts, by the names people call them ("priya", "priya raman"), for "Priya's accounts"."""
    late = bool(_LATE_SHIPMENTS.search(question))
    breaching = bool(_BREACHING.search(question))
    measured = _Measures.read(question)
    bound, summed, ranked = measured.bound, measured.summed, measured.ranked
    # a value the list ranks by or adds up is not one it cannot say; nor is "and the highest?" after a ranked list
    rest = measured.rest
    rest = ("" if turned(question) is not None else question) if rest is None else rest
    overdue, risky = owes(question), renewals_at_risk(question)
    if summed and summed.field == "arr" and OWED_TOTAL.search(question) and not _ARR.search(question):
        # "how much revenue is overdue?": the overdue invoices added up (the list's head), not the customers' ARR
        summed, rest = None, question
    owed = owed_bound(rest)  # "owe more than $5,000": what the overdue invoices add up to, bounded
    late_days = overdue_days(question)  # "30 days overdue": only invoices that late
    rest = without_overdue_days(rest)
    # a payment status the list filters on is not one it cannot say, nor what it owes (the head adds it up)
    rest = OWED_TOTAL.sub(" ", OVERDUE_PAYMENTS.sub(" ", rest))
    if overdue:
        rest = _IN_ALL.sub(" ", OWED_BOUND.sub(" ", rest) if owed else rest)
        # what is overdue, once the words saying how late are read ("invoices overdue by more than 60 days", was
        # the help for lists; "invoices 60+ days overdue" too)
        rest = _BILLED.sub(" ", rest)
    quiet = quiet_days(question)
    rest = without_quiet(rest)  # nor is the span of no contact ("in the last month")
    none = no_tickets(question, today)
    rest = without_no_tickets(rest)  # nor are the tickets they have none of
    checkins = checkins_due(question)
    rest = without_checkins(rest)  # nor are the check-ins due (the tiers' cadence)
    group = grouped_by(rest)
    rest = without_grouping(rest)  # nor is the field the count is broken down by
    if risky:  # nor is the renewal-at-risk rule ("how much ARR is at risk?": the total's words are gone already)
        rest = re.sub(r"\bat[- ]risk\b", " ", RENEWAL_RISK.sub(" ", rest), flags=re.I)
    if _NOT_LISTED.search(_BREACHING.sub(" ", _LATE_SHIPMENTS.sub(" ", rest))):
        return None
    owner = None
    if found := _OWNED_BY.search(question):
        owner = found.group(1)
    elif _UNOWNED.search(question):
        owner = UNOWNED
    elif named := staff_named(question, staff):
        owner = named
    elif _MINE.search(question) or by_the_asker(question):
        owner = asker
    elif (whose := _WHOSE.search(question)) and whose["name"].lower() not in _NOT_A_NAME:
        # "show me Bob's accounts" with nobody called Bob: said so, never the whole book under his name
        return BookQuery(ACCOUNTS, unknown_owner=whose["name"])
    about = ACCOUNTS
    if late:
        about = LATE_SHIPMENTS
    elif breaching:
        about = AT_RISK if _ABOUT_TO.search(question) else BREACHED
    elif _RENEW.search(question):
        about = RENEWALS
    elif none is None and (priority or _TICKETS.search(question)):
        about = TICKETS  # (customers without tickets are accounts, filtered)
    start, end, window = renewal_window(question, today)  # kept only for a list of renewals
    # (not where they have none: "renew next month and have no open tickets" is the renewals without any)
    with_open = about == RENEWALS and none is None and bool(priority or _TICKETS.search(question))
    consent = consent_asked(question)
    if consent is None and _CONSENT.search(question):
        return None  # a consent no field is named for ("which customers gave consent?"): never every customer
    segments = (m.group(1).lower() for p in _SEGMENT for m in p.finditer(question))
    segment = next((v for v in segments if v not in _NOT_SEGMENT), "")
    held = bool(_HELD.search(question))
    within = reachable(question)
    if within and consent is None and reaches_out(question):
        consent = ("consent_outreach", True)  # "can I call them now?": within hours and consenting to outreach
    rank, lowest, top = (ranked.field, ranked.lowest, ranked.top) if ranked else ("", False, 0)
    lowest = lowest or (bool(group) and fewest_first(question))  # counts asked smallest first
    if summed:  # the customers a total adds up, each with their value, highest first
        rank = summed.field
    elif bound and not rank:  # the customers within the bound, each with the value, from the bound's side
        rank, lowest = bound.field, bound.below
    if rank and about not in (ACCOUNTS, RENEWALS):
        return None  # tickets, clocks and shipments are ordered by what they are about, not by a customer's value
    turned_round = (
        owner == UNOWNED or (consent is not None and not consent[1]) or within is False or overdue or bound is not None
    )
    if _NOT_FILTER.search(question) or (not turned_round and quiet is None and none is None and _NEGATION.search(rest)):
        # "which customers are not in emea?", "which shipments are not late?": never the list it excludes
        return BookQuery(about, negated=True)
    return BookQuery(
        about,
        tuple(tiers),
        tuple(regions),
        owner,
        start if about == RENEWALS else None,
        end if about == RENEWALS else None,
        window if about == RENEWALS else "",
        priority if about in (TICKETS, BREACHED, AT_RISK) or with_open else None,
        with_open,
        place if regions else "",
        consent,
        held,
        segment,
        rank,
        lowest,
        top,
        within,
        total=summed is not None,
        bound=bound,
        overdue=overdue,
        owed=owed,
        late_days=late_days,
        at_risk=risky,
        quiet_since=today - dt.timedelta(days=quiet) if quiet is not None else None,
        checkins=checkins,
        # a total broken down ("total ARR by region") is added up per group; a ranking is not grouped
        group=group if about in (ACCOUNTS, RENEWALS, TICKETS) and (not rank or summed is not None) else "",
        oldest=about == TICKETS and not group and bool(OLDEST.search(question)),
        no_tickets=none if about in (ACCOUNTS, RENEWALS) else None,
    )


def restricted(policies: Policies, asker: str, q: BookQuery) -> str:
    """The record value a list ranks by, is bounded on or filters on (payment status) that the asker's role may not
    see ("" when none): its order or its filter alone would tell each line's value."""
    fields = (
        q.rank,
        q.bound.field if q.bound else "",
        "payment_status" if q.overdue else "",
        "health_score" if q.at_risk else "",  # the renewal-at-risk rule's health threshold
    )
    return next((f for f in fields if f and not sees(policies, asker, f)), "")


@dataclass(frozen=True)
class _Measures:
    """The record values a question bounds, adds up or ranks by, read once for the list and its filter check."""

    bound: Threshold | None
    summed: Total | None
    ranked: Ranking | None  # None when a total is asked: its customers are ranked by the total's value

    @staticmethod
    def read(question: str) -> _Measures:
        bound = threshold(question)
        unbound = bound.rest if bound else question  # "top 5 customers with ARR over $100k": the ranking's words
        summed = total_asked(unbound)
        return _Measures(bound, summed, None if summed else ranking(unbound))

    @property
    def rest(self) -> str | None:
        """The question without the words of the bound, the total or the ranking ("health score below 40", "total
        ARR", "top 5 ... by ARR"), or None when it asks none of them."""
        if self.summed is not None:
            return self.summed.rest
        if self.ranked is not None:
            return self.ranked.rest
        return self.bound.rest if self.bound else None


def unfiltered(question: str, q: BookQuery, staff: Iterable[str] = ()) -> bool:
    """Whether a question read as every customer, or as every account of one owner, asks for a filter the list does
    not have ("which customers have the new product?", "which of my customers use the API?"): it has words beyond
    those of "how many customers do we have?" and the owner's ("my", a colleague's name: ``staff``). Such a question
    is not answered with the whole list (its head would read as the answer: "*500 customers (owned by ...)*")."""
    filters = (
        *(q.tiers, q.regions, q.consent, q.held, q.segment, q.reachable is not None, q.bound, q.overdue, q.group),
        q.no_tickets,
    )
    if q.about != ACCOUNTS or any(filters) or q.at_risk or q.quiet_since is not None or q.checkins or q.unknown_owner:
        return False
    # "which customers have the highest ARR?", "what's our total ARR?": the ranking or the total is no filter
    said = (_Measures.read(question).rest if q.rank else None) or question
    for owned in (_MINE, _OWNED_BY, _UNOWNED):
        said = owned.sub(" ", said)
    named = {w for name in staff for w in re.findall(r"[a-z]+", name.lower())}
    return bool(set(re.findall(r"[a-z]+", said.lower())) - _EVERYONE - named - {"owned", "owns", "own", "by"})


def consent_asked(question: str) -> tuple[str, bool] | None:
    """The consent a question about many customers filters by, and whether given: ("consent_marketing", False) for
    "which customers haven't consented to marketing?"; None when it names no consent."""
    if not _CONSENT.search(question):
        return None
    field = next((f for f, words, _ in _CONSENTS if words.search(question)), None)
    return (field, not _NOT_GIVEN.search(question)) if field else None


# A follow-up that narrows or shifts the list before it: "only the gold ones?", "and in February?", "and P2s?",
# "which of them renew this quarter?".
_REFINES = re.compile(r"\b(them|those|ones|which of|only|just)\b", re.I)


def staff_names(policies: Policies) -> dict[str, str]:
    """Staff by the names a question calls them: the full name, and the first name where only one has it."""
    if not policies.configured:
        return {}
    members = list(policies.roles.staff)
    firsts: dict[str, list[str]] = {}
    for m in members:
        firsts.setdefault(m.name.split()[0].lower(), []).append(m.id)
    names = {m.name.lower(): m.id for m in members}
    return names | {first: ids[0] for first, ids in firsts.items() if len(ids) == 1 and first not in names}


def staff_named(question: str, staff: Mapping[str, str] | None) -> str | None:
    """The staff member the question names as an owner ("Priya's accounts", "does Marcus Okafor own"), longest
    name first; None when it names none."""
    low = question.lower()
    for name in sorted(staff or {}, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", low):
            return (staff or {})[name]
    return None


# A line of the list before, pointed at: "the second one", "the first customer", "the last one", "number 3 on the
# list". Its customer is what the follow-up asks about (bot.ask.service), not the list again.
_ORDINAL = re.compile(
    r"\bthe (?P<word>first|1st|top|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|seventh|7th|eighth|8th|ninth"
    r"|9th|tenth|10th|last) (?:one|customer|account|client|company|on the list|in the list)\b"
    r"|\b(?:number|no\.|#) ?(?P<n>\d{1,2}) (?:on|in) (?:the|that|your) list\b",
    re.I,
)
_ORDINAL_WORDS = {
    **{w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split(), 1)},
    "top": 1,
    "last": -1,
}


def ordinal(question: str) -> int | None:
    """The line of the thread's list the question points at, from 1 (-1: the last one shown); None if none."""
    m = _ORDINAL.search(question)
    if m is None:
        return None
    if m["n"]:
        return int(m["n"]) or None
    word = m["word"].lower()
    return int(word[:-2]) if word[0].isdigit() else _ORDINAL_WORDS[word]


def point_at(question: str, name: str) -> str:
    """The question with the line it points at named: "when does the second one renew?" -> "when does Acme Inc
    renew?", so that it is read as a question naming that customer."""
    return _ORDINAL.sub(lambda _: name, question, count=1)


def of_the_list(question: str) -> bool:
    """Whether the question says it is about the list's lines ("which of them ...", "only the gold ones?")."""
    return bool(_REFINES.search(question))


def only_points(question: str) -> bool:
    """Whether the question does nothing but point at a line ("the first one?", "and number 3?"): after a list,
    it asks for that line's customer."""
    return ordinal(question) is not None and not re.sub(
        r"\b(and|what|how|about|then|ok|okay|so|please)\b|\W", "", _ORDINAL.sub("", question), flags=re.I
    )


def refines(question: str, tiers: Sequence[str], regions: Sequence[str], priority: str | None) -> bool:
    """Whether a follow-up in a thread after a list of the book changes that list (names a tier, a region, a
    priority, an owner, a window, or points back at the list), rather than asking something else ("when does the
    second one renew?" asks about one line of it)."""
    if ordinal(question) is not None:
        return False
    return bool(
        tiers
        or regions
        or priority
        or _RENEW.search(question)
        or _TICKETS.search(question)
        or _names_window(question)
        or _MINE.search(question)
        or _UNOWNED.search(question)
        or _OWNED_BY.search(question)
        or _REFINES.search(question)
        or ranking(question) is not None
        or total_asked(question) is not None  # "how much ARR is that?"
        or OWED_TOTAL.search(question)  # "how much do they owe?" after the overdue list
        or turned(question) is not None
        or bool(grouped_by(question))  # "and by tier?" after a breakdown or a total: counted another way
    )


_NAMES_THEM = re.compile(r"^\W*(?:(?:and|so|ok|okay)\s+)?(?:which|who|list|show|name)\b", re.I)


def followed(earlier: BookQuery, later: BookQuery, question: str, today: dt.date) -> BookQuery:
    """The earlier list with what the follow-up ``later`` (read from ``question`` alone) says instead: its tiers,
    region, owner, priority or window replace the earlier ones; the rest stays."""
    about = later.about if (_RENEW.search(question) or _TICKETS.search(question) or later.priority) else earlier.about
    # "which of them have open tickets?" after renewals: those renewals with open tickets, not every open ticket
    kept = earlier.about == RENEWALS and about == TICKETS and bool(_REFINES.search(question))
    about = RENEWALS if kept else about
    start, end, window = earlier.start, earlier.end, earlier.window
    if about == RENEWALS and (_names_window(question) or start is None or end is None):
        start, end, window = renewal_window(question, today)
    renewals = about == RENEWALS
    with_open = renewals and (kept or later.with_open or earlier.with_open or bool(later.priority))
    return BookQuery(
        about,
        later.tiers or earlier.tiers,
        later.regions or earlier.regions,
        later.owner or earlier.owner,
        start if renewals else None,
        end if renewals else None,
        window if renewals else "",
        (later.priority or earlier.priority) if about in (TICKETS, BREACHED, AT_RISK) or with_open else None,
        with_open,
        later.place if later.regions else earlier.place,
        later.consent or earlier.consent,
        later.held or earlier.held,
        later.segment or earlier.segment,
        *((later.rank, later.lowest, later.top) if later.rank else _turned(earlier, question)),
        later.reachable if later.reachable is not None else earlier.reachable,
        total=later.total if later.rank else earlier.total,
        bound=later.bound or earlier.bound,
        overdue=later.overdue or earlier.overdue,
        owed=later.owed or earlier.owed,
        late_days=later.late_days or earlier.late_days,
        at_risk=later.at_risk or earlier.at_risk,
        quiet_since=later.quiet_since or earlier.quiet_since,
        checkins=later.checkins or earlier.checkins,
        # a breakdown stays one, by the field the follow-up names if any ("only gold?", "and by tier?"), unless the
        # follow-up asks for the customers themselves ("which of them renew next month?")
        group=later.group or ("" if _NAMES_THEM.match(question) else earlier.group),
        oldest=about == TICKETS and (later.oldest or earlier.oldest),  # "only the P1s?" after the oldest tickets
        no_tickets=later.no_tickets or earlier.no_tickets,
        negated=later.negated,
    )


def _turned(earlier: BookQuery, question: str) -> tuple[str, bool, int]:
    """The earlier list's ranking, turned round when the follow-up says only which way ("and the lowest?")."""
    way = turned(question) if earlier.rank else None
    return earlier.rank, earlier.lowest if way is None else way, earlier.top


def _names_window(question: str) -> bool:
    return any(p.search(question) for p in (_BEFORE, _QUARTER, _NEXT_N, _WITHIN_N, _RELATIVE, _DAY, _YEAR))


def renewal_window(question: str, today: dt.date) -> tuple[dt.date, dt.date, str]:
    """The days a renewal question asks about, both ends included, and how to say them; the next
    UPCOMING_DAYS days when it names none ("which customers renew soon?")."""
    if m := _BEFORE.search(question):
        month = _MONTHS[m["month"].lower()]
        year = int(m["year"]) if m["year"] else today.year + (month < today.month)
        first = dt.date(year, month, 1)
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        name = period_name("month", first)
        how = m["how"].lower()
        if how == "before":
            return today, first - dt.timedelta(days=1), f"before {name}"
        if how in ("by", "until", "till"):
            return today, last, f"by the end of {name}"
        return max(today, first), last, f"in {name}"
    if m := _END_OF.search(question):  # was: the next 90 days for "before the end of the year"
        unit = (m["unit"] or m["unit2"]).lower()
        _, last, _ = _relative(today, (m["which"] or "this").strip().lower(), unit)
        said = f"the week ({day(last)})" if unit == "week" else period_name(unit, last)
        return today, last, f"by the end of {said}"
    if m := _QUARTER.search(question):  # "Q1": the next one of that name, unless a year is said
        q = int(m["q"])
        year = int(m["year"]) if m["year"] else today.year + (q * 3 < today.month)
        first = dt.date(year, q * 3 - 2, 1)
        last = dt.date(year, q * 3, calendar.monthrange(year, q * 3)[1])
        return max(today, first), last, f"in {period_name('quarter', first)}"
    if m := _NEXT_N.search(question) or _WITHIN_N.search(question):
        days, said = counted_span(counted(m["n"].lower()), m["unit"].lower().rstrip("s"), "next")
        return today, today + dt.timedelta(days=days), said
    if m := _RELATIVE.search(question):
        return _relative(today, m["which"].lower(), m["unit"].lower())
    if m := _DAY.search(question):
        on = today + dt.timedelta(days=m["day"].lower() == "tomorrow")
        return on, on, m["day"].lower()
    if m := _YEAR.search(question):
        year = int(m["year"])
        return max(today, dt.date(year, 1, 1)), dt.date(year, 12, 31), f"in {year}"
    return today, today + dt.timedelta(days=UPCOMING_DAYS), f"in the next {UPCOMING_DAYS} days"


def _relative(today: dt.date, which: str, unit: str) -> tuple[dt.date, dt.date, str]:
    """ "this month" (from today to its end), "next quarter" (the whole calendar quarter) ..."""
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=which == "next")
        return max(today, monday), monday + dt.timedelta(days=6), f"{which} week"
    if unit == "year":
        year = today.year + (which == "next")
        return max(today, dt.date(year, 1, 1)), dt.date(year, 12, 31), f"in {period_name(unit, dt.date(year, 1, 1))}"
    months = 3 if unit == "quarter" else 1
    first_month = (today.month - 1) // months * months + 1
    year, month = today.year, first_month + (months if which == "next" else 0)
    if month > 12:
        year, month = year + 1, month - 12
    last_month = month + months - 1
    first = dt.date(year, month, 1)
    last = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    said = f"{which} quarter, {period_name(unit, first)}" if unit == "quarter" else f"in {period_name(unit, first)}"
    return max(today, first), last, said


@dataclass(frozen=True)
class Listed:
    text: str  # the answer: how many in all, the first SHOWN lines
    customers: tuple[int, ...]  # the customer of each line shown, in order ("the second one" in a follow-up)
    head: str = ""  # how many in all, as the answer's first line says it ("*3 customers (gold)* renew ...")


def answer_book(session: Session, policies: Policies, q: BookQuery, now: dt.datetime) -> Listed:
    """The customers ``q`` asks for (at most SHOWN, with how many in all), as the answer says them."""
    if q.unknown_owner:
        return Listed(
            f"No account owner is called _{mrkdwn.escape(q.unknown_owner)}_: lists go by the customer's owner, by "
            "their name in `roles.yaml` or a mention of them (`which customers does @Priya own?`).",
            (),
            "",
        )
    listed = _listed(session, policies, q, now)
    if q.place and q.regions:  # "customers in the UK": the record has no country, so say whose list this is
        region, place = _esc(q.regions[0]), mrkdwn.escape(q.place)
        where = f"the {place.upper()}" if len(place) <= 3 else place.title()  # "the UK", "Japan"
        said = (
            f"The record keeps each customer's region, not their country: this is every {region} customer, not only"
            f" those in {where}.\n{listed.text}"
        )
        listed = Listed(said, listed.customers, listed.head)
    if q.owner and q.owner != UNOWNED and not listed.customers:
        owned = select(func.count()).where(Customer.owner_slack_id == q.owner, Customer.merged_into_id.is_(None))
        # "which of my tickets are breaching?", "what's the total ARR of my book?" asked by someone who owns none
        if not session.scalar(owned):
            why = f"{person(policies, q.owner)} owns no account, and lists go by the customer's owner"
            listed = Listed(f"{listed.text}\n{why}: ask without naming an owner for the whole book.", (), listed.head)
    return listed


def _listed(session: Session, policies: Policies, q: BookQuery, now: dt.datetime) -> Listed:
    scope = _scope(q, policies)
    zones = _zones(session, policies, q, now)
    if q.about == TICKETS:
        if q.oldest:
            return _oldest(session, policies, q, scope, now, zones)
        return _tickets(session, policies, q, scope, zones)
    if q.about == LATE_SHIPMENTS:
        return _late_shipments(session, q, scope, now, zones)
    if q.about in (BREACHED, AT_RISK):
        return _clocks(session, policies, q, scope, now, zones)
    if q.overdue and not q.rank and q.about == ACCOUNTS:
        return _owed(session, policies, q, scope, zones, now)
    base = _filtered(select(Customer), q, zones)
    if q.at_risk:  # the renewal-at-risk alert rules' own SQL: the list and the alerts cannot disagree
        ctx = EvalContext(now, policies)
        rules = [compile_rule(r, ctx) for r in policies.alerts.rules if isinstance(r, RenewalAtRiskRule)]
        base = base.where(Customer.id.in_(union(*rules))) if rules else base.where(false())
    if q.checkins:  # the cadence each tier promises, counted as bot.ask.cadence counts one customer's
        base = base.where(_due_a_checkin(policies, now.date()))
    if q.about == RENEWALS:
        assert q.start is not None and q.end is not None
        base = base.where(Customer.renewal_date >= q.start, Customer.renewal_date <= q.end)
        if q.with_open:  # and an open ticket (of the priority named)
            opened = select(Ticket.id).where(Ticket.customer_id == Customer.id, Ticket.status.in_(OPEN_STATUSES))
            base = base.where((opened.where(Ticket.priority == q.priority) if q.priority else opened).exists())
        order: tuple[Any, ...] = (Customer.renewal_date, Customer.name)
    else:
        order = (Customer.name, Customer.id)
    if q.rank:  # the ranking's value first (a customer without one is not ranked), then as the list orders them
        value = getattr(Customer, q.rank)
        base = base.where(value.is_not(None))
        order = (value.asc() if q.lowest else value.desc(), *order)
    if q.group:
        return _grouped(session, policies, q, base, scope)
    total, summary = session.scalar(select(func.count()).select_from(base.subquery())) or 0, ""
    if q.total and q.rank:
        summary = _summed(session, base, q.rank)
    # gone quiet: each line's last contact, read in the same query; the quietest first unless ranked by a value
    last = _last_contact(session) if q.quiet_since is not None else None
    if last is not None and not q.rank:
        order = (last, *order)
    shown = base if last is None else base.add_columns(last)
    found = session.execute(shown.order_by(*order).limit(q.top or SHOWN)).all()
    rows = [r[0] for r in found]
    lasts = {r[0].id: r[1] for r in found} if last is not None else None
    who = _customers(total, scope)
    ranked = _ranked(q, total)

    def by(c: Customer) -> str:
        return _owner(policies, c.owner_slack_id, q)

    if q.about == RENEWALS:
        head = f"{who} renew{'s' if total <= 1 else ''} {q.window}"
        if q.start is not None and q.end is not None:
            head += f" ({day(q.start)})" if q.start == q.end else f" ({day(q.start)} to {day(q.end)})"
        head += ranked
        lines = [
            f"{mrkdwn.bold(c.name)} ({_esc(c.tier)}){_value(c, q)}{', renews' if q.rank else ''} on "
            f"{day(c.renewal_date)}{by(c)}"
            for c in rows
        ]
    else:
        head = who + ranked
        lines = [
            f"{mrkdwn.bold(c.name)} ({_esc(c.tier)}, {_esc(c.region)}){_value(c, q)}, "
            f"{_renews(c) if lasts is None else _contacted(lasts[c.id])}{by(c)}"
            for c in rows
        ]
    listed = _said(head, lines, total, [c.id for c in rows])
    return Listed(f"{summary}\n{listed.text}", listed.customers, listed.head) if summary and total else listed


def _summed(session: Session, base: Select, field: str) -> str:  # type: ignore[type-arg]
    """What ``field`` adds up to over the list's customers, as the answer's first line says it: "Total ARR:
    $1,250,000 ($138,889 on average)."; a health score only averages ("Average health score: 61/100.")."""
    listed = base.subquery()
    column = listed.c[field]
    added, mean = session.execute(select(func.sum(column), func.avg(column))).one()
    if added is None:
        return ""
    if field == "health_score":
        return f"Average {LABELS[field]}: {round(float(mean))}/100."
    return f"Total {LABELS[field]}: {money(added)} ({money(round(float(mean)))} on average)."


def _ranked(q: BookQuery, total: int) -> str:
    """How the head says a ranking: ", by ARR, highest first"; with a number asked, ", the 5 highest by ARR"."""
    if not q.rank:
        return ""
    way, label = "lowest" if q.lowest else "highest", LABELS[q.rank]
    if q.top and q.top < total:
        return f", the {way} by {label}" if q.top == 1 else f", the {q.top} {way} by {label}"
    return f", by {label}, {way} first"


def _value(c: Customer, q: BookQuery) -> str:
    """The value a ranked list is ranked by, as the line states it: ": ARR $250,000", ": health score 41/100"."""
    if not q.rank:
        return ""
    value = getattr(c, q.rank)
    return f": {LABELS[q.rank]} {f'{value}/100' if q.rank == 'health_score' else money(value)}"


def _tickets(session: Session, policies: Policies, q: BookQuery, scope: str, zones: Zones) -> Listed:
    opened = select(Ticket.customer_id, func.count().label("n")).where(Ticket.status.in_(OPEN_STATUSES))
    if q.priority:
        opened = opened.where(Ticket.priority == q.priority)
    per = opened.group_by(Ticket.customer_id).subquery()
    base = _filtered(select(Customer, per.c.n).join(per, per.c.customer_id == Customer.id), q, zones)
    counted = base.subquery()
    totals = session.execute(select(func.count(), func.coalesce(func.sum(counted.c.n), 0)).select_from(counted)).one()
    customers, tickets = int(totals[0]), int(totals[1])
    kind = f"open {q.priority} ticket" if q.priority else "open ticket"
    if q.group:  # "open tickets by tier": the tickets counted by their customers' field
        return _grouped(session, policies, q, base, scope, tickets=kind)
    rows = session.execute(base.order_by(per.c.n.desc(), Customer.name).limit(SHOWN)).all()
    if customers == 0:
        head = f"{_customers(0, scope)} has an {kind}"
    else:
        head = f"{_customers(customers, scope)} {'has' if customers == 1 else 'have'} {_n(tickets, kind)}"
    lines = [
        f"{mrkdwn.bold(c.name)} ({_esc(c.tier)}): {_n(n, kind)}{_owner(policies, c.owner_slack_id, q)}" for c, n in rows
    ]
    return _said(head, lines, customers, [c.id for c, _ in rows])


def _oldest(session: Session, policies: Policies, q: BookQuery, scope: str, now: dt.datetime, zones: Zones) -> Listed:
    """Open tickets oldest first, one line each with the day it was opened and the clock its customer's card runs:
    what has waited longest (was: the playbooks' clock rules, declined)."""
    stmt = _filtered(
        select(Ticket, Customer).join(Customer, Customer.id == Ticket.customer_id),
        q,
        zones,
    ).where(Ticket.status.in_(OPEN_STATUSES))
    if q.priority:
        stmt = stmt.where(Ticket.priority == q.priority)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    known = set(policies.tier_names) if policies.configured else set()  # a tier no policy knows runs no clock
    lines, customers = [], []
    for t, c in session.execute(stmt.order_by(Ticket.opened_at, Ticket.id).limit(SHOWN)).all():
        clock = (
            sla_clock(policies, c.tier, c.timezone, t.id, t.priority, t.opened_at, t.first_response_at, now)
            if c.tier in known
            else None
        )
        line = ticket_line(TicketLine(t.id, t.subject, t.priority, t.status, t.opened_at, clock))
        lines.append(
            f"{mrkdwn.bold(c.name)} ({_esc(c.tier)}{_owner(policies, c.owner_slack_id, q)}): {line}, "
            f"opened {day(t.opened_at)}"
        )
        customers.append(c.id)
    kind = f"open {q.priority} ticket" if q.priority else "open ticket"
    head = f"*{_n(total, kind)}{scope}*, the oldest first" if total else f"*No {kind}{scope}*"
    return _said(head, lines, total, customers)


def _owed(session: Session, policies: Policies, q: BookQuery, scope: str, zones: Zones, now: dt.datetime) -> Listed:
    """Customers with overdue invoices, who owes most first, each with what their overdue invoices add up to and
    when the oldest was due (as the card's payment status says it), and what the list owes in all. Amounts are
    added as the export wrote them: the head says so when they are in more than one currency."""
    added, due = func.sum(Order.amount), func.coalesce(Order.due_at, Order.ordered_at)
    per = select(
        Order.customer_id,
        added.label("owed"),
        func.min(due).label("due"),
        func.min(Order.currency).label("lo"),
        func.max(Order.currency).label("hi"),
    ).where(Order.status == "overdue")
    if q.late_days:  # "30 days overdue": only the invoices at least that late count, and are added up
        per = per.where(due <= now - dt.timedelta(days=q.late_days))
    if b := q.owed:
        if b.below:
            per = per.having(added <= b.value if b.inclusive else added < b.value)
        else:
            per = per.having(added >= b.value if b.inclusive else added > b.value)
    owing = per.group_by(Order.customer_id).subquery()
    # the join is the overdue filter: not the list's IN over the orders a second time
    joined = select(Customer, owing.c.owed, owing.c.due).join(owing, owing.c.customer_id == Customer.id)
    base = _filtered(joined, replace(q, overdue=False), zones)
    listed = base.add_columns(owing.c.lo, owing.c.hi).subquery()
    customers, owed, lo, hi = session.execute(
        select(func.count(), func.coalesce(func.sum(listed.c.owed), 0), func.min(listed.c.lo), func.max(listed.c.hi))
    ).one()
    if not customers:
        return _said(_customers(0, scope), [], 0, [])
    mixed = f" (amounts in {_esc(lo)} to {_esc(hi)}, added as written)" if lo != hi else ""
    head = f"{_customers(customers, scope)} {'owes' if customers == 1 else 'owe'} {money(owed)} in all{mixed}"
    rows = session.execute(base.order_by(owing.c.owed.desc(), Customer.name).limit(q.top or SHOWN)).all()
    lines = [
        f"{mrkdwn.bold(c.name)} ({_esc(c.tier)}, {_esc(c.region)}): {money(o)} overdue, the oldest due {day(due)}"
        f"{_owner(policies, c.owner_slack_id, q)}"
        for c, o, due in rows
    ]
    return _said(head, lines, customers, [c.id for c, _, _ in rows])


def _late_shipments(session: Session, q: BookQuery, scope: str, now: dt.datetime, zones: Zones) -> Listed:
    """Shipments not delivered by their promised date, the latest first (as the shipment-delay alert reads them)."""
    late = _filtered(
        select(Shipment, Customer)
        .join(Customer, Customer.id == Shipment.customer_id)
        .where(Shipment.status.in_(OPEN), Shipment.promised_at < now),
        q,
        zones,
    )
    total = session.scalar(select(func.count()).select_from(late.subquery())) or 0
    rows = session.execute(late.order_by(Shipment.promised_at, Shipment.id).limit(SHOWN)).all()
    head = f"*{total:,} late shipment{'' if total == 1 else 's'}{scope}*" if total else f"*No late shipment{scope}*"
    lines = [f"{mrkdwn.bold(c.name)} ({_esc(c.tier)}): {shipment_line(r, now)}" for r, c in rows]
    return _said(head, lines, total, [c.id for _, c in rows])


def _clocks(session: Session, policies: Policies, q: BookQuery, scope: str, now: dt.datetime, zones: Zones) -> Listed:
    """Open tickets past their SLA target (or within its last quarter: about to breach), P1 first, the furthest
    past first, each on the clock its customer's card runs."""
    if not policies.configured:
        return Listed(
            "SLA targets are not configured: this handbook has no policies/ folder, so no ticket runs a clock.", ()
        )
    columns = (
        Ticket.id,
        Ticket.subject,
        Ticket.priority,
        Ticket.status,
        Ticket.opened_at,
        Ticket.first_response_at,
        Customer.id.label("customer_id"),
        Customer.name,
        Customer.tier,
        Customer.timezone,
        Customer.owner_slack_id,
    )
    # columns, not entities: thousands of open tickets at 100k customers, each read once for its clock
    opened = Ticket.status.in_(OPEN_STATUSES)
    stmt = _filtered(select(*columns).join(Customer, Customer.id == Ticket.customer_id).where(opened), q, zones)
    if q.priority:
        stmt = stmt.where(Ticket.priority == q.priority)
    # only a ticket open longer than its tier's and priority's shortest target (75% of it, for about to breach)
    # can be past it (business hours only ever count less than the wall clock): the clocks below are worked out
    # for those alone
    share = 1.0 if q.about == BREACHED else 0.75
    cutoffs = []
    for tier in policies.tier_names:
        for prio in ("P1", "P2", "P3", "P4"):
            target = policies.sla_target(tier, prio)
            soonest = min(target.first_response, target.resolution) * share
            cutoffs.append(and_(Customer.tier == tier, Ticket.priority == prio, Ticket.opened_at < now - soonest))
    stmt = stmt.where(or_(*cutoffs))
    known = set(policies.tier_names)  # a tier no policy knows runs no clock
    found: list[tuple[int, str, str, str | None, TicketLine]] = []
    for r in session.execute(stmt).all():
        if r.tier not in known:
            continue
        clock = sla_clock(policies, r.tier, r.timezone, r.id, r.priority, r.opened_at, r.first_response_at, now)
        if clock.state == q.about:
            found.append(
                (
                    r.customer_id,
                    r.name,
                    r.tier,
                    r.owner_slack_id,
                    TicketLine(r.id, r.subject, r.priority, r.status, r.opened_at, clock),
                )
            )
    found.sort(key=lambda f: (f[4].priority, f[4].clock.remaining if f[4].clock else dt.timedelta(0), f[4].id))
    what = "past their SLA target" if q.about == BREACHED else "within the last quarter of their SLA target"
    n = len(found)
    head = f"*{n:,} open ticket{'' if n == 1 else 's'}{scope}* {what}" if n else f"*No open ticket{scope}* {what}"
    lines = [
        f"{mrkdwn.bold(name)} ({_esc(tier)}{_owner(policies, owner, q)}): {ticket_line(t)}"
        for _, name, tier, owner, t in found[:SHOWN]
    ]
    return _said(head, lines, n, [f[0] for f in found[:SHOWN]])


def _grouped(
    session: Session, policies: Policies, q: BookQuery, base: Select[Any], scope: str, tickets: str = ""
) -> Listed:
    """How many of the customers ``base`` selects have each value of ``q.group`` (``tickets``: how many of their
    tickets of that kind, ``base`` counting each customer's in ``n``): tiers in the policy's order, regions,
    segments and owners most first (owners named, the first SHOWN of them). "*2,000 customers* by tier: *platinum*
    40 · *gold* 89 · ..."."""
    listed = base.subquery()
    column = listed.c["owner_slack_id" if q.group == OWNER else q.group]
    counted = func.sum(listed.c.n) if tickets else func.count()
    # a total asked per group ("total ARR by region"): each group's sum (a health score's mean) beside its count
    value = listed.c[q.rank] if q.total and q.rank and not tickets else None
    measure = (func.avg(value) if q.rank == "health_score" else func.sum(value)) if value is not None else literal(0)
    found = session.execute(select(column, counted, measure).group_by(column)).all()
    counts = {v: int(n) for v, n, _ in found}
    sums = {v: m for v, _, m in found}
    total = sum(counts.values())
    order = {t: i for i, t in enumerate(policies.tier_names)} if q.group == "tier" else {}
    most = 1 if q.lowest else -1  # most first, unless the fewest were asked
    by_value = value is not None and q.group != "tier"  # regions, segments, owners: the largest total first
    values = sorted(
        counts,
        key=lambda v: (
            order.get(str(v), len(order)),
            most * float(sums[v] or 0) if by_value else most * counts[v],
            str(v),
        ),
    )

    def label(v: Any) -> str:
        if not v:
            return mrkdwn.bold("no owner" if q.group == OWNER else "none on record")
        return person(policies, v) if q.group == OWNER else mrkdwn.bold(str(v))

    def said(v: Any) -> str:
        if value is None:
            return f"{counts[v]:,}"
        n = f"{counts[v]:,} customer{'' if counts[v] == 1 else 's'}"
        if q.rank == "health_score":
            return f"{round(float(sums[v]))}/100 ({n})"
        return f"{money(sums[v])} ({n})"

    shown = values[:SHOWN] if q.group == OWNER else values
    parts = " · ".join(f"{label(v)} {said(v)}" for v in shown)
    if len(shown) < len(values):
        parts += f" · {len(values) - len(shown)} more owners"
    if tickets:
        head = f"*{_n(total, tickets)}{scope}*" if total else f"*No {tickets}{scope}*"
    else:
        head = _customers(total, scope) + (f" renew {q.window}," if q.about == RENEWALS else "")
    if not total:
        return Listed(f"{head.rstrip(',')}.", (), head)
    if value is None:
        return Listed(f"{head} by {q.group}: {parts}.", (), head)
    what = f"average {LABELS[q.rank]}" if q.rank == "health_score" else f"total {LABELS[q.rank]}"
    return Listed(f"{_summed(session, base, q.rank)}\n{head} by {q.group}, {what}: {parts}.", (), head)


def _customers(n: int, scope: str) -> str:
    """The head's subject: "*3 customers (gold)*", "*No customer (gold)*"."""
    return f"*No customer{scope}*" if n == 0 else f"*{n:,} customer{'' if n == 1 else 's'}{scope}*"


Zones = tuple[str, ...] | None  # the time zones a list keeps (those within or outside contact hours now); None: all


def _zones(session: Session, policies: Policies, q: BookQuery, now: dt.datetime) -> Zones:
    """The customers' time zones where it is now within contact hours (``q.reachable``) or outside them: read once
    per zone, not per customer (a book of 100k customers has a few dozen zones). A zone that cannot be read, or no
    contact hours configured, is in neither."""
    if q.reachable is None:
        return None
    found = session.scalars(select(Customer.timezone).where(Customer.merged_into_id.is_(None)).distinct()).all()
    return tuple(z for z in found if z and within_contact_hours(policies, now, z) is q.reachable)


def _filtered(stmt: Select, q: BookQuery, zones: Zones = None) -> Select:  # type: ignore[type-arg]
    stmt = stmt.where(Customer.merged_into_id.is_(None))
    if zones is not None:
        stmt = stmt.where(Customer.timezone.in_(zones))
    if q.among:
        stmt = stmt.where(Customer.id.in_(q.among))
    if q.tiers:
        stmt = stmt.where(Customer.tier.in_(q.tiers))
    if q.regions:
        stmt = stmt.where(Customer.region.in_(q.regions))
    if q.owner == UNOWNED:
        stmt = stmt.where(Customer.owner_slack_id.is_(None))
    elif q.owner:
        stmt = stmt.where(Customer.owner_slack_id == q.owner)
    if q.consent:
        field, given = q.consent
        column = getattr(Customer, field)
        stmt = stmt.where(column.is_(True) if given else or_(column.is_(False), column.is_(None)))
    if q.held:
        stmt = stmt.where(select(LegalHold.customer_id).where(LegalHold.customer_id == Customer.id).exists())
    if q.segment:
        stmt = stmt.where(func.lower(Customer.segment) == q.segment)
    if q.overdue:  # one pass over the overdue orders, not a probe per customer (4x faster at 100k on SQLite)
        stmt = stmt.where(Customer.id.in_(select(Order.customer_id).where(Order.status == "overdue")))
    if q.no_tickets is not None:  # none open now, or none opened since a day (or ever)
        theirs = select(Ticket.id).where(Ticket.customer_id == Customer.id)
        if q.no_tickets.open_now:
            theirs = theirs.where(Ticket.status.in_(OPEN_STATUSES))
        elif q.no_tickets.since is not None:
            since = dt.datetime.combine(q.no_tickets.since, dt.time(), tzinfo=dt.UTC)
            theirs = theirs.where(Ticket.opened_at >= since)
        stmt = stmt.where(~theirs.exists())
    if q.quiet_since is not None:  # no contact since: what the card's last contact is made of, none of it since
        since = dt.datetime.combine(q.quiet_since, dt.time(), tzinfo=dt.UTC)
        for table, at in CONTACT_EVENTS:
            stmt = stmt.where(~select(table.id).where(table.customer_id == Customer.id, at >= since).exists())
    if q.bound:
        column, b = getattr(Customer, q.bound.field), q.bound
        if b.below:
            stmt = stmt.where(column <= b.value if b.inclusive else column < b.value)
        else:
            stmt = stmt.where(column >= b.value if b.inclusive else column > b.value)
    return stmt


def _scope(q: BookQuery, policies: Policies) -> str:
    """The filters as the answer's head says them: " (gold, emea, yours)"."""
    parts = [*q.tiers, *q.regions]
    if q.with_open:
        parts.append(f"with open {q.priority + ' ' if q.priority else ''}tickets")
    if q.owner == UNOWNED:
        parts.append("without an owner")
    elif q.owner:
        parts.append(f"owned by {person(policies, q.owner)}")
    if q.consent:
        field, given = q.consent
        said = next(label for f, _, label in _CONSENTS if f == field)
        parts.append(f"{'with' if given else 'without'} {said} consent")
    if q.segment:
        parts.append(f"{_esc(q.segment)} segment")
    if q.held:
        parts.append("under a legal hold")
    if q.reachable is not None:
        parts.append("within contact hours now" if q.reachable else "in quiet hours now")
    if q.overdue:
        late = f"invoices {q.late_days}+ days overdue" if q.late_days else "overdue invoices"
        parts.append(f"with {late}" + (f", owing {q.owed.word} {money(q.owed.value)}" if q.owed else ""))
    if q.at_risk:
        parts.append("renewal at risk")
    if q.quiet_since is not None:
        parts.append(f"no contact since {day(q.quiet_since)}")
    if (none := q.no_tickets) is not None:
        since = f"opened since {day(none.since)}" if none.since else "on record"
        parts.append("no open ticket" if none.open_now else f"no ticket {since}")
    if q.checkins:
        parts.append("due a check-in by their tier's cadence")
    if q.bound:  # "health score below 40", "ARR over $100,000"
        b = q.bound
        parts.append(f"{LABELS[b.field]} {b.word} {f'{b.value:,.0f}' if b.field == 'health_score' else money(b.value)}")
    if q.among:
        parts.append(f"of the {len(q.among)} above")
    return f" ({', '.join(parts)})" if parts else ""


def _owner(policies: Policies, owner: str | None, q: BookQuery) -> str:
    if q.owner:
        return ""  # one owner's accounts: the head says whose
    return f", owner {person(policies, owner)}" if owner else ", no owner"


_NEVER = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)  # a last contact before any: for a customer never contacted


def _due_a_checkin(policies: Policies, today: dt.date) -> ColumnElement[bool]:
    """Customers of a tier that promises a check-in every N days with none on record (a call, meeting or email
    note) in the last N days; a tier that promises none is never due."""
    due = []
    for name in policies.tier_names:
        every = policies.tier(name).promises.proactive_checkin_every_days
        if every is None:
            continue
        since = dt.datetime.combine(today - dt.timedelta(days=every), dt.time(), tzinfo=dt.UTC)
        touched = select(Note.id).where(
            Note.customer_id == Customer.id, Note.kind.in_(TOUCH_KINDS), Note.created_at >= since
        )
        due.append(and_(Customer.tier == name, ~touched.exists()))
    return or_(*due) if due else false()


def _last_contact(session: Session) -> Any:
    """A listed customer's last contact, as the card's is made of (:data:`CONTACT_EVENTS`), to order by and to state:
    the latest of one indexed probe per kind of event (never contacted: :data:`_NEVER`). GREATEST on PostgreSQL, the
    many-argument MAX on SQLite; each probe is COALESCEd first, since the two treat a NULL argument differently."""
    latest = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    probes = (
        func.coalesce(
            select(func.max(at)).where(table.customer_id == Customer.id).scalar_subquery(), literal(_NEVER, at.type)
        )
        for table, at in CONTACT_EVENTS
    )
    return latest(*probes, type_=CONTACT_EVENTS[0][1].type)  # read back as the columns are: aware, in UTC


def _contacted(at: dt.datetime) -> str:
    return f"last contact {day(at)}" if at != _NEVER else "no contact on record"


def _renews(c: Customer) -> str:
    return f"renews {day(c.renewal_date)}" if c.renewal_date else "no renewal date"


def _esc(value: str | None) -> str:
    return mrkdwn.escape(value or "")  # a tier or region as the source wrote it: inert


def _n(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


ASK_ABOUT_ONE = "Ask about one by name, or in this thread by its place (`the second one`), for its record."


def _said(head: str, lines: list[str], total: int, customers: list[int]) -> Listed:
    if not lines:
        return Listed(f"{head}.", (), head)
    more = f"\n…and {total - len(lines)} more." if total > len(lines) else ""
    shown = "\n".join(f"• {line}" for line in lines)
    return Listed(f"{head}:\n{shown}{more}\n{ASK_ABOUT_ONE}", tuple(customers), head)
