"""Which playbooks are past their review date ("which playbooks are out of date?"): each one's title, when its
review was due and who owns it (named, not mentioned), from the front matter the index read, as the maintainers'
report lists them (bot.ask.report)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot import mrkdwn
from bot.ask.dates import day
from bot.ask.library import listed_as
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.ask.report import past_review
from bot.policies import Policies
from retrieval.types import DocMeta

SHOWN = 10


def stale_finding(policies: Policies, documents: Sequence[DocMeta], today: dt.date) -> PolicyFinding:
    due = sorted((d for d in documents if past_review(d, today)), key=lambda d: (d.review_by, d.path))
    if not due:
        with_date = sum(1 for d in documents if d.review_by)
        said = f"No playbook is past its review date ({with_date} of {len(documents)} have one in their front matter)."
        return PolicyFinding(said, "", supported=False)
    lines = [
        f"• {listed_as(d)}: review was due {_on(d.review_by)}"
        f"{', owner ' + person(policies, d.owner) if d.owner else ', no owner'}"
        for d in due[:SHOWN]
    ]
    more = f"\n…and {len(due) - SHOWN} more (`rapport playbooks-report` has them all)." if len(due) > SHOWN else ""
    one = len(due) == 1
    head = f"{len(due)} playbook{' is' if one else 's are'} past {'its' if one else 'their'} review date:"
    return PolicyFinding(head + "\n" + "\n".join(lines) + more, "", supported=False)


def _on(review_by: str) -> str:
    try:
        return day(dt.date.fromisoformat(review_by[:10]))
    except ValueError:
        return mrkdwn.escape(review_by)
