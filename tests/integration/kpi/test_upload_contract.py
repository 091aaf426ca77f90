"""The file-upload half of the Notifier port behaves the same in the recorder and in the Slack notifier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.notify import DeliveryError, FileNotifier, FileUpload, Outbound, RecordingNotifier
from bot.slack.app import make_client
from bot.slack.notifier import SlackNotifier
from slackdouble import SlackDouble

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(params=["recording", "slack"])
def notifier(request: pytest.FixtureRequest) -> Iterator[FileNotifier]:
    if request.param == "recording":
        yield RecordingNotifier(fail_channels={"C0NOWHERE"})
        return
    with SlackDouble("test-secret") as d:
        d.add_channel("C0GOVERN", "service-governance")
        yield SlackNotifier(make_client("xoxb-test", d.api_url))


def test_upload_in_a_thread_returns_one_id_per_file(notifier: FileNotifier) -> None:
    ref = notifier.send(Outbound("C0GOVERN", "digest"))
    files = [FileUpload("a.png", PNG, "A"), FileUpload("b.png", PNG[:100], "B", alt_text="bars")]
    ids = notifier.upload(ref.channel, files, text="charts", thread_ts=ref.ts)
    assert len(ids) == 2 and len(set(ids)) == 2 and all(ids)


def test_unknown_channel_is_permanent(notifier: FileNotifier) -> None:
    with pytest.raises(DeliveryError) as err:
        notifier.upload("C0NOWHERE", [FileUpload("a.png", PNG)])
    assert err.value.permanent


def test_no_files_is_refused(notifier: FileNotifier) -> None:
    with pytest.raises(DeliveryError) as err:
        notifier.upload("C0GOVERN", [])
    assert err.value.permanent
