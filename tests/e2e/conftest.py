"""End-to-end harness: `rapport serve` as a real process, talking to the local Slack double.

Signed requests go in over HTTP exactly as Slack sends them (``sandbox``), or envelopes come over Socket
Mode (``socket_sandbox``: the bot connects out with an app-level token, no signing secret); Web API calls
come out to the double, which records them. The demo data and playbook index are built once per session
(real model, real Chroma, real SQLite). ``mode_sandbox``/``mode_double`` run a test once per mode.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.policies import load_policies
from slackdouble import SlackDouble, seed_demo_workspace

REPO = Path(__file__).resolve().parents[2]
SECRET = "e2e-signing-secret-0123456789abcdef"
TOKEN = "xoxb-e2e-test-token"
APP_TOKEN = "xapp-1-A0RAPPORT-1-e2e-app-level-token"
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(
    url: str,
    timeout: float,
    want: str | None = None,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> str:
    """Poll until `want` shows up; fail at once, with the server's log, if the server process died."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} before {url} was ready:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                last = resp.read().decode()
                if want is None or want in last:
                    return last
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
    raise TimeoutError(f"{url} not ready within {timeout}s: {last[:300]}\n{tail}")


@dataclass
class Sandbox:
    double: SlackDouble
    url: str
    home: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def channels(self) -> list[str]:
        return list(self.double.workspace.channels)


@pytest.fixture(scope="session")
def e2e_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Demo data (seeded, anchored at NOW) and the playbook index, built once by the real CLI."""
    home = tmp_path_factory.mktemp("rapport-e2e")
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "PLAYBOOKS_DIR": str(REPO / "playbooks"),
        "CI": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    for var in ("DATABASE_URL", "CHROMA_URL", "CHROMA_PATH", "SLACK_APP_TOKEN"):
        env.pop(var, None)
    cli = [sys.executable, "-m", "bot.cli"]
    subprocess.run(
        [*cli, "demo-data", "--customers", "400", "--seed", "11", "--now", NOW.isoformat()],
        check=True,
        env=env,
        cwd=home,
        capture_output=True,
        timeout=300,
    )
    subprocess.run([*cli, "index"], check=True, env=env, cwd=home, capture_output=True, timeout=600)
    return home, env


def seeded_double(double: SlackDouble) -> SlackDouble:
    policies = load_policies(REPO / "playbooks" / "policies")
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels] + [("C0SUPPORTQ", "support")],
        groups=[(g.id, g.handle, g.name, g.members) for g in policies.roles.groups],
    )
    return double


@contextlib.contextmanager
def serving(double: SlackDouble, home: Path, env: dict[str, str], port: int) -> Iterator[Sandbox]:
    """`rapport serve` in ``home`` until the block ends (SIGTERM, as a process manager stops it)."""
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-watch"],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # 600 s: /readyz waits for the warm question model (65b2823), minutes on a loaded 2-core machine
        wait_http(f"http://127.0.0.1:{port}/readyz", 600, want='"index": true', proc=proc, log=home / "serve.log")
        yield Sandbox(double, f"http://127.0.0.1:{port}", home, proc, env)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        double.stop()
        if os.environ.get("RAPPORT_E2E_SHOW_LOG"):
            print((home / "serve.log").read_text()[-5000:])


@pytest.fixture(scope="session")
def sandbox(e2e_home: tuple[Path, dict[str, str]]) -> Iterator[Sandbox]:
    home, base_env = e2e_home
    port = free_port()
    double = seeded_double(
        SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    )
    env = {**base_env, "SLACK_API_URL": double.api_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET}
    with serving(double, home, env, port) as box:
        yield box


@pytest.fixture(scope="session")
def socket_sandbox(
    e2e_home: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """The same bot over Socket Mode: SLACK_APP_TOKEN and no SLACK_SIGNING_SECRET; the HTTP port serves the
    operations routes only. Its own copy of the data, so its scheduler never takes the HTTP sandbox's jobs."""
    base_home, base_env = e2e_home
    home = tmp_path_factory.mktemp("rapport-e2e-socket")
    for item in base_home.iterdir():
        if item.name != "serve.log":
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, home / item.name)
    double = seeded_double(SlackDouble(SECRET, socket_mode=True, app_token=APP_TOKEN, bot_token=TOKEN).start())
    env = {**base_env, "RAPPORT_HOME": str(home), "SLACK_API_URL": double.api_url, "SLACK_BOT_TOKEN": TOKEN}
    env["SLACK_APP_TOKEN"] = APP_TOKEN
    env.pop("SLACK_SIGNING_SECRET", None)
    with serving(double, home, env, free_port()) as box:
        assert double.wait_connected(timeout=180), "the bot never opened a Socket Mode connection"
        yield box


@pytest.fixture(params=["http", "socket_mode"])
def mode_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Runs the test once over HTTP and once over Socket Mode."""
    box: Sandbox = request.getfixturevalue("sandbox" if request.param == "http" else "socket_sandbox")
    return box


@pytest.fixture
def mode_double(mode_sandbox: Sandbox) -> Iterator[SlackDouble]:
    mode_sandbox.double.clear_calls()
    yield mode_sandbox.double
    assert mode_sandbox.double.scope_refusals == [], "the bot called a method bot/slack/manifest.yaml does not allow"


@pytest.fixture
def double(sandbox: Sandbox) -> Iterator[SlackDouble]:
    sandbox.double.clear_calls()
    yield sandbox.double
    # The double grants only the manifest's scopes: a call the bot made without one fails this test.
    assert sandbox.double.scope_refusals == [], "the bot called a method bot/slack/manifest.yaml does not allow"
