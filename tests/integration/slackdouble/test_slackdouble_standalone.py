"""`python -m slackdouble` starts quickly, seeds the demo workspace and serves the page and the API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from slackdouble.scopes import manifest_scopes

pytestmark = pytest.mark.enable_socket


def api(base: str, method: str) -> dict[str, object]:
    req = urllib.request.Request(
        f"{base}/api/{method}", data=b"", headers={"Authorization": "Bearer xoxb-demo"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        body: dict[str, object] = json.loads(resp.read())
    return body


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
        # The double grants Rapport's manifest's scopes only: a method whose scope the manifest does not ask for
        # (usergroups:read today) is refused as Slack would; one it grants is answered.
        granted = manifest_scopes()
        assert "usergroups:read" not in granted and "chat:write" in granted
        assert api(base, "usergroups.list") == {
            "ok": False,
            "error": "missing_scope",
            "needed": "usergroups:read",
            "provided": ",".join(sorted(granted)),
        }
        assert api(base, "auth.test")["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=5)
