"""`rapport index` and `rapport eval`: plain functions, wired into Typer by bot/cli.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path


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
        result = run(Path(playbooks_dir), Path(questions) if questions else None, [Path(a) for a in answers])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if brief:
        result.pop("per_question", None)
        if "answers" in result:
            result["answers"].pop("per_question", None)
    print(json.dumps(result, indent=2))
    return 0
