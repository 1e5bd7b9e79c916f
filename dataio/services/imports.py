"""Imports: upload → validate (VALIDATED or FAILED) → process (IN_PROGRESS → COMPLETED,
PARTIAL or FAILED) → undo (UNDONE).

Validation reads the whole file and plans every row against the database (see
`dataio.importers.base`); it writes nothing but the job, its errors and its preview.
Processing runs in a Celery task (`import_process_task` → `import_job_run`), which plans
the file again (the database may have changed since) and writes it in batches of
IMPORT_BATCH_ROWS rows:

- on_error="rollback": all or nothing. Any row error fails the job before anything is
  written; otherwise every batch is written in ONE transaction. Live progress is written
  through a second database connection on PostgreSQL (the main transaction is not
  committed until the end, so its own writes could not be seen); on SQLite, which has one
  writer at a time, `rows_done` moves at the end.
- on_error="skip": bad rows are skipped and listed; each batch is its own transaction
  and `rows_done` (the rows handled so far, always a whole number of batches) is
  committed with it, so a worker that dies loses at most the batch it was writing, and
  a worker that picks the job up again resumes after the last committed batch.

Only one process checks or writes a job at a time (a PostgreSQL session advisory lock,
`dataio.services.workers`, released when the process's connection closes, so a killed
worker releases it too). A job whose check or processing dies on an unexpected error
ends FAILED saying so (the details go to the log), never VALIDATING or IN_PROGRESS.
`import_jobs_recover` (beat) fails jobs left PENDING, VALIDATING or IN_PROGRESS by a
process that died, saying so and saying how many rows were applied.
"""
import csv
import hashlib
import io
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from core.csv import cell_neutralise
from core.exceptions import Conflict, IllegalTransition, ValidationFailed
from core.queue import enqueue_on_commit
from dataio.columns import IMPORT_COLUMNS
from dataio.importers import IMPORTERS
from dataio.importers.base import CREATE, ERROR, UNCHANGED, UPDATE, RowErrors, RowPlan, preview_typed_mark
from dataio.models import ImportChange, ImportJob, ImportMode, ImportRowError, ImportStatus, ImportType, OnError
from dataio.readers import BAD_CHARACTERS, FileRefused, table_read
from dataio.services.undo import records_undo
from dataio.services.workers import IMPORT_JOBS, stale_jobs_fail, worker_lock
from inventory.services.counts import stock_movements_reverse

logger = logging.getLogger(__name__)

ERRORS_KEPT = 1000
PREVIEW_ROWS = 20
UNDOABLE = (ImportStatus.COMPLETED, ImportStatus.PARTIAL, ImportStatus.FAILED)
# The states a process is working in; a job left in one by a process that died is failed
# by import_jobs_recover. (VALIDATED waits for the user, not for a process.)
WORKING = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.IN_PROGRESS)


def batch_rows() -> int:
    return getattr(settings, "IMPORT_BATCH_ROWS", 5000)


@dataclass(frozen=True)
class ImportUndoResult:
    undone: int
    left_alone: list[str]


class _Refused(Exception):
    """The file as a whole cannot be imported: one message, and the row errors to show."""

    def __init__(self, message: str, errors: list[tuple[int, str, str]]):
        super().__init__(message)
        self.message = message
        self.errors = errors


# --- create -----------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def import_job_create(*, data: bytes, file_name: str, type: str, mode: str, dry_run: bool = False,
                      user=None) -> ImportJob:
    """Keep the uploaded file and start a PENDING job for it."""
    if type not in ImportType.values:
        raise ValidationFailed(f"Unknown import type {type!r}.", field="type")
    if mode not in ImportMode.values:
        raise ValidationFailed(f"Unknown import mode {mode!r}: choose CREATE, UPDATE or UPSERT.", field="mode")
    if not data:
        raise ValidationFailed("The file is empty.", field="file")
    if len(data) > settings.IMPORT_MAX_MB * 1024 * 1024:
        raise ValidationFailed(f"The file is larger than {settings.IMPORT_MAX_MB} MB.", field="file")
    original = BAD_CHARACTERS.sub("", (file_name or "upload").replace("\\", "/").rsplit("/", 1)[-1])[:255] or "upload"
    extension = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    safe = _UNSAFE_NAME.sub("_", original)[-100:] or "upload"
    stored = default_storage.save(f"imports/{uuid.uuid4().hex}/{safe}", ContentFile(data))
    return ImportJob.objects.create(
        type=type,
        mode=mode,
        dry_run=bool(dry_run),
        status=ImportStatus.PENDING,
        file_name=stored,
        original_name=original,
        file_format={"csv": "csv", "txt": "csv", "tsv": "csv", "json": "json", "xlsx": "xlsx"}.get(extension, ""),
        file_size=len(data),
        file_hash=hashlib.sha256(data).hexdigest(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


# --- plan (shared by validation and processing) -----------------------------

def _file_bytes(job: ImportJob) -> bytes:
    try:
        with default_storage.open(job.file_name, "rb") as file:
            return file.read(settings.IMPORT_MAX_MB * 1024 * 1024 + 1)
    except (OSError, ValueError) as exc:
        raise _Refused("The uploaded file is no longer available: upload it again.",
                       [(1, "", "The uploaded file is no longer available: upload it again.")]) from exc


def _plan_file(job: ImportJob, *, user=None):
    """Read and plan the job's file: (importer, plans, warnings, format); _Refused when the
    file as a whole cannot be imported."""
    data = _file_bytes(job)
    try:
        table = table_read(data=data, file_name=job.original_name or job.file_name, max_rows=settings.IMPORT_MAX_ROWS)
        columns = IMPORT_COLUMNS[job.type]
        names = {column.name for column in columns}
        missing = [column.name for column in columns if column.required and column.name not in table.header]
        if missing:
            listed = ", ".join(f'"{name}"' for name in missing)
            raise _Refused(
                f"The file has no {listed} column{'s' if len(missing) > 1 else ''}, which "
                f"{'are' if len(missing) > 1 else 'is'} required: add {'them' if len(missing) > 1 else 'it'} to the header row.",
                [(1, name, f'Required column "{name}" is missing from the header row.') for name in missing],
            )
        warnings = [f'Column "{name}" is not one of ours and was ignored.' for name in table.header if name not in names]
        if job.type == ImportType.STOCK_COUNTS and "counted" not in table.header and "change" not in table.header:
            raise _Refused('The file needs a "counted" or a "change" column.',
                           [(1, "counted", 'Add a "counted" column (or a "change" column) to the header row.')])
        rows = list(table.rows)
    except FileRefused as exc:
        row = exc.details.get("row") or 1
        raise _Refused(exc.message, [(row, exc.details.get("column") or "", exc.message)]) from exc
    importer = IMPORTERS[job.type](header=table.header, mode=job.mode, job_id=job.pk, user=user)
    plans = importer.plan(rows)
    preview_typed_mark(importer, plans, rows, limit=PREVIEW_ROWS)
    return importer, plans, warnings, table.format


def _counts(plans: list[RowPlan]) -> dict[str, int]:
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
    for plan in plans:
        counts[plan.action] += 1
    return {"create": counts[CREATE], "update": counts[UPDATE], "unchanged": counts[UNCHANGED],
            "error": counts[ERROR], "skipped": 0}


def _row_errors(plans: list[RowPlan]) -> list[tuple[int, str, str]]:
    return [(plan.row, column, message) for plan in plans if plan.errors for column, message in plan.errors]


def _errors_store(job: ImportJob, errors: list[tuple[int, str, str]], *, level=ImportRowError.Level.ERROR) -> None:
    """Replace the job's row errors; at most ERRORS_KEPT are kept, then one "and N more"."""
    ImportRowError.objects.filter(job=job).delete()
    kept = [ImportRowError(job=job, row=row, column=column[:100], message=message[:500], level=level)
            for row, column, message in errors[:ERRORS_KEPT]]
    if len(errors) > ERRORS_KEPT:
        more = len(errors) - ERRORS_KEPT
        kept.append(ImportRowError(job=job, row=errors[ERRORS_KEPT][0], column="",
                                   message=f"… and {more:,} more error{'s' if more > 1 else ''} not listed "
                                           f"(fix the ones above and upload again to see them)."))
    ImportRowError.objects.bulk_create(kept, batch_size=500)


def _earlier_import(job: ImportJob) -> ImportJob | None:
    return (
        ImportJob.objects.filter(file_hash=job.file_hash, type=job.type, dry_run=False,
                                 status__in=[ImportStatus.IN_PROGRESS, ImportStatus.COMPLETED, ImportStatus.PARTIAL])
        .exclude(pk=job.pk).order_by("-created_at", "-pk").first()
    )


def _earlier_message(earlier: ImportJob) -> str:
    when = timezone.localtime(earlier.started_at or earlier.created_at).strftime("%Y-%m-%d %H:%M")
    return f"This file was imported on {when} as job {earlier.pk}."


# --- validate ---------------------------------------------------------------

def import_job_validate(*, job: ImportJob) -> ImportJob:
    """Check the whole file without writing anything: VALIDATED (with counts, row errors,
    warnings and a preview) or FAILED when the file as a whole cannot be imported, or when
    the check itself dies on an unexpected error (then saying so, with the details in the log)."""
    with worker_lock(kind=IMPORT_JOBS, job_id=job.pk) as acquired:
        if not acquired:
            raise IllegalTransition("This import is being checked or processed right now.")
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)
            if job.status not in (ImportStatus.PENDING, ImportStatus.VALIDATED):
                raise IllegalTransition(
                    f"This import is {job.get_status_display().lower()}; it cannot be validated again.")
            job.status = ImportStatus.VALIDATING
            job.save(update_fields=["status"])
        try:
            # One transaction (a savepoint inside the caller's): a query that fails leaves
            # the connection usable for recording the failure.
            with transaction.atomic():
                return _validate(job)
        except Exception:  # noqa: BLE001 - whatever it was, the job ends FAILED saying so
            logger.exception("Import %s: the check of its file failed", job.pk)
            message = (f"The file could not be checked: an unexpected error stopped the check (recorded in the "
                       f"server log as import {job.pk}). Nothing was written; upload the file again, and if this "
                       f"happens again tell an administrator.")
            return _fail_unexpected(job, message, status=ImportStatus.VALIDATING)


def _validate(job: ImportJob) -> ImportJob:
    try:
        _importer, plans, warnings, file_format = _plan_file(job, user=job.created_by)
    except _Refused as refused:
        _errors_store(job, refused.errors)
        job.status = ImportStatus.FAILED
        job.error = refused.message
        job.counts = {"create": 0, "update": 0, "unchanged": 0, "error": len(refused.errors), "skipped": 0}
        job.preview = []
        job.validated_at = timezone.now()
        job.finished_at = job.validated_at
        job.save()
        return job
    earlier = _earlier_import(job)
    if earlier is not None:
        message = _earlier_message(earlier)
        if job.type == ImportType.STOCK_COUNTS:
            message += " Stock counts are not imported twice: it cannot be processed again."
        else:
            message += " Importing it again changes only what differs now."
        warnings.append(message)
    counts = _counts(plans)
    _errors_store(job, _row_errors(plans))
    job.row_count = len(plans)
    job.counts = counts
    job.preview = [
        {"row": plan.row, "action": plan.action, "values": plan.values,
         **({"invalid": plan.invalid} if plan.invalid else {})}
        for plan in plans[:PREVIEW_ROWS]
    ]
    job.warnings = warnings
    job.file_format = file_format or job.file_format
    job.validated_at = timezone.now()
    if counts["error"] == len(plans):
        job.status = ImportStatus.FAILED
        job.error = f"None of the {len(plans):,} rows can be imported: see the errors."
        job.finished_at = job.validated_at
    else:
        job.status = ImportStatus.VALIDATED
        job.error = ""
    job.save()
    return job


# --- process ----------------------------------------------------------------

# The task that writes the rows, queued by name (dataio/tasks.py imports this module).
IMPORT_PROCESS_TASK = "dataio.tasks.import_process_task"


def import_job_process(*, job: ImportJob, on_error: str, user=None) -> ImportJob:
    """Start writing a validated import in the background; the job is IN_PROGRESS."""
    if on_error not in OnError.values:
        raise ValidationFailed(f"Unknown choice {on_error!r}: choose rollback or skip.", field="on_error")
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.dry_run:
            raise IllegalTransition("A dry run only checks the file: upload it again without a dry run to import it.")
        if job.status != ImportStatus.VALIDATED:
            raise IllegalTransition(
                f"Only a validated import can be processed; this one is {job.get_status_display().lower()}.")
        if job.type == ImportType.STOCK_COUNTS:
            earlier = _earlier_import(job)
            if earlier is not None:
                raise Conflict(_earlier_message(earlier) + " Importing the same stock counts again could move stock "
                               "twice, so it is refused; upload a new file for a new count.")
        job.status = ImportStatus.IN_PROGRESS
        job.on_error = on_error
        job.started_at = timezone.now()
        job.rows_done = 0
        job.error = ""
        job.save(update_fields=["status", "on_error", "started_at", "rows_done", "error"])
        enqueue_on_commit(IMPORT_PROCESS_TASK, job.pk)
    return job


class _Progress:
    """rows_done for all-or-nothing imports, written outside the import's transaction."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = None
        if connection.vendor == "postgresql":
            main = connections[DEFAULT_DB_ALIAS]
            self.connection = type(main)(dict(main.settings_dict), DEFAULT_DB_ALIAS)

    def update(self, done: int) -> None:
        if self.connection is None:
            return
        try:
            with self.connection.cursor() as cursor:
                cursor.execute('UPDATE "dataio_importjob" SET "rows_done" = %s WHERE "id" = %s', [done, self.job_id])
        except DatabaseError:  # progress is a nicety: never fail the import for it
            logger.warning("Could not record progress of import %s", self.job_id, exc_info=True)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _fail(job: ImportJob, message: str, errors: list[tuple[int, str, str]] | None = None, *,
          counts: dict | None = None) -> ImportJob:
    with transaction.atomic():
        if errors is not None:
            _errors_store(job, errors)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error=message, finished_at=timezone.now(),
            **({"counts": counts} if counts is not None else {}),
        )
    job.refresh_from_db()
    return job


def _fail_unexpected(job: ImportJob, message: str, *, status: str) -> ImportJob:
    """FAILED with `message` after an unexpected error, unless the job has left `status`
    meanwhile (e.g. it was completed before the error)."""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk, status=status).update(
            status=ImportStatus.FAILED, error=message, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _interrupted_message(job: ImportJob, what: str) -> str:
    """Why the job stopped (`what`) and what it wrote: whole batches when skipping bad rows,
    nothing otherwise."""
    if job.on_error == OnError.SKIP and job.rows_done > 0 and job.changes.exists():
        return (f"{what}. The first {job.rows_done:,} of {job.row_count:,} rows were written (they can be undone); "
                f"the rest were not.")
    return f"{what}; nothing was written. Upload the file again."


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Write an IN_PROGRESS import (the task's work). Idempotent: any other status is left
    alone, and a job another worker is running is left to it."""
    with worker_lock(kind=IMPORT_JOBS, job_id=job_id) as acquired:
        if not acquired:
            logger.info("Import %s is being processed by another worker", job_id)
            return None
        job = ImportJob.objects.filter(pk=job_id).select_related("created_by").first()
        if job is None or job.status != ImportStatus.IN_PROGRESS:
            return job
        try:
            try:
                with transaction.atomic():  # reads only: a failed query leaves the connection usable
                    importer, plans, _warnings, _format = _plan_file(job, user=job.created_by)
            except _Refused as refused:
                return _fail(job, refused.message, refused.errors)
            if job.on_error == OnError.SKIP:
                return _run_skipping(job, importer, plans)
            return _run_all_or_nothing(job, importer, plans)
        except Exception:  # noqa: BLE001 - whatever it was, the job ends FAILED saying so
            logger.exception("Import %s: processing failed", job_id)
            job.refresh_from_db()
            message = _interrupted_message(job, f"Stopped by an unexpected error while importing (recorded in the "
                                                f"server log as import {job.pk})")
            return _fail_unexpected(job, message, status=ImportStatus.IN_PROGRESS)


def _writable(plans: list[RowPlan]) -> list[RowPlan]:
    return [plan for plan in plans if plan.action == CREATE or plan.action == UPDATE]


def _run_all_or_nothing(job: ImportJob, importer, plans: list[RowPlan]) -> ImportJob:
    counts = _counts(plans)
    errors = _row_errors(plans)
    if errors:
        counts["skipped"] = len(plans)
        rows = counts["error"]
        return _fail(job, f"{rows:,} row{'s have' if rows > 1 else ' has'} errors, so nothing was written (all or "
                          f"nothing). Fix them and upload the file again, or process it skipping bad rows.",
                     errors, counts=counts)
    size = batch_rows()
    progress = _Progress(job.pk)
    try:
        with transaction.atomic():
            for start in range(0, len(plans), size):
                batch = plans[start:start + size]
                importer.apply(_writable(batch))
                progress.update(start + len(batch))
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.COMPLETED, counts=counts, rows_done=len(plans), finished_at=timezone.now())
    except RowErrors as exc:
        counts = {**counts, "error": len({row for row, _c, _m in exc.errors}), "skipped": len(plans)}
        return _fail(job, "Some rows could not be written, so nothing was written (all or nothing): "
                          "see the errors.", exc.errors, counts=counts)
    except DatabaseError as exc:
        logger.warning("Import %s failed in the database", job.pk, exc_info=True)
        return _fail(job, f"The database refused the import, so nothing was written: {_first_line(exc)}",
                     counts={**counts, "skipped": len(plans)})
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def _run_skipping(job: ImportJob, importer, plans: list[RowPlan]) -> ImportJob:
    size = batch_rows()
    start = job.rows_done if 0 < job.rows_done < len(plans) and job.rows_done % size == 0 else 0
    counts = dict(job.counts.get("applied", {})) if start else {}
    for key in ("create", "update", "unchanged", "error", "skipped"):
        counts.setdefault(key, 0)
    # Errors found when planning, plus those of rows the database refused while writing.
    errors = {plan.row: list(plan.errors) for plan in plans if plan.errors}
    for offset in range(start, len(plans), size):
        batch = plans[offset:offset + size]
        with transaction.atomic():
            written = _writable(batch)
            while True:
                try:
                    with transaction.atomic():
                        importer.apply(written)
                    break
                except RowErrors as exc:
                    bad = set()
                    for row, column, message in exc.errors:
                        errors.setdefault(row, []).append((column, message))
                        bad.add(row)
                    for plan in written:
                        if plan.row in bad:
                            plan.action = ERROR
                    written = [plan for plan in written if plan.row not in bad]
                except DatabaseError as exc:
                    message = f"Not written: the database refused this batch ({_first_line(exc)})."
                    for plan in written:
                        errors.setdefault(plan.row, []).append(("", message))
                        plan.action = ERROR
                    written = []
                    break
            for plan in batch:
                counts[plan.action] = counts.get(plan.action, 0) + 1
            counts["skipped"] = counts[ERROR]
            ImportJob.objects.filter(pk=job.pk).update(rows_done=offset + len(batch), counts={**job.counts, "applied": counts})
    final = {key: counts[key] for key in ("create", "update", "unchanged", "error", "skipped")}
    listed = [(row, column, message) for row in sorted(errors) for column, message in errors[row]]
    with transaction.atomic():
        _errors_store(job, listed)
        status = ImportStatus.PARTIAL if final["error"] else ImportStatus.COMPLETED
        error = (f"{final['error']:,} row{'s were' if final['error'] > 1 else ' was'} skipped because of errors; "
                 f"the others were written.") if final["error"] else ""
        ImportJob.objects.filter(pk=job.pk).update(status=status, counts=final, rows_done=len(plans), error=error,
                                                   finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or ["unknown error"])[0][:300]


# --- recovery ---------------------------------------------------------------

_INTERRUPTED = {
    ImportStatus.PENDING: "Interrupted: the file was uploaded but its check never started (the process handling "
                          "the upload stopped)",
    ImportStatus.VALIDATING: "Interrupted: the process checking the file stopped before it finished",
    ImportStatus.IN_PROGRESS: "Interrupted: the worker stopped while importing",
}


def import_jobs_recover(*, stale_after: timedelta | None = None) -> int:
    """Fail imports left PENDING, VALIDATING or IN_PROGRESS by a process that stopped
    (killed, machine restarted), saying so.

    A job counts as abandoned when it started (or, not started, was uploaded) more than
    `stale_after` ago (IMPORT_STALE_MINUTES, default 30) and, on PostgreSQL, no process
    holds its lock. A job that was being checked, or written all or nothing, wrote
    nothing; a skip-bad-rows job keeps the batches it committed (`rows_done` says how
    many rows), which can be undone. Returns the number of jobs failed.
    """
    if stale_after is None:
        stale_after = timedelta(minutes=getattr(settings, "IMPORT_STALE_MINUTES", 30))
    return stale_jobs_fail(model=ImportJob, kind=IMPORT_JOBS, working=WORKING, stale_after=stale_after,
                           reason=_recovery_reason)


def _recovery_reason(job: ImportJob) -> str:
    if job.status == ImportStatus.IN_PROGRESS:
        return _interrupted_message(job, _INTERRUPTED[job.status])
    return f"{_INTERRUPTED[job.status]}; nothing was written. Upload the file again."


# --- undo -------------------------------------------------------------------

def import_job_undo(*, job: ImportJob, user) -> ImportUndoResult:
    """Take back what an import did, in reverse order, in one transaction.

    Stock moved by the import gets a compensating movement unless the level has moved
    since; changed fields get their previous values unless they have changed since;
    created records are deleted when unchanged and nothing refers to them. What is left
    alone is listed.
    """
    undone, left = 0, []
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in UNDOABLE or job.dry_run:
            raise IllegalTransition(f"This import is {job.get_status_display().lower()}: only an applied import can be undone.")
        finished = job.finished_at or job.started_at or job.created_at
        if finished < timezone.now() - timedelta(days=settings.IMPORT_UNDO_DAYS):
            raise IllegalTransition(f"Imports can be undone for {settings.IMPORT_UNDO_DAYS} days; this one is older.")
        changes = list(job.changes.order_by("-id").select_related("movement", "movement__variant", "movement__location"))
        if job.status == ImportStatus.FAILED and not changes:
            raise IllegalTransition("This import wrote nothing: there is nothing to undo.")
        stock_changes = [change for change in changes if change.action == ImportChange.Action.STOCK]
        reversals = stock_movements_reverse(movements=[change.movement for change in stock_changes],
                                            reason=f"Undo of import {job.pk}"[:200], user=user, import_job_id=job.pk)
        for change, reversal in zip(stock_changes, reversals):
            where = f"{change.movement.variant.sku} at {change.movement.location.code}"
            if reversal.reversed:
                undone += 1
            elif reversal.why == "moved":
                left.append(f"Row {change.row}: stock of {where} has moved since the import; "
                            f"left at {reversal.level.on_hand}.")
            else:
                left.append(f"Row {change.row}: stock of {where} is reserved for open orders; "
                            f"left at {reversal.level.on_hand}.")
        records_undone, records_left = records_undo(changes=changes)
        undone += records_undone
        left.extend(records_left)
        job.status = ImportStatus.UNDONE
        job.undone_at = timezone.now()
        job.undone_by = user if getattr(user, "is_authenticated", False) else None
        job.save(update_fields=["status", "undone_at", "undone_by"])
    return ImportUndoResult(undone=undone, left_alone=left)


# --- errors as CSV ------------------------------------------------------------

def import_errors_csv(*, job: ImportJob) -> Iterator[str]:
    """The job's errors and warnings as CSV lines (row, column, message), formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell_neutralise(value) for value in values])
        return buffer.getvalue()

    yield line(["row", "column", "message"])
    if job.error and not job.row_errors.exists():
        yield line([1, "", job.error])
    for warning in job.warnings or []:
        yield line([1, "", f"Warning: {warning}"])
    for row, column, message in job.row_errors.order_by("row", "id").values_list("row", "column", "message").iterator():
        yield line([row, column, message])
