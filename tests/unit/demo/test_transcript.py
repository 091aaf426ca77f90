"""The demo's transcript: a Slack message as the lines a reader sees (what README.md shows)."""

from __future__ import annotations

from bot.demo.transcript import comparable, message_lines, transcript

ANSWER = {
    "text": "fallback",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Gold P1*: first response within 30m. [1]\nsecond"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "[1] *SLA* › Targets (a.md:1-2) · updated 3 days ago"}],
        },
        {"type": "divider"},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Tier*\nGold"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": ":+1: Helpful"}},
                {"type": "button", "text": {"type": "plain_text", "text": ":no_such_code: Odd"}},
            ],
        },
    ],
}


def test_blocks_read_in_order_with_emoji_as_shown() -> None:
    assert message_lines(ANSWER) == [
        "*Gold P1*: first response within 30m. [1]",
        "second",
        "[1] *SLA* › Targets (a.md:1-2) · updated 3 days ago",
        "---",
        "*Tier*",
        "Gold",
        "[\U0001f44d Helpful]  [:no_such_code: Odd]",  # an unknown shortcode stays as typed, as Slack shows it
    ]
    assert message_lines({"text": "plain only"}) == ["plain only"]


def test_comparable_ignores_the_citation_age_and_the_rest() -> None:
    lines = transcript("@rapport q", ANSWER)
    assert lines[:2] == ["@rapport q", "Rapport (in thread):"] and lines[2].startswith("  *Gold P1*")
    aged = [line.replace("3 days ago", "4 months ago") for line in lines]
    assert (
        comparable(lines)
        == comparable(aged)
        == (
            "*Gold P1*: first response within 30m. [1]",
            ["[1] *SLA* › Targets (a.md:1-2)"],
        )
    )
    moved = [line.replace("a.md:1-2", "a.md:5-9") for line in lines]
    assert comparable(moved) != comparable(lines)


def test_slack_escapes_show_as_slack_shows_them() -> None:
    escaped = {"text": "Doc &gt; Part &lt;b&gt; R&amp;D &amp;gt;"}
    assert message_lines(escaped) == ["Doc > Part <b> R&D &gt;"]
