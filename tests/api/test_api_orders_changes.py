"""PATCH /api/v1/orders/{number}/ (lines while PENDING, ship-from before shipping) and
POST /api/v1/orders/{number}/payments/ (record a payment)."""
from decimal import Decimal

import pytest

from inventory.models import Reservation, ReservationStatus
from orders.models import OrderEvent, OrderPayment, SalesOrder
from tests import factories
from tests.api.helpers import ORDER_KEYS, ORDER_LINE_KEYS, ORDER_PRICE_KEYS, ledger_snapshot, level_of

URL = "/api/v1/orders/"
pytestmark = pytest.mark.django_db


def detail_url(number: str) -> str:
    return f"{URL}{number}/"


def payments_url(number: str) -> str:
    return f"{URL}{number}/payments/"


def patch(client, number, body):
    return client.patch(detail_url(number), body, format="json")


def pay(client, number, **body):
    return client.post(payments_url(number), {"method": "CARD", "amount": "10.00", **body}, format="json")


@pytest.fixture
def order_number(manager_api, stocked):
    """A PENDING order for 2 units (19.99 each) of a variant with 10 on hand; returns (number, level)."""
    level = stocked(10)
    response = manager_api.post(URL, {"lines": [{"sku": level.variant.sku, "quantity": 2}]}, format="json")
    assert response.status_code == 201
    return response.json()["number"], level


def _order(number):
    return SalesOrder.objects.get(number=number)


def _lines(number):
    return [(line.variant.sku, line.quantity, line.location_id, line.unit_price)
            for line in _order(number).lines.select_related("variant").order_by("id")]


# --- PATCH lines --------------------------------------------------------------

@pytest.mark.smoke
def test_order_update_view_replaces_the_lines_of_a_pending_order(staff_api, order_number, stocked, other_location):
    number, level = order_number
    hat = stocked(5, location=other_location)

    response = patch(staff_api, number, {"lines": [
        {"sku": level.variant.sku, "quantity": 5},
        {"sku": hat.variant.sku, "quantity": 1, "location": "store"},
    ]})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ORDER_KEYS - ORDER_PRICE_KEYS  # staff: no money
    assert [set(line) for line in body["lines"]] == [ORDER_LINE_KEYS - {"unit_price"}] * 2
    assert [(line["sku"], line["quantity"], line["location"]) for line in body["lines"]] == [
        (level.variant.sku, 5, None), (hat.variant.sku, 1, "store"),
    ]
    assert _order(number).total == Decimal("119.94")
    assert OrderEvent.objects.filter(order__number=number, message__startswith="Order changed:").count() == 1


def test_order_update_view_manager_sets_a_unit_price(manager_api, order_number):
    number, level = order_number

    response = patch(manager_api, number, {"lines": [{"sku": level.variant.sku, "quantity": 2, "unit_price": "4.00"}]})

    assert response.status_code == 200
    assert (response.json()["total"], response.json()["lines"][0]["unit_price"]) == ("8.00", "4.00")


def test_order_update_view_staff_cannot_set_prices(staff_api, order_number):
    number, level = order_number
    before = _lines(number)

    response = patch(staff_api, number, {"lines": [{"sku": level.variant.sku, "quantity": 1, "unit_price": "1.00"}]})

    assert response.status_code == 403
    assert _lines(number) == before


def test_order_update_view_lines_of_a_confirmed_order_get_409(staff_api, order_number):
    number, level = order_number
    staff_api.post(f"{URL}{number}/transition/", {"to": "CONFIRMED"}, format="json")
    before = ledger_snapshot(), _lines(number)

    response = patch(staff_api, number, {"lines": [{"sku": level.variant.sku, "quantity": 9}]})

    assert response.status_code == 409
    assert "only a pending order's lines can be changed" in response.json()["detail"]
    assert (ledger_snapshot(), _lines(number)) == before


@pytest.mark.parametrize(("lines", "status_code", "field"), [
    ([{"sku": "NOPE-1", "quantity": 1}], 404, "sku"),
    ([{"sku": "KEEP", "quantity": 0}], 400, "lines"),
    ([{"sku": "KEEP", "quantity": "2"}], 400, "lines"),
    ([], 400, "lines"),
    ([{"sku": "KEEP", "quantity": 1, "location": "nowhere"}], 404, "lines"),
    ("not a list", 400, "lines"),
])
def test_order_update_view_bad_lines_change_nothing(staff_api, order_number, lines, status_code, field):
    number, level = order_number
    if isinstance(lines, list):
        lines = [{**line, "sku": level.variant.sku if line["sku"] == "KEEP" else line["sku"]} for line in lines]
    before = _lines(number), OrderEvent.objects.count()

    response = patch(staff_api, number, {"lines": lines})

    assert response.status_code == status_code
    assert field in response.json()
    assert (_lines(number), OrderEvent.objects.count()) == before


def test_order_update_view_inactive_variant_is_400_naming_lines(staff_api, order_number):
    number, _ = order_number
    retired = factories.VariantFactory(active=False)
    response = patch(staff_api, number, {"lines": [{"sku": retired.sku, "quantity": 1}]})
    assert response.status_code == 400
    assert "not for sale" in response.json()["lines"][0]


def test_order_update_view_empty_body_changes_nothing(staff_api, order_number):
    number, _ = order_number
    before = _lines(number), OrderEvent.objects.count()
    response = patch(staff_api, number, {})
    assert response.status_code == 200 and response.json()["number"] == number
    assert (_lines(number), OrderEvent.objects.count()) == before


def test_order_update_view_unknown_order_404_and_roles(staff_api, customer_api, api_client, order_number):
    number, level = order_number
    body = {"lines": [{"sku": level.variant.sku, "quantity": 1}]}
    assert patch(staff_api, "SO-999999", body).status_code == 404
    assert patch(customer_api, number, body).status_code == 403
    assert patch(api_client, number, body).status_code == 401
    assert _lines(number)[0][1] == 2


# --- PATCH ship_from ------------------------------------------------------------

def test_order_update_view_ship_from_moves_a_confirmed_orders_reservation(staff_api, order_number, stocked,
                                                                        other_location):
    number, level = order_number
    store = stocked(4, location=other_location, variant=level.variant)
    staff_api.post(f"{URL}{number}/transition/", {"to": "CONFIRMED"}, format="json")

    response = patch(staff_api, number, {"ship_from": "store"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["ship_from"], body["reservation"]["status"]) == ("CONFIRMED", "store", "ACTIVE")
    assert (level_of(level.variant).reserved, level_of(store.variant, other_location).reserved) == (0, 2)

    back = patch(staff_api, number, {"ship_from": None})

    assert back.status_code == 200 and back.json()["ship_from"] is None
    assert (level_of(level.variant).reserved, level_of(store.variant, other_location).reserved) == (2, 0)
    assert Reservation.objects.filter(sales_order__number=number, status=ReservationStatus.ACTIVE).count() == 1


def test_order_update_view_ship_from_short_there_gets_409(staff_api, order_number, other_location):
    number, level = order_number
    staff_api.post(f"{URL}{number}/transition/", {"to": "CONFIRMED"}, format="json")
    before = ledger_snapshot()

    response = patch(staff_api, number, {"ship_from": "store"})

    assert response.status_code == 409
    assert response.json()["lines"][0]["location"] == "store"
    assert ledger_snapshot() == before
    assert _order(number).ship_from is None


def test_order_update_view_ship_from_after_shipping_gets_409(staff_api, order_number, other_location):
    number, _ = order_number
    for to in ("CONFIRMED", "SHIPPED"):
        staff_api.post(f"{URL}{number}/transition/", {"to": to}, format="json")

    response = patch(staff_api, number, {"ship_from": "store"})

    assert response.status_code == 409
    assert _order(number).ship_from is None


def test_order_update_view_unknown_or_inactive_ship_from(staff_api, order_number):
    number, _ = order_number
    factories.LocationFactory(code="closed", active=False)

    unknown = patch(staff_api, number, {"ship_from": "nowhere"})
    inactive = patch(staff_api, number, {"ship_from": "closed"})

    assert unknown.status_code == 404 and "ship_from" in unknown.json()
    assert inactive.status_code == 400 and "inactive" in inactive.json()["ship_from"][0]
    assert _order(number).ship_from is None


# --- payments ---------------------------------------------------------------------

@pytest.mark.smoke
def test_order_payment_view_records_part_then_full_payment(manager_api, manager_user, order_number):
    number, _ = order_number

    first = pay(manager_api, number, method="CASH", amount="10.00", reference="till 2")

    assert first.status_code == 201
    body = first.json()
    assert set(body) == ORDER_KEYS
    assert (body["amount_paid"], body["amount_due"], body["paid"], body["paid_at"]) == ("10.00", "29.98", False, None)
    assert body["allowed_transitions"] == ["CONFIRMED", "REFUNDED"]
    assert body["payments"][0] | {"id": 0, "recorded_at": ""} == {
        "id": 0, "method": "CASH", "reference": "till 2", "amount": "10.00", "recorded_at": "",
        "recorded_by": "manager",
    }

    second = pay(manager_api, number, method="BANK_TRANSFER", amount="29.98")

    body = second.json()
    assert second.status_code == 201
    assert (body["amount_paid"], body["amount_due"], body["paid"]) == ("39.98", "0.00", True)
    assert [p["method"] for p in body["payments"]] == ["CASH", "BANK_TRANSFER"]
    assert OrderPayment.objects.filter(recorded_by=manager_user).count() == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "40.00"}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": "-1"}, "amount"),
    ({"amount": 10}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"method": "CHEQUE"}, "method"),
    ({"reference": "x" * 101}, "reference"),
    ({"reference": 5}, "reference"),
])
def test_order_payment_view_bad_input_is_400_naming_the_field(manager_api, order_number, body, field):
    number, _ = order_number

    response = pay(manager_api, number, **body)

    assert response.status_code == 400
    assert field in response.json()
    assert OrderPayment.objects.count() == 0
    assert _order(number).amount_paid == 0


def test_order_payment_view_over_what_is_due_says_so(manager_api, order_number):
    number, _ = order_number
    response = pay(manager_api, number, amount="39.99")
    assert response.status_code == 400
    assert response.json() == {"amount": ["The amount is more than what is still due (39.98 USD)."], "due": "39.98"}


def test_order_payment_view_closed_or_fully_paid_gets_409(manager_api, order_number, stocked):
    number, _ = order_number
    assert pay(manager_api, number, amount="39.98").status_code == 201
    paid = pay(manager_api, number, amount="1.00")
    assert paid.status_code == 409 and "paid in full" in paid.json()["detail"]

    level = stocked(3)
    other = manager_api.post(URL, {"lines": [{"sku": level.variant.sku, "quantity": 1}]}, format="json").json()["number"]
    manager_api.post(f"{URL}{other}/transition/", {"to": "CANCELLED"}, format="json")
    closed = pay(manager_api, other)
    assert closed.status_code == 409 and "takes no more payments" in closed.json()["detail"]
    assert OrderPayment.objects.count() == 1


def test_order_payment_view_roles(staff_api, customer_api, api_client, admin_api, order_number):
    number, _ = order_number
    staff = pay(staff_api, number)
    assert staff.status_code == 403 and "payments" in staff.json()["detail"]
    assert pay(customer_api, number).status_code == 403
    assert pay(api_client, number).status_code == 401
    assert pay(staff_api, "SO-999999").status_code == 403  # the role is checked first
    assert pay(admin_api, "SO-999999").status_code == 404
    assert OrderPayment.objects.count() == 0
    assert pay(admin_api, number).status_code == 201


def test_order_transition_view_refund_of_an_unpaid_order_gets_409(manager_api, order_number):
    number, level = order_number
    manager_api.post(f"{URL}{number}/transition/", {"to": "CONFIRMED"}, format="json")

    response = manager_api.post(f"{URL}{number}/transition/", {"to": "REFUNDED"}, format="json")

    assert response.status_code == 409
    assert response.json()["allowed"] == ["SHIPPED", "CANCELLED"]
    assert "nothing to refund" in response.json()["detail"]
    assert level_of(level.variant).reserved == 2


@pytest.mark.parametrize("body", [
    {"lines": None},
    {"lines": [None]},
    {"lines": [{"sku": None, "quantity": 1}]},
    {"lines": [{"sku": "KEEP", "quantity": 10 ** 12}]},
    {"lines": [{"sku": "KEEP", "quantity": 1, "unit_price": "NaN"}]},
    {"lines": [{"sku": "KEEP", "quantity": 1, "unit_price": 3}]},
    {"lines": [{"sku": "KEEP", "quantity": 1, "location": 7}]},
    {"lines": [{"sku": "\x00", "quantity": 1}]},
    {"lines": [{"sku": "KEEP", "quantity": 1}] * 201},
    {"ship_from": 3},
    {"ship_from": "\x00"},
    {"ship_from": ["main"]},
    ["not", "an", "object"],
])
def test_order_update_view_odd_bodies_are_4xx(manager_api, order_number, body):
    number, level = order_number
    if isinstance(body, dict) and isinstance(body.get("lines"), list):
        body = {"lines": [dict(line, sku=level.variant.sku) if isinstance(line, dict) and line.get("sku") == "KEEP"
                          else line for line in body["lines"]]}
    before = _lines(number), OrderEvent.objects.count()

    response = patch(manager_api, number, body)

    assert 400 <= response.status_code < 500
    assert (_lines(number), OrderEvent.objects.count()) == before


@pytest.mark.parametrize("body", [
    {"amount": "NaN"}, {"amount": "Infinity"}, {"amount": "1e3"}, {"amount": None}, {"amount": ""},
    {"amount": "99999999999999999"}, {"method": None}, {"method": 1}, {"reference": None}, {"reference": "\x00"},
])
def test_order_payment_view_odd_bodies_are_4xx(manager_api, order_number, body):
    number, _ = order_number
    response = pay(manager_api, number, **body)
    assert 400 <= response.status_code < 500
    assert OrderPayment.objects.count() == 0
