"""Per-source sync status reaches admins' App Home (and only admins'), worded like `rapport sync status`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.slack.listeners.home import home_blocks
from bot.slack.views import render
from bot.store.db import make_session_factory
from bot.sync import service
from bot.sync.config import SourcesPolicy
from bot.sync.status import for_admin

from .conftest import customer_spec, customers_csv

REPO = Path(__file__).resolve().parents[3]


def test_admins_see_each_sources_last_run_on_app_home(engine: Engine, tmp_path: Path) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 4))
    service.sync_source(engine, spec, full=True)
    services = Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )
    summary = for_admin(services, "U0CSLEAD")  # cs_lead: a Rapport admin
    assert summary is not None
    blocks = render(summary)
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    (line,) = [x for x in text.splitlines() if "crm_csv" in x]
    (expected,) = [s for s in service.status(engine, SourcesPolicy()) if s.name == "crm_csv"]
    assert line == f"• {service.describe(expected)}" and "ok: read 4, loaded 4, quarantined 0" in line
    assert for_admin(services, "U0SUPLEAD") is None  # support lead: not an admin
    assert "crm_csv" in str(home_blocks(services, "U0CSLEAD"))
    assert "crm_csv" not in str(home_blocks(services, "U0SUPLEAD"))
