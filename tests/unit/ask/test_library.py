"""The playbooks Rapport answers from (bot.ask.library): "what playbooks do we have?"."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ask import library
from bot.ask.intents import PatternModel
from bot.ask.library import library_finding
from bot.policies import Policies, load_policies
from retrieval.types import DocMeta

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def test_every_playbook_by_title_with_its_file_and_owner_named(policies: Policies) -> None:
    # was: "list all playbooks" quoted the exception register's "the owner of the affected playbook updates it"
    docs = [
        DocMeta("ops/z.md", "Renewals", "U0CSLEAD"),
        DocMeta("a.md", "Evil <!channel> *page*", "S0DEALDESK"),
        DocMeta("b_c.md", ""),
    ]
    said = library_finding(policies, docs).summary
    assert said.splitlines() == [
        "I answer from 3 playbooks:",
        "• *b_c.md* (`b_c.md`)",
        "• *Evil &lt;!channel&gt; page* (`a.md`), owner Deal desk",
        "• *Renewals* (`ops/z.md`), owner Dana Whitfield",
        "Ask about one by its name (`what does the renewal runbook say?`), or ask a question and I cite the page.",
    ], said
    assert "<!channel>" not in said and "<@" not in said  # inert, and owners named, not pinged


def test_a_large_handbook_is_listed_in_part_and_nothing_indexed_says_so(
    policies: Policies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "SHOWN", 2)
    said = library_finding(policies, [DocMeta(f"{n}.md", f"Page {n}") for n in range(5)]).summary
    assert "• *Page 1* (`1.md`)" in said and "Page 2" not in said
    assert "…and 3 more (`rapport playbooks-report` lists them all)." in said
    assert library_finding(policies, []).summary.startswith("No playbook is indexed yet")


@pytest.mark.parametrize(
    ("question", "listed"),
    [
        ("what playbooks do we have?", True),
        ("list all playbooks", True),
        ("show me the runbooks", True),
        ("which playbooks are there?", True),
        ("which playbook covers discounts?", False),  # what one says: the search
        ("what do the playbooks say about refunds?", False),
    ],
)
def test_the_list_is_read_only_where_it_is_asked(question: str, listed: bool) -> None:
    names = [i.name for i in PatternModel().read(question, "").intents]
    assert ("playbooks_list" in names) is listed, names
