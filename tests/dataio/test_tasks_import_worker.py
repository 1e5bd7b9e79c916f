"""A large stock-count import on a real Celery worker (Redis broker, no eager mode),
killed with SIGKILL in the middle.

Skipping bad rows, each batch of IMPORT_BATCH_ROWS is its own transaction with the job's
`rows_done`: after the kill the database holds exactly the committed batches' movements.
All or nothing, the one transaction dies with the worker: nothing is written. Either
way `import_jobs_recover` then finds the job without a live worker and fails it, saying
it was interrupted and what was written.

Nothing here depends on timing. The test holds a row lock on the stock level of a row in
the middle of batch BLOCKED_BATCH, so the worker always stops there, waiting for the
lock, with exactly the batches before it done; it is killed while it waits. Only once
the killed worker's database sessions have ended (each has then committed or rolled
back whatever it was doing) are the job and its movements read. The worker consumes a
queue of its own, named after a random token, and its broker keys are removed afterwards.
"""
import os
import signal
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from config import celery_app
from dataio.models import ImportJob, ImportStatus
from dataio.services.imports import import_job_create, import_job_validate, import_jobs_recover
from dataio.tasks import import_process_task
from inventory.models import Product, StockLevel, StockMovement, Variant
from inventory.services import ledger_verify
from tests.workers import celery_worker, database_url, redis_url_or_skip

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=["inventory", "suppliers", "dataio"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs the PostgreSQL test database"),
]

ROWS = 60_000
BATCH = 5_000
BLOCKED_BATCH = 6  # 0-based: the worker stops inside the seventh batch
WRITTEN = BLOCKED_BATCH * BATCH  # rows of the batches before it
BLOCKED_SKU = f"W-{WRITTEN + BATCH // 2:06d}"  # a row in the middle of that batch
# Generous bounds for a loaded machine: they only cut short a test that is already failing.
WAIT_SECONDS = 300


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture
def worker(redis_url):
    """The worker's queue name is also its PostgreSQL sessions' application name."""
    with celery_worker(redis_url, name="import", env={"IMPORT_BATCH_ROWS": str(BATCH)}) as started:
        yield started


@pytest.fixture
def level_lock():
    """A second database session that can hold a row lock on a stock level until released."""
    session = psycopg.connect(database_url())

    def take(sku: str) -> None:
        locked = session.execute(
            f'SELECT 1 FROM "{StockLevel._meta.db_table}" WHERE "variant_id" = '
            f'(SELECT "id" FROM "{Variant._meta.db_table}" WHERE "sku" = %s) FOR UPDATE', [sku]).fetchall()
        assert locked == [(1,)], f"no stock level of {sku} to lock"

    def release() -> None:
        session.rollback()

    try:
        yield take, release
    finally:
        session.close()


def _sessions(app_name: str) -> list[tuple]:
    """The worker's live database sessions: (pid, wait_event_type, state)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, wait_event_type, state FROM pg_stat_activity WHERE application_name = %s",
                       [app_name])
        return cursor.fetchall()


def _wait(condition, what: str, output, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {seconds} s; worker log:\n{output()}"
        time.sleep(0.05)


def _holders() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT l.pid, l.objid, a.state, a.wait_event, left(a.query, 120) FROM pg_locks l "
                       "JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory'")
        return cursor.fetchall()


def _count_sheet(default_location) -> bytes:
    product = Product.objects.create(name="Worker test")
    variants = Variant.objects.bulk_create(
        [Variant(product=product, sku=f"W-{n:06d}", attributes={}) for n in range(ROWS)], batch_size=5000)
    StockLevel.objects.bulk_create([StockLevel(variant=v, location=default_location) for v in variants], batch_size=5000)
    lines = ["sku,counted,reason"] + [f"W-{n:06d},{n % 50 + 1},Stocktake" for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("on_error", ["skip", "rollback"])
def test_import_process_task_killed_mid_import_keeps_whole_batches_and_recovery_says_so(
        on_error, default_location, worker, level_lock, redis_url, settings):
    queue, process, output = worker
    take_lock, release_lock = level_lock
    job = import_job_validate(job=import_job_create(data=_count_sheet(default_location), file_name="count.csv",
                                                    type="stock_counts", mode="UPSERT"))
    assert job.status == ImportStatus.VALIDATED and job.row_count == ROWS
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IN_PROGRESS, on_error=on_error,
                                               started_at=timezone.now())
    take_lock(BLOCKED_SKU)

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    with celery_app.connection_for_write(redis_url) as broker:
        import_process_task.apply_async(args=[job.pk], queue=queue, connection=broker)

    def waiting_for_the_lock() -> bool:
        assert process.poll() is None, f"the worker exited ({process.returncode}):\n{output()}"
        job.refresh_from_db()
        assert job.status == ImportStatus.IN_PROGRESS, f"the import ended unexpectedly: {job.status}\n{output()}"
        return any(wait == "Lock" for _pid, wait, _state in _sessions(queue))

    _wait(waiting_for_the_lock, f"the worker is not waiting at batch {BLOCKED_BATCH + 1}", output)
    job.refresh_from_db()
    assert job.rows_done == WRITTEN  # the batches before the blocked one, and no more

    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    release_lock()
    # A killed client's session ends when PostgreSQL notices (at once when idle, after the
    # statement when busy); its open transaction is rolled back and its locks are freed.
    _wait(lambda: not _sessions(queue), f"the killed worker's sessions are still there: {_sessions(queue)}", output)

    job.refresh_from_db()
    written = StockMovement.objects.filter(import_job=job).count()
    assert job.status == ImportStatus.IN_PROGRESS and job.rows_done == WRITTEN
    if on_error == "skip":
        assert written == WRITTEN  # whole batches only: none of the blocked batch's rows
        assert not StockMovement.objects.filter(import_job=job, variant__sku__gte=f"W-{WRITTEN:06d}").exists()
    else:
        assert written == 0

    assert import_jobs_recover(stale_after=timedelta(0)) == 1, f"the job still looks like it has a live worker: {_holders()}"
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.error.startswith("Interrupted")
    if on_error == "skip":
        assert f"The first {WRITTEN:,} of {ROWS:,} rows were written" in job.error
    else:
        assert "nothing was written" in job.error
    assert StockMovement.objects.filter(import_job=job).count() == written
    assert ledger_verify() == []
    # A redelivered task finds the job failed and leaves it alone.
    assert import_process_task.apply(args=[job.pk]).get() == ImportStatus.FAILED
