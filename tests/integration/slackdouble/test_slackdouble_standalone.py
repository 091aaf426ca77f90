"""`python -m slackdouble` starts quickly, seeds the demo workspace and serves the page and the API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.enable_socket


def test_standalone_entry_serves_page_and_api() -> None:
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "slackdouble", "--port", "0", "--bot-url", "http://127.0.0.1:9/slack/events"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Slack double: sandbox http://127.0.0.1:"), line
        elapsed = time.monotonic() - start
        assert elapsed < 5  # typically well under a second: stdlib only
        base = line.split()[3].rstrip("/")
        with urllib.request.urlopen(base + "/", timeout=5) as resp:
            assert b"Rapport sandbox" in resp.read()
        with urllib.request.urlopen(base + "/ui/state", timeout=5) as resp:
            users = json.loads(resp.read())["users"]
        assert len([u for u in users if not u["is_bot"]]) >= 2  # the demo roster
        # Rapport's manifest does not ask for users:read: the Web API refuses users.list as Slack would.
        req = urllib.request.Request(
            base + "/api/users.list", data=b"", headers={"Authorization": "Bearer xoxb-demo"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = json.loads(resp.read())
        assert body["error"] == "missing_scope" and body["needed"] == "users:read"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
