"""``rapport sync --check`` on a large export: seconds for the whole file, and for the default sample.

    .venv/bin/python benchmarks/sync_check_export.py --rows 1000000 [--entity customer|ticket] [--keep .bench]

Writes a CSV export the way a CRM or helpdesk gives it (plan names ``Basic``/``Pro``/``Enterprise``, regions
``EMEA``/``NA``, dates like ``2023-07-28 3:00``, a few columns nobody maps, 1% of rows with an unknown plan or
a broken value), then runs :func:`bot.sync.check.check_source` over all of it (``--rows 0``) and over the
default sample. For tickets, the accounts they name are loaded first (the check resolves customer references in
the store, read-only). Prints seconds, rows/s and the peak resident memory of this process (flat: the check
keeps counters, never rows). Target (issue 19): the whole 1M-row export in under 30 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

PLANS = ("Basic", "Pro", "Enterprise")
REGIONS = ("EMEA", "NA", "APAC", "LATAM")
ACCOUNTS = 20_000


def write_customers(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Account ID,Company,Plan,Region,ARR,Owner,Industry,Created,Notes\n")
        for i in range(rows):
            plan = "Startup" if i % 100 == 7 else rng.choice(PLANS)
            arr = "n/a" if i % 100 == 13 else f"{rng.randrange(100, 900_000)}.00"
            fh.write(
                f"A{i:07d},Company_{i},{plan},{rng.choice(REGIONS)},{arr},U0AMGOLD,Retail,"
                f"2023-07-{1 + i % 28:02d} {i % 24}:00,\n"
            )


def write_tickets(path: Path, rows: int) -> None:
    rng = random.Random(8)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Ticket,Account,Subject,Severity,Opened,Channel,Agent\n")
        for i in range(rows):
            sev = "Sev9" if i % 100 == 7 else rng.choice(("Sev1", "Sev2", "Sev3", "Sev4"))
            fh.write(
                f"T{i:08d},A{rng.randrange(ACCOUNTS + 100):07d},Issue {i},{sev},"
                f"2024-0{1 + i % 9}-{1 + i % 28:02d} {i % 24}:15,email,Bob\n"
            )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--entity", choices=("customer", "ticket"), default="customer")
    parser.add_argument("--keep", type=Path, default=None, help="write the export here (re-used if present)")
    args = parser.parse_args()

    from bot.policies import load_policies
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade
    from bot.sync import service
    from bot.sync.check import DEFAULT_SAMPLE, check_source
    from bot.sync.config import SourceSpec, Vocabulary

    repo = Path(__file__).resolve().parents[1]
    policies = load_policies(repo / "playbooks" / "policies")
    vocab = Vocabulary.of(policies.tiers, policies.roles)
    work = args.keep or Path(tempfile.mkdtemp(prefix="rapport-check-"))
    work.mkdir(parents=True, exist_ok=True)
    accounts = work / f"accounts-{args.rows if args.entity == 'customer' else ACCOUNTS}.csv"
    customer_spec = SourceSpec(
        name="accounts",
        kind="csv",
        entity="customer",
        path=str(accounts),
        mapping={
            "external_id": "Account ID",
            "name": "Company",
            "tier": "Plan",
            "region": "Region",
            "arr": "ARR",
            "owner_slack_id": "Owner",
        },
        values={
            "tier": {"Enterprise": "platinum", "Pro": "gold", "Basic": "silver"},
            "region": {"EMEA": "emea", "NA": "na", "APAC": "apac", "LATAM": "latam"},
        },
    )
    engine = None
    if not accounts.exists():
        write_customers(accounts, args.rows if args.entity == "customer" else ACCOUNTS)
    spec = customer_spec
    if args.entity == "ticket":
        engine = make_engine(f"sqlite:///{work / 'store.db'}")
        upgrade(engine)
        service.sync_source(engine, customer_spec, full=True, vocabulary=vocab)
        tickets = work / f"tickets-{args.rows}.csv"
        if not tickets.exists():
            write_tickets(tickets, args.rows)
        spec = SourceSpec(
            name="tickets",
            kind="csv",
            entity="ticket",
            path=str(tickets),
            customer_source="accounts",
            mapping={
                "external_id": "Ticket",
                "customer_external_id": "Account",
                "subject": "Subject",
                "priority": "Severity",
                "opened_at": "Opened",
            },
            values={"priority": {"Sev1": "P1", "Sev2": "P2", "Sev3": "P3", "Sev4": "P4"}},
        )
    size = Path(str(spec.path)).stat().st_size
    print(f"export: {args.rows:,} {args.entity} rows, {size / 1e6:.0f} MB ({spec.path})")
    for label, sample in (
        ("whole export (--rows 0)", None),
        (f"default sample ({DEFAULT_SAMPLE:,} rows)", DEFAULT_SAMPLE),
    ):
        started, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
        report = check_source(spec, vocab, engine=engine, sample=sample)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        kids = _children_cpu() - kids
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        unknown = sum(sum(v.values()) for v in report.unknown.values())
        print(
            f"{label}: {report.rows_read:,} rows in {seconds:.2f} s ({report.rows_read / seconds:,.0f} rows/s; "
            f"{cpu:.2f} CPU-s here, {kids:.2f} in worker processes), load average {os.getloadavg()[0]:.1f}; "
            f"would quarantine {report.would_quarantine:,}, {unknown:,} unknown values; peak RSS {peak:,.0f} MB"
        )
    for line in report.lines()[1:]:
        print(line)


if __name__ == "__main__":
    main()
