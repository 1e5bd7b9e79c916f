"""Reads for the import pages and API.

Who sees which import jobs: the user who started one, and Managers and Admins (the rule
of `dataio.selectors`); on top of that only jobs of the types the user may import.
"""
from django.db.models import QuerySet

from core.exceptions import NotFound
from dataio.forms_imports import import_type_permission
from dataio.models import ImportJob, ImportRowError, ImportType
from dataio.selectors import job_visible_filter


def import_job_list(*, user) -> QuerySet[ImportJob]:
    """The import jobs `user` may see, newest first: their own (all of them for Managers and
    Admins), of the types they may import (a products import shows prices: only users who
    may change products see it)."""
    types = [value for value in ImportType.values if user.has_perm(import_type_permission(value))]
    return (
        ImportJob.objects.filter(job_visible_filter(user=user), type__in=types)
        .select_related("created_by").order_by("-created_at", "-id")
    )


def import_job_get(*, user, pk: int) -> ImportJob:
    """One import job `user` may see; NotFound for any other, as for one that does not exist."""
    job = import_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"Unknown import {pk}.", details={"id": pk})
    return job


def import_job_row_errors(*, job: ImportJob) -> QuerySet[ImportRowError]:
    return job.row_errors.order_by("row", "id")
