"""Reads for the export pages and API.

Who sees which export jobs: the user who started one, and Managers and Admins (the rule
of `dataio.selectors`); on top of that, jobs of a type with prices or costs are shown
only to users who may see prices.
"""
from django.db.models import QuerySet

from core.exceptions import NotFound
from dataio.models import ExportJob, ExportStatus
from dataio.selectors import job_visible_filter
from dataio.exports import MONEY_TYPES, PRICES_PERM

RUNNING = (ExportStatus.PENDING, ExportStatus.IN_PROGRESS)


def export_job_list(*, user) -> QuerySet[ExportJob]:
    """The export jobs `user` may see, newest first."""
    qs = ExportJob.objects.filter(job_visible_filter(user=user)).select_related("created_by")
    if not user.has_perm(PRICES_PERM):
        qs = qs.exclude(type__in=MONEY_TYPES)
    return qs.order_by("-created_at", "-id")


def export_job_get(*, user, pk: int) -> ExportJob:
    """One export job `user` may see; NotFound for any other, as for one that does not exist."""
    job = export_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"Unknown export {pk}.", details={"id": pk})
    return job


def export_job_progress(*, job: ExportJob) -> int:
    """0-100: rows written of the rows to write (100 once completed)."""
    if job.status == ExportStatus.COMPLETED:
        return 100
    if not job.rows_total:
        return 0
    return min(99, job.rows_done * 100 // job.rows_total)
