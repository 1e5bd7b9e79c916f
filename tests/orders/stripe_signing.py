"""Stripe webhook deliveries built offline: events, and signatures made the way Stripe makes them.

Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
"""
import hashlib
import hmac
import itertools
import json
import time
from datetime import timedelta

from django.test import Client

from orders.models import OrderSource
from orders.services import OrderLineRequest, sales_order_create
from orders.services.checkout import amount_to_minor
from orders.services.orders import order_reserve

SECRET = "whsec_test_stockroom_0123456789"
URL = "/webhooks/stripe/"

_ids = itertools.count(1)


def sign(payload: bytes | str, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for this exact body."""
    body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.{body}".encode("utf-8"), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(type: str, obj: dict, *, id: str | None = None) -> dict:
    return {
        "id": id or f"evt_test_{next(_ids):06d}_{int(time.time() * 1000)}",
        "object": "event",
        "api_version": "2025-06-30.basil",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type,
        "data": {"object": obj},
    }


def encode(evt: dict) -> bytes:
    return json.dumps(evt, separators=(",", ":")).encode("utf-8")


def post(client: Client, evt: dict | bytes, *, secret: str = SECRET, timestamp: int | None = None,
         signature: str | None = None):
    """Deliver an event to the webhook, signed (unless `signature` is given)."""
    body = evt if isinstance(evt, bytes) else encode(evt)
    header = signature if signature is not None else sign(body, secret=secret, timestamp=timestamp)
    return client.post(URL, data=body, content_type="application/json", headers={"Stripe-Signature": header})


# --- test data ----------------------------------------------------------------------

def checkout_order(level, *, quantity: int = 2, email: str = "buyer@example.com", ttl=timedelta(minutes=30)):
    """A PENDING checkout order for `quantity` units of the level's SKU, with its stock reserved
    (expiring after `ttl`), as the checkout service leaves it before Stripe answers."""
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=quantity)],
                               customer_email=email, source=OrderSource.CHECKOUT)
    reservation = order_reserve(order, ttl=ttl, expires=True)
    return order, reservation


# --- event objects ------------------------------------------------------------------

def checkout_session(order, reservation=None, *, payment_status: str = "paid", amount: int | None = None,
                     currency: str | None = None, order_number: str | None = None) -> dict:
    number = order.number if order_number is None else order_number
    metadata = {"order_number": number}
    if reservation is not None:
        metadata["reservation_id"] = str(reservation.pk)
    return {
        "id": f"cs_test_{number}",
        "object": "checkout.session",
        "amount_total": amount_to_minor(order.total, order.currency) if amount is None else amount,
        "currency": (currency or order.currency).lower(),
        "client_reference_id": number,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": f"pi_test_{number}",
        "payment_status": payment_status,
        "status": "complete" if payment_status != "unpaid" else "open",
    }


def payment_intent(order, *, status: str = "requires_payment_method") -> dict:
    return {
        "id": f"pi_test_{order.number}",
        "object": "payment_intent",
        "amount": amount_to_minor(order.total, order.currency),
        "currency": order.currency.lower(),
        "metadata": {"order_number": order.number},
        "status": status,
    }


def charge(order, *, refunded_minor: int | None = None) -> dict:
    amount = amount_to_minor(order.total, order.currency)
    refunded = amount if refunded_minor is None else refunded_minor
    return {
        "id": f"ch_test_{order.number}",
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "currency": order.currency.lower(),
        "metadata": {"order_number": order.number},
        "payment_intent": f"pi_test_{order.number}",
        "refunded": refunded >= amount,
    }
