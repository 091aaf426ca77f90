"""BM25 (bm25s) over chunk texts, with a small English tokenizer and a light suffix stemmer."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more
    most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
    while who who's whom why why's with won't would wouldn't you you'd you'll you're you've your yours yourself
    yourselves also just may might must shall will get got us""".split()
)


# Irregular past forms a suffix rule cannot reach, stemmed as their base ("how long do we keep invoices?" meets
# "Kept for: 7 years"). Only forms with no other common reading: not "left", "found", "saw", "lead", "won".
_IRREGULAR = {
    "kept": "keep",
    "paid": "pay",
    "sent": "send",
    "spent": "spend",
    "held": "hold",
    "told": "tell",
    "sold": "sell",
    "made": "make",
    "given": "give",
    "taken": "take",
    "brought": "bring",
    "bought": "buy",
    "chosen": "choose",
    "written": "write",
    "wrote": "write",
    "known": "know",
    "shown": "show",
    "began": "begin",
    "begun": "begin",
    "broken": "break",
    "forgotten": "forget",
    "hidden": "hide",
    "meant": "mean",
    "spoken": "speak",
    "understood": "understand",
}


_INFLECTIONS = ("sses", "ing", "edly", "ed", "ly", "es", "s")
_DERIVATIONS = ("ation", "ness", "ment")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately light stemmer (plurals, -ing, -ed, -ly, -ation...): conflates common inflections only."""
    w = word
    if w in _IRREGULAR:
        return stem(_IRREGULAR[w])
    if len(w) <= 3:
        return w
    for suf, rep in (
        ("ational", "ate"),
        ("ification", "ify"),
        ("ization", "ize"),
        ("fulness", "ful"),
        ("iveness", "ive"),
        ("ousness", "ous"),
        ("ations", "ate"),
        ("ation", "ate"),
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ness", ""),
        ("ment", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and w.endswith(("ss", "us", "is")):
                return w
            w = w[: len(w) - len(suf)] + rep
            if suf in _INFLECTIONS and w.endswith(_DERIVATIONS):
                return stem(w)  # "payments" -> "payment" -> "pay", as "payment" is; "documented" as "document"
            break
    # double consonant left by -ing/-ed ("shipped" -> "shipp" -> "ship")
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    # final "e" off base words too, so "page"/"paged"/"pages" and "rate"/"rated" meet at one stem; never into a
    # stop word ("notes" is not "not", "theme" not "them")
    if w.endswith("e") and len(w) > 3 and w[:-1] not in STOPWORDS:
        w = w[:-1]
    return w


_PARTS = re.compile(r"[a-z]+|[0-9]+")


def parts(word: str) -> list[str]:
    """The letters and the digits of a word that has both ("sev2" -> "sev", "2"; "net60" -> "net", "60"), as
    they are written apart ("Sev 2"): a token beside the word itself, so either way meets. [] for other words."""
    if not (any(c.isdigit() for c in word) and any(c.isalpha() for c in word)):
        return []
    found = _PARTS.findall(word)
    if len(found) < 2:
        return []
    return [stem(p) if p.isalpha() else p for p in found if p.isdigit() or (len(p) > 1 and p not in STOPWORDS)]


def tokenize(text: str) -> list[str]:
    toks: list[str] = []
    for m in _WORD.findall(text.lower().replace("-", " ")):
        m = m.replace("’", "'")
        if m in STOPWORDS or (len(m) < 2 and not m.isdigit()):  # keep "sev 1", "p 1", "tier 2"
            continue
        if m.endswith("'s"):
            m = m[:-2]
        toks.append(stem(m))
        toks.extend(parts(m))
    return toks


# "Network Operations Center (NOC)": up to six words whose initials spell the capitals in brackets.
_DEFINITION = re.compile(r"((?:[A-Za-z][\w-]*\s+){1,6})\(([A-Z]{2,6})s?\)")
_PLAIN = re.compile(r"[a-z0-9]+")


def acronym_definitions(text: str) -> dict[str, str]:
    """Acronyms a text defines, lower-cased: {"noc": "network operations center"}. Only the
    "Long Form (LF)" pattern whose initials match counts, so a stray capitalised word never does."""
    out: dict[str, str] = {}
    if "(" not in text:
        return out
    for long, acronym in _DEFINITION.findall(text):
        words = long.split()[-len(acronym) :]
        if len(words) == len(acronym) and "".join(w[0] for w in words).lower() == acronym.lower():
            out[acronym.lower()] = " ".join(w.lower() for w in words)
    return out


def expand_acronyms(query: str, definitions: dict[str, str]) -> str:
    """The query plus the other form of every acronym the corpus defines that it uses (either form):
    handbooks write "the NOC" where staff ask about "a network operations center", and back."""
    if not definitions:
        return query
    plain = f" {' '.join(_PLAIN.findall(query.lower()))} "
    extra = [
        other
        for acronym, long in definitions.items()
        for other in (
            (acronym,)
            if f" {long} " in plain
            else (long,)
            if f" {acronym} " in plain or f" {acronym}s " in plain
            else ()
        )
    ]
    return f"{query} {' '.join(extra)}" if extra else query


class BM25Index:
    """Immutable BM25 model over a fixed list of texts (rebuilt after each sync)."""

    def __init__(
        self,
        texts: Sequence[str] = (),
        k1: float = 1.2,
        b: float = 0.5,
        tokens: Sequence[list[str]] | None = None,
        acronyms: dict[str, str] | None = None,
    ):
        """Index texts, or already tokenized texts (`tokens`, from tokenize()) to skip re-tokenizing.

        b = 0.5, not the usual 0.75: passages are already bounded in length by the chunker, so a long
        one is long because its section says more on the subject, and full length normalisation
        penalised exactly those (better on the dev handbooks and on playbooks/, for BM25 alone and fused).
        `acronyms` (from acronym_definitions) expand queries, see expand_acronyms."""
        import bm25s

        corpus = [list(t) or [""] for t in tokens] if tokens is not None else [tokenize(t) or [""] for t in texts]
        self.size = len(corpus)
        self.acronyms = dict(acronyms or {})
        self._model: Any = None
        self._vocab: set[str] = set()
        if self.size:
            for toks in corpus:
                self._vocab.update(toks)
            self._model = bm25s.BM25(k1=k1, b=b)
            self._model.index(corpus, show_progress=False)

    def search(
        self, query: str, n: int, mask: np.ndarray | None = None, ignore: frozenset[str] = frozenset()
    ) -> list[tuple[int, float]]:
        """Top-n (position, score) with score > 0; mask (bool/0-1 per text) restricts the candidates; ``ignore``:
        query terms (stemmed) not searched for."""
        if not self.size or self._model is None or n <= 0:
            return []
        q = [t for t in tokenize(expand_acronyms(query, self.acronyms)) if t in self._vocab and t not in ignore]
        if not q:
            return []
        kwargs: dict[str, Any] = {}
        if mask is not None:
            if not mask.any():
                return []
            kwargs["weight_mask"] = mask.astype(np.float32)
        docs, scores = self._model.retrieve([q], k=min(n, self.size), show_progress=False, n_threads=1, **kwargs)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=False) if s > 0]
