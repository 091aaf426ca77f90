"""Find the customers a question names: by name, alias, domain, email or external id.

Lookups go through the indexed ``customer_identifiers`` table, so linking costs a handful of index
probes whatever the size of the book. Names are compared by ``name_key`` (case, punctuation and legal
suffix insensitive); a near miss on a name (a typo) is caught by a prefix range scan plus a similarity
check, never by scanning customers.

People drop the company designator too ("Westwardwood Studios" for "Westwardwood Studios Group"): a mention
of two or more words also probes its key followed by one designator word (``DESIGNATORS``: group, holdings,
partners...). These are exact probes of the same index (no prefix scan, so no collation trap on PostgreSQL),
and they only count where the mention matches no name exactly. A single word never links this way, so
"Studios" alone names nobody.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.customers.normalize import fold, name_key, normalize_domain
from bot.store.models import Customer, CustomerIdentifier

EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
# Slack wraps links and emails: <mailto:a@b.com|a@b.com>, <http://acme.com|acme.com>
DOMAIN = re.compile(r"(?<![@\w.-])((?:[a-z0-9-]+\.)+(?:com|net|org|io|co|ai|de|uk|fr|jp|eu|app|dev))\b", re.I)
EXTERNAL_ID = re.compile(r"\b([A-Z]{2,6}(?:-[A-Z]{2,6})?-\d{3,10})\b", re.I)
MAX_NGRAM = 6
FUZZY_CUTOFF = 0.88
# Words that end a company's name without being its legal form (name_key keeps them): a name typed without one
# still links. Legal forms (inc, ltd, gmbh...) are already dropped by name_key.
DESIGNATORS = (
    "group",
    "holdings",
    "holding",
    "international",
    "global",
    "worldwide",
    "partners",
    "enterprises",
    "industries",
    "and co",
)
STOP_STARTS = frozenset(
    "what who how when why where which is are do does can should the a an for with about our their my "
    "of to in on at and or customer account client".split()
)


@dataclass(frozen=True)
class CustomerRef:
    id: int
    name: str
    tier: str
    matched_on: str  # name | alias | domain | email | external_id | name-without-designator | fuzzy-name
    matched_text: str


@dataclass(frozen=True)
class LinkResult:
    customers: list[CustomerRef]  # confidently linked (one per mention)
    ambiguous: list[list[CustomerRef]]  # a mention that fits several customers: ask which one

    @property
    def primary(self) -> CustomerRef | None:
        return self.customers[0] if self.customers else None


def _ngrams(words: list[str]) -> list[str]:
    out: list[str] = []
    for n in range(min(MAX_NGRAM, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if n == 1 and (gram[0] in STOP_STARTS or len(gram[0]) < 4):
                continue
            out.append(" ".join(gram))
    return out


def _may_lack_designator(key: str) -> bool:
    """A mention worth probing with a designator added: two or more words, neither end a stop word."""
    words = key.split()
    return len(words) >= 2 and words[0] not in STOP_STARTS and words[-1] not in STOP_STARTS


def _resolve_golden(session: Session, ids: set[int]) -> dict[int, Customer]:
    """Map each id to its golden record (following merged_into_id)."""
    out: dict[int, Customer] = {}
    pending = set(ids)
    for _ in range(5):
        if not pending:
            break
        rows = session.scalars(select(Customer).where(Customer.id.in_(pending))).all()
        pending = set()
        for c in rows:
            if c.merged_into_id:
                pending.add(c.merged_into_id)
            out[c.id] = c
    return out


def _golden(c: Customer, by_id: dict[int, Customer]) -> Customer:
    seen = 0
    while c.merged_into_id and c.merged_into_id in by_id and seen < 5:
        c, seen = by_id[c.merged_into_id], seen + 1
    return c


def link_customers(session: Session, text: str, limit: int = 3) -> LinkResult:
    """Customers named in ``text``: exact keys first, then fuzzy names; longest mention wins."""
    text = re.sub(r"<mailto:([^|>]+)(?:\|[^>]*)?>", r"\1", text)
    text = re.sub(r"<https?://([^|>]+)(?:\|[^>]*)?>", r"\1", text)
    text = re.sub(r"<[@#!][^>]*>", " ", text)  # user/channel mentions are not customer names
    probes: list[tuple[str, str, str]] = []  # (kind, value, matched_text)
    for m in EMAIL.finditer(text):
        probes.append(("domain", normalize_domain(m.group(1)), m.group(0)))
    for m in DOMAIN.finditer(text):
        probes.append(("domain", normalize_domain(m.group(1)), m.group(1)))
    for m in EXTERNAL_ID.finditer(text):
        probes.append(("external_id", m.group(1).lower(), m.group(1)))
    words = fold(text).split()
    grams = _ngrams(words)
    loose: list[tuple[str, str, str]] = []  # (kind, key + designator, matched_text): the designator left out
    for g in grams:
        key = name_key(g)
        if key:
            probes.append(("name", key, g))
            probes.append(("alias", key, g))
            if _may_lack_designator(key):
                loose += [(kind, f"{key} {d}", g) for d in DESIGNATORS for kind in ("name", "alias")]

    hits: dict[str, set[int]] = {}
    kinds_of: dict[str, str] = {}
    if probes:
        everything = probes + loose
        rows = session.execute(
            select(CustomerIdentifier.kind, CustomerIdentifier.value, CustomerIdentifier.customer_id).where(
                CustomerIdentifier.kind.in_({k for k, _, _ in everything}),
                CustomerIdentifier.value.in_({v for _, v, _ in everything}),
            )
        ).all()
        wanted = {(k, v): t for k, v, t in probes}
        without = {(k, v): t for k, v, t in loose}
        partial: dict[str, set[int]] = {}
        for kind, value, cid in rows:
            if (kind, value) in wanted:
                hits.setdefault(wanted[(kind, value)], set()).add(cid)
                kinds_of[wanted[(kind, value)]] = kind
            elif (kind, value) in without:
                partial.setdefault(without[(kind, value)], set()).add(cid)
        for mention, ids in partial.items():
            if mention not in hits:  # an exact name beats the same words read as a name without its designator
                hits[mention] = ids
                kinds_of[mention] = "name-without-designator"
    if not hits:
        hits, kinds_of = _fuzzy(session, words)

    by_id = _resolve_golden(session, {cid for ids in hits.values() for cid in ids})
    confident: list[CustomerRef] = []
    ambiguous: list[list[CustomerRef]] = []
    covered: list[str] = []
    # Longest mention first, so "Northwave Foods" beats "Northwave".
    for mention in sorted(hits, key=len, reverse=True):
        if any(mention in longer for longer in covered):
            continue
        golden = {g.id: g for g in (_golden(by_id[c], by_id) for c in hits[mention] if c in by_id)}
        refs = [CustomerRef(g.id, g.name, g.tier, kinds_of[mention], mention) for g in golden.values()]
        if not refs:
            continue
        covered.append(mention)
        # "Northwave Foods Inc" typed in full among Inc, Corp, II LLC picks Inc; a record named exactly the shared
        # words ("Northwave Foods", a duplicate's spelling) is not told apart by typing those words: still which one?
        exact = [r for r in refs if fold(r.name) != mention and f" {fold(r.name)} " in f" {' '.join(words)} "]
        if len(refs) > 1 and len(exact) == 1:
            refs = exact
        if len(refs) == 1:
            if all(r.id != refs[0].id for r in confident):
                confident.append(refs[0])
        else:
            ambiguous.append(sorted(refs, key=lambda r: r.name)[:10])
    return LinkResult(confident[:limit], ambiguous[:limit])


FIRST_WORD_CHOICES = 5  # a first word shared by more names than this is a word, not a name ("global", "north")
SCAN_ROWS = 200  # names read per word: those that merely share its letters ("northwave" for "north") come too


def named_by_first_word(session: Session, text: str) -> list[CustomerRef]:
    """Customers whose name starts with a word of ``text`` ("northwave" for Northwave Foods Inc), to offer as
    choices, never to link: one word alone is often just a word ("Summit", "First"), so the asker picks. A word
    that starts more than FIRST_WORD_CHOICES names offers none. Same prefix range scan as :func:`_fuzzy`."""
    found: dict[int, CustomerRef] = {}
    for w in dict.fromkeys(fold(re.sub(r"<[@#!][^>]*>", " ", text)).split()):
        if len(w) < 5 or not w.isalpha() or w in STOP_STARTS:
            continue
        rows = session.execute(
            select(CustomerIdentifier.value, CustomerIdentifier.customer_id)
            .where(
                CustomerIdentifier.kind == "name",
                CustomerIdentifier.value >= w,
                CustomerIdentifier.value < w + "\x7f",
            )
            .limit(SCAN_ROWS)
        ).all()
        ids = {cid for value, cid in rows if value.startswith(f"{w} ")}
        by_id = _resolve_golden(session, ids)
        golden = {g.id: g for g in (_golden(by_id[c], by_id) for c in ids if c in by_id)}
        if 0 < len(golden) <= FIRST_WORD_CHOICES:
            for g in golden.values():
                found.setdefault(g.id, CustomerRef(g.id, g.name, g.tier, "first-word", w))
    return sorted(found.values(), key=lambda r: r.name)[:FIRST_WORD_CHOICES]


def _fuzzy(session: Session, words: list[str]) -> tuple[dict[str, set[int]], dict[str, str]]:
    """Typos: names sharing a 4-letter prefix with a word of the question, then a similarity cut."""
    hits: dict[str, set[int]] = {}
    kinds: dict[str, str] = {}
    for i, w in enumerate(words):
        if len(w) < 5 or w in STOP_STARTS:
            continue
        prefix = w[:4]
        rows = session.execute(
            select(CustomerIdentifier.value, CustomerIdentifier.customer_id)
            .where(
                CustomerIdentifier.kind.in_(("name", "alias")),
                CustomerIdentifier.value >= prefix,
                CustomerIdentifier.value < prefix + "\x7f",
            )
            .limit(500)
        ).all()
        for value, cid in rows:
            parts = value.split()
            # the name as stored, and without its designator ("redwoodrok networks" for Redwoodrock Networks
            # Group), as exact matching reads it (_may_lack_designator)
            forms = [parts, parts[:-1]] if len(parts) >= 3 and parts[-1] in DESIGNATORS else [parts]
            for form in forms:
                candidate = " ".join(words[i : i + len(form)])
                if difflib.SequenceMatcher(None, candidate, " ".join(form)).ratio() >= FUZZY_CUTOFF:
                    hits.setdefault(candidate, set()).add(cid)
                    kinds[candidate] = "fuzzy-name"
                    break
    return hits, kinds
