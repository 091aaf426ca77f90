"""Citation dates: front matter updated/reviewed, else the last git commit of the file, else unknown (never mtime)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from retrieval import dates
from retrieval.dates import front_matter_date, git_dates
from retrieval.loader import parse_document

GIT = shutil.which("git")


def test_front_matter_dates() -> None:
    assert front_matter_date({"updated": dt.date(2025, 3, 1)}) == "2025-03-01"
    assert front_matter_date({"reviewed": "2024-12-31T10:00:00Z"}) == "2024-12-31"
    assert front_matter_date({"updated": "soon", "reviewed": "2024-01-02"}) == "2024-01-02"
    assert front_matter_date({"title": "x"}) == ""
    doc = parse_document(b"---\ntitle: T\nupdated: 2025-09-15\n---\n# T\n\nbody\n", "t.md")
    assert doc.meta.updated == "2025-09-15"


def _git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if date:
        env |= {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    subprocess.run([GIT or "git", "-C", str(root), *args], check=True, capture_output=True, env=env)


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_last_commit_per_file_relative_to_the_folder(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    books = tmp_path / "handbook" / "team"
    books.mkdir(parents=True)
    (books / "a.md").write_text("# A\n")
    (books / "b.md").write_text("# B\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "first", date="2024-01-05T10:00:00+00:00")
    (books / "b.md").write_text("# B\n\nchanged\n")
    _git(tmp_path, "commit", "-q", "-am", "second", date="2025-02-07T10:00:00+00:00")
    (books / "c.md").write_text("# C, never committed\n")
    got = git_dates(tmp_path / "handbook")
    assert got == {"team/a.md": "2024-01-05", "team/b.md": "2025-02-07"}


def test_no_repository_means_no_dates(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n")
    assert git_dates(tmp_path) == {}


def test_no_git_binary_means_no_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates.shutil, "which", lambda name: None)
    assert git_dates(tmp_path) == {}


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_index_dates_passages_from_front_matter_then_git(tmp_path: Path) -> None:
    from retrieval.embedder import HashingEmbedder
    from retrieval.index import PlaybookIndex
    from retrieval.vector import InMemoryVectorIndex

    _git(tmp_path, "init", "-q")
    (tmp_path / "fm.md").write_text("---\ntitle: FM\nreviewed: 2023-06-01\n---\n# FM\n\nrefund rules here\n")
    (tmp_path / "plain.md").write_text("# Plain\n\nrefund rules there\n")
    (tmp_path / "new.md").write_text("# New\n\nrefund rules nowhere committed\n")
    _git(tmp_path, "add", "fm.md", "plain.md")
    _git(tmp_path, "commit", "-q", "-m", "c", date="2025-05-05T09:00:00+00:00")
    idx = PlaybookIndex(tmp_path, InMemoryVectorIndex(), HashingEmbedder())
    idx.sync()
    got = {d.path: d.updated for d in idx.documents()}
    assert got == {"fm.md": "2023-06-01", "plain.md": "2025-05-05", "new.md": ""}
    by_path = {p.path: p.updated for p in idx.search("refund rules", k=5).passages}
    assert by_path == got
