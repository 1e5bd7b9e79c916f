"""Domain errors. Views and the API turn them into form errors, messages or 4xx bodies."""
from typing import Any


class ApplicationError(Exception):
    """An error a user can act on: a message plus structured details."""

    status_code = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        if not self.field:
            return {"detail": self.message, **self.details}
        body = {self.field: [self.message], **self.details}
        # "Not found" and "conflict" answers always carry `detail`, naming the field as well.
        return {"detail": self.message, **body} if self.status_code in (404, 409) else body


class ValidationFailed(ApplicationError):
    status_code = 400


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class InsufficientStock(Conflict):
    """A change would take a level below zero or below what is reserved."""


class StockMismatch(Conflict):
    """Compare-and-set failed: the level holds something else than the caller expected."""


class IllegalTransition(Conflict):
    pass


class ServiceUnavailable(ApplicationError):
    """A feature that needs configuration it does not have (e.g. Stripe keys)."""

    status_code = 503


class UpstreamError(ApplicationError):
    """A service we call (Stripe) refused or failed."""

    status_code = 502
