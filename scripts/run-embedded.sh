#!/usr/bin/env bash
# `make run`: migrate, load the demo, then serve on 127.0.0.1:8000 with a Celery
# worker and beat alongside. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=${DEBUG:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

$PY manage.py migrate --noinput
$PY manage.py seed_demo

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY -m celery -A config worker --loglevel=warning --concurrency=1 --hostname "worker@%h" &
pids+=($!)
$PY -m celery -A config beat --loglevel=warning &
pids+=($!)

$PY manage.py ensure_admin
echo "Stockroom is starting on http://$HOST:$PORT/ (Ctrl-C stops the server, worker and beat)"
$PY manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"
