#!/usr/bin/env bash
# Lint, types, import contracts, then the whole pytest suite on SQLite and PostgreSQL.
set -euo pipefail
venv="${1:-.venv}"
cd "$(dirname "$0")/.."
if [ -z "${RAPPORT_TEST_PG_URL:-}" ]; then
  if url=$(bash scripts/postgres.sh); then
    export RAPPORT_TEST_PG_URL="$url"
  elif [ -n "${RAPPORT_REQUIRE_PG:-}" ]; then
    echo "PostgreSQL is required (RAPPORT_REQUIRE_PG) but could not be started" >&2; exit 1
  else
    echo "PostgreSQL unavailable: its tests will be skipped" >&2
  fi
fi
echo "== ruff";          "$venv/bin/ruff" check .
echo "== mypy";          "$venv/bin/mypy"
echo "== import-linter"; "$venv/bin/lint-imports"
echo "== pytest";        "$venv/bin/python" -m pytest "${@:2}"
