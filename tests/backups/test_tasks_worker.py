"""A scheduled backup taken by a real Celery worker (Redis broker, no eager mode).

The test starts `celery worker` in a subprocess pointed at the test database, at the
Redis database of REDIS_URL and at a backups folder of its own, listening on a queue of
its own. The schedule's tick runs here, exactly as beat's tick task runs it, with that
queue as the default: the slot is due, a SCHEDULED backup is recorded and its task is
sent through Redis after commit; the worker takes the backup. The test watches the
database until the backup is COMPLETED and then checks its file.
"""
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from backups.models import Backup, BackupKind, BackupStatus
from backups.services.schedule import schedule_get
from backups.tasks import backup_schedule_tick_task
from tests.backups import backup_dir  # noqa: F401
from tests.orders.test_tasks_expiry_worker import _database_url

pytestmark = [
    pytest.mark.concurrency,
    # The worker reads the database through its own connection: the data must be committed.
    # Only the backups tables are flushed afterwards (the role groups stay for later tests).
    pytest.mark.django_db(transaction=True, available_apps=["backups"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs the PostgreSQL test database"),
]

WAIT_SECONDS = 120  # only cuts short a test that is already failing


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
def worker(redis_url, backup_dir):
    token = uuid.uuid4().hex[:12]
    queue = f"test-backup-{token}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CONN_MAX_AGE": "0",
        "BACKUP_DIR": str(backup_dir),
        "BACKUP_ENCRYPTION_KEY": "",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("BACKUP_STORAGE_BACKEND", None)
    log = tempfile.NamedTemporaryFile(prefix="celery-backup-", suffix=".log", delete=False)
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


def test_backup_schedule_tick_task_scheduled_backup_is_taken_by_a_real_worker(worker, redis_url, backup_dir,
                                                                              settings):
    queue, process, output = worker
    # The daily slot is due: its time was a minute ago (local time), the weekly one is off.
    now = timezone.localtime()
    schedule = schedule_get()
    schedule.daily_time = (now - dt.timedelta(minutes=1)).time().replace(second=0, microsecond=0) \
        if now.time() >= dt.time(0, 1) else dt.time(0, 0)
    schedule.weekly_enabled = False
    schedule.sections = ["catalogue", "stock"]
    schedule.save()

    # Send for real (see tests/orders/test_tasks_expiry_worker.py: the CELERY_ settings win).
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    taken = backup_schedule_tick_task.apply().get()  # what beat's tick runs; the backup task goes to Redis

    assert len(taken) == 1
    backup = Backup.objects.get(pk=taken[0])
    assert backup.schedule_slot == f"daily:{now.date().isoformat()}"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        backup.refresh_from_db()
        if backup.status in (BackupStatus.COMPLETED, BackupStatus.FAILED):
            break
        assert process.poll() is None, f"the worker exited ({process.returncode}):\n{output()}"
        assert time.monotonic() < deadline, f"not taken after {WAIT_SECONDS} s; worker log:\n{output()}"
        time.sleep(0.1)

    assert backup.status == BackupStatus.COMPLETED, f"{backup.error}\n{output()}"
    assert (backup.kind, backup.sections, backup.created_by) == (BackupKind.SCHEDULED, ["catalogue", "stock"], None)
    path = backup_dir / backup.file_name
    assert path.is_file() and path.stat().st_size == backup.size > 0
    assert "backup_create_task" in output() and "COMPLETED" in output()  # the worker took it, not this process
    # Another tick in the same slot records nothing more.
    assert backup_schedule_tick_task.apply().get() == []
    assert Backup.objects.count() == 1
