"""Every kind of damaged or foreign file is refused with a clear message, by verify and by
restore, and a refused restore changes nothing."""
import json

import pytest

from backups import crypto
from backups.errors import BackupInvalid
from backups.models import Backup, BackupKind
from backups.services import backup_create, backup_restore, backup_verify
from tests.backups import ALL_SECTIONS, backup_dir, fingerprint, populate, read_archive, write_archive  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(backup_dir, admin_user):
    populate(user=admin_user)
    backup = backup_create(sections=ALL_SECTIONS, user=admin_user)
    return backup_dir / backup.file_name


def _with_manifest(members: dict[str, bytes], change) -> dict[str, bytes]:
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def _bad_checksum(members):
    data = members["inventory.variant.ndjson"]
    return {**members, "inventory.variant.ndjson": data.replace(b"TEE-M", b"TEE-X")}


def _newer(manifest):
    manifest["format_version"] = 99


def _unknown_model(members):
    line = b'{"id":1}\n'
    members = {**members, "inventory.ghost.ndjson": line}

    def add(manifest):
        manifest["members"]["inventory.ghost.ndjson"] = {"model": "inventory.ghost", "columns": ["id"],
                                                         "sha256": "0" * 64, "bytes": len(line)}
        manifest["counts"]["inventory.ghost"] = 1
    return _with_manifest(members, add)


def _lying_counts(manifest):
    manifest["counts"]["inventory.stockmovement"] += 1


def _unknown_migration(manifest):
    manifest["migrations"]["inventory"].append("0999_from_the_future")


def _missing_member(members):
    return {name: data for name, data in members.items() if name != "inventory.stocklevel.ndjson"}


def _extra_member(members):
    return {**members, "notes.txt": b"hello"}


CORRUPTIONS = {
    "bad checksum": (_bad_checksum, "inventory.variant.ndjson: checksum mismatch"),
    "newer format": (lambda m: _with_manifest(m, _newer), "newer version of Stockroom (format 99"),
    "unknown model": (_unknown_model, "inventory.ghost.ndjson: unknown model 'inventory.ghost'"),
    "lying counts": (lambda m: _with_manifest(m, _lying_counts),
                     "inventory.stockmovement.ndjson: holds 8 rows, the manifest counts 9"),
    "unknown migration": (lambda m: _with_manifest(m, _unknown_migration),
                          "migrations this version does not have: inventory.0999_from_the_future"),
    "missing member": (_missing_member, "inventory.stocklevel.ndjson: missing from the archive"),
    "extra member": (_extra_member, "notes.txt: unexpected member"),
}


@pytest.mark.smoke
def test_backup_verify_passes_a_good_backup(original):
    backup = Backup.objects.get()
    report = backup_verify(source=backup)
    assert report.ok, report.message
    assert report.message.startswith("OK: ")
    assert report.manifest["counts"]["inventory.variant"] == 3
    assert all(member.ok for member in report.members)
    assert {member.name for member in report.members} >= {"manifest.json", "inventory.stockmovement.ndjson"}
    backup.refresh_from_db()
    assert backup.verify_ok is True and backup.verified_at is not None


@pytest.mark.smoke
@pytest.mark.parametrize("case", CORRUPTIONS)
def test_backup_verify_and_restore_refuse_a_damaged_archive(original, tmp_path, case):
    damage, message = CORRUPTIONS[case]
    damaged = write_archive(tmp_path / "damaged.srbk", damage(read_archive(original)))
    report = backup_verify(source=damaged)
    assert not report.ok
    assert message in report.message
    assert any(not member.ok and message.split(":")[0] in (member.name + member.message)
               for member in report.members)

    before = fingerprint()
    with pytest.raises(BackupInvalid) as caught:
        backup_restore(source=damaged, dry_run=False, conflict="overwrite")
    assert message in caught.value.message
    assert caught.value.report.ok is False
    assert fingerprint() == before
    assert not Backup.objects.filter(kind=BackupKind.AUTO).exists()


@pytest.mark.smoke
def test_backup_verify_refuses_a_truncated_file(original, tmp_path):
    content = original.read_bytes()
    cut = tmp_path / "cut.srbk"
    cut.write_bytes(content[: len(content) // 2])
    report = backup_verify(source=cut)
    assert not report.ok and "truncated" in report.message
    before = fingerprint()
    with pytest.raises(BackupInvalid, match="truncated"):
        backup_restore(source=cut, dry_run=False, conflict="overwrite")
    assert fingerprint() == before


@pytest.mark.smoke
def test_backup_verify_names_a_damaged_compressed_member(original, tmp_path):
    content = bytearray(original.read_bytes())
    position = content.index(b"inventory.stockmovement.ndjson") + 200
    content[position] ^= 0xFF
    damaged = tmp_path / "flipped.srbk"
    damaged.write_bytes(bytes(content))
    report = backup_verify(source=damaged)
    assert not report.ok
    assert "inventory.stockmovement.ndjson" in report.message


@pytest.mark.smoke
def test_backup_verify_refuses_wrong_or_missing_key(backup_dir, settings, tmp_path):
    populate()
    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    backup = backup_create()
    assert backup_verify(source=backup).ok

    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    report = backup_verify(source=backup)
    assert not report.ok and "different key" in report.message
    backup.refresh_from_db()
    assert backup.verify_ok is False and "different key" in backup.verify_message
    before = fingerprint()
    with pytest.raises(BackupInvalid, match="different key"):
        backup_restore(source=backup, dry_run=False, conflict="overwrite")

    settings.BACKUP_ENCRYPTION_KEY = ""
    report = backup_verify(source=backup)
    assert not report.ok and "BACKUP_ENCRYPTION_KEY is not set" in report.message
    with pytest.raises(BackupInvalid, match="not set"):
        backup_restore(source=backup, dry_run=False, conflict="overwrite")
    assert fingerprint() == before


@pytest.mark.smoke
def test_backup_verify_refuses_a_changed_encrypted_file(backup_dir, settings):
    populate()
    settings.BACKUP_ENCRYPTION_KEY = crypto.generate_key()
    backup = backup_create()
    path = backup_dir / backup.file_name
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 1
    path.write_bytes(bytes(content))
    report = backup_verify(source=backup)
    assert not report.ok and "failed authentication" in report.message


@pytest.mark.smoke
def test_backup_verify_refuses_a_missing_file(backup_dir):
    backup = backup_create()
    (backup_dir / backup.file_name).unlink()
    report = backup_verify(source=backup)
    assert not report.ok and "missing" in report.message


@pytest.mark.smoke
def test_backup_verify_notices_a_stored_file_that_changed(backup_dir, tmp_path):
    populate()
    backup = backup_create()
    other = backup_create(sections=["catalogue"])
    # Another valid archive in its place: readable, but not the file that was taken.
    (backup_dir / backup.file_name).write_bytes((backup_dir / other.file_name).read_bytes())
    report = backup_verify(source=backup)
    assert not report.ok and "has changed since it was taken" in report.message


def _with_member(members: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    """The archive with one member's content replaced, the manifest agreeing (size, hash, rows)."""
    import hashlib

    def agree(manifest):
        manifest["members"][name].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        manifest["counts"][manifest["members"][name]["model"]] = data.count(b"\n")
    return _with_manifest({**members, name: data}, agree)


def _variant_rows(members: dict[str, bytes], attributes: bytes) -> bytes:
    """The variants member with the last row's attributes replaced by raw JSON text."""
    *rows, last = members["inventory.variant.ndjson"].rstrip(b"\n").split(b"\n")
    row = json.loads(last)
    row["attributes"] = "ATTRIBUTES"
    return b"\n".join([*rows, json.dumps(row).encode().replace(b'"ATTRIBUTES"', attributes)]) + b"\n"


def test_backup_verify_and_restore_refuse_a_manifest_nested_too_deeply(original, tmp_path):
    members = read_archive(original)
    deep = write_archive(tmp_path / "deep.srbk", {**members, "manifest.json": b"[" * 100_000 + b"]" * 100_000})

    report = backup_verify(source=deep)

    assert not report.ok
    assert report.message == "manifest.json nests deeper than 8 levels: not a Stockroom backup manifest"
    before = fingerprint()
    with pytest.raises(BackupInvalid, match="manifest.json nests deeper than 8 levels"):
        backup_restore(source=deep, dry_run=False, conflict="overwrite")
    assert fingerprint() == before


def test_backup_verify_refuses_a_row_nested_too_deeply(original, tmp_path):
    from backups.archive import ROW_MAX_DEPTH

    members = read_archive(original)
    rows = members["inventory.variant.ndjson"].count(b"\n")
    # A row is one level; its JSON columns may nest up to the limit, brackets in strings not counting.
    at_limit = b"[" * (ROW_MAX_DEPTH - 1) + b'"]]]]"' + b"]" * (ROW_MAX_DEPTH - 1)
    fine = write_archive(tmp_path / "fine.srbk", _with_member(members, "inventory.variant.ndjson",
                                                               _variant_rows(members, at_limit)))
    deep = write_archive(tmp_path / "deep.srbk", _with_member(members, "inventory.variant.ndjson",
                                                               _variant_rows(members, b"[" * 100_000 + b"]" * 100_000)))

    assert backup_verify(source=fine).ok
    report = backup_verify(source=deep)
    assert not report.ok
    assert f"inventory.variant.ndjson: row {rows} nests deeper than {ROW_MAX_DEPTH} levels" in report.message
    before = fingerprint()
    with pytest.raises(BackupInvalid, match=f"row {rows} nests deeper than {ROW_MAX_DEPTH} levels"):
        backup_restore(source=deep, dry_run=False, conflict="overwrite")
    assert fingerprint() == before
