"""The new signals come the way all customer data does: CSV exports synced by `bot.sync` (survey answers,
contact changes, shipments, health snapshots), then the YAML rules fire on them (both backends)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bot.alerts.evaluate import evaluate
from bot.alerts.models import Alert
from bot.policies import Policies
from bot.store.models import ContactChange, Customer, HealthScore, Shipment, SurveyResponse
from bot.sync import service
from bot.sync.config import SourceSpec

from .conftest import NOW


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    lines: list[list[Any]] = [header, *rows]
    path.write_text("\n".join(",".join(str(v) for v in r) for r in lines) + "\n", encoding="utf-8")


def _spec(name: str, entity: Any, path: Path, fields: list[str], customer_source: str | None = "crm") -> SourceSpec:
    mapping = {f: f for f in fields}
    return SourceSpec(
        name=name, kind="csv", entity=entity, path=str(path), mapping=mapping, customer_source=customer_source
    )


def test_synced_signals_fire_their_rules(engine: Engine, tmp_path: Path, policies: Policies) -> None:
    day = NOW.date()
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    customers = ["external_id", "name", "tier", "arr", "lifetime_value", "owner_slack_id", "updated_at"]
    _csv(
        tmp_path / "crm.csv",
        customers,
        [
            [f"A{i}", f"Company {i}", "platinum", 900000, 3000000, "U0AMPLAT", iso(NOW - dt.timedelta(days=1))]
            for i in range(3)
        ],
    )
    surveys = ["external_id", "customer_external_id", "survey", "score", "responded_at"]
    _csv(
        tmp_path / "nps.csv",
        surveys,
        [["S1", "A0", "NPS", 3, iso(NOW - dt.timedelta(days=2))], ["S2", "A1", "nps", 9, iso(NOW)]],
    )
    changes = ["external_id", "customer_external_id", "role", "change", "title", "changed_at"]
    _csv(
        tmp_path / "cc.csv",
        changes,
        [["C1", "A1", "Executive Sponsor", "left", "CFO", iso(NOW - dt.timedelta(days=5))]],
    )
    shipments = ["external_id", "customer_external_id", "order_external_id", "status", "promised_at", "delivered_at"]
    _csv(tmp_path / "ship.csv", shipments, [["H1", "A2", "SO-1", "shipped", iso(NOW - dt.timedelta(days=6)), ""]])
    health = ["external_id", "customer_external_id", "day", "score", "usage", "support"]
    _csv(
        tmp_path / "health.csv",
        health,
        [["G1", "A0", day - dt.timedelta(days=35), 80, 85, 75], ["G2", "A0", day, 52, 40, 70]],
    )
    runs = [
        service.sync_source(engine, _spec("crm", "customer", tmp_path / "crm.csv", customers, None), full=True),
        service.sync_source(engine, _spec("surveys", "survey", tmp_path / "nps.csv", surveys), full=True),
        service.sync_source(engine, _spec("crm_contacts", "contact_change", tmp_path / "cc.csv", changes), full=True),
        service.sync_source(engine, _spec("logistics", "shipment", tmp_path / "ship.csv", shipments), full=True),
        service.sync_source(engine, _spec("cs_platform", "health", tmp_path / "health.csv", health), full=True),
    ]
    assert [r.status for r in runs] == ["ok"] * 5, [(r.source, r.error) for r in runs]
    with engine.connect() as conn:
        counts = [
            conn.scalar(select(func.count()).select_from(m))
            for m in (SurveyResponse, ContactChange, Shipment, HealthScore)
        ]
        ids = dict(conn.execute(select(Customer.name, Customer.id)).all())
        role = conn.scalar(select(ContactChange.role))
    assert counts == [2, 1, 1, 2] and role == "executive_sponsor"
    evaluate(engine, policies, NOW, rules=["detractor-response", "champion-left", "shipment-delay", "health-drop"])
    with engine.connect() as conn:
        fired = set(conn.execute(select(Alert.rule, Alert.customer_id)).all())
        health_ev = conn.scalar(select(Alert.evidence).where(Alert.rule == "health-drop"))
    assert fired == {
        ("detractor-response", ids["Company 0"]),
        ("champion-left", ids["Company 1"]),
        ("shipment-delay", ids["Company 2"]),
        ("health-drop", ids["Company 0"]),
    }
    assert health_ev is not None
    components = {f["key"]: f["value"] for f in health_ev["facts"] if f["key"].startswith("component_")}
    assert components == {"component_usage": -45.0, "component_support": -5.0}
