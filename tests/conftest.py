"""Shared fixtures: real databases (SQLite file always; PostgreSQL when RAPPORT_TEST_PG_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

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


@pytest.fixture
def make_db_url(tmp_path: Path) -> Iterator[object]:
    """Factory: a fresh, empty database URL for the named backend; PostgreSQL databases are dropped after."""
    created: list[str] = []

    def factory(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'rapport-{uuid.uuid4().hex[:8]}.db'}"
        assert PG_ADMIN_URL
        name = f"rapport_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield factory
    if created and PG_ADMIN_URL:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, make_db_url: object) -> str:
    return make_db_url(request.param)  # type: ignore[operator]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database on each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(make_db_url: object) -> Iterator[Engine]:
    eng = make_engine(make_db_url("sqlite"))  # type: ignore[operator]
    upgrade(eng)
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
