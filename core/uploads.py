"""Upload size caps, applied before the body is read.

Each upload view has its own cap in MB, a setting named in UPLOAD_LIMITS (URL name to
setting name). For a POST to one of them, UploadLimitMiddleware:

- answers 413 at once when the declared length (Content-Length) is over the cap plus a
  small allowance for the form's other fields: nothing is read, nothing is stored;
- reads a body sent without a length (chunked) itself, into a spooled temporary file, and
  stops at the cap: past it the answer is the same 413 and the rest is never read; within
  it the request goes on with the body and its length, as if it had been declared. That
  needs a server that ends the body for us (`wsgi.input_terminated`: gunicorn does); under
  one that does not, such a body is refused with 411, unread;
- puts an upload handler first that stops reading once the uploaded files pass the same
  cap, whatever the request declared, and turns that into the same 413.

API paths get JSON (`{"detail": ...}`), pages a readable page naming the limit. A file
over the cap but within the allowance is refused by the form or serializer (400).
"""
import tempfile

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.exceptions import ApplicationError

MB = 1024 * 1024
# Room for the form's other fields and the multipart framing around the file.
FORM_ALLOWANCE = 64 * 1024
BODY_METHODS = ("POST", "PUT", "PATCH")


class UploadTooLarge(ApplicationError):
    status_code = 413

    def __init__(self, limit_mb: int):
        super().__init__(upload_too_large_message(limit_mb))
        self.limit_mb = limit_mb


def upload_too_large_message(limit_mb: int) -> str:
    return f"The file is larger than {limit_mb:,} MB, the most this upload accepts. Nothing was stored."


def upload_length_required_message(limit_mb: int) -> str:
    return (f"Send the file with its size (a Content-Length header): uploads here take at most {limit_mb:,} MB. "
            f"Nothing was stored.")


# A chunked body is read this much at a time, and kept in memory up to this size.
READ_CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 2 * MB


def _read_unsized_body(request: HttpRequest, *, limit_bytes: int) -> bool:
    """Read a body sent without a Content-Length (chunked), at most `limit_bytes` of it.

    False when it is longer (the rest is left unread). Otherwise the request is given the
    body and its length, so the form or parser reads it like any declared upload."""
    source = request.META.get("wsgi.input")
    if source is None:
        return True
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    size = 0
    while True:
        chunk = source.read(min(READ_CHUNK, limit_bytes + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit_bytes:
            spool.close()
            return False
        spool.write(chunk)
    spool.seek(0)
    request.META["CONTENT_LENGTH"] = str(size)
    request._stream = LimitedStream(spool, size)
    request._unsized_body = spool  # kept open for as long as the request lives
    return True


class UploadLimitHandler(FileUploadHandler):
    """Counts the bytes of every file in the request; past the cap it stops the upload
    without reading the rest (the files received so far are closed and removed), and once
    the parser is done it raises UploadTooLarge, so no part of the request reaches the view."""

    def __init__(self, request: HttpRequest, *, limit_mb: int):
        super().__init__(request)
        self.limit_mb = limit_mb
        self.limit_bytes = limit_mb * MB + FORM_ALLOWANCE
        self.received = 0
        self.refused = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit_bytes:
            self.refused = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file

    def upload_complete(self) -> None:
        if self.refused:
            self.request._mark_post_parse_error()  # as Django does after a parse error: the form stays empty
            raise UploadTooLarge(self.limit_mb)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def upload_refused_response(request: HttpRequest, *, message: str, limit_mb: int, status: int) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status)
    context = {"message": message, "limit_mb": limit_mb, "back_url": request.path}
    return render(request, "upload_refused.html", context, status=status)


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class UploadLimitMiddleware:
    """Enforces UPLOAD_LIMITS; listed before CsrfViewMiddleware, the first to read a form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in BODY_METHODS or request.resolver_match is None:
            return None
        setting = settings.UPLOAD_LIMITS.get(request.resolver_match.view_name)
        if setting is None:
            return None
        limit_mb = getattr(settings, setting)
        length = _declared_length(request)
        if length is None:
            if not request.META.get("HTTP_TRANSFER_ENCODING"):
                return None  # no body
            if not request.META.get("wsgi.input_terminated"):
                return upload_refused_response(request, message=upload_length_required_message(limit_mb),
                                               limit_mb=limit_mb, status=411)
            if not _read_unsized_body(request, limit_bytes=limit_mb * MB + FORM_ALLOWANCE):
                return upload_refused_response(request, message=upload_too_large_message(limit_mb),
                                               limit_mb=limit_mb, status=413)
        elif length > limit_mb * MB + FORM_ALLOWANCE:
            return upload_refused_response(request, message=upload_too_large_message(limit_mb),
                                           limit_mb=limit_mb, status=413)
        request.upload_handlers.insert(0, UploadLimitHandler(request, limit_mb=limit_mb))
        if _is_api(request):
            # The API reads the body after authenticating the caller; the handler's error
            # reaches its exception handler, which answers the same 413.
            return None
        try:
            request.POST  # read the form now, under the cap (the CSRF check would read it next)
        except UploadTooLarge as exc:
            return upload_refused_response(request, message=exc.message, limit_mb=limit_mb, status=413)
        return None
