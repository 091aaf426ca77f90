from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

from ..conftest import REPO


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


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg2", "postgres"])
def test_unreachable_database_is_exit_2_naming_database_url_without_secrets(tmp_path: Path, scheme: str) -> None:
    import os

    url = f"{scheme}://rapport:s3cret-pw@127.0.0.1:9/rapport"  # port 9: nothing listens
    env = {**os.environ, "DATABASE_URL": url, "RAPPORT_HOME": str(tmp_path)}
    res = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "cannot connect to DATABASE_URL=postgresql+psycopg2://rapport:***@127.0.0.1:9/rapport" in res.stderr
    assert "Traceback" not in res.stderr and "s3cret-pw" not in res.stderr + res.stdout


def test_a_database_without_the_schema_says_to_upgrade_not_to_retry(tmp_path: Path) -> None:
    env = {**os.environ, "RAPPORT_HOME": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    res = run_cli("sync", "status", env=env, cwd=tmp_path)  # a fresh machine: the SQLite file is created empty
    assert res.returncode == 2, res.stderr
    assert "lacks Rapport's tables" in res.stderr and "rapport db upgrade" in res.stderr
    assert "run the command again" not in res.stderr and "Traceback" not in res.stderr
    assert run_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert run_cli("sync", "status", env=env, cwd=tmp_path).returncode == 0


def test_an_older_database_missing_a_new_column_says_to_upgrade(tmp_path: Path) -> None:
    # was: "the database is unavailable ...; run the command again once it is back", which never helps
    import sqlite3

    env = {**os.environ, "RAPPORT_HOME": str(tmp_path), "PLAYBOOKS_DIR": str(REPO / "playbooks")}
    env.pop("DATABASE_URL", None)
    assert run_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "rapport.db") as db:  # the schema before 0060_question_priority added it
        db.execute("ALTER TABLE questions DROP COLUMN priority")
    res = run_cli("feedback", "report", env=env, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "questions.priority" in res.stderr and "rapport db upgrade" in res.stderr
    assert "run the command again" not in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db:5432/r", "postgresql+psycopg2://u:p@db:5432/r"),
        ("postgres://u:p@db/r", "postgresql+psycopg2://u:p@db/r"),
        ("postgresql+psycopg2://u:p@db/r", "postgresql+psycopg2://u:p@db/r"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_the_postgres_urls_people_paste_use_the_installed_driver(given: str, used: str) -> None:
    s = Settings(database_url=given)
    assert s.effective_database_url == used
    s.validate_runtime(need_playbooks=False)  # the driver imports


def test_a_driver_that_is_not_installed_is_named() -> None:
    with pytest.raises(SettingsError, match=r"DATABASE_URL asks for the driver 'psycopg'.*postgresql://"):
        Settings(database_url="postgresql+psycopg://u@h/d").validate_runtime(need_playbooks=False)


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must be an app-level token"),
    ],
)
def test_serve_names_the_missing_slack_setting(
    env: dict[str, str], needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match=needle):
        load_settings().validate_serving()


def test_socket_mode_needs_no_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A-1-x")
    s = load_settings()
    s.validate_serving()
    assert s.socket_mode
    monkeypatch.setenv("SLACK_APP_TOKEN", "")  # set but empty, as compose files leave it: HTTP mode
    assert not load_settings().socket_mode


def test_config_file_settings_below_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "rapport.toml"
    toml.write_text('DATABASE_URL = "postgres://u@db/r"\nsqlite_busy_timeout = 5\nPLAYBOOKS_BASE_URL = "https://d/"\n')
    for var in ("DATABASE_URL", "SQLITE_BUSY_TIMEOUT", "PLAYBOOKS_BASE_URL", "PLAYBOOK_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RAPPORT_CONFIG", str(toml))
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", "7")
    s = load_settings()
    assert s.effective_database_url == "postgresql+psycopg2://u@db/r"
    assert s.sqlite_busy_timeout == 7  # the environment wins
    assert s.playbook_base_url == "https://d/"
    yml = tmp_path / "rapport.yaml"
    yml.write_text("playbooks_dir: docs\n")
    monkeypatch.setenv("RAPPORT_CONFIG", str(yml))
    assert load_settings().playbooks_dir == Path("docs")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("DATABSE_URL = 'x'\n", "unknown setting 'DATABSE_URL'"),
        ("port = [1]\n", "port must be a single value"),
        ("port = \n", "not valid TOML"),
        ("SQLITE_BUSY_TIMEOUT = -1\n", "SQLITE_BUSY_TIMEOUT"),
    ],
)
def test_config_file_mistakes_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, needle: str
) -> None:
    monkeypatch.delenv("SQLITE_BUSY_TIMEOUT", raising=False)
    path = tmp_path / "rapport.toml"
    path.write_text(content)
    monkeypatch.setenv("RAPPORT_CONFIG", str(path))
    with pytest.raises(SettingsError, match=needle):
        load_settings()
    monkeypatch.setenv("RAPPORT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match="RAPPORT_CONFIG .*missing.toml.*cannot read"):
        load_settings()


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


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("RAPPORT_TEST_PG_URL"), reason="RAPPORT_TEST_PG_URL not set (CI sets it)")
@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg2"])
def test_both_postgres_url_forms_connect(scheme: str) -> None:
    from sqlalchemy import text

    from bot.app import engine_for

    rest = os.environ["RAPPORT_TEST_PG_URL"].split("://", 1)[1]
    engine = engine_for(Settings(database_url=f"{scheme}://{rest}"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert engine.dialect.driver == "psycopg2"
    finally:
        engine.dispose()
