"""A question about one playbook as a whole, named by its title ("what's the discount policy?", "explain the
escalation matrix", "walk me through the renewal runbook"): that document answers, its opening first, then the
parts it goes through. A search over every playbook answered it from whichever section shared the most words
(the discount policy's *Reporting*, the alerts handbook for the escalation policy)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from retrieval.lexical import tokenize
from retrieval.types import DocMeta

_OVERVIEW = re.compile(
    r"^\W*(?:what(?:'s| is| are)|explain|summari[sz]e|tell me about|describe|walk me through|"
    r"give me (?:an overview|a summary) of|(?:an )?overview of)\s+(?:our|the|your)?\s*"
    r"(?P<topic>[\w][\w\s/&,-]{1,50}?)\s+(?P<kind>polic(?:y|ies)|playbook|runbook|handbook|matrix|guide|process|"
    r"procedure)\W*$",
    re.I,
)


def asks_whole(question: str) -> bool:
    """Whether the question asks about a playbook as a whole ("what's the discount policy?")."""
    return bool(_OVERVIEW.match(question.strip()))


def named_document(question: str, documents: Sequence[DocMeta], paths: Sequence[str] | None = None) -> DocMeta | None:
    """The playbook a whole-document question names: every word of the topic is in its title or file name, and
    of several such, the one whose title says the kind too ("policy") and says least besides. None when the
    question asks something in particular, or no title names it."""
    found = _OVERVIEW.match(question.strip())
    if not found:
        return None
    topic = set(tokenize(found["topic"]))
    if not topic:
        return None
    kind = set(tokenize(found["kind"]))
    named: list[tuple[bool, int, DocMeta]] = []
    for doc in documents:
        if paths is not None and doc.path not in paths:
            continue
        words = set(tokenize(f"{doc.title} {PurePosixPath(doc.path).stem.replace('-', ' ')}"))
        if topic <= words:
            named.append((not kind <= words, len(words - topic - kind), doc))
    return min(named, key=lambda t: (t[0], t[1], t[2].path))[2] if named else None
