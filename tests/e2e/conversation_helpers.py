"""What the user saw: bot messages in a thread or DM, ephemerals for them, slash-command responses."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from slackdouble import SlackDouble

REFERENCE = re.compile(r"reference `([0-9a-f]{8})`")
PLACEHOLDER = "Looking into it"


def visible(double: SlackDouble, channel: str, user: str, thread_ts: str | None, after: str = "0") -> list[str]:
    """Text + blocks of every Rapport message the user can see in the thread (or, without a thread, after `after`)."""
    out = []
    for m in double.messages(channel, include_ephemeral=True):
        if m.get("user") != double.bot_user_id or m.get("ephemeral_for") not in (None, user):
            continue
        if thread_ts is not None and m.get("thread_ts") != thread_ts:
            continue
        if float(m["ts"]) <= float(after):
            continue
        out.append(f"{m.get('text', '')} {json.dumps(m.get('blocks') or [], ensure_ascii=False)}")
    return out


def outcome(
    double: SlackDouble,
    channel: str,
    user: str,
    thread_ts: str | None,
    after: str = "0",
    timeout: float = 60,
    want: str | None = None,
) -> str:
    """The first non-placeholder message the user saw (containing `want`, if given); fails if none: silence."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen = [t for t in visible(double, channel, user, thread_ts, after) if not t.startswith(PLACEHOLDER)]
        seen = [t for t in seen if want is None or want in t]
        if seen:
            return seen[-1]
        time.sleep(0.2)
    raise AssertionError(f"silent: nothing shown to {user} in {channel}/{thread_ts}; calls {double.calls[-10:]}")


def slash_outcome(double: SlackDouble, want: str, timeout: float = 60) -> str:
    calls = double.wait_for("response_url", timeout=timeout, where=lambda p: want in json.dumps(p))
    return json.dumps(calls[-1].params, ensure_ascii=False)


def reference_logged(text: str, log: Path, timeout: float = 10) -> str:
    """The reference id shown to the user, once it is found in the server's log (with its traceback line)."""
    match = REFERENCE.search(text)
    assert match, f"no reference id in {text[:300]}"
    ref = match.group(1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"(reference {ref})" in log.read_text(errors="replace"):
            return ref
        time.sleep(0.2)
    raise AssertionError(f"reference {ref} not in {log}")


def quiet(double: SlackDouble, channel: str, thread_ts: str, wait: float = 2.0) -> bool:
    """Nothing posted (or shown privately) in this thread for `wait` seconds."""
    time.sleep(wait)
    return not [
        c
        for c in double.calls
        if c.method in ("chat.postMessage", "chat.postEphemeral") and c.params.get("thread_ts") == thread_ts
    ]


def bot_messages(double: SlackDouble, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in double.thread(channel, thread_ts) if m.get("bot_id")]
