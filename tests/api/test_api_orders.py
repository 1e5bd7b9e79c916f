from decimal import Decimal

import pytest

from inventory.models import Reservation, ReservationStatus, StockMovement
from orders.models import OrderEvent, SalesOrder
from tests import factories
from tests.api.helpers import ORDER_KEYS, ORDER_LINE_KEYS, ORDER_PRICE_KEYS, ledger_snapshot, level_of

URL = "/api/v1/orders/"


def detail_url(number: str) -> str:
    return f"{URL}{number}/"


def transition_url(number: str) -> str:
    return f"{URL}{number}/transition/"


def create(client, *lines, **extra):
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **extra}
    return client.post(URL, body, format="json")


def move(client, number: str, to: str, **extra):
    return client.post(transition_url(number), {"to": to, **extra}, format="json")


@pytest.fixture
def order_number(manager_api, stocked):
    """A PENDING order for 2 units of a variant with 10 on hand; returns (number, level)."""
    level = stocked(10)
    response = create(manager_api, (level.variant.sku, 2))
    assert response.status_code == 201
    return response.json()["number"], level


# --- create ---------------------------------------------------------------

@pytest.mark.smoke
def test_order_create_view_answers_201_with_the_order(manager_api, stocked):
    level = stocked(10)
    other = stocked(3, variant=factories.VariantFactory(price=Decimal("5.00")))
    before = ledger_snapshot()

    response = create(manager_api, (level.variant.sku, 2), (other.variant.sku, 1),
                      customer_name="Ann Smith", customer_email="ann@example.com", notes="Gift wrap")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ORDER_KEYS
    assert body["number"].startswith("SO-")
    assert (body["status"], body["source"], body["currency"]) == ("PENDING", "API", "USD")
    assert (body["customer_name"], body["customer_email"]) == ("Ann Smith", "ann@example.com")
    assert (body["total"], body["amount_paid"], body["amount_refunded"]) == ("44.98", "0.00", "0.00")
    assert (body["paid"], body["paid_at"], body["attention"]) == (False, None, "")
    assert body["reservation"] is None
    assert body["allowed_transitions"] == ["CONFIRMED", "CANCELLED"]
    assert [set(line) for line in body["lines"]] == [ORDER_LINE_KEYS, ORDER_LINE_KEYS]
    first = body["lines"][0]
    assert (first["sku"], first["product"], first["quantity"], first["unit_price"]) == (
        level.variant.sku, level.variant.product.name, 2, "19.99",
    )
    assert (first["sold_quantity"], first["restocked_quantity"]) == (0, 0)
    order = SalesOrder.objects.get(number=body["number"])
    assert (order.notes, order.created_by.username) == ("Gift wrap", "manager")
    assert ledger_snapshot() == before  # a pending order holds nothing


def test_order_create_view_unit_price_and_location(manager_api, stocked, other_location):
    level = stocked(4, location=other_location)

    response = manager_api.post(URL, {"lines": [
        {"sku": level.variant.sku, "quantity": 3, "unit_price": "2.50", "location": "store"},
    ]}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["total"], body["lines"][0]["unit_price"]) == ("7.50", "2.50")
    assert SalesOrder.objects.get().lines.get().location == other_location
    confirmed = move(manager_api, body["number"], "CONFIRMED")
    assert confirmed.status_code == 200
    assert level_of(level.variant, other_location).reserved == 3


def test_order_create_view_staff_gets_the_order_without_prices(staff_api, stocked):
    level = stocked(10)

    response = create(staff_api, (level.variant.sku, 1))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ORDER_KEYS - ORDER_PRICE_KEYS
    assert set(body["lines"][0]) == ORDER_LINE_KEYS - {"unit_price"}


def test_order_create_view_staff_cannot_set_prices(staff_api, stocked):
    from orders.models import SalesOrder

    level = stocked(10)
    response = staff_api.post("/api/v1/orders/", {"lines": [{"sku": level.variant.sku, "quantity": 1, "unit_price": "0.00"}]},
                              format="json")

    assert response.status_code == 403
    assert "unit price" in response.json()["detail"]
    assert SalesOrder.objects.count() == 0


def test_order_create_view_unknown_sku_gets_404(manager_api, stocked):
    level = stocked(10)

    response = create(manager_api, (level.variant.sku, 1), ("NOPE", 1))

    assert response.status_code == 404
    assert response.json()["sku"] == "NOPE"
    assert SalesOrder.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": "2"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"unit_price": "-1.00"}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({"unit_price": "1.234"}, "unit_price"),
    ],
)
def test_order_create_view_bad_line_gets_400_naming_it(manager_api, stocked, line, field):
    level = stocked(10)

    response = manager_api.post(URL, {"lines": [
        {"sku": level.variant.sku, "quantity": 1},
        {"sku": level.variant.sku, "quantity": 1, **line},
    ]}, format="json")

    assert response.status_code == 400
    errors = response.json()["lines"]
    assert errors[0] == {} and field in errors[1]
    assert SalesOrder.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"location": "attic"}, "location", "Unknown location 'attic'."),
    ],
)
def test_order_create_view_unknown_line_reference_gets_404_naming_it(manager_api, stocked, line, field, message):
    level = stocked(10)
    before = ledger_snapshot()

    response = manager_api.post(URL, {"lines": [
        {"sku": level.variant.sku, "quantity": 1},
        {"sku": level.variant.sku, "quantity": 1, **line},
    ]}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": message, "lines": [{}, {field: [message]}]}
    assert SalesOrder.objects.count() == 0
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": None}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": {"sku": "x"}}, "lines"),
        ({"customer_email": "nobody"}, "customer_email"),
        ({"customer_name": "x" * 201}, "customer_name"),
    ],
)
def test_order_create_view_bad_input_gets_400(manager_api, stocked, body, field):
    level = stocked(10)
    body = {"lines": [{"sku": level.variant.sku, "quantity": 1}], **body}

    response = manager_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_order_create_view_without_lines_gets_400(manager_api, db):
    response = manager_api.post(URL, {"customer_name": "Ann"}, format="json")

    assert response.status_code == 400
    assert response.json()["lines"] == ["This field is required."]


def test_order_create_view_inactive_product_gets_400(manager_api, stocked):
    level = stocked(10)
    product = level.variant.product
    product.active = False
    product.save(update_fields=["active"])

    response = create(manager_api, (level.variant.sku, 1))

    assert response.status_code == 400
    assert "not for sale" in response.json()["lines"][0]


def test_order_create_view_anonymous_gets_401(api_client, stocked):
    assert create(api_client, (stocked(1).variant.sku, 1)).status_code == 401


def test_order_create_view_role_without_permission_gets_403(customer_api, stocked):
    assert create(customer_api, (stocked(1).variant.sku, 1)).status_code == 403
    assert SalesOrder.objects.count() == 0


# --- list and detail ---------------------------------------------------------

def test_order_list_view_pages_filters_and_searches(staff_api, manager_api, stocked):
    sku = stocked(50).variant.sku
    ann = create(manager_api, (sku, 1), customer_name="Ann Smith", customer_email="ann@example.com").json()["number"]
    bob = create(manager_api, (sku, 1), customer_name="Bob Jones", customer_email="bob@shop.test").json()["number"]
    cy = create(manager_api, (sku, 1), customer_name="Cy", customer_email="cy@example.com").json()["number"]
    move(manager_api, bob, "CANCELLED")

    everything = staff_api.get(URL).json()
    cancelled = staff_api.get(URL, {"status": "CANCELLED"}).json()
    by_name = staff_api.get(URL, {"search": "smith"}).json()
    by_email = staff_api.get(URL, {"search": "example.com"}).json()
    by_number = staff_api.get(URL, {"search": cy}).json()
    page = staff_api.get(URL, {"page_size": 2, "page": 2}).json()

    assert everything["count"] == 3
    assert [o["number"] for o in everything["results"]] == [cy, bob, ann]  # newest first
    assert set(everything["results"][0]) == ORDER_KEYS - ORDER_PRICE_KEYS  # staff: no prices
    assert [o["number"] for o in cancelled["results"]] == [bob]
    assert [o["number"] for o in by_name["results"]] == [ann]
    assert [o["number"] for o in by_email["results"]] == [cy, ann]
    assert [o["number"] for o in by_number["results"]] == [cy]
    assert [o["number"] for o in page["results"]] == [ann] and page["next"] is None


def test_order_list_view_manager_sees_prices(manager_api, order_number):
    body = manager_api.get(URL).json()

    assert body["results"][0]["total"] == "39.98"
    assert body["results"][0]["lines"][0]["unit_price"] == "19.99"


def test_order_list_view_unknown_status_gets_400(staff_api, db):
    response = staff_api.get(URL, {"status": "LOST"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_order_list_view_anonymous_gets_401(api_client, db):
    assert api_client.get(URL).status_code == 401


def test_order_list_view_role_without_permission_gets_403(customer_api, db):
    assert customer_api.get(URL).status_code == 403


def test_order_detail_view(staff_api, order_number):
    number, level = order_number

    response = staff_api.get(detail_url(number))

    assert response.status_code == 200
    assert response.json()["number"] == number
    assert response.json()["lines"][0]["sku"] == level.variant.sku


def test_order_detail_view_unknown_gets_404(staff_api, db):
    response = staff_api.get(detail_url("SO-999999"))

    assert response.status_code == 404
    assert "SO-999999" in response.json()["detail"]


def test_order_detail_view_role_without_permission_gets_403(customer_api, order_number):
    assert customer_api.get(detail_url(order_number[0])).status_code == 403


# --- transitions ------------------------------------------------------------

@pytest.mark.smoke
def test_order_transition_view_confirm_ship_deliver(staff_api, order_number):
    number, level = order_number

    confirmed = move(staff_api, number, "CONFIRMED", note="Phoned in")

    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["status"] == "CONFIRMED"
    assert body["allowed_transitions"] == ["SHIPPED", "CANCELLED"]  # nothing paid: nothing to refund
    assert body["reservation"]["status"] == "ACTIVE"
    assert (body["reservation"]["expires_at"], body["reservation"]["seconds_left"]) == (None, None)
    assert level_of(level.variant).reserved == 2
    assert OrderEvent.objects.filter(order__number=number, to_status="CONFIRMED", message__contains="Phoned in").exists()

    shipped = move(staff_api, number, "SHIPPED")

    assert shipped.status_code == 200
    body = shipped.json()
    assert (body["status"], body["reservation"]["status"]) == ("SHIPPED", "COMMITTED")
    assert body["lines"][0]["sold_quantity"] == 2
    fresh = level_of(level.variant)
    assert (fresh.on_hand, fresh.reserved) == (8, 0)
    assert StockMovement.objects.filter(type="SALE", delta=-2).count() == 1

    delivered = move(staff_api, number, "delivered")  # any case

    assert delivered.status_code == 200
    assert delivered.json()["status"] == "DELIVERED"
    assert delivered.json()["allowed_transitions"] == []  # unpaid: nothing to refund


def test_order_transition_view_cancel_releases_the_stock(staff_api, order_number):
    number, level = order_number
    move(staff_api, number, "CONFIRMED")

    response = move(staff_api, number, "CANCELLED")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reservation"]["status"]) == ("CANCELLED", "RELEASED")
    assert response.json()["allowed_transitions"] == []
    assert level_of(level.variant).reserved == 0


def test_order_transition_view_manager_refunds(manager_api, order_number):
    number, level = order_number
    move(manager_api, number, "CONFIRMED")
    paid = manager_api.post(f"{URL}{number}/payments/", {"method": "CARD", "amount": "39.98"}, format="json")
    assert paid.status_code == 201 and paid.json()["allowed_transitions"] == ["SHIPPED", "REFUNDED"]

    response = move(manager_api, number, "REFUNDED")

    assert response.status_code == 200
    assert response.json()["status"] == "REFUNDED"
    assert level_of(level.variant).reserved == 0


def test_order_transition_view_staff_may_not_refund(staff_api, order_number):
    number, level = order_number
    move(staff_api, number, "CONFIRMED")

    response = move(staff_api, number, "REFUNDED")

    assert response.status_code == 403
    assert "refund" in response.json()["detail"]
    assert SalesOrder.objects.get(number=number).status == "CONFIRMED"
    assert level_of(level.variant).reserved == 2


@pytest.mark.smoke
def test_order_transition_view_illegal_transition_gets_409_saying_why(staff_api, order_number):
    number, level = order_number
    before = ledger_snapshot()

    response = move(staff_api, number, "SHIPPED")

    assert response.status_code == 409
    body = response.json()
    assert "pending" in body["detail"] and "cannot become shipped" in body["detail"]
    assert body["allowed"] == ["CONFIRMED", "CANCELLED"]
    assert SalesOrder.objects.get(number=number).status == "PENDING"
    assert ledger_snapshot() == before


def test_order_transition_view_closed_order_gets_409(staff_api, order_number):
    number, _ = order_number
    move(staff_api, number, "CANCELLED")

    response = move(staff_api, number, "CONFIRMED")

    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


def test_order_transition_view_confirm_without_stock_gets_409_with_lines(staff_api, manager_api, stocked):
    level = stocked(3)
    number = create(manager_api, (level.variant.sku, 5)).json()["number"]

    response = move(staff_api, number, "CONFIRMED")

    assert response.status_code == 409
    assert response.json()["lines"] == [{"sku": level.variant.sku, "location": "main", "requested": 5, "available": 3}]
    assert SalesOrder.objects.get(number=number).status == "PENDING"
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 0


@pytest.mark.parametrize("body", [{"to": "LOST"}, {"to": ""}, {}, {"to": 3}])
def test_order_transition_view_unknown_status_gets_400(staff_api, order_number, body):
    number, _ = order_number

    response = staff_api.post(transition_url(number), body, format="json")

    assert response.status_code == 400
    assert "to" in response.json()


def test_order_transition_view_unknown_order_gets_404(staff_api, db):
    assert move(staff_api, "SO-424242", "CONFIRMED").status_code == 404


def test_order_transition_view_anonymous_gets_401(api_client, order_number):
    assert move(api_client, order_number[0], "CONFIRMED").status_code == 401


def test_order_transition_view_role_without_permission_gets_403(customer_api, order_number):
    number, _ = order_number

    assert move(customer_api, number, "CONFIRMED").status_code == 403
    assert SalesOrder.objects.get(number=number).status == "PENDING"


def test_order_list_view_query_count_does_not_grow_with_orders(manager_api, stocked):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sku = stocked(50).variant.sku

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager_api.get(URL).status_code == 200
        return len(captured)

    number = create(manager_api, (sku, 1)).json()["number"]
    move(manager_api, number, "CONFIRMED")
    one = queries_for_list()
    for _ in range(4):
        number = create(manager_api, (sku, 1), (stocked(5).variant.sku, 2)).json()["number"]
        move(manager_api, number, "CONFIRMED")

    assert queries_for_list() == one
