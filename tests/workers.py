"""A real Celery worker for the tests that need one: a `celery worker` subprocess on the
Redis broker of REDIS_URL and the test database, consuming only a queue of its own."""
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
import redis
from django.conf import settings


def database_url() -> str:
    """The test database as a DATABASE_URL (NAME is the test database's inside a test)."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{'@' if credentials else ''}{host}{port}/{quote(db['NAME'], safe='')}"


def redis_url_or_skip() -> str:
    url = settings.REDIS_URL
    if not url:
        pytest.skip("REDIS_URL is not set: the worker test needs a Redis broker")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {url} does not answer: {exc}")
    return url


@contextmanager
def celery_worker(redis_url: str, *, name: str, env: dict[str, str | None] | None = None
                  ) -> Iterator[tuple[str, subprocess.Popen, Callable[[], str]]]:
    """(queue, process, output) of a worker consuming only `queue` (which holds a fresh
    token; so does the worker's PostgreSQL application name). The worker runs in a
    session of its own, so a test may SIGKILL its process group. Afterwards it is stopped,
    and the queue's keys and any unacknowledged message of it are removed from Redis, so
    nothing is ever redelivered to a later test."""
    token = uuid.uuid4().hex[:12]
    queue = f"test-{name}-{token}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        "PGAPPNAME": queue,
    }
    for key, value in (env or {}).items():  # None: leave the variable out
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    log = tempfile.NamedTemporaryFile(prefix=f"celery-{name}-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )

    def output() -> str:
        with open(log.name, encoding="utf-8", errors="replace") as file:
            return file.read()[-4000:]

    try:
        yield queue, process, output
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()
        os.unlink(log.name)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{token}*"):
            client.delete(key)
        for tag, payload in client.hscan_iter("unacked"):
            if token.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
