"""Rank fusion, light reranking features and confidence calibration (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence

RRF_K = 60


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum_i w_i / (k + rank_i), ranks starting at 1."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    out: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for r, key in enumerate(ranking, start=1):
            out[key] = out.get(key, 0.0) + w / (k + r)
    return out


def minmax(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return {k: 1.0 for k in scores}
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def zscores(scores: dict[str, float], stats_keys: Sequence[str] | None = None) -> dict[str, float]:
    """Standardise scores: (s - mean) / std, with mean and std taken over stats_keys (default: all).

    Putting each retriever's scores in units of its own spread is what lets a convex combination of a cosine
    (0.2-0.7, flat) and a BM25 score (0-30, peaked) mean the same thing on any corpus."""
    if not scores:
        return {}
    keys = [k for k in (stats_keys if stats_keys is not None else scores) if k in scores] or list(scores)
    vals = [scores[k] for k in keys]
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))
    if std < 1e-12:
        return {k: 0.0 for k in scores}
    return {k: (v - mean) / std for k, v in scores.items()}


def convex(parts: Sequence[dict[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """Weighted sum of already-normalised score maps over the union of their keys (a missing key counts 0)."""
    if len(parts) != len(weights):
        raise ValueError("one weight per score map")
    out: dict[str, float] = {}
    for part, w in zip(parts, weights, strict=True):
        for key, v in part.items():
            out[key] = out.get(key, 0.0) + w * v
    return out


def term_overlap(query_terms: Sequence[str], field_terms: Sequence[str]) -> float:
    """Share of distinct query terms that occur in a field (title / heading path): in [0, 1]."""
    q = set(query_terms)
    if not q:
        return 0.0
    return len(q & set(field_terms)) / len(q)


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
