"""Reservation expiry through a real Celery worker on the Redis broker (no eager mode).

The test starts `celery worker` in a subprocess pointed at the test database and at the
Redis database of REDIS_URL, listening on a queue of its own; the task is sent there the
way beat sends it, and the test watches the database until the worker has expired the hold.
"""
import time
from datetime import timedelta

import pytest
from django.db import connection

from config import celery_app
from inventory.models import ReservationStatus
from inventory.services import ReservationLineRequest, ledger_verify, reservation_create
from inventory.tasks import release_expired_reservations
from tests.concurrency.helpers import CONCURRENCY_APPS
from tests.workers import celery_worker, redis_url_or_skip

pytestmark = [
    pytest.mark.concurrency,
    # The worker reads the database through its own connection: the data must be committed.
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs the PostgreSQL test database"),
]

WAIT_SECONDS = 30


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture
def worker(redis_url):
    """A Celery worker consuming only from a fresh queue; stopped (and its keys removed) afterwards."""
    with celery_worker(redis_url, name="expiry") as started:
        yield started


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
