"""The LLM writer against a local OpenAI-compatible server (tests/unit/ask/writers/conftest.py): citations checked,
invented numbers dropped, Slack specials made inert, "I don't know" an abstention, timeouts and errors fall back
to the extractive answer with a note. Also the grounding rules on their own."""

from __future__ import annotations

import time

import pytest

from bot.ask.compose import ExtractiveWriter
from bot.ask.llm import LLMUnavailable, LLMWriter, abstains, from_settings, ground, numbers, parse_spec, prompt
from bot.settings import Settings
from retrieval.types import Passage

REFUNDS = """---
title: Refunds
owner: U0FINANCE
---
# Refunds

## Approval

Refunds above 500 EUR need the finance lead's approval. Smaller refunds are approved by the support lead.

## Issuing a refund

1. Check the invoice in the billing system.
2. Ask the finance lead to approve it in #finance.
3. Issue the refund within 5 business days.
"""


@pytest.fixture(scope="module")
def sections(parsed) -> dict[str, list[Passage]]:
    ps = parsed(REFUNDS)
    return {
        "approval": [p for p in ps if p.heading_path.endswith("Approval")],
        "steps": [p for p in ps if p.heading_path.endswith("Issuing a refund")],
    }


Q = "Who approves a refund of 800 EUR?"


def writer(server, model: str, timeout: float = 5.0) -> LLMWriter:
    return LLMWriter(f"openai:{model}", base_url=server.base_url, timeout=timeout)


def test_an_honest_model_is_quoted_with_its_citation(openai_server, sections) -> None:
    d = writer(openai_server, "quote").write(Q, sections["approval"] + sections["steps"])
    assert d.text == "Refunds above 500 EUR need the finance lead's approval [1]."
    assert [c.heading_path for c in d.citations] == ["Refunds > Approval"]
    assert not d.declined and not d.note


def test_the_model_gets_the_facts_and_the_passages(openai_server, sections) -> None:
    lead = ["Acme Ltd is a gold customer; refunds for gold need Finance lead approval."]
    d = writer(openai_server, "quote").write(Q, sections["approval"], lead=lead)
    sent = openai_server.requests[-1]
    user = next(m["content"] for m in sent["messages"] if m["role"] == "user")
    assert lead[0] in user and "Refunds above 500 EUR" in user and Q in user
    assert sent["temperature"] == 0
    assert d.text.startswith(lead[0] + "\n\n")  # computed facts lead, as given


def test_a_sentence_with_an_invented_number_is_dropped(openai_server, sections) -> None:
    d = writer(openai_server, "invent").write(Q, sections["approval"])
    assert "48" not in d.text
    assert d.text == "Refunds above 500 EUR need the finance lead's approval [1]."


def test_channel_mentions_and_links_from_the_model_are_inert(openai_server, sections) -> None:
    d = writer(openai_server, "channel").write(Q, sections["approval"])
    assert "<!channel>" not in d.text and "<@UBOSSX>" not in d.text and "<https://" not in d.text
    assert "&lt;!channel&gt;" in d.text and "&lt;@UBOSSX&gt;" in d.text
    assert "[1]" in d.text


def test_a_timeout_falls_back_to_the_extractive_answer_with_a_note(openai_server, sections) -> None:
    t = time.perf_counter()
    d = writer(openai_server, "slow", timeout=0.5).write(Q, sections["approval"])
    assert time.perf_counter() - t < 2.5  # not the server's 3 s
    expected = ExtractiveWriter().write(Q, sections["approval"])
    assert d.text.startswith(expected.text)
    assert "did not answer within 0.5 s" in d.note and d.note in d.text
    assert d.citations == expected.citations


def test_a_server_error_falls_back_with_a_note(openai_server, sections) -> None:
    d = writer(openai_server, "error").write(Q, sections["approval"])
    assert "could not be reached" in d.text and "[1]" in d.text and not d.declined


def test_a_server_that_is_down_falls_back_with_a_note(sections) -> None:
    d = LLMWriter("openai:quote", base_url="http://127.0.0.1:9/v1", timeout=2).write(Q, sections["approval"])
    assert "could not be reached" in d.note and "500 EUR" in d.text


def test_i_dont_know_is_an_abstention_not_an_empty_answer(openai_server, sections) -> None:
    d = writer(openai_server, "idk").write(Q, sections["approval"])
    assert d.declined and d.text == ""
    assert d.citations and d.citations[0].owner == "U0FINANCE"  # whom the decline names
    lead = ["Acme Ltd's refunds over 500 EUR go to the finance lead."]
    with_facts = writer(openai_server, "idk").write(Q, sections["approval"], lead=lead)
    assert not with_facts.declined and with_facts.text == lead[0]  # computed facts still answer


@pytest.mark.parametrize("model", ["uncited", "badcite"])
def test_an_answer_citing_nothing_valid_falls_back(openai_server, model: str, sections) -> None:
    d = writer(openai_server, model).write(Q, sections["approval"])
    assert "finance team" not in d.text
    assert "could not be checked" in d.note and "500 EUR" in d.text


def test_steps_come_as_a_cited_list(openai_server, sections) -> None:
    d = writer(openai_server, "quote").write("What are the steps to issue a refund?", sections["steps"])
    lines = d.text.splitlines()
    assert lines[0] == "1. Check the invoice in the billing system [1]."
    assert len(lines) == 3 and lines[2].startswith("3. Issue the refund within 5 business days")


def test_no_passages_declines_without_asking_the_model(openai_server) -> None:
    n = len(openai_server.requests)
    assert writer(openai_server, "quote").write(Q, []).declined
    assert len(openai_server.requests) == n


def test_grounding_rules(sections) -> None:
    reply = (
        "Refunds above 500 EUR need the finance lead's approval. [1]\n"
        "The support lead approves the rest [1][4].\n"
        "They are paid in 3 days [2].\n"  # 3 is in neither the facts nor passage 2
        "Gold refunds over 800 EUR are escalated [2].\n"  # 800 is in the facts
        "Nothing to see here."
    )
    g = ground(reply, sections["approval"] + sections["steps"], ["Acme asked for 800 EUR."], max_sentences=5)
    assert g.lines == [
        "Refunds above 500 EUR need the finance lead's approval [1].",
        "The support lead approves the rest [1].",
        "Gold refunds over 800 EUR are escalated [2].",
    ]
    assert g.used == [0, 1] and g.dropped == 2
    assert len(ground(reply, sections["approval"] + sections["steps"], ["800"], max_sentences=1).lines) == 1


def test_grounding_renumbers_to_the_passages_cited(sections) -> None:
    g = ground(
        "Issue it within 5 business days [2]. Over 500 EUR needs finance [1].",
        sections["approval"] + sections["steps"],
        [],
        3,
    )
    assert g.lines == ["Issue it within 5 business days [1]. Over 500 EUR needs finance [2]."]
    assert g.used == [1, 0]


def test_markdown_from_the_model_becomes_slack_text(sections) -> None:
    g = ground(
        "## Answer\n- **Finance** approves [link](https://x.example) over 500 EUR [1]", sections["approval"], [], 3
    )
    assert g.lines == ["• *Finance* approves link over 500 EUR [1]"]


def test_numbers_are_normalised() -> None:
    assert numbers("1,000 users, 04 days, 2.50 EUR, three weeks [7]") == {"1000", "4", "2.5", "3"}
    assert numbers("one of the leads") == set()


@pytest.mark.parametrize(
    "reply",
    ["I don't know.", "I do not know", "**I don't know.**", "The sources do not say.", "Not enough information."],
)
def test_abstentions(reply: str) -> None:
    assert abstains(reply)


def test_an_answer_is_not_an_abstention() -> None:
    assert not abstains("Refunds above 500 EUR need approval [1]. I don't know about the rest.")


def test_specs_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_spec("ollama:llama3.1:8b") == ("ollama", "llama3.1:8b")
    assert parse_spec("gpt-4o-mini") == ("openai", "gpt-4o-mini")
    with pytest.raises(LLMUnavailable):
        parse_spec(":x")
    monkeypatch.setenv("RAPPORT_LLM", "ollama:llama3.1")
    monkeypatch.setenv("RAPPORT_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("RAPPORT_LLM_TIMEOUT", "7.5")
    monkeypatch.setenv("PLAYBOOKS_BASE_URL", "https://docs.example/playbooks")
    w = from_settings(Settings())
    assert (w.spec, w.base_url, w.timeout, w.links) == (
        "ollama:llama3.1",
        "http://127.0.0.1:11434/v1",
        7.5,
        "https://docs.example/playbooks",
    )


def test_a_provider_without_its_package_falls_back_with_a_note(sections) -> None:
    d = LLMWriter("nosuchprovider:model", timeout=1).write(Q, sections["approval"])
    assert "is not set up" in d.note and "500 EUR" in d.text


def test_the_prompt_cuts_long_passages(sections) -> None:
    long = [sections["approval"][0].__class__(**{**sections["approval"][0].__dict__, "text": "word " * 2000})]
    assert len(prompt(Q, long, [])) < 2000
