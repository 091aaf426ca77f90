"""Helpers: write source files and build SourceSpecs for the sync tests."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.sync.config import SourceSpec

REPO = Path(__file__).resolve().parents[3]

CUSTOMER_MAP = {
    "external_id": "Account ID",
    "name": "Account Name",
    "domain": "Website",
    "region": "Region",
    "arr": "ARR",
    "updated_at": "Last Modified",
}
TICKET_MAP = {
    "external_id": "Ticket",
    "customer_external_id": "Account",
    "subject": "Subject",
    "priority": "Priority",
    "status": "Status",
    "opened_at": "Opened",
    "updated_at": "Updated",
}


def services_for(engine: Engine, playbooks: Path = REPO / "playbooks") -> Services:
    """Services on ``engine`` reading the policies (sources.yaml among them) under ``playbooks``."""
    return Services(
        settings=Settings(playbooks_dir=playbooks),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )


def customers_csv(path: Path, n: int, stamp: str = "2025-01-01T00:00:00Z") -> Path:
    lines = ["Account ID,Account Name,Website,Region,ARR,Last Modified"]
    lines += [f"A{i:05d},Company {i} Inc,https://www.company{i}.com,emea,{1000 + i}.50,{stamp}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ticket_spec(path: Path, **extra: Any) -> SourceSpec:
    opts: dict[str, Any] = {"mapping": TICKET_MAP, "customer_source": "crm_csv", "cursor_field": "updated_at"}
    return SourceSpec(name="helpdesk_csv", kind="csv", entity="ticket", path=str(path), **(opts | extra))


def customer_spec(path: Path, **extra: Any) -> SourceSpec:
    opts: dict[str, Any] = {"mapping": CUSTOMER_MAP, "cursor_field": "updated_at", "trust": 90}
    return SourceSpec(name="crm_csv", kind="csv", entity="customer", path=str(path), **(opts | extra))


BROKEN_KINDS = (
    "negative",
    "future",
    "missing_subject",
    "bad_priority",
    "bad_date",
    "unknown_customer",
    "duplicate_id",
    "short_row",
    "bad_encoding",
)


def tickets_csv_with_breakage(
    path: Path, n: int, customers: int, rate: float, seed: int = 7
) -> tuple[set[str], dict[int, str]]:
    """Write ``n`` ticket rows, ``rate`` of them broken in assorted ways.

    Returns (external ids of good rows, {line number: breakage kind} for bad rows).
    """
    rng = random.Random(seed)
    good: set[str] = set()
    bad: dict[int, str] = {}
    out: list[bytes] = [b"Ticket,Account,Subject,Priority,Status,Opened,Updated\n"]
    for i in range(n):
        line = i + 2
        tid = f"T{i:06d}"
        acct = f"A{rng.randrange(customers):05d}"
        row = [
            tid,
            acct,
            f"Printer on fire {i}",
            rng.choice(["P1", "high", "3", "low"]),
            "open",
            "2025-02-03 10:00:00",
            "2025-02-03T10:00:00Z",
        ]
        kind = rng.choice(BROKEN_KINDS) if rng.random() < rate else None
        if kind == "negative":
            row[3] = "-1"  # priority out of range (tickets have no amount); still a bad value
        elif kind == "future":
            row[5] = "2999-01-01"
        elif kind == "missing_subject":
            row[2] = ""
        elif kind == "bad_priority":
            row[3] = "P9"
        elif kind == "bad_date":
            row[5] = "yesterday-ish"
        elif kind == "unknown_customer":
            row[1] = "NOPE-1"
        elif kind == "duplicate_id":
            row[0] = "T000000"
        elif kind == "short_row":
            row = row[:4]
        text = ",".join(row).encode("utf-8")
        if kind == "bad_encoding":
            text = text.replace(b"Printer", b"Pr\xe9nter")  # latin-1 byte in a UTF-8 file
        if kind is not None and not (kind == "duplicate_id" and i == 0):
            bad[line] = kind
        else:
            good.add(tid)
        out.append(text + b"\n")
    path.write_bytes(b"".join(out))
    return good, bad
