"""Fixtures for the policy tests (the project runs pytest with --import-mode=importlib, so helpers
are fixtures rather than an importable module)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.policies import Policies, load_policies

REPO = Path(__file__).resolve().parents[3]
POLICIES_DIR = REPO / "playbooks" / "policies"
PLAYBOOKS_DIR = REPO / "playbooks"

Edit = Callable[[str, str, str], int]
LineOf = Callable[[str, str], int]


@pytest.fixture(scope="session")
def policies_dir() -> Path:
    return POLICIES_DIR


@pytest.fixture(scope="session")
def playbooks_dir() -> Path:
    return PLAYBOOKS_DIR


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies(POLICIES_DIR)


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, target)
    return target


@pytest.fixture
def edit(policy_copy: Path) -> Edit:
    """edit(file, old, new): replace ``old`` (must occur exactly once); return the 1-based line of the edit."""

    def _edit(name: str, old: str, new: str) -> int:
        path = policy_copy / name
        text = path.read_text()
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
        start = text.index(old)
        path.write_text(text.replace(old, new))
        return text[:start].count("\n") + 1

    return _edit


@pytest.fixture
def line_of(policy_copy: Path) -> LineOf:
    """line_of(file, needle): the 1-based line where ``needle`` (which must occur once) starts."""

    def _line_of(name: str, needle: str) -> int:
        text = (policy_copy / name).read_text()
        assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times in {name}"
        return text[: text.index(needle)].count("\n") + 1

    return _line_of
