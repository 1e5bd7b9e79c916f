"""One worker per job: a PostgreSQL session advisory lock keyed by the kind of job and its id.

The lock is released when the worker lets go of it or when its database connection
closes, so a killed worker releases it too. The recovery sweeps (`import_jobs_recover`,
`export_jobs_recover`) leave alone a job whose lock is held: its worker is alive. On
other databases (the embedded SQLite default, one writer at a time) there is no such
lock: the lock is always taken and no worker ever looks alive.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dataio.readers import BAD_CHARACTERS

# Advisory lock key classes: "a worker is on import job N", "… on export job N".
IMPORT_JOBS = 7_301
EXPORT_JOBS = 7_302


@contextmanager
def worker_lock(*, kind: int, job_id: int) -> Iterator[bool]:
    """True while this process is the one worker on the job."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [kind, job_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [kind, job_id])


def worker_alive(*, kind: int, job_id: int) -> bool:
    """Whether some process holds the job's lock (PostgreSQL); False elsewhere."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
            "AND objsubid = 2 AND granted)",
            [kind, job_id],
        )
        return cursor.fetchone()[0]


def failure_reason(exc: BaseException) -> str:
    """An unexpected error in one short line a user can read: the first line of its message
    (without characters that cannot be stored), or its name when it has none."""
    lines = BAD_CHARACTERS.sub("", str(exc)).strip().splitlines()
    reason = lines[0].strip() if lines else ""
    return (reason or type(exc).__name__)[:300]


def stale_jobs_fail(*, model, kind: int, working, stale_after: timedelta, reason: Callable) -> int:
    """Fail the jobs of `model` left in a `working` status by a process that stopped: started
    (or, never started, created) more than `stale_after` ago, with no process holding their
    lock. Each gets `reason(job)` as its error. Returns how many were failed."""
    cutoff = timezone.now() - stale_after
    stale = model.objects.filter(Q(started_at__lte=cutoff) | Q(started_at__isnull=True, created_at__lte=cutoff),
                                 status__in=working)
    failed = 0
    for job_id in stale.values_list("pk", flat=True):
        if worker_alive(kind=kind, job_id=job_id):
            continue
        with transaction.atomic():
            job = model.objects.select_for_update().filter(pk=job_id, status__in=working).first()
            if job is None:
                continue
            job.error = reason(job)
            job.status = "FAILED"
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            failed += 1
    return failed
