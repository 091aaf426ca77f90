"""Query latency p50/p95 over 1,000 queries on a 10,000-chunk index (embed / search / fuse / rerank),
and peak RSS of the process holding the model and the index.

The corpus scales real handbook text into 1,000 playbooks x 10 sections. To build it in seconds, chunk
vectors are real-model vectors of a pool of real paragraphs, perturbed per chunk (NoisyEmbedder); every
query is embedded by the real model, so the embed timing is real.
Usage: .venv/bin/python benchmarks/retrieval_query.py [--quick] [--queries N] [--memory]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from retrieval_common import NoisyEmbedder, peak_rss_mb, percentile, real_paragraphs, write_corpus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="200 queries")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--files", type=int, default=1025)  # ~10,050 chunks
    ap.add_argument("--only", action="append", help="run only the configuration with this exact label (repeatable)")
    args = ap.parse_args()
    n_q = 200 if args.quick else args.queries
    from retrieval.embedder import EmbeddingCache, SentenceTransformerEmbedder
    from retrieval.index import PlaybookIndex, SearchParams
    from retrieval.vector import ChromaVectorIndex

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared: figures scale with it)")
    rss0 = peak_rss_mb()
    paras = real_paragraphs()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pb"
        write_corpus(root, args.files, 10)
        real = SentenceTransformerEmbedder()
        emb = NoisyEmbedder(real, paras[:300])
        idx = PlaybookIndex(root, ChromaVectorIndex("bench", path=Path(tmp) / "chroma"), emb)
        t = time.perf_counter()
        rep = idx.sync()
        print(f"index: {rep.chunks} chunks from {args.files} files built in {time.perf_counter() - t:.1f}s")
        queries = []
        for _ in range(n_q):
            words = rng.choice(paras).split()
            s = rng.randrange(max(1, len(words) - 12))
            queries.append(" ".join(words[s : s + rng.randint(5, 12)]) + "?")
        for q in queries[:20]:
            idx.search(q)  # warm-up
        for label, params, filt in (
            ("hybrid + rerank", SearchParams(), {}),
            ("hybrid, no rerank", SearchParams(rerank=False), {}),
            ("hybrid + rerank + model rerank of the top 5 (opt-in)", SearchParams(sentence_top=5), {}),
            ("hybrid + rerank + model rerank of the top 3 (opt-in)", SearchParams(sentence_top=3), {}),
            ("hybrid + rerank, tier+region filter", SearchParams(), {"tiers": ["gold"], "regions": ["emea"]}),
        ):
            if args.only and label not in args.only:
                continue
            idx.params = params
            # the model rerank embeds passage sentences at query time: with the real model, cold cache
            idx.embedder = real if params.sentence_top else emb
            idx.cache = EmbeddingCache()
            parts: dict[str, list[float]] = {}
            totals: list[float] = []
            for q in queries:
                t = time.perf_counter()
                res = idx.search(q, k=5, **filt)  # type: ignore[arg-type]
                totals.append((time.perf_counter() - t) * 1000)
                for k, v in res.timings_ms.items():
                    parts.setdefault(k, []).append(v)
            print(
                f"\n{label}: {n_q} queries, total p50 {percentile(totals, 50):.1f} ms, "
                f"p95 {percentile(totals, 95):.1f} ms (target p95 < 60 ms / < 150 ms with rerank)"
            )
            for k, v in parts.items():
                print(f"  {k:15s} p50 {percentile(v, 50):6.2f} ms  p95 {percentile(v, 95):6.2f} ms")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(
        f"\npeak RSS: {peak_rss_mb():.0f} MB (model + {rep.chunks}-chunk index + Chroma; at start {rss0:.0f} MB;"
        " target < 1200 MB)"
    )


if __name__ == "__main__":
    main()
