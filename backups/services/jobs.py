"""Backup and restore requests from the pages, the API and the scheduler.

A request records a PENDING row and hands the work to a Celery task once the
transaction commits (a rolled-back request leaves no task behind). The tasks call
`backup_run` and `restore_run_execute` here, which claim the row under a lock so that a
task delivered twice does the work once, then call the engine (`backup_create`,
`backup_restore`).
"""
import logging
import uuid
from pathlib import Path
from typing import Any

from django.core.mail import send_mail
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from backups.errors import BackupFailed, BackupInvalid, ConflictPolicyRequired, RestoreFailed
from backups.models import Backup, BackupKind, BackupStatus, RestoreRun, RestoreStatus
from backups.sections import known_models, section_models
from backups.selectors import admin_emails, backup_newest_completed
from backups.services.backups import backup_create
from backups.services.drill import backup_drill
from backups.services.restore import backup_restore, target_has_data
from backups.storage import backup_file_delete, backup_file_open
from backups.validators import backup_sections_clean, restore_conflict_clean
from core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed
from core.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

UPLOAD_DIR = "uploads"
RUNNING = (BackupStatus.PENDING, BackupStatus.IN_PROGRESS)
RESTORE_RUNNING = (RestoreStatus.PENDING, RestoreStatus.IN_PROGRESS)

# The tasks that do the work, queued by name (backups/tasks.py imports this module).
BACKUP_CREATE_TASK = "backups.tasks.backup_create_task"
RESTORE_RUN_TASK = "backups.tasks.restore_run_task"


def _storage():
    return storages["backups"]


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- backups --------------------------------------------------------------------

def backup_request(*, sections: list[str] | None = None, user=None, kind: str = BackupKind.MANUAL,
                   schedule_slot: str | None = None) -> Backup:
    """Record a PENDING backup and take it in the background (after commit)."""
    clean = backup_sections_clean(sections=sections)
    backup = Backup.objects.create(kind=kind, status=BackupStatus.PENDING, sections=clean,
                                   schedule_slot=schedule_slot, created_by=_user_or_none(user))
    enqueue_on_commit(BACKUP_CREATE_TASK, backup.pk)
    return backup


def _backup_claim(backup_id: int) -> Backup | None:
    """The backup when it is still PENDING (this run takes it), else None."""
    with transaction.atomic():
        backup = Backup.objects.select_for_update().filter(pk=backup_id).first()
        if backup is None or backup.status != BackupStatus.PENDING:
            return None
        backup.status = BackupStatus.IN_PROGRESS
        backup.started_at = timezone.now()
        backup.save(update_fields=["status", "started_at"])
    return backup


def backup_run(*, backup_id: int) -> Backup | None:
    """Take a requested backup. Idempotent: a backup that is not PENDING any more (done,
    failed, or being taken by another worker) is left alone and None is returned."""
    backup = _backup_claim(backup_id)
    if backup is None:
        return None
    try:
        return backup_create(kind=backup.kind, sections=list(backup.sections) or None, user=backup.created_by,
                             backup=backup, schedule_slot=backup.schedule_slot)
    except BackupFailed:
        backup.refresh_from_db()
        return backup
    except Exception as exc:  # the engine marks the row FAILED; make sure of it whatever went wrong
        logger.exception("Backup %s failed", backup.pk)
        _backup_fail(backup, f"{type(exc).__name__}: {exc}")
        backup.refresh_from_db()
        return backup


def _backup_fail(backup: Backup, message: str) -> None:
    now = timezone.now()
    Backup.objects.filter(pk=backup.pk, status__in=RUNNING).update(status=BackupStatus.FAILED, error=message,
                                                                  finished_at=now)


def backup_file_remove(*, backup: Backup) -> None:
    """Remove the backup's file from storage (if any)."""
    backup_file_delete(backup=backup)


def backup_delete(*, backup: Backup) -> None:
    """Remove a backup: its file, then its row. Refused while it is being taken."""
    if backup.status == BackupStatus.IN_PROGRESS:
        raise Conflict(f"Backup {backup.pk} is being taken: wait until it is done, then delete it.")
    with transaction.atomic():
        locked = Backup.objects.select_for_update().filter(pk=backup.pk).first()
        if locked is None:
            return
        if locked.status == BackupStatus.IN_PROGRESS:
            raise Conflict(f"Backup {backup.pk} is being taken: wait until it is done, then delete it.")
        locked.delete()
        # The file goes once the row is gone for good; a rollback keeps both.
        transaction.on_commit(lambda: backup_file_remove(backup=locked))


def backup_file_path(*, backup: Backup) -> str:
    """Where the archive is: a filesystem path when the storage has one, else its storage name."""
    storage = _storage()
    try:
        return storage.path(backup.file_name)
    except NotImplementedError:
        return backup.file_name


# --- restores -------------------------------------------------------------------

def restore_upload_store(*, upload) -> str:
    """Copy an uploaded archive into the backups storage, chunk by chunk (never whole into
    memory), under a fresh name in uploads/. Returns the storage name. A copy that fails
    midway (disk full, the upload unreadable) leaves nothing behind."""
    stored = f"{UPLOAD_DIR}/restore-{uuid.uuid4().hex}.upload"
    try:
        return _storage().save(stored, upload)
    except BaseException:
        _upload_delete(stored)
        raise


def _upload_delete(name: str) -> None:
    try:
        _storage().delete(name)
    except OSError:
        logger.warning("Could not remove the restore upload %s", name)


def restore_request(*, backup: Backup | None = None, upload=None, from_run: RestoreRun | None = None,
                    dry_run: bool = True, conflict: str | None = None, user=None) -> RestoreRun:
    """Record a restore (or a dry run) of a stored backup, an uploaded archive, or the
    upload of an earlier run (e.g. the real restore after its preview), and run it in the
    background (after commit).

    Checked first, so that the answer names the problem: the conflict policy's value, a
    backup that is not complete, and a real restore over a database that holds data
    without a chosen policy (ConflictPolicyRequired).
    """
    if sum(source is not None for source in (backup, upload, from_run)) != 1:
        raise ValidationFailed("Restore from one stored backup or one uploaded file.", field="file")
    policy = restore_conflict_clean(conflict=conflict)
    if from_run is not None and from_run.backup_id is not None:
        backup, from_run = from_run.backup, None
    if from_run is not None and not (from_run.upload_name and _storage().exists(from_run.upload_name)):
        raise ValidationFailed("The uploaded file of that restore is gone (uploads are kept a day): upload it again.",
                               field="file")
    if backup is not None and backup.status != BackupStatus.COMPLETED:
        raise Conflict(f"Backup {backup.pk} is {backup.get_status_display().lower()}: only a completed backup can be "
                       f"restored.")
    if not dry_run and policy is None:
        holding = restore_database_holds_data(backup=backup)
        if holding:
            raise ConflictPolicyRequired(
                "The database already holds data: choose what to do with rows that exist in both, skip (keep the "
                "database's) or overwrite (take the backup's). Nothing was changed.", details={"models": holding})
    upload_name = from_run.upload_name if from_run is not None else ""
    original_name = from_run.original_name if from_run is not None else ""
    if upload is not None:
        original_name = Path(getattr(upload, "name", "") or "upload").name[:255]
        upload_name = restore_upload_store(upload=upload)
    try:
        run = RestoreRun.objects.create(backup=backup, upload_name=upload_name, original_name=original_name,
                                        dry_run=dry_run, conflict=policy or "", status=RestoreStatus.PENDING,
                                        created_by=_user_or_none(user))
    except BaseException:
        if upload is not None:
            _upload_delete(upload_name)
        raise
    enqueue_on_commit(RESTORE_RUN_TASK, run.pk)
    return run


def restore_database_holds_data(*, backup: Backup | None = None) -> list[str]:
    """The models a restore would write that already hold rows (then a real restore needs a
    conflict policy). For a stored backup, the models in it; for a file not read yet, every
    model a backup can hold."""
    if backup is not None:
        labels = [label for label in known_models() if label in (backup.counts or {})]
        labels = labels or section_models(list(backup.sections or []))
    else:
        labels = known_models()
    return target_has_data(labels)


def _restore_claim(run_id: int) -> RestoreRun | None:
    with transaction.atomic():
        run = RestoreRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RestoreStatus.PENDING:
            return None
        run.status = RestoreStatus.IN_PROGRESS
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    return run


def _restore_source(run: RestoreRun):
    """What the engine reads: the stored backup, or the uploaded file (a path when the
    storage has one, else an open file)."""
    if run.backup_id is not None:
        return run.backup
    if not run.upload_name:
        raise ValidationFailed("The uploaded file of this restore is gone: upload it again.", field="file")
    storage = _storage()
    try:
        return Path(storage.path(run.upload_name))
    except NotImplementedError:
        return storage.open(run.upload_name, "rb")


def restore_report_as_dict(report) -> dict[str, Any]:
    """A RestoreReport as JSON for RestoreRun.report and the API."""
    auto_backup = getattr(report, "auto_backup", None)
    return {
        "dry_run": bool(report.dry_run),
        "conflict": report.conflict or "",
        "ok": bool(report.ok),
        "message": report.message or "",
        "models": report.models or {},
        "ledger_ok": report.ledger_ok,
        "auto_backup": auto_backup.pk if auto_backup is not None else None,
    }


def verify_report_as_dict(report) -> dict[str, Any]:
    """A VerifyReport as JSON: the verdict and one line per member."""
    return {
        "ok": bool(report.ok),
        "message": report.message or "",
        "members": [{"name": member.name, "ok": bool(member.ok), "message": member.message or ""}
                    for member in (report.members or [])],
    }


def restore_run_execute(*, run_id: int) -> RestoreRun | None:
    """Run a requested restore. Idempotent: a run that is not PENDING any more is left alone
    (None). The outcome, good or bad, is recorded on the run; nothing is raised."""
    run = _restore_claim(run_id)
    if run is None:
        return None
    fields: dict[str, Any] = {}
    source = None
    refused = False
    try:
        source = _restore_source(run)
        report = backup_restore(source=source, dry_run=run.dry_run, conflict=run.conflict,
                                user=run.created_by, run=run)
    except BackupInvalid as exc:
        refused = True
        verdict = getattr(exc, "report", None)
        fields = {"status": RestoreStatus.FAILED, "error": exc.message,
                  "report": {"verify": verify_report_as_dict(verdict)} if verdict is not None else {}}
    except RestoreFailed as exc:
        partial = getattr(exc, "report", None)
        fields = {"status": RestoreStatus.FAILED, "error": exc.message,
                  "report": restore_report_as_dict(partial) | {"ok": False} if partial is not None else {}}
    except ApplicationError as exc:
        fields = {"status": RestoreStatus.FAILED, "error": exc.message, "report": {}}
    except Exception as exc:
        logger.exception("Restore %s failed", run.pk)
        fields = {"status": RestoreStatus.FAILED, "error": f"{type(exc).__name__}: {exc}"}
    else:
        fields = {"status": RestoreStatus.COMPLETED if report.ok else RestoreStatus.FAILED,
                  "report": restore_report_as_dict(report),
                  "error": "" if report.ok else (report.message or "The restore failed.")}
        if getattr(report, "auto_backup", None) is not None:
            fields["auto_backup"] = report.auto_backup
    finally:
        if source is not None and hasattr(source, "close") and not isinstance(source, (Backup, Path)):
            source.close()
    if refused and run.upload_name:
        # A file that failed verification is of no use to any run: it goes now, not after a day.
        restore_upload_remove(run=run)
    fields["finished_at"] = timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
    return run


def restore_upload_remove(*, run: RestoreRun) -> None:
    """Remove a run's uploaded file from storage; no run refers to it any more."""
    if run.upload_name:
        _upload_delete(run.upload_name)
        RestoreRun.objects.filter(upload_name=run.upload_name).update(upload_name="")
        run.upload_name = ""


# --- restore drill ----------------------------------------------------------------

def backup_drill_newest():
    """Drill the newest completed backup (backup_drill restores it into a scratch database,
    runs the ledger check and compares counts, and records the verdict on the backup).
    When it fails, the Admins get an email. Returns the DrillResult, or None when there is
    no completed backup yet."""
    backup = backup_newest_completed()
    if backup is None:
        return None
    result = backup_drill(backup=backup)
    if not result.ok:
        logger.error("Restore drill of backup %s failed: %s", backup.pk, result.message)
        recipients = admin_emails()
        if recipients:
            send_mail(
                subject=f"Stockroom: the restore drill of backup {backup.pk} failed",
                message=(f"The weekly restore drill restored backup {backup.pk} (taken "
                         f"{timezone.localtime(backup.created_at):%Y-%m-%d %H:%M}) into a scratch database and "
                         f"it did not come back as it should:\n\n{result.message}\n\n"
                         f"Until this is fixed, do not count on this backup. Take a new backup and check it "
                         f"(Verify on the backups page), and look at the worker's log."),
                from_email=None, recipient_list=recipients, fail_silently=False,
            )
    return result


# --- download ---------------------------------------------------------------------

def backup_download_open(*, backup: Backup):
    """The completed backup's file, open for reading. Conflict while it is not completed,
    NotFound when the file is gone from storage."""
    if backup.status == BackupStatus.FAILED:
        raise Conflict(f"Backup {backup.pk} failed, so there is no file: {backup.error}")
    if backup.status != BackupStatus.COMPLETED or not backup.file_name:
        raise Conflict(f"Backup {backup.pk} is not finished yet: download it once it is completed.")
    try:
        return backup_file_open(backup=backup)
    except FileNotFoundError:
        raise NotFound(f"The file of backup {backup.pk} is missing from storage ({backup.file_name}).") from None


def backup_download_name(*, backup: Backup) -> str:
    return Path(backup.file_name).name
