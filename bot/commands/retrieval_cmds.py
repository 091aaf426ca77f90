"""`rapport index` and `rapport eval`: plain functions, wired into Typer by bot/cli.py."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ask.evaluate import Answerer


def index_command(playbooks_dir: Path, chroma_path: Path | None, chroma_url: str | None, collection: str) -> int:
    """Sync the playbooks folder into the index and print a summary.

    Exit code 0 when the index is up to date, even if some files were skipped (they are printed as
    warnings on stderr); 1 when the folder does not exist or the index cannot be opened."""
    from retrieval import open_index

    if not Path(playbooks_dir).is_dir():
        print(f"error: playbooks folder not found: {playbooks_dir}", file=sys.stderr)
        return 1
    try:
        index = open_index(Path(playbooks_dir), chroma_path=chroma_path, chroma_url=chroma_url, collection=collection)
        report = index.sync(progress=True)
    except Exception as exc:  # a CLI must explain, not crash with a traceback
        print(f"error: indexing failed: {exc}", file=sys.stderr)
        return 1
    lines = report.summary().splitlines()
    print(lines[0])
    for line in lines[1:]:
        print(line, file=sys.stderr)
    return 0


def eval_command(
    playbooks_dir: Path, questions: Path | None, answers: list[Path] | None = None, brief: bool = False
) -> int:
    """Index playbooks_dir into a throwaway index and print JSON metrics: retrieval (hybrid + BM25 + dense
    baselines) for ``questions``, and answer quality (key-fact coverage, raw markup, declined in and out of scope)
    for the answer keys in ``answers``."""
    from bot.ask.evaluate import run

    answers = list(answers or [])
    if not Path(playbooks_dir).is_dir():
        print(f"error: playbooks folder not found: {playbooks_dir}", file=sys.stderr)
        return 1
    for path in ([questions] if questions else []) + answers:
        if not Path(path).is_file():
            print(f"error: file not found: {path}", file=sys.stderr)
            return 1
    if questions is None and not answers:
        print("error: give --questions, --answers or both", file=sys.stderr)
        return 1
    try:
        result = run(
            Path(playbooks_dir),
            Path(questions) if questions else None,
            [Path(a) for a in answers],
            answerer_for=product_answerer(Path(playbooks_dir)),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if brief:
        result.pop("per_question", None)
        if "answers" in result:
            result["answers"].pop("per_question", None)
    print(json.dumps(result, indent=2))
    return 0


EVAL_ASKER = "U0RAPPORTEVAL"  # holds no role: the answers state public fields only, as to any staff member


def product_answerer(playbooks_dir: Path) -> Callable[[Any, Path], Answerer]:
    """What posts the eval's answers: the ask service, as ``rapport ask`` runs it, over the eval's index, the
    handbook's own policies (none for a plain handbook) and a throwaway database (an empty book: no customer
    to link, so a question misread as one about a customer is asked back, and scored as the miss it is)."""

    def answerer_for(index: Any, workdir: Path) -> Answerer:
        from bot.app import build_services
        from bot.ask.evaluate import Posted, citation_label
        from bot.ask.service import AskService
        from bot.notify import RecordingNotifier
        from bot.settings import Settings
        from bot.store.migrate import upgrade

        settings = Settings(playbooks_dir=playbooks_dir, rapport_home=workdir, database_url=None)
        services = build_services(settings, notifier=RecordingNotifier(), index=index)
        upgrade(services.engine)
        service = AskService(services)

        def answer(question: str) -> Posted:
            a = service.answer(question, EVAL_ASKER)
            return Posted(a.text if a.answered else "", [citation_label(c) for c in a.citations], not a.answered)

        return answer

    return answerer_for
