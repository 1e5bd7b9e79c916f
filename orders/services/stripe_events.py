"""Stripe's webhook events, each applied exactly once.

An event is stored in the same transaction as its effect: the row is inserted (waiting
for any concurrent delivery of the same event to finish), locked, and skipped when it is
already processed. So a duplicate — even a concurrent one — changes nothing, and an error
in a handler rolls back both the effect and the "processed" mark, leaving the event for
Stripe's next delivery.

Lock order: event row, order row, reservation, stock levels.
"""
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.exceptions import IllegalTransition, InsufficientStock, ServiceUnavailable, ValidationFailed
from inventory.models import ReservationStatus
from inventory.services import reservation_hold
from orders.models import OrderStatus, SalesOrder, StripeEvent, StripeEventOutcome
from orders.services.checkout import ZERO_DECIMAL_CURRENCIES, amount_to_minor
from orders.services.orders import (
    PROGRESS,
    _lock_order,
    _set_status,
    order_commit_stock,
    order_confirmation_email_queue,
    order_event_add,
    order_refund_locked,
    order_release_stock,
    order_reservation,
    sales_order_mark_paid,
)

logger = logging.getLogger(__name__)

S = OrderStatus
O = StripeEventOutcome

# A timestamp and a few signatures (several v1 entries while a secret is rolled) fit in far less.
MAX_SIGNATURE_HEADER = 4096
_SIGNATURE_HEADER = re.compile(r"[\x20-\x7e]*")  # printable ASCII, as Stripe sends it
# Stripe's events nest a few levels deep; far deeper is not one of them.
MAX_EVENT_DEPTH = 64
# What PostgreSQL cannot store in text or jsonb: NUL, and lone surrogates (no UTF-8 form;
# a JSON surrogate pair is already one character once parsed).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Not part of a Stripe id or event type: control characters (C0, DEL, C1) and lone surrogates.
_NOT_AN_ID = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Outcome:
    outcome: str
    message: str
    order: SalesOrder | None = None


@dataclass(frozen=True)
class EventResult:
    event: StripeEvent
    duplicate: bool = False


# --- verification ---------------------------------------------------------

def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON Stripe sends")


def _signature_refused(reason: str) -> ValidationFailed:
    return ValidationFailed(f"The Stripe-Signature header is not valid: {reason}", field="Stripe-Signature")


def _storable_text(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text)


def _storable_json(value, *, depth: int = 0):
    """A copy of parsed JSON whose strings (keys and values) PostgreSQL can store: each NUL
    and lone surrogate becomes U+FFFD. ValueError when nested deeper than MAX_EVENT_DEPTH."""
    if isinstance(value, str):
        return _storable_text(value)
    if depth >= MAX_EVENT_DEPTH and isinstance(value, (dict, list)):
        raise ValueError(f"nested deeper than {MAX_EVENT_DEPTH} levels")
    if isinstance(value, dict):
        return {_storable_text(str(key)): _storable_json(item, depth=depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable_json(item, depth=depth + 1) for item in value]
    return value


def stripe_event_verify(*, payload: bytes, signature: str | None) -> dict:
    """Check the Stripe-Signature header and return the event; ValidationFailed otherwise.

    Any malformed header (not printable ASCII, over MAX_SIGNATURE_HEADER characters, no
    timestamp, no or wrong v1 signature, too old) is refused naming the Stripe-Signature field.
    A genuine event is refused naming `id` or `type` when either holds a control character or
    a lone surrogate: no Stripe id does, and NUL or a lone surrogate cannot be stored.

    The rest of the event is kept as sent, except what PostgreSQL cannot store: in every
    string of the payload, keys included, each NUL and each lone surrogate becomes U+FFFD
    (the replacement character). The handlers see the same event that is stored.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise ServiceUnavailable("Stripe webhooks are not configured: STRIPE_WEBHOOK_SECRET is not set.")
    if not signature:
        raise ValidationFailed("The Stripe-Signature header is missing.", field="Stripe-Signature")
    if len(signature) > MAX_SIGNATURE_HEADER:
        raise _signature_refused(f"it is longer than {MAX_SIGNATURE_HEADER} characters.")
    if not _SIGNATURE_HEADER.fullmatch(signature):
        raise _signature_refused("it holds characters other than printable ASCII.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("The body is not a JSON Stripe event.", field="body") from None
    try:
        # The signature check construct_event makes, without its Event object: that one
        # fails with AttributeError on a signed body that is JSON but not an object.
        stripe.WebhookSignature.verify_header(text, signature, secret, settings.STRIPE_WEBHOOK_TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        raise _signature_refused(str(exc.user_message or exc)) from None
    except (TypeError, ValueError):
        # Whatever the header holds, a signature that cannot be compared is a bad signature.
        raise _signature_refused("its signatures cannot be compared.") from None
    try:
        event = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ValidationFailed("The body is not a JSON Stripe event.", field="body") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise ValidationFailed("The event has no id or type.", field="body")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise ValidationFailed("The event has no data.object.", field="body")
    if not event["id"] or len(event["id"]) > 255 or len(event["type"]) > 100:
        raise ValidationFailed("The event id or type is malformed.", field="body")
    for field in ("id", "type"):
        if _NOT_AN_ID.search(event[field]):
            raise ValidationFailed(f"The event's {field} holds a control character or a lone surrogate; "
                                   "no Stripe event does.", field=field)
    try:
        return _storable_json(event)
    except ValueError as exc:
        raise ValidationFailed(f"The event is {exc}; no Stripe event is.", field="body") from None


# --- recording ------------------------------------------------------------

def stripe_event_handle(*, event: dict) -> EventResult:
    """Apply a verified event once; a delivery of an already processed event is a no-op."""
    with transaction.atomic():
        StripeEvent.objects.bulk_create(
            [StripeEvent(event_id=event["id"], type=event["type"], payload=event)], ignore_conflicts=True
        )
        record = StripeEvent.objects.select_for_update(of=("self",)).get(event_id=event["id"])
        if record.processed_at is not None:
            return EventResult(event=record, duplicate=True)
        handler = HANDLERS.get(event["type"])
        if handler is None:
            result = Outcome(O.IGNORED, f"Event type {event['type']} is not used by Stockroom.")
        else:
            result = handler(event["data"]["object"], record)
        record.order = result.order
        record.outcome = result.outcome
        record.message = result.message[:2000]
        record.processed_at = timezone.now()
        record.attempts += 1
        record.save(update_fields=["order", "outcome", "message", "processed_at", "attempts"])
    return EventResult(event=record)


def _describe(error: Exception) -> str:
    try:
        return _storable_text(f"{error.__class__.__name__}: {error}")[:2000]
    except Exception:  # an exception whose str() fails still names its class
        return error.__class__.__name__


def stripe_event_record_failure(*, event: dict, error: Exception) -> None:
    """Note a delivery whose handler failed (its effect was rolled back); it stays unprocessed.

    Best effort, and never raises: it runs while the caller answers a failure already. An
    event that cannot be stored (a missing or unstorable id or type, a payload that is not
    JSON) or a database error is logged instead of recorded.
    """
    try:
        event_id, event_type = event.get("id"), event.get("type")
        storable = isinstance(event_id, str) and isinstance(event_type, str)
        if not storable or _NOT_AN_ID.search(event_id + event_type):
            logger.error("Stripe event failure not recorded: the event has no storable id or type")
            return
        payload = _storable_json(event)
        message = _describe(error)
        with transaction.atomic():
            StripeEvent.objects.bulk_create(
                [StripeEvent(event_id=event_id[:255], type=event_type[:100], payload=payload)],
                ignore_conflicts=True,
            )
            record = StripeEvent.objects.select_for_update(of=("self",)).get(event_id=event_id[:255])
            if record.processed_at is not None:
                return
            record.outcome = O.FAILED
            record.message = message
            record.attempts += 1
            record.save(update_fields=["outcome", "message", "attempts"])
    except Exception:
        event_id = event.get("id") if isinstance(event, dict) else None
        logger.exception("Could not record the failure of Stripe event %r", event_id)


# --- finding the order ----------------------------------------------------

def _order_number(obj: dict) -> str:
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    number = metadata.get("order_number") or obj.get("client_reference_id") or ""
    return number if isinstance(number, str) else ""


def _find_order(obj: dict, *, payment_intent: str = "") -> tuple[SalesOrder | None, str]:
    """The order an event object names, locked; or None and why not."""
    number = _order_number(obj)
    qs = SalesOrder.objects.none()
    if number:
        qs = SalesOrder.objects.filter(number=number)
    elif payment_intent:
        qs = SalesOrder.objects.filter(stripe_payment_intent_id=payment_intent)
    elif obj.get("object") == "checkout.session" and obj.get("id"):
        qs = SalesOrder.objects.filter(stripe_checkout_session_id=obj["id"])
    order = qs.order_by("pk").first()
    if order is None:
        what = f"order {number}" if number else "an order (no order_number in metadata)"
        return None, f"The event names {what} that Stockroom does not know; nothing was changed."
    return _lock_order(order), ""


def _flag(order: SalesOrder | None, message: str, record: StripeEvent) -> Outcome:
    if order is not None:
        order.attention = message[:1000]
        order.save(update_fields=["attention", "updated_at"])
        order_event_add(order=order, message=f"Flagged: {message}", stripe_event=record)
    return Outcome(O.FLAGGED, message, order)


def _ignore(order: SalesOrder, message: str, record: StripeEvent) -> Outcome:
    order_event_add(order=order, message=f"Stripe {record.type}: {message}", stripe_event=record)
    return Outcome(O.IGNORED, message, order)


def _money(amount_minor: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount_minor)
    return (Decimal(amount_minor) / 100).quantize(Decimal("0.01"))


# --- handlers -------------------------------------------------------------

def _check_payment(order: SalesOrder, obj: dict) -> str:
    """Why the session's money does not match the order, or ''."""
    currency = obj.get("currency")
    amount = obj.get("amount_total")
    if not isinstance(currency, str) or currency.upper() != order.currency.upper():
        return f"Stripe reported currency {currency!r}, the order is in {order.currency}; nothing was fulfilled."
    if isinstance(amount, bool) or not isinstance(amount, int) or amount != amount_to_minor(order.total, order.currency):
        return (f"Stripe reported an amount of {amount!r} (smallest unit), the order totals "
                f"{amount_to_minor(order.total, order.currency)}; nothing was fulfilled.")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    reservation_id = metadata.get("reservation_id")
    if reservation_id not in (None, ""):
        reservation = order_reservation(order)
        if reservation is None or str(reservation.pk) != str(reservation_id):
            return f"Reservation {reservation_id} in the event does not belong to order {order.number}; nothing was fulfilled."
    return ""


def _session_paid(obj: dict, record: StripeEvent) -> Outcome:
    payment_intent = obj.get("payment_intent") if isinstance(obj.get("payment_intent"), str) else ""
    order, why = _find_order(obj)
    if order is None:
        return _flag(None, why, record)
    if order.status == S.REFUNDED:
        return _ignore(order, "the order is already refunded; nothing was committed.", record)
    if order.status == S.CANCELLED:
        return _flag(order, "Payment received for a cancelled order: refund the customer.", record)
    if order.is_paid or PROGRESS[order.status] >= PROGRESS[S.CONFIRMED] or order.status == S.NEEDS_ATTENTION:
        return _ignore(order, f"the order is already {order.get_status_display().lower()}; nothing changed.", record)
    if mismatch := _check_payment(order, obj):
        return _flag(order, mismatch, record)

    sales_order_mark_paid(order, amount=_money(obj["amount_total"], order.currency), payment_intent=payment_intent)
    try:
        order_commit_stock(order, reacquire=True)
    except IllegalTransition as exc:
        # Paid for an order that never held stock (not a checkout order): staff must look.
        return _flag(order, f"Paid, but {exc.message}", record)
    except InsufficientStock as exc:
        order.attention = f"Paid, but the stock could not be taken: {exc.message}"[:1000]
        order.save(update_fields=["attention", "updated_at"])
        _set_status(order, S.NEEDS_ATTENTION, message=order.attention, stripe_event=record)
        return Outcome(O.PROCESSED, order.attention, order)
    order_confirm_paid(order, record=record)
    return Outcome(O.PROCESSED, f"Order {order.number} paid and confirmed; stock committed.", order)


def order_confirm_paid(order: SalesOrder, *, record: StripeEvent) -> None:
    """Status CONFIRMED after payment, and the confirmation email queued for after commit."""
    _set_status(order, S.CONFIRMED, message="Paid through Stripe: stock committed (SALE).", stripe_event=record)
    order_confirmation_email_queue(order=order)


def _session_completed(obj: dict, record: StripeEvent) -> Outcome:
    status = obj.get("payment_status")
    if status in ("paid", "no_payment_required"):
        return _session_paid(obj, record)
    order, why = _find_order(obj)
    if order is None:
        return _flag(None, why, record)
    if order.status != S.PENDING:
        return _ignore(order, f"the order is already {order.get_status_display().lower()}; nothing changed.", record)
    # Payment still clearing (e.g. a bank debit): keep the stock held until Stripe says how it went.
    reservation = order_reservation(order, status=ReservationStatus.ACTIVE)
    if reservation is not None:
        reservation_hold(reservation=reservation, expires_at=None)
    if isinstance(obj.get("payment_intent"), str):
        order.stripe_payment_intent_id = obj["payment_intent"]
        order.save(update_fields=["stripe_payment_intent_id", "updated_at"])
    message = f"Checkout completed with payment {status}: stock stays reserved until the payment clears."
    order_event_add(order=order, message=message, stripe_event=record)
    return Outcome(O.PROCESSED, message, order)


def _payment_failed(obj: dict, record: StripeEvent) -> Outcome:
    payment_intent = obj.get("id") if obj.get("object") == "payment_intent" else ""
    order, why = _find_order(obj, payment_intent=payment_intent or "")
    if order is None:
        return _flag(None, why, record)
    if order.status != S.PENDING or order.is_paid:
        return _ignore(order, f"the order is already {order.get_status_display().lower()}; nothing changed.", record)
    released = order_release_stock(order)
    _set_status(order, S.CANCELLED,
                message=f"Stripe {record.type}: order cancelled" + (", reserved stock released." if released else "."),
                stripe_event=record)
    return Outcome(O.PROCESSED, f"Order {order.number} cancelled.", order)


def _charge_refunded(obj: dict, record: StripeEvent) -> Outcome:
    payment_intent = obj.get("payment_intent") if isinstance(obj.get("payment_intent"), str) else ""
    order, why = _find_order(obj, payment_intent=payment_intent)
    if order is None:
        return _flag(None, why, record)
    amount = obj.get("amount")
    refunded = obj.get("amount_refunded")
    if isinstance(amount, bool) or not isinstance(amount, int) or isinstance(refunded, bool) or not isinstance(refunded, int):
        return _flag(order, "The refund event carries no amount; nothing was changed.", record)
    currency = obj.get("currency") or order.currency
    refunded_money = _money(refunded, str(currency))
    if order.status == S.REFUNDED:
        return _ignore(order, "the order is already refunded; nothing changed.", record)
    if order.status == S.CANCELLED:
        order.amount_refunded = refunded_money
        order.attention = ""
        order.save(update_fields=["amount_refunded", "attention", "updated_at"])
        order_event_add(order=order, message=f"Refund of {refunded_money} {order.currency} recorded on the cancelled order.",
                        stripe_event=record)
        return Outcome(O.PROCESSED, "Refund recorded on a cancelled order; no stock to move.", order)
    if obj.get("refunded") is True or refunded >= amount:
        order_refund_locked(order, stripe_event=record, amount=refunded_money, note="(Stripe: full refund)")
        return Outcome(O.PROCESSED, f"Order {order.number} refunded in full.", order)
    order.amount_refunded = refunded_money
    order.save(update_fields=["amount_refunded", "updated_at"])
    return Outcome(
        O.FLAGGED,
        _flag(order, f"Partial refund of {refunded_money} {order.currency}: choose the lines to restock.", record).message,
        order,
    )


HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _payment_failed,
    "checkout.session.expired": _payment_failed,
    "payment_intent.payment_failed": _payment_failed,
    "payment_intent.canceled": _payment_failed,
    "charge.refunded": _charge_refunded,
}
