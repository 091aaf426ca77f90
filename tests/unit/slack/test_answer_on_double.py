"""An oversized answer rendered by the Ask view is accepted by the Slack double, which rejects what Slack rejects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ask.compose import Citation
from bot.ask.service import Answer
from bot.slack.views.ask import answer_blocks
from slackdouble import SlackDouble


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    d = SlackDouble("secret")
    d.add_user("U1", "ana.silva")
    d.add_channel("C1", "support")
    d.start()
    yield d
    d.stop()


def test_long_answer_is_posted_not_rejected(double: SlackDouble) -> None:
    client = WebClient(token="xoxb-1", base_url=double.api_url)
    text = "\n".join(f"{i}. " + "Escalate within the tier's target and log it. " * 12 for i in range(200))  # ~110k
    cite = Citation(1, "Escalation matrix", "service/escalation-matrix.md", "Matrix", 1, 9, "U0", "1", "https://kb/x")
    answer = Answer("q", "U1", text, [cite], 0.9, True, question_id=1)
    resp = client.chat_postMessage(channel="C1", text=text[:300], blocks=answer_blocks(answer))
    assert resp["ok"]
    assert "Read the rest in <https://kb/x|Escalation matrix>" in str(resp["message"]["blocks"])
    with pytest.raises(SlackApiError) as err:  # the double holds the line Slack holds
        client.chat_postMessage(
            channel="C1", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}]
        )
    assert err.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x" * 40_001)
