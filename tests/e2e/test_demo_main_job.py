"""The README's main job, `rapport demo`, on embedded defaults: data, index, Slack double and bot, one
question through the sandbox, a cited answer, and a clean shutdown (no job still running against a stopped
double, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, free_port


def test_rapport_demo_check_answers_with_a_citation_and_stops_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "CHROMA_"))}
    env |= {"RAPPORT_HOME": str(tmp_path / ".rapport"), "PLAYBOOKS_DIR": str(REPO / "playbooks")}
    cmd = [sys.executable, "-m", "bot.cli", "demo", "--check", "--customers", "300"]
    cmd += ["--port", str(free_port()), "--ui-port", str(free_port())]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    answer = out.split("answer:", 1)[1] if "answer:" in out else ""
    assert "[1]" in answer, out[-3000:]  # a numbered citation
    assert "Traceback" not in out, out[-3000:]
    assert (tmp_path / ".rapport" / "rapport.db").exists()
