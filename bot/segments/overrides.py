"""Approved tier overrides applied, and promises ended when their day has passed.

An approved ``tier_override`` request (terms ``platinum until 2026-06-30``, checked when it was made) serves its
customer at that tier until the end date: ``customers.tier`` takes the tier, an ``override`` promise remembers the
tier placement gives the customer meanwhile, and the move is recorded under the request's id, which is also what
makes it applied once. A request whose terms no longer hold when it is approved (the tier was removed, the end
passed while it waited) is recorded as refused and said in the audit trail, never applied at a guess.

When a promise's last day has passed (a review's kept promise at its renewal, an override at its end), the customer
moves to the tier it was placed in, set-based for all of them at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, Table, delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from bot.approvals.models import APPROVED, AUTO_APPROVED, ApprovalRequest
from bot.governance import audit
from bot.policies import Policies
from bot.policies.tiers import parse_override
from bot.segments.models import OVERRIDE, SegmentRun, TierMove, TierPromise
from bot.segments.placement import placement_query
from bot.services import Services
from bot.store.models import Customer, UTCDateTime, utcnow

log = logging.getLogger(__name__)
RUNS: Table = SegmentRun.__table__  # type: ignore[assignment]
MOVES: Table = TierMove.__table__  # type: ignore[assignment]
PROMISES: Table = TierPromise.__table__  # type: ignore[assignment]
CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
REQUESTS: Table = ApprovalRequest.__table__  # type: ignore[assignment]
APPLIED, REFUSED, EXPIRED = "override", "override_refused", "expiry"


@dataclass(frozen=True)
class OverrideOutcome:
    request_id: int
    customer_id: int
    applied: bool
    detail: str  # "gold -> platinum until 2026-06-30", or why it was refused


def pending_overrides(services: Services) -> list[int]:
    """Approved tier-override requests not yet applied (or refused)."""
    done = exists().where(MOVES.c.request_id == REQUESTS.c.id)
    with services.engine.connect() as conn:
        return list(
            conn.scalars(
                select(REQUESTS.c.id)
                .where(
                    REQUESTS.c.request_type == "tier_override",
                    REQUESTS.c.state.in_((APPROVED, AUTO_APPROVED)),
                    REQUESTS.c.customer_id.is_not(None),
                    ~done,
                )
                .order_by(REQUESTS.c.id)
            )
        )


def apply_override(services: Services, request_id: int, actor: str = "system:segment.override") -> OverrideOutcome:
    policies = services.policies
    today = services.clock().date()
    with services.engine.begin() as conn:
        req = conn.execute(
            select(REQUESTS.c.customer_id, REQUESTS.c.terms, REQUESTS.c.decided_by).where(REQUESTS.c.id == request_id)
        ).one()
        cid = int(req.customer_id)
        served = conn.scalar(select(CUSTOMERS.c.tier).where(CUSTOMERS.c.id == cid)) or ""
        parsed = parse_override(req.terms or "", policies.tiers, today)
        placed_row = conn.execute(placement_query(policies.tiers, today, only=[cid])).first()
        placed = str(placed_row.placed) if placed_row is not None else served  # no row: placement agrees
        run_id = _run(conn, policies, today, actor, APPLIED if not isinstance(parsed, str) else REFUSED)
        if isinstance(parsed, str):
            outcome = OverrideOutcome(request_id, cid, False, parsed)
            _move(conn, run_id, cid, REFUSED, served, served, None, request_id)
        else:
            tier, until = parsed
            conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id == cid).values(tier=tier, updated_at=utcnow()))
            conn.execute(delete(PROMISES).where(PROMISES.c.customer_id == cid))
            conn.execute(
                insert(PROMISES).values(
                    customer_id=cid,
                    kind=OVERRIDE,
                    tier=tier,
                    placed_tier=placed,
                    until=until,
                    run_id=run_id,
                    request_id=request_id,
                    created_at=utcnow(),
                )
            )
            _move(conn, run_id, cid, APPLIED, served, tier, until, request_id)
            outcome = OverrideOutcome(request_id, cid, True, f"{served} -> {tier} until {until.isoformat()}")
        with Session(bind=conn) as session:
            audit.record(
                session,
                actor,
                "segment.override_applied" if outcome.applied else "segment.override_refused",
                "customer",
                cid,
                {"request_id": request_id, "detail": outcome.detail, "placed_tier": placed, "run_id": run_id},
            )
    log.info("tier override #%s for customer %s: %s", request_id, cid, outcome.detail)
    return outcome


def apply_approved_overrides(services: Services) -> list[OverrideOutcome]:
    return [apply_override(services, rid) for rid in pending_overrides(services)]


def end_promises(services: Services, today: dt.date | None = None, actor: str = "system:segment.promises") -> int:
    """Customers whose promise's last day is before ``today`` move to their placed tier (set-based); returns how
    many."""
    policies = services.policies
    today = today or services.clock().date()
    due = select(PROMISES.c.customer_id).where(PROMISES.c.until < today)
    with services.engine.begin() as conn:
        n = len(conn.scalars(due).all())
        if not n:
            return 0
        run_id = _run(conn, policies, today, actor, EXPIRED, customers=n)
        conn.execute(
            insert(MOVES).from_select(
                ["run_id", "customer_id", "action", "from_tier", "to_tier", "kept_until", "request_id"],
                select(
                    literal(run_id),
                    PROMISES.c.customer_id,
                    literal(EXPIRED),
                    PROMISES.c.tier,
                    PROMISES.c.placed_tier,
                    PROMISES.c.until,
                    PROMISES.c.request_id,
                ).where(PROMISES.c.until < today),
            )
        )
        conn.execute(
            update(CUSTOMERS)
            .where(CUSTOMERS.c.id.in_(due))
            .values(
                tier=select(PROMISES.c.placed_tier).where(PROMISES.c.customer_id == CUSTOMERS.c.id).scalar_subquery(),
                updated_at=literal(utcnow(), type_=UTCDateTime()),
            )
        )
        conn.execute(delete(PROMISES).where(PROMISES.c.until < today))
        with Session(bind=conn) as session:
            audit.record(
                session, actor, "segment.promises_ended", "segment_run", run_id, {"customers": n, "as_of": str(today)}
            )
    return n


def _run(conn: Connection, policies: Policies, as_of: dt.date, actor: str, kind: str, customers: int = 1) -> int:
    return int(
        conn.execute(
            insert(RUNS).returning(RUNS.c.id),
            {
                "kind": kind,
                "as_of": as_of,
                "applied": True,
                "actor": actor,
                "policy_version": policies.version,
                "customers": customers,
                "counts": {kind: customers},
                "started_at": utcnow(),
                "finished_at": utcnow(),
            },
        ).scalar_one()
    )


def _move(
    conn: Connection,
    run_id: int,
    cid: int,
    action: str,
    from_tier: str,
    to_tier: str,
    until: dt.date | None,
    request_id: int | None,
) -> None:
    conn.execute(
        insert(MOVES).values(
            run_id=run_id,
            customer_id=cid,
            action=action,
            from_tier=from_tier,
            to_tier=to_tier,
            kept_until=until,
            request_id=request_id,
        )
    )
