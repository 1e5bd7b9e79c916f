"""Reservation expiry through a real Celery worker on the Redis broker (no eager mode).

The test starts `celery worker` in a subprocess pointed at the test database and at the
Redis database of REDIS_URL, listening on a queue of its own; the task is sent there the
way beat sends it, and the test watches the database until the worker has expired the hold.
"""
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from config import celery_app
from inventory.models import ReservationStatus
from inventory.services import ReservationLineRequest, ledger_verify, reservation_create
from inventory.tasks import release_expired_reservations
from tests.concurrency.helpers import CONCURRENCY_APPS

pytestmark = [
    pytest.mark.concurrency,
    # The worker reads the database through its own connection: the data must be committed.
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs the PostgreSQL test database"),
]

WAIT_SECONDS = 30


def _database_url() -> str:
    db = django_settings.DATABASES["default"]  # NAME is the test database's inside the test
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{'@' if credentials else ''}{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def redis_url() -> str:
    url = django_settings.REDIS_URL
    if not url:
        pytest.skip("REDIS_URL is not set: the worker test needs a Redis broker")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture
def worker(redis_url):
    """A Celery worker consuming only from a fresh queue; stopped (and its keys removed) afterwards."""
    token = uuid.uuid4().hex[:12]
    queue = f"test-expiry-{token}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def output() -> str:
        with open(log.name, encoding="utf-8", errors="replace") as file:
            return file.read()[-4000:]

    try:
        yield queue, process, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        os.unlink(log.name)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{token}*"):
            client.delete(key)


def test_release_expired_reservations_on_a_real_worker_expires_the_hold(stocked, worker, redis_url, settings):
    queue, process, output = worker
    level = stocked(5)
    reservation = reservation_create(reference="Cart 1", ttl=timedelta(seconds=1), lines=[
        ReservationLineRequest(variant=level.variant, quantity=2, location=level.location),
    ]).reservation
    level.refresh_from_db()
    assert level.reserved == 2
    time.sleep(1.5)

    # Send for real. Celery reads its configuration through Django's settings (namespace
    # CELERY), where the prefixed name wins: setting celery_app.conf.task_always_eager
    # would not override CELERY_TASK_ALWAYS_EAGER. The settings fixture restores both.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    assert celery_app.conf.task_always_eager is False
    with celery_app.connection_for_write(redis_url) as broker:
        release_expired_reservations.apply_async(queue=queue, connection=broker)

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        reservation.refresh_from_db()
        level.refresh_from_db()
        # The worker logs after the sweep has committed: wait for both.
        if reservation.status == ReservationStatus.EXPIRED and level.reserved == 0 and "Expired 1" in output():
            break
        assert process.poll() is None, f"the worker exited ({process.returncode}):\n{output()}"
        assert time.monotonic() < deadline, f"not expired after {WAIT_SECONDS} s; worker log:\n{output()}"
        time.sleep(0.25)

    assert (level.on_hand, level.reserved) == (5, 0)
    assert "Expired 1 reservations" in output()  # the worker did it, not this process
    assert reservation.closed_at is not None
    assert ledger_verify() == []
