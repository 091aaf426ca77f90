"""Shared fixtures: real databases (SQLite file always; PostgreSQL when RAPPORT_TEST_PG_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from bot.store.db import make_engine
from bot.store.migrate import upgrade

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

PG_ADMIN_URL = os.environ.get("RAPPORT_TEST_PG_URL")  # e.g. postgresql+psycopg2://postgres@127.0.0.1/postgres
REPO = Path(__file__).resolve().parents[1]


class Clock:
    """A settable clock for ``Services.clock``: tests move time instead of sleeping."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


def _backends() -> list[object]:
    marks = [pytest.param("sqlite", id="sqlite")]
    pg_skip = pytest.mark.skipif(not PG_ADMIN_URL, reason="RAPPORT_TEST_PG_URL not set (CI sets it)")
    marks.append(pytest.param("postgresql", id="postgresql", marks=[pg_skip, pytest.mark.postgres]))
    return marks


def _pg_admin(*statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) on the PostgreSQL server, outside a transaction as they must be."""
    assert PG_ADMIN_URL
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    admin.dispose()


def _pg_url(name: str) -> str:
    """The URL of database ``name`` on the test PostgreSQL server."""
    assert PG_ADMIN_URL
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def make_db_url(tmp_path: Path) -> Iterator[object]:
    """Factory: a fresh, empty database URL for the named backend; PostgreSQL databases are dropped after."""
    created: list[str] = []

    def factory(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'rapport-{uuid.uuid4().hex[:8]}.db'}"
        name = f"rapport_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _pg_url(name)

    yield factory
    if created and PG_ADMIN_URL:
        _pg_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in created))


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, make_db_url: object) -> str:
    return make_db_url(request.param)  # type: ignore[operator]


class Templates:
    """Databases built once per session and copied for each test: migrating (and loading a test book) costs seconds
    per test, a copy milliseconds. SQLite copies the file; PostgreSQL creates the database from a template
    (``CREATE DATABASE ... TEMPLATE``). Each test still gets its own database, identical to a freshly built one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: dict[tuple[str, str], str] = {}  # (backend, key) -> sqlite file or PostgreSQL database name

    def fill(self, url: str, key: str = "migrated", build: Callable[[Engine], None] | None = None) -> None:
        """Make the empty database at ``url`` (from ``make_db_url``) a copy of the template ``key``: migrated, then
        ``build`` run on it (the same ``key`` must always mean the same ``build``)."""
        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        template = self.built.get((backend, key)) or self._build(backend, key, build)
        if backend == "sqlite":
            shutil.copyfile(template, str(make_url(url).database))
            return
        name = str(make_url(url).database)
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def _build(self, backend: str, key: str, build: Callable[[Engine], None] | None) -> str:
        tag = f"{key.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            where = str(self.folder / f"{tag}.db")
            url = f"sqlite:///{where}"
        else:
            where = f"rapport_tmpl_{tag}"
            _pg_admin(f'CREATE DATABASE "{where}"')
            url = _pg_url(where)
        eng = make_engine(url)
        upgrade(eng)
        if build is not None:
            build(eng)
        if backend == "sqlite":  # everything into the main file, so copying the file copies the database
            with eng.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        eng.dispose()  # a PostgreSQL template must have no open connections
        self.built[(backend, key)] = where
        return where

    def engine(self, url: str, key: str = "migrated", build: Callable[[Engine], None] | None = None) -> Engine:
        """An engine on ``url`` filled from the template ``key`` (the caller disposes it)."""
        self.fill(url, key, build)
        return make_engine(url)

    def drop(self) -> None:
        names = [name for (backend, _), name in self.built.items() if backend == "postgresql"]
        if names and PG_ADMIN_URL:
            _pg_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("templates"))
    yield t
    t.drop()


@pytest.fixture
def engine(db_url: str, templates: Templates) -> Iterator[Engine]:
    """A migrated database on each backend (a copy of one migrated once per session)."""
    eng = templates.engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(make_db_url: object, templates: Templates) -> Iterator[Engine]:
    eng = templates.engine(make_db_url("sqlite"))  # type: ignore[operator]
    yield eng
    eng.dispose()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def page() -> Iterator[object]:
    """A page in Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Skips cleanly when the playwright package or the Chromium binary is missing.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page()
        pg.set_default_timeout(30_000)
        yield pg
        browser.close()
