"""`rapport ask` on a handbook that was never indexed says what to run, instead of declining every question at
0% (which reads as "the handbook doesn't say"); after `rapport index` the same question is answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli

pytestmark = pytest.mark.slow


def test_ask_before_index_names_the_command_then_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handbook = tmp_path / "handbook"
    handbook.mkdir()
    (handbook / "leave.md").write_text("# Leave\n\n## Vacation\n\nEveryone gets 25 days of paid vacation a year.\n")
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLAYBOOKS_DIR", str(handbook))
    for var in ("DATABASE_URL", "CHROMA_PATH", "SLACK_BOT_TOKEN", "SLACK_API_URL", "RAPPORT_CONFIG", "RAPPORT_LLM"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    before = runner.invoke(cli, ["ask", "How many vacation days do I get?"])
    assert before.exit_code == 2
    assert f"no playbooks are indexed from PLAYBOOKS_DIR={handbook}: run `rapport index` first" in before.output
    indexed = runner.invoke(cli, ["index"])
    assert indexed.exit_code == 0, indexed.output
    after = runner.invoke(cli, ["ask", "How many vacation days do I get?"])
    assert after.exit_code == 0 and "25 days of paid vacation" in after.output, after.output
