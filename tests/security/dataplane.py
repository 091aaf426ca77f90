"""A `rapport serve` with its own data sources, on SQLite or PostgreSQL, for the data-path probes of issue 16
(findings 2, 3 and 5): CSV sources synced by the real CLI, webhook sources posted to over HTTP, the database read
back by the test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bot.sync.ingest import sign

from .conftest import REPO, Server, base_env, serve

HOOK_SECRET = "hook-secret-for-the-probes"
OLD_SECRET = "legacy-hook-secret"
SOURCES = """
sources:
  - name: crm
    kind: csv
    entity: customer
    path: {home}/crm.csv
    mapping: {{external_id: Account ID, name: Account Name, domain: Website, tier: Tier, region: Region, arr: ARR,
               updated_at: Modified}}
    cursor_field: updated_at
  - name: tickets
    kind: csv
    entity: ticket
    customer_source: crm
    path: {home}/tickets.csv
    mapping: {{external_id: Ticket, customer_external_id: Account, subject: Subject, priority: Priority,
               status: Status, opened_at: Opened, updated_at: Updated}}
    cursor_field: updated_at
  - name: hook
    kind: webhook
    secret_env: PROBE_HOOK_SECRET
    customer_source: crm
  - name: old_hook
    kind: webhook
    secret_env: PROBE_OLD_SECRET
    legacy_signature: true
    customer_source: crm
"""


@dataclass
class Plane:
    server: Server
    home: Path
    env: dict[str, str]
    engine: Engine

    def cli(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout + done.stderr

    def ingest(
        self,
        source: str,
        payload: Any,
        *,
        timestamp: int | None = None,
        delivery: str | None = None,
        headers: dict[str, str] | None = None,
        secret: str = HOOK_SECRET,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """POST a webhook delivery to `rapport serve`, signed as the README says (v1: timestamp and body),
        unless ``headers`` are given as they are; returns the status, the JSON answer and the headers sent."""
        body = json.dumps(payload).encode()
        if headers is None:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            headers = {"X-Rapport-Timestamp": ts, "X-Rapport-Signature": sign(secret, ts, body)}
            if delivery:
                headers["X-Rapport-Delivery"] = delivery
        req = urllib.request.Request(
            f"{self.server.url}/ingest/{source}",
            data=body,
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read()), headers
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}"), headers

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]


@contextmanager
def plane(backend: str, home: Path, pg_admin_url: str | None) -> Iterator[Plane]:
    playbooks = home / "playbooks"
    shutil.copytree(REPO / "playbooks", playbooks)
    (playbooks / "policies" / "sources.yaml").write_text(SOURCES.format(home=home), encoding="utf-8")
    env = base_env(home, playbooks) | {"PROBE_HOOK_SECRET": HOOK_SECRET, "PROBE_OLD_SECRET": OLD_SECRET}
    scratch = None
    if backend == "postgresql":
        assert pg_admin_url
        scratch = f"rapport_probe_{uuid.uuid4().hex[:10]}"
        with create_engine(pg_admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        env["DATABASE_URL"] = pg_admin_url.rsplit("/", 1)[0] + "/" + scratch
    else:
        env["DATABASE_URL"] = f"sqlite:///{home / 'rapport.db'}"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, cwd=home, check=True, capture_output=True
    )
    engine = create_engine(env["DATABASE_URL"])
    try:
        with serve(home, env) as running:
            yield Plane(running, home, env, engine)
    finally:
        engine.dispose()
        if scratch and pg_admin_url:
            with create_engine(pg_admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


def no_tracebacks(server: Server) -> None:
    log = server.log_text()
    assert "Traceback" not in log, log[-4000:]
