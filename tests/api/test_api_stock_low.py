import pytest

from inventory.services import ReservationLineRequest, reservation_create
from tests import factories
from tests.api.helpers import STOCK_ROW_KEYS

pytestmark = pytest.mark.django_db

URL = "/api/v1/stock/low/"
ALERT_KEYS = STOCK_ROW_KEYS | {"reorder_quantity", "is_critical", "suggested_quantity", "preferred_supplier"}


@pytest.mark.smoke
def test_stock_low_list_view_answers_paginated_alert_rows(staff_api, stocked):
    critical = stocked(0, threshold=5)
    low = stocked(3, threshold=5)
    stocked(30, threshold=5)
    item = factories.SupplierItemFactory(variant=low.variant, preferred=True, minimum_order_quantity=24,
                                         supplier__name="Acme")

    response = staff_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    first, second = body["results"]
    assert set(first) == ALERT_KEYS
    assert first["sku"] == critical.variant.sku
    assert (first["available"], first["is_critical"], first["is_out"], first["is_low"]) == (0, True, True, False)
    assert first["suggested_quantity"] == 10
    assert first["preferred_supplier"] is None
    assert second["sku"] == low.variant.sku
    assert (second["on_hand"], second["reserved"], second["available"]) == (3, 0, 3)
    assert (second["is_critical"], second["is_low"], second["low_stock_threshold"]) == (False, True, 5)
    assert second["reorder_quantity"] == 0
    assert second["suggested_quantity"] == 24
    assert second["preferred_supplier"] == {"id": item.supplier_id, "name": "Acme"}
    assert second["location"] == "main"


def test_stock_low_list_view_counts_reserved_stock_as_gone(staff_api, stocked):
    level = stocked(20, threshold=5)
    reservation_create(reference="r", expires=False, lines=[ReservationLineRequest(variant=level.variant, quantity=16)])

    row = staff_api.get(URL).json()["results"][0]

    assert (row["on_hand"], row["reserved"], row["available"]) == (20, 16, 4)


def test_stock_low_list_view_filters_location_critical_and_search(staff_api, stocked, other_location):
    empty = stocked(0, variant=factories.VariantFactory(sku="MUG-1", product__name="Coffee mug"))
    low = stocked(2, variant=factories.VariantFactory(sku="SHIRT-1", product__name="Linen shirt"))
    store = stocked(1, variant=low.variant, location=other_location)

    def skus_at(params):
        return [(row["sku"], row["location"]) for row in staff_api.get(URL, params).json()["results"]]

    assert skus_at({"critical": "true"}) == [(empty.variant.sku, "main")]
    assert skus_at({"location": "store"}) == [(store.variant.sku, "store")]
    assert sorted(skus_at({"q": "linen"})) == [("SHIRT-1", "main"), ("SHIRT-1", "store")]


@pytest.mark.parametrize("params, field", [
    ({"critical": "maybe"}, "critical"),
    ({"q": "\x00"}, "q"),
])
def test_stock_low_list_view_bad_query_is_400_naming_the_field(staff_api, stocked, params, field):
    stocked(0)

    response = staff_api.get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


def test_stock_low_list_view_unknown_location_is_404_naming_it(staff_api, stocked):
    stocked(0)

    response = staff_api.get(URL, {"location": "nowhere"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown location 'nowhere'.", "location": ["Unknown location 'nowhere'."]}


def test_stock_low_list_view_pages(staff_api, stocked):
    for _ in range(3):
        stocked(0)

    body = staff_api.get(URL, {"page_size": 2}).json()
    last = staff_api.get(URL, {"page_size": 2, "page": 2}).json()
    past_the_end = staff_api.get(URL, {"page_size": 2, "page": 3})
    not_a_number = staff_api.get(URL, {"page": "abc"})

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert len(last["results"]) == 1 and last["next"] is None
    assert past_the_end.status_code == 404
    assert past_the_end.json() == {"detail": "Invalid page."}
    assert not_a_number.status_code == 400
    assert not_a_number.json() == {"page": ["Must be a whole number."]}


def test_stock_low_list_view_is_not_taken_for_a_sku(staff_api, stocked):
    stocked(0, variant=factories.VariantFactory(sku="low"))

    assert "count" in staff_api.get(URL).json()


def test_stock_low_list_view_anonymous_401_and_customer_403(api_client, customer_api):
    assert api_client.get(URL).status_code == 401
    assert customer_api.get(URL).status_code == 403
