"""When a playbook was last updated: its front matter's ``updated``/``reviewed`` date, else the last commit that
touched it (git), else unknown. Never the file's mtime: a fresh clone or a copy makes every file "updated today"."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FRONT_MATTER_FIELDS = ("updated", "reviewed", "last_updated", "last_reviewed")
GIT_TIMEOUT_S = 10.0


def front_matter_date(fm: dict[str, Any]) -> str:
    """The first date-like value of the fields above as YYYY-MM-DD, else ""."""
    for key in FRONT_MATTER_FIELDS:
        value = fm.get(key)
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()[:10]).isoformat()
            except ValueError:
                continue
    return ""


def git_dates(root: Path) -> dict[str, str]:
    """Path (relative to root, POSIX) -> ISO date of the last commit that touched it, from one ``git log`` over the
    folder. Empty when git is not installed, root is not in a repository, or git fails: dates are then unknown."""
    git = shutil.which("git")
    if git is None:
        return {}
    cmd = [
        git,
        "-c",
        "core.quotepath=off",
        "-C",
        str(root),
        "log",
        "--relative",
        "--format=%x00%cI",
        "--name-only",
        "--no-renames",
        "--",
        ".",
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("no git dates for %s: %s", root, exc)
        return {}
    if done.returncode != 0:  # not a repository (or no commits yet)
        return {}
    out: dict[str, str] = {}
    for record in done.stdout.split("\x00"):
        lines = [line for line in record.split("\n") if line.strip()]
        if not lines:
            continue
        date = lines[0].strip()[:10]
        for name in lines[1:]:
            out.setdefault(name.strip(), date)  # newest first: the first commit seen is the last to touch it
    return out
