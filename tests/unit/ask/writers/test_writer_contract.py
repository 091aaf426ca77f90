"""One contract for every AnswerWriter: the extractive writer and the LLM writer (over a local OpenAI-compatible
server, with honest and misbehaving models) must hold to the same rules on the same cases.

- the caller's computed facts (``lead``) come first, exactly as given;
- every [n] in the answer refers to a citation, and every citation is referred to;
- every number the answer states is in the facts or in the passages it was given (nothing invented);
- nothing from a passage or a model is a live ``<!channel>``, mention or link;
- a declined draft says nothing (the caller says "I don't know" and names the owner); otherwise it says something;
- without passages: the facts alone, or a decline.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.ask.compose import AnswerWriter, Draft, ExtractiveWriter
from bot.ask.llm import LLMWriter, numbers
from retrieval.markdown import passage_lines, slack_to_plain

HANDBOOK = """---
title: Outage communications
owner: U0COMMS
---
# Outage communications

## Status page

Post the first status page update within 15 minutes of declaring a P1. Update it every 30 minutes until the
incident is resolved. <!channel> is never used for outage updates; use #incidents instead.

## Customer emails

Platinum customers get a personal email from their account owner within 2 hours. Gold customers get the
standard notice. See [the template](https://docs.example/templates/outage) for wording.

## Steps after resolution

1. Post the resolution on the status page.
2. Send the summary email to affected customers.
3. Book the postmortem within 5 business days.
"""


LEAD = ["Acme Ltd is a platinum customer; their owner is <@U0ACME>."]
# (question, which passages: all of them in rank order, reversed, or none, the computed facts)
CASES = [
    ("How soon must the status page be updated after a P1?", "ranked", []),
    ("How soon must the status page be updated after a P1?", "ranked", LEAD),
    ("What happens for platinum customers during an outage?", "reversed", LEAD),
    ("What are the steps after resolution?", "ranked", []),
    ("How soon must the status page be updated after a P1?", "none", LEAD),
    ("How soon must the status page be updated after a P1?", "none", []),
]
LLM_MODELS = ["quote", "invent", "channel", "slow", "idk", "error", "uncited"]


def writer(name: str, server: Any) -> AnswerWriter:
    if name == "extractive":
        return ExtractiveWriter()
    return LLMWriter(f"openai:{name.removeprefix('llm-')}", base_url=server.base_url, timeout=0.5)


def body_of(draft: Draft, lead: list[str]) -> str:
    text = draft.text
    head = "\n".join(lead)
    assert text.startswith(head), "the computed facts lead, as given"
    text = text[len(head) :]
    if draft.note:
        assert text.endswith(draft.note)
        text = text[: -len(draft.note)]
    return text.strip()


@pytest.mark.parametrize("name", ["extractive", *[f"llm-{m}" for m in LLM_MODELS]])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_writer_contract(openai_server: Any, parsed: Any, name: str, case: int) -> None:
    question, which, lead = CASES[case]
    ranked = parsed(HANDBOOK)
    passages = {"ranked": ranked, "reversed": ranked[::-1], "none": []}[which]
    draft = writer(name, openai_server).write(question, passages, lead=lead)
    body = body_of(draft, lead)
    if draft.declined:
        assert not draft.text and not lead, "a decline says nothing, and never hides computed facts"
        return
    assert draft.text.strip(), "an answer that is not a decline says something"
    if not passages:
        assert not body and not draft.citations
        return
    refs = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    assert refs == set(range(1, len(draft.citations) + 1)), "every [n] is a citation and every citation is used"
    cited = {(c.path, c.heading_path) for c in draft.citations}
    assert cited <= {(p.path, p.heading_path) for p in passages}
    given = numbers(" ".join([*lead, *(p.title + " " + p.heading_path for p in passages)]))
    for p in passages:
        given |= numbers(" ".join(slack_to_plain(ln.text) for ln in passage_lines(p.text, p.kinds)))
    stated = numbers(re.sub(r"^\s*\d+\. ", "", body, flags=re.M))  # list numbering is layout, not a fact
    assert stated <= given, f"numbers stated that nothing given has: {stated - given}"
    assert not re.search(r"<[!@#]", body), "no live <!channel>, mention or channel link"
    links = re.findall(r"<(https?://[^|>]+)", body)
    assert all("docs.example" in u for u in links), "a link only as the playbook wrote it"
