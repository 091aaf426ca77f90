"""Offline evaluation: recall@1/5/10 and MRR for hybrid search and both baselines, in one run.

Questions file: JSON lines `{"question": str, "relevant": [path, ...]}`; a relevant entry may name a section
as "path#Heading" (matched case-insensitively against any component of a passage's heading path), which adds
section-level metrics; `"relevant": []` marks a question the documents do not answer (no rank to score).
Usage: `python -m retrieval.evaluate --playbooks DIR --questions FILE.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from retrieval.embedder import Embedder
from retrieval.types import Passage

KS = (1, 5, 10)
DEPTH = 100  # passages fetched per query: enough to rank 10 documents


def load_questions(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
        if not isinstance(q, dict) or not isinstance(q.get("question"), str) or not isinstance(q.get("relevant"), list):
            raise ValueError(f'{path}:{n}: expected {{"question": str, "relevant": [path, ...]}}')
        out.append(q)
    return out


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _doc_ranking(passages: list[Passage]) -> list[str]:
    return list(dict.fromkeys(p.path for p in passages))


def _section_hit(p: Passage, targets: list[tuple[str, str]]) -> bool:
    parts = {_norm(x) for x in p.heading_path.split(" > ")}
    return any(p.path == path and _norm(head) in parts for path, head in targets)


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    if n == 0:
        return {}
    out = {f"recall@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 4) for k in KS}
    out["mrr"] = round(sum(1.0 / r for r in ranks if r is not None) / n, 4)
    return out


def eval_index(playbooks_dir: Path, tmp: Path, embedder: Embedder | None = None, **index_kwargs: Any) -> Any:
    """A throwaway index of playbooks_dir under tmp, synced. Returns (PlaybookIndex, IndexReport)."""
    from retrieval.embedder import SentenceTransformerEmbedder
    from retrieval.index import PlaybookIndex
    from retrieval.vector import ChromaVectorIndex

    emb = embedder or SentenceTransformerEmbedder()
    index = PlaybookIndex(Path(playbooks_dir), ChromaVectorIndex("eval", path=Path(tmp)), emb, **index_kwargs)
    return index, index.sync()


def run_eval(
    playbooks_dir: Path, questions: Path, embedder: Embedder | None = None, **index_kwargs: Any
) -> dict[str, Any]:
    """Index playbooks_dir into a throwaway Chroma collection and score hybrid, BM25 and dense search."""
    with tempfile.TemporaryDirectory(prefix="rapport-eval-") as tmp:
        index, report = eval_index(playbooks_dir, Path(tmp), embedder, **index_kwargs)
        return retrieval_metrics(index, report, load_questions(questions))


def retrieval_metrics(index: Any, report: Any, qs: list[dict[str, Any]]) -> dict[str, Any]:
    """recall@1/5/10 and MRR of hybrid search and both baselines over questions with relevant documents
    (a question with ``relevant: []`` is out of scope: it has no rank to score)."""
    qs = [q for q in qs if q.get("relevant")]
    systems = ("hybrid", "bm25", "dense")
    doc_ranks: dict[str, list[int | None]] = {s: [] for s in systems}
    sec_ranks: dict[str, list[int | None]] = {s: [] for s in systems}
    per_question: list[dict[str, Any]] = []
    confidences: list[tuple[float, bool]] = []
    for q in qs:
        rel_docs = {r.split("#", 1)[0] for r in q["relevant"]}
        rel_secs = [tuple(r.split("#", 1)) for r in q["relevant"] if "#" in r]
        row: dict[str, Any] = {"question": q["question"]}
        for system in systems:
            res = index._search(q["question"], DEPTH, None, None, None, mode=system, dedupe=False)
            docs = _doc_ranking(res.passages)
            rank = next((i for i, d in enumerate(docs, start=1) if d in rel_docs), None)
            doc_ranks[system].append(rank)
            row[system] = rank
            if rel_secs:
                srank = next(
                    (i for i, p in enumerate(res.passages, start=1) if _section_hit(p, rel_secs)),  # type: ignore[arg-type]
                    None,
                )
                sec_ranks[system].append(srank)
                row[f"{system}_section"] = srank
            if system == "hybrid":
                row["confidence"] = round(res.confidence, 3)
                row["top"] = f"{res.passages[0].path}#{res.passages[0].heading_path}" if res.passages else None
                confidences.append((res.confidence, rank == 1))
        per_question.append(row)
    result: dict[str, Any] = {
        "questions": len(qs),
        "documents": report.added,
        "chunks": report.chunks,
        "index_errors": [list(e) for e in report.errors],
        "document_level": {s: _metrics(doc_ranks[s]) for s in systems},
    }
    if any(sec_ranks[s] for s in systems):
        result["section_level"] = {s: _metrics(sec_ranks[s]) for s in systems}
        result["section_questions"] = len(sec_ranks["hybrid"])
    if qs:
        best = max(("bm25", "dense"), key=lambda s: result["document_level"][s]["mrr"])
        hyb = result["document_level"]["hybrid"]
        result["better_baseline"] = best
        result["mrr_gain_over_better_baseline"] = round(hyb["mrr"] - result["document_level"][best]["mrr"], 4)
        result["top1_accuracy"] = hyb["recall@1"]
    result["mean_confidence"] = round(sum(c for c, _ in confidences) / max(1, len(confidences)), 4)
    result["per_question"] = per_question
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--playbooks", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--brief", action="store_true", help="omit per-question rows")
    args = ap.parse_args(argv)
    res = run_eval(args.playbooks, args.questions)
    if args.brief:
        res.pop("per_question", None)
    json.dump(res, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
