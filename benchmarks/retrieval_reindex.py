"""Time to re-index after editing one file in a 500-file corpus (real model for the edited chunks).

The initial 500-file index is built with perturbed real-model vectors (see NoisyEmbedder) to keep the
benchmark short; the measured re-sync after the edit uses the real model.
Usage: .venv/bin/python benchmarks/retrieval_reindex.py [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from retrieval_common import NoisyEmbedder, percentile, real_paragraphs, write_corpus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 edits instead of 10")
    args = ap.parse_args()
    from retrieval.embedder import SentenceTransformerEmbedder
    from retrieval.index import PlaybookIndex
    from retrieval.vector import ChromaVectorIndex

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pb"
        write_corpus(root, 500, 10)
        real = SentenceTransformerEmbedder()
        noisy = NoisyEmbedder(real, real_paragraphs()[:200])
        idx = PlaybookIndex(root, ChromaVectorIndex("bench", path=Path(tmp) / "chroma"), noisy)
        rep = idx.sync()
        print(f"corpus: 500 files, {rep.chunks} chunks")
        idx.embedder = real  # edits are embedded by the real model
        real.embed_documents(["warm up"])
        times = []
        for i in range(3 if args.quick else 10):
            f = root / f"pb{(i * 37) % 500:05d}.md"
            text = f.read_text()
            f.write_text(text.replace("## Section 3", f"## Section 3 (revised {i})", 1) + f"\nEdited line {i}.\n")
            t = time.perf_counter()
            r = idx.sync()
            times.append(time.perf_counter() - t)
            assert r.updated == 1 and r.unchanged == 499, r.summary()
            print(f"  edit {i}: {times[-1] * 1000:.0f} ms ({r.embedded} chunks embedded)")
        print(
            f"one-file edit re-index: p50 {percentile(times, 50) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
            " (target < 2000 ms)"
        )


if __name__ == "__main__":
    main()
