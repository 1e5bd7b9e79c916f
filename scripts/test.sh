#!/usr/bin/env bash
# The import layer contract, the whole suite on PostgreSQL (with Redis), then the smoke
# subset on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

echo "== Import layers (.importlinter) ==" >&2
.venv/bin/lint-imports

echo "== Full suite on PostgreSQL ==" >&2
DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stockroom} \
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
  $PY -m pytest -q "$@"

echo "== Smoke subset on SQLite (embedded default) ==" >&2
env -u DATABASE_URL -u REDIS_URL STOCKROOM_VAR_DIR="$(mktemp -d)" \
  $PY -m pytest -q -m smoke "$@"
