"""A thumbs-down on an answer demotes its passage for similar questions (and only for similar ones)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ask.feedback import MAX_ADJUST, adjust, passage_key, qkey, vote
from bot.ask.models import PassageFeedback, QuestionAnswer
from bot.ask.service import AskService
from bot.services import Services
from bot.store.models import AuditEvent

from .conftest import PASSAGES


def test_thumbs_down_demotes_the_passage_for_similar_questions(services: Services) -> None:
    ask = AskService(services)
    first = ask.answer("How do I reset a customer password?", "U0SUPAGT1", "C0SUPPORT")
    assert first.citations[0].path == "service/password-reset.md"
    with services.sessions() as s, s.begin():
        given = s.get(QuestionAnswer, first.question_id)
        assert given is not None and given.cited[0].startswith("service/password-reset.md#")
        assert vote(s, int(first.question_id or 0), "U0SUPAGT1", helpful=False) >= 1
    # A paraphrase: same content words give the same key family.
    again = ask.answer("how to reset the password of a customer", "U0SUPAGT2", "C0SUPPORT")
    assert again.citations[0].path == "operations/account-recovery.md"
    # An unrelated question is not affected by that vote.
    other = ask.answer("who approves discounts above 20%?", "U0SUPAGT2", "C0SUPPORT")
    assert other.citations[0].path == "service/password-reset.md"
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PassageFeedback)) >= 1
        assert s.scalar(select(func.count()).where(AuditEvent.action == "ask.passage_feedback")) == 1


def test_a_vote_changes_its_mind_and_helpful_votes_restore(services: Services) -> None:
    ask = AskService(services)
    a = ask.answer("How do I reset a customer password?", "U0SUPAGT1", "C0SUPPORT")
    qid = int(a.question_id or 0)
    with services.sessions() as s, s.begin():
        vote(s, qid, "U0SUPAGT1", helpful=False)
        vote(s, qid, "U0SUPAGT1", helpful=True)  # same user: replaces the first vote
        assert s.scalar(select(func.count()).select_from(PassageFeedback).where(PassageFeedback.helpful)) >= 1
        assert not s.scalar(select(func.count()).select_from(PassageFeedback).where(~PassageFeedback.helpful))
    again = ask.answer("reset customer password how?", "U0SUPAGT2", "C0SUPPORT")
    assert again.citations[0].path == "service/password-reset.md"


def test_adjustment_is_bounded() -> None:
    strong, weak = PASSAGES[0], PASSAGES[2]  # scores 1.0 and 0.5: farther apart than any boost
    net = {passage_key(strong.path, strong.heading_path): -100.0, passage_key(weak.path, weak.heading_path): 100.0}
    assert adjust([strong, weak], net) == [strong, weak]
    assert MAX_ADJUST < 0.5
    assert qkey("How do I reset the passwords?") == qkey("reset password, how do I")
