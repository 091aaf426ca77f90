"""A computed answer cites the playbook section that states it: the real index (real model, embedded Chroma) on a
copy of the service playbooks, so the citation search is the one the product runs."""

from __future__ import annotations

import datetime as dt
import shutil
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.ask.service import AskService
from bot.customers.normalize import name_key
from bot.notify import RecordingNotifier
from bot.policies import Policies
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Customer, CustomerIdentifier, Ticket

from .conftest import NOW, REPO, Clock, build_services

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from retrieval import open_index

    root = tmp_path_factory.mktemp("computed")
    for folder in ("service", "governance"):
        shutil.copytree(REPO / "playbooks" / folder, root / "playbooks" / folder)
    built = open_index(root / "playbooks", chroma_path=root / "chroma")
    assert built.sync().errors == []
    return built


@pytest.mark.parametrize(
    "question",
    [
        # a tier's targets: cited "When a target is about to be missed", which only mentions gold's targets
        "What SLA targets does a gold customer get?",
        "what SLA do silver customers get?",
        # a priority's targets in every tier
        "what's the first response time for a P3?",
    ],
)
def test_sla_targets_cite_the_targets_table(engine: Engine, policies: Policies, index: Any, question: str) -> None:
    services = build_services(engine, policies, RecordingNotifier(), Clock(NOW), index)
    a = AskService(services).answer(question, "U0SUPAGT1", "C0SUPPORT")
    assert a.source == "policy", a.text
    assert a.citations[0].heading_path.endswith("> Targets"), a.citations[0].heading_path


def test_why_a_customer_alerts_cites_what_to_do_about_the_rule_that_fires(services: Services, clock: Clock) -> None:
    # was: the sla-imminent-high-touch section, which the search ranked first for "sla-breach what to do"
    with session_scope(services.sessions) as s:
        helios = s.scalars(select(Customer.id).where(Customer.name == "Helios Analytics")).one()
        s.add(CustomerIdentifier(customer_id=helios, kind="name", value=name_key("Helios Analytics")))
        opened = clock.now - dt.timedelta(days=1)
        s.add(Ticket(customer_id=helios, subject="Down", priority="P1", status="open", opened_at=opened))
    a = AskService(services).answer("Why did I get an alert for Helios Analytics?", "U0AMPLAT", "C0SUPPORT")
    assert a.text.startswith("Alert rules that fire for *Helios Analytics* now:\n• *sla-breach* (high)"), a.text
    assert a.citations[0].heading_path.endswith("> sla-breach"), a.citations[0].heading_path
