"""The weekly KPI digest through `rapport serve`: its leased scheduler posts the week's digest to the governance
channel with the charts uploaded in the thread (files_upload_v2 against the double), once."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

import pytest

from bot.kpi.charts import PNG_MAGIC
from bot.kpi.digest import due

from .conftest import Sandbox

CHANNEL = "C0CSLEADS"  # tiers.yaml reporting.leadership_channel (cs-leadership), not an approvals channel


def test_serve_posts_the_weekly_digest_once(sandbox: Sandbox) -> None:
    week = due(dt.datetime.now(dt.UTC))
    if week is None:
        pytest.skip("Monday before 08:00 UTC: this week's digest is not due yet")
    double = sandbox.double
    deadline = time.monotonic() + 90
    digests: list[dict] = []
    while time.monotonic() < deadline and not digests:
        digests = [m for m in double.messages(CHANNEL, include_replies=False) if "Weekly KPI digest" in json.dumps(m)]
        time.sleep(0.5)
    assert len(digests) == 1, [m.get("text") for m in double.messages(CHANNEL)]
    top = digests[0]
    assert "Tickets resolved" in json.dumps(top["blocks"]) and "Cost-to-serve" in top["text"]
    charts: list[dict] = []
    while time.monotonic() < deadline and not charts:
        charts = [m for m in double.thread(CHANNEL, top["ts"]) if m.get("files")]
        time.sleep(0.5)
    (reply,) = charts
    names = [f["name"] for f in reply["files"]]
    assert names[:3] == ["kpi-cost-resolution.png", "kpi-fcr-ack.png", "kpi-approvals.png"]
    assert set(names[3:]) <= {"kpi-sla-targets.png", "kpi-workload.png"}  # when the week has tickets and owners
    assert all(double.api.uploads[f["id"]].startswith(PNG_MAGIC) for f in reply["files"])
    con = sqlite3.connect(sandbox.home / "rapport.db")
    try:
        rows = con.execute("SELECT subject_id FROM audit_events WHERE action = 'kpi.digest_posted'").fetchall()
    finally:
        con.close()
    assert rows == [(week,)]
