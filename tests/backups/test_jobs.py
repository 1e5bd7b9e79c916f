"""Backup and restore requests: recorded, run once after commit, refused with a clear reason."""
import pytest
from django.db import connection
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from backups.errors import ConflictPolicyRequired
from backups.models import Backup, BackupKind, BackupStatus, RestoreRun, RestoreStatus
from backups.services.jobs import (
    backup_delete,
    backup_drill_newest,
    backup_request,
    backup_run,
    restore_request,
)
from core.exceptions import Conflict, ValidationFailed
from inventory.models import StockMovement, Variant
from tests.backups import backup_dir, empty_tables, populate  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(backup_dir):
    return populate()


def _take(capture, **kwargs) -> Backup:
    with capture(execute=True):
        backup = backup_request(**kwargs)
    backup.refresh_from_db()
    return backup


def test_backup_request_records_pending_and_takes_it_after_commit(data, backup_dir, admin_user,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        backup = backup_request(sections=["stock", "catalogue"], user=admin_user)
        assert backup.status == BackupStatus.PENDING
        assert backup.sections == ["catalogue", "stock"]  # canonical order
    assert len(callbacks) == 1
    callbacks[0]()  # the task (eager in tests)

    backup.refresh_from_db()
    assert backup.status == BackupStatus.COMPLETED, backup.error
    assert (backup.kind, backup.created_by) == (BackupKind.MANUAL, admin_user)
    assert backup.counts["inventory.variant"] == 3
    assert backup.counts["inventory.stockmovement"] == StockMovement.objects.count()
    assert "orders.salesorder" not in backup.counts
    assert (backup_dir / backup.file_name).stat().st_size == backup.size > 0


def test_backup_request_unknown_section_names_it_and_records_nothing(backup_dir):
    with pytest.raises(ValidationFailed) as error:
        backup_request(sections=["catalogue", "everything"])

    assert error.value.field == "sections"
    assert "'everything'" in error.value.message
    assert not Backup.objects.exists()


def test_backup_run_twice_takes_the_backup_once(data, backup_dir):
    backup = backup_request(sections=["catalogue"])  # its task never runs here: on_commit is not executed

    first = backup_run(backup_id=backup.pk)
    second = backup_run(backup_id=backup.pk)

    assert first.status == BackupStatus.COMPLETED
    assert second is None
    assert [path.name for path in backup_dir.iterdir()] == [first.file_name]


def test_backup_delete_removes_the_file_and_the_row(data, backup_dir, django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue"])
    assert (backup_dir / backup.file_name).exists()

    with django_capture_on_commit_callbacks(execute=True):
        backup_delete(backup=backup)

    assert not Backup.objects.filter(pk=backup.pk).exists()
    assert not (backup_dir / backup.file_name).exists()


def test_backup_delete_refuses_a_backup_being_taken(backup_dir):
    backup = Backup.objects.create(status=BackupStatus.IN_PROGRESS)

    with pytest.raises(Conflict):
        backup_delete(backup=backup)

    assert Backup.objects.filter(pk=backup.pk).exists()


def test_restore_request_bad_conflict_value_names_the_field(data, django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue"])

    with pytest.raises(ValidationFailed) as error:
        restore_request(backup=backup, dry_run=False, conflict="merge")

    assert error.value.field == "conflict" and "'merge'" in error.value.message
    assert not RestoreRun.objects.exists()


def test_restore_request_refuses_a_backup_that_is_not_completed(backup_dir):
    backup = Backup.objects.create(status=BackupStatus.FAILED, error="disk full")

    with pytest.raises(Conflict) as error:
        restore_request(backup=backup, dry_run=True)

    assert "only a completed backup" in error.value.message
    assert not RestoreRun.objects.exists()


def test_restore_request_real_restore_over_data_needs_the_policy(data, django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue", "stock"])
    before = StockMovement.objects.count()

    with pytest.raises(ConflictPolicyRequired) as error:
        restore_request(backup=backup, dry_run=False, conflict=None)

    assert error.value.field == "conflict"
    assert "inventory.variant" in error.value.details["models"]
    assert not RestoreRun.objects.exists()
    assert StockMovement.objects.count() == before
    assert Backup.objects.count() == 1  # no automatic backup either


def test_restore_request_dry_run_reports_per_model_and_changes_nothing(data, admin_user,
                                                                       django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue", "stock"])
    Variant.objects.filter(sku="TEE-M").update(attributes={"size": "L"})

    with django_capture_on_commit_callbacks(execute=True):
        run = restore_request(backup=backup, dry_run=True, user=admin_user)

    run.refresh_from_db()
    assert run.status == RestoreStatus.COMPLETED, run.error
    variants = run.report["models"]["inventory.variant"]
    assert (variants["unchanged"], variants["conflict"], variants["create"]) == (2, 1, 0)
    assert run.report["ok"] is True and run.report["dry_run"] is True
    assert run.created_by == admin_user and run.auto_backup is None
    assert Variant.objects.get(sku="TEE-M").attributes == {"size": "L"}  # a preview changes nothing


def test_restore_request_uploaded_garbage_fails_the_run_and_removes_the_file(data, backup_dir,
                                                                            django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("backup.srbk", b"this is not a backup at all\n" * 100)
    before = StockMovement.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        run = restore_request(upload=upload, dry_run=False, conflict="overwrite")

    run.refresh_from_db()
    assert run.status == RestoreStatus.FAILED
    assert run.error.startswith("The backup did not pass verification")
    assert run.original_name == "backup.srbk" and run.upload_name == ""
    assert list((backup_dir / "uploads").iterdir()) == []  # a refused file goes at once
    assert StockMovement.objects.count() == before
    assert not Backup.objects.exists()  # refused before any automatic backup


class _BrokenUpload(SimpleUploadedFile):
    """An upload whose reading fails halfway (a full disk, a broken temporary file)."""

    def chunks(self, chunk_size=None):
        yield b"PK\x03\x04 the first half"
        raise OSError("No space left on device")


def test_restore_request_upload_that_fails_to_store_leaves_no_file(data, backup_dir):
    with pytest.raises(OSError, match="No space left"):
        restore_request(upload=_BrokenUpload("big.srbk", b"x" * 100), dry_run=True)

    assert not RestoreRun.objects.exists()
    assert list((backup_dir / "uploads").iterdir()) == []


def test_restore_request_uploaded_archive_restores_an_empty_database_then_again_from_the_run(
        data, backup_dir, django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue", "stock", "purchasing", "orders"])
    content = (backup_dir / backup.file_name).read_bytes()
    movements = StockMovement.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # deferred foreign key checks first, or TRUNCATE refuses
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    empty_tables()

    with django_capture_on_commit_callbacks(execute=True):
        preview = restore_request(upload=SimpleUploadedFile("mine.srbk", content), dry_run=True)
    preview.refresh_from_db()
    assert preview.status == RestoreStatus.COMPLETED, preview.error
    assert preview.report["models"]["inventory.stockmovement"]["create"] == movements
    assert StockMovement.objects.count() == 0

    # The real restore of the same upload, from the preview's page: no policy needed, nothing is there.
    with django_capture_on_commit_callbacks(execute=True):
        run = restore_request(from_run=preview, dry_run=False)
    run.refresh_from_db()
    assert run.status == RestoreStatus.COMPLETED, run.error
    assert run.upload_name == preview.upload_name
    assert run.report["ledger_ok"] is True
    assert run.auto_backup is not None and run.auto_backup.kind == BackupKind.AUTO
    assert StockMovement.objects.count() == movements
    assert set(Variant.objects.values_list("sku", flat=True)) == {"TEE-M", "MUG-1", "CAP-Ö"}


def test_backup_drill_newest_passes_quietly(data, admin_user, django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue", "stock"])

    result = backup_drill_newest()

    backup.refresh_from_db()
    assert result.ok and backup.drill_ok is True
    assert mail.outbox == []


def test_backup_drill_newest_emails_the_admins_when_it_fails(data, backup_dir, admin_user, manager_user,
                                                             django_capture_on_commit_callbacks):
    backup = _take(django_capture_on_commit_callbacks, sections=["catalogue"])
    (backup_dir / backup.file_name).unlink()  # the file is gone: the drill cannot restore it

    result = backup_drill_newest()

    backup.refresh_from_db()
    assert not result.ok and backup.drill_ok is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [admin_user.email]  # Admins only, not the manager
    assert f"backup {backup.pk} failed" in message.subject
    assert result.message in message.body


def test_backup_drill_newest_without_a_completed_backup_does_nothing(backup_dir):
    Backup.objects.create(status=BackupStatus.FAILED)

    assert backup_drill_newest() is None
    assert mail.outbox == []
