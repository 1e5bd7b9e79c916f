"""Background work for imports and exports. Tasks load the job by id and call a service."""
import logging

from celery import shared_task

from dataio.models import ExportJob
from dataio.exports import export_job_run, export_jobs_recover, exports_expire
from dataio.services.imports import import_job_run, import_jobs_recover

logger = logging.getLogger(__name__)


@shared_task(name="dataio.tasks.export_run_task", acks_late=True)
def export_run_task(job_id: int) -> str:
    """Write an export's file. Idempotent: a completed, failed or running job is left alone."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    return export_job_run(job=job).status


@shared_task(name="dataio.tasks.exports_expire_task")
def exports_expire_task() -> int:
    """Remove the files of expired exports (beat, daily)."""
    removed = exports_expire()
    if removed:
        logger.info("Removed %d expired export files", removed)
    return removed


@shared_task(name="dataio.tasks.import_process_task", acks_late=True)
def import_process_task(job_id: int) -> str:
    """Write a validated import. Idempotent: only an IN_PROGRESS job is worked on, by one
    worker at a time; a job found IN_PROGRESS after a crash starts again (all or nothing)
    or resumes after its last committed batch (skip bad rows)."""
    job = import_job_run(job_id=job_id)
    return "busy" if job is None else job.status


@shared_task(name="dataio.tasks.import_jobs_recover_task")
def import_jobs_recover_task() -> int:
    """Fail imports whose process died while checking or writing them (beat, every 10 minutes)."""
    failed = import_jobs_recover()
    if failed:
        logger.warning("Marked %d interrupted imports as failed", failed)
    return failed


@shared_task(name="dataio.tasks.export_jobs_recover_task")
def export_jobs_recover_task() -> int:
    """Fail exports whose worker died or never came (beat, every 10 minutes)."""
    failed = export_jobs_recover()
    if failed:
        logger.warning("Marked %d interrupted exports as failed", failed)
    return failed
