from django.conf import settings
from django.db import models


class BackupKind(models.TextChoices):
    MANUAL = "MANUAL", "Manual"
    SCHEDULED = "SCHEDULED", "Scheduled"
    AUTO = "AUTO", "Before a restore"


class BackupStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"


class BackupSection(models.TextChoices):
    CATALOGUE = "catalogue", "Catalogue"
    STOCK = "stock", "Stock levels and ledger"
    PURCHASING = "purchasing", "Suppliers and purchase orders"
    ORDERS = "orders", "Sales orders and Stripe events"
    USERS = "users", "Users and roles"


# Users and roles are left out unless asked for.
DEFAULT_SECTIONS = [BackupSection.CATALOGUE, BackupSection.STOCK, BackupSection.PURCHASING, BackupSection.ORDERS]


class Backup(models.Model):
    kind = models.CharField(max_length=10, choices=BackupKind.choices, default=BackupKind.MANUAL)
    status = models.CharField(max_length=12, choices=BackupStatus.choices, default=BackupStatus.PENDING, db_index=True)
    sections = models.JSONField(default=list, blank=True)
    # Rows per model as written in the manifest: {"inventory.variant": 120, ...}.
    counts = models.JSONField(default=dict, blank=True)
    # Name within the backups storage (BACKUP_DIR by default); empty until the file is complete.
    file_name = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the stored file.")
    encrypted = models.BooleanField(default=False)
    format_version = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # "daily:2026-11-29" or "weekly:2026-W48" for scheduled backups: one backup per slot.
    schedule_slot = models.CharField(max_length=40, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="backups")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # The last verify and the last restore drill, with their verdicts.
    verified_at = models.DateTimeField(null=True, blank=True)
    verify_ok = models.BooleanField(null=True, blank=True)
    verify_message = models.TextField(blank=True)
    drill_at = models.DateTimeField(null=True, blank=True)
    drill_ok = models.BooleanField(null=True, blank=True)
    drill_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("restore_backup", "Can restore a backup")]

    def __str__(self) -> str:
        return f"Backup {self.pk} ({self.kind})"


class BackupSchedule(models.Model):
    """The one row (pk=1) that says when scheduled backups are taken; Admins edit it."""

    daily_enabled = models.BooleanField(default=True)
    daily_time = models.TimeField(default="03:00")
    weekly_enabled = models.BooleanField(default=True)
    # 0 = Monday … 6 = Sunday, as datetime.weekday().
    weekly_day = models.PositiveSmallIntegerField(default=6)
    weekly_time = models.TimeField(default="04:00")
    sections = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    def __str__(self) -> str:
        return "Backup schedule"


class RestoreStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"


class ConflictPolicy(models.TextChoices):
    SKIP = "skip", "Skip rows that already exist"
    OVERWRITE = "overwrite", "Overwrite rows that already exist"


class RestoreRun(models.Model):
    """One restore or restore preview (dry run), from a stored backup or an uploaded file."""

    backup = models.ForeignKey(Backup, null=True, blank=True, on_delete=models.SET_NULL, related_name="restores")
    # An uploaded archive, kept in the backups storage while the run needs it.
    upload_name = models.CharField(max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(default=True)
    conflict = models.CharField(max_length=10, choices=ConflictPolicy.choices, blank=True)
    status = models.CharField(max_length=12, choices=RestoreStatus.choices, default=RestoreStatus.PENDING)
    # Per model: {"inventory.variant": {"create": n, "update": n, "unchanged": n, "conflict": n,
    # "conflicts": [first few pks]}}, plus the verify verdict and the ledger check.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    auto_backup = models.ForeignKey(Backup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Restore {self.pk}"
