"""Identity resolution: which customer records are the same company.

Blocking happens in the database: ``customer_identifiers`` (and ``contacts.email``) are grouped by
normalised key with ``GROUP BY kind, value HAVING count(*) > 1``, so only records sharing a key ever
meet in Python and memory grows with the number of duplicates, never with the size of the book.
Evidence that links two records:

* the same domain, external id or contact email: strong, merge;
* the same name key (``normalize.name_key``) AND the same region: a close name match with support.

A veto keeps precision: two records that each carry an external id from the same source system are
two accounts in that system, so they never merge. Blocks larger than ``MAX_BLOCK`` (a shared
freemail domain, a generic name) carry no evidence and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, func, select

from bot.store.models import Contact, Customer, CustomerIdentifier, PlantedDuplicate

MAX_BLOCK = 20
STRONG_KINDS = ("domain", "external_id")
FREEMAIL = frozenset(
    {
        "gmail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "icloud.com",
        "aol.com",
        "gmx.de",
        "proton.me",
        "protonmail.com",
        "live.com",
        "msn.com",
        "example.com",
    }
)
CHUNK = 2000


@dataclass(frozen=True)
class Edge:
    a: int
    b: int
    kind: str  # domain | external_id | email | name+region
    value: str


@dataclass
class Cluster:
    members: set[int]
    evidence: list[Edge] = field(default_factory=list)


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.sources: dict[int, set[str]] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int, sources: dict[int, set[str]]) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        sa = self.sources.setdefault(ra, set(sources.get(a, ())))
        sb = self.sources.setdefault(rb, set(sources.get(b, ())))
        if sa & sb:
            return False  # both already hold an account of the same source system: different customers
        self.parent[rb] = ra
        sa |= sb
        self.sources.pop(rb, None)
        return True


def _blocks(conn: Connection, kind: str) -> Iterator[tuple[str, list[int]]]:
    """(value, active customer ids) for every key of ``kind`` shared by 2..MAX_BLOCK active customers."""
    ident = CustomerIdentifier.__table__
    cust = Customer.__table__
    active = and_(cust.c.id == ident.c.customer_id, cust.c.merged_into_id.is_(None))
    shared = (
        select(ident.c.value)
        .select_from(ident.join(cust, active))
        .where(ident.c.kind == kind)
        .group_by(ident.c.value)
        .having(func.count(func.distinct(ident.c.customer_id)).between(2, MAX_BLOCK))
    ).subquery()
    rows = conn.execute(
        select(ident.c.value, ident.c.customer_id)
        .select_from(ident.join(cust, active).join(shared, shared.c.value == ident.c.value))
        .where(ident.c.kind == kind)
        .order_by(ident.c.value, ident.c.customer_id)
    )
    yield from _grouped(rows)


def _email_blocks(conn: Connection) -> Iterator[tuple[str, list[int]]]:
    contact = Contact.__table__
    cust = Customer.__table__
    active = and_(cust.c.id == contact.c.customer_id, cust.c.merged_into_id.is_(None))
    shared = (
        select(contact.c.email)
        .select_from(contact.join(cust, active))
        .where(contact.c.email.is_not(None))
        .group_by(contact.c.email)
        .having(func.count(func.distinct(contact.c.customer_id)).between(2, MAX_BLOCK))
    ).subquery()
    rows = conn.execute(
        select(contact.c.email, contact.c.customer_id)
        .select_from(contact.join(cust, active).join(shared, shared.c.email == contact.c.email))
        .order_by(contact.c.email, contact.c.customer_id)
    )
    for email, ids in _grouped(rows):
        if email.rsplit("@", 1)[-1] not in FREEMAIL:
            yield email, ids


def _grouped(rows: Iterable[tuple[str, int]]) -> Iterator[tuple[str, list[int]]]:
    value: str | None = None
    ids: list[int] = []
    for v, cid in rows:
        if v != value:
            if value is not None and len(set(ids)) > 1:
                yield value, sorted(set(ids))
            value, ids = v, []
        ids.append(cid)
    if value is not None and len(set(ids)) > 1:
        yield value, sorted(set(ids))


def _chunks(items: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _attributes(conn: Connection, ids: set[int]) -> tuple[dict[int, str], dict[int, set[str]]]:
    """Region per customer, and the source systems each customer holds an external id in."""
    cust, ident = Customer.__table__, CustomerIdentifier.__table__
    regions: dict[int, str] = {}
    sources: dict[int, set[str]] = {}
    ordered = sorted(ids)
    for part in _chunks(ordered):
        regions.update({r[0]: r[1] for r in conn.execute(select(cust.c.id, cust.c.region).where(cust.c.id.in_(part)))})
        # kind filtered in Python so the customer_id index is used (see merge._source_of)
        rows = conn.execute(
            select(ident.c.customer_id, ident.c.kind, ident.c.source).where(ident.c.customer_id.in_(part))
        )
        for cid, kind, source in rows:
            if kind == "external_id":
                sources.setdefault(cid, set()).add(source)
    return regions, sources


def find_clusters(conn: Connection) -> list[Cluster]:
    """Groups of two or more active customer records that are the same customer (read-only)."""
    candidates: list[Edge] = []
    for kind in STRONG_KINDS:
        for value, ids in _blocks(conn, kind):
            if kind == "domain" and value in FREEMAIL:
                continue
            candidates.extend(Edge(ids[0], other, kind, value) for other in ids[1:])
    for value, ids in _email_blocks(conn):
        candidates.extend(Edge(ids[0], other, "email", value) for other in ids[1:])
    name_blocks = list(_blocks(conn, "name"))
    involved = {e.a for e in candidates} | {e.b for e in candidates} | {i for _, ids in name_blocks for i in ids}
    regions, sources = _attributes(conn, involved)
    for value, ids in name_blocks:
        by_region: dict[str, list[int]] = {}
        for cid in ids:
            by_region.setdefault(regions.get(cid, ""), []).append(cid)
        for group in by_region.values():
            candidates.extend(Edge(group[0], other, "name+region", value) for other in group[1:])

    uf = UnionFind()
    accepted: list[Edge] = []
    # Strong evidence first, so a name match never blocks a domain/id match through the veto.
    order = {"external_id": 0, "domain": 1, "email": 2, "name+region": 3}
    for edge in sorted(candidates, key=lambda e: order[e.kind]):
        if uf.union(edge.a, edge.b, sources):
            accepted.append(edge)
    clusters: dict[int, Cluster] = {}
    for edge in accepted:
        root = uf.find(edge.a)
        cluster = clusters.setdefault(root, Cluster(set()))
        cluster.members.update((edge.a, edge.b))
        cluster.evidence.append(edge)
    return [c for c in clusters.values() if len(c.members) > 1]


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int


def _pairs(groups: Iterable[set[int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for g in groups:
        members = sorted(g)
        out.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return out


def measure(conn: Connection) -> Quality:
    """Pairwise precision/recall of current merges (``merged_into_id``) against ``demo_planted_duplicates``."""
    cust = Customer.__table__
    predicted_groups: dict[int, set[int]] = {}
    for cid, golden in conn.execute(select(cust.c.id, cust.c.merged_into_id).where(cust.c.merged_into_id.is_not(None))):
        predicted_groups.setdefault(golden, {golden}).add(cid)
    truth_groups: dict[int, set[int]] = {}
    for cid, original in conn.execute(select(PlantedDuplicate.customer_id, PlantedDuplicate.duplicate_of)):
        truth_groups.setdefault(original, {original}).add(cid)
    predicted, truth = _pairs(predicted_groups.values()), _pairs(truth_groups.values())
    correct = len(predicted & truth)
    return Quality(
        precision=correct / len(predicted) if predicted else 1.0,
        recall=correct / len(truth) if truth else 1.0,
        predicted_pairs=len(predicted),
        true_pairs=len(truth),
        correct_pairs=correct,
    )
