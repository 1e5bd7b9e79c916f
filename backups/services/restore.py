"""Restoring a backup: verify, preview (dry run) or load everything in one transaction.

Per model the loader works out which rows would be created (new primary key), left alone
(same key, same content), and which conflict (same key, different content); the conflict
policy decides what happens to those: `skip` keeps the database's row, `overwrite` takes
the backup's. References to rows that are neither in the backup nor in the database (a
user, when the users section was not backed up) become NULL and are reported; a required
reference that cannot be satisfied fails the restore.

A real restore first takes an AUTO backup, then loads every model, resets the PostgreSQL
sequences and runs the ledger check inside one transaction: any failure rolls all of it
back. This is the one place that writes stock rows without the stock services: it puts
them back exactly as they were, and the ledger check proves it.
"""
import json
import logging
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from backups.archive import READ_CHUNK, ArchiveError, open_archive
from backups.errors import BackupInvalid, ConflictPolicyRequired, RestoreFailed
from backups.models import Backup, BackupKind, ConflictPolicy, RestoreRun, RestoreStatus
from backups.sections import ModelSpec, model_spec
from backups.services.backups import backup_create
from backups.services.verify import backup_verify_record
from backups.storage import backups_storage
from backups.validators import restore_conflict_clean
from core.exceptions import ApplicationError
from inventory.services import ledger_verify

logger = logging.getLogger(__name__)

CONFLICT_SAMPLE = 10
GENERIC_BATCH = 1000
# PostgreSQL parses the lines in batches of about this many bytes.
BATCH_BYTES = 8 * 1024 * 1024
# From this many rows, loading into an empty table drops and rebuilds its indexes and foreign keys.
BULK_ROWS = 20_000
# Tables whose rows come from migrations, so an otherwise empty database already has them.
SEEDED_BY_MIGRATIONS = {"auth.group"}


@dataclass
class RestoreReport:
    dry_run: bool
    conflict: str | None
    ok: bool
    message: str
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    auto_backup: Backup | None = None
    ledger_ok: bool | None = None

    def totals(self) -> dict[str, int]:
        keys = ("create", "update", "unchanged", "conflict")
        return {key: sum(stats.get(key, 0) for stats in self.models.values()) for key in keys}

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "conflict": self.conflict or "", "ok": self.ok, "message": self.message,
                "models": self.models, "totals": self.totals(),
                "auto_backup": self.auto_backup.pk if self.auto_backup else None, "ledger_ok": self.ledger_ok}


def _stats() -> dict[str, Any]:
    return {"create": 0, "update": 0, "unchanged": 0, "conflict": 0, "conflicts": [], "nulled": {}}


def _missing_reference(spec: ModelSpec, column: str, target: str, count: int, example: Any) -> RestoreFailed:
    return RestoreFailed(
        f"{spec.label}: {count} rows refer through {column} to {target} rows that are neither in the backup nor in "
        f"the database (e.g. {example}); restore the section that holds {target} too. Nothing was changed.")


class PostgresLoader:
    """PostgreSQL parses the member's lines itself (json_populate_recordset over batches of
    lines), so Python does no work per row.

    Into an empty table the rows go straight in; for a large member the table's plain indexes
    and foreign keys are dropped first and created again afterwards, as pg_restore does,
    which also checks every reference in one pass. Into a table that holds data the rows go
    through a temporary table first, to be compared and then inserted with ON CONFLICT.
    """

    def __init__(self):
        self.quote = connection.ops.quote_name

    def _batches(self, stream: BinaryIO):
        """The member's lines as JSON arrays of about BATCH_BYTES each."""
        pending = b""
        while True:
            chunk = stream.read(BATCH_BYTES)
            data = pending + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                lines, pending = data[:cut], data[cut:]
            else:
                lines, pending = data, b""
            lines = lines.strip(b"\n")
            if lines:
                yield (b"[" + lines.replace(b"\n", b",") + b"]").decode()
            if not chunk:
                return

    def _insert_lines(self, raw, table: str, spec: ModelSpec, stream: BinaryIO) -> int:
        q = self.quote
        columns = ", ".join(q(c) for c in spec.columns)
        sql = (f"INSERT INTO {table} ({columns}) SELECT {columns} "
               f"FROM json_populate_recordset(NULL::{q(spec.table)}, %s::json)")
        count = 0
        for batch in self._batches(stream):
            raw.execute(sql, [batch])
            count += raw.rowcount
        return count

    def _null_missing(self, raw, table: str, spec: ModelSpec, archive_labels: set[str], stats: dict) -> None:
        """References to rows neither in the backup nor in the database become NULL (or fail)."""
        q = self.quote
        for fk in spec.foreign_keys():
            if fk.target in archive_labels:
                continue
            col = q(fk.column)
            missing = (f"s.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {q(fk.table)} t "
                       f"WHERE t.{q(fk.target_column)} = s.{col})")
            if fk.nullable:
                raw.execute(f"UPDATE {table} s SET {col} = NULL WHERE {missing}")
                if raw.rowcount:
                    stats["nulled"][fk.column] = raw.rowcount
            else:
                raw.execute(f"SELECT count(*), min(s.{col}) FROM {table} s WHERE {missing}")
                count, example = raw.fetchone()
                if count:
                    raise _missing_reference(spec, fk.column, fk.target, count, example)

    def _deferrable_parts(self, raw, spec: ModelSpec) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The table's foreign keys and its indexes that back no constraint, with their definitions."""
        table = self.quote(spec.table)
        raw.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    f"WHERE conrelid = '{table}'::regclass AND contype = 'f' ORDER BY conname")
        foreign_keys = raw.fetchall()
        raw.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid "
                    f"WHERE i.indrelid = '{table}'::regclass AND k.oid IS NULL ORDER BY 1")
        return foreign_keys, raw.fetchall()

    def load(self, spec: ModelSpec, stream: BinaryIO, *, archive_labels: set[str], conflict: str | None,
             apply: bool, rows: int = 0) -> dict[str, Any]:
        q = self.quote
        table = q(spec.table)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # no query log of the batches, even with DEBUG
            raw.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if apply and not raw.fetchone()[0]:
                return self._load_into_empty(raw, spec, stream, archive_labels=archive_labels, rows=rows)
            return self._load_merge(raw, spec, stream, archive_labels=archive_labels, conflict=conflict,
                                    apply=apply)

    def _load_into_empty(self, raw, spec: ModelSpec, stream: BinaryIO, *, archive_labels: set[str],
                         rows: int) -> dict[str, Any]:
        q = self.quote
        table = q(spec.table)
        stats = _stats()
        rebuild = rows >= BULK_ROWS
        if rebuild:
            # Dropping a foreign key alters the tables it joins, which PostgreSQL refuses while
            # checks deferred from the rows loaded so far are pending: run those checks now.
            raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raw.execute("SET CONSTRAINTS ALL DEFERRED")
            foreign_keys, indexes = self._deferrable_parts(raw, spec)
            for name, _ in foreign_keys:
                raw.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(name)}")
            for name, _ in indexes:
                raw.execute(f"DROP INDEX {name}")
        stats["create"] = self._insert_lines(raw, table, spec, stream)
        self._null_missing(raw, table, spec, archive_labels, stats)
        if rebuild:
            raw.execute("SET LOCAL maintenance_work_mem = '128MB'")
            for _, definition in indexes:
                raw.execute(definition)
            for name, definition in foreign_keys:
                raw.execute(f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} {definition}")
        return stats

    def _load_merge(self, raw, spec: ModelSpec, stream: BinaryIO, *, archive_labels: set[str],
                    conflict: str | None, apply: bool) -> dict[str, Any]:
        q = self.quote
        table, pk = q(spec.table), q(spec.pk_column)
        stats = _stats()
        raw.execute("DROP TABLE IF EXISTS _srbk_rows")
        raw.execute(f"CREATE TEMP TABLE _srbk_rows (LIKE {table})")
        self._insert_lines(raw, "_srbk_rows", spec, stream)
        self._null_missing(raw, "_srbk_rows", spec, archive_labels, stats)
        cols = [q(c) for c in spec.columns]
        theirs = "(" + ", ".join(f"s.{c}" for c in cols) + ")"
        ours = "(" + ", ".join(f"t.{c}" for c in cols) + ")"
        raw.execute(
            f"SELECT count(*) FILTER (WHERE t.{pk} IS NULL), "
            f"count(*) FILTER (WHERE t.{pk} IS NOT NULL AND {theirs} IS NOT DISTINCT FROM {ours}), "
            f"count(*) FILTER (WHERE t.{pk} IS NOT NULL AND {theirs} IS DISTINCT FROM {ours}) "
            f"FROM _srbk_rows s LEFT JOIN {table} t ON t.{pk} = s.{pk}")
        stats["create"], stats["unchanged"], stats["conflict"] = raw.fetchone()
        if stats["conflict"]:
            raw.execute(f"SELECT s.{pk} FROM _srbk_rows s JOIN {table} t ON t.{pk} = s.{pk} "
                        f"WHERE {theirs} IS DISTINCT FROM {ours} ORDER BY s.{pk} LIMIT {CONFLICT_SAMPLE}")
            stats["conflicts"] = [row[0] for row in raw.fetchall()]
        if conflict == ConflictPolicy.OVERWRITE:
            stats["update"] = stats["conflict"]
        if apply:
            column_list = ", ".join(cols)
            insert = (f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM _srbk_rows ORDER BY {pk} "
                      f"ON CONFLICT ({pk}) ")
            others = [c for c in cols if c != pk]
            if conflict == ConflictPolicy.OVERWRITE and stats["conflict"]:
                insert += ("DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in others)
                           + f" WHERE ({', '.join(f'{table}.{c}' for c in others)}) IS DISTINCT FROM "
                           f"({', '.join(f'EXCLUDED.{c}' for c in others)})")
            else:
                insert += "DO NOTHING"
            raw.execute(insert)
        raw.execute("DROP TABLE _srbk_rows")
        return stats

    def reset_sequences(self, specs: list[ModelSpec]) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), [spec.model for spec in specs if spec.serial_pk])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class GenericLoader:
    """Any database: rows parsed in Python in batches, compared with what is there through the
    same encoding, written with plain INSERT/UPDATE statements (no model save(), no signals)."""

    def __init__(self):
        self.quote = connection.ops.quote_name

    def _lines(self, stream: BinaryIO):
        pending = b""
        while chunk := stream.read(READ_CHUNK):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            yield from lines
        if pending:
            yield pending

    def load(self, spec: ModelSpec, stream: BinaryIO, *, archive_labels: set[str], conflict: str | None,
             apply: bool, rows: int = 0) -> dict[str, Any]:
        stats = _stats()
        batch: list[bytes] = []
        for number, line in enumerate(self._lines(stream), start=1):
            batch.append(line)
            if len(batch) >= GENERIC_BATCH:
                self._batch(spec, batch, number - len(batch) + 1, stats, archive_labels, conflict, apply)
                batch = []
        if batch:
            self._batch(spec, batch, number - len(batch) + 1, stats, archive_labels, conflict, apply)
        return stats

    def _batch(self, spec, lines, first_number, stats, archive_labels, conflict, apply) -> None:
        decoders = spec.decoders()
        encoders = spec.encoders()
        rows = []
        for offset, line in enumerate(lines):
            try:
                data = json.loads(line)
                rows.append([decode(data[column]) for column, decode in zip(spec.columns, decoders)])
            except (ValueError, KeyError, TypeError) as error:
                raise RestoreFailed(f"{spec.member} row {first_number + offset}: cannot be read ({error})") from None
            except RecursionError:  # verification refuses such rows first
                raise RestoreFailed(f"{spec.member} row {first_number + offset}: nests too deeply to be read") from None
        pk_index = spec.columns.index(spec.pk_column)
        for fk in spec.foreign_keys():
            if fk.target in archive_labels:
                continue
            position = spec.columns.index(fk.column)
            wanted = {row[position] for row in rows if row[position] is not None}
            if not wanted:
                continue
            present = self._present(fk, wanted)
            missing = wanted - present
            if not missing:
                continue
            if not fk.nullable:
                count = sum(1 for row in rows if row[position] in missing)
                raise _missing_reference(spec, fk.column, fk.target, count, min(missing))
            for row in rows:
                if row[position] in missing:
                    row[position] = None
                    stats["nulled"][fk.column] = stats["nulled"].get(fk.column, 0) + 1
        attnames = [f.attname for f in spec.fields]
        existing = {
            values[pk_index]: spec.encode_row(values, encoders)
            for values in spec.model._base_manager.filter(pk__in=[row[pk_index] for row in rows])
            .values_list(*attnames)
        }
        inserts, updates = [], []
        for row in rows:
            key = row[pk_index]
            if key not in existing:
                stats["create"] += 1
                inserts.append(row)
            elif existing[key] == spec.encode_row(row, encoders):
                stats["unchanged"] += 1
            else:
                stats["conflict"] += 1
                if len(stats["conflicts"]) < CONFLICT_SAMPLE:
                    stats["conflicts"].append(key)
                if conflict == ConflictPolicy.OVERWRITE:
                    stats["update"] += 1
                    updates.append(row)
        if not apply:
            return
        q = self.quote
        prep = [lambda value, f=f: f.get_db_prep_save(value, connection) for f in spec.fields]
        with connection.cursor() as cursor:
            if inserts:
                sql = (f"INSERT INTO {q(spec.table)} ({', '.join(q(c) for c in spec.columns)}) "
                       f"VALUES ({', '.join(['%s'] * len(spec.columns))})")
                cursor.executemany(sql, [[p(v) for p, v in zip(prep, row)] for row in inserts])
            if updates:
                others = [i for i in range(len(spec.columns)) if i != pk_index]
                sql = (f"UPDATE {q(spec.table)} SET {', '.join(f'{q(spec.columns[i])} = %s' for i in others)} "
                       f"WHERE {q(spec.pk_column)} = %s")
                cursor.executemany(sql, [[prep[i](row[i]) for i in others] + [prep[pk_index](row[pk_index])]
                                         for row in updates])

    def _present(self, fk, wanted: set) -> set:
        q = self.quote
        values = sorted(wanted)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {q(fk.target_column)} FROM {q(fk.table)} WHERE {q(fk.target_column)} IN "
                           f"({', '.join(['%s'] * len(values))})", values)
            return {row[0] for row in cursor.fetchall()}

    def reset_sequences(self, specs: list[ModelSpec]) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), [spec.model for spec in specs if spec.serial_pk])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def restore_loader(*, fast: bool | None = None):
    if fast is None:
        fast = connection.vendor == "postgresql"
    return PostgresLoader() if fast else GenericLoader()


def target_has_data(labels: list[str]) -> list[str]:
    """The models among `labels` whose tables already hold rows."""
    return [label for label in labels
            if label not in SEEDED_BY_MIGRATIONS and model_spec(label).model._base_manager.exists()]


def archive_load(reader, *, labels: list[str], conflict: str | None, apply: bool, loader=None
                 ) -> dict[str, dict[str, Any]]:
    """Load (or, with apply=False, only compare) every member. Call inside a transaction."""
    loader = loader or restore_loader()
    archive_labels = set(labels)
    models = {}
    for label in labels:
        with reader.open_member(label) as stream:
            models[label] = loader.load(model_spec(label), stream, archive_labels=archive_labels, conflict=conflict,
                                        apply=apply, rows=reader.manifest["counts"].get(label, 0))
    return models


def _summary(report: RestoreReport) -> str:
    t = report.totals()
    nulled = sum(sum(stats.get("nulled", {}).values()) for stats in report.models.values())
    extra = f"; {nulled} references to rows not in the backup or the database set to empty" if nulled else ""
    if report.dry_run:
        return (f"Dry run: {t['create']} rows would be created, {t['update']} updated, {t['unchanged']} left "
                f"unchanged; {t['conflict']} rows conflict with the database{extra}.")
    skipped = t["conflict"] - t["update"]
    return (f"Restored: {t['create']} rows created, {t['update']} updated, {t['unchanged']} unchanged, "
            f"{skipped} conflicting rows skipped; ledger verified{extra}.")


def _run_update(run: RestoreRun | None, **changes) -> None:
    if run is None:
        return
    for name, value in changes.items():
        setattr(run, name, value)
    RestoreRun.objects.filter(pk=run.pk).update(**changes)


def backup_restore(
    *,
    source: Any,
    dry_run: bool = True,
    conflict: str | None = None,
    user=None,
    run: RestoreRun | None = None,
) -> RestoreReport:
    """Verify `source` (a Backup, a path or a binary file object), then preview or restore it.

    Raises BackupInvalid, ConflictPolicyRequired or RestoreFailed; after any of them the
    database is exactly as before.
    """
    try:
        conflict = restore_conflict_clean(conflict=conflict)
        _run_update(run, status=RestoreStatus.IN_PROGRESS, started_at=timezone.now(), dry_run=dry_run,
                    conflict=conflict or "")
        report = _restore(source=source, dry_run=dry_run, conflict=conflict, user=user)
    except ApplicationError as error:
        details = getattr(error, "report", None)
        _run_update(run, status=RestoreStatus.FAILED, error=error.message, finished_at=timezone.now(),
                    report={"verify": details.as_dict()} if details is not None and hasattr(details, "as_dict")
                    else {})
        raise
    _run_update(run, status=RestoreStatus.COMPLETED, finished_at=timezone.now(), report=report.as_dict(),
                auto_backup=report.auto_backup, error="")
    return report


def _restore(*, source: Any, dry_run: bool, conflict: str | None, user) -> RestoreReport:
    try:
        with open_archive(source) as reader:
            verify = reader.verify()
            if isinstance(source, Backup):
                backup_verify_record(backup=source, report=verify)
            if not verify.ok:
                raise BackupInvalid(f"The backup did not pass verification: {verify.message}", report=verify)
            labels = reader.member_labels()
            if not dry_run and conflict is None:
                holding = target_has_data(labels)
                if holding:
                    raise ConflictPolicyRequired(
                        f"The database already holds data ({', '.join(holding[:5])}"
                        f"{' …' if len(holding) > 5 else ''}); choose the conflict policy: skip keeps the "
                        "database's rows, overwrite takes the backup's.",
                        details={"models": holding})
            auto_backup = None
            if not dry_run:
                auto_backup = backup_create(kind=BackupKind.AUTO, sections=verify.manifest["sections"], user=user)
            report = RestoreReport(dry_run=dry_run, conflict=conflict, ok=True, message="", auto_backup=auto_backup)
            # A preview with a policy (or into an empty database) loads for real and rolls
            # back, so it also says whether the ledger check and the database's own checks
            # would pass; without a policy over data it can only compare rows.
            apply = not dry_run or conflict is not None or not target_has_data(labels)
            merged = conflict is not None and bool(target_has_data(labels)) if apply else False
            try:
                with transaction.atomic():
                    report.models = archive_load(reader, labels=labels, conflict=conflict, apply=apply)
                    if not dry_run:
                        restore_loader().reset_sequences([model_spec(label) for label in labels])
                    if apply:
                        mismatches = ledger_verify()
                        report.ledger_ok = not mismatches
                        if mismatches:
                            problem = (f"the ledger check fails after loading ({len(mismatches)} levels disagree "
                                       f"with their movements, e.g. {mismatches[0].describe()})")
                            if merged:
                                problem += (". Stock has moved since this backup was taken, and a restore over "
                                            "existing data keeps what the backup does not have; to get back "
                                            "exactly the backup's data, restore it into an empty database")
                            if not dry_run:
                                raise RestoreFailed(problem[0].upper() + problem[1:] + "; nothing was changed.",
                                                    report=report)
                            report.ok = False
                            report.message = f"A restore would fail: {problem}."
                    if dry_run:
                        if apply and connection.vendor == "postgresql":
                            with connection.cursor() as cursor:  # the checks a commit would run, now
                                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        transaction.set_rollback(True)
            except ApplicationError:
                raise
            except Exception as error:
                logger.exception("restore failed")
                if dry_run:
                    raise RestoreFailed(f"A restore would fail (nothing was changed): {error}", report=report) from error
                raise RestoreFailed(f"The restore failed and was rolled back, nothing was changed: {error}",
                                    report=report) from error
    except ArchiveError as error:
        raise BackupInvalid(f"The backup did not pass verification: {error}") from error
    if report.ok:
        report.message = _summary(report)
    return report


def backup_restore_source(*, run: RestoreRun) -> Any:
    """The source of a restore run: its stored backup, or the uploaded file in the backups storage."""
    if run.backup_id:
        return run.backup
    return backups_storage().open(run.upload_name, "rb")
