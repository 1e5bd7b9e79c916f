"""Retention: which backups (and files) are kept, and that removed ones lose their file too."""
import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from backups.models import Backup, BackupKind, BackupStatus, RestoreRun, RestoreStatus
from backups.services.retention import backups_retention_run
from tests.backups import backup_dir  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def _backup(*, days_ago: float, kind=BackupKind.SCHEDULED, slot: str | None = None,
            status=BackupStatus.COMPLETED, with_file: bool = True) -> Backup:
    """A backup row as the engine leaves it, with a small file in the backups storage."""
    backup = Backup.objects.create(kind=kind, status=status, schedule_slot=slot, sections=["catalogue"])
    if with_file:
        backup.file_name = storages["backups"].save(f"backup-{backup.pk}.srbk", ContentFile(b"archive"))
        backup.size = 7
    backup.save()
    Backup.objects.filter(pk=backup.pk).update(created_at=NOW - timedelta(days=days_ago))
    backup.refresh_from_db()
    return backup


def _daily(days_ago: int) -> Backup:
    day = (NOW - timedelta(days=days_ago)).date()
    return _backup(days_ago=days_ago, slot=f"daily:{day.isoformat()}")


def _weekly(weeks_ago: int) -> Backup:
    year, week, _ = (NOW - timedelta(weeks=weeks_ago)).date().isocalendar()
    return _backup(days_ago=weeks_ago * 7 + 0.1, slot=f"weekly:{year}-W{week:02d}")


def _file_exists(backup: Backup) -> bool:
    return storages["backups"].exists(backup.file_name)


def test_backups_retention_run_keeps_the_last_daily_and_weekly_and_removes_files(backup_dir, settings):
    settings.BACKUP_RETENTION_DAILY = 3
    settings.BACKUP_RETENTION_WEEKLY = 2
    settings.BACKUP_RETENTION_MAX_DAYS = 90
    dailies = [_daily(days) for days in range(6)]  # today and the 5 days before
    weeklies = [_weekly(weeks) for weeks in range(1, 5)]

    result = backups_retention_run(now=NOW)

    kept = set(Backup.objects.values_list("pk", flat=True))
    assert kept == {b.pk for b in dailies[:3]} | {b.pk for b in weeklies[:2]}
    removed = dailies[3:] + weeklies[2:]
    assert sorted(result.deleted) == sorted(b.pk for b in removed)
    assert all(not _file_exists(b) for b in removed)  # the files went, not just the rows
    assert all(_file_exists(b) for b in dailies[:3] + weeklies[:2])
    assert sorted(p.name for p in backup_dir.iterdir()) == sorted(
        f"backup-{b.pk}.srbk" for b in dailies[:3] + weeklies[:2])


def test_backups_retention_run_max_days_for_scheduled_and_auto_but_manual_is_kept(backup_dir, settings):
    settings.BACKUP_RETENTION_DAILY = 30
    settings.BACKUP_RETENTION_MAX_DAYS = 10
    newest = _backup(days_ago=0, kind=BackupKind.AUTO)
    old_auto = _backup(days_ago=11, kind=BackupKind.AUTO)
    young_auto = _backup(days_ago=9, kind=BackupKind.AUTO)
    old_daily = _daily(12)
    old_manual = _backup(days_ago=400, kind=BackupKind.MANUAL)

    backups_retention_run(now=NOW)

    kept = set(Backup.objects.values_list("pk", flat=True))
    assert kept == {newest.pk, young_auto.pk, old_manual.pk}
    assert not _file_exists(old_auto) and not _file_exists(old_daily)
    assert _file_exists(old_manual)


def test_backups_retention_run_never_removes_the_newest_completed_backup(backup_dir, settings):
    settings.BACKUP_RETENTION_DAILY = 0
    settings.BACKUP_RETENTION_MAX_DAYS = 1
    only = _daily(200)
    failed_later = _backup(days_ago=2, status=BackupStatus.FAILED, with_file=False)

    result = backups_retention_run(now=NOW)

    assert list(Backup.objects.values_list("pk", flat=True)) == [only.pk]
    assert _file_exists(only)
    assert result.deleted == [failed_later.pk]


def test_backups_retention_run_cleans_failed_and_interrupted_backups(backup_dir):
    newest = _backup(days_ago=0, kind=BackupKind.MANUAL)
    failed_old = _backup(days_ago=1.5, status=BackupStatus.FAILED)
    failed_recent = _backup(days_ago=0.5, status=BackupStatus.FAILED, with_file=False)
    stuck = _backup(days_ago=2, status=BackupStatus.IN_PROGRESS, with_file=False)
    running = _backup(days_ago=0.1, status=BackupStatus.IN_PROGRESS, with_file=False)

    result = backups_retention_run(now=NOW)

    assert set(Backup.objects.values_list("pk", flat=True)) == {newest.pk, failed_recent.pk, stuck.pk, running.pk}
    assert not _file_exists(failed_old)
    assert result.interrupted == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == BackupStatus.FAILED and stuck.error.startswith("Interrupted")
    running.refresh_from_db()
    assert running.status == BackupStatus.IN_PROGRESS


def test_backups_retention_run_removes_old_restore_uploads(backup_dir):
    storage = storages["backups"]
    old_name = storage.save("uploads/old.upload", ContentFile(b"x"))
    shared_name = storage.save("uploads/shared.upload", ContentFile(b"y"))
    old = RestoreRun.objects.create(upload_name=old_name, status=RestoreStatus.COMPLETED,
                                    finished_at=NOW - timedelta(days=2))
    RestoreRun.objects.create(upload_name=shared_name, status=RestoreStatus.COMPLETED,
                              finished_at=NOW - timedelta(days=2))
    RestoreRun.objects.create(upload_name=shared_name, status=RestoreStatus.PENDING)  # the real restore after it

    result = backups_retention_run(now=NOW)

    assert result.uploads_removed == 1
    assert not storage.exists(old_name) and storage.exists(shared_name)
    old.refresh_from_db()
    assert old.upload_name == ""


def test_backups_retention_run_removes_orphan_uploads_after_a_grace_period(backup_dir):
    storage = storages["backups"]
    orphan = storage.save("uploads/orphan.upload", ContentFile(b"junk nobody refers to"))
    fresh = storage.save("uploads/fresh.upload", ContentFile(b"a restore is being recorded"))
    used = storage.save("uploads/used.upload", ContentFile(b"archive"))
    RestoreRun.objects.create(upload_name=used, status=RestoreStatus.PENDING)
    for name, age in ((orphan, timedelta(hours=2)), (used, timedelta(hours=2)), (fresh, timedelta(minutes=10))):
        stamp = (NOW - age).timestamp()
        os.utime(backup_dir / name, (stamp, stamp))

    result = backups_retention_run(now=NOW)

    assert result.orphans_removed == 1
    assert not storage.exists(orphan)
    assert storage.exists(fresh) and storage.exists(used)


def test_backups_retention_run_without_an_uploads_folder(backup_dir):
    assert backups_retention_run(now=NOW).orphans_removed == 0


def test_backups_retention_run_fails_restores_whose_worker_died(backup_dir):
    stuck = RestoreRun.objects.create(status=RestoreStatus.IN_PROGRESS)
    RestoreRun.objects.filter(pk=stuck.pk).update(created_at=NOW - timedelta(days=2))
    running = RestoreRun.objects.create(status=RestoreStatus.IN_PROGRESS)

    backups_retention_run(now=NOW)

    stuck.refresh_from_db()
    running.refresh_from_db()
    assert stuck.status == RestoreStatus.FAILED and "nothing was changed" in stuck.error
    assert running.status == RestoreStatus.IN_PROGRESS
