"""Identity resolution on the demo book (planted duplicates) and on hand-made edge cases; both backends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bot.customers import merge
from bot.customers.identity import find_clusters, measure
from bot.demo.generator import DemoGenerator, load
from bot.governance.audit import verify
from bot.store.models import Customer, CustomerIdentifier

TRUST = {"crm": 90, "billing": 80, "helpdesk": 40}.get
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def trust(source: str) -> int:
    return TRUST(source) or 10


def test_demo_duplicates_precision_and_recall_above_95(engine: Engine) -> None:
    load(engine, DemoGenerator(customers=1500, seed=3, now=NOW))
    report = merge.resolve(engine, trust)
    assert report.merged_records > 10
    with engine.connect() as conn:
        quality = measure(conn)
    assert quality.true_pairs > 10
    assert quality.precision > 0.95 and quality.recall > 0.95, quality
    again = merge.resolve(engine, trust)
    assert again.merged_records == 0  # idempotent
    with Session(engine) as session:
        assert verify(session).ok


def _customer(
    conn: object, cid: int, name: str, region: str, source: str, ext: str, domain: str | None, **extra: object
) -> None:
    row = {
        "id": cid,
        "name": name,
        "domains": [domain] if domain else [],
        "external_ids": {source: ext},
        "tier": "bronze",
        "segment": "unknown",
        "region": region,
        "timezone": "UTC",
        "lifetime_value": 0,
        "arr": 0,
        "health_score": 70,
        "consent_outreach": True,
        "consent_marketing": False,
        "consent_data_processing": True,
        "comm_preferences": {},
        "created_at": NOW,
        "updated_at": NOW,
    } | extra
    conn.execute(insert(Customer), [row])  # type: ignore[attr-defined]
    from bot.customers.normalize import name_key

    idents = [("name", name_key(name)), ("external_id", ext.lower())] + ([("domain", domain)] if domain else [])
    conn.execute(
        insert(CustomerIdentifier),
        [  # type: ignore[attr-defined]
            {"customer_id": cid, "kind": k, "value": v, "source": source} for k, v in idents
        ],
    )


def test_survivorship_explain_and_unmerge(engine: Engine) -> None:
    with engine.begin() as conn:
        _customer(
            conn,
            1,
            "Acme Corp",
            "na",
            "crm",
            "CRM-1",
            "acme.com",
            arr=5000,
            segment="enterprise",
            updated_at=NOW - dt.timedelta(days=30),
        )
        _customer(conn, 2, "ACME", "na", "helpdesk", "HD-1", "acme.com", owner_slack_id="U0X", arr=1)
        _customer(conn, 3, "Acme Corp.", "emea", "billing", "ACC-1", None, tier="gold")  # name but other region
        _customer(conn, 4, "Acme Corporation", "na", "crm", "CRM-2", None)  # same name+region, but 2nd CRM acct
        _customer(conn, 5, "Zeta", "na", "crm", "CRM-3", "zeta.io")
    with engine.connect() as conn:
        clusters = find_clusters(conn)
    assert [sorted(c.members) for c in clusters] == [[1, 2]]
    merge.resolve(engine, trust)
    with Session(engine) as s:
        golden, dup = s.get(Customer, 1), s.get(Customer, 2)
        assert golden is not None and dup is not None
        assert dup.merged_into_id == 1 and golden.merged_into_id is None
        assert golden.arr == 5000 and golden.segment == "enterprise"  # most trusted source wins
        assert golden.owner_slack_id == "U0X"  # only the helpdesk record has one
        assert golden.external_ids == {"crm": "CRM-1", "helpdesk": "HD-1"}
    why = merge.explain(engine, 2)
    assert why.golden_id == 1 and why.provenance["arr"] == {"source": "crm", "customer_id": 1}
    assert why.provenance["owner_slack_id"]["customer_id"] == 2
    assert why.members[1]["evidence"] == ["domain", "name+region"] or why.members[1]["evidence"] == ["domain"]
    merge.unmerge(engine, 2, trust)
    with Session(engine) as s:
        golden, dup = s.get(Customer, 1), s.get(Customer, 2)
        assert golden is not None and dup is not None
        assert dup.merged_into_id is None
        assert golden.owner_slack_id is None and golden.external_ids == {"crm": "CRM-1"}
    assert merge.explain(engine, 1).provenance == {}
    with engine.connect() as conn:
        assert conn.scalar(select(Customer.merged_into_id).where(Customer.id == 4)) is None


def test_cli_resolve_explain_unmerge(tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from bot.commands.common import UserError
    from bot.commands.customers import app
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade

    url = f"sqlite:///{Path(str(tmp_path)) / 'r.db'}"
    eng = make_engine(url)
    upgrade(eng)
    with eng.begin() as conn:
        _customer(conn, 1, "Acme Corp", "na", "crm", "CRM-1", "acme.com")
        _customer(conn, 2, "ACME", "na", "helpdesk", "HD-1", "acme.com")
    eng.dispose()
    env = {"DATABASE_URL": url, "PLAYBOOKS_DIR": str(Path(str(tmp_path)) / "nowhere")}
    runner = CliRunner()
    out = runner.invoke(app, ["resolve"], env=env)
    assert out.exit_code == 0 and "merged 1 records into 1 golden records" in out.output, out.output
    out = runner.invoke(app, ["explain", "2"], env=env)
    assert "customer 2 -> golden record 1" in out.output and "merged  2 from helpdesk on domain" in out.output
    assert runner.invoke(app, ["unmerge", "2"], env=env).exit_code == 0
    bad = runner.invoke(app, ["unmerge", "2"], env=env)
    assert isinstance(bad.exception, UserError) and "not merged" in str(bad.exception)
