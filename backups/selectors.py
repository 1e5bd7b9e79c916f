"""Reads for the backup pages, the API, the command and the tasks."""
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.roles import ADMIN
from backups.models import Backup, BackupStatus, RestoreRun


def backup_list() -> QuerySet[Backup]:
    """Every backup, newest first."""
    return Backup.objects.select_related("created_by").order_by("-created_at", "-id")


def backup_newest_completed() -> Backup | None:
    return Backup.objects.filter(status=BackupStatus.COMPLETED).order_by("-created_at", "-id").first()


def restore_run_list(*, backup: Backup | None = None) -> QuerySet[RestoreRun]:
    """Restores and dry runs, newest first (of one backup when given)."""
    runs = RestoreRun.objects.select_related("backup", "created_by", "auto_backup").order_by("-created_at", "-id")
    return runs.filter(backup=backup) if backup is not None else runs


def admin_emails() -> list[str]:
    """Addresses of the active Admins (the Admin role or superusers) that have one."""
    users = get_user_model().objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(groups__name=ADMIN))
    return sorted({email for email in users.exclude(email="").values_list("email", flat=True) if email})
