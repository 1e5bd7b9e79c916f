"""Reads for the backup pages, the API, the command and the tasks."""
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.roles import ADMIN
from backups.models import Backup, BackupStatus, RestoreRun
from core.exceptions import NotFound


def backup_list() -> QuerySet[Backup]:
    """Every backup, newest first."""
    return Backup.objects.select_related("created_by").order_by("-created_at", "-id")


def backup_get(*, pk: int) -> Backup:
    """One backup; NotFound ("Unknown backup.") when there is none with this id."""
    backup = backup_list().filter(pk=pk).first()
    if backup is None:
        raise NotFound("Unknown backup.")
    return backup


def backup_newest_completed() -> Backup | None:
    return Backup.objects.filter(status=BackupStatus.COMPLETED).order_by("-created_at", "-id").first()


def restore_run_list(*, backup: Backup | None = None) -> QuerySet[RestoreRun]:
    """Restores and dry runs, newest first (of one backup when given)."""
    runs = RestoreRun.objects.select_related("backup", "created_by", "auto_backup").order_by("-created_at", "-id")
    return runs.filter(backup=backup) if backup is not None else runs


def restore_run_get(*, pk: int) -> RestoreRun:
    """One restore or dry run; NotFound ("Unknown restore.") when there is none with this id."""
    run = restore_run_list().filter(pk=pk).first()
    if run is None:
        raise NotFound("Unknown restore.")
    return run


def admin_emails() -> list[str]:
    """Addresses of the active Admins (the Admin role or superusers) that have one."""
    users = get_user_model().objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(groups__name=ADMIN))
    return sorted({email for email in users.exclude(email="").values_list("email", flat=True) if email})
