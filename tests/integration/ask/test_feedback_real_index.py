"""Boost and hide against the real index (real model, embedded Chroma) on a copy of the service playbooks."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine

from bot.ask.feedback import passage_key, set_override
from bot.ask.service import AskService
from bot.notify import RecordingNotifier
from bot.policies import Policies

from .conftest import NOW, REPO, Clock, build_services

QUESTION = "How do we apologise and offer a service credit after a failure?"


def test_hidden_passage_no_longer_cited_and_boosted_one_ranked_first(
    engine: Engine, policies: Policies, tmp_path: Path
) -> None:
    from retrieval import open_index

    playbooks = tmp_path / "playbooks"
    shutil.copytree(REPO / "playbooks" / "service", playbooks / "service")
    index = open_index(playbooks, chroma_path=tmp_path / "chroma")
    assert index.sync().errors == []
    services = build_services(engine, policies, RecordingNotifier(), Clock(NOW), index)
    ask = AskService(services)

    found = index.search(QUESTION, k=5).passages
    keys = [passage_key(p.path, p.heading_path) for p in found]
    first = ask.answer(QUESTION, "U0SUPAGT1", "C0SUPPORT")
    top = passage_key(first.citations[0].path, first.citations[0].heading_path)
    assert top == keys[0]

    with services.sessions() as s, s.begin():
        set_override(s, top, "hide", "U0KBOWNER", "out of date", NOW)
    hidden = ask.answer(QUESTION, "U0SUPAGT1", "C0SUPPORT")
    assert top not in {passage_key(c.path, c.heading_path) for c in hidden.citations}

    # A passage retrieval ranks low (not a duplicate heading of the top one) leads once boosted.
    low = next(k for k in reversed(keys) if k != top)
    with services.sessions() as s, s.begin():
        set_override(s, low, "boost", "U0KBOWNER", "the canonical section", NOW)
    boosted = ask.answer(QUESTION, "U0SUPAGT2", "C0SUPPORT")
    assert passage_key(boosted.citations[0].path, boosted.citations[0].heading_path) == low
