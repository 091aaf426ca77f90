"""The playbooks Rapport answers from ("what playbooks do we have?", "list all playbooks"): each one's title, its
file and who owns it (named, not mentioned), from the front matter the index read."""

from __future__ import annotations

from collections.abc import Sequence

from bot import mrkdwn
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.policies import Policies
from retrieval.types import DocMeta

SHOWN = 25  # a handbook larger than this is listed in part; the maintainers' report has every file


def listed_as(d: DocMeta) -> str:
    """A playbook as a list line names it: its title and its file, inert."""
    return f"{mrkdwn.bold(d.title or d.path)} (`{mrkdwn.escape(d.path)}`)"


def library_finding(policies: Policies, documents: Sequence[DocMeta]) -> PolicyFinding:
    if not documents:
        return PolicyFinding(
            "No playbook is indexed yet: a maintainer runs `rapport index` on the playbooks folder.",
            "",
            supported=False,
        )
    ordered = sorted(documents, key=lambda d: ((d.title or d.path).lower(), d.path))
    lines = [f"• {listed_as(d)}{', owner ' + person(policies, d.owner) if d.owner else ''}" for d in ordered[:SHOWN]]
    more = (
        f"\n…and {len(ordered) - SHOWN} more (`rapport playbooks-report` lists them all)."
        if len(ordered) > SHOWN
        else ""
    )
    one = len(ordered) == 1
    head = f"I answer from {len(ordered)} playbook{'' if one else 's'}:"
    tail = "\nAsk about one by its name (`what does the renewal runbook say?`), or ask a question and I cite the page."
    return PolicyFinding(head + "\n" + "\n".join(lines) + more + tail, "", supported=False)
