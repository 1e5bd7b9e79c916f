import math
from decimal import Decimal

import pytest
from django.utils.dateparse import parse_datetime

from inventory.models import Reservation, ReservationStatus
from orders.models import SalesOrder
from tests import factories
from tests.api.helpers import ORDER_KEYS, ledger_snapshot, level_of
from tests.api.stripe_double import CHECKOUT_SESSIONS, StripeDouble, stripe_error

URL = "/api/v1/checkout/"
SUCCESS = "https://shop.example.com/thanks?order={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example.com/cart"


def checkout(client, *lines, **extra):
    body = {
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        **extra,
    }
    return client.post(URL, body, format="json")


@pytest.fixture
def priced(stocked):
    """Two variants in stock: 10 at 19.99 and 5 at 4.50."""
    shirt = stocked(10)
    mug = stocked(5, variant=factories.VariantFactory(price=Decimal("4.50")))
    return shirt, mug


@pytest.mark.smoke
def test_checkout_view_reserves_and_opens_a_stripe_session(manager_api, priced, stripe_double, settings):
    settings.CURRENCY = "EUR"
    shirt, mug = priced

    response = checkout(manager_api, (shirt.variant.sku, 2), (mug.variant.sku, 3), customer_email="ann@example.com")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"order", "checkout_url", "expires_at"}
    order_body = body["order"]
    assert set(order_body) == ORDER_KEYS
    number = order_body["number"]
    assert (order_body["status"], order_body["source"], order_body["currency"]) == ("PENDING", "CHECKOUT", "EUR")
    assert order_body["total"] == "53.48"
    assert order_body["customer_email"] == "ann@example.com"
    assert order_body["paid"] is False
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in order_body["lines"]] == [
        (shirt.variant.sku, 2, "19.99"), (mug.variant.sku, 3, "4.50"),
    ]

    order = SalesOrder.objects.get(number=number)
    reservation = Reservation.objects.get(sales_order=order)
    assert order.status == "PENDING"
    assert reservation.status == ReservationStatus.ACTIVE
    assert reservation.reference == number
    assert order_body["reservation"]["id"] == reservation.pk
    assert order_body["reservation"]["status"] == "ACTIVE"
    assert (level_of(shirt.variant).reserved, level_of(mug.variant).reserved) == (2, 3)
    assert (level_of(shirt.variant).on_hand, level_of(mug.variant).on_hand) == (10, 5)

    sent = stripe_double.last("POST", CHECKOUT_SESSIONS)
    params = sent.params
    assert sent.headers["authorization"] == "Bearer sk_test_x"
    assert params["mode"] == "payment"
    assert [
        (item["quantity"], item["price_data"]["unit_amount"], item["price_data"]["currency"])
        for item in params["line_items"]
    ] == [("2", "1999", "eur"), ("3", "450", "eur")]
    assert params["line_items"][0]["price_data"]["product_data"]["metadata"]["sku"] == shirt.variant.sku
    assert params["metadata"] == {"order_number": number, "reservation_id": str(reservation.pk)}
    assert params["payment_intent_data"]["metadata"] == params["metadata"]
    assert params["client_reference_id"] == number
    assert params["customer_email"] == "ann@example.com"
    assert params["expires_at"] == str(math.ceil(reservation.expires_at.timestamp()))
    assert (params["success_url"], params["cancel_url"]) == (SUCCESS, CANCEL)
    assert sent.headers["idempotency-key"] == f"checkout-{number}"

    session_id = order.stripe_checkout_session_id
    assert session_id.startswith("cs_test_double")
    assert body["checkout_url"] == StripeDouble.checkout_url(session_id)
    assert parse_datetime(body["expires_at"]) == reservation.expires_at
    assert parse_datetime(order_body["reservation"]["expires_at"]) == reservation.expires_at


def test_checkout_view_session_lasts_at_least_stripes_minimum(manager_api, priced, stripe_double, settings):
    settings.RESERVATION_TTL_MINUTES = 5
    shirt, _ = priced

    body = checkout(manager_api, (shirt.variant.sku, 1)).json()

    reservation = Reservation.objects.get(pk=body["order"]["reservation"]["id"])
    lifetime = reservation.expires_at - reservation.created_at
    assert 31 * 60 - 5 <= lifetime.total_seconds() <= 31 * 60 + 5
    assert stripe_double.last().params["expires_at"] == str(math.ceil(reservation.expires_at.timestamp()))


def test_checkout_view_staff_may_check_out_but_sees_no_prices(staff_api, priced, stripe_double):
    shirt, _ = priced

    response = checkout(staff_api, (shirt.variant.sku, 1))

    assert response.status_code == 201
    order_body = response.json()["order"]
    assert "total" not in order_body
    assert "unit_price" not in order_body["lines"][0]
    assert stripe_double.last().params["line_items"][0]["price_data"]["unit_amount"] == "1999"


@pytest.mark.smoke
def test_checkout_view_stripe_error_gets_502_and_undoes_the_checkout(manager_api, priced, stripe_double):
    shirt, _ = priced
    stripe_double.respond("POST", CHECKOUT_SESSIONS, status=400,
                          body=stripe_error("Invalid currency: xyz.", param="line_items[0][price_data][currency]"))

    response = checkout(manager_api, (shirt.variant.sku, 2))

    assert response.status_code == 502
    body = response.json()
    assert "Invalid currency: xyz." in body["detail"]
    assert len(stripe_double.sent("POST", CHECKOUT_SESSIONS)) == 1  # a 400 is not retried
    order = SalesOrder.objects.get()
    assert body["order"] == order.number
    assert order.status == "CANCELLED"
    assert Reservation.objects.get(sales_order=order).status == ReservationStatus.RELEASED
    fresh = level_of(shirt.variant)
    assert (fresh.on_hand, fresh.reserved) == (10, 0)


def test_checkout_view_stripe_server_error_gets_502(manager_api, priced, stripe_double):
    shirt, _ = priced
    stripe_double.respond("POST", CHECKOUT_SESSIONS, status=500, body=stripe_error("Something broke.", type="api_error"),
                          headers={"Stripe-Should-Retry": "false"})

    response = checkout(manager_api, (shirt.variant.sku, 2))

    assert response.status_code == 502
    assert "Something broke." in response.json()["detail"]
    assert level_of(shirt.variant).reserved == 0
    assert SalesOrder.objects.get().status == "CANCELLED"


def test_checkout_view_stripe_unreachable_gets_502(manager_api, priced, settings):
    shirt, _ = priced
    with StripeDouble() as gone:
        base = gone.base_url  # a port nothing listens on once the double has stopped
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = base

    response = checkout(manager_api, (shirt.variant.sku, 2))

    assert response.status_code == 502
    assert level_of(shirt.variant).reserved == 0
    assert SalesOrder.objects.get().status == "CANCELLED"


@pytest.mark.smoke
def test_checkout_view_without_stripe_key_gets_503_and_writes_nothing(manager_api, priced, settings):
    settings.STRIPE_SECRET_KEY = ""
    shirt, _ = priced
    before = ledger_snapshot()

    response = checkout(manager_api, (shirt.variant.sku, 1))

    assert response.status_code == 503
    assert "STRIPE_SECRET_KEY" in response.json()["detail"]
    assert ledger_snapshot() == before
    assert SalesOrder.objects.count() == 0


@pytest.mark.smoke
def test_checkout_view_shortfall_gets_409_with_lines_and_never_calls_stripe(manager_api, priced, stripe_double):
    shirt, mug = priced
    before = ledger_snapshot()

    response = checkout(manager_api, (shirt.variant.sku, 1), (mug.variant.sku, 6))

    assert response.status_code == 409
    body = response.json()
    assert "Not enough stock" in body["detail"]
    assert body["lines"] == [{"sku": mug.variant.sku, "location": "main", "requested": 6, "available": 5}]
    assert stripe_double.requests == []
    assert ledger_snapshot() == before
    assert SalesOrder.objects.count() == 0


def test_checkout_view_unknown_sku_gets_404(manager_api, priced, stripe_double):
    response = checkout(manager_api, ("GHOST-1", 1))

    assert response.status_code == 404
    assert response.json()["sku"] == "GHOST-1"
    assert stripe_double.requests == []


def test_checkout_view_inactive_variant_gets_400(manager_api, priced, stripe_double):
    shirt, _ = priced
    shirt.variant.active = False
    shirt.variant.save(update_fields=["active"])

    response = checkout(manager_api, (shirt.variant.sku, 1))

    assert response.status_code == 400
    assert shirt.variant.sku in response.json()["lines"][0]
    assert stripe_double.requests == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"success_url": "shop.example.com/thanks"}, "success_url"),
        ({"cancel_url": ""}, "cancel_url"),
        ({"customer_email": "not-an-address"}, "customer_email"),
        ({"lines": []}, "lines"),
    ],
)
def test_checkout_view_bad_input_gets_400(manager_api, priced, stripe_double, extra, field):
    shirt, _ = priced
    before = ledger_snapshot()

    response = checkout(manager_api, (shirt.variant.sku, 1), **extra)

    assert response.status_code == 400
    assert field in response.json()
    assert stripe_double.requests == []
    assert ledger_snapshot() == before


def test_checkout_view_bad_quantity_gets_400_naming_the_line(manager_api, priced, stripe_double):
    shirt, _ = priced

    response = checkout(manager_api, (shirt.variant.sku, 1), (shirt.variant.sku, "lots"))

    assert response.status_code == 400
    assert "quantity" in response.json()["lines"][1]


def test_checkout_view_missing_urls_get_400(manager_api, priced, stripe_double):
    shirt, _ = priced

    response = manager_api.post(URL, {"lines": [{"sku": shirt.variant.sku, "quantity": 1}]}, format="json")

    assert response.status_code == 400
    assert {"success_url", "cancel_url"} <= set(response.json())


def test_checkout_view_anonymous_gets_401(api_client, priced, stripe_double):
    shirt, _ = priced

    assert checkout(api_client, (shirt.variant.sku, 1)).status_code == 401
    assert stripe_double.requests == []


def test_checkout_view_role_without_permission_gets_403(customer_api, priced, stripe_double):
    shirt, _ = priced

    assert checkout(customer_api, (shirt.variant.sku, 1)).status_code == 403
    assert stripe_double.requests == []
    assert SalesOrder.objects.count() == 0
