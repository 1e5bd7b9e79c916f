"""Restore drill: restore a backup somewhere harmless, check it, throw the result away.

On PostgreSQL the backup is loaded into a scratch schema (each table created LIKE the real
one) inside a transaction that is always rolled back; on SQLite the real tables are emptied
and reloaded inside a transaction that is always rolled back. Either way the ledger check
runs on the restored rows and the row counts are compared with the manifest.
"""
import logging
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from backups.archive import ArchiveError, open_archive
from backups.models import Backup
from backups.sections import model_spec
from backups.services.restore import archive_load
from backups.services.verify import backup_verify_record
from inventory.services import ledger_verify

logger = logging.getLogger(__name__)


@dataclass
class DrillResult:
    ok: bool
    message: str


class _Discard(Exception):
    """Leaves the drill's transaction, rolling everything back."""


def _prepare_postgresql(labels: list[str]) -> None:
    q = connection.ops.quote_name
    schema = f"backup_drill_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (base,) = cursor.fetchone()
        cursor.execute(f"CREATE SCHEMA {q(schema)}")
        for label in labels:
            table = q(model_spec(label).table)
            cursor.execute(f"CREATE TABLE {q(schema)}.{table} (LIKE {q(base)}.{table} INCLUDING ALL)")
        cursor.execute(f"SET LOCAL search_path TO {q(schema)}, {q(base)}")


def _prepare_generic(labels: list[str]) -> None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for label in reversed(labels):
            cursor.execute(f"DELETE FROM {q(model_spec(label).table)}")


def _count(label: str) -> int:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {q(model_spec(label).table)}")
        return cursor.fetchone()[0]


def _drill(reader) -> DrillResult:
    labels = reader.member_labels()
    counts = reader.manifest["counts"]
    result = DrillResult(False, "the drill did not finish")
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _prepare_postgresql(labels)
            else:
                _prepare_generic(labels)
            archive_load(reader, labels=labels, conflict=None, apply=True)
            restored = {label: _count(label) for label in labels}
            wrong = [f"{label}: {restored[label]} rows restored, the manifest counts {counts[label]}"
                     for label in labels if restored[label] != counts[label]]
            mismatches = ledger_verify()
            if wrong:
                result = DrillResult(False, "Row counts differ: " + "; ".join(wrong[:5]))
            elif mismatches:
                result = DrillResult(False, f"The ledger check failed on the restored data: {len(mismatches)} levels "
                                            f"disagree, e.g. {mismatches[0].describe()}")
            else:
                rows = sum(counts[label] for label in labels)
                result = DrillResult(True, f"Restored {rows} rows of {len(labels)} models into a scratch "
                                           "area; counts match and the ledger check passed.")
            raise _Discard
    except _Discard:
        pass
    return result


def backup_drill(*, backup: Backup) -> DrillResult:
    """Restore `backup` into a scratch place, check counts and the ledger, record the verdict on it."""
    try:
        with open_archive(backup) as reader:
            verify = reader.verify()
            backup_verify_record(backup=backup, report=verify)
            if not verify.ok:
                result = DrillResult(False, f"The backup did not pass verification: {verify.message}")
            else:
                result = _drill(reader)
    except ArchiveError as error:
        result = DrillResult(False, f"The backup did not pass verification: {error}")
    except Exception as error:  # any failure is the drill's verdict, recorded on the backup
        logger.exception("restore drill of backup %s failed", backup.pk)
        result = DrillResult(False, f"The drill failed: {error}")
    backup.drill_at = timezone.now()
    backup.drill_ok = result.ok
    backup.drill_message = result.message[:5000]
    Backup.objects.filter(pk=backup.pk).update(drill_at=backup.drill_at, drill_ok=backup.drill_ok,
                                               drill_message=backup.drill_message)
    return result
