"""Answers written by a chat model (``RAPPORT_LLM``), held to what the facts and the playbooks say.

The model is given the facts the caller computed (the ``lead`` sentences: a record field, the policy route) and
the retrieved passages, numbered. What it writes is checked sentence by sentence before anyone sees it:

- a sentence must cite a passage that was given ([n]); one without a valid citation is dropped;
- a number in a sentence must appear in the facts or in a passage that sentence cites; otherwise it is dropped
  (a model that "remembers" a 48-hour SLA the playbook does not state says nothing at all about it);
- the text is made inert (bot.mrkdwn.escape): a ``<!channel>``, a mention or a link from the model is shown as
  text, never live;
- "I don't know" is an abstention: the answer declines (and the service names the playbook owner), it is not
  an empty answer;
- a timeout, an error, or a reply of which nothing survives the checks falls back to the extractive answer, with
  a line saying so (never silently).

The facts lead the answer as given (they are computed, not written); the model adds at most three sentences, or
the steps when steps were asked for. Any OpenAI-compatible server works through langchain-openai
(``openai:MODEL`` with ``RAPPORT_LLM_BASE_URL`` for Ollama, vLLM, llama.cpp...); another langchain provider works
when its package is installed (``anthropic:MODEL``...).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import SecretStr

from bot.ask.compose import Draft, ExtractiveWriter, cite
from bot.mrkdwn import escape
from bot.settings import Settings
from retrieval.markdown import HEADING, passage_lines, slack_to_plain
from retrieval.question import analyse
from retrieval.types import Passage

log = logging.getLogger(__name__)

MAX_SENTENCES = 3  # sentences the model may add to the facts (steps excepted)
MAX_STEPS = 8
MAX_SOURCE_CHARS = 1500  # per passage in the prompt: the top passages are short; a long one is cut

# Servers that speak OpenAI's chat-completions API, with the base URL each uses by default.
OPENAI_COMPATIBLE = {
    "openai": None,  # api.openai.com (or RAPPORT_LLM_BASE_URL)
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "llamacpp": "http://localhost:8080/v1",
    "lmstudio": "http://localhost:1234/v1",
}

Chat = Callable[[str, str], str]  # (system prompt, user prompt) -> the model's reply text

SYSTEM = (
    "You answer questions from staff of a customer-operations team. Use only the FACTS and the numbered SOURCES "
    "you are given.\n"
    "Rules:\n"
    "1. End every sentence with the number of the source it comes from, like [2].\n"
    "2. Never write a number, date, amount or duration that is not in the FACTS or in the source you cite.\n"
    "3. The FACTS are already shown to the reader above your answer: do not repeat them; add what the sources "
    "say that supports or explains them.\n"
    f"4. At most {MAX_SENTENCES} short sentences. If the question asks for steps, give them as a numbered list, "
    "one step a line, each with its [n].\n"
    "5. Plain text only: no headings, no links, no @-mentions.\n"
    "6. If the sources do not answer the question, reply exactly: I don't know."
)


class LLMUnavailable(RuntimeError):
    """The model could not be asked (package missing, bad spec): the extractive answer is used instead."""


def parse_spec(spec: str) -> tuple[str, str]:
    """``provider:model`` -> (provider, model); a bare model name means OpenAI's API (or RAPPORT_LLM_BASE_URL)."""
    provider, sep, model = spec.strip().partition(":")
    if not sep:
        return "openai", provider
    if not provider or not model:
        raise LLMUnavailable(f"RAPPORT_LLM must be provider:model (e.g. openai:gpt-4o-mini), got {spec!r}")
    return provider.lower(), model


def langchain_chat(spec: str, base_url: str | None, timeout: float) -> Chat:
    """A chat function over a langchain chat model: no retries (a retry would double the wait), temperature 0."""
    provider, model = parse_spec(spec)
    try:
        # langchain (pydantic models, the OpenAI client, tiktoken) costs seconds to import: loaded for the
        # first LLM answer, never on the CLI's or the ack path's import chain.
        from langchain_core.messages import HumanMessage, SystemMessage
    except ImportError as exc:
        raise LLMUnavailable("RAPPORT_LLM is set but langchain is not installed (pip install 'rapport[llm]')") from exc
    llm: object
    if provider in OPENAI_COMPATIBLE:
        try:
            from langchain_openai import ChatOpenAI  # heavy (see above): first LLM answer only
        except ImportError as exc:
            raise LLMUnavailable("RAPPORT_LLM needs langchain-openai (pip install 'rapport[llm]')") from exc
        url = base_url or OPENAI_COMPATIBLE[provider]
        # A local server ignores the key, but the client insists on one.
        key = os.environ.get("OPENAI_API_KEY") or ("not-needed" if url else None)
        llm = ChatOpenAI(
            model=model,
            base_url=url,
            api_key=SecretStr(key) if key else None,
            timeout=timeout,
            max_retries=0,
            temperature=0,
        )
    else:
        try:
            from langchain.chat_models import init_chat_model  # heavy (see above): first LLM answer only
        except ImportError as exc:
            raise LLMUnavailable("RAPPORT_LLM needs langchain (pip install 'rapport[llm]')") from exc
        extra: dict[str, Any] = {"timeout": timeout, "max_retries": 0, "temperature": 0}
        if base_url:
            extra["base_url"] = base_url
        try:
            llm = init_chat_model(model, model_provider=provider, **extra)
        except (ImportError, ValueError) as exc:  # its integration package is missing, or langchain knows no such
            raise LLMUnavailable(f"RAPPORT_LLM provider {provider!r}: {str(exc).splitlines()[0]}") from exc

    def chat(system: str, user: str) -> str:
        reply = llm.invoke([SystemMessage(system), HumanMessage(user)])  # type: ignore[attr-defined]
        return str(reply.text)

    return chat


# ---------------------------------------------------------------------------------------------- grounding
_CITES = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_CITE_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_LIST_MARK = re.compile(r"^\s*(?:(\d{1,2})[.)]|[-*•])\s+")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if i >= 2  # "one" is as often a pronoun as a number
}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90"})
_NUMBER_WORDS.update({"hundred": "100", "thousand": "1000", "million": "1000000"})
_WORD = re.compile(r"[a-z]+")
_ABSTAIN = re.compile(
    r"^\W*(?:i (?:don'?t|do not) know|i'?m not sure|i am not sure|i cannot answer|i can'?t answer|"
    r"(?:the )?sources? (?:do(?:es)?n'?t|do(?:es)? not) (?:say|answer|cover|mention|contain|state)|"
    r"(?:there is )?(?:not enough|no|insufficient) (?:relevant )?information)",
    re.I,
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised (1,000 = 1000; 04 = 4; "three" = 3), citation markers excluded."""
    text = _CITES.sub(" ", text)
    out: set[str] = set()
    for tok in _NUMBER.findall(text):
        for part in re.split(r"[:]", tok.replace(",", "")):
            whole, _, frac = part.partition(".")
            frac = frac.rstrip("0")
            out.add((whole.lstrip("0") or "0") + (f".{frac}" if frac else ""))
    out.update(_NUMBER_WORDS[w] for w in _WORD.findall(text.lower()) if w in _NUMBER_WORDS)
    return out


def abstains(reply: str) -> bool:
    return bool(_ABSTAIN.match(reply.strip().strip("*_").strip()))


@dataclass(frozen=True)
class Grounded:
    lines: list[str]  # what survives, Slack text, with the model's [n] renumbered to the citations' order
    used: list[int]  # 0-based passage indexes, in order of first citation
    dropped: int  # sentences dropped (no valid citation, or an ungrounded number)


def _stated(p: Passage) -> str:
    """What a passage states, in plain words: its title, headings and lines (list numbering is not a fact)."""
    lines = (slack_to_plain(ln.text) for ln in passage_lines(p.text, p.kinds))
    return " ".join([p.title, p.heading_path, *lines])


def _clean(text: str) -> str:
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _BOLD.sub(r"*\1*", text)
    return _HEADING.sub("", text).strip()


def ground(reply: str, passages: Sequence[Passage], facts: Sequence[str], max_sentences: int) -> Grounded:
    """Keep the sentences of ``reply`` that cite a given passage and state no number absent from the facts and
    the passages they cite; renumber the citations to the passages actually cited."""
    fact_numbers = numbers(" ".join(slack_to_plain(f) for f in facts))
    source_numbers = [numbers(_stated(p)) for p in passages]
    used: list[int] = []
    lines: list[str] = []
    kept = dropped = 0
    for raw_line in reply.splitlines():
        line = _clean(raw_line)
        if not line:
            continue
        mark = _LIST_MARK.match(line)
        prefix = ""
        if mark:
            prefix = f"{mark.group(1)}. " if mark.group(1) else "• "
            line = line[mark.end() :]
        line = _CITE_AFTER_STOP.sub(lambda m: f"{m.group(2).strip()}{m.group(1)}", line)
        out: list[str] = []
        for sentence in _SENTENCE.split(line):
            if kept >= max_sentences:
                break
            cited = [int(n) - 1 for group in _CITES.findall(sentence) for n in group.split(",")]
            valid = list(dict.fromkeys(i for i in cited if 0 <= i < len(passages)))
            allowed = fact_numbers.union(*(source_numbers[i] for i in valid)) if valid else set()
            if not valid or not numbers(sentence) <= allowed:
                dropped += 1
                continue
            for i in valid:
                if i not in used:
                    used.append(i)
            body = _CITES.sub("", sentence).strip()
            body = re.sub(r"\s+([.!?,;:])", r"\1", body)
            refs = "".join(f"[{used.index(i) + 1}]" for i in valid)
            end = body[-1] if body and body[-1] in ".!?" else ""
            body = body[:-1].rstrip() if end else body
            out.append(f"{escape(body)} {refs}{end}")
            kept += 1
        if out:
            lines.append(prefix + " ".join(out))
    return Grounded(lines, used, dropped)


# ---------------------------------------------------------------------------------------------- the writer
def _sources(passages: Sequence[Passage]) -> str:
    blocks = []
    for n, p in enumerate(passages, 1):
        where = " › ".join(x for x in (p.title, p.heading_path.rsplit(" > ", 1)[-1]) if x)
        body = "\n".join(slack_to_plain(ln.line()) for ln in passage_lines(p.text, p.kinds) if ln.kind != HEADING)
        if len(body) > MAX_SOURCE_CHARS:
            body = body[:MAX_SOURCE_CHARS].rsplit(" ", 1)[0] + " …"
        blocks.append(f"[{n}] {where}\n{body}")
    return "\n\n".join(blocks)


def prompt(question: str, passages: Sequence[Passage], lead: Sequence[str]) -> str:
    facts = "\n".join(f"- {slack_to_plain(f)}" for f in lead) or "(none)"
    return f"FACTS\n{facts}\n\nSOURCES\n{_sources(passages)}\n\nQUESTION\n{question}"


class LLMWriter:
    """The AnswerWriter for ``RAPPORT_LLM``; ``chat`` is injectable (tests), else built from the spec on first
    use. ``links``: the playbooks' base URL for citation links (PLAYBOOKS_BASE_URL)."""

    def __init__(
        self,
        spec: str,
        base_url: str | None = None,
        timeout: float = 20.0,
        links: str | None = None,
        chat: Chat | None = None,
        fallback: ExtractiveWriter | None = None,
    ) -> None:
        self.spec = spec
        self.base_url = base_url
        self.timeout = timeout
        self.links = links
        self._chat = chat
        self._lock = threading.Lock()
        self.fallback = fallback or ExtractiveWriter(links)

    def chat(self) -> Chat:
        if self._chat is None:
            with self._lock:
                if self._chat is None:
                    self._chat = langchain_chat(self.spec, self.base_url, self.timeout)
        return self._chat

    def write(
        self,
        question: str,
        passages: list[Passage],
        lead: Sequence[str] = (),
        tiers: Sequence[str] = (),
    ) -> Draft:
        facts = [s.strip() for s in lead if s.strip()]
        head = "\n".join(facts)
        if not passages:
            return Draft(head, [], declined=not facts)
        try:
            reply = self.chat()(SYSTEM, prompt(question, passages, facts))
        except Exception as exc:  # a timeout, a refused connection, an HTTP error, a missing package
            if isinstance(exc, LLMUnavailable):
                reason = "is not set up"
            elif _is_timeout(exc):
                reason = f"did not answer within {self.timeout:g} s"
            else:
                reason = "could not be reached"
            log.warning("LLM %s (%s: %s); answering extractively", reason, type(exc).__name__, str(exc)[:200])
            return self._fallback(question, passages, facts, tiers, f"The language model {reason}")
        if abstains(reply):
            if facts:  # the computed facts stand; the playbooks add nothing
                return Draft(head, [])
            return Draft("", cite(passages[:2], self.links), declined=True)
        limit = MAX_STEPS if analyse(question).steps else MAX_SENTENCES
        grounded = ground(reply, passages, facts, limit)
        if grounded.dropped:
            log.info("LLM answer: %d sentence(s) dropped (uncited or ungrounded numbers)", grounded.dropped)
        if not grounded.lines:
            return self._fallback(
                question,
                passages,
                facts,
                tiers,
                "The language model's answer could not be checked against the playbooks",
            )
        citations = cite([passages[i] for i in grounded.used], self.links)
        body = "\n".join(grounded.lines)
        return Draft(f"{head}\n\n{body}" if head else body, citations)

    def _fallback(
        self, question: str, passages: list[Passage], facts: list[str], tiers: Sequence[str], why: str
    ) -> Draft:
        draft = self.fallback.write(question, passages, lead=facts, tiers=tiers)
        note = f"_{why}; this answer is quoted from the playbooks._"
        return replace(draft, text=f"{draft.text}\n\n{note}".strip(), note=note)


def _is_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, TimeoutError) or "timeout" in type(e).__name__.lower() or "timed out" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
    return False


def from_settings(settings: Settings) -> LLMWriter:
    """The writer ``RAPPORT_LLM``, ``RAPPORT_LLM_BASE_URL``, ``RAPPORT_LLM_TIMEOUT`` and PLAYBOOKS_BASE_URL ask for."""
    if not settings.rapport_llm:
        raise LLMUnavailable("RAPPORT_LLM is not set")
    return LLMWriter(
        settings.rapport_llm,
        base_url=settings.rapport_llm_base_url,
        timeout=settings.rapport_llm_timeout,
        links=settings.playbook_base_url,
    )
