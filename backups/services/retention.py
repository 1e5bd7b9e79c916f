"""Which backups are kept, run daily by beat.

- Scheduled daily backups: the newest BACKUP_RETENTION_DAILY are kept.
- Scheduled weekly backups: the newest BACKUP_RETENTION_WEEKLY are kept.
- Nothing scheduled or automatic (taken before a restore) older than
  BACKUP_RETENTION_MAX_DAYS is kept.
- Manual backups are kept until someone deletes them.
- The newest completed backup is never removed, whatever the rules say.
- Failed backups are removed after a day; a backup (or a restore) left pending or in
  progress for a day lost its worker and is marked failed first.
- Uploaded archives of restores finished more than a day ago are removed, and so are files
  in the uploads folder that no restore or backup refers to (left by a request that failed
  after storing its upload), once they are an hour old.

A removed backup's file is deleted from storage, then its row.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backups.models import Backup, BackupKind, BackupStatus, RestoreRun, RestoreStatus
from backups.services.jobs import RUNNING, UPLOAD_DIR, backup_file_remove, restore_upload_remove
from backups.storage import backups_storage

logger = logging.getLogger(__name__)

FAILED_KEEP = timedelta(days=1)
STALE_AFTER = timedelta(days=1)
UPLOAD_KEEP = timedelta(days=1)
# An upload is stored a moment before the restore that refers to it is recorded.
ORPHAN_GRACE = timedelta(hours=1)


@dataclass
class RetentionResult:
    deleted: list[int] = field(default_factory=list)  # backup ids removed
    interrupted: list[int] = field(default_factory=list)  # backups marked failed (lost worker)
    uploads_removed: int = 0
    orphans_removed: int = 0  # upload files no restore or backup referred to


def _retention_expired(*, now: datetime) -> list[Backup]:
    """The completed backups the rules no longer keep."""
    completed = Backup.objects.filter(status=BackupStatus.COMPLETED).order_by("-created_at", "-id")
    newest = completed.first()
    if newest is None:
        return []
    drop: dict[int, Backup] = {}
    oldest_kept = now - timedelta(days=settings.BACKUP_RETENTION_MAX_DAYS)
    for prefix, keep in (("daily:", settings.BACKUP_RETENTION_DAILY), ("weekly:", settings.BACKUP_RETENTION_WEEKLY)):
        slotted = completed.filter(kind=BackupKind.SCHEDULED, schedule_slot__startswith=prefix)
        for backup in slotted[max(keep, 0):]:
            drop[backup.pk] = backup
    for backup in completed.exclude(kind=BackupKind.MANUAL).filter(created_at__lt=oldest_kept):
        drop[backup.pk] = backup
    drop.pop(newest.pk, None)
    return sorted(drop.values(), key=lambda backup: backup.pk)


def _remove(backup: Backup) -> bool:
    """Delete the row (if nobody else did, and it is not running), then its file."""
    with transaction.atomic():
        locked = Backup.objects.select_for_update().filter(pk=backup.pk).first()
        if locked is None or locked.status in RUNNING:
            return False
        locked.delete()
    backup_file_remove(backup=locked)
    return True


def _orphan_uploads_remove(*, now: datetime) -> int:
    """Remove the files in the uploads folder that no restore or backup refers to, older than
    ORPHAN_GRACE (a younger one may belong to a restore being recorded right now)."""
    storage = backups_storage()
    try:
        _folders, files = storage.listdir(UPLOAD_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    names = [f"{UPLOAD_DIR}/{file}" for file in files]
    referred = set(RestoreRun.objects.filter(upload_name__in=names).values_list("upload_name", flat=True))
    referred |= set(Backup.objects.filter(file_name__in=names).values_list("file_name", flat=True))
    removed = 0
    for name in names:
        if name in referred:
            continue
        try:
            if storage.get_modified_time(name) > now - ORPHAN_GRACE:
                continue
            storage.delete(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        removed += 1
    if removed:
        logger.info("Backup retention: removed %s orphan upload files", removed)
    return removed


def backups_retention_run(*, now: datetime | None = None) -> RetentionResult:
    """Apply the retention rules (see the module's docstring) and say what was removed."""
    now = now or timezone.now()
    result = RetentionResult()

    stale = Backup.objects.filter(status__in=RUNNING, created_at__lt=now - STALE_AFTER)
    for backup in stale:
        updated = Backup.objects.filter(pk=backup.pk, status__in=RUNNING).update(
            status=BackupStatus.FAILED, finished_at=now,
            error="Interrupted: the backup did not finish within a day (its worker stopped).")
        if updated:
            result.interrupted.append(backup.pk)

    for backup in _retention_expired(now=now):
        if _remove(backup):
            result.deleted.append(backup.pk)

    # A restore runs in one transaction: one whose worker died changed nothing. Say so.
    for run in RestoreRun.objects.filter(status__in=(RestoreStatus.PENDING, RestoreStatus.IN_PROGRESS),
                                         created_at__lt=now - STALE_AFTER):
        RestoreRun.objects.filter(pk=run.pk, status=run.status).update(
            status=RestoreStatus.FAILED, finished_at=now,
            error="Interrupted: the restore did not finish within a day (its worker stopped); it was rolled back, "
                  "nothing was changed.")

    # Those just marked interrupted stay a day longer, so that someone can see why.
    failed = Backup.objects.filter(status=BackupStatus.FAILED, created_at__lt=now - FAILED_KEEP).exclude(
        pk__in=result.interrupted)
    for backup in failed:
        if _remove(backup):
            result.deleted.append(backup.pk)

    finished = RestoreRun.objects.exclude(upload_name="").exclude(
        status__in=(RestoreStatus.PENDING, RestoreStatus.IN_PROGRESS)).filter(finished_at__lt=now - UPLOAD_KEEP)
    for run in finished:
        # Another run of the same file (a restore after its preview) keeps it while it is recent.
        shared = RestoreRun.objects.filter(upload_name=run.upload_name).exclude(pk=run.pk).filter(
            Q(finished_at__isnull=True) | Q(finished_at__gte=now - UPLOAD_KEEP))
        if shared.exists():
            continue
        restore_upload_remove(run=run)
        result.uploads_removed += 1

    result.orphans_removed = _orphan_uploads_remove(now=now)

    if result.deleted or result.interrupted:
        logger.info("Backup retention: removed %s, marked interrupted %s", result.deleted, result.interrupted)
    return result
