"""`rapport audit verify` over a large trail: bulk-generate N correctly chained events, then time the verifier
(in-process `bot.governance.audit.verify` and the real CLI command), then tamper one row and check it is found.

    python benchmarks/audit_verify.py                       # 1,000,000 events, SQLite file
    python benchmarks/audit_verify.py --events 100000 --url postgresql+psycopg2://...   # an EMPTY database
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.governance.audit import GENESIS, _digest, verify  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from bot.store.models import AuditEvent  # noqa: E402

ACTIONS = ["approval.requested", "approval.decided", "approval.refused", "answer.given", "alert.sent"]


def generate(engine: object, n: int, batch: int = 20_000) -> float:
    """Rows chained exactly as `record` would chain them, inserted in bulk (executemany)."""
    t = time.perf_counter()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = GENESIS
    rows: list[dict[str, object]] = []
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for i in range(n):
            at = start + dt.timedelta(microseconds=37 * i)
            actor, action, sid = f"U{i % 97:05d}", ACTIONS[i % 5], str(i // 3)
            details = {"step": i % 3, "policy_version": "bench"}
            h = _digest(prev, at, actor, action, "approval_request", sid, details)
            rows.append(
                dict(
                    occurred_at=at,
                    actor=actor,
                    action=action,
                    subject_type="approval_request",
                    subject_id=sid,
                    details=details,
                    prev_hash=prev,
                    hash=h,
                )
            )
            prev = h
            if len(rows) == batch:
                conn.execute(insert(AuditEvent), rows)
                rows = []
        if rows:
            conn.execute(insert(AuditEvent), rows)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--url", default=None, help="database URL (must be empty); default a temp SQLite file")
    args = ap.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='rapport-audit-bench-')) / 'audit.db'}"
    engine = make_engine(url)
    upgrade(engine)
    secs = generate(engine, args.events)
    print(f"generated {args.events:,} chained events in {secs:.1f} s ({args.events / secs:,.0f}/s)")

    t = time.perf_counter()
    with Session(engine) as s:
        res = verify(s)
    secs = time.perf_counter() - t
    print(
        f"verify (in-process): ok={res.ok} checked={res.checked:,} in {secs:.1f} s "
        f"({res.checked / secs:,.0f} events/s); target < 30 s for 1,000,000"
    )

    env = {**os.environ, "DATABASE_URL": url, "CI": "true"}
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit", "verify"], env=env, capture_output=True, text=True, cwd=REPO
    )
    print(
        f"`rapport audit verify`: exit {out.returncode} in {time.perf_counter() - t:.1f} s wall: "
        f"{(out.stdout or out.stderr).strip()}"
    )

    victim = args.events * 3 // 4
    with engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == victim).values(actor="U_EVIL"))
    with Session(engine) as s:
        res = verify(s)
    print(f"after editing event {victim:,}: ok={res.ok} first_bad_id={res.first_bad_id} ({res.reason})")


if __name__ == "__main__":
    main()
