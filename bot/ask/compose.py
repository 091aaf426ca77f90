"""Answer writers: turn retrieved passages into a short, cited answer.

``ExtractiveWriter`` (default, offline) quotes the pieces of the top passages that answer the question (see
bot.ask.extract): at most three sentences, or the steps of a procedure in order, or the table rows that match,
each group followed by the [n] of its source; facts the caller computed (from the record or the policy) lead.
``bot.ask.llm.LLMWriter`` (``RAPPORT_LLM``) has a chat model write from the same facts and passages, and keeps only
what it can check against them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.ask.extract import MAX_PIECES, Selection, select
from retrieval import Passage
from retrieval.markdown import BULLET, PARAGRAPH, STEP, list_marker, sentences


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
    updated_days: int | None = None  # age of the source (from ``updated``); None = unknown
    review_by: str = ""  # ISO date from front matter
    stale: bool = False  # past review_by
    updated: str = ""  # YYYY-MM-DD: front matter updated/reviewed, else the file's last git commit; "" = unknown


@dataclass(frozen=True)
class Draft:
    text: str  # mrkdwn, with [n] markers referring to citations
    citations: list[Citation]
    declined: bool = False  # nothing to say from these passages: "I don't know" (the caller names the owner)
    note: str = ""  # shown in the text too: why this answer is not what the configured writer would give


class AnswerWriter(Protocol):
    def write(
        self, question: str, passages: list[Passage], lead: Sequence[str] = (), tiers: Sequence[str] = ()
    ) -> Draft:
        """``lead``: sentences the caller computed (record fields, the policy route), shown first as given.
        ``tiers``: the customer's, to pick table rows."""
        ...


def cite(passages: list[Passage], base_url: str | None) -> list[Citation]:
    out = []
    for i, p in enumerate(passages, 1):
        url = f"{base_url.rstrip('/')}/{p.path}#L{p.line_start}" if base_url else None
        out.append(
            Citation(
                i,
                p.title,
                p.path,
                p.heading_path,
                p.line_start,
                p.line_end,
                p.owner,
                p.version,
                url,
                review_by=p.review_by,
                updated=p.updated,
            )
        )
    return out


def units(text: str) -> list[str]:
    """Sentences, list items and table rows of a stored passage: the pieces an answer may quote."""
    from bot.ask.extract import pieces

    return [p.text for p in pieces(Passage("", "", 0, 0, "", "", "", (), (), 0.0, text), 0)]


PIECE_CHARS = 450  # a list item or row longer than this shows its first sentences: one piece must not fill the answer


def _shortened(text: str) -> str:
    """A long piece (a list item of many sentences) cut after the sentences that fit in PIECE_CHARS, marked "…";
    its citation leads to the rest."""
    if len(text) <= PIECE_CHARS:
        return text
    head = list_marker(text)
    kept = ""
    for sentence in sentences(text[len(head) :]):  # the splitter reads no sentence after a list marker
        if kept and len(head) + len(kept) + 1 + len(sentence) > PIECE_CHARS:
            return f"{head}{kept} …"
        kept = f"{kept} {sentence}".strip()
    return text


def _source(c: Citation) -> str:
    section = c.heading_path.rsplit(" > ", 1)[-1]
    where = f"{c.title} › {section}" if section and section != c.title else c.title
    return f"<{c.url}|{where}>" if c.url else f"*{where}*"


class ExtractiveWriter:
    def __init__(self, base_url: str | None = None, max_units: int = MAX_PIECES, max_chars: int = 1400) -> None:
        self.base_url = base_url
        self.max_units = max_units
        self.max_chars = max_chars

    def write(
        self,
        question: str,
        passages: list[Passage],
        lead: Sequence[str] = (),
        tiers: Sequence[str] = (),
    ) -> Draft:
        """``lead``: sentences the caller computed (a record field, the policy route), put first as given;
        the passages then add at most two supporting sentences. ``tiers``: the customer's, to pick table rows."""
        if not passages:
            head = "\n".join(s.strip() for s in lead if s.strip())
            return Draft(head, [], declined=not head)
        limit = max(1, min(self.max_units, 2)) if lead else self.max_units
        sel = select(question, passages, tiers=tiers, max_pieces=limit, supporting=bool(lead))
        body, citations = self.render(sel, passages)
        head = "\n".join(s.strip() for s in lead if s.strip())
        text = f"{head}\n\n{body}".strip() if head and body else head or body
        return Draft(text, citations)

    def render(self, sel: Selection, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
        if not sel.groups:
            return "", cite(list(passages[:1]), self.base_url)
        used = [pi for pi, _ in sel.groups]
        citations = cite([passages[pi] for pi in used], self.base_url)
        if sel.meta:
            return f"{sel.meta} [1]", citations
        parts: list[str] = []
        total = 0
        for n, (_, group) in enumerate(sel.groups, 1):
            listed = any(p.kind in (STEP, BULLET) for p in group) or any(p.kind != PARAGRAPH for p in group)
            texts = [_shortened(p.text) for p in group]
            body = "\n".join(texts) if listed else " ".join(texts)
            block = f"{body} [{n}]"
            if sel.steps_rest and len(group) > 1 and any(p.kind == STEP for p in group):
                block += f"\nThe other {sel.steps_rest} steps are in {_source(citations[n - 1])}."
            if parts and total + len(block) > self.max_chars:
                citations = citations[: n - 1]
                break
            parts.append(block)
            total += len(block)
        return "\n".join(parts), citations
