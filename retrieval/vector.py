"""Vector index port: Chroma (embedded or server) and an in-memory numpy implementation.

Filters use a small, Chroma-compatible `where` subset: {"k": v}, {"k": {"$eq"|"$ne"|"$in"|"$nin": ...}},
{"$and": [...]}, {"$or": [...]}. Scores returned by `query` are cosine similarities (higher is better).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlparse

import numpy as np

from retrieval.embedder import Matrix

log = logging.getLogger(__name__)

MetaValue = str | int | float | bool
Metadata = Mapping[str, MetaValue]
Where = dict[str, Any]


@dataclass
class VectorRecords:
    ids: list[str] = field(default_factory=list)
    metadatas: list[dict[str, MetaValue]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    embeddings: list[Matrix] | None = None


@runtime_checkable
class VectorIndex(Protocol):
    def upsert(
        self,
        ids: Sequence[str],
        embeddings: Matrix,
        documents: Sequence[str],
        metadatas: Sequence[Metadata],
    ) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def get(
        self, ids: Sequence[str] | None = None, where: Where | None = None, include_embeddings: bool = False
    ) -> VectorRecords: ...

    def query(self, embedding: Matrix, n: int, where: Where | None = None) -> list[tuple[str, float]]: ...

    def count(self) -> int: ...


def matches(meta: Mapping[str, Any], where: Where | None) -> bool:
    """Evaluate the supported `where` subset against one metadata dict (missing key never matches)."""
    if not where:
        return True
    for key, cond in where.items():
        if key == "$and":
            if not all(matches(meta, c) for c in cond):
                return False
        elif key == "$or":
            if not any(matches(meta, c) for c in cond):
                return False
        elif isinstance(cond, dict):
            for op, val in cond.items():
                has = key in meta
                cur = meta.get(key)
                if op == "$eq":
                    ok = has and cur == val
                elif op == "$ne":
                    ok = has and cur != val
                elif op == "$in":
                    ok = has and cur in val
                elif op == "$nin":
                    ok = has and cur not in val
                else:
                    raise ValueError(f"unsupported where operator {op!r}")
                if not ok:
                    return False
        elif key not in meta or meta[key] != cond:
            return False
    return True


class InMemoryVectorIndex:
    """Exact cosine search over a numpy matrix. For unit tests and small corpora."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._meta: list[dict[str, MetaValue]] = []
        self._docs: list[str] = []
        self._vecs: list[Matrix] = []
        self._matrix: Matrix | None = None
        self._lock = threading.Lock()

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: Matrix,
        documents: Sequence[str],
        metadatas: Sequence[Metadata],
    ) -> None:
        if not (len(ids) == len(embeddings) == len(documents) == len(metadatas)):
            raise ValueError("ids, embeddings, documents and metadatas must have the same length")
        with self._lock:
            for i, id_ in enumerate(ids):
                vec = np.asarray(embeddings[i], dtype=np.float32)
                if id_ in self._pos:
                    p = self._pos[id_]
                    self._meta[p], self._docs[p], self._vecs[p] = dict(metadatas[i]), documents[i], vec
                else:
                    self._pos[id_] = len(self._ids)
                    self._ids.append(id_)
                    self._meta.append(dict(metadatas[i]))
                    self._docs.append(documents[i])
                    self._vecs.append(vec)
            self._matrix = None

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            drop = {i for i in ids if i in self._pos}
            if not drop:
                return
            keep = [p for p, id_ in enumerate(self._ids) if id_ not in drop]
            self._ids = [self._ids[p] for p in keep]
            self._meta = [self._meta[p] for p in keep]
            self._docs = [self._docs[p] for p in keep]
            self._vecs = [self._vecs[p] for p in keep]
            self._pos = {id_: p for p, id_ in enumerate(self._ids)}
            self._matrix = None

    def get(
        self, ids: Sequence[str] | None = None, where: Where | None = None, include_embeddings: bool = False
    ) -> VectorRecords:
        with self._lock:
            positions = [self._pos[i] for i in ids if i in self._pos] if ids is not None else range(len(self._ids))
            out = VectorRecords(embeddings=[] if include_embeddings else None)
            for p in positions:
                if not matches(self._meta[p], where):
                    continue
                out.ids.append(self._ids[p])
                out.metadatas.append(dict(self._meta[p]))
                out.documents.append(self._docs[p])
                if out.embeddings is not None:
                    out.embeddings.append(self._vecs[p])
            return out

    def query(self, embedding: Matrix, n: int, where: Where | None = None) -> list[tuple[str, float]]:
        with self._lock:
            if not self._ids or n <= 0:
                return []
            if self._matrix is None:
                self._matrix = np.stack(self._vecs).astype(np.float32)
            scores = self._matrix @ np.asarray(embedding, dtype=np.float32)
            if where:
                mask = np.array([matches(m, where) for m in self._meta], dtype=bool)
                scores = np.where(mask, scores, -np.inf)
            n = min(n, len(self._ids))
            top = np.argpartition(-scores, n - 1)[:n]
            top = top[np.argsort(-scores[top], kind="stable")]
            return [(self._ids[p], float(scores[p])) for p in top if np.isfinite(scores[p])]

    def count(self) -> int:
        return len(self._ids)


def _chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


class ChromaVectorIndex:
    """Chroma collection with cosine space. PersistentClient(path) by default, HttpClient for a URL."""

    def __init__(self, collection: str = "playbooks", *, path: Path | None = None, url: str | None = None):
        import chromadb

        if url:
            u = urlparse(url if "://" in url else f"http://{url}")
            ssl = u.scheme == "https"
            self._client = chromadb.HttpClient(
                host=u.hostname or "localhost",
                port=u.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=_chroma_settings(),
            )
        else:
            if path is None:
                raise ValueError("ChromaVectorIndex needs a path or a url")
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        self._col = self._client.get_or_create_collection(
            name=collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        try:
            self._max_batch = int(self._client.get_max_batch_size())
        except Exception:  # older/newer clients without the call
            self._max_batch = 1000
        self._max_batch = max(1, min(self._max_batch, 2000))

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: Matrix,
        documents: Sequence[str],
        metadatas: Sequence[Metadata],
    ) -> None:
        if not (len(ids) == len(embeddings) == len(documents) == len(metadatas)):
            raise ValueError("ids, embeddings, documents and metadatas must have the same length")
        for s in range(0, len(ids), self._max_batch):
            e = s + self._max_batch
            self._col.upsert(
                ids=list(ids[s:e]),
                embeddings=np.asarray(embeddings[s:e], dtype=np.float32),
                documents=list(documents[s:e]),
                metadatas=[dict(m) for m in metadatas[s:e]],
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for s in range(0, len(ids), self._max_batch):
            self._col.delete(ids=ids[s : s + self._max_batch])

    def get(
        self, ids: Sequence[str] | None = None, where: Where | None = None, include_embeddings: bool = False
    ) -> VectorRecords:
        include: list[Any] = ["metadatas", "documents"]
        if include_embeddings:
            include.append("embeddings")
        out = VectorRecords(embeddings=[] if include_embeddings else None)
        if ids is not None:
            ids = list(ids)
            if not ids:
                return out
            batches: list[dict[str, Any]] = [
                {"ids": ids[s : s + self._max_batch]} for s in range(0, len(ids), self._max_batch)
            ]
        else:
            total = self._col.count()
            batches = [{"limit": self._max_batch, "offset": s} for s in range(0, total, self._max_batch)]
        for kw in batches:
            res = self._col.get(where=where or None, include=include, **kw)
            out.ids.extend(res["ids"])
            for m in res.get("metadatas") or []:
                out.metadatas.append({k: v for k, v in (m or {}).items() if isinstance(v, str | int | float | bool)})
            out.documents.extend(d or "" for d in (res.get("documents") or []))
            if out.embeddings is not None:
                embs = res.get("embeddings")
                if embs is not None:
                    out.embeddings.extend(np.asarray(v, dtype=np.float32) for v in embs)
        return out

    def query(self, embedding: Matrix, n: int, where: Where | None = None) -> list[tuple[str, float]]:
        if n <= 0:
            return []
        total = self._col.count()
        if total == 0:
            return []
        res = self._col.query(
            query_embeddings=np.asarray(embedding, dtype=np.float32).reshape(1, -1),
            n_results=min(n, total),
            where=where or None,
            include=["distances"],
        )
        ids = res["ids"][0]
        dists = (res.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]

    def count(self) -> int:
        return int(self._col.count())
