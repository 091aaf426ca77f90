"""Reading other apps' messages, and answers rendered within Block Kit limits (pure functions)."""

from __future__ import annotations

import json

from bot.ask.compose import Citation
from bot.ask.service import Answer
from bot.customers.card import CustomerCard
from bot.slack.messages import from_bot, is_own, message_text
from bot.slack.views.ask import MAX_ANSWER_SECTIONS, age, answer_blocks, split_text
from bot.slack.views.common import MAX_BLOCKS, SECTION_LIMIT

HELPDESK = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0HELPDESK",
    "username": "Helpdesk",
    "text": "",
    "attachments": [
        {
            "fallback": "New P1 ticket #4521",
            "pretext": "New ticket",
            "title": "#4521 Checkout down",
            "text": "Northwave Foods reports checkout failing for all users.",
            "fields": [{"title": "Priority", "value": "P1"}, {"title": "Tier", "value": "Gold"}],
        }
    ],
}


def test_attachments_are_read_title_text_and_fields() -> None:
    text = message_text(HELPDESK)
    assert "#4521 Checkout down" in text and "Northwave Foods reports checkout failing" in text
    assert "Priority: P1" in text and "Tier: Gold" in text
    assert "New P1 ticket" not in text  # the fallback only stands in when nothing else is there
    assert message_text({"attachments": [{"fallback": "Deploy 42 finished"}]}) == "Deploy 42 finished"


def test_blocks_are_read_and_a_humans_rich_text_is_not_repeated() -> None:
    monitoring = {
        "bot_id": "B0MON",
        "text": "Alert fired",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Latency alert"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "p99 above *2s* on eu-west"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Customer*\nAcme"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "since 10:02 UTC"}]},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Ack"}}]},
        ],
    }
    text = message_text(monitoring)
    for piece in ("Alert fired", "Latency alert", "p99 above *2s*", "Acme", "since 10:02"):
        assert piece in text
    assert "Ack" not in text  # buttons are not content
    human = {
        "user": "U1",
        "text": "what is the P1 target? <@U0RAPPORTBOT>",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "what is the P1 target? "},
                            {"type": "user", "user_id": "U0RAPPORTBOT"},
                        ],
                    }
                ],
            }
        ],
    }
    assert message_text(human) == "what is the P1 target? <@U0RAPPORTBOT>"
    assert message_text({"text": "x" * 10_000}, limit=100) == "x" * 100


def test_own_and_bot_messages_are_told_apart() -> None:
    assert from_bot(HELPDESK) and not is_own(HELPDESK, "U0RAPPORTBOT", "B0RAPPORT")
    ours = {"user": "U0RAPPORTBOT", "bot_id": "B0RAPPORT", "text": "Looking into it…"}
    assert is_own(ours, "U0RAPPORTBOT", None) and is_own(ours, None, "B0RAPPORT")
    assert not is_own({"user": "U1", "text": "hi"}, "U0RAPPORTBOT", "B0RAPPORT")
    assert not from_bot({"user": "U1", "text": "hi"})


def cite(n: int, days: int | None = 90, stale: bool = False) -> Citation:
    return Citation(n, f"Doc {n}", f"d{n}.md", "Doc > Part", 1, 9, "U0OWN", "1.0", None, days, "2026-06-30", stale)


def answer(text: str, citations: list[Citation], **kw: object) -> Answer:
    return Answer("q?", "U1", text, citations, 0.8, True, question_id=7, **kw)  # type: ignore[arg-type]


def all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_citations_show_title_section_age_and_staleness() -> None:
    blocks = answer_blocks(answer("Do X [1] and Y [2].", [cite(1, 92), cite(2, 3, stale=True)]))
    text = all_text(blocks)
    # the heading path is playbook text, so its ">" is sent as Slack's entity (shown as ">" in Slack)
    assert "[1] *Doc 1* › Doc &gt; Part (d1.md:1-9) · updated 3 months ago" in text
    assert "[2] *Doc 2*" in text and "updated 3 days ago" in text and "*stale* (review was due 2026-06-30)" in text
    assert "could be cited" not in text
    assert [age(d) for d in (None, 0, 1, 400, 800)] == [
        "",
        "updated today",
        "updated 1 day ago",
        *(
            "updated 1 year ago",
            "updated 2 years ago",
        ),
    ]


def test_an_uncited_answer_carries_a_warning() -> None:
    assert "Nothing in the playbooks could be cited" in all_text(answer_blocks(answer("Probably fine.", [])))


def test_a_declined_answer_names_the_playbook_owner_and_the_accounts_owner() -> None:
    plain = all_text(answer_blocks(Answer("q?", "U1", "", [cite(1)], 0.23, False, owner="U0OWN", question_id=7)))
    assert "I don't know. The playbooks don't answer this with confidence (23%). Ask <@U0OWN>, the playbook owner;" in (
        plain
    )
    card = CustomerCard(5, "Acme <!channel> *Ltd*", "gold", "U0AM", {})
    about = all_text(answer_blocks(Answer("q?", "U1", "", [cite(1)], 0.23, False, owner="U0OWN", customer=card)))
    assert "Ask <@U0OWN>, the playbook owner, or <@U0AM>, who owns *Acme &lt;!channel&gt; Ltd*;" in about
    # a group owning the playbook is named by its handle, not paged for every unanswered question
    group = Answer("q?", "U1", "", [cite(1)], 0.23, False, owner="S0DEALDESK", owner_handle="deal-desk")
    assert "Ask *@deal-desk*, the playbook owner;" in all_text(answer_blocks(group))


def test_long_answers_stay_within_block_kit_limits() -> None:
    para = ("The escalation path depends on tier and priority. " * 20).strip()
    long = "\n\n".join(f"{i}. {para}" for i in range(60))  # ~60k characters
    blocks = answer_blocks(answer(long, [cite(1)]))
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(blocks) <= MAX_BLOCKS and len(sections) == MAX_ANSWER_SECTIONS
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in sections)
    assert all(not b["text"]["text"].endswith("…") for b in sections)  # cut at boundaries, not clipped
    assert "Read the rest in *Doc 1* (d1.md)" in all_text(blocks)
    assert blocks[-1]["type"] == "actions"  # the buttons survive
    short = "\n".join(split_text("a" * 7000))
    assert short.replace("\n", "") == "a" * 7000  # no boundary: hard cuts, nothing lost
