"""Never silent: each failure path made to happen, and the user sees a message (with a reference id in the log).

Web API 500s run on the session sandbox (faults scoped to one channel). Retrieval down and a locked
database each need a dedicated `rapport serve` on a copy of the demo database: one with Chroma pointed
at a closed port; one whose database the test write-locks, with a 1 s SQLite busy timeout.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.policies import load_policies
from slackdouble import SlackDouble, seed_demo_workspace

from .conftest import REPO, SECRET, TOKEN, Sandbox, free_port, wait_http
from .conversation_helpers import bot_messages, outcome, quiet, reference_logged, slash_outcome

CHANNEL = "C0SUPPORT"
BOT = "<@U0RAPPORTBOT>"
ASKER = "U0SUPAGT1"


# ---- Web API 500 on the session sandbox ----------------------------------------------------------------
def test_update_500_posts_the_answer_anew(double: SlackDouble) -> None:
    double.fail_next("chat.update", status=500, times=3, channel=CHANNEL)  # the call and the SDK's 2 retries
    d = double.send_message(ASKER, CHANNEL, f"{BOT} what is the first response target for a gold P1?")
    seen = outcome(double, CHANNEL, ASKER, d.ts, want="sla-response-times.md")
    assert "30m" in seen
    deadline = time.monotonic() + 10
    while len(bot_messages(double, CHANNEL, d.ts or "")) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    [only] = bot_messages(double, CHANNEL, d.ts or "")  # the "Looking into it…" placeholder was removed
    assert not only["text"].startswith("Looking into it")


def test_placeholder_500_still_answers(double: SlackDouble) -> None:
    double.fail_next("chat.postMessage", status=500, times=3, channel=CHANNEL)
    d = double.send_message(ASKER, CHANNEL, f"{BOT} what are the quiet hours for customer outreach?")
    seen = outcome(double, CHANNEL, ASKER, d.ts)
    assert "[1]" in seen and "reference" not in seen
    # Presentation: each citation with its age; the communication policy is past its review_by (2026-09-30).
    assert "communication-policy.md" in seen and "updated " in seen, seen[-1500:]
    assert "*stale* (review was due 2026-09-30)" in seen, seen[-1500:]


def test_every_post_500_tells_the_asker_privately_with_a_reference(double: SlackDouble, sandbox: Sandbox) -> None:
    # Placeholder, answer and plain-text answer all refused (3 attempts each): the last resort is an ephemeral.
    double.fail_next("chat.postMessage", status=500, times=9, channel=CHANNEL)
    d = double.send_message(ASKER, CHANNEL, f"{BOT} how do we handle a GDPR erasure request?")
    seen = outcome(double, CHANNEL, ASKER, d.ts, want="reference")
    assert "Slack refused my reply" in seen
    reference_logged(seen, sandbox.home / "serve.log")


# ---- dedicated serves: retrieval down; a database the test can lock --------------------------------------
def dedicated_serve(
    e2e_home: tuple[Path, dict[str, str]], home: Path, extra_env: dict[str, str], ready: str | None
) -> Iterator[Sandbox]:
    """`rapport serve` on a copy of the session's demo database, with its own Slack double."""
    source, base_env = e2e_home
    src, dst = sqlite3.connect(source / "rapport.db"), sqlite3.connect(home / "rapport.db")
    src.backup(dst)  # a consistent copy, WAL included
    src.close()
    dst.close()
    port = free_port()
    double = SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    policies = load_policies(REPO / "playbooks" / "policies")
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels],
    )
    env = {
        **base_env,
        "RAPPORT_HOME": str(home),
        "SLACK_API_URL": double.api_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        **extra_env,
    }
    log_path = home / "serve.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-watch"],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/readyz" if ready else f"{url}/healthz", 180, want=ready, proc=proc, log=log_path)
        yield Sandbox(double, url, home, proc, env)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        double.stop()


@pytest.fixture(scope="module")
def no_retrieval(e2e_home: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    home = tmp_path_factory.mktemp("rapport-no-retrieval")
    # Nothing listens on that port: the playbook index cannot be opened, now or on any later question.
    yield from dedicated_serve(e2e_home, home, {"CHROMA_URL": f"http://127.0.0.1:{free_port()}"}, None)


@pytest.fixture(scope="module")
def lockable(e2e_home: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    home = tmp_path_factory.mktemp("rapport-lockable")
    shutil.copytree(e2e_home[0] / "chroma", home / "chroma")
    yield from dedicated_serve(e2e_home, home, {"SQLITE_BUSY_TIMEOUT": "1"}, '"index": true')


@contextmanager
def locked(db: Path) -> Iterator[None]:
    """The write lock on the SQLite file held by another process (readers still read, as WAL allows)."""
    con = sqlite3.connect(db, isolation_level=None, timeout=10)
    con.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        con.execute("ROLLBACK")
        con.close()


def test_retrieval_down_mention_dm_and_command_all_say_so(no_retrieval: Sandbox) -> None:
    double, log = no_retrieval.double, no_retrieval.home / "serve.log"
    d = double.send_message(ASKER, CHANNEL, f"{BOT} what is the escalation path for a platinum P1?")
    seen = outcome(double, CHANNEL, ASKER, d.ts)
    assert "can't search the playbooks" in seen
    reference_logged(seen, log)
    dm = double.im_channel(ASKER)
    d = double.send_message(ASKER, dm, "what are the quiet hours for outreach?")
    seen = outcome(double, dm, ASKER, None, after=d.ts or "0")
    assert "can't search the playbooks" in seen
    reference_logged(seen, log)
    double.send_slash_command(ASKER, CHANNEL, "/rapport", "ask who approves an SLA exception?")
    reference_logged(slash_outcome(double, "reference"), log)


def test_database_locked_every_entry_point_answers_with_a_reference(lockable: Sandbox) -> None:
    double, log = lockable.double, lockable.home / "serve.log"
    # A thread Rapport answered in, and one it never joined.
    joined = double.send_message(ASKER, CHANNEL, f"{BOT} what is the P1 target for gold?")
    assert "[1]" in outcome(double, CHANNEL, ASKER, joined.ts)
    stranger = double.send_message("U0AMGOLD", CHANNEL, "lunch today?")
    con = sqlite3.connect(lockable.home / "rapport.db")
    [name] = con.execute("SELECT name FROM customers WHERE merged_into_id IS NULL ORDER BY id LIMIT 1").fetchone()
    con.close()
    with locked(lockable.home / "rapport.db"):
        double.clear_calls()
        d = double.send_message(ASKER, CHANNEL, f"{BOT} how much discount can I give?")
        assert d.ok and d.followups[0].status == 200  # the ack does not wait on the store
        seen = outcome(double, CHANNEL, ASKER, d.ts)
        assert "database is busy" in seen
        reference_logged(seen, log)

        dm = double.im_channel(ASKER)
        d = double.send_message(ASKER, dm, "what are the quiet hours for outreach?")
        seen = outcome(double, dm, ASKER, None, after=d.ts or "0")
        assert "database is busy" in seen
        reference_logged(seen, log)

        follow = double.send_message(ASKER, CHANNEL, "and for platinum?", thread_ts=joined.ts)
        seen = outcome(double, CHANNEL, ASKER, joined.ts, after=follow.ts or "0")
        assert "database is busy" in seen
        reference_logged(seen, log)

        double.clear_calls()
        double.send_slash_command(ASKER, CHANNEL, "/rapport", "ask who approves an SLA exception?")
        reference_logged(slash_outcome(double, "reference"), log)
        double.clear_calls()
        double.send_slash_command(ASKER, CHANNEL, "/rapport", f"customer {name}")  # viewing it is audited: a write
        text = slash_outcome(double, "reference")
        assert text.count("reference") == 1
        reference_logged(text, log)

        # A click on the earlier answer's thumbs-up: the vote cannot be stored, and the clicker is told so.
        answer_ts = bot_messages(double, CHANNEL, joined.ts or "")[0]["ts"]
        double.clear_calls()
        assert double.click_button(ASKER, CHANNEL, answer_ts, "ask_feedback_up").status == 200
        told = double.wait_for("chat.postEphemeral", timeout=30, where=lambda p: "reference" in str(p.get("text")))
        assert told[0].params["user"] == ASKER and "database is busy" in told[0].params["text"]
        reference_logged(told[0].params["text"], log)

        # A reply in a thread Rapport never joined: logged, but Rapport does not speak up there.
        double.clear_calls()
        double.send_message(ASKER, CHANNEL, "sure", thread_ts=stranger.ts)
        assert quiet(double, CHANNEL, stranger.ts or "")
    assert lockable.process.poll() is None
