"""Does the handbook answer this question? Signals that mean the same on any handbook, and their combination.

Each signal is on a scale the corpus does not set: a cosine of the same model, shares of the question's own key
terms (weighted by how rare each term is in this handbook), agreement between two independent retrievers, and
whether a top passage carries the kind of fact asked for. They are combined by a fixed rule whose few constants
are stated here with what they mean, and checked on several handbooks (benchmarks/answers_quality.py), not fitted
to one question set.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from retrieval.lexical import parts, tokenize
from retrieval.markdown import Piece, passage_lines, passage_pieces, slack_to_plain
from retrieval.question import DOC_KINDS, META, Intent, carries, quantifies
from retrieval.types import Passage

TOP = 3  # passages (and documents) whose evidence counts


@dataclass(frozen=True)
class Signals:
    dense: float  # best cosine between the question and any passage (all-MiniLM-L6-v2 units)
    coverage: float  # share of the question's key terms (rarity-weighted) in the top passages, incl. headings
    vocabulary: float  # share of the key terms (rarity-weighted) found anywhere in the handbook
    agree: bool  # the dense and the BM25 rankings share a document among their top few
    fact: float  # the asked type of fact is carried by a top passage (1.0 when no type is asked)
    meta: bool  # a question about a playbook itself, and its front matter has owner/review data
    piece: float  # best cosine of one sentence/item/row of the top passages that carries the asked fact type
    piece_coverage: float  # share of key terms (rarity-weighted) in that piece and its headings
    quantity: bool = True  # a "how many X" question: a top passage states a number of X (True if none is asked)

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in asdict(self).items()}


def _weights(terms: Sequence[str], df: Mapping[str, int], n_docs: int) -> dict[str, float]:
    # A term the handbook never uses weighs like the rarest one it does: missing it is strong evidence.
    return {t: math.log((n_docs + 1) / (df.get(t, 0) + 0.5)) for t in dict.fromkeys(terms)}


def term_weights(intent: Intent, df: Mapping[str, int], n_docs: int) -> dict[str, float]:
    """The question's key terms, each weighted by how rare it is in this handbook (inverse passage frequency)."""
    return _weights(intent.key_terms, df, n_docs)


def present(term: str, words: Container[str]) -> bool:
    """``term`` is among ``words``, or it is written apart there: "sev2" in a text that says "Sev 2"."""
    if term in words:
        return True
    apart = parts(term)
    return bool(apart) and all(p in words for p in apart)


def term_share(weights: Mapping[str, float], words: set[str], context: set[str]) -> float:
    """Share of the weighted key terms in ``words``, a term found only in ``context`` (headings) at half weight."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w if present(t, words) else 0.5 * w if present(t, context) else 0.0 for t, w in weights.items()) / total


def _with_parts(terms: Iterable[str]) -> set[str]:
    """The terms and the parts of those that join letters and digits ("sev2": "sev", "2")."""
    return {x for t in terms for x in (t, *parts(t))}


def _share(weights: Mapping[str, float], have: Iterable[str]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 1.0
    got = set(have)
    return sum(w for t, w in weights.items() if present(t, got)) / total


def _docs(ranking: Sequence[str], k: int) -> set[str]:
    return set(list(dict.fromkeys(ranking))[:k])


def compute(
    intent: Intent,
    passages: Sequence[Passage],
    best_cosine: float,
    dense_docs: Sequence[str],
    lexical_docs: Sequence[str],
    df: Mapping[str, int],
    n_chunks: int,
) -> Signals:
    weights = _weights(intent.key_terms, df, n_chunks)
    top = passages[:TOP]
    seen: set[str] = set()
    for p in top:
        seen.update(tokenize(f"{p.title} {p.heading_path} {slack_to_plain(p.text)}"))
    fact = 1.0
    if intent.answer_type and intent.answer_type != META:
        fact = max(
            (
                carries(intent.answer_type, slack_to_plain(line.text))
                for p in top
                for line in passage_lines(p.text, p.kinds)
            ),
            default=0.0,
        )
    meta = intent.meta and any((p.owner or p.review_by or p.updated) and names(intent, p.title, p.path) for p in top)
    pieces = [passage_pieces(p.text, p.kinds) for p in top]  # read once: both signals below look at them
    piece, piece_coverage = _best_piece(intent, top, pieces, weights)
    quantity = not intent.counted or any(
        quantifies(intent, pc.plain, f"{p.title} {p.heading_path}")
        for p, ps in zip(top, pieces, strict=True)
        for pc in ps
    )
    return Signals(
        dense=best_cosine,
        coverage=_share(weights, seen),
        vocabulary=_share(weights, (t for t in _with_parts(weights) if df.get(t, 0) > 0)),
        agree=bool(_docs(dense_docs, TOP) & _docs(lexical_docs, TOP)),
        fact=fact,
        meta=meta,
        piece=piece,
        piece_coverage=piece_coverage,
        quantity=quantity,
    )


def names(intent: Intent, title: str, path: str = "") -> bool:
    """The question names this document: its file name's words, or two thirds of its title's words, are among the
    words before "playbook"/"page"/... ("who owns the escalation-matrix playbook" names escalation-matrix.md; "how
    often is the status page updated" names no document), or those words (two or more) are all in its file name
    ("is the data handling policy due for review?" names data-handling-and-privacy.md)."""
    keys = set(intent.doc_name)
    stem = [t for t in tokenize(path.rsplit("/", 1)[-1].rsplit(".", 1)[0]) if t not in DOC_KINDS] if path else []
    if stem and set(stem) <= keys:
        return True
    if len(keys) >= 2 and keys <= set(stem):
        return True
    words = set(tokenize(title)) - DOC_KINDS
    # a short name of it, every word its own, read back from the kind word ("who owns the discount policy":
    # Discount and pricing policy; "who owns" is no part of the name)
    name = intent.doc_name
    short = next((name[i:] for i in range(len(name)) if set(name[i:]) <= words | set(stem)), ())
    if short and 2 * len(short) >= len(words):
        return True
    return bool(words) and len(words & keys) >= max(1, math.ceil(2 * len(words) / 3))


def _best_piece(
    intent: Intent, top: Sequence[Passage], pieces: Sequence[Sequence[Piece]], weights: Mapping[str, float]
) -> tuple[float, float]:
    """(cosine, key-term share) of the best-matching piece that carries the asked type of fact (``pieces``: each
    top passage's, as passage_pieces reads them)."""
    typed = intent.answer_type not in (None, META)
    best = (-1.0, 0.0)
    for p, ps in zip(top, pieces, strict=True):
        context = set(tokenize(f"{p.title} {p.heading_path}"))
        for piece, score in zip(ps, p.piece_scores, strict=False):
            if typed and carries(intent.answer_type, piece.plain) < 0.5:
                continue
            if score > best[0]:
                best = (score, _share(weights, context | set(tokenize(piece.plain))))
    return (max(0.0, best[0]), best[1])


# The rule: a logistic score of four signals, each centred where it is undecided. Units: a cosine of
# all-MiniLM-L6-v2 (unrelated texts sit near 0.1-0.3, a passage on the question's topic near 0.4-0.5, a close
# paraphrase above 0.6) and shares in [0, 1]. The constants are round values from a broad plateau checked on three
# handbooks together (the shared dev set, playbooks/ and the IT desk handbook, 106 answerable and 24 unanswerable
# questions, benchmarks/answers_quality.py): +-20% on any weight moves at most one or two verdicts. The handbook's
# vocabulary alone is not used: a paraphrase misses as many of its words as an off-topic question does.
DENSE_MID = 0.40  # the best passage's cosine at which the model alone is undecided
W_DENSE = 8.0  # 0.1 of cosine moves the odds by e^0.8
COVERAGE_MID = 0.5  # half of the question's key terms (rarity-weighted) in the top passages
W_COVERAGE = 4.0
PIECE_MID = 0.5  # the best single sentence/item/row carrying the asked type of fact
W_PIECE = 2.0
W_AGREE = 0.5  # the two retrievers point at the same document, or not
# "How many desks...?" answered by passages that state no number of desks is not answered, however close their
# topic: the odds drop by e^2 (a confident 0.9 stays above the threshold, a middling 0.7 falls under it).
W_QUANTITY = 2.0
THRESHOLD = 0.5


def confidence(s: Signals) -> float:
    """Probability-like score in [0, 1] that the top passages answer the question."""
    if s.meta:
        return 0.95
    if not math.isfinite(s.dense):
        return 0.0
    z = (
        W_DENSE * (s.dense - DENSE_MID)
        + W_COVERAGE * (s.coverage - COVERAGE_MID)
        + W_PIECE * (s.piece - PIECE_MID)
        + (W_AGREE if s.agree else -W_AGREE)
        - (0.0 if s.quantity else W_QUANTITY)
    )
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
