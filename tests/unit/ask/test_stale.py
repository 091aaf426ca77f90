"""Which playbooks are past their review date (bot.ask.stale): as the maintainers' report lists them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.ask.intents import PatternModel
from bot.ask.stale import stale_finding
from bot.policies import Policies, load_policies
from retrieval.types import DocMeta

REPO = Path(__file__).resolve().parents[3]
TODAY = dt.date(2026, 12, 6)


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def test_the_playbooks_past_review_oldest_first_owners_named(policies: Policies) -> None:
    docs = [
        DocMeta("a.md", "Fresh <!channel> page", "U0CSLEAD", "2027-01-31"),
        DocMeta("b.md", "Terms", "S0DEALDESK", "2026-06-30"),
        DocMeta("c.md", "Comms", "U0CSLEAD", "2026-09-30"),
        DocMeta("d.md", "Undated", "U0CSLEAD"),
    ]
    said = stale_finding(policies, docs, TODAY).summary
    assert said == (
        "2 playbooks are past their review date:\n"
        "• *Terms* (`b.md`): review was due 30 Jun 2026, owner Deal desk\n"
        "• *Comms* (`c.md`): review was due 30 Sep 2026, owner Dana Whitfield"
    )
    assert "<@" not in said  # named, not mentioned: a list must not notify its owners
    # a title and a path are the files' text: inert
    odd = stale_finding(policies, [DocMeta("x/<!here>.md", "Evil <!channel> page", "U0NOBODY", "2026-01-01")], TODAY)
    assert "*Evil &lt;!channel&gt; page* (`x/&lt;!here&gt;.md`)" in odd.summary and "<!" not in odd.summary
    assert "owner U0NOBODY" in odd.summary  # an owner not on the roster by their id, never a mention
    none = stale_finding(policies, docs[:1] + docs[3:], TODAY).summary
    assert none == "No playbook is past its review date (1 of 2 have one in their front matter)."


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("which playbooks are out of date?", "stale_playbooks"),
        ("are any docs overdue for review?", "stale_playbooks"),
        ("list stale playbooks", "stale_playbooks"),
        ("when is the renewal runbook due for review?", "howto"),  # one playbook's front matter: the meta answer
    ],
)
def test_what_asks_for_the_stale_playbooks(question: str, intent: str) -> None:
    assert [i.name for i in PatternModel().read(question).intents] == [intent]
