"""The weekly digest: Block Kit figures plus PNG charts, through the Notifier port and the real Slack Web API path
(files_upload_v2 against the local Slack double); the scheduled job posts a week once under the lease."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.app import feature_jobs
from bot.kpi import digest
from bot.kpi.charts import PNG_MAGIC
from bot.kpi.metrics import compute, window
from bot.notify import RecordingNotifier
from bot.scheduler import leased
from bot.services import Services
from bot.slack.app import make_client
from bot.slack.notifier import SlackNotifier
from bot.slack.views import render
from bot.store.models import AuditEvent
from slackdouble import SlackDouble

from .conftest import NOW

WEEK_START = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # NOW's Monday


def _text(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e["text"] for e in b.get("elements", []) if "text" in e]
    return "\n".join(out)


def test_digest_blocks_carry_the_figures(services: Services) -> None:
    k = compute(services.engine, *window(NOW, 7), tiers=services.policies.tier_names)
    posted = digest.post(services, k)
    rec = services.notifier
    assert isinstance(rec, RecordingNotifier)
    ((ref, msg),) = rec.sent
    assert ref.channel == "C0CSLEADS"  # tiers.yaml reporting.leadership_channel (cs-leadership)
    blocks = render(msg.view)
    assert len(blocks) <= 50
    text = _text(blocks)
    # figures hand-computed in conftest: 6 tickets, FCR 5/6, cost 900 USD, ack 4/6, exception rate 3/5
    for figure in ("Tickets resolved*\n6", "83%", "$900.00", "$540.00", "$157.50", "67%", "60%", "36.0 h", "50 min"):
        assert figure in text, figure
    assert "No repeat contact in 7 d 83%" in msg.text
    # charts: three PNGs uploaded into the digest's thread
    (up,) = rec.uploads
    assert (up.channel, up.thread_ts) == (ref.channel, ref.ts)
    assert len(up.files) == 3 == len(posted.file_ids)
    assert all(f.content.startswith(PNG_MAGIC) and len(f.content) > 5000 for f in up.files)
    assert len({f.filename for f in up.files}) == 3


@pytest.fixture
def double(services: Services) -> Iterator[SlackDouble]:
    with SlackDouble("test-secret") as d:
        for c in services.policies.channels.channels:
            d.add_channel(c.id, c.name)
        yield d


def test_digest_through_the_slack_web_api(services: Services, double: SlackDouble) -> None:
    slack = dataclasses.replace(services, notifier=SlackNotifier(make_client("xoxb-test", double.api_url)))
    k = compute(slack.engine, *window(NOW, 7), tiers=slack.policies.tier_names)
    posted = digest.post(slack, k)
    methods = [c.method for c in double.calls]
    assert methods.count("chat.postMessage") == 1
    assert methods.count("files.getUploadURLExternal") == 3
    assert methods.count("files.completeUploadExternal") == 1
    (top,) = [m for m in double.messages("C0CSLEADS", include_replies=False)]
    assert "$157.50" in str(top["blocks"])
    replies = [m for m in double.thread("C0CSLEADS", posted.ref.ts) if m.get("files")]
    (charts,) = replies
    ids = [f["id"] for f in charts["files"]]
    assert ids == list(posted.file_ids)
    for fid in ids:  # the bytes that reached the upload URL are the PNGs we drew
        data = double.api.uploads[fid]
        assert data.startswith(PNG_MAGIC)
        info = double.file(fid)  # the double's record: the bot is not granted files:read
        assert info is not None and info["completed"] is True and info["size"] == len(data)


def test_weekly_job_posts_once_under_the_lease(services: Services) -> None:
    (job,) = [j for j in feature_jobs(services) if j.name == "kpi.weekly_digest"]
    replicas = [leased(services.engine, job, holder) for holder in ("replica-a", "replica-b", "replica-c")]
    for run in replicas * 2:  # three replicas, two rounds each
        run()
    rec = services.notifier
    assert isinstance(rec, RecordingNotifier)
    assert len(rec.sent) == 1 and len(rec.uploads) == 1
    ((_, msg),) = rec.sent
    k = msg.view.kpis  # type: ignore[union-attr]
    assert (k.since, k.until) == (WEEK_START - dt.timedelta(days=7), WEEK_START)
    with services.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == digest.ACTION)).all()
        assert [(e.subject_id, e.details["files"]) for e in events] == [("2026-W48", 4)]  # + SLA against targets
    # a new process (new holder) after the lease expired still does not post the week again
    later = dataclasses.replace(services, clock=lambda: NOW + dt.timedelta(days=2))
    assert digest.run_weekly(later) is None
    assert len(rec.sent) == 1


def test_not_due_before_monday_eight(services: Services) -> None:
    early = dataclasses.replace(services, clock=lambda: WEEK_START + dt.timedelta(hours=7, minutes=59))
    assert digest.run_weekly(early) is None
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert digest.due(WEEK_START + dt.timedelta(hours=8)) == "2026-W48"
    assert digest.due(dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)) == "2027-W01"


def test_a_failed_upload_keeps_the_posted_figures(services: Services, double: SlackDouble) -> None:
    slack = dataclasses.replace(services, notifier=SlackNotifier(make_client("xoxb-test", double.api_url)))
    double.fail_next("files.completeUploadExternal", status=200, error="no_permission")
    posted = digest.run_weekly(slack)
    assert posted is not None and posted.file_ids == () and "no_permission" in (posted.upload_error or "")
    assert [c.method for c in double.calls].count("chat.postMessage") == 1
    assert digest.run_weekly(slack) is None  # the week is recorded as posted: no second digest
