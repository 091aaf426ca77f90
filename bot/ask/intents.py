"""What a question asks: a record field, a policy computation, the whole card, or the playbooks (how-to).

The intents, their patterns and their example phrasings are data (``data/intents.yaml``), not code. A question is
read clause by clause ("who owns X and what's their ARR?" asks two things); each clause is compared by meaning
with every intent's examples (the playbook index's embedding model, all-MiniLM-L6-v2, offline), and a pattern
of an intent found in the clause adds :data:`PATTERN_BOOST` to that intent's score. A clause whose best score is
under its floor (:data:`MIN_SCORE` for a policy, :data:`MIN_FIELD_SCORE` for a record field), or not clear of the
how-to score by :data:`MARGIN`, asks nothing of the record: the playbooks answer it. Record fields and the card are
only read where a customer is in view (named, or pointed at: "when do they renew?"), so "how is a customer placed
into a tier?" stays a how-to. The customer's own name is replaced by the file's stand-in before comparing, so a
name never sways the reading.

The constants are round values checked on ``data/intents_heldout.jsonl`` (paraphrases never used as examples,
plus the playbook benchmarks' questions), measured by ``benchmarks/ask_intents.py``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.ask.breakdown import asks_the_book as asks_breakdown
from bot.ask.quiet import asks_checkins
from bot.ask.quiet import asks_the_book as asks_who_is_quiet
from bot.ask.ranking import ranks_the_book
from bot.ask.reachable import asks_the_book as asks_contact_hours
from bot.ask.thresholds import OWED_TOTAL, negative_bound, owes, renewals_at_risk, threshold
from bot.ask.totals import total_asked
from bot.customers.normalize import LEGAL_SUFFIXES
from bot.policies.yamldoc import YamlDoc

if TYPE_CHECKING:
    from retrieval.embedder import Embedder

FIELD, POLICY, CARD, HOWTO = "field", "policy", "card", "howto"
OUTCOMES = "outcomes"  # the compute of how renewals went across the book (bot.ask.outcomes)
SERVICE_LEVELS = "service_levels"  # ... of how support kept its SLA across the book (bot.ask.service_levels)
SURVEYS = "surveys"  # ... of what customers said in surveys across the book (bot.ask.surveys)
ERASURES = "erasures"  # ... of the erasures done (bot.ask.erasures)
CAPS = "caps"  # ... of the owners over a tier's cap on accounts (bot.ask.caps)
KINDS = (FIELD, POLICY, CARD, HOWTO)
TOP_K = 3  # an intent's score: the mean of its 3 closest examples (one odd example does not decide)
PATTERN_BOOST = 0.12
MIN_SCORE = 0.55  # a policy computation, which may be asked with no customer in view
MIN_FIELD_SCORE = 0.45  # a record field or the card: only read where a customer is in view
MARGIN = 0.03
# "P3", "sev 2", "severity-1", and the plural of a question about them ("what do we do with P3s?")
PRIORITY = re.compile(r"\b(?:p|sev(?:erity)?\s*-?\s*)([1-4])s?\b", re.I)
# A question about a particular customer that does not name it: "when do they renew", "this account's owner".
_REFERS = re.compile(
    r"\b(they|them|their|theirs|they're|they've|this (customer|account|client|company)|that (customer|account|"
    r"client|company)|the (customer|account|client)(?:'s)? (owner|renewal|arr|tier|tickets?|contact|health|region))\b",
    re.I,
)
# A Slack user mention (<@U0CSLEAD>) is read as a person's name, as people say it ("can Sam see ARR?")
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
PERSON_STAND_IN = "Sam"
_ANY_CUSTOMER = re.compile(r"\b(a|an|any|every|each|some) (customer|client|account|company)s?\b", re.I)
# A question asking whether we may do something ("can I share our roadmap with Acme?"): never a request for the
# customer's card, whatever its meaning leans to.
_PERMISSION = re.compile(
    r"^\W*(can|could|may|should|shall|must) (i|we)\b|^\W*is it (ok|okay|alright|all right|fine|allowed)\b", re.I
)
# The customer asking us for something ("Acme wants us to sign their NDA", "can Acme get a trial extension?",
# "Acme would like to add 50 seats"): what we may do about it, never a record field the words are only near by
# meaning (their owner, their renewal date, their open tickets). ``{c}`` stands for the customer's name.
_CUSTOMER_ASKS = (
    r"^\W*(?:{c}|they|the customer|the client)\b[\w' ]{{0,20}}?\b(?:wants?|wanted|asks?|asked|is asking|are asking"
    r"|requests?|requested|would like|'d like|needs?)\b(?! to know\b)"
    r"|^\W*(?:can|could|may) (?:{c}|they|the customer|the client) (?:get|have|receive)\b"
)
# Whether we may pass something of the customer's on: "can I share X's contact details with a partner?".
_SHARING = re.compile(
    # (not "send": "can I send X the newsletter?" asks their marketing consent)
    r"^\W*(can|could|may|should|shall) (i|we|someone|anyone) (\w+ )?(share|give out|disclose|forward|pass on|hand over"
    r"|publish)\b",
    re.I,
)
# A request for what to do ("X is threatening to churn, what should I do?", "..., what priority?"): the record fact
# it mentions is the situation, not what is asked; the playbooks answer, for that customer.
_ACTING = re.compile(
    r"\b(what (should|must|do|can) (i|we) (need to |have to )?do|how (do|should|can) (i|we) (handle|deal with|respond|"
    r"react|approach|proceed|manage)|what now|what next|next steps?|what happens (to|with) (their|his|her|its|the)|"
    r"what (can|could|should) (i|we) offer|"  # "X is unhappy with the release, what can I offer them?"
    # "X's invoice is 45 days overdue, what's the process?", "X renews next month, what should I send them?"
    r"what(?:'s| is) the (process|procedure|protocol|playbook)|what (do|should) (i|we) send|what goes in(to)?)\b"
    # the priority to give the situation just told ("Customer says their invoices are wrong, what priority?")
    r"|[,;.?]\s*(what|which) (priority|severity)( is (that|this|it)| should (that|this|it) (be|get))?\s*\??\s*$",
    re.I,
)
# A question about many customers at once: "which customers renew next month?", "list accounts with overdue
# payments", "how many gold customers do we have?" (not "how many accounts can an owner carry?": a limit).
_MANY = re.compile(
    r"\b(which|what|list|show me|all)\b(?:\s+[\w'-]+){0,3}?\s+(customers|accounts|clients)\b"
    r"(?!\s+(can|may|should|must|could)\b)|\bmy (accounts|customers|clients|book)\b|\bevery (customer|account|client)\b"
    # one customer picked out of the book ("our biggest customer"): the book has to be ranked to find it
    r"|\b(our|the) (biggest|largest|smallest|top|newest|oldest|best|worst|highest|lowest|most \w+)"
    r"(?:\s+[\w'-]+){0,2}?\s+(customers?|accounts?|clients?)\b"
    # a sum over many ("the total ARR of our platinum customers")
    r"|\b(total|sum|combined|average|overall)\b.{0,30}\b(customers|accounts|clients|book)\b",
    re.I,
)
# A list of customers asked for outright, whatever field it names ("list my accounts", "show me our platinum
# customers", "what are my accounts?").
_LISTED = re.compile(
    r"^\W*(?:(?:please |can you |could you )?(?:list|show(?: me)?|give me)|(?:what|which) are)\s+(?:all\s+(?:of\s+)?)?"
    r"(?:my|our|the)\s+(?:[\w'-]+\s+){0,2}?(?:customers|accounts|clients|book)\b"
    # the list named alone: "my accounts please", "our gold customers"
    r"|^\W*(?:my|our|all (?:my|our)) (?:[\w'-]+ )?(?:customers|accounts|clients)(?: please)?\W*$",
    re.I,
)
_COUNTED = re.compile(
    r"\bhow many\b(?:\s+[\w'-]+){0,3}?\s+(customers|accounts|clients) ((do|does|did) \w+ have|are there|in total"
    r"|are (in|on|from|with|under|owned|based|at))\b",
    re.I,
)
# The book asked about without naming customers: "who renews before March?", "how many open P1s do we have?",
# "upcoming renewals", "renewals next quarter", "which shipments are late?", "is anyone breaching right now?".
_BOOK = re.compile(
    r"^\W*who(?:'s| is| are)?\s+(?:renew\w*|up for renewal|breach\w*)\b|\bhow many\s+(?:open\s+)?(?:p[1-4]s?|tickets|"
    r"renewals)\b|\bhow many\b(?:\s+[\w'-]+){0,3}?\s+(?:customers|accounts|clients)\s+(?:renew\w*|have|with|are "
    r"(?:renewing|breaching|up for))\b"
    r"|\b(?:upcoming|coming)\s+renewals\b|\brenewals\s+(?:are\s+)?(?:due\s+)?(?:this|next|in|before|by|coming)\b"
    # the book's open tickets typed as a search ("open P1s for platinum customers", "open tickets by tier")
    r"|^\W*(?:(?:all|our|the|current)\s+)?open\s+(?:p[1-4]s?|tickets|cases|incidents)\b"
    # a count of the book's open tickets said as one ("the total number of open tickets")
    r"|\b(?:total|number|count)\b(?:\s+of)?(?:\s+(?:all|our|the))?\s+open\s+(?:p[1-4]s?|tickets|cases|incidents)\b"
    r"|^\W*(?:which|what|any|list|show(?: me)?)\b(?:\s+[\w'-]+){0,3}?\s+(?:shipments|deliveries|orders)\b"
    r"|\b(?:anyone|anybody|any (?:\w+ )?(?:customers?|tickets?|accounts?)|which (?:of (?:my|our|the) )?(?:[\w'-]+ )?"
    r"(?:customers|tickets|accounts)|what (?:[\w'-]+ )?tickets)\b"
    r".{0,30}\bbreach|^\W*any (?:sla )?breach|^\W*what(?:'s| is| are)(?: \w+)? breach(?:ing|ed)\b"
    # the breached tickets listed ("show me breached tickets", "list tickets that missed their SLA")
    r"|^\W*(?:list|show(?: me)?|give me|which|what)\b(?:\s+(?:the|all|our|open))*\s+(?:breached|breaching)\s+"
    r"(?:tickets|cases|p[1-4]s)\b|\b(?:tickets|cases|p[1-4]s)\s+(?:that|which)\s+(?:have\s+)?(?:missed|breached|blew)\s+"
    r"(?:their\s+|the\s+)?(?:slas?|sla targets?|targets?)\b"
    # whose accounts ("how many customers does Priya own?", "what are Marcus's accounts?"), and nobody's
    r"|\b(?:customers|accounts|clients)\s+(?:does|do)\s+\w+(?:\s+\w+)?\s+(?:own|have|manage|look after)\b"
    r"|\b(?:what|which) are [\w ]{1,30}'s (?:accounts|customers|clients)\b"
    # a colleague's book asked for outright ("show me Sofia's accounts", "Priya's customers")
    r"|^\W*(?:(?:please |can you |could you )?(?:list|show(?: me)?|give me)\s+)?[\w-]+(?: [\w-]+)?'s "
    r"(?:accounts(?! payable| receivable)|customers|clients|book)\b"
    # what renews, asked of the book ("what renews for Sofia next month?")
    r"|^\W*what(?:'s| is)? (?:renew\w*|up for renewal)\b"
    r"|\b(?:customers|accounts|clients)\b.{0,20}\b(?:without|with no|missing)(?: an?)? (?:owners?|account managers?)\b"
    r"|\bunowned\b"
    # a consent counted ("how many customers opted out of marketing?", was: the consent procedure)
    r"|\bhow many\b(?:\s+[\w'-]+){0,3}?\s+(?:customers|accounts|clients)\s+(?:have\s+|has\s+)?(?:opted|"
    r"unsubscribed|consented|gave|given|withdrew|withdrawn)\b"
    # the open tickets by age ("what's the oldest open ticket?", "which tickets have been open longest?")
    r"|\b(?:oldest|longest[- ](?:open|running|waiting))\s+(?:open\s+)?(?:p[1-4]s?|tickets?|cases?|incidents?)\b"
    r"|\b(?:tickets?|cases?|p[1-4]s?)\b.{0,30}\bopen (?:the )?longest\b"
    # which customers, and what of them a list says: "which customers have P2s open?", "what renewals does ... have"
    r"|^\W*(?:which|what|any|list|show(?: me)?)\b(?:\s+[\w'-]+){0,3}?\s+(?:customers|accounts|clients|(?:every|each"
    r"|any) (?:customer|account|client))\b.{0,30}\b(?:p[1-4]s?|tickets?|renew\w*|shipments?|deliver\w*)\b"
    r"|^\W*(?:who|what|which) are (?:our|my|the|all)\b(?:\s+[\w'-]+){0,2}?\s+(?:customers|accounts|clients)\b"
    r"|\bpast (?:their|the|its) (?:sla|targets?)\b|\b(?:nobody|no one) (?:assigned|owns|owning)\b"
    r"|^\W*(?:what|which|any|list|show(?: me)?)\s+(?:[\w'-]+\s+){0,2}renewals\b"
    r"|\b(?:over|above|under|at) (?:their|the|my|his|her) (?:account )?caps?\b"
    # past work ("which customers churned last month?") and who carries most: not lists Ask gives, said so
    r"|^\W*(?:which|what|how many|list)\b(?:\s+[\w'-]+){0,3}?\s+(?:customers|accounts|clients)\s+(?:have\s+)?"
    r"(?:churned|cancell?ed|left|renewed|downgraded|upgraded)\b"
    r"|\bwho (?:has|owns|carries|manages) the (?:most|fewest|least) (?:accounts|customers|clients)\b"
    # which are at risk: a list by risk or health, which Ask does not give (the alerts do), said so
    r"|^\W*(?:which|what|any)\b(?:\s+[\w'-]+){0,3}?\s+(?:customers|accounts|clients)\b.{0,20}"
    r"\b(?:at[- ]risk|risky|in trouble|unhappy|churning|likely to churn|unhealthy)\b",
    re.I,
)
_QUALIFIES = re.compile(r"\b(qualif\w*|eligib\w*|entitled)\b", re.I)
# Clause breaks: "?", ";", a comma (not the thousands separator of "$2,000") and "and" before a new question.
_CLAUSE = re.compile(
    r"\s*(?:[?;]|,(?!\d)\s*(?:and\s+)?|\s+and\s+(?=(?:what|who|when|how|is|are|does|do|has|any|can)\b))\s*", re.I
)


@dataclass(frozen=True)
class Intent:
    name: str
    kind: str
    fields: tuple[str, ...] = ()
    request_type: str | None = None  # policy: an approvals.yaml request type
    compute: str | None = None  # policy: escalation | sla | promises | alerts | access | duty | renewal_risk
    consent: str | None = None  # field: which consent (outreach | marketing)
    patterns: tuple[re.Pattern[str], ...] = ()
    examples: tuple[str, ...] = ()
    topics: tuple[re.Pattern[str], ...] = ()  # howto: patterns naming a procedure's subject (also in ``patterns``)
    pattern_only: bool = False  # read only where its patterns match, never by meaning alone
    # policy: words the playbooks' search adds when the computation has nothing to say (the rule's own section)
    search: str = ""
    # howto: a topic told in other words than the playbooks' (a pattern) and the playbooks' own term for it, which
    # the search adds ("hasn't replied in weeks" is "gone quiet")
    terms: tuple[tuple[re.Pattern[str], str], ...] = ()


@dataclass(frozen=True)
class Catalog:
    stand_in: str
    intents: dict[str, Intent]

    def __getitem__(self, name: str) -> Intent:
        return self.intents[name]


def _compiled(pattern: Any, stand_in: str) -> re.Pattern[str]:
    """An intent's pattern, its ``{c}`` the stand-in customer's name (as questions are read, masked)."""
    return re.compile(str(pattern).replace("{c}", re.escape(stand_in.lower())), re.I)


def parse_catalog(data: dict[str, Any]) -> Catalog:
    stand_in = str(data.get("stand_in") or "Acme")
    intents: dict[str, Intent] = {}
    for name, spec in (data.get("intents") or {}).items():
        kind = str(spec.get("kind", ""))
        if kind not in KINDS:
            raise ValueError(f"intent {name}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        examples = tuple(str(e).replace("{c}", stand_in) for e in spec.get("examples") or ())
        if not examples:
            raise ValueError(f"intent {name}: no examples")
        # a topic is a pattern, or a pattern with the playbooks' own term for it ({pattern: ..., search: ...})
        raw_topics = spec.get("topics") or ()
        patterns = tuple(_compiled(p, stand_in) for p in spec.get("patterns") or ())
        topics = tuple(_compiled(t["pattern"] if isinstance(t, dict) else t, stand_in) for t in raw_topics)
        terms = tuple((_compiled(t["pattern"], stand_in), str(t["search"])) for t in raw_topics if isinstance(t, dict))
        intents[name] = Intent(
            name,
            kind,
            tuple(spec.get("fields") or ()),
            spec.get("request_type"),
            spec.get("compute"),
            spec.get("consent"),
            patterns + topics,
            examples,
            topics,
            bool(spec.get("pattern_only", False)),
            str(spec.get("search") or ""),
            terms,
        )
    if not any(i.kind == HOWTO for i in intents.values()):
        raise ValueError("the intent catalog needs a howto intent (what the playbooks answer)")
    return Catalog(stand_in, intents)


@cache
def catalog() -> Catalog:
    raw = resources.files("bot.ask").joinpath("data", "intents.yaml").read_bytes()
    # line-aware and strict: a key written twice (an intent's name lost in an edit) is an error, not a silent merge
    return parse_catalog(YamlDoc.parse(raw, "bot/ask/data/intents.yaml").data)


@dataclass(frozen=True)
class Reading:
    """What one clause asks: the intent (or how-to) and the scores it was chosen by."""

    clause: str
    intent: Intent
    score: float
    howto_score: float
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Asked:
    """The intents a question asks, in the order it asks them; ``readings`` says why, clause by clause."""

    intents: tuple[Intent, ...]
    readings: tuple[Reading, ...] = field(default_factory=tuple)

    @property
    def kinds(self) -> set[str]:
        return {i.kind for i in self.intents}

    def first(self, kind: str) -> Intent | None:
        return next((i for i in self.intents if i.kind == kind), None)

    @property
    def howto(self) -> bool:
        return all(i.kind == HOWTO for i in self.intents)

    @property
    def worded(self) -> bool:
        """Whether some clause names an intent by its own words (a pattern), not by meaning alone."""
        return any(r.patterns for r in self.readings)


# a clause that asks (opens with a question word or an auxiliary), as opposed to one that tells the situation
_POSES = re.compile(
    r"^\W*(?:who|whom|whose|what|which|when|where|why|how|can|could|should|shall|do|does|did|is|are|will|would|may|"
    r"must)\b",
    re.I,
)


def clauses(question: str) -> list[str]:
    """The question and, when it asks several things, each of them ("who owns X and what's their ARR")."""
    parts = [p.strip() for p in _CLAUSE.split(question) if p and len(p.split()) >= 2]
    whole = question.strip()
    return [whole] + [p for p in parts if p != whole] if len(parts) > 1 else [whole]


class IntentModel:
    """The catalog's examples embedded once (per process, on first use) with the index's embedder."""

    def __init__(self, embedder: Embedder, cat: Catalog | None = None) -> None:
        self.embedder = embedder
        self.catalog = cat or catalog()
        names = list(self.catalog.intents)
        texts = [e for n in names for e in self.catalog[n].examples]
        self.labels = np.array([i for i, n in enumerate(names) for _ in self.catalog[n].examples])
        self.names = names
        self.vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
        self.howto = next(n for n in names if self.catalog[n].kind == HOWTO)

    @cached_property
    def _customer_asks(self) -> re.Pattern[str]:
        return re.compile(_CUSTOMER_ASKS.format(c=re.escape(self.catalog.stand_in)), re.I)

    def scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Per text, each intent's score: the mean cosine of its TOP_K closest examples."""
        q = np.asarray(self.embedder.embed_documents(texts), dtype=np.float32)
        # einsum, not BLAS: a GEMM this size wakes OpenBLAS's threads, which fight torch's for the cores and stall
        # one reading in twenty by ~100 ms (p95 10 -> 100 ms); its own loop takes well under a millisecond
        sims = np.einsum("ik,jk->ij", q, self.vectors)
        out = []
        for row in sims:
            per: dict[str, float] = {}
            for i, name in enumerate(self.names):
                own = np.sort(row[self.labels == i])[::-1][:TOP_K]
                per[name] = float(own.mean())
            out.append(per)
        return out

    def read(self, question: str, mention: str = "", refers: bool | None = None) -> Asked:
        """The intents ``question`` asks; ``mention``: the words that named its customer (masked). ``refers``:
        whether the question is about a particular customer (default: named, or pointed at with "they", "this
        account"...): a record field or the card is only ever asked of one."""
        masked = USER_MENTION.sub(PERSON_STAND_IN, mask(question, mention, self.catalog.stand_in))
        about_one = refers if refers is not None else bool(mention) or refers_to_customer(question)
        parts = clauses(masked)
        prioritised = bool(PRIORITY.search(masked))  # not in the customer's name ("P4 Logistics")
        readings = [self._reading(c, s, about_one, prioritised) for c, s in zip(parts, self.scores(parts), strict=True)]
        whole = readings[0]
        asked: list[Intent] = []
        # a policy its own words name in the whole question ("Acme's owner is off sick, who do I talk to?": who is
        # on duty) is not joined by a field a clause is only near by meaning ("who do I talk to": their contact)
        worded = whole.intent.kind == POLICY and whole.intent.name in whole.patterns
        for r in readings[1:]:
            if worded and r.intent.kind == FIELD and r.intent.name not in r.patterns:
                continue
            if r.intent.kind in (FIELD, POLICY) and r.intent not in asked:
                asked.append(r.intent)
        if len(asked) < 2:  # one thing asked: the whole question says best what it is
            asked = [whole.intent] if whole.intent.kind != HOWTO else []
        if asked == [whole.intent] and whole.intent.kind == FIELD and whole.intent.name in whole.patterns:
            # fields named together in one clause ("payment status and health"): each one its own words name
            asked = self._named_fields(whole.clause.lower(), whole.patterns)
        if asked and all(i.kind in (FIELD, CARD) for i in asked) and asks_what_to_do(masked):
            asked = []  # what to do about the situation a record field describes: a how-to
        approval = next((self.catalog[n] for n in whole.patterns if self.catalog[n].request_type), None)
        if approval is not None and asked and all(i.kind == FIELD for i in asked):
            # a request named by its words beside a record field the question tells rather than asks ("X renews
            # in two weeks and wants 15% off, what's the route?"): the route too, after the field (was: the
            # renewal date alone)
            asked.append(approval)
        policy = [i for i in asked if i.kind == POLICY]
        # a policy a clause asks outranks one a clause tells ("Acme had a P1 breach, what credit can we give?": the
        # credit's route, not the P1's escalation, which the told situation only matches)
        posed = {r.intent for r in readings[1:] if _POSES.match(r.clause)}
        policy.sort(key=lambda i: i not in posed)
        if policy:
            # One computation per answer, the first asked; targets and escalation are read from the same tables
            # and go together ("the first response target for a platinum P1, and who do we escalate to?").
            computed = [i for i in policy if i.compute]
            chosen = computed if policy[0].compute and len(computed) > 1 else policy[:1]
            # a record field asked with it ("when do they renew, and can I give them 15%?") is answered first,
            # unless the policy's answer states it too (``fields`` of a policy: who is on duty names the owner)
            stated = {f for i in chosen for f in i.fields}
            asked = [i for i in asked if i.kind == FIELD and not set(i.fields) <= stated] + chosen
        return Asked(tuple(asked) or (self.catalog[self.howto],), tuple(readings))

    def across_the_book(self, question: str) -> bool:
        """Whether the question asks a record field of many customers at once (a list or a count of them), which
        no one record answers: "which customers renew next month?", "how many gold customers do we have?"."""
        # "which of <@U0AM>'s customers ...": a colleague's, read as a word
        question = USER_MENTION.sub("owner", question)
        if _QUALIFIES.search(question):
            return False  # "which customers qualify for platinum?": the tier thresholds, not a list
        low = question.lower()
        named = [self.catalog[n] for n in self._hits(low)]  # every intent's patterns run once, read below
        if any(i.compute in (OUTCOMES, SERVICE_LEVELS, SURVEYS, ERASURES, CAPS) for i in named):
            # "how many customers churned last month?", "how many tickets did we close last week?": figures over
            # the book, computed (bot.ask.outcomes, bot.ask.service_levels)
            return False
        if _COUNTED.search(question) or _LISTED.search(question) or _BOOK.search(question):
            return True
        if asks_what_to_do(question):
            return False  # "an owner is leaving, what happens to their accounts?": a procedure, not a list
        if ranks_the_book(question):
            return True  # "who is our biggest customer?", "healthiest accounts in emea": the book ranked
        if owes(question) and _WHO_OWES.match(question):
            return True  # "who hasn't paid their invoices?": "their" is theirs, whoever they are
        if OWED_TOTAL.search(question) and not refers_to_customer(question):
            return True  # "how much is overdue in total?": the book's overdue invoices added up
        if any(i.request_type for i in named):
            # a request named by its words ("who approves a 15% discount on a deal worth over $100k?"): its route,
            # not the customers over that value (was: the 81 customers with ARR over $100,000)
            return False
        if (
            total_asked(question) or threshold(question) or negative_bound(question) or renewals_at_risk(question)
        ) and not refers_to_customer(question):
            # "what's our total ARR?", "how much ARR renews next quarter?", "customers with a health score below
            # 40": the book's values added up or bounded ("how much ARR do they have?" is the thread's customer's)
            return True
        if asks_contact_hours(question):
            return True  # "which of my customers are in quiet hours right now?": the book by contact hours
        if asks_breakdown(question):
            return True  # "break down our customers by tier": the book counted by a field
        if asks_checkins(question):
            return True  # "which of my customers are overdue for a check-in?": the book by its tiers' cadence
        if asks_who_is_quiet(question):
            return True  # "which of my customers haven't been contacted in 60 days?": the book by last contact
        if any(i.kind == POLICY for i in named):
            return False  # a policy named by its own words ("who covers my accounts while I'm out?"): computed
        fields = (p for n in self.names if self.catalog[n].kind in (FIELD, CARD) for p in self.catalog[n].patterns)
        return bool(_MANY.search(question)) and any(p.search(low) for p in fields)

    def _named_fields(self, low: str, hits: Sequence[str]) -> list[Intent]:
        """The record fields among ``hits``, in the order the question names them."""
        first = {
            n: min(m.start() for p in self.catalog[n].patterns for m in p.finditer(low))
            for n in hits
            if self.catalog[n].kind == FIELD and any(p.search(low) for p in self.catalog[n].patterns)
        }
        return [self.catalog[n] for n in sorted(first, key=lambda n: first[n])]

    def names_topic(self, low: str) -> bool:
        """The clause names what a playbook procedure is about (the howto intent's ``topics``)."""
        return any(p.search(low) for p in self.catalog[self.howto].topics)

    def _hits(self, low: str) -> tuple[str, ...]:
        """The intents whose patterns the clause matches, a match inside another's longer match not counted
        (see :func:`longest_matches`)."""
        return longest_matches({n: self.catalog[n].patterns for n in self.names}, low)

    def _reading(self, clause: str, scores: dict[str, float], about_one: bool, prioritised: bool = False) -> Reading:
        low = clause.lower()
        found = matched({n: self.catalog[n].patterns for n in self.names}, low)  # each pattern run once
        hits = longest(found)
        if not about_one:
            # no customer in view: a record field's longer match does not hide a policy's words inside it ("what's
            # our SLA attainment this month?" is the book's SLA figures, not one customer's SLA history); the
            # field's words stay, a record asked of no customer gets "which customer?"
            policies = {n: s for n, s in found.items() if self.catalog[n].kind in (POLICY, HOWTO)}
            hits = tuple(dict.fromkeys(hits + longest(policies)))
        boosted = {
            n: s + (PATTERN_BOOST if n in hits else 0.0)
            for n, s in scores.items()
            if n in hits or not self.catalog[n].pattern_only
        }
        if not about_one:  # no customer in view: nothing of a record can be asked, policies still can
            boosted = {n: s for n, s in boosted.items() if self.catalog[n].kind in (POLICY, HOWTO)}
        best = max(boosted, key=lambda n: boosted[n])
        worded_card = False
        named = [n for n in hits if self.catalog[n].kind == POLICY]
        words_only = [n for n in hits if self.catalog[n].pattern_only and n in boosted]
        if words_only and (best not in hits or not self.catalog[best].pattern_only):
            # an intent read only where its words are, and they are ("what's the GRR for gold?", "who last talked
            # to X?"): the words are the evidence, over a policy or a field the sentence is near by meaning alone
            # (the model does not know "GRR", and "who talked" is near the last contact's "when"), or one whose
            # broader words are there too ("what share of tickets met the first response target last week?" is
            # the SLA figures, not the target)
            best = max(words_only, key=lambda n: boosted[n])
        elif named and self.catalog[best].kind in (FIELD, POLICY) and best not in hits:
            # a policy named by its own words, and a record field (or another policy) by meaning alone: "who can
            # see Acme's phone number?" asks who may see a field, "how do I expedite a part for Acme?" the expedite
            # route, "Acme wants their data stored in the EU" data residency (custom terms), not a data access
            # request; the customer pulls the meaning towards their record, but only the policy's words are there
            best = max(named, key=lambda n: boosted[n])
        elif (
            self.catalog[best].kind in (FIELD, HOWTO)
            and best not in hits
            and (card := [n for n in hits if self.catalog[n].kind == CARD and n in boosted])
        ):
            # the card asked for by its words ("get me ready for the renewal meeting with X", "what should I prepare
            # for the X renewal call?"), a field or a procedure by meaning alone (the renewal date, the at-risk
            # steps): the meeting is what to prepare for, and the card carries the renewal too
            worded_card = self.catalog[best].kind == HOWTO  # over a procedure by meaning: the words decide
            best = card[0]
        if self.catalog[best].kind in (FIELD, POLICY) and best not in hits and self.names_topic(low):
            # a procedure named by its subject, a field or a policy by meaning alone ("X wants all their data
            # deleted" is the erasure steps, not a data access request's route)
            best = self.howto
        howto = boosted[self.howto]
        intent = self.catalog[best]
        floor = MIN_SCORE if intent.kind == POLICY else MIN_FIELD_SCORE
        if prioritised and intent.compute in ("escalation", "sla") and best in hits:
            floor = MIN_FIELD_SCORE  # its words and the priority it computes for: "where does a silver P4 escalate"
        if intent.compute in ("access", "duty") and best in hits:
            # "can legal see discount history?", "who covers my accounts while I'm out?": the field's or the owner's
            # words pull towards their own intent
            floor = MIN_FIELD_SCORE
        margin = -PATTERN_BOOST if worded_card else MARGIN
        if intent.pattern_only and best in hits:
            # read only where its words are, and they are: the words are the evidence, even where the sentence is
            # as near the playbooks by meaning ("any pending approvals for Acme?")
            floor, margin = MIN_FIELD_SCORE, -PATTERN_BOOST
        if intent.kind == CARD and best not in hits and _PERMISSION.match(clause):
            intent = self.catalog[self.howto]  # the card by meaning alone, asked whether we may do something
        if intent.kind in (FIELD, CARD) and best not in hits and self._customer_asks.match(clause):
            intent = self.catalog[self.howto]  # what the customer asks for, not the field nearest its words
        if intent.kind in (FIELD, CARD) and _SHARING.match(clause):
            intent = self.catalog[self.howto]  # whether we may pass a field on is the playbooks', not its value
        if intent.kind != HOWTO and best not in hits and kind_asked(clause, self.catalog.stand_in):
            # whether the customer is of a kind the record has no field for ("is Acme a reference customer?", "a
            # partner?"): the nearest field by meaning (their promises, their owner) says neither yes nor no; the
            # playbooks may define the kind, else the answer is "I don't know, ask the owner"
            intent = self.catalog[self.howto]
        if intent.kind != HOWTO and (boosted[best] < floor or boosted[best] - howto < margin):
            intent = self.catalog[self.howto]
        return Reading(clause, intent, boosted[best], howto, hits)


def longest_matches(patterns: Mapping[str, Sequence[re.Pattern[str]]], text: str) -> tuple[str, ...]:
    """The names whose patterns match ``text``, but not a name whose every match lies inside another name's
    longer match: "a dedicated account manager" is a tier's promise, not the "account manager" who owns the
    account (the longest match wins, as a lexer reads a token)."""
    return longest(matched(patterns, text))


Spans = dict[str, list[tuple[int, int]]]


def matched(patterns: Mapping[str, Sequence[re.Pattern[str]]], text: str) -> Spans:
    """Each name whose patterns match ``text``, with the spans of its (non-empty) matches."""
    spans = {n: [m.span() for p in ps for m in p.finditer(text) if m.end() > m.start()] for n, ps in patterns.items()}
    return {n: s for n, s in spans.items() if s}


def longest(found: Spans) -> tuple[str, ...]:
    """The names of ``found`` with a match not inside another name's longer match (:func:`longest_matches`)."""

    def inside(span: tuple[int, int], other: tuple[int, int]) -> bool:
        return other[0] <= span[0] and span[1] <= other[1] and other[1] - other[0] > span[1] - span[0]

    return tuple(
        n
        for n, own in found.items()
        if not all(any(inside(sp, o) for m, os in found.items() if m != n for o in os) for sp in own)
    )


def kind_asked(masked: str, stand_in: str) -> str:
    """The kind of customer a yes/no question asks whether the customer is, as said ("is Acme a reference
    customer?": "a reference customer"), on the question with the customer's name masked; "" when it asks no such
    thing, or asks whose it is ("a customer of Priya's": their owner)."""
    found = re.match(
        rf"^\W*(?:is|are) {re.escape(stand_in)} "
        r"(?P<kind>(?:an?|one of (?:our|the|your)) (?:(?!\bof\b)[^?.!])+?)[\s?.!]*$",
        masked,
        re.I,
    )
    return found["kind"] if found else ""


def asks_what_to_do(question: str) -> bool:
    """Whether the question asks what to do ("..., what should I do?", "how do we handle it?", "next steps?")."""
    return bool(_ACTING.search(question))


# a question asking who, of the book, is behind on payments (not "has Acme paid?")
_WHO_OWES = re.compile(r"^\W*(?:who|which|list|show|how many)\b", re.I)


def refers_to_customer(question: str) -> bool:
    """Whether a question points at one customer without naming it ("when do they renew?"); not when the
    pronoun stands for "a customer" in general ("a customer opted out, can we email them?")."""
    return bool(_REFERS.search(question)) and not _ANY_CUSTOMER.search(question)


# legal suffixes typed after a name ("Co", "Ltd.", ", Inc"), masked with it (not "as": "X as of May")
_SUFFIXES = r"(?:[\s,]+(?:" + "|".join(sorted(LEGAL_SUFFIXES - {"as"})) + r")\b\.?)*"


def mask(question: str, mention: str, stand_in: str) -> str:
    """``question`` with the words that named the customer replaced by the stand-in name."""
    if not mention:
        return question
    words = mention.split()
    # the name as linked is its key, without the legal suffix ("polarmark media" for "Polarmark Media Co"): the
    # suffix typed after it is masked with it, or "<stand-in> Co" is read as asking something of "Co"
    pattern = r"\b" + r"[\W_]+".join(re.escape(w) for w in words) + r"\b" + _SUFFIXES
    masked, n = re.subn(pattern, stand_in, question, count=1, flags=re.I)
    return masked if n else question


class PatternModel(IntentModel):
    """The reading without an embedding model (an index that has none, e.g. a stub in a test): each intent's
    patterns alone, one point per pattern found; how-to unless some intent's patterns are found."""

    def __init__(self, cat: Catalog | None = None) -> None:
        self.catalog = cat or catalog()
        self.names = list(self.catalog.intents)
        self.howto = next(n for n in self.names if self.catalog[n].kind == HOWTO)

    def scores(self, texts: list[str]) -> list[dict[str, float]]:
        out = []
        for text in texts:
            low = text.lower()
            hits = {n: sum(1 for p in self.catalog[n].patterns if p.search(low)) for n in self.names}
            out.append(
                {n: (MIN_SCORE + 0.1 * (k - 1) if k else 0.0) - PATTERN_BOOST * (k > 0) for n, k in hits.items()}
            )
        return out


_models: dict[int, IntentModel] = {}
_lock = threading.Lock()


def model_for(embedder: Embedder | None) -> IntentModel:
    """One model per embedder (the index keeps one for the life of the process); patterns alone without one."""
    if embedder is None:
        return PatternModel()
    key = id(embedder)
    found = _models.get(key)
    if found is None or found.embedder is not embedder:
        with _lock:
            found = _models.get(key)
            if found is None or found.embedder is not embedder:
                found = _models[key] = IntentModel(embedder)
    return found
