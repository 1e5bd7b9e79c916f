"""Stripe's webhook endpoint: verify the signature, apply the event once, answer Stripe.

The view is thin: the services verify and apply. Answers, as Stripe reads them:
200 when the event is applied, recorded as ignored/flagged, or already processed;
400 when the request is not a genuine event, whatever its Stripe-Signature header or body
holds (nothing is stored; Stripe will not fix it by retrying); 413 for an oversized body;
503 when webhooks are not configured; 500 when applying failed (the effect was rolled back
and the failure noted on the event row), so Stripe delivers it again.
"""
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from orders.services import stripe_event_handle, stripe_event_record_failure, stripe_event_verify

logger = logging.getLogger(__name__)

# Stripe's events are a few kilobytes; anything near this is not one of them.
MAX_BODY_BYTES = 1024 * 1024


def _too_large(request) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared > MAX_BODY_BYTES


@csrf_exempt
@login_not_required
@require_POST
def stripe_webhook_view(request):
    if _too_large(request):
        return JsonResponse({"detail": f"The body is larger than {MAX_BODY_BYTES} bytes."}, status=413)
    payload = request.body
    if len(payload) > MAX_BODY_BYTES:
        return JsonResponse({"detail": f"The body is larger than {MAX_BODY_BYTES} bytes."}, status=413)
    try:
        event = stripe_event_verify(payload=payload, signature=request.headers.get("Stripe-Signature"))
    except ApplicationError as exc:
        logger.warning("Stripe webhook refused (%s): %s", exc.status_code, exc.message)
        return JsonResponse({"detail": exc.message}, status=exc.status_code)

    try:
        result = stripe_event_handle(event=event)
    except Exception as exc:
        logger.exception("Stripe event %s (%s) failed; Stripe will deliver it again", event["id"], event["type"])
        stripe_event_record_failure(event=event, error=exc)  # never raises: logs what it cannot record
        return JsonResponse({"detail": "The event could not be applied; it will be retried."}, status=500)

    return JsonResponse({
        "received": True,
        "event": result.event.event_id,
        "duplicate": result.duplicate,
        "outcome": result.event.outcome,
    })
