"""Indexing throughput (chunks/s) of PlaybookIndex.sync vs raw model.encode on the same texts, same run.

Usage: .venv/bin/python benchmarks/retrieval_indexing.py [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from retrieval_common import REPO, write_corpus  # noqa: F401  (sets sys.path / offline env)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="~150 chunks instead of ~600")
    args = ap.parse_args()
    from retrieval.embedder import SentenceTransformerEmbedder
    from retrieval.index import PlaybookIndex
    from retrieval.vector import ChromaVectorIndex

    n_files = 25 if args.quick else 100
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pb"
        write_corpus(root, n_files, 5)
        emb = SentenceTransformerEmbedder()
        emb.embed_documents(["warm up the model"] * 8)

        # raw: the model alone on exactly the texts the index embeds (context + cleaned body)
        from retrieval.chunker import chunk_document, outline_chunk
        from retrieval.loader import load_documents

        docs, _ = load_documents(root)
        embed_texts = []
        for d in docs:
            cs = chunk_document(d)
            embed_texts += [c.embed_text for c in cs] + [outline_chunk(d, cs).embed_text]

        def raw() -> float:
            t = time.perf_counter()
            emb.model.encode(embed_texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
            return time.perf_counter() - t

        t_raw1 = raw()  # raw / index / raw, so machine noise hits both sides
        idx = PlaybookIndex(root, ChromaVectorIndex("bench", path=Path(tmp) / "chroma"), emb)
        t = time.perf_counter()
        rep = idx.sync()
        t_index = time.perf_counter() - t
        t_raw = (t_raw1 + raw()) / 2
        texts = embed_texts
    n = rep.embedded
    words = sum(len(x.split()) for x in embed_texts) / max(1, len(embed_texts))
    print(f"corpus: {n_files} files, {len(texts)} records ({n} embedded), mean {words:.0f} words/chunk")
    print(f"raw model.encode : {len(embed_texts) / t_raw:7.1f} chunks/s ({t_raw:.1f}s)")
    print(f"PlaybookIndex.sync: {n / t_index:7.1f} chunks/s ({t_index:.1f}s incl. load, chunk, Chroma, BM25)")
    print(f"ratio: {100 * (n / t_index) / (len(embed_texts) / t_raw):.0f}% of raw (target >= 85%)")


if __name__ == "__main__":
    main()
