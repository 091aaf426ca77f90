"""Seeded synthetic book of business, streamed into the store in bulk batches.

Every customer's rows come from its own RNG (seed, index), so output is identical for a seed whatever
the batch size, and memory stays flat: nothing but the current batch is ever held. The signals the newer
alert rules read (contact changes, survey answers, shipments, health snapshots, usage growth) come from a
second per-customer RNG, so adding them left every earlier table's rows as they were.

One module because one customer's rows across every table come from one per-customer RNG stream;
splitting by table would split the stream.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, insert, text

from bot.customers.normalize import name_key, slug
from bot.store import models as m

PREFIXES = (
    "North Star Blue Bright Silver Golden Iron Red Green Summit Harbor Pioneer Atlas Apex Cedar Maple Granite "
    "Coastal Urban Prairie Evergreen Crescent Falcon Eagle Lumen Nova Orion Polar Quantum Sterling Vertex "
    "Willow Zenith Aurora Beacon Cobalt Delta Ember Frontier Glacier Horizon Ivory Juniper Keystone Lakeside "
    "Meridian Nimbus Oak Pinnacle Redwood Sapphire Tidal Union Vantage Westward Yellowstone Alder Birch Canyon"
).split()
ROOTS = (
    "wave field stone point bridge gate line path ridge brook crest forge light mark peak port works view "
    "dale haven wood land water sky fire rock mill spring vale"
).split()
INDUSTRIES = (
    "Foods Logistics Analytics Health Robotics Energy Media Retail Capital Systems Labs Pharma Motors "
    "Textiles Airlines Hotels Insurance Telecom Software Biotech Foods Outfitters Dental Freight Security "
    "Education Legal Marine Mining Studios Brewing Farms Clinics Networks Payments Cloud Devices Materials"
).split()
SUFFIXES = ("Inc", "Ltd", "LLC", "GmbH", "Corp", "Group", "Co", "PLC", "SA", "")
REGIONS: dict[str, tuple[str, ...]] = {
    "na": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto"),
    "emea": ("Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Africa/Johannesburg"),
    "apac": ("Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Asia/Kolkata"),
    "latam": ("America/Sao_Paulo", "America/Mexico_City", "America/Bogota"),
}
REGION_WEIGHTS = (0.45, 0.30, 0.17, 0.08)
TICKET_CATEGORIES = ("question", "bug", "billing", "outage", "feature_request", "complaint", "onboarding")
FIRST_NAMES = "Ana Ben Chen Dana Eli Fatima Gus Hana Ivan Jo Kai Lena Maya Nils Omar Pia Raj Sara Tom Uma".split()
LAST_NAMES = "Ahmed Berg Costa Diaz Evans Fischer Garcia Hughes Ito Jensen Kim Lopez Moreau Novak Okafor".split()
DEFAULT_OWNERS = ("U0AM00001", "U0AM00002", "U0AM00003", "U0AM00004", "U0AM00005")

# Tier by lifetime value when no policy is given: long tail, ~1% platinum, ~5% gold, ~20% silver.
DEFAULT_TIER_THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("platinum", 1_000_000),
    ("gold", 250_000),
    ("silver", 50_000),
    ("bronze", 0),
)
USAGE_DAYS = {"platinum": 90, "gold": 90, "silver": 30, "bronze": 14}
# The check-in cadence tiers.yaml promises (proactive_checkin_every_days); bronze has none.
DEFAULT_CHECKIN_DAYS = {"platinum": 14, "gold": 30, "silver": 90}
CHURN_REASONS = ("budget cut", "moved to a competitor", "product no longer needed", "acquired")
DUPLICATE_RATE = 0.02


@dataclass(frozen=True)
class Anomalies:
    """Rates of the situations the alert rules and identity resolution must find."""

    quiet: float = 0.05
    usage_drop: float = 0.05
    sla_breach: float = 0.04
    complaint: float = 0.04
    renewal_soon: float = 0.08
    opt_out: float = 0.04
    overdue: float = 0.03
    champion_left: float = 0.03  # a champion or sponsor left in the last 25 days
    detractor: float = 0.04  # an NPS answer of 0-6 in the last 10 days
    health_drop: float = 0.05  # health fell 16-35 points over the last month
    expansion: float = 0.03  # usage up 60-150% over the last week
    shipment_delay: float = 0.04  # a shipment 3-12 days past its promised date, not delivered


@dataclass
class GenerationStats:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


def company_name(index: int) -> str:
    """A unique, realistic company name for every index below len(PREFIXES)*len(ROOTS)*len(INDUSTRIES)*10."""
    space = len(PREFIXES) * len(ROOTS) * len(INDUSTRIES)
    k = (index % space) * 7919 % space  # 7919 is coprime with the space: a permutation, neighbours spread out
    n = index // space
    p, k = k % len(PREFIXES), k // len(PREFIXES)
    r, k = k % len(ROOTS), k // len(ROOTS)
    i = k % len(INDUSTRIES)
    base = f"{PREFIXES[p]}{ROOTS[r]} {INDUSTRIES[i]}"
    if n:
        base = f"{base} {_roman(n + 1)}"
    suffix = SUFFIXES[index % len(SUFFIXES)]
    return f"{base} {suffix}".strip()


def _roman(n: int) -> str:
    out = []
    for value, numeral in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out.append(numeral)
            n -= value
    return "".join(out)


def _variant(name: str, rng: random.Random) -> str:
    """How the same company is spelled in another system: case, punctuation, suffix, spacing."""
    choice = rng.randrange(4)
    if choice == 0:
        return name.upper()
    if choice == 1:
        words = name.split()
        return " ".join(words[:-1]) + "," + " " + words[-1] + "." if len(words) > 2 else name + " Inc."
    if choice == 2:
        return name_key(name).title()
    return name.replace(" ", "  ", 1).lower()


@dataclass
class _Batch:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def size(self) -> int:
        return sum(len(v) for v in self.rows.values())


class DemoGenerator:
    def __init__(
        self,
        customers: int,
        seed: int = 42,
        now: dt.datetime | None = None,
        owners: Sequence[str] = DEFAULT_OWNERS,
        tier_for_value: Callable[[float], str] | None = None,
        anomalies: Anomalies = Anomalies(),
    ) -> None:
        if customers < 1:
            raise ValueError("--customers must be at least 1")
        self.n = customers
        self.seed = seed
        self.now = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
        self.owners = tuple(owners) or DEFAULT_OWNERS
        self.tier_for_value = tier_for_value or _default_tier
        self.anomalies = anomalies
        self._ids = {
            "tickets": 0,
            "orders": 0,
            "usage_events": 0,
            "contacts": 0,
            "notes": 0,
            "customer_identifiers": 0,
            "survey_responses": 0,
            "contact_changes": 0,
            "shipments": 0,
            "health_scores": 0,
            "renewals": 0,
        }

    def _next_id(self, table: str) -> int:
        self._ids[table] += 1
        return self._ids[table]

    def customers(self) -> Iterator[_Batch]:
        """Yield batches of rows; about 50k rows each so memory stays flat at any N."""
        batch = _Batch()
        for idx in range(self.n):
            self._one_customer(idx, batch)
            if batch.size() >= 50_000:
                yield batch
                batch = _Batch()
        if batch.size():
            yield batch

    def _one_customer(self, idx: int, batch: _Batch) -> None:
        rng = random.Random(self.seed * 1_000_003 + idx)
        sig = random.Random((self.seed * 1_000_003 + idx) * 7 + 3)  # the newer signals' own stream
        cid = idx + 1
        name = company_name(idx)
        # Pareto tail: a few accounts hold most of the value.
        ltv = round(min(20_000 / (1 - rng.random()) ** (1 / 1.16) - 15_000, 50_000_000), 2)
        ltv = max(ltv, 500.0)
        arr = round(ltv * rng.uniform(0.18, 0.35), 2)
        tier = self.tier_for_value(ltv)
        region = rng.choices(tuple(REGIONS), weights=REGION_WEIGHTS)[0]
        tz = rng.choice(REGIONS[region])
        domain = f"{slug(name)[:40]}.com"
        a = self.anomalies
        quiet = rng.random() < a.quiet
        drop = not quiet and rng.random() < a.usage_drop
        renewal = (
            self.now.date() + dt.timedelta(days=rng.randint(5, 29))
            if rng.random() < a.renewal_soon
            else self.now.date() + dt.timedelta(days=rng.randint(30, 365))
        )
        health = rng.randint(20, 55) if (quiet or drop) else rng.randint(55, 98)
        opt_out = rng.random() < a.opt_out
        segment = {"platinum": "strategic", "gold": "enterprise", "silver": "mid-market"}.get(tier, "smb")
        batch.add(
            "customers",
            {
                "id": cid,
                "name": name,
                "domains": [domain],
                "external_ids": {"crm": f"CRM-{cid:07d}", "billing": f"ACC-{cid:07d}"},
                "tier": tier,
                "segment": segment,
                "region": region,
                "timezone": tz,
                "lifetime_value": Decimal(str(ltv)),
                "arr": Decimal(str(arr)),
                "renewal_date": renewal,
                "health_score": health,
                "owner_slack_id": self.owners[idx % len(self.owners)],
                "consent_outreach": not opt_out,
                "consent_marketing": (not opt_out) and rng.random() < 0.4,
                "consent_data_processing": True,
                "comm_preferences": {
                    "channel": rng.choice(["email", "phone", "slack_connect"]),
                    "max_touches_per_week": rng.choice([1, 2, 3]),
                },
                "merged_into_id": None,
                "created_at": self.now - dt.timedelta(days=rng.randint(90, 2000)),
                "updated_at": self.now,
            },
        )
        for kind, value in (
            ("name", name_key(name)),
            ("domain", domain),
            ("external_id", f"CRM-{cid:07d}"),
            ("external_id", f"ACC-{cid:07d}"),
        ):
            batch.add(
                "customer_identifiers",
                {
                    "id": self._next_id("customer_identifiers"),
                    "customer_id": cid,
                    "kind": kind,
                    "value": value.lower(),
                    "source": "crm",
                },
            )
        for c in range(1 + (tier in ("platinum", "gold")) + rng.randrange(2)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            batch.add(
                "contacts",
                {
                    "id": self._next_id("contacts"),
                    "customer_id": cid,
                    "name": f"{first} {last}",
                    "email": f"{first}.{last}@{domain}".lower(),
                    "phone": f"+1-555-{rng.randrange(10**7):07d}",
                    "title": rng.choice(["CTO", "VP Operations", "Head of Procurement", "IT Manager", "COO"]),
                    "timezone": tz,
                    "is_primary": c == 0,
                    "opted_out": opt_out,
                },
            )
        self._tickets(cid, tier, rng, quiet, batch)
        first_order = len(batch.rows.get("orders", []))
        self._orders(cid, ltv, rng, quiet, batch)
        grow = sig.uniform(1.6, 2.5) if not (quiet or drop) and sig.random() < a.expansion else 1.0
        self._usage(cid, tier, rng, quiet, drop, batch, grow)
        self._signals(cid, tier, health, sig, batch.rows["orders"][first_order:], batch)
        if rng.random() < 0.3:
            batch.add(
                "notes",
                {
                    "id": self._next_id("notes"),
                    "customer_id": cid,
                    "author_slack_id": self.owners[idx % len(self.owners)],
                    "kind": rng.choice(["call", "meeting", "email", "note"]),
                    "body": rng.choice(NOTE_BODIES),
                    "created_at": self.now - dt.timedelta(days=rng.randint(50 if quiet else 1, 120)),
                },
            )
        self._renewal(cid, tier, arr, renewal, quiet or drop, idx, batch)
        if rng.random() < DUPLICATE_RATE:
            self._duplicate(cid, name, domain, tier, region, tz, ltv, rng, batch)

    def _renewal(
        self, cid: int, tier: str, arr: float, renewal: dt.date, struggling: bool, idx: int, batch: _Batch
    ) -> None:
        """Last year's renewal decision (the term that ended a year before the next renewal), linked to service
        history so the outcome figures move for a reason: a kept check-in cadence (a touch within the tier's
        cadence before the decision) and a healthy account renew and expand more often; a lapsed cadence and a
        struggling account churn more. Its own RNG stream, so every other table's rows stay as they were."""
        out = random.Random((self.seed * 1_000_003 + idx) * 11 + 5)
        decided = dt.datetime.combine(renewal - dt.timedelta(days=365), dt.time(15), dt.UTC) - dt.timedelta(
            days=out.randint(0, 20)
        )
        cadence = DEFAULT_CHECKIN_DAYS.get(tier)
        touch_at = decided - dt.timedelta(days=out.randint(1, cadence)) if cadence else None
        # A touch that would land in the last 50 days is not written: it would hide a planted silent account.
        kept = touch_at is not None and out.random() < 0.75 and touch_at < self.now - dt.timedelta(days=50)
        if kept and touch_at is not None:
            batch.add(
                "notes",
                {
                    "id": self._next_id("notes"),
                    "customer_id": cid,
                    "author_slack_id": self.owners[idx % len(self.owners)],
                    "kind": out.choice(["call", "meeting", "email"]),
                    "body": "Check-in before the renewal: " + out.choice(NOTE_BODIES),
                    "created_at": touch_at,
                },
            )
        churn = 0.03 + (0.0 if kept else 0.07) + (0.10 if struggling else 0.0)
        if tier == "platinum":
            churn *= 0.6
        churned = out.random() < churn
        if churned:
            growth, reason = 0.0, "poor support experience" if struggling else out.choice(CHURN_REASONS)
        else:
            growth = out.uniform(1.0, 1.3) if kept and not struggling else out.uniform(0.85, 1.1)
            reason = None
        before = round(arr / (growth if growth else 1.0), 2)
        batch.add(
            "renewals",
            {
                "id": self._next_id("renewals"),
                "customer_id": cid,
                "source": "crm",
                "external_id": f"REN-{cid:07d}",
                "outcome": "churned" if churned else "renewed",
                "renewal_date": renewal - dt.timedelta(days=365),
                "decided_at": decided,
                "arr_before": Decimal(str(before)),
                "arr_after": Decimal("0") if churned else Decimal(str(arr)),
                "reason": reason,
            },
        )

    def _tickets(self, cid: int, tier: str, rng: random.Random, quiet: bool, batch: _Batch) -> None:
        mean = {"platinum": 8, "gold": 5, "silver": 2.5, "bronze": 1.2}.get(tier, 1.0)
        count = _poisson(rng, mean)
        breach = rng.random() < self.anomalies.sla_breach
        complaint = rng.random() < self.anomalies.complaint
        for t in range(count + (1 if breach else 0) + (1 if complaint else 0)):
            if breach and t == 0:
                opened = self.now - dt.timedelta(hours=rng.randint(6, 96))
                prio, status, cat, sent, first, resolved = (
                    rng.choice(["P1", "P2"]),
                    "open",
                    "outage",
                    -0.3,
                    None,
                    None,
                )
            elif complaint and t == (1 if breach else 0):
                opened = self.now - dt.timedelta(hours=rng.randint(1, 48))
                prio, status, cat, sent = "P3", "open", "complaint", round(rng.uniform(-1, -0.6), 2)
                first, resolved = opened + dt.timedelta(minutes=rng.randint(5, 90)), None
            else:
                days_back = rng.randint(46 if quiet else 1, 365)
                opened = self.now - dt.timedelta(days=days_back, minutes=rng.randrange(1440))
                prio = rng.choices(["P1", "P2", "P3", "P4"], weights=(3, 12, 50, 35))[0]
                cat = rng.choice(TICKET_CATEGORIES[:-2])
                sent = round(rng.uniform(-0.4, 0.9), 2)
                first = opened + dt.timedelta(minutes=rng.randint(5, 240))
                resolved = first + dt.timedelta(hours=rng.randint(1, 72))
                status = "closed"
            batch.add(
                "tickets",
                {
                    "id": self._next_id("tickets"),
                    "customer_id": cid,
                    "source": "helpdesk",
                    "external_id": f"HD-{self._ids['tickets']:08d}",
                    "subject": f"{cat.replace('_', ' ')} report",
                    "priority": prio,
                    "status": status,
                    "category": cat,
                    "sentiment": sent,
                    "opened_at": opened,
                    "first_response_at": first,
                    "resolved_at": resolved,
                    **self._contact_counts(cid, t, tier, first, resolved),
                },
            )

    def _contact_counts(
        self, cid: int, t: int, tier: str, first: dt.datetime | None, resolved: dt.datetime | None
    ) -> dict[str, Any]:
        """What first-contact resolution reads (agent replies, a reopen), from its own RNG stream: most tickets
        are solved in one reply, higher tiers a little more often; a few solved ones come back within days."""
        fcr = random.Random((self.seed * 1_000_003 + cid) * 13 + t)
        if resolved is None:
            return {"agent_replies": 0 if first is None else 1, "reopened_at": None}
        one = fcr.random() < {"platinum": 0.75, "gold": 0.7, "silver": 0.62}.get(tier, 0.55)
        reopened = resolved + dt.timedelta(days=fcr.randint(1, 10)) if fcr.random() < 0.08 else None
        return {
            "agent_replies": 1 if one else fcr.randint(2, 5),
            "reopened_at": reopened if reopened is not None and reopened < self.now else None,
        }

    def _orders(self, cid: int, ltv: float, rng: random.Random, quiet: bool, batch: _Batch) -> None:
        count = 2 + _poisson(rng, 3)
        overdue = rng.random() < self.anomalies.overdue
        for o in range(count):
            ordered = self.now - dt.timedelta(days=rng.randint(50 if quiet else 1, 365))
            if overdue and o == 0:
                ordered = (
                    self.now - dt.timedelta(days=rng.randint(60, 120))
                    if quiet
                    else self.now - dt.timedelta(days=rng.randint(45, 90))
                )
            due = ordered + dt.timedelta(days=30)
            is_overdue = overdue and o == 0
            batch.add(
                "orders",
                {
                    "id": self._next_id("orders"),
                    "customer_id": cid,
                    "source": "erp",
                    "external_id": f"SO-{self._ids['orders']:08d}",
                    "amount": Decimal(str(round(ltv / 40 * rng.uniform(0.3, 1.7), 2))),
                    "currency": "USD",
                    "status": "overdue" if is_overdue else "paid",
                    "ordered_at": ordered,
                    "due_at": due,
                    "paid_at": None if is_overdue else due - dt.timedelta(days=rng.randint(0, 25)),
                },
            )

    def _usage(
        self, cid: int, tier: str, rng: random.Random, quiet: bool, drop: bool, batch: _Batch, grow: float = 1.0
    ) -> None:
        days = USAGE_DAYS.get(tier, 14)
        base = max(1, int(rng.lognormvariate(3, 1)))
        for d in range(days):
            if quiet and d < 45:
                continue  # gone quiet: nothing in the last 45 days
            qty = base
            if drop and d < 7:
                qty = max(0, int(base * rng.uniform(0.1, 0.4)))
            qty = max(0, int(qty * rng.uniform(0.8, 1.2)))
            if d < 7:
                qty = int(qty * grow)  # expansion: the last week well above the weeks before
            batch.add(
                "usage_events",
                {
                    "id": self._next_id("usage_events"),
                    "customer_id": cid,
                    "day": self.now.date() - dt.timedelta(days=d + 1),
                    "metric": "active_users",
                    "quantity": qty,
                },
            )

    def _signals(
        self, cid: int, tier: str, health: int, sig: random.Random, orders: list[dict[str, Any]], batch: _Batch
    ) -> None:
        """Contact changes, survey answers, shipments and health snapshots, with their planted anomalies."""
        a, now, today = self.anomalies, self.now, self.now.date()
        high_touch = tier in ("platinum", "gold", "silver")
        # Contact changes: champions and sponsors joined long ago; a few left recently; users come and go.
        if high_touch:
            for role in ("champion", "executive_sponsor"):
                self._add(
                    batch,
                    "contact_changes",
                    cid,
                    "CRM-CC",
                    role=role,
                    change="joined",
                    title=sig.choice(["VP Operations", "CTO", "Head of Procurement", "COO"]),
                    changed_at=now - dt.timedelta(days=sig.randint(200, 900)),
                )
            if sig.random() < a.champion_left:
                self._add(
                    batch,
                    "contact_changes",
                    cid,
                    "CRM-CC",
                    role=sig.choice(["champion", "executive_sponsor"]),
                    change="left",
                    title=sig.choice(["VP Operations", "CTO", "COO"]),
                    changed_at=now - dt.timedelta(days=sig.randint(1, 25), hours=sig.randrange(24)),
                )
            elif sig.random() < 0.05:
                self._add(
                    batch,
                    "contact_changes",
                    cid,
                    "CRM-CC",
                    role="user",
                    change="left",
                    title="Analyst",
                    changed_at=now - dt.timedelta(days=sig.randint(1, 60)),
                )
        # NPS answers: about a third of customers answered in the last four months, mostly promoters.
        if sig.random() < 0.35 or tier in ("platinum", "gold"):
            for _ in range(sig.randint(1, 3)):
                self._add(
                    batch,
                    "survey_responses",
                    cid,
                    "NPS",
                    survey="nps",
                    score=sig.choices(range(11), weights=(1, 1, 1, 1, 1, 2, 3, 8, 12, 14, 12))[0],
                    comment=None,
                    responded_at=now - dt.timedelta(days=sig.randint(15, 120), hours=sig.randrange(24)),
                )
        if sig.random() < a.detractor:
            self._add(
                batch,
                "survey_responses",
                cid,
                "NPS",
                survey="nps",
                score=sig.randint(0, 6),
                comment=sig.choice(SURVEY_COMMENTS),
                responded_at=now - dt.timedelta(days=sig.randint(0, 9), hours=sig.randrange(1, 20)),
            )
        # Shipments: hardware customers' orders of the last two months, promised 5-12 days after the order.
        if sig.random() < 0.4:
            late = sig.random() < a.shipment_delay
            for order in orders:
                ordered = order["ordered_at"]
                if now - ordered > dt.timedelta(days=60):
                    continue
                promised = ordered + dt.timedelta(days=sig.randint(5, 12))
                row: dict[str, Any] = {
                    "order_external_id": order["external_id"],
                    "carrier": sig.choice(CARRIERS),
                    "promised_at": promised,
                }
                if promised < now:
                    arrived = promised - dt.timedelta(hours=sig.randint(0, 72))
                    row.update(
                        status="delivered",
                        shipped_at=ordered + dt.timedelta(days=1),
                        delivered_at=min(arrived, now - dt.timedelta(hours=1)),
                    )
                else:
                    row.update(status="shipped", shipped_at=min(ordered + dt.timedelta(days=1), now), delivered_at=None)
                self._add(batch, "shipments", cid, "SHP", **row)
            if late:
                ordered = now - dt.timedelta(days=sig.randint(12, 25))
                self._add(
                    batch,
                    "shipments",
                    cid,
                    "SHP",
                    order_external_id=f"SO-LATE-{cid:07d}",
                    carrier=sig.choice(CARRIERS),
                    status=sig.choice(["shipped", "pending"]),
                    promised_at=now - dt.timedelta(days=sig.randint(3, 12), hours=sig.randrange(24)),
                    shipped_at=ordered + dt.timedelta(days=2),
                    delivered_at=None,
                )
        # Health snapshots, weekly for nine weeks; the latest is the customer's health score.
        if high_touch:
            dropped = sig.random() < a.health_drop
            fall = sig.randint(16, 35) if dropped else 0
            weak = sig.sample(HEALTH_PARTS, 2)
            for week in range(9):
                day = today - dt.timedelta(days=7 * week)
                shift = fall if week >= 5 else fall * week // 5  # the fall began five weeks ago
                score = max(0, min(100, health + shift + (sig.randint(-3, 3) if week else 0)))
                parts = {p: max(0, min(100, score + sig.randint(-8, 8))) for p in HEALTH_PARTS}
                if dropped and week < 5:
                    for p in weak:
                        parts[p] = max(0, parts[p] - (fall * (5 - week)) // 3)
                self._add(batch, "health_scores", cid, None, day=day, score=score, **parts)

    def _add(self, batch: _Batch, table: str, cid: int, prefix: str | None, **values: Any) -> None:
        row_id = self._next_id(table)
        row: dict[str, Any] = {"id": row_id, "customer_id": cid, "source": SIGNAL_SOURCES[table], **values}
        if prefix is not None:
            row["external_id"] = f"{prefix}-{row_id:08d}"
        batch.add(table, row)

    def _duplicate(
        self,
        cid: int,
        name: str,
        domain: str,
        tier: str,
        region: str,
        tz: str,
        ltv: float,
        rng: random.Random,
        batch: _Batch,
    ) -> None:
        """The same company as another system recorded it: a separate row that must be merged."""
        dup_id = self.n + cid  # disjoint from primary ids, deterministic
        variant = _variant(name, rng)
        ext = f"HD-ORG-{cid:07d}"
        batch.add(
            "customers",
            {
                "id": dup_id,
                "name": variant,
                "domains": [domain] if rng.random() < 0.8 else [],
                "external_ids": {"helpdesk": ext},
                "tier": tier,
                "segment": "unknown",
                "region": region,
                "timezone": tz,
                "lifetime_value": Decimal("0"),
                "arr": Decimal("0"),
                "renewal_date": None,
                "health_score": 70,
                "owner_slack_id": None,
                "consent_outreach": True,
                "consent_marketing": False,
                "consent_data_processing": True,
                "comm_preferences": {},
                "merged_into_id": None,
                "created_at": self.now - dt.timedelta(days=rng.randint(10, 400)),
                "updated_at": self.now,
            },
        )
        batch.add(
            "customer_identifiers",
            {
                "id": self._next_id("customer_identifiers"),
                "customer_id": dup_id,
                "kind": "name",
                "value": name_key(variant),
                "source": "helpdesk",
            },
        )
        batch.add(
            "customer_identifiers",
            {
                "id": self._next_id("customer_identifiers"),
                "customer_id": dup_id,
                "kind": "external_id",
                "value": ext.lower(),
                "source": "helpdesk",
            },
        )
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        batch.add(
            "contacts",
            {
                "id": self._next_id("contacts"),
                "customer_id": dup_id,
                "name": f"{first} {last}",
                "email": f"{first}.{last}@{domain}".lower(),
                "phone": None,
                "title": None,
                "timezone": tz,
                "is_primary": True,
                "opted_out": False,
            },
        )
        batch.add("demo_planted_duplicates", {"customer_id": dup_id, "duplicate_of": cid})


SURVEY_COMMENTS = (
    "Support takes too long to answer.",
    "The last release broke our integration.",
    "Billing keeps getting our invoices wrong.",
    None,
)
CARRIERS = ("DHL", "UPS", "FedEx", "DB Schenker", "Maersk")
HEALTH_PARTS = ("usage", "support", "engagement", "sentiment", "payment")
SIGNAL_SOURCES = {
    "contact_changes": "crm",
    "survey_responses": "surveys",
    "shipments": "logistics",
    "health_scores": "cs_platform",
}

NOTE_BODIES = (
    "Quarterly business review held; exec sponsor happy with uptime, wants roadmap preview.",
    "Procurement asked about multi-year pricing; flagged to deal desk.",
    "Champion leaving the company next month; need new executive sponsor.",
    "Customer asked for expedited shipping on the Q3 hardware order.",
    "Escalated outage follow-up; RCA shared, customer accepted service credit.",
    "Onboarding kickoff done; success plan agreed with 3 milestones.",
)


def _default_tier(ltv: float) -> str:
    for tier, threshold in DEFAULT_TIER_THRESHOLDS:
        if ltv >= threshold:
            return tier
    return "bronze"


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


TABLE_ORDER = (
    "customers",
    "customer_identifiers",
    "contacts",
    "tickets",
    "orders",
    "usage_events",
    "notes",
    "contact_changes",
    "survey_responses",
    "shipments",
    "health_scores",
    "renewals",
    "demo_planted_duplicates",
)


def load(
    engine: Engine, generator: DemoGenerator, on_batch: Callable[[GenerationStats], None] | None = None
) -> GenerationStats:
    """Stream the generator into the database: one transaction per batch, Core bulk inserts."""
    tables: dict[str, Table] = {t: m.Base.metadata.tables[t] for t in TABLE_ORDER}
    stats = GenerationStats(rows={t: 0 for t in TABLE_ORDER})
    started = time.perf_counter()
    for batch in generator.customers():
        with engine.begin() as conn:
            for name in TABLE_ORDER:
                rows = batch.rows.get(name)
                if rows:
                    conn.execute(insert(tables[name]), rows)
                    stats.rows[name] += len(rows)
        stats.seconds = time.perf_counter() - started
        if on_batch:
            on_batch(stats)
    _advance_sequences(engine, [tables[name] for name in TABLE_ORDER])
    stats.seconds = time.perf_counter() - started
    return stats


def _advance_sequences(engine: Engine, tables: list[Table]) -> None:
    """The generator writes explicit ids; PostgreSQL's sequences must move past them, or the application's
    next insert into the same table collides with a demo row (SQLite picks max(id) + 1 by itself)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables:
            if "id" not in table.c or not table.c.id.autoincrement:
                continue
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM "
                    + engine.dialect.identifier_preparer.quote(table.name)
                ),
                {"t": table.name},
            )
