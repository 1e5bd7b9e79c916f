"""Reads of core's shared records for the pages of the apps above it."""
from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.db.models import Q, QuerySet

from core.models import AuditEntry


def audit_list_for(*, obj: models.Model, limit: int = 50) -> QuerySet[AuditEntry]:
    """The latest `limit` audit entries of one record, newest first."""
    return audit_list_for_objects(objects=[obj], limit=limit)


def audit_list_for_objects(*, objects: Iterable[models.Model], limit: int = 50) -> QuerySet[AuditEntry]:
    """The latest `limit` audit entries of any of `objects` (e.g. a variant's stock levels), newest first."""
    keys: dict[str, set[str]] = defaultdict(set)
    for obj in objects:
        if obj is not None and obj.pk is not None:
            keys[obj._meta.label_lower].add(str(obj.pk))
    if not keys:
        return AuditEntry.objects.none()
    condition = Q()
    for object_type, ids in keys.items():
        condition |= Q(object_type=object_type, object_id__in=sorted(ids))
    return AuditEntry.objects.filter(condition).select_related("user").order_by("-created_at", "-id")[:limit]
