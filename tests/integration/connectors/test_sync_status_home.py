"""Per-source sync status reaches admins' App Home (and only admins'), worded like `rapport sync status`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.connectors_state import service
from bot.connectors_state.config import SourcesPolicy
from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.slack.listeners import home
from bot.slack.listeners.admin import data_sources_home
from bot.store.db import make_session_factory

from .conftest import customer_spec, customers_csv

REPO = Path(__file__).resolve().parents[3]


def test_admins_see_each_sources_last_run_on_app_home(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = customer_spec(customers_csv(tmp_path / "crm.csv", 4))
    service.sync_source(engine, spec, full=True)
    services = Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )
    blocks = data_sources_home(services, "U0CSLEAD")  # cs_lead: a Rapport admin
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    (line,) = [x for x in text.splitlines() if "crm_csv" in x]
    (expected,) = [s for s in service.status(engine, SourcesPolicy()) if s.name == "crm_csv"]
    assert line == f"• {service.describe(expected)}" and "ok: read 4, loaded 4, quarantined 0" in line
    assert data_sources_home(services, "U0SUPLEAD") == []  # support lead: not an admin
    monkeypatch.setattr(home, "HOME_SECTIONS", [data_sources_home])  # what admin.register() adds
    assert "crm_csv" in str(home.home_view(services, "U0CSLEAD"))
    assert "crm_csv" not in str(home.home_view(services, "U0SUPLEAD"))
