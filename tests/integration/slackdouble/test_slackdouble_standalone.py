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
        req = urllib.request.Request(
            base + "/api/users.list", data=b"", headers={"Authorization": "Bearer xoxb-demo"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            members = json.loads(resp.read())["members"]
        assert len([m for m in members if not m["is_bot"]]) >= 2
    finally:
        proc.terminate()
        proc.wait(timeout=5)
