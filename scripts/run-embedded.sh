#!/usr/bin/env bash
# `make run`: migrate, load the demo, then serve on $HOST:$PORT (127.0.0.1:8000) with a
# Celery worker and beat alongside. Ctrl-C stops all three.
#
# The first start writes .env (git-ignored): DEBUG=1 and a generated SECRET_KEY. Django's
# settings read it, so `.venv/bin/python manage.py ...` works afterwards as printed in the
# README, without setting anything by hand. Variables set in the environment win.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=${DEBUG:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

if [ ! -e .env ]; then
  (
    umask 077
    {
      echo "# Settings of the embedded default, written by \`make run\` on its first start."
      echo "# Read by manage.py, the server, the Celery worker and beat (config/settings.py);"
      echo "# a variable set in the environment wins. Not for production: see README.md."
      echo "DEBUG=1"
      echo "SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
    } > .env.tmp
    mv .env.tmp .env
  )
  echo "Wrote .env (DEBUG=1 and a generated SECRET_KEY) for manage.py, Celery and the server."
fi

$PY manage.py migrate --noinput
$PY manage.py seed_demo

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# --quiet: no banners; warnings and errors still show.
$PY -m celery -A config --quiet worker --loglevel=warning --concurrency=1 --hostname "worker@%h" &
pids+=($!)
$PY -m celery -A config --quiet beat --loglevel=warning &
pids+=($!)

$PY manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)

# Once the server answers (its start-up lines are out), the login comes last.
$PY - "$HOST" "$PORT" <<'EOF' || true
import sys, time, urllib.error, urllib.request
host, port = sys.argv[1], sys.argv[2]
url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/healthz"
for _ in range(120):
    try:
        urllib.request.urlopen(url, timeout=2)
        break
    except urllib.error.HTTPError:
        break  # it answered
    except OSError:
        time.sleep(0.5)
EOF
login=$($PY manage.py ensure_admin)
echo
echo "Stockroom is running on http://$HOST:$PORT/ (Ctrl-C stops the server, worker and beat)"
echo "$login"
echo
wait -n "${pids[@]}"
