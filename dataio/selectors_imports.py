"""Reads for the import pages and API."""
from django.db.models import QuerySet

from dataio.forms_imports import import_type_permission
from dataio.models import ImportJob, ImportRowError, ImportType


def import_job_list(*, user) -> QuerySet[ImportJob]:
    """Import jobs, newest first, of the types the user may import or see (a products
    import shows prices: only users who may change products see it)."""
    types = [value for value in ImportType.values if user.has_perm(import_type_permission(value))]
    return ImportJob.objects.filter(type__in=types).select_related("created_by").order_by("-created_at", "-id")


def import_job_row_errors(*, job: ImportJob) -> QuerySet[ImportRowError]:
    return job.row_errors.order_by("row", "id")
