"""Answer quality, measured the way a user meets it: does the posted answer state the key facts, is it clean text,
and does Rapport say "I don't know" exactly when the playbooks don't say?

Answer keys are JSON lines ``{"question": str, "facts": [[alternative, ...], ...]}`` (the format of the shared
dev set's answers.jsonl): an answer covers a question when, case-insensitively and with whitespace collapsed, it
contains one alternative of every group. A key with no facts (or ``"out_of_scope": true``) is a question the
playbooks do not answer: the right answer is to decline.

Two answers are scored per question. The *posted* answer is the ask service's, as a user gets it
(``rapport eval`` passes an ``answerer``: the service over a throwaway database, the handbook's policies and this
index), so a question the policies compute ("who approves an overnight replacement?") is scored on the computed
route, and a question misread as one about a customer shows as a miss. The *passage* answer is the playbook path
alone (hybrid search, its answerable verdict, the extractive writer): ``passage_coverage``, the writer's own
figure. Without an answerer the two are the same. The figures are reported next to the retrieval figures of
retrieval.evaluate.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.ask.compose import Citation, ExtractiveWriter
from retrieval.embedder import Embedder
from retrieval.evaluate import eval_index, load_questions, retrieval_metrics
from retrieval.markdown import markup_tokens, slack_to_plain
from retrieval.types import Passage

SEARCH_K = 5  # passages the ask service retrieves per question


@dataclass(frozen=True)
class Posted:
    """An answer as posted: its text, its citations' labels, and whether it declined ("I don't know")."""

    text: str
    labels: list[str]
    declined: bool


Answerer = Callable[[str], Posted]


def load_answer_keys(paths: Sequence[Path]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                key = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
            facts = key.get("facts", []) if isinstance(key, dict) else None
            if (
                not isinstance(key, dict)
                or not isinstance(key.get("question"), str)
                or not isinstance(facts, list)
                or not all(isinstance(g, list) and g and all(isinstance(a, str) for a in g) for g in facts)
            ):
                raise ValueError(f'{path}:{n}: expected {{"question": str, "facts": [[alternative, ...], ...]}}')
            out.append(key)
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def covers(answer: str, facts: list[list[str]]) -> bool:
    """True when the answer's plain text holds one alternative of every group of facts."""
    plain = _norm(slack_to_plain(answer))
    return all(any(_norm(alt) in plain for alt in group) for group in facts)


def citation_label(c: Citation) -> str:
    """What a citation shows besides its link: the title and the heading path."""
    return f"{c.title} › {c.heading_path}" if c.heading_path else c.title


def _statable(p: Passage) -> str:
    """What the writer can state from a passage: its text and its page's front matter."""
    return "\n".join([p.title, p.heading_path, p.owner, p.review_by, p.updated, p.version, p.text])


def in_scope(key: dict[str, Any]) -> bool:
    return bool(key.get("facts")) and not key.get("out_of_scope", False)


def answer_metrics(
    index: Any, keys: list[dict[str, Any]], writer: ExtractiveWriter | None = None, answerer: Answerer | None = None
) -> dict[str, Any]:
    writer = writer or ExtractiveWriter()
    rows: list[dict[str, Any]] = []
    for key in keys:
        q = key["question"]
        result = index.search(q, k=SEARCH_K)
        passage = Posted("", [], True)
        if result.answerable:
            draft = writer.write(q, result.passages)
            passage = Posted(draft.text, [citation_label(c) for c in draft.citations], False)
        posted = answerer(q) if answerer is not None else passage
        text, labels, declined = posted.text, posted.labels, posted.declined
        markup = markup_tokens("\n".join([text, *labels])) if not declined else []
        # Whether the passages the writer chose from hold the key facts at all: a miss with the facts there is
        # the writer's (which sentences it picked), one without them is the search's.
        retrieved = in_scope(key) and covers("\n".join(_statable(p) for p in result.passages), key["facts"])
        rows.append(
            {
                "question": q,
                "in_scope": in_scope(key),
                "declined": declined,
                "covered": (not declined) and in_scope(key) and covers(text, key["facts"]),
                "passage_covered": (not passage.declined) and in_scope(key) and covers(passage.text, key["facts"]),
                "facts_retrieved": retrieved,
                "markup": markup,
                "confidence": round(result.confidence, 3),
                "signals": result.signals,
                "answer": text,
                "cited": labels,
            }
        )
    ins = [r for r in rows if r["in_scope"]]
    oos = [r for r in rows if not r["in_scope"]]
    return {
        "questions": len(rows),
        "in_scope": len(ins),
        "out_of_scope": len(oos),
        "key_fact_coverage": round(sum(r["covered"] for r in ins) / len(ins), 4) if ins else None,
        "passage_coverage": round(sum(r["passage_covered"] for r in ins) / len(ins), 4) if ins else None,
        "key_facts_retrieved": round(sum(r["facts_retrieved"] for r in ins) / len(ins), 4) if ins else None,
        "answers_with_raw_markup": sum(1 for r in rows if r["markup"]),
        "out_of_scope_declined": f"{sum(r['declined'] for r in oos)}/{len(oos)}",
        "in_scope_declined": f"{sum(r['declined'] for r in ins)}/{len(ins)}",
        "in_scope_declined_rate": round(sum(r["declined"] for r in ins) / len(ins), 4) if ins else None,
        "per_question": rows,
    }


def run(
    playbooks_dir: Path,
    questions: Path | None,
    answers: Sequence[Path],
    embedder: Embedder | None = None,
    answerer_for: Callable[[Any, Path], Answerer] | None = None,
    **index_kwargs: Any,
) -> dict[str, Any]:
    """One throwaway index of playbooks_dir: retrieval figures for ``questions`` (if given) and answer figures
    for the keys in ``answers`` (if any). ``answerer_for(index, workdir)``: what posts the answers (the ask service
    over this index); None scores the playbook path alone."""
    qs = load_questions(questions) if questions else []
    keys = load_answer_keys(answers)
    with tempfile.TemporaryDirectory(prefix="rapport-eval-") as tmp:
        index, report = eval_index(playbooks_dir, Path(tmp), embedder, **index_kwargs)
        result = retrieval_metrics(index, report, qs)
        if keys:
            answerer = answerer_for(index, Path(tmp)) if answerer_for is not None else None
            result["answers"] = answer_metrics(index, keys, answerer=answerer)
    return result
