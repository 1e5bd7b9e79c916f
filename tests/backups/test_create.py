import hashlib
import io
import json
import zipfile

import pytest
from django.apps import apps
from django.db import connection, transaction

from backups import crypto
from backups.errors import BackupFailed
from backups.models import Backup, BackupKind, BackupStatus
from backups.sections import EXCLUDED_MODELS, MODEL_SECTIONS, PROJECT_APPS, known_models, model_spec, section_models
from backups.services import backup_create
from backups.services.backups import archive_write
from core.exceptions import ValidationFailed
from inventory.models import StockMovement
from tests.backups import ALL_SECTIONS, backup_dir, member_hashes, populate  # noqa: F401

pytestmark = pytest.mark.django_db


def _project_models() -> set[str]:
    labels = set()
    for app_label in PROJECT_APPS:
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            if not model._meta.proxy:
                labels.add(model._meta.label_lower)
    return labels


@pytest.mark.smoke
def test_sections_every_project_model_is_in_a_section_or_excluded():
    placed = set(known_models())
    missing = _project_models() - placed - set(EXCLUDED_MODELS)
    assert not missing, f"models in no backup section: {sorted(missing)} (add them to backups/sections.py)"
    assert not placed & set(EXCLUDED_MODELS)
    assert len(placed) == len(MODEL_SECTIONS)


@pytest.mark.smoke
def test_sections_every_field_has_an_encoding():
    for label in known_models():
        spec = model_spec(label)
        assert len(spec.kinds) == len(spec.columns) > 1


@pytest.mark.smoke
def test_sections_restore_order_puts_referenced_models_first():
    order = known_models()
    for position, label in enumerate(order):
        for fk in model_spec(label).foreign_keys():
            if fk.target in order and fk.target != label:
                assert order.index(fk.target) < position, f"{label}.{fk.column} refers to {fk.target}, which is later"


@pytest.mark.smoke
def test_sections_users_left_out_by_default_and_stock_holds_import_jobs():
    default = section_models(["catalogue", "stock", "purchasing", "orders"])
    assert "auth.user" not in default
    assert {"inventory.stockmovement", "dataio.importjob", "dataio.importchange", "core.sequence"} <= set(default)
    assert "backups.backup" not in known_models()


@pytest.mark.smoke
def test_backup_create_writes_a_complete_archive(backup_dir, admin_user):
    data = populate(user=admin_user)
    backup = backup_create(sections=ALL_SECTIONS, user=admin_user)

    assert backup.status == BackupStatus.COMPLETED
    assert backup.kind == BackupKind.MANUAL and backup.created_by == admin_user
    path = backup_dir / backup.file_name
    assert backup.file_name.startswith("backup-") and backup.file_name.endswith(f"-{backup.pk}.srbk")
    content = path.read_bytes()
    assert backup.size == len(content)
    assert backup.checksum == hashlib.sha256(content).hexdigest()
    assert backup.counts["inventory.variant"] == 3
    assert backup.counts["inventory.stockmovement"] == StockMovement.objects.count() == 8
    assert backup.counts["auth.user"] == 1
    assert backup.duration_seconds is not None and backup.finished_at is not None
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        variants = [json.loads(line) for line in archive.read("inventory.variant.ndjson").splitlines()]
    assert manifest["format_version"] == 1 and manifest["sections"] == ALL_SECTIONS
    assert "0001_initial" in manifest["migrations"]["inventory"]
    assert manifest["counts"] == backup.counts
    assert [row["id"] for row in variants] == sorted(row["id"] for row in variants)
    tee = next(row for row in variants if row["sku"] == "TEE-M")
    assert tee["attributes"]["notes"] == 'a "quoted"\nline'
    assert tee["product_id"] == data["tee"].product_id
    assert set(tee) == {field.column for field in data["tee"]._meta.concrete_fields}


@pytest.mark.smoke
def test_backup_create_same_data_gives_the_same_member_hashes(backup_dir):
    populate()
    first = backup_create()
    second = backup_create()
    assert member_hashes(backup_dir / first.file_name) == member_hashes(backup_dir / second.file_name)
    assert "auth.user" not in first.counts


@pytest.mark.smoke
def test_backup_create_encrypts_with_the_key(backup_dir, settings):
    populate()
    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    backup = backup_create()
    assert backup.encrypted and backup.file_name.endswith(".srbk.enc")
    content = (backup_dir / backup.file_name).read_bytes()
    assert content.startswith(crypto.MAGIC)
    assert b"TEE-M" not in content
    assert backup.checksum == hashlib.sha256(content).hexdigest()


@pytest.mark.smoke
def test_backup_create_refuses_unknown_section(backup_dir):
    with pytest.raises(ValidationFailed) as caught:
        backup_create(sections=["catalogue", "everything"])
    assert caught.value.field == "sections" and "everything" in caught.value.message
    assert not Backup.objects.exists()


@pytest.mark.smoke
def test_backup_create_failure_marks_the_backup_failed(backup_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("backups.services.backups.archive_write", broken)
    with pytest.raises(BackupFailed) as caught:
        backup_create()
    backup = Backup.objects.get()
    assert backup.status == BackupStatus.FAILED and backup.error == "disk full"
    assert "disk full" in caught.value.message
    assert list(backup_dir.iterdir()) == []


@pytest.mark.smoke
def test_backup_create_bad_key_fails_clearly(backup_dir, settings):
    settings.BACKUP_ENCRYPTION_KEY = "not-a-key"
    with pytest.raises(BackupFailed):
        backup_create()
    assert "BACKUP_ENCRYPTION_KEY" in Backup.objects.get().error


def test_backup_create_takes_a_pending_backup(backup_dir):
    populate()
    pending = Backup.objects.create(kind=BackupKind.SCHEDULED, sections=["catalogue"], schedule_slot="daily:x")
    backup = backup_create(backup=pending)
    assert backup.pk == pending.pk and backup.status == BackupStatus.COMPLETED
    assert set(backup.counts) == {"inventory.category", "inventory.product", "inventory.variant",
                                  "inventory.location"}
    # Run again (a retried task): nothing new is written.
    assert backup_create(backup=backup).file_name == backup.file_name
    assert len(list(backup_dir.iterdir())) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_archive_write_postgresql_path_equals_generic_path(admin_user):
    populate(user=admin_user)
    fast, generic = io.BytesIO(), io.BytesIO()
    fast_manifest = archive_write(fast, sections=ALL_SECTIONS, fast=True)
    generic_manifest = archive_write(generic, sections=ALL_SECTIONS, fast=False)
    assert fast_manifest["members"] == generic_manifest["members"]
    assert fast_manifest["counts"] == generic_manifest["counts"]
    with zipfile.ZipFile(fast) as one, zipfile.ZipFile(generic) as other:
        for name in one.namelist():
            if name != "manifest.json":
                assert one.read(name) == other.read(name), name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_copy_out_reports_errors_and_leaves_the_connection_usable():
    from django.db import DatabaseError

    from backups.services.backups import _copy_out

    rows = b"".join(_copy_out("COPY (SELECT g FROM generate_series(1, 5000) g) TO STDOUT"))
    assert rows.splitlines() == [str(n).encode() for n in range(1, 5001)]
    with pytest.raises(DatabaseError, match="division by zero"):
        with transaction.atomic():
            list(_copy_out("COPY (SELECT 1 / (g - 3000) FROM generate_series(1, 5000) g) TO STDOUT"))
    # A reader that stops early leaves the connection out of COPY mode.
    batches = _copy_out("COPY (SELECT g FROM generate_series(1, 10000) g) TO STDOUT")
    assert next(batches)
    batches.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)
