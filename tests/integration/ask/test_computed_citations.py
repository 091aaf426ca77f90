"""A computed answer cites the playbook section that states it: the real index (real model, embedded Chroma) on a
copy of the service playbooks, so the citation search is the one the product runs."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.ask.service import AskService
from bot.notify import RecordingNotifier
from bot.policies import Policies

from .conftest import NOW, REPO, Clock, build_services

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from retrieval import open_index

    root = tmp_path_factory.mktemp("computed")
    shutil.copytree(REPO / "playbooks" / "service", root / "playbooks" / "service")
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
