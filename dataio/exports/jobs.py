"""An export job's life: created PENDING and queued after commit, run by a worker to a file
in Django's storage (IN_PROGRESS, then COMPLETED or FAILED), failed when its worker is gone,
its file opened for download and removed once expired."""
import logging
import secrets
import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError, Conflict, ValidationFailed
from core.queue import enqueue_on_commit
from dataio.exports.filters import export_filters_clean
from dataio.exports.permissions import MONEY_TYPES, export_type_allowed
from dataio.exports.write import export_write
from dataio.models import ExportJob, ExportStatus, ExportType, FileFormat
from dataio.services.workers import EXPORT_JOBS, failure_reason, stale_jobs_fail, worker_lock

logger = logging.getLogger(__name__)

EXPORT_DIR = "exports"
PROGRESS_EVERY = 2000
PROGRESS_SECONDS = 0.25
# A job still IN_PROGRESS after this long lost its worker: running it again starts over.
STALE_AFTER = timedelta(hours=1)
# A job still PENDING or IN_PROGRESS after this long, with no worker on it, is failed by
# export_jobs_recover (EXPORT_STALE_MINUTES): longer than STALE_AFTER and than the broker's
# redelivery of an unacknowledged task (CELERY_VISIBILITY_TIMEOUT, 2 hours), so a task
# handed out again gets to start the job over first.
EXPORT_STALE_MINUTES = 180
WORKING = (ExportStatus.PENDING, ExportStatus.IN_PROGRESS)


class ExportExpired(ApplicationError):
    """The file was removed after EXPORT_RETENTION_DAYS."""

    status_code = 410


# The task that writes the file, queued by name (dataio/tasks.py imports this module).
EXPORT_RUN_TASK = "dataio.tasks.export_run_task"


def export_job_create(*, type: str, format: str, filters: dict | None = None, user=None) -> ExportJob:
    """Check the request, record a PENDING job and run it in the background (after commit)."""
    if type not in ExportType.values:
        raise ValidationFailed(f"Unknown export type {type!r}: choose one of {', '.join(ExportType.values)}.",
                               field="type")
    if format not in FileFormat.values:
        raise ValidationFailed(f"Unknown format {format!r}: choose one of {', '.join(FileFormat.values)}.",
                               field="format")
    if user is not None and not export_type_allowed(user=user, type=type):
        raise PermissionDenied("Exporting this needs the permission to see prices." if type in MONEY_TYPES
                               else "You do not have permission to export data.")
    clean = export_filters_clean(type=type, filters=filters)
    job = ExportJob.objects.create(type=type, format=format, filters=clean,
                                   created_by=user if user is not None and user.is_authenticated else None)
    enqueue_on_commit(EXPORT_RUN_TASK, job.pk)
    return job


def _claim(job_id: int) -> ExportJob | None:
    """Take the job for this run: PENDING, or IN_PROGRESS for longer than STALE_AFTER.
    None when it is done, failed or being run elsewhere."""
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        stale = job.status == ExportStatus.IN_PROGRESS and (job.started_at is None or job.started_at < now - STALE_AFTER)
        if job.status != ExportStatus.PENDING and not stale:
            return None
        if stale:
            logger.warning("Export %s was in progress since %s: starting it again", job.pk, job.started_at)
        job.status = ExportStatus.IN_PROGRESS
        job.started_at = now
        job.rows_done = job.rows_total = 0
        job.error = ""
        job.save(update_fields=["status", "started_at", "rows_done", "rows_total", "error"])
    return job


def _file_name(job: ExportJob) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"{EXPORT_DIR}/{job.type}-{job.pk}-{stamp}-{secrets.token_hex(4)}.{job.format}"


def _storage_delete(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError:  # already gone, or the storage is unreachable: nothing more to do here
            logger.warning("Could not delete export file %s", name, exc_info=True)


def export_job_run(*, job: ExportJob) -> ExportJob:
    """Run the export: PENDING → IN_PROGRESS → COMPLETED, or FAILED with the reason and no
    file when anything goes wrong.

    Safe to call twice: a job that is completed, failed or being run by another worker is
    left alone; one stuck IN_PROGRESS for over an hour is started again.
    """
    with worker_lock(kind=EXPORT_JOBS, job_id=job.pk) as acquired:
        if not acquired:
            job.refresh_from_db()
            return job
        return _run(job)


def _run(job: ExportJob) -> ExportJob:
    claimed = _claim(job.pk)
    if claimed is None:
        job.refresh_from_db()
        return job
    job = claimed
    started_at = job.started_at
    live = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.IN_PROGRESS, started_at=started_at)
    reported = {"rows": 0, "at": 0.0}

    def progress(done: int, total: int) -> None:
        # One UPDATE per PROGRESS_EVERY rows at most, and no more often than the pages poll.
        if done == 0:
            live.update(rows_total=total)
            reported["at"] = time.monotonic()
        elif done - reported["rows"] >= PROGRESS_EVERY and time.monotonic() - reported["at"] >= PROGRESS_SECONDS:
            live.update(rows_done=done)
            reported.update(rows=done, at=time.monotonic())

    saved_name = ""
    try:
        with tempfile.TemporaryFile(suffix=f".{job.format}") as temp:
            rows = export_write(type=job.type, format=job.format, filters=job.filters or {}, file=temp,
                                progress=progress)
            temp.flush()
            size = temp.tell()
            temp.seek(0)
            saved_name = default_storage.save(_file_name(job), File(temp))
        finished = timezone.now()
        updated = live.update(
            status=ExportStatus.COMPLETED, rows_done=rows, row_count=rows, file_name=saved_name, file_size=size,
            finished_at=finished, expires_at=finished + timedelta(days=settings.EXPORT_RETENTION_DAYS),
        )
        if not updated:  # another run took the job over meanwhile: its file is the one kept
            _storage_delete(saved_name)
    except Exception as exc:  # noqa: BLE001 - any failure ends the job FAILED, with the reason
        logger.exception("Export %s failed", job.pk)
        _storage_delete(saved_name)
        if isinstance(exc, ApplicationError):
            message = f"The export failed: {exc.message}"
        else:
            message = (f"The export failed: {failure_reason(exc)}. Start it again; if it fails again, tell an "
                       f"administrator (the details are in the server log as export {job.pk}).")
        live.update(status=ExportStatus.FAILED, error=message[:2000], finished_at=timezone.now(), file_name="",
                    file_size=0)
    job.refresh_from_db()
    return job


_INTERRUPTED = {
    ExportStatus.PENDING: "Interrupted: no worker started the export; nothing was written. Start it again.",
    ExportStatus.IN_PROGRESS: "Interrupted: the worker stopped while writing the file; nothing was kept. "
                              "Start the export again.",
}


def export_jobs_recover(*, stale_after: timedelta | None = None) -> int:
    """Fail exports left PENDING or IN_PROGRESS by a worker that stopped (killed, machine
    restarted) or never came, saying so.

    A job counts as abandoned when it started (or, not started, was requested) more than
    `stale_after` ago (EXPORT_STALE_MINUTES, default 180) and, on PostgreSQL, no worker
    holds its lock. Returns the number of jobs failed.
    """
    if stale_after is None:
        stale_after = timedelta(minutes=getattr(settings, "EXPORT_STALE_MINUTES", EXPORT_STALE_MINUTES))
    return stale_jobs_fail(model=ExportJob, kind=EXPORT_JOBS, working=WORKING, stale_after=stale_after,
                           reason=lambda job: _INTERRUPTED[job.status])


def export_job_is_expired(*, job: ExportJob, now=None) -> bool:
    now = now or timezone.now()
    return job.status == ExportStatus.COMPLETED and (
        not job.file_name or (job.expires_at is not None and job.expires_at <= now)
    )


def export_file_open(*, job: ExportJob) -> File:
    """The completed job's file, open for reading. Conflict while it is not ready (or failed),
    ExportExpired once removed."""
    if job.status == ExportStatus.FAILED:
        raise Conflict(f"The export failed, so there is no file: {job.error}")
    if job.status != ExportStatus.COMPLETED:
        raise Conflict("The export is not finished yet: try again when it is completed.")
    if export_job_is_expired(job=job):
        raise ExportExpired("The export has expired and its file was removed: export again.")
    try:
        return default_storage.open(job.file_name, "rb")
    except FileNotFoundError:
        raise ExportExpired("The export's file is no longer there: export again.") from None


def export_download_name(*, job: ExportJob) -> str:
    """A safe file name for the download: letters, digits, dashes and the extension."""
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    return f"stockroom-{job.type.replace('_', '-')}-{stamp}-{job.pk}.{job.format}"


def exports_expire(*, now=None) -> int:
    """Delete the files of completed exports past `expires_at`. The job rows stay (the list
    shows them as expired) with the file name cleared. Returns how many files went."""
    now = now or timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status=ExportStatus.COMPLETED, expires_at__lte=now).exclude(file_name="")
    for pk, name in due.values_list("pk", "file_name").iterator(chunk_size=500):
        _storage_delete(name)
        expired += ExportJob.objects.filter(pk=pk, file_name=name).update(file_name="")
    return expired
