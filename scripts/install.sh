#!/usr/bin/env bash
# Same install steps as the Dockerfile: CPU torch pinned first so nothing pulls a CUDA build.
set -euo pipefail
venv="${1:-.venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install -q --disable-pip-version-check "torch==2.13.0"
"$venv/bin/pip" install -q --disable-pip-version-check -e '.[dev]'
