"""Plain data types shared across the retrieval package (no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocMeta:
    """Front-matter metadata of one playbook file (for stale-doc reporting and citations)."""

    path: str  # POSIX path relative to the playbooks directory
    title: str
    owner: str = ""
    review_by: str = ""  # ISO date string, "" when absent
    version: str = ""
    tiers: tuple[str, ...] = ()  # lower-cased; empty = applies to every tier
    regions: tuple[str, ...] = ()  # lower-cased; empty = applies to every region
    tags: tuple[str, ...] = ()
    updated: str = ""  # YYYY-MM-DD: front matter updated/reviewed, else the last git commit; "" = unknown


@dataclass(frozen=True)
class Document:
    """A loaded playbook: metadata, body lines (front matter removed) and a hash of the raw bytes."""

    meta: DocMeta
    lines: tuple[str, ...]  # every line of the file, front matter included, without newlines
    body_start: int  # 1-based line number of the first body line (after front matter)
    file_hash: str


@dataclass(frozen=True)
class Chunk:
    """One indexable passage of a document."""

    path: str
    ordinal: int
    heading_path: str  # "A > B > C", "" before the first heading
    line_start: int  # 1-based, inclusive, in the original file
    line_end: int  # 1-based, inclusive
    text: str  # clean Slack text, one unit (paragraph, list item, table row, code line) a line
    embed_text: str  # context (title + heading path) + the plain text: what is embedded
    content_hash: str  # hash of embed_text: the embedding cache key
    kind: str = "chunk"  # "chunk" (a passage) or "outline" (one per document: title + headings + opening)
    kinds: str = ""  # one letter per line of text: its unit kind (retrieval.markdown.KINDS)
    plain: str = ""  # the plain words of text as indexed (embed_text without its context line)


@dataclass(frozen=True)
class Passage:
    """A search hit with everything needed to cite it."""

    path: str
    heading_path: str
    line_start: int
    line_end: int
    title: str
    owner: str
    version: str
    tiers: tuple[str, ...]
    regions: tuple[str, ...]
    score: float
    text: str  # clean Slack mrkdwn, one unit a line (see retrieval.markdown.passage_lines)
    kinds: str = ""  # one letter per line of text: paragraph, numbered step, bullet, table row, code
    review_by: str = ""  # ISO date from front matter, "" when absent
    updated: str = ""  # YYYY-MM-DD the document was last updated (front matter, else git), "" = unknown
    # cosine of the question with each of retrieval.markdown.passage_pieces(text, kinds), in order, for the top
    # passages of a search (empty elsewhere): which sentence, item or row answers, by meaning
    piece_scores: tuple[float, ...] = ()
    # the share of the question's key terms (each weighted by how rare it is in this handbook) each piece holds,
    # counting a term found only in the piece's headings at half weight: which piece says it in the asker's words
    piece_terms: tuple[float, ...] = ()


@dataclass
class SearchResult:
    query: str
    passages: list[Passage]
    confidence: float  # in [0, 1]: estimated probability that the top passage answers the query
    answerable: bool  # confidence >= threshold; False means "say I don't know"
    timings_ms: dict[str, float] = field(default_factory=dict)
    truncated: bool = False
    signals: dict[str, float] = field(default_factory=dict)  # what the confidence was computed from


@dataclass
class IndexReport:
    added: int = 0  # files new to the index
    updated: int = 0  # files whose content changed
    deleted: int = 0  # files removed (or renamed away, or now unreadable)
    unchanged: int = 0  # files left as they were
    embedded: int = 0  # chunks that went through the model (cache misses)
    reused: int = 0  # changed chunks whose embedding came from the cache
    chunks: int = 0  # chunks in the index after the sync
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"Indexed playbooks in {self.seconds:.1f}s: {self.added} added, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged; {self.embedded} chunks embedded, "
            f"{self.reused} reused from cache; {self.chunks} chunks in the index."
        ]
        for path, reason in self.errors:
            lines.append(f"warning: skipped {path}: {reason}")
        return "\n".join(lines)
