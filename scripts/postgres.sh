#!/usr/bin/env bash
# Start a local PostgreSQL (Debian packages) for the integration tests and print its admin URL.
# Installs it when running as root with apt; otherwise exits non-zero and the PostgreSQL tests skip.
set -euo pipefail
port="${RAPPORT_PG_PORT:-5432}"
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  else
    echo "postgres.sh: PostgreSQL is not installed and cannot be installed here" >&2; exit 1
  fi
fi
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then pg_createcluster "$ver" main >&2; fi
pg_ctlcluster "$ver" main start >&2 2>&1 || true
for _ in $(seq 1 30); do
  if su postgres -c "pg_isready -q -h 127.0.0.1 -p $port"; then break; fi; sleep 1
done
su postgres -c "psql -q -h 127.0.0.1 -p $port -c \"ALTER USER postgres PASSWORD 'postgres'\"" >&2 2>/dev/null \
  || su postgres -c "psql -q -p $port -c \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
echo "postgresql+psycopg2://postgres:postgres@127.0.0.1:$port/postgres"
