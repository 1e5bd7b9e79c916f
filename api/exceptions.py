"""One place that turns domain errors into API answers."""
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.exceptions import ApplicationError


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    return exception_handler(exc, context)
