from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def test_defaults_are_offline_and_under_rapport_home(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DATABASE_URL", "CHROMA_PATH", "CHROMA_URL", "SLACK_BOT_TOKEN", "SLACK_API_URL", "RAPPORT_HOME"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.effective_database_url == "sqlite:///.rapport/rapport.db"
    assert s.effective_chroma_path == Path(".rapport/chroma")
    assert s.offline_slack and s.rapport_llm is None
    assert s.slack_api_url == "https://slack.com/api/"


def test_environment_is_read_when_built_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    s = load_settings()
    assert s.slack_api_url == "http://127.0.0.1:9/api/"
    assert "xoxb-secret" not in repr(s)


@pytest.mark.parametrize(("url", "needle"), [("nonsense", "DATABASE_URL"), ("mysql://x/y", "not supported")])
def test_bad_database_url_is_one_clear_line(url: str, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        Settings(database_url=url).validate_runtime(need_playbooks=False)


def test_cli_user_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DATABASE_URL": "nonsense://", "RAPPORT_HOME": str(tmp_path)}
    res = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert res.returncode == 2
    assert "DATABASE_URL" in res.stderr and "Traceback" not in res.stderr
    env = {**os.environ, "PLAYBOOKS_DIR": str(tmp_path / "missing"), "RAPPORT_HOME": str(tmp_path)}
    res = run_cli("index", env=env, cwd=tmp_path)
    assert res.returncode == 2 and "PLAYBOOKS_DIR" in res.stderr and "Traceback" not in res.stderr


def test_help_lists_commands(tmp_path: Path) -> None:
    import os

    res = run_cli("--help", env=dict(os.environ), cwd=tmp_path)
    assert res.returncode == 0
    for cmd in ("demo-data", "index", "eval", "db"):
        assert cmd in res.stdout


def test_unreachable_database_is_one_line_without_secrets(tmp_path: Path) -> None:
    import os

    url = "postgresql+psycopg2://rapport:s3cret-pw@127.0.0.1:9/rapport"  # port 9: nothing listens
    env = {**os.environ, "DATABASE_URL": url, "RAPPORT_HOME": str(tmp_path)}
    res = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "database is unavailable" in res.stderr and "Traceback" not in res.stderr
    assert "s3cret-pw" not in res.stderr + res.stdout


def _one_customer_db(tmp_path: Path) -> str:
    from sqlalchemy.orm import Session

    from bot.store.db import make_engine
    from bot.store.migrate import upgrade
    from bot.store.models import Customer

    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add(Customer(id=1, name="Northwave Foods", tier="gold", region="na"))
    engine.dispose()
    return url


def test_forget_looks_up_before_asking_and_names_who_will_be_erased(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.commands.common import UserError

    env = {"DATABASE_URL": _one_customer_db(tmp_path)}
    missing = CliRunner().invoke(app, ["forget", "nonexistent-id"], env=env, input="y\n")
    assert isinstance(missing.exception, UserError) and "no customer matches 'nonexistent-id'" in str(missing.exception)
    assert "Erase" not in missing.output  # nothing to confirm: no question was asked
    declined = CliRunner().invoke(app, ["forget", "1"], env=env, input="n\n")
    assert declined.exit_code == 1
    assert "will erase 1 customer record(s): Northwave Foods (id 1)" in declined.output
    assert "Erase all their personal data?" in declined.output
    done = CliRunner().invoke(app, ["forget", "1"], env=env, input="y\n")
    assert done.exit_code == 0 and "erased 1 customer record(s)" in done.output, done.output
