"""Verifying a backup file: manifest, checksums, decryption, migration compatibility."""
from typing import Any

from django.utils import timezone

from backups.archive import ArchiveError, MemberVerdict, VerifyReport, open_archive
from backups.models import Backup


def archive_verify(reader) -> VerifyReport:
    return reader.verify()


def backup_verify(*, source: Any) -> VerifyReport:
    """Check a backup (a Backup, a path or a binary file object) and give a verdict per member.

    When `source` is a Backup, the verdict is recorded on it (verified_at, verify_ok, verify_message).
    """
    try:
        with open_archive(source) as reader:
            report = reader.verify()
    except ArchiveError as error:
        report = VerifyReport(ok=False, message=str(error), manifest=None,
                              members=[MemberVerdict("file", False, str(error))])
    if isinstance(source, Backup):
        backup_verify_record(backup=source, report=report)
    return report


def backup_verify_record(*, backup: Backup, report: VerifyReport) -> None:
    backup.verified_at = timezone.now()
    backup.verify_ok = report.ok
    backup.verify_message = report.message[:5000]
    Backup.objects.filter(pk=backup.pk).update(verified_at=backup.verified_at, verify_ok=backup.verify_ok,
                                               verify_message=backup.verify_message)
