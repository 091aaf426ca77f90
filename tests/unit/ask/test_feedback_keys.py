"""The words a vote is filed under (bot.ask.feedback.content_words): stable, so votes already cast still match."""

from __future__ import annotations

from bot.ask.feedback import content_words, qkey


def test_content_words_drop_stopwords_and_stem() -> None:
    assert content_words("What are the escalations for tickets?") == {"escalation", "ticket"}


def test_a_question_key_ignores_word_order_and_case() -> None:
    assert (
        qkey("Who approves a DISCOUNT for gold?") == qkey("for gold, who approves discounts") == "approv discount gold"
    )
