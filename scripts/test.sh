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
# One worker per core (PYTEST_WORKERS=0 runs in this process); a file's tests stay on one worker, so module
# fixtures (a served data plane, a test book) are built once. The slowest tests are listed at the end.
# tests/scale then runs alone: its replicas, leases and kill -9 faults are judged on timing that a second worker
# competing for the two cores would distort.
echo "== pytest";        "$venv/bin/python" -m pytest -n "${PYTEST_WORKERS:-auto}" --dist loadfile --durations=25 \
                           --ignore=tests/scale "${@:2}"
echo "== pytest (scale)"; "$venv/bin/python" -m pytest --durations=10 tests/scale "${@:2}"
