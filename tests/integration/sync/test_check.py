"""``rapport sync --check``: a sample read through the source's own connector, reported, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from bot.store.models import Customer, Ticket
from bot.sync import service
from bot.sync.check import check_source
from bot.sync.config import SourceSpec, load_vocabulary
from bot.sync.models import QuarantineRow, SyncRun

from .test_vocabulary import POLICIES, accounts_spec


def _counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Customer, Ticket, SyncRun, QuarantineRow)
        )


def test_check_reports_what_a_sync_would_do_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    vocab = load_vocabulary(POLICIES)
    spec = accounts_spec(tmp_path / "accounts.csv")
    before = _counts(engine)
    report = check_source(spec, vocab, engine=engine)
    assert _counts(engine) == before
    assert report.complete and report.rows_read == 6 and report.valid == 6
    assert report.unmapped == []  # First and Last are read by the derived segment
    assert report.coverage["tier"] == 4 and report.coverage["arr"] == 3 and report.coverage["segment"] == 4
    assert report.unknown == {"tier": {"Startup": 1}, "region": {"NA": 1}, "owner_slack_id": {"U0NOBODY": 1}}
    text = "\n".join(report.lines())
    assert "read all 6 rows" in text
    assert "values no policy file knows: tier 'Startup' (1 row): not in tiers.yaml" in text


def _tickets(path: Path, n: int) -> Path:
    rows = ["Ticket,Account,Subject,Sev,Opened,Channel,Agent"]
    for i in range(n):
        sev = "Sev1" if i % 10 else "Sev7"  # every tenth row: a priority no map or policy knows
        account = "A1" if i % 50 else "ZZZ"  # every fiftieth: a customer the store does not hold
        rows.append(f"T{i},{account},Help {i},{sev},2025-01-05 3:00,email,Bob")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_check_of_child_rows_counts_unknown_priorities_and_customers(engine: Engine, tmp_path: Path) -> None:
    vocab = load_vocabulary(POLICIES)
    service.sync_source(engine, accounts_spec(tmp_path / "accounts.csv"), full=True, vocabulary=vocab)
    spec = SourceSpec(
        name="tickets",
        kind="csv",
        entity="ticket",
        path=str(_tickets(tmp_path / "t.csv", 1000)),
        customer_source="accounts",
        mapping={
            "external_id": "Ticket",
            "customer_external_id": "Account",
            "subject": "Subject",
            "priority": "Sev",
            "opened_at": "Opened",
        },
        values={"priority": {"Sev1": "P1"}},
    )
    report = check_source(spec, vocab, engine=engine, sample=None)
    assert report.complete and report.rows_read == 1000
    assert report.unmapped == ["Channel", "Agent"]
    assert report.unknown == {"priority": {"Sev7": 100}}
    reasons = {(k[0], k[1].split(" (")[0]): v.count for k, v in report.quarantined.items()}
    assert reasons[("Sev", "unknown priority 'Sev7'")] == 100
    # rows 0, 50, ... name ZZZ; those that also have Sev7 (every 50th is a multiple of 10) fail on priority first
    assert report.unknown_customers == 0
    assert report.would_quarantine == 100
    with_customers = check_source(
        spec.model_copy(update={"values": {"priority": {"Sev1": "P1", "Sev7": "P2"}}}),
        vocab,
        engine=engine,
        sample=None,
    )
    assert with_customers.unknown_customers == 20
    assert with_customers.would_quarantine == 20
    first = next(iter(with_customers.quarantined.values()))
    assert first.lines == [2, 52, 102]


def test_a_sample_reads_no_more_than_it_needs(engine: Engine, tmp_path: Path) -> None:
    spec = SourceSpec(
        name="tickets",
        kind="csv",
        entity="ticket",
        path=str(_tickets(tmp_path / "t.csv", 30_000)),
        mapping={
            "external_id": "Ticket",
            "customer_external_id": "Account",
            "subject": "Subject",
            "opened_at": "Opened",
        },
    )
    report = check_source(spec, load_vocabulary(POLICIES), engine=None, sample=5000)
    assert not report.complete
    assert report.rows_read == 5000
    assert "read a sample of 5,000 rows" in report.lines()[0]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cli_check(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_db_url: object) -> None:
    from bot.cli import app

    playbooks = tmp_path / "playbooks"
    (playbooks / "policies").mkdir(parents=True)
    for f in POLICIES.glob("*.yaml"):
        (playbooks / "policies" / f.name).write_bytes(f.read_bytes())
    spec = accounts_spec(tmp_path / "accounts.csv")
    (playbooks / "policies" / "sources.yaml").write_text(
        f"""sources:
  - name: accounts
    kind: csv
    entity: customer
    path: {spec.path}
    mapping: {{external_id: Account ID, name: Company, tier: Plan, region: Region, owner_slack_id: Owner}}
    values: {{tier: {{Enterprise: platinum, Pro: gold, Basic: silver}}}}
"""
    )
    monkeypatch.setenv("PLAYBOOKS_DIR", str(playbooks))
    monkeypatch.setenv("DATABASE_URL", make_db_url(backend))  # type: ignore[operator]
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    out = runner.invoke(app, ["sync", "--check", "--rows", "0"])
    assert out.exit_code == 0, out.output
    assert "unmapped columns (4): 'ARR', 'Lifetime', 'First', 'Last'" in out.output
    assert "tier 'Startup' (1 row): not in tiers.yaml" in out.output
    synced = runner.invoke(app, ["sync"])
    assert "stored values no policy file knows: tier 'Startup' (1 row): not in tiers.yaml" in synced.output
    status = runner.invoke(app, ["sync", "status"])
    assert "STORED UNKNOWN tier 'Startup'" in status.output


def test_a_big_file_checked_in_parts_adds_up_to_the_whole(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts read by worker processes give the report one reader gives: counts, absolute line numbers, and an id
    repeated from an earlier part counted as the duplicate a sync would quarantine."""
    from bot.sync import check

    path = _tickets(tmp_path / "t.csv", 20_000)
    with path.open("a") as fh:
        fh.write("T5,A1,Repeat of a first-part id,Sev1,2025-01-05 3:00,email,Bob\n")
    spec = SourceSpec(
        name="tickets",
        kind="csv",
        entity="ticket",
        path=str(path),
        mapping={
            "external_id": "Ticket",
            "customer_external_id": "Account",
            "subject": "Subject",
            "priority": "Sev",
            "opened_at": "Opened",
        },
        values={"priority": {"Sev1": "P1"}},
    )
    vocab = load_vocabulary(POLICIES)
    whole = check.check_source(spec, vocab, sample=None, workers=1)
    monkeypatch.setattr(check, "PARALLEL_CHECK_BYTES", 1000)
    assert check.split_csv(spec, 3) is not None
    parts = check.check_source(spec, vocab, sample=None, workers=3)
    assert (parts.rows_read, parts.valid, parts.would_quarantine) == (
        whole.rows_read,
        whole.valid,
        whole.would_quarantine,
    )
    assert parts.coverage == whole.coverage and parts.unknown == whole.unknown and parts.unmapped == whole.unmapped
    assert {k: (v.count, v.lines) for k, v in parts.quarantined.items()} == {
        k: (v.count, v.lines) for k, v in whole.quarantined.items()
    }
    assert whole.quarantined[("Ticket", "duplicate id 'T5' (first seen at line 7)")].lines == [20_002]


def test_a_file_with_quotes_is_read_in_one_piece(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.sync import check

    path = tmp_path / "t.csv"
    path.write_text('Ticket,Account,Subject,Opened\nT1,A1,"two\nlines",2025-01-05\n' * 1)
    monkeypatch.setattr(check, "PARALLEL_CHECK_BYTES", 10)
    spec = SourceSpec(
        name="t",
        kind="csv",
        entity="ticket",
        path=str(path),
        mapping={
            "external_id": "Ticket",
            "customer_external_id": "Account",
            "subject": "Subject",
            "opened_at": "Opened",
        },
    )
    assert check.split_csv(spec, 2) is None
