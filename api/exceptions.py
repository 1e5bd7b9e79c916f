"""One place that turns domain errors into API answers."""
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.exceptions import ApplicationError

# The code of a validation error that names something that does not exist (a location, a
# supplier, a SKU in a body or a filter): such a request is well formed, so it answers 404.
UNKNOWN = "unknown"


def _codes(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _codes(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _codes(value)
    else:
        yield getattr(detail, "code", None), str(detail)


def _unknown_only(exc: ValidationError) -> str | None:
    """The first message when every error in `exc` names something unknown, else None."""
    found = list(_codes(exc.detail))
    if found and all(code == UNKNOWN for code, _ in found):
        return found[0][1]
    return None


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, ValidationError):
        message = _unknown_only(exc)
        if message is not None:
            body = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            return Response({"detail": message, **body}, status=404)
    return exception_handler(exc, context)
