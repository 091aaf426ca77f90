"""Maintainers' boost / demote / hide, thumbs with a reason, the feedback report and the owners' weekly DM."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select

from bot.ask.feedback import (
    FeedbackError,
    add_reason,
    overrides,
    parse_passage,
    passage_key,
    record_feedback,
    rerank,
    set_override,
)
from bot.ask.models import Feedback, PassageFeedback
from bot.ask.report import maintainer_report, passage_report, send_owner_digests
from bot.ask.service import AskService
from bot.models import metadata
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.models import AuditEvent

from .conftest import NOW, PASSAGES, Clock

RESET = "How do I reset a customer password?"
TOP, SECOND, DISCOUNT = (passage_key(p.path, p.heading_path) for p in PASSAGES)


def _decide(services: Services, key: str, action: str | None, who: str = "U0KBOWNER") -> str | None:
    with services.sessions() as s, s.begin():
        return set_override(s, key, action, who, "test", NOW)


def test_hidden_passage_is_never_cited_and_unhide_restores_it(services: Services) -> None:
    ask = AskService(services)
    assert ask.answer(RESET, "U0SUPAGT1", "C0SUPPORT").citations[0].path == "service/password-reset.md"
    _decide(services, TOP, "hide")
    hidden = ask.answer(RESET, "U0SUPAGT1", "C0SUPPORT")
    assert hidden.citations and all(passage_key(c.path, c.heading_path) != TOP for c in hidden.citations)
    assert _decide(services, TOP, None) == "hide"
    assert ask.answer(RESET, "U0SUPAGT1", "C0SUPPORT").citations[0].path == "service/password-reset.md"
    with services.sessions() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.details).where(
                AuditEvent.action.like("ask.passage_%"), AuditEvent.action != "ask.passage_feedback"
            )
        ).all()
    assert [(a, who) for a, who, _ in events] == [("ask.passage_hide", "U0KBOWNER"), ("ask.passage_unset", "U0KBOWNER")]
    assert events[1][2]["before"] == "hide" and events[1][2]["passage"] == TOP


def test_boost_outranks_retrieval_and_votes_demote_goes_last(services: Services) -> None:
    # The discounts passage scores half the top one: farther than any vote could move it. A boost is a decision.
    _decide(services, DISCOUNT, "boost")
    with services.sessions() as s:
        order = rerank(s, RESET, PASSAGES)
    assert [passage_key(p.path, p.heading_path) for p in order] == [DISCOUNT, TOP, SECOND]
    _decide(services, TOP, "demote")
    with services.sessions() as s:
        order = rerank(s, RESET, PASSAGES)
        assert overrides(s) == {DISCOUNT: "boost", TOP: "demote"}
        assert overrides(s, [SECOND]) == {}
    assert [passage_key(p.path, p.heading_path) for p in order] == [DISCOUNT, SECOND, TOP]
    # Applied by the ask service at once: the next answer leads with the boosted passage.
    answer = AskService(services).answer(RESET, "U0SUPAGT2", "C0SUPPORT")
    assert answer.citations[0].path == "commercial/discounts.md"


def test_passage_names_are_checked(services: Services) -> None:
    assert parse_passage(" service/password-reset.md#Password reset>Self service ") == TOP
    with pytest.raises(FeedbackError):
        parse_passage("service/password-reset.md")
    with services.sessions() as s, pytest.raises(FeedbackError, match="boost, demote, hide"):
        set_override(s, TOP, "bury", "U0KBOWNER")


def test_thumbs_down_with_reason_reaches_report_and_weekly_dm_once(
    services: Services, notifier: RecordingNotifier, clock: Clock
) -> None:
    ask = AskService(services)
    services.index.confidence = 0.9  # type: ignore[attr-defined]
    answered = ask.answer(RESET, "U0SUPAGT1", "C0SUPPORT")
    services.index.passages = []  # type: ignore[attr-defined]
    unanswered = ask.answer("What is the holiday rota for the Lisbon office?", "U0SUPAGT2", "C0SUPPORT")
    assert not unanswered.answered and unanswered.owner == "S0PLAYBOOKS"
    with services.sessions() as s, s.begin():
        assert record_feedback(s, int(answered.question_id or 0), "U0SUPAGT1", helpful=False)
        assert record_feedback(s, int(answered.question_id or 0), "U0SUPAGT1", helpful=False)  # once per user
        assert add_reason(s, int(answered.question_id or 0), "U0SUPAGT1", "  Sends agents to the\nold console ")
        assert not record_feedback(s, 999_999, "U0SUPAGT1", helpful=True)
        assert s.scalar(select(Feedback.comment)) == "Sends agents to the old console"
        assert len(s.scalars(select(PassageFeedback)).all()) == 1
    stats = passage_report(services, NOW - dt.timedelta(days=7))
    assert [(p.passage, p.up, p.down) for p in stats] == [(TOP, 0, 1)]
    reports = {r.owner: r for r in maintainer_report(services, NOW - dt.timedelta(days=7))}
    assert reports["S0PLAYBOOKS"].unanswered == ["What is the holiday rota for the Lisbon office?"]
    down = next(r for r in reports.values() if r.unhelpful)
    assert down.reasons == [(RESET, "Sends agents to the old console")]

    sent = send_owner_digests(services)
    members = set(services.policies.group("S0PLAYBOOKS").members)  # type: ignore[union-attr]
    dms = {ref.channel: msg.text for ref, msg in notifier.sent}
    assert sent == len(dms) and members <= set(dms)
    assert all("holiday rota" in dms[m] for m in members)
    # Same week: nothing again, even from a restarted process. Next week: sent again.
    assert send_owner_digests(services) == 0
    clock.advance(days=7)
    services.index.passages = list(PASSAGES)  # type: ignore[attr-defined]
    ask.answer("What is the holiday rota for the Porto office?", "U0SUPAGT2", "C0SUPPORT")
    assert send_owner_digests(services) >= len(members)


def test_overrides_migration_matches_model(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if "ask_passage_overrides" in repr(d)]
    assert diffs == []
