"""The audit trail of records without a timeline of their own (suppliers, stock level
settings, reorder rules, the backup schedule): one row per change, saying who made it,
when, and each changed field's value before and after.

The service that changes the record calls `audit_record` inside its own transaction, so a
change that rolls back leaves no row, and a committed change always has one.
"""
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.models import AuditEntry

MAX_REPR = 200


def audit_changes(*, before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """`{field: [before, after]}` for the fields of `after` whose value differs from `before`."""
    return {field: [before.get(field), value] for field, value in after.items() if before.get(field) != value}


def audit_record(*, user, action: str, obj: models.Model, changes: dict[str, list],
                 object_repr: str | None = None) -> AuditEntry | None:
    """Record that `user` did `action` ("supplier.update") to `obj`, changing `changes`
    (`{field: [before, after]}`). Nothing is written when nothing changed.

    Call it inside the transaction of the change (before a delete, while `obj.pk` is set).
    Values are stored as JSON: decimals, dates and times as text.
    """
    if not changes:
        return None
    if obj.pk is None:
        raise ValueError("audit_record needs a saved object (record a delete before deleting).")
    return AuditEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:MAX_REPR],
        changes=json.loads(json.dumps(changes, cls=DjangoJSONEncoder)),
    )
