"""One worker per job: a PostgreSQL session advisory lock keyed by the kind of job and its id.

The lock is released when the worker lets go of it or when its database connection
closes, so a killed worker releases it too. The recovery sweeps (`import_jobs_recover`,
`export_jobs_recover`) leave alone a job whose lock is held: its worker is alive. On
other databases (the embedded SQLite default, one writer at a time) there is no such
lock: the lock is always taken and no worker ever looks alive.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

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
