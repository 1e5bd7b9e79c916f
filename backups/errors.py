"""Errors of the backup engine. Views, the API and the commands turn them into messages."""
from typing import Any

from core.exceptions import ApplicationError, Conflict, ValidationFailed


class BackupFailed(ApplicationError):
    """Taking a backup failed; the Backup row is FAILED with the reason in `error`."""

    status_code = 500


class BackupInvalid(ValidationFailed):
    """A backup file did not pass verification; `.report` is the VerifyReport."""

    def __init__(self, message: str, *, report: Any = None, details: dict[str, Any] | None = None):
        super().__init__(message, details=details)
        self.report = report


class ConflictPolicyRequired(ValidationFailed):
    """The database already holds data: the caller must choose `skip` or `overwrite`."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message, details=details, field="conflict")


class RestoreFailed(Conflict):
    """A restore failed and was rolled back: the database is exactly as it was before."""

    def __init__(self, message: str, *, report: Any = None, details: dict[str, Any] | None = None):
        super().__init__(message, details=details)
        self.report = report
