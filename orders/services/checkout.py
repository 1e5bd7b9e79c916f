"""Checkout: a PENDING order, a reservation, and a Stripe Checkout Session to pay for it.

The order and the reservation are written in one transaction; Stripe is called after it
has committed, so no row lock is ever held while waiting on Stripe. When Stripe
refuses, the reservation is released and the order cancelled.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import transaction

from core.exceptions import ServiceUnavailable, UpstreamError, ValidationFailed
from inventory.models import Reservation
from inventory.services import reservation_release, reservation_ttl_default
from orders.models import OrderSource, OrderStatus, SalesOrder
from orders.services.orders import OrderLineRequest, _lock_order, _set_status, order_reserve, sales_order_create

# Stripe accepts a session expiry between 30 minutes and 24 hours ahead. The hold lasts a
# minute longer than the shortest session Stripe allows, so the request cannot arrive
# "too early" however long it takes to reach Stripe.
STRIPE_MIN_SESSION = timedelta(minutes=30)
STRIPE_MAX_SESSION = timedelta(hours=24)
STRIPE_ALLOWANCE = timedelta(minutes=1)

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL_CURRENCIES = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                           "XAF", "XOF", "XPF"}


@dataclass(frozen=True)
class CheckoutResult:
    order: SalesOrder
    reservation: Reservation
    checkout_url: str
    expires_at: datetime


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    if not stripe_configured():
        raise ServiceUnavailable("Payments are not configured: STRIPE_SECRET_KEY is not set.")
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


def amount_to_minor(amount: Decimal, currency: str) -> int:
    """Decimal money → Stripe's integer amount in the currency's smallest unit."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount.quantize(Decimal("1")))
    return int((amount * 100).quantize(Decimal("1")))


def checkout_ttl() -> timedelta:
    ttl = max(reservation_ttl_default(), STRIPE_MIN_SESSION + STRIPE_ALLOWANCE)
    return min(ttl, STRIPE_MAX_SESSION)


def _check_url(value: str, *, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("This field is required.", field=field)
    if not (value.startswith("https://") or value.startswith("http://")) or len(value) > 2000:
        raise ValidationFailed("Enter an absolute http(s) address.", field=field)
    return value


def _session_params(order: SalesOrder, reservation: Reservation, *, success_url: str, cancel_url: str) -> dict:
    metadata = {"order_number": order.number, "reservation_id": str(reservation.pk)}
    line_items = [
        {
            "quantity": line.quantity,
            "price_data": {
                "currency": order.currency.lower(),
                "unit_amount": amount_to_minor(line.unit_price, order.currency),
                "product_data": {"name": line.variant.display_name[:250], "metadata": {"sku": line.variant.sku}},
            },
        }
        for line in order.lines.select_related("variant__product")
    ]
    params = {
        "mode": "payment",
        "line_items": line_items,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": order.number,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": math.ceil(reservation.expires_at.timestamp()),
    }
    if order.customer_email:
        params["customer_email"] = order.customer_email
    return params


def checkout_create(
    *,
    lines: list[OrderLineRequest],
    success_url: str,
    cancel_url: str,
    customer_email: str = "",
    customer_name: str = "",
    user=None,
) -> CheckoutResult:
    """Reserve the lines for a new order and open a Stripe Checkout Session for it."""
    success_url = _check_url(success_url, field="success_url")
    cancel_url = _check_url(cancel_url, field="cancel_url")
    client = stripe_client()

    with transaction.atomic():
        order = sales_order_create(lines=lines, customer_email=customer_email, customer_name=customer_name,
                                   source=OrderSource.CHECKOUT, user=user)
        reservation = order_reserve(order, user=user, ttl=checkout_ttl(), expires=True)
    params = _session_params(order, reservation, success_url=success_url, cancel_url=cancel_url)

    try:
        session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": f"checkout-{order.number}"})
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc) or exc.__class__.__name__
        checkout_abandon(order=order, reservation=reservation, reason=f"Stripe refused the checkout: {message}")
        raise UpstreamError(f"Stripe refused the checkout session: {message}", details={"order": order.number}) from exc

    with transaction.atomic():
        order = _lock_order(order)
        order.stripe_checkout_session_id = session.id or ""
        order.save(update_fields=["stripe_checkout_session_id", "updated_at"])
    return CheckoutResult(order=order, reservation=reservation, checkout_url=session.url or "",
                          expires_at=reservation.expires_at)


def checkout_abandon(*, order: SalesOrder, reservation: Reservation, reason: str) -> None:
    """Undo a checkout Stripe would not open: release the stock, cancel the order."""
    with transaction.atomic():
        order = _lock_order(order)
        reservation_release(reservation=reservation)
        if order.status == OrderStatus.PENDING:
            _set_status(order, OrderStatus.CANCELLED, message=reason[:500])
