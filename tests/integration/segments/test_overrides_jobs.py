"""Tier overrides through approvals, the jobs (untiered customers after a sync, the yearly review), and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from typer.testing import CliRunner

from bot.approvals.models import APPROVED, ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft, ValidationFailed
from bot.commands.common import UserError
from bot.segments import jobs
from bot.segments.models import TierMove, TierPromise
from bot.segments.overrides import apply_approved_overrides, end_promises, pending_overrides
from bot.services import Services
from bot.store.models import AuditEvent, Customer
from bot.sync import service
from bot.sync.config import SourceSpec, Vocabulary
from bot.sync.models import Untiered

from .conftest import REPO, Clock


def _request(engine: Engine, rid: int, cid: int, terms: str, state: str = APPROVED) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(ApprovalRequest).values(
                id=rid,
                request_type="tier_override",
                customer_id=cid,
                customer_name=f"Customer {cid}",
                justification="strategic expansion deal this half",
                requester="U0AMGOLD",
                rule="segmentation-override",
                policy_version="v",
                steps=[],
                state=state,
                terms=terms,
                created_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
            )
        )


def _tier(engine: Engine, cid: int) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(Customer.tier).where(Customer.id == cid)))


def test_an_approved_override_serves_the_tier_until_its_end_then_placement(services: Services) -> None:
    engine = services.engine
    _request(engine, 1, 14, "platinum until 2026-06-30")  # customer 14 is placed silver
    _request(engine, 2, 2, "diamond until 2026-03-01")  # no such tier any more: refused, never guessed
    _request(engine, 3, 5, "bronze until 2026-03-01", state="pending")  # not approved: untouched
    outcomes = {o.request_id: o for o in apply_approved_overrides(services)}
    assert set(outcomes) == {1, 2}
    assert outcomes[1].applied and outcomes[1].detail == "silver -> platinum until 2026-06-30"
    assert not outcomes[2].applied and "'diamond' is not a tier in tiers.yaml" in outcomes[2].detail
    assert _tier(engine, 14) == "platinum" and _tier(engine, 2) == "silver"
    assert pending_overrides(services) == []  # applied (or refused) once
    assert apply_approved_overrides(services) == []
    with engine.connect() as conn:
        promise = conn.execute(select(TierPromise)).one()
        events = dict(conn.execute(select(AuditEvent.action, AuditEvent.subject_id)).all())
    assert (promise.kind, promise.tier, promise.placed_tier, promise.request_id) == (
        "override",
        "platinum",
        "silver",
        1,
    )
    assert events["segment.override_applied"] == "14" and events["segment.override_refused"] == "2"
    # the review holds it while the override lasts
    from bot.segments.review import review

    held = review(engine, services.policies, dt.date(2026, 2, 1))
    assert held.counts["held"] == 1
    assert end_promises(services, dt.date(2026, 7, 1)) == 1
    assert _tier(engine, 14) == "silver"


def test_a_tier_override_request_is_checked_when_made(services: Services) -> None:
    draft = RequestDraft(
        request_type="tier",
        customer="Customer 14",
        requester="U0AMGOLD",
        justification="strategic expansion deal this half",
        terms="platinum until 2027-06-30",
    )
    with pytest.raises(ValidationFailed) as info:
        submit_request(services, draft)
    assert info.value.errors["terms"].startswith("an override lasts at most 183 days")
    ok = submit_request(services, RequestDraft(**{**draft.__dict__, "terms": "platinum until 2026-06-30"}))
    assert ok.state == "pending" and ok.rule == "segmentation-override"
    assert ok.step_names == ("Operations analyst", "CS leadership")


def test_customers_a_sync_creates_without_a_tier_are_placed_by_the_job(services: Services, tmp_path: Path) -> None:
    engine = services.engine
    path = tmp_path / "accounts.csv"
    path.write_text("id,name,arr\nN1,New One,300000\nN2,New Two,\n")
    spec = SourceSpec(
        name="crm",
        kind="csv",
        entity="customer",
        path=str(path),
        mapping={"external_id": "id", "name": "name", "arr": "arr"},
    )
    vocab = Vocabulary.of(services.policies.tiers, services.policies.roles)
    assert service.sync_source(engine, spec, full=True, vocabulary=vocab).untiered == 2
    assert jobs.place_untiered(services) == 2
    with engine.connect() as conn:
        assert dict(conn.execute(select(Customer.name, Customer.tier).where(Customer.name.like("New%"))).all()) == {
            "New One": "platinum",
            "New Two": "bronze",  # no value at all: kept where the sync put it, reported as unplaceable
        }
        assert conn.scalar(select(func.count()).select_from(Untiered)) == 0
    assert jobs.place_untiered(services) == 0


def test_the_yearly_review_is_posted_once_from_its_date(services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, Clock)
    clock.now = dt.datetime(2026, 1, 14, 9, tzinfo=dt.UTC)
    assert not jobs.yearly_review(services)  # the review date is 15 January
    clock.now = dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
    assert jobs.yearly_review(services)
    assert not jobs.yearly_review(services)
    ((_, post),) = services.notifier.sent  # type: ignore[attr-defined]
    assert post.channel == "C0CSLEADS"
    assert "Segmentation review: proposed tier moves as of 2026-01-15: 9 of 14 customers" in post.text
    assert _tier(services.engine, 1) == "gold"  # proposed, not applied: CS leadership signs off first
    with services.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TierMove)) == 0


def test_cli_segment(book: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", book.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PLAYBOOKS_DIR", str(REPO / "playbooks"))
    runner = CliRunner()
    out = runner.invoke(app, ["segment", "--as-of", "2026-01-15", "--csv", str(tmp_path / "m.csv")])
    assert out.exit_code == 0, out.output
    assert "14 customers placed as of 2026-01-15: 9 would move" in out.output
    assert "1 move down at renewal (promises kept until then)" in out.output
    assert "Largest moves (of 9):" in out.output and "Owner impact:" in out.output
    assert (tmp_path / "m.csv").read_text().count("\n") == 11  # header, 9 moves, the unplaceable customer
    bad = runner.invoke(app, ["segment", "--as-of", "15/01/2026"])
    # the console script turns a UserError into one line and exit code 2 (bot.cli main); Typer's runner raises it
    assert isinstance(bad.exception, UserError) and "is not a date" in str(bad.exception)
    applied = runner.invoke(app, ["segment", "--as-of", "2026-01-15", "--apply", "--as", "U0OPSANL"])
    assert applied.exit_code == 0 and "applied: run #" in applied.output
    assert _tier(book, 1) == "platinum"
