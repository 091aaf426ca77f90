"""``rapport audit verify | export``: check the hash-chained audit trail; hand reviewers a CSV/JSONL copy."""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from bot.commands.common import UserError, engine_from_settings, parse_time
from bot.governance.audit import verify
from bot.store.models import AuditEvent

app = typer.Typer(help="Audit trail: verify the hash chain, export events for reviewers.", no_args_is_help=True)


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _engine() -> Engine:
    engine = engine_from_settings()
    if not inspect(engine).has_table("audit_events"):
        raise UserError("the database has no audit trail yet; run `rapport db upgrade` first")
    return engine


def parse_since(text: str) -> dt.datetime:
    """``2026-11-01`` (midnight UTC) or an ISO 8601 timestamp; naive times are UTC."""
    return parse_time(text, "--since")


@app.command("verify")
def verify_cmd() -> None:
    """Walk the whole chain; exit 1 and name the first edited, deleted or reordered event."""
    engine = _engine()
    started = time.perf_counter()
    with Session(engine) as session:
        result = verify(session)
    seconds = time.perf_counter() - started
    if result.ok:
        typer.echo(f"audit trail OK: {result.checked:,} events verified in {seconds:.1f} s")
        return
    typer.echo(
        f"audit trail BROKEN at event id {result.first_bad_id}: {result.reason} ({result.checked:,} events checked)",
        err=True,
    )
    raise typer.Exit(1)


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="File to write (overwritten).")],
    since: Annotated[str | None, typer.Option(help="Only events at or after this date/time (UTC).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="csv or jsonl.")] = Format.jsonl,
) -> None:
    """Write events (with their hashes, so the copy can be re-verified) as CSV or JSON Lines."""
    start = parse_since(since) if since else None
    if out.parent and not out.parent.exists():
        raise UserError(f"--out {str(out)!r}: folder {str(out.parent)!r} does not exist")
    n = export_events(_engine(), out, fmt.value, start)
    typer.echo(f"wrote {n:,} events to {out}")


COLUMNS = ("id", "occurred_at", "actor", "action", "subject_type", "subject_id", "details", "prev_hash", "hash")


def export_events(engine: Engine, out: Path, fmt: str, since: dt.datetime | None, batch: int = 10_000) -> int:
    """Stream events in id order (keyset pages, constant memory) to ``out``; return how many were written."""
    cols = [getattr(AuditEvent, c) for c in COLUMNS]
    n, last = 0, 0
    with out.open("w", newline="", encoding="utf-8") as fh, engine.connect() as conn:
        writer = csv.writer(fh) if fmt == "csv" else None
        if writer:
            writer.writerow(COLUMNS)
        while True:
            stmt = select(*cols).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
            if since is not None:
                stmt = stmt.where(AuditEvent.occurred_at >= since)
            rows = conn.execute(stmt).all()
            if not rows:
                return n
            for row in rows:
                rec = dict(zip(COLUMNS, row, strict=True))
                rec["occurred_at"] = rec["occurred_at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
                if writer:
                    writer.writerow([json.dumps(v, sort_keys=True) if k == "details" else v for k, v in rec.items()])
                else:
                    fh.write(json.dumps(rec, sort_keys=True, default=str) + "\n")
            n += len(rows)
            last = rows[-1][0]
