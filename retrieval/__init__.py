"""Playbook retrieval: loading, chunking, embedding, vector index, hybrid search.

Knows nothing of Slack or customers. Importing this package is cheap: torch, sentence-transformers and
chromadb are only imported when a model or a Chroma client is first built.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrieval.types import Chunk, DocMeta, Document, IndexReport, Passage, SearchResult

if TYPE_CHECKING:
    from retrieval.embedder import Embedder
    from retrieval.index import PlaybookIndex
    from retrieval.vector import VectorIndex

__all__ = [
    "Chunk",
    "DocMeta",
    "Document",
    "Embedder",
    "IndexReport",
    "Passage",
    "PlaybookIndex",
    "SearchResult",
    "VectorIndex",
    "open_index",
    "watch",
]


def open_index(
    playbooks_dir: Path,
    *,
    chroma_path: Path | None = None,
    chroma_url: str | None = None,
    collection: str = "playbooks",
    embedder: Embedder | None = None,
    links_base_url: str | None = None,
) -> PlaybookIndex:
    """Open (or create) the index of a playbooks folder.

    Chroma server when chroma_url is given, else an embedded Chroma under chroma_path (default
    `.rapport/chroma`). embedder None -> all-MiniLM-L6-v2 from the installed package (loaded on first use).
    links_base_url: what relative links inside the playbooks resolve against (None: shown as their text).
    Call `.sync()` to bring the index up to date with the folder."""
    from retrieval.embedder import SentenceTransformerEmbedder
    from retrieval.index import PlaybookIndex
    from retrieval.vector import ChromaVectorIndex

    if chroma_url:
        vectors = ChromaVectorIndex(collection, url=chroma_url)
    else:
        vectors = ChromaVectorIndex(collection, path=Path(chroma_path or Path(".rapport") / "chroma"))
    return PlaybookIndex(
        Path(playbooks_dir), vectors, embedder or SentenceTransformerEmbedder(), links_base_url=links_base_url
    )


def watch(index: PlaybookIndex, stop_event: threading.Event) -> None:
    """Block, re-syncing the index whenever a file under its folder changes, until stop_event is set."""
    from retrieval.watcher import watch as _watch

    _watch(index, stop_event)


def __getattr__(name: str) -> Any:
    if name == "PlaybookIndex":
        from retrieval.index import PlaybookIndex

        return PlaybookIndex
    if name == "Embedder":
        from retrieval.embedder import Embedder

        return Embedder
    if name == "VectorIndex":
        from retrieval.vector import VectorIndex

        return VectorIndex
    raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
