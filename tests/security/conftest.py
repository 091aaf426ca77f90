"""A real `rapport serve` process for the security probes, over real HTTP and raw sockets.

Reuses the e2e harness's pieces (free ports, readiness polling, the Slack double seeded with the policy's
staff, groups and channels) with a small book of business and the playbook index (the probes of inert text,
buttons under answers and real-shaped payloads need answers). ``serve`` starts another one on any home and
environment (the data-path probes run their own, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.policies import load_policies
from slackdouble import SlackDouble, seed_demo_workspace

_spec = importlib.util.spec_from_file_location("rapport_e2e_harness", Path(__file__).parents[1] / "e2e" / "conftest.py")
assert _spec is not None and _spec.loader is not None
harness = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(harness)

REPO: Path = harness.REPO
SECRET: str = harness.SECRET
TOKEN: str = harness.TOKEN
NOW = harness.NOW


@dataclass
class Server:
    double: SlackDouble
    host: str
    port: int
    home: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def status(self, field: str) -> int:
        """A field of /proc/<pid>/status in kB (VmRSS, VmHWM) or a count (Threads)."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        m = re.search(rf"^{field}:\s+(\d+)", text, re.MULTILINE)
        assert m, field
        return int(m.group(1))

    def connect(self, timeout: float = 10) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def raw(self, request: bytes, timeout: float = 10) -> bytes:
        """Send bytes as they are and read the whole answer (the server closes or sends Content-Length bytes)."""
        with self.connect(timeout) as s:
            s.sendall(request)
            return read_response(s)


def read_response(s: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, TimeoutError):
            return data
        if not chunk:
            return data
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if m and len(body) >= int(m.group(1)):
                return data


def status_of(response: bytes) -> int:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    assert m, response[:200]
    return int(m.group(1))


def base_env(home: Path, playbooks: Path = REPO / "playbooks") -> dict[str, str]:
    """The environment `rapport` runs with here: its home, the playbooks, offline, no outside database."""
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "PLAYBOOKS_DIR": str(playbooks),
        "CI": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    for var in ("DATABASE_URL", "CHROMA_URL", "CHROMA_PATH", "SLACK_APP_TOKEN"):
        env.pop(var, None)
    return env


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("rapport-security")
    env: dict[str, Any] = base_env(home)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo-data", "--customers", "120", "--seed", "16", "--now", NOW.isoformat()],
        check=True,
        env=env,
        cwd=home,
        capture_output=True,
        timeout=300,
    )
    # The playbook index, so the probes that need answers (hostile questions, buttons under answers, real-shaped
    # payloads) get them; the model comes from the installed package, as everywhere.
    subprocess.run([sys.executable, "-m", "bot.cli", "index"], check=True, env=env, cwd=home, capture_output=True)
    with serve(home, env, ready='"index": true') as running:
        yield running


@contextmanager
def serve(home: Path, env: dict[str, Any], ready: str | None = None) -> Iterator[Server]:
    """`rapport serve` in ``home`` with ``env``, talking to a fresh Slack double seeded with the policy's
    staff, groups and channels; stopped (and its log shown with RAPPORT_SECURITY_SHOW_LOG) on exit."""
    port = harness.free_port()
    double = SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    policies = load_policies(REPO / "playbooks" / "policies")
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels] + [("C0SUPPORTQ", "support")],
        groups=[(g.id, g.handle, g.name, g.members) for g in policies.roles.groups],
    )
    env = {**env, "SLACK_API_URL": double.api_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET}
    env.setdefault("LOG_LEVEL", "DEBUG")
    log = home / "serve.log"
    out = open(log, "wb")  # noqa: SIM115 - closed at teardown
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-watch"]
    proc = subprocess.Popen([*cmd, "--no-scheduler"], env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT)
    try:
        harness.wait_http(f"http://127.0.0.1:{port}/healthz", 120, want='"ok"', proc=proc, log=log)
        if ready:
            harness.wait_http(f"http://127.0.0.1:{port}/readyz", 300, want=ready, proc=proc, log=log)
        yield Server(double, "127.0.0.1", port, home, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()
        double.stop()
        if os.environ.get("RAPPORT_SECURITY_SHOW_LOG"):
            print(log.read_text()[-5000:])


@pytest.fixture
def double(server: Server) -> SlackDouble:
    server.double.clear_calls()
    return server.double


def wait_for(predicate: Any, timeout: float = 20, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(getattr(predicate, "__name__", "condition"))
