"""Answer writers: turn retrieved passages into a short, cited answer.

``ExtractiveWriter`` (default, offline) picks the sentences of the top passages that share the most
content words with the question and keeps them in document order. ``LangChainWriter`` (``RAPPORT_LLM``)
asks a chat model to answer from the same passages only and drops sentences that cite nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from retrieval import Passage

STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being do does did "
    "what who whom which when where why how can could should would will shall may might must i we you they "
    "it this that these those our your their my me us them there here than then so not no yes any all "
    "about into over under after before again also just only very more most some such own same too".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9%$.-]*")
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*_`])")


def content_words(text: str) -> set[str]:
    return {_stem(w.strip(".-")) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Citation:
    number: int
    title: str
    path: str
    heading_path: str
    line_start: int
    line_end: int
    owner: str
    version: str
    url: str | None
    updated_days: int | None = None  # age of the source (front-matter date, else file mtime); None = unknown
    review_by: str = ""  # ISO date from front matter
    stale: bool = False  # past review_by


@dataclass(frozen=True)
class Draft:
    text: str  # mrkdwn, with [n] markers referring to citations
    citations: list[Citation]


class AnswerWriter(Protocol):
    def write(self, question: str, passages: list[Passage]) -> Draft: ...


def cite(passages: list[Passage], base_url: str | None) -> list[Citation]:
    out = []
    for i, p in enumerate(passages, 1):
        url = f"{base_url.rstrip('/')}/{p.path}#L{p.line_start}" if base_url else None
        out.append(Citation(i, p.title, p.path, p.heading_path, p.line_start, p.line_end, p.owner, p.version, url))
    return out


def units(text: str) -> list[str]:
    """Sentences, list items and table rows of a passage: the pieces an answer may quote."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or set(line) <= set("|-: "):
            continue
        if line.startswith(("- ", "* ", "|")) or re.match(r"^\d+[.)] ", line):
            out.append(line)
        else:
            out.extend(s.strip() for s in _SENT_SPLIT.split(line) if s.strip())
    return out


class ExtractiveWriter:
    def __init__(self, base_url: str | None = None, max_units: int = 4, max_chars: int = 1400) -> None:
        self.base_url = base_url
        self.max_units = max_units
        self.max_chars = max_chars

    def write(self, question: str, passages: list[Passage]) -> Draft:
        q = content_words(question)
        scored: list[tuple[float, int, int, str]] = []
        for pi, p in enumerate(passages[:3]):
            heading_words = content_words(p.heading_path + " " + p.title)
            for ui, unit in enumerate(units(p.text)):
                w = content_words(unit)
                if not w:
                    continue
                overlap = len(q & w) + 0.5 * len(q & heading_words)
                # Earlier passages are more relevant; tiny bonus for the first sentence of a section.
                score = overlap / (1 + 0.35 * pi) + (0.2 if ui == 0 else 0)
                scored.append((score, pi, ui, unit))
        chosen = sorted(scored, key=lambda s: -s[0])[: self.max_units]
        if not chosen:
            return Draft("", cite(passages[:1], self.base_url))
        used = sorted({pi for _, pi, _, _ in chosen})
        numbers = {pi: n for n, pi in enumerate(used, 1)}
        parts: list[str] = []
        total = 0
        for pi in used:
            pieces = [u for _, ppi, _, u in sorted(chosen, key=lambda s: (s[1], s[2])) if ppi == pi]
            body = " ".join(pieces) if not any(x.startswith(("- ", "|", "* ")) for x in pieces) else "\n".join(pieces)
            block = f"{body} [{numbers[pi]}]"
            if total + len(block) > self.max_chars:
                break
            parts.append(block)
            total += len(block)
        citations = cite([passages[pi] for pi in used], self.base_url)
        return Draft("\n".join(parts), citations)


class LangChainWriter:
    """Grounded LLM answers via a langchain chat model named by ``RAPPORT_LLM`` (provider:model)."""

    def __init__(self, spec: str, base_url: str | None = None) -> None:
        self.spec = spec
        self.base_url = base_url
        self._model: object | None = None

    def _chat(self) -> object:
        if self._model is None:
            try:
                from langchain.chat_models import init_chat_model  # type: ignore[import-not-found]
            except ImportError as exc:
                raise RuntimeError(
                    "RAPPORT_LLM is set but langchain's chat-model integrations are not installed "
                    "(pip install langchain langchain-openai|langchain-anthropic|langchain-ollama)"
                ) from exc
            provider, _, model = self.spec.partition(":")
            self._model = init_chat_model(model or provider, model_provider=provider if model else None)
        return self._model

    def write(self, question: str, passages: list[Passage]) -> Draft:
        from langchain_core.messages import HumanMessage, SystemMessage

        sources = "\n\n".join(f"[{i}] {p.title} > {p.heading_path}\n{p.text}" for i, p in enumerate(passages, 1))
        messages = [
            SystemMessage(
                "Answer only from the numbered sources. End every sentence with the [n] of its source. "
                "If the sources do not answer, reply exactly: I don't know."
            ),
            HumanMessage(f"Sources:\n{sources}\n\nQuestion: {question}"),
        ]
        reply = str(self._chat().invoke(messages).content)  # type: ignore[attr-defined]
        kept = [s for s in _SENT_SPLIT.split(reply) if re.search(r"\[\d+\]", s)]  # unsupported claims dropped
        return Draft(" ".join(kept), cite(passages, self.base_url))
