"""Fixtures for the scale-out tests: one cluster (PostgreSQL + `chroma run` + three replicas) per session.

Skips when PostgreSQL (RAPPORT_TEST_PG_URL) or the chroma server binary is unavailable, except under
RAPPORT_REQUIRE_PG (CI), where a missing dependency fails the run instead of hiding these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import cluster as C  # noqa: E402


@pytest.fixture(scope="session")
def pg_admin() -> str:
    url = C.pg_admin_url()
    if url is None:
        C.unavailable("PostgreSQL is unavailable (set RAPPORT_TEST_PG_URL to a reachable server)")
    assert url is not None
    return url


@pytest.fixture(scope="session")
def cluster(pg_admin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[C.Cluster]:
    if C.chroma_binary() is None:
        C.unavailable("the chroma server (`chroma run`) is not installed")
    home = tmp_path_factory.mktemp("rapport-scale")
    name, db_url = C.create_database(pg_admin)
    chroma: subprocess.Popen[bytes] | None = None
    cl: C.Cluster | None = None
    try:
        chroma, chroma_url = C.start_chroma(home)
        cl = C.build_cluster(home, db_url, chroma_url, replicas=3)
        for i in range(len(cl.replicas)):
            cl.start(i)
        for i in range(len(cl.replicas)):
            cl.wait_ready(i)
        yield cl
    finally:
        if cl is not None:
            C.shutdown(cl)
            if os.environ.get("RAPPORT_SCALE_SHOW_LOG"):
                for r in cl.replicas:
                    print(f"--- {r.log.name}\n{r.log.read_text()[-4000:]}")
        if chroma is not None:
            chroma.terminate()
            chroma.wait(10)
        C.drop_database(pg_admin, name)
