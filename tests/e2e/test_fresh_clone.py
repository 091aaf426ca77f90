"""A fresh clone, as a newcomer gets it: the README's two commands' entry points and the CLI's first-hour cases
(busy ports, the database URL people paste, an unreachable database, forgetting someone who does not exist,
serving without Slack settings), checked by message and exit code.

No network: the clone is local (``git clone`` of this repository's committed state) and runs on the
installed virtualenv with the clone first on PYTHONPATH, so the clone's code is what runs.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO, free_port

pytestmark = pytest.mark.slow
VENV = Path(sys.executable).parent.parent
MACHINE_PATHS = re.compile(r"(?<![\w.-])/(?:work|tmp|root)/")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("fresh") / "rapport"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(where)], check=True, timeout=120)
    return where


def environment(clone: Path, **extra: str) -> dict[str, str]:
    """A newcomer's shell: no Rapport or Slack settings, the clone's code first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAPPORT_", "DATABASE_URL", "CHROMA_"))}
    env.pop("PLAYBOOKS_DIR", None)
    env.pop("PORT", None)
    env |= {"PYTHONPATH": str(clone), "CI": "true", "PATH": f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    return env | extra


def rapport(clone: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=clone,
        env=environment(clone, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_the_clone_runs_its_own_code_and_names_no_machine_paths(clone: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        cwd=clone,
        env=environment(clone),
        text=True,
        capture_output=True,
        check=True,
    )
    assert where.stdout.startswith(str(clone)), where.stdout
    files = subprocess.run(["git", "ls-files"], cwd=clone, capture_output=True, text=True, check=True).stdout
    found = []
    for name in files.split():
        path = clone / name
        if name == ".gitignore" or not path.is_file() or path.stat().st_size > 2_000_000:
            continue  # .gitignore holds patterns anchored at the repository (a local tmp folder), not machine paths
        text = path.read_bytes().decode("utf-8", errors="ignore")
        found += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for m in MACHINE_PATHS.finditer(text)]
    assert not found, f"machine paths in the repository: {found[:20]}"


def test_make_demo_and_make_test_name_their_entry_points(clone: Path) -> None:
    for target, entry in (("demo", "rapport demo"), ("test", "scripts/test.sh")):
        dry = subprocess.run(
            ["make", "-n", target, f"VENV={VENV}"], cwd=clone, capture_output=True, text=True, timeout=60
        )
        assert dry.returncode == 0 and entry in dry.stdout, dry.stdout + dry.stderr
    dry = subprocess.run(
        ["make", "-n", "demo", f"VENV={VENV}", "ARGS=--port 3100 --ui-port 3101"],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert "rapport demo --port 3100 --ui-port 3101" in dry.stdout


def test_the_clone_keeps_its_import_contracts_and_runs_its_tests(clone: Path) -> None:
    """What `make test` runs, on the committed tree: the import contracts (a layer named in pyproject.toml but
    never committed fails here) and pytest from the clone. Ruff and mypy are left to `make test` itself, which
    runs them on the same tree in CI (a cold mypy cache would double this test's minutes)."""
    env = environment(clone, RAPPORT_TEST_PG_URL=os.environ.get("RAPPORT_TEST_PG_URL", ""))
    contracts = subprocess.run(
        [str(VENV / "bin" / "lint-imports")], cwd=clone, env=env, capture_output=True, text=True, timeout=600
    )
    assert contracts.returncode == 0, (contracts.stdout + contracts.stderr)[-3000:]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/unit/test_settings_and_cli.py", "-q", "-k", "help_lists"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, (run.stdout + run.stderr)[-3000:]


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_demo_check_on_busy_ports_names_the_port_and_the_options(clone: Path, held_port: int) -> None:
    res = rapport(clone, "demo", "--check", "--port", str(held_port), "--ui-port", str(free_port()), timeout=60)
    assert res.returncode == 2, res.stderr
    assert f"port {held_port} (--port, the bot)" in res.stderr and "--ui-port" in res.stderr
    assert "Traceback" not in res.stderr and not (clone / ".rapport").exists()  # refused before any work


def test_demo_check_in_the_clone_answers_as_the_readme_shows(clone: Path) -> None:
    from bot.demo.transcript import comparable

    from .test_demo_main_job import MARKER, printed_transcript

    res = rapport(
        clone,
        "demo",
        "--check",
        "--customers",
        "300",
        "--port",
        str(free_port()),
        "--ui-port",
        str(free_port()),
        timeout=900,
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "Slack sandbox: open http://127.0.0.1:" in res.stdout and "Traceback" not in res.stderr
    readme = (clone / "README.md").read_text().split(MARKER, 1)[1]
    block = re.search(r"```\n(.*?)\n```", readme, re.S)
    assert block is not None
    assert comparable(printed_transcript(res.stdout)) == comparable(block.group(1).splitlines())


def test_database_urls_as_people_paste_them(clone: Path) -> None:
    down = rapport(clone, "db", "upgrade", DATABASE_URL="postgresql://rapport:s3cret@127.0.0.1:9/rapport")
    assert down.returncode == 2
    assert "cannot connect to DATABASE_URL=postgresql+psycopg2://rapport:***@127.0.0.1:9/rapport" in down.stderr
    assert "s3cret" not in down.stderr and "Traceback" not in down.stderr
    v3 = rapport(clone, "db", "upgrade", DATABASE_URL="postgresql+psycopg://rapport@127.0.0.1/rapport")
    assert v3.returncode == 2 and "DATABASE_URL asks for the driver 'psycopg'" in v3.stderr
    admin = os.environ.get("RAPPORT_TEST_PG_URL")
    if not admin:
        pytest.skip("RAPPORT_TEST_PG_URL not set: the postgresql:// upgrade needs a server")
    from sqlalchemy import create_engine, text

    name = f"rapport_clone_{uuid.uuid4().hex[:10]}"
    server = create_engine(admin, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        bare = "postgresql://" + admin.split("://", 1)[1].rsplit("/", 1)[0] + f"/{name}"
        up = rapport(clone, "db", "upgrade", DATABASE_URL=bare)
        assert up.returncode == 0 and "is up to date" in up.stdout, up.stderr
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_forget_someone_who_does_not_exist_asks_nothing(clone: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert rapport(clone, "db", "upgrade", DATABASE_URL=url).returncode == 0
    res = rapport(clone, "forget", "nonexistent-id", DATABASE_URL=url)
    assert res.returncode == 2
    assert "no customer matches 'nonexistent-id'" in res.stderr
    assert "Erase" not in res.stdout + res.stderr and "Traceback" not in res.stderr


def test_serve_names_the_missing_slack_setting(clone: Path) -> None:
    bare = rapport(clone, "serve")
    assert bare.returncode == 2 and "SLACK_BOT_TOKEN is not set" in bare.stderr
    http = rapport(clone, "serve", SLACK_BOT_TOKEN="xoxb-1")
    assert (
        http.returncode == 2 and "SLACK_SIGNING_SECRET is not set" in http.stderr and "SLACK_APP_TOKEN" in http.stderr
    )
    swapped = rapport(clone, "serve", SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xoxb-2")
    assert swapped.returncode == 2 and "SLACK_APP_TOKEN must be an app-level token" in swapped.stderr
    config = rapport(clone, "db", "upgrade", RAPPORT_CONFIG="missing.toml")
    assert config.returncode == 2 and "RAPPORT_CONFIG 'missing.toml'" in config.stderr
