"""A large stock-count import on a real Celery worker (Redis broker, no eager mode),
killed with SIGKILL in the middle.

Skipping bad rows, each batch of IMPORT_BATCH_ROWS is its own transaction with the job's
`rows_done`: after the kill the database holds exactly the committed batches' movements.
All or nothing, the one transaction dies with the worker: nothing is written. Either
way `import_jobs_recover` then finds the job without a live worker and fails it, saying
it was interrupted and what was written.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config import celery_app
from dataio.models import ImportJob, ImportStatus
from dataio.services.imports import import_job_create, import_job_validate, import_jobs_recover
from dataio.tasks import import_process_task
from inventory.models import Product, StockLevel, StockMovement, Variant
from inventory.services import ledger_verify
from tests.orders.test_tasks_expiry_worker import _database_url

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=["inventory", "suppliers", "dataio"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs the PostgreSQL test database"),
]

ROWS = 60_000
BATCH = 5_000
WAIT_SECONDS = 120


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
    token = uuid.uuid4().hex[:12]
    queue = f"test-import-{token}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CONN_MAX_AGE": "0",
        "IMPORT_BATCH_ROWS": str(BATCH),
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-import-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )

    def output() -> str:
        with open(log.name, encoding="utf-8", errors="replace") as file:
            return file.read()[-4000:]

    try:
        yield queue, process, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
        os.unlink(log.name)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{token}*"):
            client.delete(key)


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
        on_error, default_location, worker, redis_url, settings):
    queue, process, output = worker
    job = import_job_validate(job=import_job_create(data=_count_sheet(default_location), file_name="count.csv",
                                                    type="stock_counts", mode="UPSERT"))
    assert job.status == ImportStatus.VALIDATED and job.row_count == ROWS
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IN_PROGRESS, on_error=on_error,
                                               started_at=timezone.now())

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    with celery_app.connection_for_write(redis_url) as broker:
        import_process_task.apply_async(args=[job.pk], queue=queue, connection=broker)

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        job.refresh_from_db()
        if 0 < job.rows_done < ROWS:
            break
        assert job.status == ImportStatus.IN_PROGRESS, f"finished before it could be killed: {job.status}\n{output()}"
        assert process.poll() is None, f"the worker exited ({process.returncode}):\n{output()}"
        assert time.monotonic() < deadline, f"no progress after {WAIT_SECONDS} s; worker log:\n{output()}"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    job.refresh_from_db()
    written = StockMovement.objects.filter(import_job=job).count()
    if on_error == "skip":
        assert written == job.rows_done and written % BATCH == 0 and 0 < written < ROWS
    else:
        assert written == 0
    assert job.status == ImportStatus.IN_PROGRESS

    # The killed worker's connection (and with it the job's lock) goes away shortly.
    deadline = time.monotonic() + 30
    while not import_jobs_recover(stale_after=timedelta(0)):
        assert time.monotonic() < deadline, f"the job still looks like it has a live worker: {_holders()}"
        time.sleep(0.25)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.error.startswith("Interrupted")
    if on_error == "skip":
        assert f"The first {written:,} of {ROWS:,} rows were written" in job.error
    else:
        assert "nothing was written" in job.error
    assert StockMovement.objects.filter(import_job=job).count() == written
    assert ledger_verify() == []
    # A redelivered task finds the job failed and leaves it alone.
    assert import_process_task.apply(args=[job.pk]).get() == ImportStatus.FAILED
