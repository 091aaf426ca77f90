"""The segmentation review on a planted book, SQLite and PostgreSQL: every case placed as tier-definitions.md says,
equal to a hand-written SQL placement, applied set-based with its promises, audit event and digest."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.governance.audit import verify
from bot.policies import Policies
from bot.segments.models import SegmentRun, TierMove, TierPromise
from bot.segments.overrides import end_promises
from bot.segments.placement import MOVES
from bot.segments.present import text_report
from bot.segments.review import review
from bot.services import Services
from bot.store.db import make_session_factory
from bot.store.models import AuditEvent, Customer, Order

from .conftest import AS_OF, CUSTOMERS, EXPECTED, hand_written_placement


def _tiers(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Customer.id, Customer.tier)).all())  # type: ignore[arg-type]


def test_every_planted_case_is_placed_as_the_playbook_says(book: Engine, policies: Policies, tmp_path: Path) -> None:
    before = _tiers(book)
    result = review(book, policies, AS_OF, csv_path=tmp_path / "moves.csv")
    assert _tiers(book) == before  # a proposal changes nothing
    with (tmp_path / "moves.csv").open() as fh:
        rows = {int(r["customer_id"]): r for r in csv.DictReader(fh)}
    assert {cid: (r["action"], r["to_tier"]) for cid, r in rows.items()} == EXPECTED
    assert result.customers == len(CUSTOMERS) - 1  # the merged duplicate is not placed
    assert result.moves == 9 and result.counts["unplaceable"] == 1
    assert rows[3]["kept_until"] == "2026-06-30" and rows[4]["kept_until"] == ""
    assert result.unpriced == {"CHF": 1}
    # by how much: the closer of its two measures (LTV 100k of 250k is nearer than ARR 20k of 75k)
    assert rows[3]["why"] == (
        "LTV $100,000, ARR $20,000: 60% below gold (LTV needs $250,000); keeps gold promises until renewal 2026-06-30"
    )
    assert rows[6]["why"] == "LTV $10,000, ARR $80,000 (12 months of orders): +7% over gold's ARR $75,000"
    assert rows[15]["why"].endswith("+0% over gold's LTV $250,000")
    report = text_report(result, policies)
    assert "1 order in CHF not counted: add CHF to exchange_rates in tiers.yaml" in report
    assert "Owners not in roles.yaml: U0NOBODY" in report  # customer 15 moves in a book nobody in roles.yaml holds
    assert "Customer 13" in report  # the unplaceable customer is named


def test_moves_equal_a_hand_written_placement(book: Engine, policies: Policies, tmp_path: Path) -> None:
    result = review(book, policies, AS_OF, csv_path=tmp_path / "moves.csv")
    with (tmp_path / "moves.csv").open() as fh:
        proposed = {int(r["customer_id"]): r["to_tier"] for r in csv.DictReader(fh) if r["action"] in MOVES}
    stored = _tiers(book)
    by_hand = hand_written_placement(book, policies, AS_OF)
    with book.connect() as conn:
        no_value = {
            cid
            for (cid,) in conn.execute(
                select(Customer.id).where(
                    Customer.lifetime_value == 0, Customer.arr == 0, Customer.merged_into_id.is_(None)
                )
            )
        }
        with_orders = {cid for (cid,) in conn.execute(select(Order.customer_id).distinct())}
    expected = {
        cid: t for cid, t in by_hand.items() if t != stored[cid] and not (cid in no_value and cid not in with_orders)
    }
    assert proposed == expected  # 0 differences
    assert result.moves == len(expected)


def test_apply_moves_keeps_promises_and_is_audited(services: Services) -> None:
    engine, policies = services.engine, services.policies
    result = review(engine, policies, AS_OF, apply=True, actor="U0OPSANL")
    tiers = _tiers(engine)
    assert tiers[1] == "platinum" and tiers[2] == "gold" and tiers[4] == "silver" and tiers[12] == "platinum"
    assert tiers[3] == "gold"  # down at renewal: served gold until 2026-06-30
    assert tiers[13] == "bronze"  # unplaceable: kept
    with engine.connect() as conn:
        promise = conn.execute(select(TierPromise)).one()
        moves = conn.execute(select(TierMove.customer_id, TierMove.action).order_by(TierMove.customer_id)).all()
        run = conn.execute(select(SegmentRun)).one()
        event = conn.execute(select(AuditEvent).where(AuditEvent.action == "segment.applied")).one()
    assert (promise.customer_id, promise.tier, promise.placed_tier, promise.until) == (
        3,
        "gold",
        "silver",
        dt.date(2026, 6, 30),
    )
    assert {cid: a for cid, a in moves} == {cid: a for cid, (a, _) in EXPECTED.items() if a != "unplaceable"}
    lines = "".join(
        f"{cid}|{a}|{dict((c[0], c[1]) for c in CUSTOMERS)[cid]}|{t}|{'2026-06-30' if a == 'down_kept' else ''}\n"
        for cid, (a, t) in sorted(EXPECTED.items())
        if a in MOVES
    )
    assert run.digest == result.digest == hashlib.sha256(lines.encode()).hexdigest()
    assert event.actor == "U0OPSANL" and event.details["moves_sha256"] == result.digest
    assert event.details["counts"]["down_kept"] == 1
    with make_session_factory(engine)() as s:
        assert verify(s).ok
    # a second review proposes nothing more: the promise is already scheduled
    again = review(engine, policies, AS_OF)
    assert again.moves == 0 and dict(again.counts) == {"unplaceable": 1}


def test_a_kept_promise_ends_at_its_renewal(services: Services) -> None:
    engine = services.engine
    review(engine, services.policies, AS_OF, apply=True)
    assert end_promises(services, dt.date(2026, 6, 30)) == 0  # the renewal day itself is still promised
    assert end_promises(services, dt.date(2026, 7, 1)) == 1
    assert _tiers(engine)[3] == "silver"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TierPromise)) == 0
        assert conn.execute(select(TierMove.action).where(TierMove.customer_id == 3)).scalars().all() == [
            "down_kept",
            "expiry",
        ]


def test_placement_back_at_the_served_tier_ends_the_promise(services: Services) -> None:
    engine = services.engine
    review(engine, services.policies, AS_OF, apply=True)
    with engine.begin() as conn:
        conn.execute(Customer.__table__.update().where(Customer.id == 3).values(arr=80_000))
    result = review(engine, services.policies, AS_OF, apply=True)
    assert result.counts["end_promise"] == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TierPromise)) == 0
    assert _tiers(engine)[3] == "gold"
