"""The Stripe webhook accepts only genuine, fresh events; anything else changes nothing."""
import time

import pytest
from django.test import Client

from inventory.models import ReservationStatus, StockMovement
from orders.models import OrderStatus, StripeEvent, StripeEventOutcome
from orders.webhooks import MAX_BODY_BYTES
from tests.orders import stripe_signing as stripe
from tests.orders.stripe_signing import URL


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = stripe.SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    return stripe.SECRET


@pytest.fixture
def csrf_client():
    """Stripe sends no CSRF token and no session: neither may be required."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def pending(stocked):
    level = stocked(10)
    order, reservation = stripe.checkout_order(level, quantity=2)
    return level, order, reservation


def _completed(order, reservation, **kwargs) -> dict:
    return stripe.event("checkout.session.completed", stripe.checkout_session(order, reservation), **kwargs)


def assert_nothing_changed(level, order, reservation):
    assert not StripeEvent.objects.exists()
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (10, 2)
    assert not StockMovement.objects.filter(type="SALE").exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not order.is_paid
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ACTIVE


def test_stripe_webhook_view_valid_signature_applies_and_stores(csrf_client, pending):
    level, order, reservation = pending
    evt = _completed(order, reservation)

    response = stripe.post(csrf_client, evt)

    assert response.status_code == 200
    assert response.json() == {"received": True, "event": evt["id"], "duplicate": False,
                               "outcome": StripeEventOutcome.PROCESSED}
    record = StripeEvent.objects.get()
    assert (record.event_id, record.type, record.order) == (evt["id"], "checkout.session.completed", order)
    assert record.processed_at is not None and record.payload == evt
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (8, 0)


def test_stripe_webhook_view_tampered_body_is_refused(csrf_client, pending):
    level, order, reservation = pending
    signed = stripe.encode(_completed(order, reservation))
    tampered = signed.replace(b'"payment_status":"paid"', b'"payment_status":"paid" ')

    response = stripe.post(csrf_client, tampered, signature=stripe.sign(signed))

    assert response.status_code == 400
    assert "signature" in response.json()["detail"].lower()
    assert_nothing_changed(level, order, reservation)


def test_stripe_webhook_view_wrong_secret_is_refused(csrf_client, pending):
    level, order, reservation = pending

    response = stripe.post(csrf_client, _completed(order, reservation), secret="whsec_someone_else")

    assert response.status_code == 400
    assert "signature" in response.json()["detail"].lower()
    assert_nothing_changed(level, order, reservation)


@pytest.mark.parametrize("age", [301, 3600], ids=["just-over-tolerance", "an-hour-old"])
def test_stripe_webhook_view_old_timestamp_is_refused(csrf_client, pending, age):
    level, order, reservation = pending

    response = stripe.post(csrf_client, _completed(order, reservation), timestamp=int(time.time()) - age)

    assert response.status_code == 400
    assert "tolerance" in response.json()["detail"].lower()
    assert_nothing_changed(level, order, reservation)


def test_stripe_webhook_view_missing_header_is_refused(csrf_client, pending):
    level, order, reservation = pending
    body = stripe.encode(_completed(order, reservation))

    response = csrf_client.post(URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The Stripe-Signature header is missing."
    assert_nothing_changed(level, order, reservation)


@pytest.mark.parametrize("header", [
    "garbage",
    "t=not-a-number,v1=abcdef",
    "v1=abcdef",
    "t=1700000000",
    "t=1700000000,v0=abcdef",
    "t=1700000000,v1",
    ",,,",
], ids=["garbage", "bad-timestamp", "no-timestamp", "no-signature", "other-scheme", "empty-v1", "commas"])
def test_stripe_webhook_view_malformed_header_is_refused(csrf_client, pending, header):
    level, order, reservation = pending

    response = stripe.post(csrf_client, _completed(order, reservation), signature=header)

    assert response.status_code == 400
    assert "signature" in response.json()["detail"].lower()
    assert_nothing_changed(level, order, reservation)


@pytest.mark.parametrize("body", [
    b"not json at all",
    b'{"id": "evt_1", "type": "checkout.session.completed"}',
    b'{"type": "checkout.session.completed", "data": {"object": {}}}',
    b"[1, 2, 3]",
    b"\xff\xfe\x00",
], ids=["not-json", "no-data", "no-id", "not-an-object", "not-utf8"])
def test_stripe_webhook_view_signed_garbage_is_refused(csrf_client, pending, body):
    level, order, reservation = pending
    signature = stripe.sign(body.decode("utf-8", errors="replace"))

    response = stripe.post(csrf_client, body, signature=signature)

    assert response.status_code == 400
    assert response.json()["detail"]
    assert_nothing_changed(level, order, reservation)


def test_stripe_webhook_view_oversized_body_is_refused(csrf_client, pending):
    level, order, reservation = pending
    evt = _completed(order, reservation)
    evt["data"]["object"]["padding"] = "x" * MAX_BODY_BYTES

    response = stripe.post(csrf_client, evt)

    assert response.status_code == 413
    assert_nothing_changed(level, order, reservation)


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_stripe_webhook_view_only_accepts_post(db, csrf_client, method):
    response = getattr(csrf_client, method)(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not StripeEvent.objects.exists()


def test_stripe_webhook_view_without_secret_is_unavailable(csrf_client, pending, settings):
    level, order, reservation = pending
    evt = _completed(order, reservation)
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = stripe.post(csrf_client, evt)

    assert response.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in response.json()["detail"]
    assert_nothing_changed(level, order, reservation)


@pytest.mark.parametrize("offset", [0, 120, 3600], ids=["fresh", "two-minutes-ahead", "an-hour-ahead"])
def test_stripe_webhook_view_processed_event_resigned_is_a_no_op(csrf_client, pending, offset):
    level, order, reservation = pending
    evt = _completed(order, reservation)
    first = stripe.post(csrf_client, evt, timestamp=int(time.time()) - 200)
    assert first.status_code == 200

    again = stripe.post(csrf_client, evt, timestamp=int(time.time()) + offset)

    assert again.status_code == 200
    assert again.json() == {"received": True, "event": evt["id"], "duplicate": True,
                            "outcome": StripeEventOutcome.PROCESSED}
    assert StripeEvent.objects.get().attempts == 1
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (8, 0)
    assert StockMovement.objects.filter(type="SALE").count() == 1


# --- hostile headers: always 400 naming the header, never a server error -----------------

def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize("header", [
    lambda body: "t=1,v1=é",
    lambda body: f"t={_now()},v1=é",
    lambda body: f"t={_now()},v1=€{'0' * 63}",
    lambda body: f"t={_now()},v1=\ud800",
    lambda body: f"t={_now()},v1=\x00",
    lambda body: f"{stripe.sign(body)}\r\nX-Injected: 1",
    lambda body: "t=é,v1=" + stripe.sign(body).split("v1=")[1],
    lambda body: "t=" + "１" * 10 + ",v1=abcdef",
    lambda body: "t=abc,v1=abcdef",
    lambda body: f"t={_now()},v1=",
    lambda body: f"t={_now()}," + ",".join(["v1=" + "0" * 64] * 60),
    lambda body: f"t={_now()},v1=" + "a" * 100_000,
    lambda body: "t=" + "9" * 5000 + ",v1=abcdef",
    lambda body: f"t={_now()},v1=é," + stripe.sign(body),
], ids=["non-ascii-v1", "non-ascii-v1-fresh", "non-latin1-v1", "lone-surrogate", "nul", "crlf",
        "non-ascii-timestamp", "fullwidth-digits", "timestamp-not-a-number", "empty-v1", "many-v1",
        "huge-header", "huge-timestamp", "non-ascii-before-a-valid-v1"])
def test_stripe_webhook_view_hostile_signature_header_is_refused(csrf_client, pending, header, caplog):
    level, order, reservation = pending
    body = stripe.encode(_completed(order, reservation))

    response = stripe.post(csrf_client, body, signature=header(body.decode()))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The Stripe-Signature header is not valid: ")
    assert_nothing_changed(level, order, reservation)
    assert all(record.getMessage().isprintable() for record in caplog.records)


def test_stripe_webhook_view_valid_signature_among_several_is_accepted(csrf_client, pending):
    """Stripe sends one v1 per active secret while a secret is rolled: any of them may match."""
    level, order, reservation = pending
    body = stripe.encode(_completed(order, reservation))
    valid = stripe.sign(body)
    timestamp, signature = valid.split(",")
    others = ",".join(["v1=" + "0" * 64] * 20)

    response = stripe.post(csrf_client, body, signature=f"{timestamp},{others},{signature},v0=abc")

    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == StripeEventOutcome.PROCESSED
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (8, 0)
