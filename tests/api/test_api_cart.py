import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import StockLevel
from tests import factories
from tests.api.helpers import ledger_snapshot

URL = "/api/v1/cart/validate/"


def line_for(body: dict, sku: str) -> dict:
    return next(line for line in body["lines"] if line["sku"] == sku)


@pytest.mark.smoke
def test_cart_validate_view_reports_each_line(staff_api, stocked):
    plenty, short, empty = stocked(10), stocked(3), stocked(0)
    before = ledger_snapshot()

    response = staff_api.post(URL, {"lines": [
        {"sku": plenty.variant.sku, "quantity": 4},
        {"sku": short.variant.sku, "quantity": 5},
        {"sku": empty.variant.sku, "quantity": 1},
        {"sku": "NO-SUCH-SKU", "quantity": 1},
    ]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["lines"] == [
        {"sku": plenty.variant.sku, "quantity": 4, "status": "ok", "available": 10},
        {"sku": short.variant.sku, "quantity": 5, "status": "insufficient", "available": 3},
        {"sku": empty.variant.sku, "quantity": 1, "status": "out_of_stock", "available": 0},
        {"sku": "NO-SUCH-SKU", "quantity": 1, "status": "unknown_sku", "available": None},
    ]
    assert ledger_snapshot() == before  # reads only


def test_cart_validate_view_all_lines_ok(staff_api, stocked):
    a, b = stocked(5), stocked(2)

    response = staff_api.post(URL, {"lines": [
        {"sku": a.variant.sku, "quantity": 5},
        {"sku": b.variant.sku, "quantity": 1},
    ]}, format="json")

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert [line["status"] for line in response.json()["lines"]] == ["ok", "ok"]


def test_cart_validate_view_counts_reserved_units_as_taken(staff_api, manager_api, stocked):
    level = stocked(5)
    sku = level.variant.sku
    held = manager_api.post("/api/v1/reservations/", {"reference": "cart-1", "lines": [{"sku": sku, "quantity": 4}]},
                            format="json")
    assert held.status_code == 201

    body = staff_api.post(URL, {"lines": [{"sku": sku, "quantity": 2}]}, format="json").json()

    assert body["lines"][0] == {"sku": sku, "quantity": 2, "status": "insufficient", "available": 1}


def test_cart_validate_view_judges_repeated_sku_by_the_cart_total(staff_api, stocked):
    level = stocked(5)
    sku = level.variant.sku

    body = staff_api.post(URL, {"lines": [{"sku": sku, "quantity": 3}, {"sku": sku, "quantity": 3}]}, format="json").json()

    assert body["ok"] is False
    assert [line["status"] for line in body["lines"]] == ["insufficient", "insufficient"]
    assert [line["available"] for line in body["lines"]] == [5, 5]


def test_cart_validate_view_uses_the_line_location(staff_api, stocked, other_location):
    level = stocked(1)
    stocked(8, location=other_location, variant=level.variant)
    sku = level.variant.sku

    body = staff_api.post(URL, {"lines": [
        {"sku": sku, "quantity": 5, "location": "store"},
        {"sku": sku, "quantity": 5},
    ]}, format="json").json()

    assert body["lines"][0] == {"sku": sku, "quantity": 5, "status": "ok", "available": 8}
    assert body["lines"][1] == {"sku": sku, "quantity": 5, "status": "insufficient", "available": 1}


def test_cart_validate_view_variant_without_level_is_out_of_stock(staff_api, default_location):
    variant = factories.VariantFactory()

    body = staff_api.post(URL, {"lines": [{"sku": variant.sku, "quantity": 1}]}, format="json").json()

    assert body["lines"][0] == {"sku": variant.sku, "quantity": 1, "status": "out_of_stock", "available": 0}


def test_cart_validate_view_inactive_variant_is_not_for_sale(staff_api, stocked):
    level = stocked(5)
    level.variant.active = False
    level.variant.save(update_fields=["active"])

    body = staff_api.post(URL, {"lines": [{"sku": level.variant.sku, "quantity": 1}]}, format="json").json()

    assert body["lines"][0]["status"] == "unknown_sku"
    assert body["lines"][0]["available"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": "SKU-1"}, "lines"),
    ],
)
def test_cart_validate_view_bad_lines_get_400(staff_api, default_location, payload, field):
    response = staff_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("quantity", [0, -2, "two", "3", 1.5, True, None])
def test_cart_validate_view_bad_quantity_gets_400_naming_the_line(staff_api, stocked, quantity):
    level = stocked(5)

    response = staff_api.post(URL, {"lines": [
        {"sku": level.variant.sku, "quantity": 1},
        {"sku": level.variant.sku, "quantity": quantity},
    ]}, format="json")

    assert response.status_code == 400
    errors = response.json()["lines"]
    assert errors[0] == {}
    assert "quantity" in errors[1]


def test_cart_validate_view_missing_sku_gets_400(staff_api, default_location):
    response = staff_api.post(URL, {"lines": [{"quantity": 1}]}, format="json")

    assert response.status_code == 400
    assert "sku" in response.json()["lines"][0]


def test_cart_validate_view_unknown_location_gets_404(staff_api, stocked):
    level = stocked(5)
    before = ledger_snapshot()

    response = staff_api.post(URL, {"lines": [{"sku": level.variant.sku, "quantity": 1, "location": "attic"}]},
                              format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Unknown location 'attic'.",
        "lines": [{"location": ["Unknown location 'attic'."]}],
    }
    assert ledger_snapshot() == before


def test_cart_validate_view_anonymous_gets_401(api_client, default_location):
    assert api_client.post(URL, {"lines": [{"sku": "X", "quantity": 1}]}, format="json").status_code == 401


def test_cart_validate_view_role_without_permission_gets_403(customer_api, default_location):
    assert customer_api.post(URL, {"lines": [{"sku": "X", "quantity": 1}]}, format="json").status_code == 403


def test_cart_validate_view_refuses_get(staff_api):
    assert staff_api.get(URL).status_code == 405


def test_cart_validate_view_inactive_location_gets_400(staff_api, stocked, other_location):
    level = stocked(5, location=other_location)
    other_location.active = False
    other_location.save(update_fields=["active"])

    response = staff_api.post(URL, {"lines": [{"sku": level.variant.sku, "quantity": 1, "location": "store"}]},
                              format="json")

    assert response.status_code == 400
    assert response.json()["lines"][0]["location"] == ["Location store is inactive."]


def test_cart_validate_view_reads_stock_levels_in_one_query(staff_api, stocked, other_location):
    a, b, c = stocked(10), stocked(3), stocked(0)
    a_store = stocked(6, location=other_location, variant=a.variant)
    unstocked = factories.VariantFactory()  # no level anywhere
    table = StockLevel._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        response = staff_api.post(URL, {"lines": [
            {"sku": a.variant.sku, "quantity": 4},
            {"sku": b.variant.sku, "quantity": 5},
            {"sku": c.variant.sku, "quantity": 1},
            {"sku": a.variant.sku, "quantity": 2, "location": "store"},
            {"sku": unstocked.sku, "quantity": 1},
            {"sku": "NO-SUCH-SKU", "quantity": 1},
        ]}, format="json")

    assert response.status_code == 200
    assert [line["available"] for line in response.json()["lines"]] == [10, 3, 0, a_store.available, 0, None]
    assert [line["status"] for line in response.json()["lines"]] == [
        "ok", "insufficient", "out_of_stock", "ok", "out_of_stock", "unknown_sku",
    ]
    assert len([query for query in queries.captured_queries if f'"{table}"' in query["sql"]]) == 1
