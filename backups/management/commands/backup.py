"""manage.py backup create|list|verify|restore — backups from the command line, run at once.

  backup create [--sections catalogue stock ...]   prints the archive's path as its last line
  backup list                                      id, kind, status, created, size, file
  backup verify FILE_OR_ID                         the verdict per member; exit 1 when invalid
  backup restore FILE_OR_ID [--dry-run] [--conflict skip|overwrite]
                                                   the per-model report; exit 1 when refused
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from backups.models import Backup, BackupKind, BackupSection, ConflictPolicy
from backups.selectors import backup_list
from backups.services.jobs import backup_file_path
from backups.validators import backup_sections_clean
from core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Take, list, verify and restore backups (synchronously, without a worker)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

        create = actions.add_parser("create", help="Take a backup now; prints the archive's path last.")
        create.add_argument("--sections", nargs="+", metavar="SECTION", default=None,
                            help=f"Sections to include (default: all but users): {', '.join(BackupSection.values)}.")

        actions.add_parser("list", help="List the backups, newest first.")

        verify = actions.add_parser("verify", help="Check a backup: manifest, checksums, key, migrations.")
        verify.add_argument("source", metavar="FILE_OR_ID", help="A backup's id or the path of an archive file.")

        restore = actions.add_parser("restore", help="Restore a backup (or preview it with --dry-run).")
        restore.add_argument("source", metavar="FILE_OR_ID", help="A backup's id or the path of an archive file.")
        restore.add_argument("--dry-run", action="store_true",
                             help="Report what would be created, updated, left alone or conflict; change nothing.")
        restore.add_argument("--conflict", choices=ConflictPolicy.values, default=None,
                             help="Rows that exist in both: skip or overwrite. Required when the database holds data.")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            return getattr(self, f"_{action}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    # --- actions ------------------------------------------------------------------

    def _create(self, options):
        from backups.services import backup_create

        sections = backup_sections_clean(sections=options["sections"])
        backup = backup_create(kind=BackupKind.MANUAL, sections=sections)
        total = sum(backup.counts.values()) if backup.counts else 0
        self.stdout.write(f"Backup {backup.pk} completed: {total} rows in {len(backup.counts)} models, "
                          f"{filesizeformat(backup.size)}{', encrypted' if backup.encrypted else ''}, "
                          f"{backup.duration_seconds or 0:.1f} s.")
        self.stdout.write(backup_file_path(backup=backup))

    def _list(self, options):
        rows = [("ID", "KIND", "STATUS", "CREATED", "SIZE", "FILE")]
        for backup in backup_list():
            rows.append((str(backup.pk), backup.kind, backup.status,
                         timezone.localtime(backup.created_at).strftime("%Y-%m-%d %H:%M"),
                         filesizeformat(backup.size) if backup.size else "-", backup.file_name or "-"))
        widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]) - 1)]
        for row in rows:
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths)) + "  " + row[-1])
        if len(rows) == 1:
            self.stdout.write("No backups yet.")

    def _verify(self, options):
        from backups.services import backup_verify

        report = backup_verify(source=self._source(options["source"]))
        for member in report.members or []:
            self.stdout.write(f"{'OK ' if member.ok else 'BAD'}  {member.name}  {member.message}".rstrip())
        if not report.ok:
            raise CommandError(f"Invalid: {report.message}")
        self.stdout.write(report.message or "Valid.")

    def _restore(self, options):
        from backups.errors import BackupInvalid
        from backups.services import backup_restore

        source = self._source(options["source"])
        try:
            report = backup_restore(source=source, dry_run=options["dry_run"], conflict=options["conflict"])
        except BackupInvalid as exc:
            for member in getattr(exc.report, "members", None) or []:
                if not member.ok:
                    self.stderr.write(f"BAD  {member.name}  {member.message}")
            raise
        header = ("MODEL", "CREATE", "UPDATE", "UNCHANGED", "CONFLICT")
        rows = [header] + [
            (name, *(str(values.get(key, 0)) for key in ("create", "update", "unchanged", "conflict")))
            for name, values in sorted((report.models or {}).items())
        ]
        widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
        for row in rows:
            self.stdout.write("  ".join(value.ljust(widths[0]) if index == 0 else value.rjust(widths[index])
                                        for index, value in enumerate(row)))
        if report.auto_backup is not None:
            self.stdout.write(f"The data as it was before: backup {report.auto_backup.pk}.")
        if report.ledger_ok is not None:
            self.stdout.write(f"Ledger check: {'clean' if report.ledger_ok else 'MISMATCHES'}.")
        if not report.ok:
            raise CommandError(report.message or "The restore failed; nothing was changed.")
        fallback = "Dry run: nothing changed." if report.dry_run else "Restored."
        self.stdout.write(report.message or fallback)

    # --- helpers ------------------------------------------------------------------

    def _source(self, value: str):
        """A backup id, or the path of an archive file."""
        if value.isdigit():
            backup = Backup.objects.filter(pk=int(value)).first()
            if backup is not None:
                return backup
            if not Path(value).exists():
                raise CommandError(f"No backup with id {value} (and no file of that name).")
        path = Path(value)
        if not path.is_file():
            raise CommandError(f"No such file: {value}")
        return path
