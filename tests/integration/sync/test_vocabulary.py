"""A real export's vocabulary through a sync, on SQLite and PostgreSQL: value maps turn the export's words into
the policy's, derived fields are stored, values no policy file knows are stored and said (summary, status), and
customers that came without a tier are placed by value and queued for ``rapport segment``."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, select, text

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.store.models import Customer, Order, Renewal, Ticket
from bot.sync import service
from bot.sync.config import SourceSpec, Vocabulary, load_vocabulary
from bot.sync.ingest import handle_ingest, sign
from bot.sync.models import SyncRun, Untiered

REPO = Path(__file__).resolve().parents[3]
POLICIES = REPO / "playbooks" / "policies"
ACCOUNTS = """Account ID,Company,Plan,Region,ARR,Lifetime,Owner,First,Last
A1,Company_1,Enterprise,EMEA,300000,,U0AMPLAT,Ada,Lovelace
A2,Company_2,Pro,NA,80000,,U0NOBODY,Alan,Turing
A3,Company_3,  basic ,na,100,,U0AMGOLD,Grace,Hopper
A4,Company_4,Startup,apac,,,U0AMGOLD,Edsger,
A5,Company_5,,apac,,1200000,U0AMGOLD,,
A6,Company_6,,latam,,,U0AMGOLD,,
"""


def _vocab() -> Vocabulary:
    vocab = load_vocabulary(POLICIES)
    assert vocab is not None
    return vocab


def accounts_spec(path: Path) -> SourceSpec:
    path.write_text(ACCOUNTS)
    return SourceSpec(
        name="accounts",
        kind="csv",
        entity="customer",
        path=str(path),
        mapping={
            "external_id": "Account ID",
            "name": "Company",
            "tier": "Plan",
            "region": "Region",
            "arr": "ARR",
            "lifetime_value": "Lifetime",
            "owner_slack_id": "Owner",
        },
        values={"tier": {"Enterprise": "platinum", "Pro": "gold", "Basic": "silver"}, "region": {"EMEA": "emea"}},
        derive={"segment": "{First} {Last}"},
    )


def test_value_maps_unknown_values_and_untiered_customers(engine: Engine, tmp_path: Path) -> None:
    result = service.sync_source(engine, accounts_spec(tmp_path / "accounts.csv"), full=True, vocabulary=_vocab())
    assert result.status == "ok", result.error
    assert result.rows_loaded == 6
    with engine.connect() as conn:
        rows = {
            r.name: r for r in conn.execute(select(Customer.name, Customer.tier, Customer.region, Customer.segment))
        }
        untiered = set(conn.scalars(select(Untiered.customer_id)))
        ids = dict(conn.execute(select(Customer.name, Customer.id)).all())
    assert rows["Company_1"].tier == "platinum" and rows["Company_1"].region == "emea"
    assert rows["Company_2"].tier == "gold" and rows["Company_2"].region == "NA"  # NA is not mapped: kept, reported
    assert rows["Company_3"].tier == "silver"  # "  basic " matches Basic whatever its case and spacing
    assert rows["Company_4"].tier == "Startup"  # no map for it: stored as given and reported, never a default
    assert rows["Company_1"].segment == "Ada Lovelace" and rows["Company_4"].segment == "Edsger"
    # no tier in the export: placed by the record's value (1.2M lifetime value: platinum) or, with no value on
    # record, the lowest tier for now; both queued for rapport segment
    assert rows["Company_5"].tier == "platinum" and rows["Company_6"].tier == "bronze"
    assert untiered == {ids["Company_5"], ids["Company_6"]}
    assert result.untiered == 2
    assert result.unknown == {"tier": {"Startup": 1}, "region": {"NA": 1}, "owner_slack_id": {"U0NOBODY": 1}}
    assert result.unknown_lines() == [
        "tier 'Startup' (1 row): not in tiers.yaml",
        "region 'NA' (1 row): not in tiers.yaml",
        "owner 'U0NOBODY' (1 row): not in roles.yaml",
    ]
    with engine.connect() as conn:
        stored = conn.scalar(select(SyncRun.unknown_values).where(SyncRun.id == result.run_id))
    assert stored == result.unknown
    from bot.sync.config import SourcesPolicy

    (status,) = service.status(engine, SourcesPolicy(sources=[accounts_spec(tmp_path / "accounts.csv")]))
    line = service.describe(status)
    assert "STORED UNKNOWN tier 'Startup' (1 row): not in tiers.yaml" in line
    assert "STORED UNKNOWN owner 'U0NOBODY' (1 row): not in roles.yaml" in line


def test_without_a_vocabulary_nothing_is_judged(engine: Engine, tmp_path: Path) -> None:
    """Older callers (no policy files) keep the earlier behaviour: no counts, the legacy placeholder tier."""
    result = service.sync_source(engine, accounts_spec(tmp_path / "accounts.csv"), full=True)
    assert result.unknown == {} and result.untiered == 2
    with engine.connect() as conn:
        assert conn.scalar(select(Customer.tier).where(Customer.name == "Company_5")) == "bronze"


def _ticket_db(path: Path) -> str:
    url = f"sqlite:///{path}"
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (id TEXT, org TEXT, title TEXT, sev TEXT, made TEXT, replies INT)"))
        conn.execute(
            text("INSERT INTO t VALUES (:i, 'A1', 'Down', :s, '2025-01-05T10:00:00', :r)"),
            [{"i": "T1", "s": "Sev1", "r": 1}, {"i": "T2", "s": "sev 2", "r": 3}, {"i": "T3", "s": "Sev9", "r": 0}],
        )
    eng.dispose()
    return url


def test_sql_source_maps_priorities_and_refuses_unmapped_ones(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, accounts_spec(tmp_path / "accounts.csv"), full=True, vocabulary=_vocab())
    spec = SourceSpec(
        name="tickets",
        kind="sql",
        entity="ticket",
        customer_source="accounts",
        url=_ticket_db(tmp_path / "hd.db"),
        query="SELECT id AS external_id, org AS customer_external_id, title AS subject, sev, made AS opened_at, "
        "replies AS agent_replies FROM t",
        derive={"priority": ["sev"]},
        values={"priority": {"Sev1": "P1", "Sev 2": "P2"}},
    )
    result = service.sync_source(engine, spec, full=True, vocabulary=_vocab())
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    with engine.connect() as conn:
        got = dict(conn.execute(select(Ticket.external_id, Ticket.priority)).all())
        replies = dict(conn.execute(select(Ticket.external_id, Ticket.agent_replies)).all())
    assert got == {"T1": "P1", "T2": "P2"}
    assert replies == {"T1": 1, "T2": 3}
    (err,) = service.errors(engine, "tickets")
    assert "unknown priority 'Sev9'" in err.reason


def test_webhook_applies_the_source_maps_and_reports_unknown_values(engine: Engine, tmp_path: Path) -> None:
    playbooks = tmp_path / "playbooks"
    (playbooks / "policies").mkdir(parents=True)
    for f in POLICIES.glob("*.yaml"):
        (playbooks / "policies" / f.name).write_bytes(f.read_bytes())
    (playbooks / "policies" / "sources.yaml").write_text(
        """sources:
  - name: crm_push
    kind: webhook
    entity: customer
    secret_env: PUSH_SECRET
    values: {tier: {Enterprise: platinum}}
"""
    )
    services = Services(
        settings=Settings(playbooks_dir=playbooks),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(playbooks / "policies"),
        notifier=RecordingNotifier(),
    )
    body = json.dumps(
        [
            {"external_id": "W1", "name": "Push One", "tier": "ENTERPRISE"},
            {"external_id": "W2", "name": "Push Two", "tier": "Diamond"},
        ]
    ).encode()
    stamp = str(int(time.time()))
    headers = {"X-Rapport-Timestamp": stamp, "X-Rapport-Signature": sign("s3cret", stamp, body)}
    status, reply = handle_ingest(services, "crm_push", headers, body, env={"PUSH_SECRET": "s3cret"})
    assert status == 200, reply
    assert reply["unknown_values"] == ["tier 'Diamond' (1 row): not in tiers.yaml"]
    with engine.connect() as conn:
        assert dict(conn.execute(select(Customer.name, Customer.tier)).all()) == {
            "Push One": "platinum",
            "Push Two": "Diamond",
        }


def test_renewals_and_activities_are_accepted(engine: Engine, tmp_path: Path) -> None:
    service.sync_source(engine, accounts_spec(tmp_path / "accounts.csv"), full=True, vocabulary=_vocab())
    renewals = tmp_path / "renewals.csv"
    renewals.write_text(
        "id,acct,result,decided,before,after,why\n"
        "R1,A1,Won,2025-03-01,300000,330000,\n"
        "R2,A2,Lost,2025-03-02,80000,0,moved to a competitor\n"
        "R3,A3,maybe,2025-03-03,100,100,\n"
    )
    spec = SourceSpec(
        name="renewals",
        kind="csv",
        entity="renewal",
        path=str(renewals),
        customer_source="accounts",
        mapping={
            "external_id": "id",
            "customer_external_id": "acct",
            "outcome": "result",
            "decided_at": "decided",
            "arr_before": "before",
            "arr_after": "after",
            "reason": "why",
        },
    )
    result = service.sync_source(engine, spec, full=True)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    with engine.connect() as conn:
        assert dict(conn.execute(select(Renewal.external_id, Renewal.outcome)).all()) == {
            "R1": "renewed",
            "R2": "churned",
        }
        assert conn.scalar(select(Order.id).limit(1)) is None
    (err,) = service.errors(engine, "renewals")
    assert "unknown renewal outcome 'maybe'" in err.reason
