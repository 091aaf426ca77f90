"""Structure-aware chunking: headings first (keeping the heading path), then size with overlap.

Every chunk is a contiguous range of lines of the original file, so a citation's line range is exact.
Tables, lists and code blocks are kept whole when they fit in one chunk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from retrieval.types import Chunk, Document

DEFAULT_MAX_WORDS = 160
DEFAULT_OVERLAP_WORDS = 30
MIN_PREAMBLE_WORDS = 25

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_SETEXT_1 = re.compile(r"^ {0,3}=+\s*$")
_SETEXT_2 = re.compile(r"^ {0,3}-+\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"<[^>\n]{1,200}>")
_URL = re.compile(r"https?://\S+")
_EMPH = re.compile(r"[*_`]{1,3}")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:\-|]+\|?\s*$")
_ADMONITION = re.compile(r"^\s*(!!!|\?\?\?)\s*\w+\s*")


def clean_markdown(text: str) -> str:
    """Markdown -> plain-ish text for the model and BM25 (the cited text stays raw)."""
    out: list[str] = []
    for line in text.split("\n"):
        if _TABLE_RULE.match(line) and "-" in line:
            continue
        line = _IMAGE.sub(r"\1", line)
        line = _LINK.sub(r"\1", line)
        line = _URL.sub(" ", line)
        line = _HTML.sub(" ", line)
        line = _ADMONITION.sub("", line)
        line = _EMPH.sub("", line)
        line = line.replace("|", " ").strip().lstrip("#").strip()
        if line:
            out.append(line)
    return "\n".join(out)


def _words(line: str) -> int:
    return len(line.split())


@dataclass
class _Section:
    heading_path: str
    start: int  # 1-based inclusive
    end: int
    has_body: bool


def _heading_lines(lines: tuple[str, ...], first: int) -> dict[int, tuple[int, str]]:
    """Map 0-based line index -> (level, heading text) for ATX and setext headings outside code fences."""
    heads: dict[int, tuple[int, str]] = {}
    in_fence = False
    for i in range(first, len(lines)):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _ATX.match(line)
        if m:
            text = clean_markdown(m.group(2)) or m.group(2).strip()
            if text:
                heads[i] = (len(m.group(1)), text)
            continue
        if i > first and (_SETEXT_1.match(line) or _SETEXT_2.match(line)):
            prev = lines[i - 1]
            before_blank = i - 2 < first or not lines[i - 2].strip()
            if (
                prev.strip()
                and before_blank
                and (i - 1) not in heads
                and not _LIST.match(prev)
                and not prev.lstrip().startswith(("|", ">"))
            ):
                level = 1 if "=" in line else 2
                heads[i - 1] = (level, clean_markdown(prev) or prev.strip())
    return heads


def _sections(doc: Document) -> list[_Section]:
    lines = doc.lines
    first = doc.body_start - 1
    heads = _heading_lines(lines, first)
    sections: list[_Section] = []
    stack: list[tuple[int, str]] = []
    cur = _Section("", first + 1, first, False)
    for i in range(first, len(lines)):
        if i in heads:
            if cur.end >= cur.start:
                sections.append(cur)
            level, text = heads[i]
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            cur = _Section(" > ".join(t for _, t in stack), i + 1, i + 1, False)
        else:
            cur.end = i + 1
            line = lines[i]
            is_underline = (i - 1) in heads and (_SETEXT_1.match(line) or _SETEXT_2.match(line))
            if line.strip() and not is_underline:
                cur.has_body = True
    if cur.end >= cur.start:
        sections.append(cur)
    # A heading with no body of its own (e.g. "## Platinum" right before "### Severity 1") is merged into
    # the next section, so its line is still covered and no empty chunk is produced.
    merged: list[_Section] = []
    pending_start: int | None = None
    for s in sections:
        if not s.has_body:
            if pending_start is None:
                pending_start = s.start
            continue
        if pending_start is not None:
            s = _Section(s.heading_path, pending_start, s.end, True)
            pending_start = None
        merged.append(s)
    # A tiny preamble before the first heading (a banner image, a one-line intro) joins the first section.
    if len(merged) >= 2 and merged[0].heading_path == "" and merged[1].start == merged[0].end + 1:
        words = sum(_words(doc.lines[k - 1]) for k in range(merged[0].start, merged[0].end + 1))
        if words < MIN_PREAMBLE_WORDS:
            merged[1] = _Section(merged[1].heading_path, merged[0].start, merged[1].end, True)
            merged.pop(0)
    if pending_start is not None:
        if merged:
            last = merged[-1]
            merged[-1] = _Section(last.heading_path, last.start, sections[-1].end, True)
        else:
            merged.append(_Section(sections[-1].heading_path, pending_start, sections[-1].end, True))
    return merged


def _blocks(lines: tuple[str, ...], start: int, end: int) -> list[tuple[int, int]]:
    """Split lines start..end (1-based inclusive) into blocks: fences, tables, lists, paragraphs."""
    blocks: list[tuple[int, int]] = []
    i = start
    while i <= end:
        line = lines[i - 1]
        if not line.strip():
            i += 1
            continue
        j = i
        if _FENCE.match(line):
            j = i + 1
            while j <= end and not _FENCE.match(lines[j - 1]):
                j += 1
            j = min(j, end)
        elif line.lstrip().startswith("|"):
            while j + 1 <= end and lines[j].lstrip().startswith("|"):
                j += 1
        elif _LIST.match(line):
            # items, their indented continuations, and blank lines between items
            while j + 1 <= end:
                nxt = lines[j]
                cont = nxt.strip() and (_LIST.match(nxt) or nxt.startswith((" ", "\t")))
                gap = (
                    not nxt.strip()
                    and j + 2 <= end
                    and (_LIST.match(lines[j + 1]) or lines[j + 1].startswith((" ", "\t")))
                )
                if cont or gap:
                    j += 1
                else:
                    break
        else:
            while j + 1 <= end and lines[j].strip() and not _FENCE.match(lines[j]):
                if lines[j].lstrip().startswith("|") or (_LIST.match(lines[j]) and not _LIST.match(line)):
                    break
                j += 1
        blocks.append((i, j))
        i = j + 1
    return blocks


def _pack(lines: tuple[str, ...], start: int, end: int, max_words: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of blocks into line ranges of at most max_words (a single longer line stays whole)."""
    units: list[tuple[int, int, int]] = []
    for b0, b1 in _blocks(lines, start, end):
        w = sum(_words(lines[k - 1]) for k in range(b0, b1 + 1))
        if w <= max_words:
            units.append((b0, b1, w))
            continue
        # oversized block: split by lines, leaving room for the overlap carried into the next piece
        piece = max(1, max_words - overlap)
        s, acc = b0, 0
        for k in range(b0, b1 + 1):
            lw = _words(lines[k - 1])
            if acc and acc + lw > piece:
                units.append((s, k - 1, acc))
                s, acc = k, 0
            acc += lw
        units.append((s, b1, acc))
    if not units:
        return [(start, end)]
    ranges: list[tuple[int, int]] = []
    cur_start, cur_end, cur_w = units[0]
    for u0, u1, uw in units[1:]:
        if cur_w + uw <= max_words:
            cur_end, cur_w = u1, cur_w + uw
            continue
        ranges.append((cur_start, cur_end))
        # overlap: carry trailing whole lines of the previous chunk, up to `overlap` words
        ov_start, ov_w = u0, 0
        k = cur_end
        while k > cur_start and overlap > 0:
            lw = _words(lines[k - 1])
            if ov_w + lw > overlap or ov_w + lw + uw > max_words:
                break
            ov_w += lw
            ov_start = k
            k -= 1
        cur_start, cur_end, cur_w = min(ov_start, u0), u1, ov_w + uw
    ranges.append((cur_start, cur_end))
    # the section's own start line (its heading) belongs to the first chunk
    first0, first1 = ranges[0]
    ranges[0] = (min(start, first0), first1)
    return ranges


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def embed_context(title: str, heading_path: str) -> str:
    return f"{title} > {heading_path}" if heading_path else title


def chunk_document(
    doc: Document, max_words: int = DEFAULT_MAX_WORDS, overlap_words: int = DEFAULT_OVERLAP_WORDS
) -> list[Chunk]:
    if overlap_words >= max_words:
        raise ValueError("overlap_words must be smaller than max_words")
    chunks: list[Chunk] = []
    for sec in _sections(doc):
        for r0, r1 in _pack(doc.lines, sec.start, sec.end, max_words, overlap_words):
            # trim blank lines at both ends so line ranges point at content
            while r0 < r1 and not doc.lines[r0 - 1].strip():
                r0 += 1
            while r1 > r0 and not doc.lines[r1 - 1].strip():
                r1 -= 1
            text = "\n".join(doc.lines[r0 - 1 : r1])
            if not text.strip():
                continue
            body = clean_markdown(text)
            embed_text = f"{embed_context(doc.meta.title, sec.heading_path)}\n{body}"
            chunks.append(
                Chunk(
                    path=doc.meta.path,
                    ordinal=len(chunks),
                    heading_path=sec.heading_path,
                    line_start=r0,
                    line_end=r1,
                    text=text,
                    embed_text=embed_text,
                    content_hash=content_hash(embed_text),
                )
            )
    return chunks


OUTLINE_WORDS = 60


def outline_chunk(doc: Document, chunks: list[Chunk]) -> Chunk:
    """A document-level pseudo-chunk (title, section headings, opening words) used for doc-level ranking.

    It is embedded and stored like a chunk but never returned as a passage."""
    heads = list(dict.fromkeys(c.heading_path.split(" > ")[-1] for c in chunks if c.heading_path))
    body = clean_markdown("\n".join(doc.lines[doc.body_start - 1 :])).split()
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
