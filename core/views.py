from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
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
