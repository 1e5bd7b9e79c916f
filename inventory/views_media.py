"""Uploaded product and variant images, served from Django's default storage to signed-in
users who may see products (LoginRequiredMiddleware sends anyone else to the login page)."""
import mimetypes
from pathlib import PurePosixPath

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

FOLDERS = {"products", "variants"}


@permission_required("inventory.view_product", raise_exception=True)
@require_GET
def media_view(request, path: str):
    parts = PurePosixPath(path).parts
    if not parts or parts[0] not in FOLDERS or ".." in parts or "\x00" in path:
        raise Http404("No such file.")
    try:
        if not default_storage.exists(path):
            raise Http404("No such file.")
        handle = default_storage.open(path, "rb")
    except (SuspiciousFileOperation, OSError):
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404("No such file.")
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
