"""Structure-aware chunking over the parsed Markdown: headings first (keeping the heading path), then size with
overlap, in whole units (a paragraph, a list item, a table row with its header labels, a line of code).

A chunk's text is clean Slack text, one unit a line (see retrieval.markdown); its line range covers the file lines
its units came from (and, for a section's first chunk, the heading), so a citation still points at the source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from retrieval.markdown import HEADING, PARAGRAPH, ROW, Heading, Unit, literal, parse_markdown, sentences, to_plain
from retrieval.types import Chunk, Document

DEFAULT_MAX_WORDS = 160
DEFAULT_OVERLAP_WORDS = 30
MIN_PREAMBLE_WORDS = 25


def clean_markdown(text: str) -> str:
    """Markdown -> plain text, one unit a line (links to their text; images, HTML tags and markup gone)."""
    return to_plain(text)


@dataclass
class _Section:
    heading_path: str
    start: int  # 1-based line of the heading (or of the first unit)
    units: list[Unit] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(u.words for u in self.units)


def document_blocks(doc: Document, base_url: str | None = None) -> list[Heading | Unit]:
    body = "\n".join(doc.lines[doc.body_start - 1 :])
    return parse_markdown(body, doc.body_start, doc.meta.path, base_url)


def _sections(doc: Document, base_url: str | None) -> list[_Section]:
    stack: list[tuple[int, str]] = []
    cur = _Section("", doc.body_start)
    raw: list[_Section] = []
    for block in document_blocks(doc, base_url):
        if isinstance(block, Heading):
            raw.append(cur)
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
            cur = _Section(" > ".join(t for _, t in stack), block.line)
        else:
            cur.units.append(block)
    raw.append(cur)
    # A heading with no body of its own (e.g. "## Platinum" right before "### Severity 1") folds into the next
    # section with a body: its line is still covered and no empty chunk is produced.
    merged: list[_Section] = []
    pending: int | None = None
    for s in raw:
        if not s.units:
            if s.heading_path and pending is None:
                pending = s.start
            continue
        if pending is not None:
            s.start = min(pending, s.start)
            pending = None
        merged.append(s)
    # A tiny preamble before the first heading (a banner image, a one-line intro) joins the first section.
    if len(merged) >= 2 and merged[0].heading_path == "" and merged[0].words < MIN_PREAMBLE_WORDS:
        first = merged.pop(0)
        merged[0].units[:0] = first.units
        merged[0].start = min(first.start, merged[0].start)
    return merged


def _split_unit(u: Unit, lines: tuple[str, ...], max_words: int) -> list[Unit]:
    """A paragraph over max_words -> its sentences, each a unit (packing then groups them and carries the overlap).
    Each sentence's line range is estimated from where its words fall among the paragraph's source lines."""
    if u.words <= max_words or u.kind != PARAGRAPH:
        return [u]
    slack, plain = sentences(u.text), sentences(u.plain)
    if len(slack) != len(plain):  # rare: markup moved a sentence break; quote the plain sentences
        slack = plain
    src = [len(lines[k - 1].split()) for k in range(u.line_start, u.line_end + 1)]
    total_src = max(1, sum(src))

    def line_at(word: int) -> int:
        target = word * total_src / max(1, u.words)
        acc = 0
        for i, w in enumerate(src):
            acc += w
            if acc >= target:
                return u.line_start + i
        return u.line_end

    out: list[Unit] = []
    seen = 0
    for s, p in zip(slack, plain, strict=True):
        w = len(p.split())
        out.append(Unit(u.kind, s, p, line_at(seen + 1), line_at(seen + max(1, w))))
        seen += w
    return out


def _plain_body(group: list[Unit]) -> str:
    """What is embedded and indexed: plain lines; a table's rows as bare cells under their header, written once
    per chunk (a labelled row repeats the header in every row, which would outweigh the cells)."""
    lines: list[str] = []
    header = None
    for u in group:
        if u.kind == ROW and u.header and u.header != header:
            lines.append(u.header)
        header = u.header if u.kind == ROW else None
        lines.append(u.plain_line())
    return "\n".join(lines)


def _pack(units: list[Unit], max_words: int, overlap: int) -> list[list[Unit]]:
    """Greedy packing of whole units into chunks of at most max_words, carrying trailing units as overlap."""
    chunks: list[list[Unit]] = []
    cur: list[Unit] = []
    words = 0
    for u in units:
        if cur and words + u.words > max_words:
            chunks.append(cur)
            carry: list[Unit] = []
            carried = 0
            for prev in reversed(cur):
                if carried + prev.words > overlap or carried + prev.words + u.words > max_words:
                    break
                carry.insert(0, prev)
                carried += prev.words
            cur, words = carry, carried
        cur.append(u)
        words += u.words
    if cur:
        chunks.append(cur)
    return chunks


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def embed_context(title: str, heading_path: str) -> str:
    return f"{title} > {heading_path}" if heading_path else title


def chunk_document(
    doc: Document,
    max_words: int = DEFAULT_MAX_WORDS,
    overlap_words: int = DEFAULT_OVERLAP_WORDS,
    base_url: str | None = None,
) -> list[Chunk]:
    """``base_url``: what relative links in the playbooks resolve against (None: they become their text)."""
    if overlap_words >= max_words:
        raise ValueError("overlap_words must be smaller than max_words")
    chunks: list[Chunk] = []
    for sec in _sections(doc, base_url):
        pieces = [p for u in sec.units for p in _split_unit(u, doc.lines, max_words)]
        if sec.heading_path:
            # The section's own heading opens its first chunk, as it stands in the file: the model and BM25 weigh
            # it above the path the section shares with its siblings (dropping it cost dev-set MRR).
            head = sec.heading_path.rsplit(" > ", 1)[-1]
            pieces.insert(0, Unit(HEADING, literal(head), head, sec.start, sec.start))
        for n, group in enumerate(_pack(pieces, max_words, overlap_words)):
            line_start = min(u.line_start for u in group)
            if n == 0:
                line_start = min(line_start, sec.start)
            line_end = max(max(u.line_end for u in group), line_start)
            text = "\n".join(u.line() for u in group)
            body = _plain_body(group)
            embed_text = f"{embed_context(doc.meta.title, sec.heading_path)}\n{body}"
            chunks.append(
                Chunk(
                    path=doc.meta.path,
                    ordinal=len(chunks),
                    heading_path=sec.heading_path,
                    line_start=line_start,
                    line_end=line_end,
                    text=text,
                    embed_text=embed_text,
                    content_hash=content_hash(embed_text),
                    kinds="".join(u.kind for u in group),
                    plain=body,
                )
            )
    return chunks


OUTLINE_WORDS = 60


def outline_chunk(doc: Document, chunks: list[Chunk]) -> Chunk:
    """A document-level pseudo-chunk (title, section headings, opening words) used for doc-level ranking.

    It is embedded and stored like a chunk but never returned as a passage."""
    heads = list(dict.fromkeys(c.heading_path.split(" > ")[-1] for c in chunks if c.heading_path))
    body = " ".join(c.embed_text.split("\n", 1)[1] if "\n" in c.embed_text else "" for c in chunks).split()
    text = f"{doc.meta.title}\n" + "; ".join(heads[:40]) + "\n" + " ".join(body[:OUTLINE_WORDS])
    return Chunk(
        path=doc.meta.path,
        ordinal=len(chunks),
        heading_path="",
        line_start=doc.body_start,
        line_end=max(doc.body_start, len(doc.lines)),
        text=text,
        embed_text=text,
        content_hash=content_hash("outline\n" + text),
        kind="outline",
    )
