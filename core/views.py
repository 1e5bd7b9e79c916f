from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import broker_check, database_check


@login_not_required
@never_cache
@require_GET
def healthz_view(request):
    db_ok, db_detail = database_check()
    broker_ok, broker_detail = broker_check()
    healthy = db_ok and broker_ok
    body = {
        "status": "ok" if healthy else "error",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
@require_GET
def favicon_view(request):
    """Browsers ask for /favicon.ico where a page names no icon (JSON, files): send them to it."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


# --- error pages: JSON under /api/, the site's pages elsewhere ---------------

def _api_error(request, status: int, detail: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return None


def bad_request_view(request, exception):
    return _api_error(request, 400, "Bad request.") or defaults.bad_request(request, exception)


def permission_denied_view(request, exception):
    return _api_error(request, 403, "You do not have permission to perform this action.") or \
        defaults.permission_denied(request, exception)


def page_not_found_view(request, exception):
    return _api_error(request, 404, "Not found.") or defaults.page_not_found(request, exception)


def server_error_view(request):
    return _api_error(request, 500, "Server error.") or defaults.server_error(request)
