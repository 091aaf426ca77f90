"""PlaybookIndex: incremental sync of a playbooks folder into a vector index + hybrid search.

One module because sync, the lexical/vector search and their fusion read the same in-memory state under
one lock; the parts that stand alone (markdown, chunker, fusion, confidence) are their own modules.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from retrieval import confidence as answerability
from retrieval import fusion
from retrieval.chunker import (
    DEFAULT_MAX_WORDS,
    DEFAULT_OVERLAP_WORDS,
    chunk_document,
    content_hash,
    outline_chunk,
)
from retrieval.dates import git_dates
from retrieval.embedder import Embedder, EmbeddingCache, Matrix
from retrieval.lexical import BM25Index, acronym_definitions, tokenize
from retrieval.loader import load_documents
from retrieval.markdown import passage_lines, passage_pieces, sentences, slack_to_plain
from retrieval.question import HOW_OFTEN, analyse
from retrieval.types import Chunk, DocMeta, Document, IndexReport, Passage, SearchResult
from retrieval.vector import MetaValue, VectorIndex, Where

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000
PIECE_PASSAGES = 5  # top passages whose sentences, items and rows are scored against the question
MAX_PIECES = 40  # per passage: bounds the model time a long passage costs at query time
EMBED_GROUP = 256  # chunks embedded (and then committed file by file) per group
Mode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class SearchParams:
    """Tunable knobs of the hybrid ranker (defaults are the tuned values)."""

    candidates: int = 60  # per retriever; also the pool whose score spread normalises each retriever
    # "zscore": convex combination of per-retriever standardised scores (keeps how far ahead a hit is, which
    # RRF throws away); "rrf": reciprocal rank fusion (rrf_k, w_outline).
    fusion: Literal["zscore", "rrf"] = "zscore"
    rrf_k: int = 20
    w_dense: float = 0.5  # equal say for both retrievers (0.4/0.6 scored within noise on dev + playbooks)
    w_lexical: float = 0.5
    w_heading: float = 0.0  # rerank: query-term coverage of title + heading path
    w_doc: float = 0.0  # doc-level aggregation: share of the doc's other strong chunks (hurt on dev: off)
    doc_top: int = 3
    w_outline: float = 0.75  # rrf only: doc-level dense signal, RRF of the document outline's rank
    outline_k: int = 20
    w_outline_z: float = 0.25  # zscore only: doc prior, standardised outline similarity (same units as chunks)
    # zscore only: doc prior, standardised BM25 of the whole document (every chunk's words in one bag). The
    # outline prior's lexical twin: a document that uses the question's words throughout is likelier the
    # one that answers it than one with a single matching passage (an overview page, a summary table).
    w_doc_lexical: float = 0.3
    rerank: bool = True
    # model rerank (opt-in): the top `sentence_top` passages get w_sentence x (standardised) best cosine between
    # the query and one sentence / table row / list item of the passage (prefixed with its heading); unit vectors
    # are cached by content hash. Off by default: with the document priors it lowers document MRR on both
    # sets (top 3 or 5, w 0.25: dev 0.893 -> 0.843, playbooks/ 0.965 -> 0.948), and a cold cache embeds ~5-25
    # texts per passage at query time (10k chunks: p95 109 ms at top 3, 160 ms at top 5).
    sentence_top: int = 0
    w_sentence: float = 0.25


@dataclass(frozen=True)
class _Record:
    id: str
    path: str
    heading_path: str
    line_start: int
    line_end: int
    title: str
    owner: str
    version: str
    review_by: str
    tiers: tuple[str, ...]
    regions: tuple[str, ...]
    text: str
    file_hash: str
    chunk_hash: str
    n_chunks: int
    field_terms: tuple[str, ...]
    kind: str = "chunk"
    kinds: str = ""
    updated: str = ""  # front matter date ("" = none: the index's git dates apply)
    plain: str = ""  # the words BM25 indexes (as embedded); "" in an older index: derived from text
    ordinal: int = -1  # the chunk's place in its document (-1: unknown, an older index)

    def passage(self, score: float, updated: str = "") -> Passage:
        return Passage(
            path=self.path,
            heading_path=self.heading_path,
            line_start=self.line_start,
            line_end=self.line_end,
            title=self.title,
            owner=self.owner,
            version=self.version,
            tiers=self.tiers,
            regions=self.regions,
            score=score,
            text=self.text,
            kinds=self.kinds,
            review_by=self.review_by,
            updated=self.updated or updated,
        )


def _split(v: MetaValue | None) -> tuple[str, ...]:
    return tuple(x for x in str(v or "").split("|") if x)


def _record_from_meta(id_: str, meta: dict[str, MetaValue], text: str) -> _Record:
    title = str(meta.get("title", ""))
    heading = str(meta.get("heading_path", ""))
    return _Record(
        id=id_,
        path=str(meta.get("path", "")),
        heading_path=heading,
        line_start=int(meta.get("line_start", 0)),
        line_end=int(meta.get("line_end", 0)),
        title=title,
        owner=str(meta.get("owner", "")),
        version=str(meta.get("version", "")),
        review_by=str(meta.get("review_by", "")),
        tiers=_split(meta.get("tiers")),
        regions=_split(meta.get("regions")),
        text=text,
        file_hash=str(meta.get("file_hash", "")),
        chunk_hash=str(meta.get("chunk_hash", "")),
        n_chunks=int(meta.get("n_chunks", 0)),
        field_terms=tuple(tokenize(f"{title} {heading}")),
        kind=str(meta.get("kind", "chunk")),
        kinds=str(meta.get("kinds", "")),
        updated=str(meta.get("updated", "")),
        plain=str(meta.get("plain", "")),
        ordinal=int(meta.get("ordinal", -1)),
    )


def chunk_metadata(doc: Document, chunk: Chunk, n_chunks: int) -> dict[str, MetaValue]:
    m = doc.meta
    meta: dict[str, MetaValue] = {
        "path": m.path,
        "file_hash": doc.file_hash,
        "chunk_hash": chunk.content_hash,
        "n_chunks": n_chunks,
        "ordinal": chunk.ordinal,
        "heading_path": chunk.heading_path,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "title": m.title,
        "owner": m.owner,
        "version": m.version,
        "review_by": m.review_by,
        "tiers": "|".join(m.tiers),
        "regions": "|".join(m.regions),
        "tags": "|".join(m.tags),
        "kind": chunk.kind,
        "kinds": chunk.kinds,
        "plain": chunk.plain,
        "updated": m.updated,
        "tiers_all": not m.tiers,
        "regions_all": not m.regions,
    }
    for t in m.tiers:
        meta[f"tier:{t}"] = True
    for r in m.regions:
        meta[f"region:{r}"] = True
    return meta


def chunk_id(doc: Document, chunk: Chunk) -> str:
    # version-stamped: a new file version never overwrites the old one's ids, so the swap is atomic per file
    return f"{doc.meta.path}::{doc.file_hash}::{chunk.ordinal}"


class _State:
    """Snapshot used by searches, replaced wholesale after a sync; immutable but for one lazily filled cache
    (``matrix``, the chunk vectors for filtered searches)."""

    def __init__(
        self,
        all_records: list[_Record],
        outline_vecs: dict[str, Matrix],
        previous: _State | None = None,
    ):
        self.all_records = all_records  # chunks and outlines: the sync bookkeeping
        self.records = [r for r in all_records if r.kind == "chunk"]  # searchable passages
        self.pos = {r.id: i for i, r in enumerate(self.records)}
        # Per record, reused from the previous snapshot for unchanged chunks: its BM25 tokens (title and
        # heading path, then body), how many of them are that title/heading prefix, and the acronyms it defines.
        self.tokens: dict[str, list[str]] = {}
        self.prefix: dict[str, int] = {}
        self.definitions: dict[str, dict[str, str]] = {}
        acronyms: dict[str, str] = {}
        doc_tokens: dict[str, list[str]] = {}
        headings_seen: set[tuple[str, str]] = set()
        for r in self.records:
            if previous is not None and r.id in previous.tokens:
                toks, prefix, defs = previous.tokens[r.id], previous.prefix[r.id], previous.definitions[r.id]
            else:
                head = tokenize(f"{r.title}\n{r.heading_path}")
                plain = r.plain or slack_to_plain(r.text)
                toks, prefix, defs = head + tokenize(plain), len(head), acronym_definitions(plain)
            self.tokens[r.id], self.prefix[r.id], self.definitions[r.id] = toks, prefix, defs
            acronyms.update(defs)
            # The document's words once each where they are written: the title once, each heading once (a
            # chunk repeats its title and heading path, which would count a long document's title many times).
            bag = doc_tokens.get(r.path)
            if bag is None:
                bag = doc_tokens[r.path] = tokenize(r.title)
            last_heading = r.heading_path.rsplit(" > ", 1)[-1]
            if last_heading and (r.path, last_heading) not in headings_seen:
                headings_seen.add((r.path, last_heading))
                bag.extend(tokenize(last_heading))
            bag.extend(toks[prefix:])
        self.bm25 = BM25Index(tokens=[self.tokens[r.id] for r in self.records], acronyms=acronyms)
        # In how many passages each term occurs: how rare a question's term is in this handbook (confidence).
        self.df: Counter[str] = Counter(t for r in self.records for t in set(self.tokens[r.id]))
        # Whole documents as one bag of words each: the lexical twin of the outline vectors' doc prior.
        self.doc_lexical_paths = sorted(doc_tokens)
        self.doc_bm25 = BM25Index(tokens=[doc_tokens[p] for p in self.doc_lexical_paths], acronyms=acronyms)
        self.by_hash: dict[str, str] = {r.chunk_hash: r.id for r in all_records}
        # Each chunk by its place in its file version: a passage that is one part of a split section reads on
        # into the next chunk of its section, the first passage back into the one before too (see _with_next).
        self.by_ordinal: dict[tuple[str, str, int], _Record] = {
            (r.path, r.file_hash, r.ordinal): r for r in self.records if r.ordinal >= 0
        }
        self.paths = sorted({r.path for r in self.records})
        live = set(self.paths)
        self.outline_paths = [p for p in sorted(outline_vecs) if p in live]
        self.outlines: Matrix | None = (
            np.stack([outline_vecs[p] for p in self.outline_paths]).astype(np.float32) if self.outline_paths else None
        )
        self.outline_vecs = {p: outline_vecs[p] for p in self.outline_paths}
        # Chunk vectors in memory, fetched on the first selectively filtered search (see
        # PlaybookIndex._chunk_matrix); rows of unchanged chunks carry over from the previous snapshot.
        self.matrix: Matrix | None = None
        self.inherited: dict[str, Matrix] = {}
        if previous is not None and previous.matrix is not None:
            rows = {r.id: i for i, r in enumerate(previous.records)}
            self.inherited = {r.id: previous.matrix[rows[r.id]] for r in self.records if r.id in rows}

    def allowed_mask(
        self, tiers: Sequence[str] | None, regions: Sequence[str] | None, paths: Sequence[str] | None
    ) -> np.ndarray | None:
        if not tiers and not regions and paths is None:
            return None
        t = {x.lower() for x in tiers or ()}
        g = {x.lower() for x in regions or ()}
        p_exact = {x for x in paths or () if not x.endswith("/")}
        p_dirs = tuple(x for x in paths or () if x.endswith("/"))
        mask = np.ones(len(self.records), dtype=bool)
        for i, r in enumerate(self.records):
            tier_ok = not t or not r.tiers or bool(t & set(r.tiers))
            region_ok = not g or not r.regions or bool(g & set(r.regions))
            path_ok = paths is None or r.path in p_exact or r.path.startswith(p_dirs)
            mask[i] = tier_ok and region_ok and path_ok
        return mask

    def where(
        self, tiers: Sequence[str] | None, regions: Sequence[str] | None, paths: Sequence[str] | None
    ) -> Where | None:
        """The same filter as allowed_mask, as a Chroma `where` (paths expanded to exact doc paths)."""
        clauses: list[Where] = []
        if tiers:
            clauses.append({"$or": [{"tiers_all": True}] + [{f"tier:{x.lower()}": True} for x in tiers]})
        if regions:
            clauses.append({"$or": [{"regions_all": True}] + [{f"region:{x.lower()}": True} for x in regions]})
        if paths is not None:
            dirs = tuple(x for x in paths if x.endswith("/"))
            exact = sorted({p for p in self.paths if p in set(paths) or p.startswith(dirs)})
            clauses.append({"path": {"$in": exact or ["\x00none"]}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _show_progress(requested: bool) -> bool:
    return requested and sys.stderr.isatty() and not os.environ.get("CI")


def _zscore_fuse(dense: list[tuple[str, float]], lexical: list[tuple[str, float]], p: SearchParams) -> dict[str, float]:
    """Convex combination of standardised dense and BM25 scores over both candidate lists.

    Everything is decided on the top `p.candidates` of each list (the pool), so a hit's score does not depend on
    how many passages the caller asked for: a pool member missing from one list scores what that list's last
    pooled hit scored (or 0 for BM25 when the list ended early: no query term). Deeper hits, fetched only for a
    large k, are scored in the pool's units with their own values."""
    c = p.candidates
    dt, lt = dict(dense[:c]), dict(lexical[:c])
    d_fill = dense[:c][-1][1] if dense else 0.0
    l_fill = lexical[c - 1][1] if len(lexical) >= c else 0.0
    pool = list(dict.fromkeys([*dt, *lt]))
    d_deep, l_deep = dict(dense[c:]), dict(lexical[c:])
    keys = list(dict.fromkeys([*pool, *d_deep, *l_deep]))
    pooled = set(pool)

    def value(key: str, top: dict[str, float], deep: dict[str, float], fill: float) -> float:
        if key in top:
            return top[key]
        return fill if key in pooled else deep.get(key, fill)

    d_all = {k: value(k, dt, d_deep, d_fill) for k in keys}
    l_all = {k: value(k, lt, l_deep, l_fill) for k in keys}
    parts = [fusion.zscores(d_all, pool)]
    weights = [p.w_dense]
    if lexical:  # no query term in the vocabulary: dense alone decides
        parts.append(fusion.zscores(l_all, pool))
        weights.append(p.w_lexical)
    return fusion.convex(parts, weights)


UNIT_MIN_WORDS = 3
MAX_UNITS = 24  # per passage: bounds the rerank's model time on long passages


def _units(r: _Record) -> list[str]:
    """Sentences, table rows and list items of a passage, each prefixed with its own heading for context."""
    head = r.heading_path.rsplit(" > ", 1)[-1] or r.title
    out: list[str] = []
    for pl in passage_lines(r.text, r.kinds):
        line = slack_to_plain(pl.text)
        if pl.kind == "h" or line.strip() == head.strip():
            continue
        for sent in sentences(line) if pl.kind == "p" else [line]:
            sent = " ".join(sent.split())
            if len(sent.split()) >= UNIT_MIN_WORDS:
                out.append(f"{head}: {sent}")
    return out[:MAX_UNITS]


def _lines(text: str, kinds: str) -> list[tuple[str, str]] | None:
    """A stored text's non-blank lines with their kinds; None when the kinds do not line up (an older index)."""
    lines = [line for line in text.split("\n") if line.strip()]
    return list(zip(lines, kinds, strict=True)) if len(lines) == len(kinds) else None


def _join(first: list[tuple[str, str]], then: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Two consecutive chunks of one section as one run of lines: the overlap the second carries is kept once."""
    for k in range(min(len(first), len(then)), 0, -1):
        if first[-k:] == then[:k]:
            return first + then[k:]
    return first + then


def _with_next(state: _State, r: _Record, p: Passage, first: bool = False) -> Passage:
    """A passage that is one part of a split section reads on into the section's next chunk: the search returns
    one chunk a section, and what a chunk leads up to (a list it introduces, the sentence after the cut) is
    often just across the cut. The passage ranked ``first`` also reads back into the chunk before it: a split
    section often states its main fact in its opening ("Clef ... contributes 85% of the cost", "After every 5
    years ...") while the search returns its second half. Only the first passage reads back: adding the chunk
    before to all five cost a dev answer and won nothing the first one does not."""
    parts = [r]
    if first and r.ordinal > 0:
        before = state.by_ordinal.get((r.path, r.file_hash, r.ordinal - 1))
        if before is not None and before.heading_path == r.heading_path:
            parts.insert(0, before)
    after = state.by_ordinal.get((r.path, r.file_hash, r.ordinal + 1)) if r.ordinal >= 0 else None
    if after is not None and after.heading_path == r.heading_path:
        parts.append(after)
    if len(parts) == 1:
        return p  # the common case (a section in one chunk): nothing to read
    runs = [run for c in parts if (run := _lines(c.text, c.kinds)) is not None]
    if len(runs) != len(parts):
        return p  # an older index whose kinds do not line up: the passage as found
    joined: list[tuple[str, str]] = []
    for run in runs:
        joined = _join(joined, run)
    return replace(
        p,
        text="\n".join(t for t, _ in joined),
        kinds="".join(k for _, k in joined),
        line_start=min(c.line_start for c in parts),
        line_end=max(c.line_end for c in parts),
    )


class PlaybookIndex:
    """A playbooks folder mirrored into a VectorIndex, plus an in-memory BM25 and record snapshot."""

    def __init__(
        self,
        playbooks_dir: Path,
        vectors: VectorIndex,
        embedder: Embedder,
        *,
        max_words: int = DEFAULT_MAX_WORDS,
        overlap_words: int = DEFAULT_OVERLAP_WORDS,
        params: SearchParams | None = None,
        links_base_url: str | None = None,
    ):
        """``links_base_url``: what relative links inside the playbooks resolve against (the published handbook's
        address); None: such links are shown as their text."""
        self.playbooks_dir = Path(playbooks_dir)
        self.links_base_url = links_base_url or None
        self._git_dates: dict[str, str] | None = None
        self.vectors = vectors
        self.embedder = embedder
        self.max_words = max_words
        self.overlap_words = overlap_words
        self.params = params or SearchParams()
        self.cache = EmbeddingCache()
        self._sync_lock = threading.Lock()
        self._state = self._load_state()

    # ------------------------------------------------------------------ state
    def _load_state(self) -> _State:
        got = self.vectors.get()
        records = [_record_from_meta(i, m, d) for i, m, d in zip(got.ids, got.metadatas, got.documents, strict=True)]
        records.sort(key=lambda r: (r.path, r.file_hash, r.line_start))
        outline_ids = [r.id for r in records if r.kind == "outline"]
        vecs: dict[str, Matrix] = {}
        if outline_ids:
            out = self.vectors.get(ids=outline_ids, include_embeddings=True)
            for meta, emb in zip(out.metadatas, out.embeddings or [], strict=False):
                vecs[str(meta.get("path", ""))] = np.asarray(emb, dtype=np.float32)
        return _State(records, vecs)

    def sections(self, path: str, parent: str) -> list[str]:
        """The headings right under ``parent`` (a heading path, "A > B") in the document, in its order."""
        depth = len(parent.split(" > ")) if parent else 0
        prefix = f"{parent} > " if parent else ""
        ordered = sorted((r for r in self._state.records if r.path == path), key=lambda r: r.ordinal)
        parts = [r.heading_path.split(" > ") for r in ordered if r.heading_path.startswith(prefix)]
        return list(dict.fromkeys(p[depth] for p in parts if len(p) > depth and p[depth]))

    def documents(self) -> list[DocMeta]:
        seen: dict[str, DocMeta] = {}
        for r in self._state.records:
            if r.path not in seen:
                seen[r.path] = DocMeta(
                    path=r.path,
                    title=r.title,
                    owner=r.owner,
                    review_by=r.review_by,
                    version=r.version,
                    tiers=r.tiers,
                    regions=r.regions,
                    updated=r.updated or self.git_dates().get(r.path, ""),
                )
        return [seen[p] for p in sorted(seen)]

    def git_dates(self) -> dict[str, str]:
        """Last-commit dates of the playbooks (one ``git log`` per sync, or on first use); {} outside git."""
        dates = self._git_dates
        if dates is None:
            dates = self._git_dates = git_dates(self.playbooks_dir)
        return dates

    def __len__(self) -> int:
        return len(self._state.records)

    # ------------------------------------------------------------------ sync
    def sync(self, progress: bool = False) -> IndexReport:
        """Bring the index in line with the folder. Safe to interrupt: re-running finishes the job."""
        t0 = time.perf_counter()
        with self._sync_lock:
            report = self._sync(progress)
        report.seconds = time.perf_counter() - t0
        return report

    def _sync(self, progress: bool) -> IndexReport:
        report = IndexReport()
        docs, errors = load_documents(self.playbooks_dir, salt=self.links_base_url or "")
        self._git_dates = git_dates(self.playbooks_dir)
        report.errors = errors
        state = self._state
        records = {r.id: r for r in state.all_records}
        outline_vecs = dict(state.outline_vecs)
        versions: dict[str, dict[str, list[_Record]]] = defaultdict(lambda: defaultdict(list))
        for r in state.all_records:
            versions[r.path][r.file_hash].append(r)

        todo: list[tuple[Document, list[Chunk], bool]] = []  # (doc, chunks, is_new_file)
        cleanup: list[str] = []  # ids of stale versions whose current version is already complete
        live_paths = {d.meta.path for d in docs}
        for doc in docs:
            vers = versions.get(doc.meta.path, {})
            cur = vers.get(doc.file_hash, [])
            stale = [r.id for fh, rs in vers.items() if fh != doc.file_hash for r in rs]
            if cur and len(cur) == cur[0].n_chunks:
                if stale:
                    cleanup.extend(stale)  # an interrupted update: the new version is complete
                    report.updated += 1
                else:
                    report.unchanged += 1
                continue
            chunks = chunk_document(doc, self.max_words, self.overlap_words, self.links_base_url)
            chunks.append(outline_chunk(doc, chunks))
            todo.append((doc, chunks, not vers))
        removed = [r.id for p, vers in versions.items() if p not in live_paths for rs in vers.values() for r in rs]
        report.deleted = sum(1 for p in versions if p not in live_paths)

        with self._progress(progress, sum(len(c) for _, c, _ in todo)) as advance:
            group: list[tuple[Document, list[Chunk], bool]] = []
            group_size = 0
            for item in todo:
                group.append(item)
                group_size += len(item[1])
                if group_size >= EMBED_GROUP:
                    self._commit_group(group, records, versions, outline_vecs, report, advance)
                    group, group_size = [], 0
            if group:
                self._commit_group(group, records, versions, outline_vecs, report, advance)
        for ids in (cleanup, removed):
            if ids:
                self.vectors.delete(ids)
                for i in ids:
                    records.pop(i, None)
        changed = bool(todo or cleanup or removed)
        if changed:
            new = sorted(records.values(), key=lambda r: (r.path, r.file_hash, r.line_start))
            self._state = _State(new, outline_vecs, previous=state)
        report.chunks = len(self._state.records)
        return report

    def _commit_group(
        self,
        group: list[tuple[Document, list[Chunk], bool]],
        records: dict[str, _Record],
        versions: dict[str, dict[str, list[_Record]]],
        outline_vecs: dict[str, Matrix],
        report: IndexReport,
        advance: Any,
    ) -> None:
        # 1. embeddings: process cache, then the vector index (by content hash), then the model
        name = self.embedder.name
        vecs: dict[str, Matrix] = {}
        missing_from_cache: list[str] = []
        for _, chunks, _ in group:
            for c in chunks:
                if c.content_hash in vecs:
                    continue
                v = self.cache.get(f"{name}:{c.content_hash}")
                if v is not None:
                    vecs[c.content_hash] = v
                elif c.content_hash in self._state.by_hash:
                    missing_from_cache.append(c.content_hash)
        if missing_from_cache:
            ids = [self._state.by_hash[h] for h in dict.fromkeys(missing_from_cache)]
            got = self.vectors.get(ids=ids, include_embeddings=True)
            for meta, emb in zip(got.metadatas, got.embeddings or [], strict=False):
                h = str(meta.get("chunk_hash", ""))
                if h:
                    vecs[h] = np.asarray(emb, dtype=np.float32)
        report.reused += sum(1 for _, cs, _ in group for c in cs if c.content_hash in vecs)
        to_embed: dict[str, str] = {}
        for _, chunks, _ in group:
            for c in chunks:
                if c.content_hash not in vecs:
                    to_embed.setdefault(c.content_hash, c.embed_text)
        advance(sum(len(cs) for _, cs, _ in group) - len(to_embed))
        if to_embed:
            # Longest first, then slices of 64 for the progress bar: each slice holds texts of similar length,
            # so the model pads little, as it does when it sorts one big call itself (unsorted slices of 64
            # cost ~15% of indexing throughput in padding).
            hashes = sorted(to_embed, key=lambda h: -len(to_embed[h]))
            step = 64
            for s in range(0, len(hashes), step):
                part = hashes[s : s + step]
                out = self.embedder.embed_documents([to_embed[h] for h in part])
                for h, v in zip(part, out, strict=True):
                    vecs[h] = v
                advance(len(part))
            report.embedded += len(to_embed)
        for h, v in vecs.items():
            self.cache.put(f"{name}:{h}", v)

        # 2. write every file's new version (version-stamped ids: nothing old is overwritten), then delete
        # the old versions. A crash in between leaves, per file, a complete old and/or new version; the next
        # sync keeps the complete current one and deletes the rest. One batch per group: Chroma upserts are
        # costly per call, not per record.
        all_ids: list[str] = []
        all_vecs: list[Matrix] = []
        all_docs: list[str] = []
        all_metas: list[dict[str, MetaValue]] = []
        old: list[str] = []
        for doc, chunks, is_new in group:
            for c in chunks:
                meta = chunk_metadata(doc, c, len(chunks))
                id_ = chunk_id(doc, c)
                all_ids.append(id_)
                all_vecs.append(vecs[c.content_hash])
                all_docs.append(c.text)
                all_metas.append(meta)
                records[id_] = _record_from_meta(id_, meta, c.text)
                if c.kind == "outline":
                    outline_vecs[doc.meta.path] = vecs[c.content_hash]
            old += [r.id for fh, rs in versions.get(doc.meta.path, {}).items() if fh != doc.file_hash for r in rs]
            if is_new:
                report.added += 1
            else:
                report.updated += 1
        if all_ids:
            self.vectors.upsert(all_ids, np.stack(all_vecs), all_docs, all_metas)
        if old:
            self.vectors.delete(old)
            for i in old:
                records.pop(i, None)

    @contextmanager
    def _progress(self, requested: bool, total: int) -> Iterator[Any]:
        if not _show_progress(requested) or total == 0:
            yield lambda n: None
            return
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("Indexing playbooks", total=total)
            yield lambda n: bar.advance(task, n)

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str,
        k: int = 5,
        tiers: list[str] | None = None,
        regions: list[str] | None = None,
        paths: list[str] | None = None,
    ) -> SearchResult:
        """Hybrid search. Raises ValueError for an empty query; very long queries are truncated."""
        return self._search(query, k, tiers, regions, paths, mode="hybrid", score_pieces=True)

    def _search(
        self,
        query: str,
        k: int,
        tiers: Sequence[str] | None,
        regions: Sequence[str] | None,
        paths: Sequence[str] | None,
        mode: Mode = "hybrid",
        dedupe: bool = True,
        score_pieces: bool = False,
    ) -> SearchResult:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query must be a non-empty string")
        if k <= 0:
            raise ValueError("k must be positive")
        query = " ".join(query.split())
        truncated = len(query) > MAX_QUERY_CHARS
        if truncated:
            query = query[:MAX_QUERY_CHARS]
        state = self._state
        p = self.params
        timings: dict[str, float] = {}
        if not state.records:
            return SearchResult(query, [], 0.0, False, timings, truncated)
        mask = state.allowed_mask(tiers, regions, paths)
        n_cand = max(p.candidates, 3 * k)

        qv: Matrix | None = None
        dense: list[tuple[str, float]] = []
        cosine: dict[str, float] = {}
        if mode != "bm25":
            t = time.perf_counter()
            qv = self.embedder.embed_query(query)
            timings["embed"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            dense = self._dense(state, qv, n_cand, mask, tiers, regions, paths)
            cosine = dict(dense)
            timings["search_dense"] = (time.perf_counter() - t) * 1000
        lexical: list[tuple[str, float]] = []
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            lexical = [(state.records[i].id, s) for i, s in state.bm25.search(query, n_cand, mask, HOW_OFTEN)]
            timings["search_lexical"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        if mode == "dense":
            scores = {i: s for i, s in dense}
        elif mode == "bm25":
            scores = {i: s for i, s in lexical}
        elif p.fusion == "rrf":
            scores = fusion.rrf([[i for i, _ in dense], [i for i, _ in lexical]], [p.w_dense, p.w_lexical], p.rrf_k)
        else:
            scores = _zscore_fuse(dense, lexical, p)
        timings["fuse"] = (time.perf_counter() - t) * 1000

        if mode == "hybrid" and p.rerank and qv is not None:
            t = time.perf_counter()
            scores = self._rerank(state, query, qv, scores)
            timings["rerank"] = (time.perf_counter() - t) * 1000
            if p.sentence_top > 0 and p.w_sentence:
                t = time.perf_counter()
                scores = self._sentence_rerank(state, qv, scores)
                timings["rerank_model"] = (time.perf_counter() - t) * 1000

        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        passages: list[Passage] = []
        passage_ids: list[str] = []
        seen_sections: set[tuple[str, str]] = set()
        dates = self.git_dates()
        for id_, s in ranked:
            r = state.records[state.pos[id_]]
            key = (r.path, r.heading_path)
            if dedupe and key in seen_sections:
                continue
            seen_sections.add(key)
            passages.append(r.passage(float(s), dates.get(r.path, "")))
            passage_ids.append(id_)
            if len(passages) >= k:
                break

        if not passages:
            return SearchResult(query, passages, 0.0, False, timings, truncated)
        if score_pieces:
            top_ids = passage_ids[:PIECE_PASSAGES]
            passages[: len(top_ids)] = [
                _with_next(state, state.records[state.pos[i]], p, first=n == 0)
                for n, (i, p) in enumerate(zip(top_ids, passages, strict=False))
            ]
        intent = analyse(query)
        if score_pieces and qv is not None:
            t = time.perf_counter()
            passages = self._score_pieces(
                qv, passages, answerability.term_weights(intent, state.df, len(state.records))
            )
            timings["pieces"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        signals = answerability.compute(
            intent,
            passages,
            max(cosine.values(), default=0.0),
            [state.records[state.pos[i]].path for i, _ in dense],
            [state.records[state.pos[i]].path for i, _ in lexical],
            state.df,
            len(state.records),
        )
        conf = answerability.confidence(signals) if mode == "hybrid" else 0.0
        timings["confidence"] = (time.perf_counter() - t) * 1000
        return SearchResult(
            query,
            passages,
            conf,
            conf >= answerability.THRESHOLD,
            timings,
            truncated,
            signals=signals.as_dict(),
        )

    def _cached_vectors(self, kind: str, texts: list[str]) -> dict[str, Matrix]:
        """Unit vectors of short texts, from the process cache by content hash, the rest embedded in one call."""
        keys = {u: f"{self.embedder.name}:{kind}:{content_hash(u)}" for u in texts}
        vecs: dict[str, Matrix] = {}
        todo: list[str] = []
        for u, key in keys.items():
            v = self.cache.get(key)
            if v is None:
                todo.append(u)
            else:
                vecs[u] = v
        if todo:
            for u, new in zip(todo, self.embedder.embed_documents(todo), strict=True):
                vecs[u] = new
                self.cache.put(keys[u], new)
        return vecs

    def _score_pieces(self, qv: Matrix, passages: list[Passage], weights: dict[str, float]) -> list[Passage]:
        """The top passages with each piece's cosine to the question (piece vectors cached by content hash; a
        piece is read with its heading, as a passage is) and its share of the question's key terms."""
        top = passages[:PIECE_PASSAGES]
        texts: list[list[str]] = []
        terms: list[tuple[float, ...]] = []
        for p in top:
            head = p.heading_path.rsplit(" > ", 1)[-1] or p.title
            pieces = passage_pieces(p.text, p.kinds)[:MAX_PIECES]
            texts.append([f"{head}: {pc.plain}" for pc in pieces])
            context = set(tokenize(f"{p.title} {p.heading_path}"))
            terms.append(tuple(answerability.term_share(weights, set(tokenize(pc.plain)), context) for pc in pieces))
        vecs = self._cached_vectors("piece", [u for us in texts for u in us])
        q = np.asarray(qv, dtype=np.float32)
        scored = [
            replace(p, piece_scores=tuple(float(vecs[u] @ q) for u in us), piece_terms=ts)
            for p, us, ts in zip(top, texts, terms, strict=True)
        ]
        return scored + passages[PIECE_PASSAGES:]

    def _dense(
        self,
        state: _State,
        qv: Matrix,
        n: int,
        mask: np.ndarray | None,
        tiers: Sequence[str] | None,
        regions: Sequence[str] | None,
        paths: Sequence[str] | None,
    ) -> list[tuple[str, float]]:
        extra = len(state.outline_paths)  # outlines share the collection: over-fetch, then drop them
        if mask is None:
            return [(i, s) for i, s in self.vectors.query(qv, n + min(extra, n)) if i in state.pos][:n]
        allowed = int(mask.sum())
        if allowed == 0:
            return []
        share = allowed / len(state.records)
        if share >= 0.3:
            # broad filter: over-fetch unfiltered (fast path) and filter here
            hits = self.vectors.query(qv, min(len(state.records), int(n / share) + 10))
            out = [(i, s) for i, s in hits if i in state.pos and mask[state.pos[i]]]
            if len(out) >= min(n, allowed):
                return out[:n]
        # Selective filter: exact cosine over the allowed chunks in memory. A filtered query in Chroma scans
        # its metadata for every call (~70 ms at 10k chunks); a few hundred dot products take well under 1 ms.
        matrix = self._chunk_matrix(state)
        if matrix is not None:
            allowed_rows = np.flatnonzero(mask)
            sims = matrix[allowed_rows] @ np.asarray(qv, dtype=np.float32)
            top = np.argsort(-sims, kind="stable")[:n]
            return [(state.records[int(allowed_rows[j])].id, float(sims[j])) for j in top]
        where = state.where(tiers, regions, paths)
        chunk_only: Where = {"kind": "chunk"}
        where = {"$and": [where, chunk_only]} if where else chunk_only
        hits = self.vectors.query(qv, min(n, allowed), where=where)
        return [(i, s) for i, s in hits if i in state.pos and mask[state.pos[i]]]

    def _chunk_matrix(self, state: _State) -> Matrix | None:
        """Every searchable chunk's vector, row-aligned with ``state.records`` (fetched once per snapshot; a
        re-index only fetches the chunks it added). None if the vector index lacks any of them (the caller
        then filters in the vector index)."""
        if state.matrix is None:
            have = dict(state.inherited)
            missing = [r.id for r in state.records if r.id not in have]
            if missing:
                got = self.vectors.get(ids=missing, include_embeddings=True)
                have.update(
                    (i, np.asarray(v, dtype=np.float32)) for i, v in zip(got.ids, got.embeddings or [], strict=False)
                )
            if any(r.id not in have for r in state.records):
                return None
            state.matrix = np.stack([have[r.id] for r in state.records]).astype(np.float32)
            state.inherited = {}
        return state.matrix

    def _sentence_rerank(self, state: _State, qv: Matrix, scores: dict[str, float]) -> dict[str, float]:
        """A chunk vector averages its sentences; the answer is often one of them. Rescore the top passages by
        their best-matching unit (a sentence, table row or list item, with its heading as context)."""
        p = self.params
        top = sorted(scores, key=lambda i: (-scores[i], i))[: p.sentence_top]
        if len(top) < 2:
            return scores
        units = {i: _units(state.records[state.pos[i]]) for i in top}
        vecs = self._cached_vectors("unit", [u for us in units.values() for u in us])
        q = np.asarray(qv, dtype=np.float32)
        best = {i: max(float(vecs[u] @ q) for u in us) for i, us in units.items() if us}
        z = fusion.zscores(best)
        out = dict(scores)
        for i, zi in z.items():
            out[i] += p.w_sentence * zi
        return out

    def _rerank(self, state: _State, query: str, qv: Matrix, scores: dict[str, float]) -> dict[str, float]:
        """Cheap, model-free rerank: document-level evidence (outline similarity rank, other strong chunks)
        and title/heading term coverage."""
        p = self.params
        q_terms = tokenize(query)
        doc_rank: dict[str, int] = {}
        doc_prior: dict[str, float] = {}
        if p.fusion == "zscore" and p.w_outline_z and state.outlines is not None:
            sims = state.outlines @ np.asarray(qv, dtype=np.float32)
            z = fusion.zscores({path: float(x) for path, x in zip(state.outline_paths, sims, strict=True)})
            doc_prior = {path: p.w_outline_z * v for path, v in z.items()}
        if p.fusion == "zscore" and p.w_doc_lexical and state.doc_bm25.size > 1:
            hits = dict(state.doc_bm25.search(query, state.doc_bm25.size))
            if hits:
                paths = state.doc_lexical_paths
                z = fusion.zscores({path: hits.get(i, 0.0) for i, path in enumerate(paths)})
                for path, v in z.items():
                    doc_prior[path] = doc_prior.get(path, 0.0) + p.w_doc_lexical * v
        elif p.w_outline and state.outlines is not None:
            sims = state.outlines @ np.asarray(qv, dtype=np.float32)
            for rank, j in enumerate(np.argsort(-sims), start=1):
                doc_rank[state.outline_paths[int(j)]] = rank
        out: dict[str, float] = {}
        per_doc: dict[str, list[float]] = defaultdict(list)
        for id_, s in scores.items():
            per_doc[state.records[state.pos[id_]].path].append(s)
        doc_bonus: dict[str, float] = {}
        for path, ss in per_doc.items():
            ss.sort(reverse=True)
            doc_bonus[path] = sum(ss[1 : 1 + p.doc_top])
        for id_, s in scores.items():
            r = state.records[state.pos[id_]]
            bonus = p.w_heading * fusion.term_overlap(q_terms, r.field_terms) + p.w_doc * doc_bonus[r.path]
            if r.path in doc_rank:
                bonus += p.w_outline / (p.outline_k + doc_rank[r.path])
            bonus += doc_prior.get(r.path, 0.0)
            out[id_] = s + bonus
        return out
