"""Helpers shared by the retrieval benchmarks (not a benchmark itself)."""

from __future__ import annotations

import os
import random
import resource
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEV_CORPUS = Path(os.environ.get("RAPPORT_DEV_CORPUS", REPO.parent / "shared" / "eval" / "dev" / "corpus"))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def real_paragraphs(min_words: int = 20) -> list[str]:
    """Paragraphs of real handbook text (the dev corpus; falls back to the repo's playbooks/)."""
    root = DEV_CORPUS if DEV_CORPUS.is_dir() else REPO / "playbooks"
    out: list[str] = []
    for p in sorted(root.rglob("*.md")):
        for para in p.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            para = " ".join(para.split())
            if len(para.split()) >= min_words and not para.startswith(("<", "!", "|", "---")):
                out.append(para)
    if not out:
        raise SystemExit(f"no real text found under {root}")
    return out


def write_corpus(root: Path, n_files: int, sections_per_file: int, seed: int = 7) -> None:
    """Scale real text into n_files playbooks with front matter and sections (shuffled, so all distinct)."""
    rng = random.Random(seed)
    paras = real_paragraphs()
    root.mkdir(parents=True, exist_ok=True)
    for f in range(n_files):
        lines = [
            "---",
            f"title: Playbook {f}",
            "owner: bench",
            f"tiers: [{rng.choice(['gold', 'platinum', 'silver'])}]",
            f"regions: [{rng.choice(['emea', 'amer', 'apac'])}]",
            "---",
            f"# Playbook {f}",
            "",
        ]
        for s in range(sections_per_file):
            words = rng.choice(paras).split()
            start = rng.randrange(max(1, len(words) - 40)) if len(words) > 60 else 0
            body = words[start : start + rng.randint(60, 140)]
            rng.shuffle(body[: len(body) // 3])
            lines += [f"## Section {s} {' '.join(body[:3])}", "", " ".join(body) + f" (ref {f}-{s})", ""]
        (root / f"pb{f:05d}.md").write_text("\n".join(lines), encoding="utf-8")


class NoisyEmbedder:
    """Stand-in for building big benchmark indexes fast: real-model vectors of a small pool of texts,
    perturbed per text. Search cost does not depend on where vectors come from; queries use the real model."""

    def __init__(self, real: object, pool: Sequence[str]):
        self.real = real
        self._pool = real.embed_documents(list(pool))  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        return "noisy-minilm"

    @property
    def dimension(self) -> int:
        return int(self._pool.shape[1])

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for t in texts:
            h = abs(hash(t))
            v = self._pool[h % len(self._pool)] + np.random.default_rng(h % 2**32).normal(0, 0.02, self.dimension)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)  # type: ignore[attr-defined,no-any-return]


def percentile(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) if xs else float("nan")
