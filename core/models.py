from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Sequence(models.Model):
    """A named counter for document numbers (SO-000001, PO-000001).

    The row is locked while a number is taken, so numbers are unique and gapless even
    when many orders are created at once; see core.sequences.sequence_next.
    """

    name = models.CharField(max_length=32, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class AuditEntry(models.Model):
    """One change to a record that has no timeline of its own: who, when, and the
    before/after values of the fields that changed, as `{field: [before, after]}`.

    Written by core.audit.audit_record in the transaction of the change it records.
    `object_type` is the model's label ("suppliers.supplier") and `object_id` its key as
    text, so the row outlives the record (a deleted supplier keeps its trail).
    """

    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id", "created_at"], name="core_audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    @property
    def verb(self) -> str:
        """The action's last part as a word for the page: "supplier.update" → "Changed"."""
        last = self.action.rsplit(".", 1)[-1]
        return ACTION_VERBS.get(last, last.replace("_", " ").capitalize())

    @property
    def subject(self) -> str:
        """The action's first part as words: "reorder_rule.update" → "Reorder rule"."""
        return self.action.rsplit(".", 1)[0].replace("_", " ").capitalize()

    @property
    def is_create(self) -> bool:
        return self.action.endswith(".create")

    @property
    def is_delete(self) -> bool:
        return self.action.endswith(".delete")

    @property
    def change_rows(self) -> list[tuple[str, str, str]]:
        """(label, before, after) per changed field, as text for the page."""
        rows = []
        for field, values in (self.changes or {}).items():
            before, after = values if isinstance(values, list | tuple) and len(values) == 2 else (None, values)
            rows.append((field.replace("_", " ").capitalize(), _audit_text(before), _audit_text(after)))
        return rows


ACTION_VERBS = {
    "create": "Created",
    "update": "Changed",
    "delete": "Deleted",
    "activate": "Activated",
    "deactivate": "Deactivated",
}


def _audit_text(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
