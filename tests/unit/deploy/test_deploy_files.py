"""The deployment files (no Docker engine here) agree with the code they deploy."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[3]


def test_compose_services_and_environment_match_settings() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "chroma", "bot1", "bot2", "lb"} <= set(services)
    known = {name.upper() for name in Settings.model_fields}
    for name in ("migrate", "bot1", "bot2"):
        env = services[name]["environment"]
        unknown = set(env) - known
        assert not unknown, f"{name} sets variables Settings does not read: {unknown}"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg2://")
        assert env["CHROMA_URL"].startswith("http://chroma:")
        assert Settings(**{k.lower(): v for k, v in env.items() if not str(v).startswith("${")}).chroma_url
    for name in ("bot1", "bot2"):
        assert services[name]["command"][:2] == ["rapport", "serve"]


def test_dockerfile_uses_the_same_install_steps_as_ci() -> None:
    docker = (REPO / "Dockerfile").read_text()
    install = (REPO / "scripts" / "install.sh").read_text()
    assert re.search(r"^RUN bash scripts/install.sh ", docker, re.M) and '"torch==2.13.0"' in install
    assert re.search(r"^USER rapport", docker, re.M), "the image must not run as root"
    assert "HEALTHCHECK" in docker and "/healthz" in docker
    assert "HF_HUB_OFFLINE=1" in docker and "ANONYMIZED_TELEMETRY=False" in docker
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "scripts/install.sh" in (REPO / "Makefile").read_text()
