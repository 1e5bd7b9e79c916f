"""Taking a backup: every chosen table read inside one snapshot, written as a stream."""
import datetime
import hashlib
import importlib.metadata
import logging
import select
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from psycopg import pq

from backups import crypto
from backups.archive import FORMAT_NAME, FORMAT_VERSION, ArchiveWriter
from backups.errors import BackupFailed
from backups.models import Backup, BackupKind, BackupStatus
from backups.sections import ModelSpec, model_spec, row_sql, section_models
from backups.storage import backup_file_save
from backups.validators import backup_sections_clean

logger = logging.getLogger(__name__)

ROWS_PER_WRITE = 2000
GENERIC_CHUNK = 2000


def app_version() -> str:
    try:
        return importlib.metadata.version("stockroom")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _applied_migrations(app_labels: set[str]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    rows = (MigrationRecorder.Migration.objects.filter(app__in=app_labels).order_by("app", "name")
            .values_list("app", "name"))
    for app_label, name in rows:
        applied.setdefault(app_label, []).append(name)
    return applied


def _write_generic(spec: ModelSpec, sink) -> None:
    """Any database: the ORM reads the rows in pk order in chunks, Python encodes them."""
    encoders = spec.encoders()
    attnames = [field.attname for field in spec.fields]
    rows = (spec.model._base_manager.order_by(spec.model._meta.pk.attname).values_list(*attnames)
            .iterator(chunk_size=GENERIC_CHUNK))
    batch: list[str] = []
    for values in rows:
        batch.append(spec.encode_row(values, encoders))
        if len(batch) >= ROWS_PER_WRITE:
            sink.write(("\n".join(batch) + "\n").encode())
            batch = []
    if batch:
        sink.write(("\n".join(batch) + "\n").encode())


def _copy_out(sql: str) -> Iterator[bytes]:
    """The output of a `COPY … TO STDOUT`, in batches of rows, read straight from libpq.

    psycopg's Copy object hands out one row per call through its wait loop, which costs more
    than PostgreSQL takes to produce the row; libpq's blocking read does not.
    """
    with connection.cursor() as cursor:
        conn = cursor.cursor.connection
        if not conn.autocommit and conn.pgconn.transaction_status == pq.TransactionStatus.IDLE:
            # Let psycopg open the transaction, so the COPY runs inside it.
            cursor.execute("SELECT 1")
        with conn.lock:
            pgconn = conn.pgconn
            pgconn.send_query(sql.encode())
            while pgconn.flush():
                select.select([], [pgconn.socket], [], 1.0)
            result = pgconn.get_result()
            if result is None or result.status != pq.ExecStatus.COPY_OUT:
                message = _result_error(result, pgconn)
                while pgconn.get_result() is not None:
                    pass
                raise DatabaseError(message)
            finished = False
            try:
                parts: list[Any] = []
                while True:
                    size, data = pgconn.get_copy_data(0)
                    if size == -1:
                        break
                    if size == -2:
                        raise DatabaseError(pgconn.error_message.decode(errors="replace"))
                    parts.append(data)
                    if len(parts) >= ROWS_PER_WRITE:
                        yield b"".join(parts)
                        parts = []
                if parts:
                    yield b"".join(parts)
                finished = True
            finally:
                if not finished:
                    # Stopped early: read the rest so the connection leaves COPY mode.
                    while pgconn.get_copy_data(0)[0] >= 0:
                        pass
                result = pgconn.get_result()
                while pgconn.get_result() is not None:
                    pass
            if result is None or result.status != pq.ExecStatus.COMMAND_OK:
                raise DatabaseError(_result_error(result, pgconn))


def _result_error(result, pgconn) -> str:
    message = result.error_message if result is not None else pgconn.error_message
    return (message or b"COPY failed").decode(errors="replace").strip()


def _write_postgresql(spec: ModelSpec, sink) -> None:
    """PostgreSQL builds each line itself and streams it out with COPY."""
    quote = connection.ops.quote_name
    sql = (f"COPY (SELECT {row_sql(spec, quote)} FROM {quote(spec.table)} ORDER BY {quote(spec.pk_column)}) "
           "TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')")
    for data in _copy_out(sql):
        sink.write(data)


def _snapshot_write(writer: ArchiveWriter, specs: list[ModelSpec], *, fast: bool, outermost: bool):
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # The first statement of the transaction: everything below reads one moment.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        created_at = timezone.now()
        migrations = _applied_migrations({spec.model._meta.app_label for spec in specs})
        for spec in specs:
            with writer.member(spec) as sink:
                (_write_postgresql if fast else _write_generic)(spec, sink)
    return created_at, migrations


def archive_write(fileobj: BinaryIO, *, sections: list[str], fast: bool | None = None) -> dict[str, Any]:
    """Write the archive of the chosen sections to `fileobj`, read in one snapshot; returns the manifest.

    `fast` picks PostgreSQL's COPY path (default on PostgreSQL) or the generic ORM path;
    both write the same bytes for the same data.
    """
    if fast is None:
        fast = connection.vendor == "postgresql"
    if fast and connection.vendor != "postgresql":
        raise ValueError("the fast path needs PostgreSQL")
    specs = [model_spec(label) for label in section_models(sections)]
    writer = ArchiveWriter(fileobj)
    outermost = not connection.in_atomic_block
    try:
        created_at, migrations = _snapshot_write(writer, specs, fast=fast, outermost=outermost)
    except BaseException:
        writer.discard()
        raise
    return writer.finish({
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": app_version(),
        "created_at": created_at.isoformat(),
        "database": connection.vendor,
        "sections": sections,
        "migrations": migrations,
    })


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def backup_file_name(*, backup: Backup, at: datetime.datetime, encrypted: bool) -> str:
    stamp = at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    return f"backup-{stamp}-{backup.pk}.srbk" + (".enc" if encrypted else "")


def backup_create(
    *,
    kind: str = BackupKind.MANUAL,
    sections: list[str] | None = None,
    user=None,
    backup: Backup | None = None,
    schedule_slot: str | None = None,
) -> Backup:
    """Take a backup now. Returns the COMPLETED Backup; on failure marks it FAILED and raises BackupFailed."""
    if backup is None:
        sections = backup_sections_clean(sections=sections)
        backup = Backup.objects.create(kind=kind, sections=sections, created_by=user, schedule_slot=schedule_slot,
                                       status=BackupStatus.PENDING)
    else:
        if backup.status == BackupStatus.COMPLETED:
            return backup
        sections = backup_sections_clean(sections=sections if sections is not None else (backup.sections or None))
    started = time.monotonic()
    backup.status = BackupStatus.IN_PROGRESS
    backup.sections = sections
    backup.started_at = timezone.now()
    backup.error = ""
    backup.save(update_fields=["status", "sections", "started_at", "error"])
    try:
        key = crypto.key_from_setting()
        with tempfile.TemporaryDirectory(prefix="stockroom-backup-") as folder:
            plain = Path(folder) / "archive.zip"
            with open(plain, "wb") as handle:
                manifest = archive_write(handle, sections=sections)
            final = plain
            if key is not None:
                final = Path(folder) / "archive.enc"
                with open(plain, "rb") as source, open(final, "wb") as target:
                    crypto.encrypt_stream(source, target, key=key)
            checksum, size = _file_digest(final)
            name = backup_file_save(name=backup_file_name(backup=backup, at=backup.started_at,
                                                          encrypted=key is not None), path=final)
    except Exception as error:
        message = str(error) or error.__class__.__name__
        logger.exception("backup %s failed", backup.pk)
        Backup.objects.filter(pk=backup.pk).update(status=BackupStatus.FAILED, error=message,
                                                   finished_at=timezone.now(),
                                                   duration_seconds=time.monotonic() - started)
        backup.refresh_from_db()
        raise BackupFailed(f"Backup {backup.pk} failed: {message}") from error
    backup.status = BackupStatus.COMPLETED
    backup.counts = manifest["counts"]
    backup.file_name = name
    backup.size = size
    backup.checksum = checksum
    backup.encrypted = key is not None
    backup.format_version = FORMAT_VERSION
    backup.finished_at = timezone.now()
    backup.duration_seconds = time.monotonic() - started
    backup.save(update_fields=["status", "counts", "file_name", "size", "checksum", "encrypted", "format_version",
                               "finished_at", "duration_seconds"])
    return backup
