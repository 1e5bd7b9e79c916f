"""A scheduled backup taken by a real Celery worker (Redis broker, no eager mode).

The test starts `celery worker` in a subprocess pointed at the test database, at the
Redis database of REDIS_URL and at a backups folder of its own, listening on a queue of
its own. The schedule's tick runs here, exactly as beat's tick task runs it, with that
queue as the default: the slot is due, a SCHEDULED backup is recorded and its task is
sent through Redis after commit; the worker takes the backup. The test watches the
database until the backup is COMPLETED and then checks its file.
"""
import datetime as dt
import time

import pytest
from django.db import connection
from django.utils import timezone

from backups.models import Backup, BackupKind, BackupStatus
from backups.services.schedule import schedule_get
from backups.tasks import backup_schedule_tick_task
from tests.backups import backup_dir  # noqa: F401
from tests.workers import celery_worker, redis_url_or_skip

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
    return redis_url_or_skip()


@pytest.fixture
def worker(redis_url, backup_dir):
    env = {"BACKUP_DIR": str(backup_dir), "BACKUP_ENCRYPTION_KEY": "", "BACKUP_STORAGE_BACKEND": None}
    with celery_worker(redis_url, name="backup", env=env) as started:
        yield started


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
