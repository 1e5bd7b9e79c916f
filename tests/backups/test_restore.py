import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from backups.errors import ConflictPolicyRequired, RestoreFailed
from backups.models import Backup, BackupKind, RestoreRun, RestoreStatus
from backups.sections import section_models
from backups.services import backup_create, backup_drill, backup_restore
from backups.services import restore as restore_module
from inventory.models import StockLevel, StockMovement, Variant
from inventory.services import ledger_verify, stock_adjust
from purchasing.models import PurchaseOrder
from tests.backups import (ALL_SECTIONS, backup_dir, empty_tables, fingerprint, member_hashes,  # noqa: F401
                           populate)

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["default", "rebuild", "generic"])
def loader_path(request, monkeypatch):
    """Restore through the database's own path (also with the index and foreign key rebuild
    that large tables get), and through the generic path: same results."""
    if request.param != "default" and connection.vendor != "postgresql":
        pytest.skip("on SQLite the default path is the generic one")
    if request.param == "rebuild":
        monkeypatch.setattr(restore_module, "BULK_ROWS", 1)
    if request.param == "generic":
        monkeypatch.setattr(restore_module, "restore_loader", lambda fast=None: restore_module.GenericLoader())
    return request.param


def _schema() -> list:
    """Indexes and constraints of the tables a backup covers (PostgreSQL), to show a restore
    leaves them as they were."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                       "WHERE indrelid::regclass::text LIKE ANY (%s) "
                       "UNION ALL SELECT conname, pg_get_constraintdef(oid) || convalidated::text FROM pg_constraint "
                       "WHERE conrelid::regclass::text LIKE ANY (%s) ORDER BY 1, 2",
                       [["inventory_%", "purchasing_%", "orders_%"]] * 2)
        return cursor.fetchall()


@pytest.mark.smoke
def test_backup_restore_round_trip_into_an_empty_database(backup_dir, admin_user, loader_path):
    data = populate(user=admin_user)
    password = admin_user.password
    original = backup_create(sections=ALL_SECTIONS)
    original_path = backup_dir / original.file_name
    original_hashes = member_hashes(original_path)
    last_movement = StockMovement.objects.order_by("-id").values_list("id", flat=True).first()

    empty_tables()
    assert not StockMovement.objects.exists() and not get_user_model().objects.exists()
    schema = _schema()
    report = backup_restore(source=original_path, dry_run=False)
    assert _schema() == schema

    assert report.ok and report.ledger_ok is True
    assert report.models["inventory.stockmovement"]["create"] == 8
    assert report.totals()["conflict"] == 0 and report.totals()["unchanged"] <= 4  # the role groups
    assert report.auto_backup is not None and report.auto_backup.kind == BackupKind.AUTO
    assert ledger_verify() == []
    restored = backup_create(sections=ALL_SECTIONS)
    assert member_hashes(backup_dir / restored.file_name) == original_hashes

    # Passwords and roles survive; new rows get fresh ids and numbers.
    admin = get_user_model().objects.get(username="admin")
    assert admin.password == password and admin.groups.filter(name="Admin").exists()
    tee = Variant.objects.get(sku="TEE-M")
    change = stock_adjust(variant=tee, location=data["main"], quantity=1, type="RESTOCK", reason="After restore")
    assert change.movement.pk == last_movement + 1
    assert StockLevel.objects.get(variant=tee, location=data["main"]).on_hand == 35 + 6 + 1
    from purchasing.services.orders import PurchaseLineRequest, purchase_order_create

    order = purchase_order_create(supplier=data["supplier"], lines=[PurchaseLineRequest(variant=tee, quantity=1)])
    assert order.number == "PO-000002"
    assert PurchaseOrder.objects.count() == 2


@pytest.mark.smoke
def test_backup_restore_needs_a_policy_when_the_database_holds_data(backup_dir):
    populate()
    backup = backup_create()
    before = fingerprint()
    with pytest.raises(ConflictPolicyRequired) as caught:
        backup_restore(source=backup, dry_run=False)
    assert caught.value.field == "conflict" and "inventory.category" in caught.value.message
    assert fingerprint() == before
    assert not Backup.objects.filter(kind=BackupKind.AUTO).exists()


@pytest.mark.smoke
def test_backup_restore_dry_run_previews_and_changes_nothing(backup_dir):
    data = populate()
    backup = backup_create()
    Variant.objects.filter(sku="TEE-M").update(barcode="RENAMED")
    Variant.objects.filter(sku="CAP-Ö").update(barcode="999")
    from purchasing.models import ReorderRule as Rule

    Rule.objects.all().delete()
    before = fingerprint()

    report = backup_restore(source=backup, dry_run=True, conflict="overwrite")

    assert fingerprint() == before
    variants = report.models["inventory.variant"]
    assert variants["conflict"] == 2 and variants["update"] == 2 and variants["unchanged"] == 1
    assert sorted(variants["conflicts"]) == sorted([data["tee"].pk, data["cap"].pk])
    assert report.models["purchasing.reorderrule"]["create"] == 1
    assert report.models["inventory.stockmovement"]["unchanged"] == 8
    # With a policy the preview loads for real and rolls back, so it has checked the ledger too.
    assert report.dry_run and report.auto_backup is None and report.ledger_ok is True and report.ok
    assert report.message.startswith("Dry run") and "2 rows conflict" in report.message
    assert not Backup.objects.filter(kind=BackupKind.AUTO).exists()

    skip = backup_restore(source=backup, dry_run=True, conflict="skip")
    assert skip.models["inventory.variant"]["update"] == 0 and skip.models["inventory.variant"]["conflict"] == 2
    preview = backup_restore(source=backup, dry_run=True)
    assert preview.models["inventory.variant"]["conflict"] == 2


@pytest.mark.smoke
def test_backup_restore_skip_keeps_and_overwrite_takes(backup_dir):
    data = populate()
    backup = backup_create()
    Variant.objects.filter(sku="TEE-M").update(barcode="RENAMED")
    Variant.objects.filter(sku="MUG-1").update(attributes={"ml": 500})

    report = backup_restore(source=backup, dry_run=False, conflict="skip")
    assert report.models["inventory.variant"]["conflict"] == 2 and report.models["inventory.variant"]["update"] == 0
    assert Variant.objects.get(sku="TEE-M").barcode == "RENAMED"
    assert report.auto_backup.kind == BackupKind.AUTO and report.ledger_ok is True

    report = backup_restore(source=backup, dry_run=False, conflict="overwrite")
    assert report.models["inventory.variant"]["update"] == 2
    assert Variant.objects.get(sku="TEE-M").barcode == data["tee"].barcode
    assert Variant.objects.get(sku="MUG-1").attributes == data["mug"].attributes
    again = backup_create()
    assert member_hashes(backup_dir / again.file_name) == member_hashes(backup_dir / backup.file_name)


@pytest.mark.smoke
def test_backup_restore_rolls_back_when_the_ledger_check_fails(backup_dir):
    data = populate()
    backup = backup_create()
    # A movement after the backup: overwriting the levels with the backup's quantities would
    # leave this movement unaccounted for, so the ledger check fails.
    stock_adjust(variant=data["tee"], location=data["main"], quantity=3, type="RESTOCK", reason="Late delivery")
    Variant.objects.filter(sku="TEE-M").update(barcode="RENAMED")
    before = fingerprint()
    # The preview says so first, changing nothing.
    preview = backup_restore(source=backup, dry_run=True, conflict="overwrite")
    assert not preview.ok and preview.ledger_ok is False
    assert preview.message.startswith("A restore would fail: the ledger check fails")
    assert "restore it into an empty database" in preview.message
    assert fingerprint() == before
    with pytest.raises(RestoreFailed, match="ledger check fails") as caught:
        backup_restore(source=backup, dry_run=False, conflict="overwrite")
    assert "Stock has moved since this backup was taken" in caught.value.message
    assert fingerprint() == before
    assert Variant.objects.get(sku="TEE-M").barcode == "RENAMED"


@pytest.mark.smoke
def test_backup_restore_rolls_back_a_failure_midway(backup_dir, monkeypatch):
    populate()
    backup = backup_create(sections=ALL_SECTIONS)
    empty_tables(["inventory.stockmovement", "purchasing.receiptline", "dataio.importchange"])
    Variant.objects.filter(sku="TEE-M").update(barcode="RENAMED")
    before = fingerprint()
    real = restore_module.archive_load
    loaded = []

    def load_then_fail(reader, *, labels, **kwargs):
        result = real(reader, labels=labels[: labels.index("inventory.stocklevel") + 1], **kwargs)
        loaded.extend(result)
        raise RuntimeError("power cut")

    monkeypatch.setattr(restore_module, "archive_load", load_then_fail)
    run = RestoreRun.objects.create(backup=backup, dry_run=False, conflict="overwrite")
    with pytest.raises(RestoreFailed, match="power cut"):
        backup_restore(source=backup, dry_run=False, conflict="overwrite", run=run)
    assert "inventory.variant" in loaded
    assert fingerprint() == before
    run.refresh_from_db()
    assert run.status == RestoreStatus.FAILED and "power cut" in run.error


@pytest.mark.smoke
def test_backup_restore_without_users_clears_references_to_missing_users(backup_dir):
    from tests.factories import UserFactory

    gone = UserFactory(username="gone")
    populate(user=gone)
    backup = backup_create()  # users are not in the default sections
    sections = json.loads(zipfile.ZipFile(backup_dir / backup.file_name).read("manifest.json"))["sections"]
    assert "users" not in sections
    empty_tables(section_models(sections))
    gone.delete()
    report = backup_restore(source=backup_dir / backup.file_name, dry_run=False)
    assert report.models["inventory.stockmovement"]["nulled"] == {"user_id": 8}
    assert "set to empty" in report.message
    assert not StockMovement.objects.filter(user__isnull=False).exists()
    assert StockMovement.objects.count() == 8 and ledger_verify() == []


@pytest.mark.smoke
def test_backup_restore_from_an_uploaded_file_records_the_run(backup_dir):
    populate()
    backup = backup_create()
    content = (backup_dir / backup.file_name).read_bytes()
    run = RestoreRun.objects.create(original_name="upload.srbk")
    report = backup_restore(source=io.BytesIO(content), dry_run=True, run=run)
    run.refresh_from_db()
    assert run.status == RestoreStatus.COMPLETED and run.dry_run
    assert run.report["models"]["inventory.variant"]["unchanged"] == 3
    assert run.report["totals"] == report.totals()


@pytest.mark.smoke
def test_backup_restore_refuses_an_unknown_policy(backup_dir):
    backup = backup_create()
    with pytest.raises(Exception) as caught:
        backup_restore(source=backup, dry_run=False, conflict="merge")
    assert getattr(caught.value, "field", None) == "conflict"


@pytest.mark.smoke
def test_backup_drill_restores_into_scratch_and_records(backup_dir):
    populate()
    backup = backup_create()
    before = fingerprint()
    result = backup_drill(backup=backup)
    assert result.ok, result.message
    assert fingerprint() == before
    backup.refresh_from_db()
    assert backup.drill_ok is True and backup.drill_at is not None and "ledger check passed" in backup.drill_message


@pytest.mark.smoke
def test_backup_drill_reports_a_damaged_backup(backup_dir):
    populate()
    backup = backup_create()
    path = backup_dir / backup.file_name
    path.write_bytes(path.read_bytes()[:-100])
    result = backup_drill(backup=backup)
    assert not result.ok and "truncated" in result.message
    backup.refresh_from_db()
    assert backup.drill_ok is False


@pytest.mark.smoke
def test_backup_drill_fails_when_the_ledger_does_not_add_up(backup_dir, monkeypatch):
    populate()
    backup = backup_create()
    monkeypatch.setattr("backups.services.drill.ledger_verify", lambda: [_Mismatch()])
    result = backup_drill(backup=backup)
    assert not result.ok and "ledger check failed" in result.message


class _Mismatch:
    def describe(self):
        return "level 1: on_hand 5, sum of movements 4"


def test_decimal_values_survive_exactly(backup_dir):
    data = populate()
    PurchaseOrder.objects.filter(pk=data["purchase_order"].pk).update(tax=Decimal("1234567.89"))
    backup = backup_create()
    empty_tables(section_models(backup.sections))
    backup_restore(source=backup_dir / backup.file_name, dry_run=False)
    assert PurchaseOrder.objects.get().tax == Decimal("1234567.89")


@pytest.mark.smoke
def test_backup_restore_refuses_rows_whose_required_references_are_missing(backup_dir):
    populate()
    backup = backup_create(sections=["purchasing"])  # supplier items need the catalogue
    empty_tables(section_models(["catalogue", "stock", "purchasing", "orders"]))
    before = fingerprint()
    with pytest.raises(RestoreFailed) as caught:
        backup_restore(source=backup_dir / backup.file_name, dry_run=False)
    assert "suppliers.supplieritem: 1 rows refer through variant_id to inventory.variant" in caught.value.message
    assert "Nothing was changed" in caught.value.message
    assert fingerprint() == before


def test_backup_restore_preview_with_a_policy_foresees_a_unique_clash(backup_dir):
    """A SKU the backup gives one id and the database another: rows are matched by id, so
    the preview cannot see the clash by comparing; loading for real and rolling back does."""
    data = populate()
    backup = backup_create()
    tee = data["tee"]
    clone = Variant.objects.get(pk=tee.pk)
    Variant.objects.filter(pk=tee.pk).update(sku="TEE-M-OLD")  # it has history: renamed, not deleted
    clone.pk = None
    clone.sku = "TEE-M"
    clone.save()
    before = fingerprint()

    with pytest.raises(RestoreFailed, match="A restore would fail") as caught:
        backup_restore(source=backup, dry_run=True, conflict="overwrite")

    assert "TEE-M" in caught.value.message or "sku" in caught.value.message
    assert fingerprint() == before
