"""A local Rapport cluster: PostgreSQL database, `chroma run` server, N `rapport serve` replicas behind a
round-robin proxy, and the Slack double delivering to the proxy. Shared by tests/scale and benchmarks/load_*.

Everything binds to 127.0.0.1. Replicas are real processes, so a test can SIGKILL one and start it again.
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

REPO = Path(__file__).resolve().parents[2]
SECRET = "scale-signing-secret-0123456789abcdef"
TOKEN = "xoxb-scale-test-token"
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_binary() -> str | None:
    local = Path(sys.executable).parent / "chroma"
    return str(local) if local.exists() else shutil.which("chroma")


def pg_admin_url() -> str | None:
    """RAPPORT_TEST_PG_URL when set and answering, else None (callers skip)."""
    url = os.environ.get("RAPPORT_TEST_PG_URL")
    if not url:
        return None
    try:
        eng = create_engine(url, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return url
    except Exception:
        return None


def unavailable(reason: str) -> None:
    """Skip, except under RAPPORT_REQUIRE_PG (CI), where a missing dependency must fail the run."""
    import pytest

    if os.environ.get("RAPPORT_REQUIRE_PG"):
        pytest.fail(f"RAPPORT_REQUIRE_PG is set but {reason}")
    pytest.skip(reason)


def wait_http(url: str, timeout: float, want: str | None = None) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                last = resp.read().decode()
                if want is None or want in last:
                    return last
        except urllib.error.HTTPError as exc:
            last = exc.read().decode(errors="replace")
        except OSError as exc:
            last = str(exc)
        time.sleep(0.25)
    raise TimeoutError(f"{url} not ready within {timeout}s: {last[:300]}")


# --- a round-robin HTTP proxy (what nginx does in docker-compose) -----------------------------------
class RoundRobinProxy(ThreadingHTTPServer):
    """Each request goes to the next backend; a refused connection (dead replica) moves on to the next one,
    as nginx's ``proxy_next_upstream error`` does. Anything else is returned as the backend answered."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, backends: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.backends = list(backends)
        self.lock = threading.Lock()
        self.turn = itertools.count()
        self.hits: dict[int, int] = {}
        self.upstream_seconds: list[float] = []  # request sent -> response read, per forwarded request
        self.ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def order(self) -> list[int]:
        with self.lock:
            n = next(self.turn)
            b = self.backends
            return [b[(n + i) % len(b)] for i in range(len(b))]

    def start(self) -> RoundRobinProxy:
        threading.Thread(target=self.serve_forever, daemon=True, name="proxy").start()
        return self


class _ProxyHandler(BaseHTTPRequestHandler):
    server: RoundRobinProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        headers.setdefault("X-Request-Id", f"proxy-{next(self.server.ids)}")
        last_error: Exception | None = None
        for port in self.server.order():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                t0 = time.perf_counter()
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                elapsed = time.perf_counter() - t0
            except ConnectionRefusedError as exc:  # never reached the replica: safe to try the next one
                last_error = exc
                conn.close()
                continue
            except OSError as exc:  # reached it and it died mid-request: the sender (Slack) retries
                conn.close()
                self._reply(502, json.dumps({"error": f"upstream {port}: {exc}"}).encode(), {})
                return
            conn.close()
            with self.server.lock:
                self.server.hits[port] = self.server.hits.get(port, 0) + 1
                self.server.upstream_seconds.append(elapsed)
            self._reply(resp.status, data, dict(resp.getheaders()))
            return
        self._reply(502, json.dumps({"error": f"no upstream: {last_error}"}).encode(), {})

    def _reply(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in HOP_HEADERS:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _forward  # noqa: N815
    do_POST = _forward  # noqa: N815


# --- processes -------------------------------------------------------------------------------------
@dataclass
class Replica:
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Cluster:
    home: Path
    db_url: str
    chroma_url: str
    env: dict[str, str]
    double: Any  # slackdouble.SlackDouble
    proxy: RoundRobinProxy
    replicas: list[Replica] = field(default_factory=list)
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from bot.store.db import make_engine

            self._engine = make_engine(self.db_url)
        return self._engine

    def start(self, i: int, scheduler: bool = True) -> None:
        r = self.replicas[i]
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(r.port), "--host", "127.0.0.1", "--no-watch"]
        if not scheduler:
            cmd.append("--no-scheduler")
        out = open(r.log, "ab")  # noqa: SIM115 - the child keeps it; closed when we stop it
        r.proc = subprocess.Popen(cmd, env=self.env, cwd=self.home, stdout=out, stderr=subprocess.STDOUT)
        out.close()

    def wait_ready(self, i: int, timeout: float = 180) -> float:
        """Seconds until /readyz reports database, index and Slack ready."""
        t0 = time.monotonic()
        wait_http(f"{self.replicas[i].url}/readyz", timeout, want='"ok": true')
        return time.monotonic() - t0

    def kill(self, i: int) -> None:
        proc = self.replicas[i].proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop(self, i: int) -> None:
        proc = self.replicas[i].proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def restart(self, i: int) -> float:
        """Start replica ``i`` again after a kill; seconds until it is ready."""
        self.start(i)
        return self.wait_ready(i)

    def replica_of(self, holder: str) -> int:
        """The replica whose process holds a lease (holders are ``host:pid:nonce``, bot.scheduler)."""
        pid = int(holder.split(":")[1])
        for i, r in enumerate(self.replicas):
            if r.proc is not None and r.proc.pid == pid:
                return i
        raise LookupError(f"no replica with pid {pid}")

    def outbox_messages(self) -> dict[str, int]:
        """Outbox marker -> how many messages carry it in the double's workspace. Counted there, not in the
        recorded calls: a call the double failed (429/5xx) is recorded but posted nothing."""
        found: dict[str, int] = {}
        with self.double.lock:
            stored = [m for msgs in self.double.workspace.messages.values() for m in msgs]
        for msg in stored:
            blocks = getattr(msg, "blocks", None) or []
            marker = str(blocks[0].get("block_id", "")) if blocks else ""
            if marker.startswith("rapport-outbox-"):
                found[marker] = found.get(marker, 0) + 1
        return found

    def metrics(self, i: int) -> str:
        with urllib.request.urlopen(f"{self.replicas[i].url}/metrics", timeout=10) as resp:
            return str(resp.read().decode())

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def services(self) -> Any:
        """Services in this (test) process over the cluster's database, notifying through the Slack double."""
        from bot.policies import load_policies
        from bot.services import Services
        from bot.settings import Settings
        from bot.slack.app import make_client
        from bot.slack.notifier import SlackNotifier
        from bot.store.db import make_session_factory

        return Services(
            settings=Settings(_env_file=None, database_url=self.db_url),  # type: ignore[call-arg]
            engine=self.engine,
            sessions=make_session_factory(self.engine),
            policies=load_policies(REPO / "playbooks" / "policies"),
            notifier=SlackNotifier(make_client(TOKEN, self.double.api_url)),  # retries as in serve
        )


def create_database(admin_url: str) -> tuple[str, str]:
    name = f"rapport_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def start_chroma(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = chroma_binary()
    assert binary, "chroma is not installed"
    port = free_port()
    log = open(home / "chroma.log", "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [binary, "run", "--path", str(home / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/v2/heartbeat", 60)
    except TimeoutError:
        proc.kill()
        raise
    return proc, url


def prepare_data(env: dict[str, str], home: Path, customers: int = 150) -> None:
    """Demo customers in PostgreSQL and the playbook index in the Chroma server, built by the real CLI."""
    cli = [sys.executable, "-m", "bot.cli"]
    for args in (["demo-data", "--customers", str(customers), "--seed", "11", "--now", NOW.isoformat()], ["index"]):
        res = subprocess.run([*cli, *args], env=env, cwd=home, capture_output=True, timeout=600)
        if res.returncode:
            raise RuntimeError(f"rapport {args[0]} failed: {res.stderr.decode()[-2000:]}")


def base_env(home: Path, db_url: str, chroma_url: str, api_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "DATABASE_URL": db_url,
        "CHROMA_URL": chroma_url,
        "PLAYBOOKS_DIR": str(REPO / "playbooks"),
        "SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "LOG_LEVEL": "INFO",
        "CI": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONUNBUFFERED": "1",
    }
    for var in ("CHROMA_PATH", "SLACK_APP_TOKEN", "RAPPORT_LLM"):
        env.pop(var, None)
    return env


def build_cluster(home: Path, db_url: str, chroma_url: str, replicas: int = 3, customers: int = 150) -> Cluster:
    """Double + proxy + replica slots; data prepared; replicas not started yet."""
    from bot.policies import load_policies
    from slackdouble import SlackDouble, seed_demo_workspace

    ports = [free_port() for _ in range(replicas)]
    proxy = RoundRobinProxy(ports).start()
    double = SlackDouble(SECRET, bot_url=f"{proxy.url}/slack/events", bot_token=TOKEN, delivery_timeout=30).start()
    policies = load_policies(REPO / "playbooks" / "policies")
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels] + [("C0SUPPORTQ", "support")],
    )
    env = base_env(home, db_url, chroma_url, double.api_url)
    prepare_data(env, home, customers)
    slots = [Replica(p, home / f"replica-{i}.log") for i, p in enumerate(ports)]
    return Cluster(home, db_url, chroma_url, env, double, proxy, slots)


def shutdown(cluster: Cluster) -> None:
    for i in range(len(cluster.replicas)):
        cluster.stop(i)
    cluster.proxy.shutdown()
    cluster.proxy.server_close()
    cluster.double.stop()
    if cluster._engine is not None:
        cluster._engine.dispose()


# --- a throwaway PostgreSQL server (restarting the shared one would break other tests) ---------------
def pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class ThrowawayPostgres:
    """A private PostgreSQL cluster (initdb + pg_ctl) on a free loopback port, trust auth, no fsync.

    As root, the server runs as the ``postgres`` user (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path) -> None:
        import tempfile

        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in cmd)]
        res = subprocess.run(cmd, capture_output=True, timeout=120)
        if res.returncode:
            raise RuntimeError(f"{tool} failed: {res.stdout.decode()[-1000:]} {res.stderr.decode()[-1000:]}")

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-w", "-t", "60", "-l", str(self.dir / "pg.log"), "-o", opts, *extra
        )

    def start(self) -> ThrowawayPostgres:
        self._ctl("start")
        return self

    def restart(self) -> None:
        """A fast restart: open connections are cut, as in a failover or an operator's restart."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
