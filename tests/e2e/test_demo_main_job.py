"""The README's main job, `rapport demo`, on embedded defaults: data, index, Slack double and bot, one
question through the sandbox, a cited answer, and a clean shutdown (no job still running against a stopped
double, no traceback). The README's transcript is this command's output: the answer's first line and its
citations must match (a citation's age, "updated N days ago", changes with the day it is read)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.demo.transcript import comparable

from .conftest import REPO, free_port

MARKER = "<!-- transcript: rapport demo --check -->"


def readme_transcript() -> list[str]:
    text = (REPO / "README.md").read_text()
    assert MARKER in text, "the README's transcript block lost its marker"
    block = re.search(r"```\n(.*?)\n```", text.split(MARKER, 1)[1], re.S)
    assert block is not None
    return block.group(1).splitlines()


def printed_transcript(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("@rapport "))
    end = start + 2
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return lines[start:end]


def test_rapport_demo_check_answers_with_a_citation_and_matches_the_readme(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "CHROMA_"))}
    env |= {"RAPPORT_HOME": str(tmp_path / ".rapport"), "PLAYBOOKS_DIR": str(REPO / "playbooks")}
    cmd = [sys.executable, "-m", "bot.cli", "demo", "--check", "--customers", "300"]
    cmd += ["--port", str(free_port()), "--ui-port", str(free_port())]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert (tmp_path / ".rapport" / "rapport.db").exists()
    printed = printed_transcript(done.stdout)
    first, citations = comparable(printed)
    assert citations and citations[0].startswith("[1] "), printed  # a numbered citation
    assert "[1]" in first, printed
    readme_first, readme_citations = comparable(readme_transcript())
    assert (first, citations) == (readme_first, readme_citations), (
        "README.md's transcript is out of date; paste this in its place:\n" + "\n".join(printed)
    )
