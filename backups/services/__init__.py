"""The backup engine: take, verify, restore and drill backups."""
from backups.archive import MemberVerdict, VerifyReport
from backups.errors import BackupFailed, BackupInvalid, ConflictPolicyRequired, RestoreFailed
from backups.services.backups import archive_write, backup_create
from backups.services.drill import DrillResult, backup_drill
from backups.services.restore import RestoreReport, backup_restore
from backups.services.verify import backup_verify
from backups.storage import backup_file_delete, backup_file_open

__all__ = [
    "BackupFailed",
    "BackupInvalid",
    "ConflictPolicyRequired",
    "DrillResult",
    "MemberVerdict",
    "RestoreFailed",
    "RestoreReport",
    "VerifyReport",
    "archive_write",
    "backup_create",
    "backup_drill",
    "backup_file_delete",
    "backup_file_open",
    "backup_restore",
    "backup_verify",
]
