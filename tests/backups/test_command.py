"""manage.py backup create|list|verify|restore: outputs and exit codes."""
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from backups.models import Backup, BackupKind, BackupStatus
from inventory.models import StockMovement, Variant
from tests.backups import backup_dir, populate  # noqa: F401

pytestmark = pytest.mark.django_db


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("backup", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def data(backup_dir):
    return populate()


def test_backup_create_prints_the_archive_path_last(data, backup_dir):
    out, _ = _run("create", "--sections", "stock", "catalogue")

    backup = Backup.objects.get()
    assert (backup.kind, backup.status, backup.sections) == (BackupKind.MANUAL, BackupStatus.COMPLETED,
                                                             ["catalogue", "stock"])
    lines = out.strip().splitlines()
    assert lines[-1] == str(backup_dir / backup.file_name)
    assert Path(lines[-1]).is_file()
    assert lines[0].startswith(f"Backup {backup.pk} completed:")


def test_backup_create_unknown_section_is_refused(backup_dir):
    with pytest.raises(CommandError) as error:
        _run("create", "--sections", "catalogue", "gold")

    assert "'gold'" in str(error.value) and error.value.returncode == 1
    assert not Backup.objects.exists()


def test_backup_list_prints_a_table(data, backup_dir):
    _run("create", "--sections", "catalogue")
    failed = Backup.objects.create(status=BackupStatus.FAILED)

    out, _ = _run("list")

    lines = out.strip().splitlines()
    assert lines[0].split() == ["ID", "KIND", "STATUS", "CREATED", "SIZE", "FILE"]
    backup = Backup.objects.exclude(pk=failed.pk).get()
    assert lines[1].split()[:3] == [str(failed.pk), "MANUAL", "FAILED"]
    assert lines[2].split()[:3] == [str(backup.pk), "MANUAL", "COMPLETED"] and lines[2].endswith(backup.file_name)


def test_backup_verify_by_id_and_by_path(data, backup_dir):
    _run("create", "--sections", "catalogue")
    backup = Backup.objects.get()

    out, _ = _run("verify", str(backup.pk))
    assert "OK   inventory.variant.ndjson  3 rows, checksum OK" in out
    assert out.strip().splitlines()[-1].startswith("OK: ")

    path = backup_dir / backup.file_name
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CommandError) as error:
        _run("verify", str(path))
    assert str(error.value).startswith("Invalid:") and error.value.returncode == 1


def test_backup_verify_unknown_source_is_refused(backup_dir):
    with pytest.raises(CommandError, match="No backup with id 4242"):
        _run("verify", "4242")
    with pytest.raises(CommandError, match="No such file"):
        _run("verify", "/nonexistent/backup.srbk")


def test_backup_restore_dry_run_prints_the_report_and_changes_nothing(data, backup_dir):
    _run("create", "--sections", "catalogue", "stock")
    backup = Backup.objects.get()
    Variant.objects.filter(sku="CAP-Ö").update(attributes={"brim": "flat"})

    out, _ = _run("restore", str(backup.pk), "--dry-run")

    lines = out.strip().splitlines()
    assert lines[0].split() == ["MODEL", "CREATE", "UPDATE", "UNCHANGED", "CONFLICT"]
    variant_row = next(line for line in lines if line.startswith("inventory.variant "))
    assert variant_row.split() == ["inventory.variant", "0", "0", "2", "1"]
    assert lines[-1].startswith("Dry run: ")
    assert Variant.objects.get(sku="CAP-Ö").attributes == {"brim": "flat"}


def test_backup_restore_refuses_without_policy_then_overwrites(data, backup_dir):
    _run("create", "--sections", "catalogue", "stock")
    backup = Backup.objects.get()
    Variant.objects.filter(sku="CAP-Ö").update(attributes={"brim": "flat"})

    with pytest.raises(CommandError, match="already holds data") as error:
        _run("restore", str(backup.pk))
    assert error.value.returncode == 1
    assert Backup.objects.count() == 1  # refused before the automatic backup

    out, _ = _run("restore", str(backup.pk), "--conflict", "overwrite")
    assert "Ledger check: clean." in out and out.strip().splitlines()[-1].startswith("Restored")
    assert Variant.objects.get(sku="CAP-Ö").attributes == {}
    assert Backup.objects.filter(kind=BackupKind.AUTO).count() == 1


def test_backup_restore_of_a_corrupt_file_lists_the_bad_members_and_exits_1(data, backup_dir, tmp_path):
    garbage = tmp_path / "old.srbk"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    movements = StockMovement.objects.count()

    with pytest.raises(CommandError, match="did not pass verification"):
        _run("restore", str(garbage), "--conflict", "skip")

    assert StockMovement.objects.count() == movements


def test_backup_command_verify_exit_code_from_the_command_line(data, backup_dir, tmp_path, capsys):
    """As `manage.py backup verify FILE` runs it: a corrupt file exits with status 1 and the
    reason on stderr; a good one exits normally."""
    _run("create", "--sections", "catalogue")
    good = backup_dir / Backup.objects.get().file_name
    bad = tmp_path / "bad.srbk"
    bad.write_bytes(good.read_bytes()[:-50])

    execute_from_command_line(["manage.py", "backup", "verify", str(good)])
    assert "OK: " in capsys.readouterr().out

    with pytest.raises(SystemExit) as exit_status:
        execute_from_command_line(["manage.py", "backup", "verify", str(bad)])

    assert exit_status.value.code == 1
    captured = capsys.readouterr()
    assert "Invalid:" in captured.err and "BAD" in captured.out
