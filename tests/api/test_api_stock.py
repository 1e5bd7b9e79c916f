import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests import factories
from tests.api.helpers import STOCK_ROW_KEYS, api_token_from_command

LIST_URL = "/api/v1/stock/"


def detail_url(sku: str) -> str:
    return f"/api/v1/stock/{sku}/"


# --- GET /api/v1/stock/ -----------------------------------------------------

@pytest.mark.smoke
def test_stock_list_view_answers_paginated_stock_rows(staff_api, stocked):
    level = stocked(25, threshold=5)

    response = staff_api.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert set(row) == STOCK_ROW_KEYS
    assert row["sku"] == level.variant.sku
    assert row["product"] == level.variant.product.name
    assert row["location"] == "main"
    assert (row["on_hand"], row["reserved"], row["available"]) == (25, 0, 25)
    assert row["low_stock_threshold"] == 5
    assert row["is_low"] is False
    assert row["is_out"] is False


@pytest.mark.smoke
def test_stock_list_view_token_from_create_api_token_authenticates(staff_user, stocked):
    stocked(3)
    token = api_token_from_command("staff")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.get(LIST_URL)

    assert len(token) == 40
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_stock_list_view_same_token_printed_twice(staff_user):
    assert api_token_from_command("staff") == api_token_from_command("staff")


@pytest.mark.smoke
def test_stock_list_view_anonymous_gets_401(api_client, stocked):
    stocked(3)

    response = api_client.get(LIST_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_stock_list_view_wrong_token_gets_401(api_client, staff_user):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = api_client.get(LIST_URL)

    assert response.status_code == 401


def test_stock_list_view_role_without_permission_gets_403(customer_api):
    response = customer_api.get(LIST_URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to view stock."}


def test_stock_list_view_session_auth_works(client, staff_user, stocked):
    stocked(4)
    client.force_login(staff_user)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["results"][0]["on_hand"] == 4


def test_stock_list_view_filters_by_sku(staff_api, stocked):
    wanted = stocked(5)
    stocked(6)

    body = staff_api.get(LIST_URL, {"sku": wanted.variant.sku}).json()

    assert [row["sku"] for row in body["results"]] == [wanted.variant.sku]


def test_stock_list_view_filters_by_location_code(staff_api, stocked, other_location):
    variant = factories.VariantFactory()
    stocked(5, variant=variant)
    stocked(7, variant=variant, location=other_location)

    body = staff_api.get(LIST_URL, {"location": "store"}).json()

    assert [(row["location"], row["on_hand"]) for row in body["results"]] == [("store", 7)]


def test_stock_list_view_filters_by_category_id_and_name(staff_api, stocked):
    tools = factories.CategoryFactory(name="Tools")
    hammer = factories.VariantFactory(product=factories.ProductFactory(category=tools))
    stocked(5, variant=hammer)
    stocked(6)

    by_id = staff_api.get(LIST_URL, {"category": str(tools.pk)}).json()
    by_name = staff_api.get(LIST_URL, {"category": "tools"}).json()

    assert [row["sku"] for row in by_id["results"]] == [hammer.sku]
    assert [row["sku"] for row in by_name["results"]] == [hammer.sku]


def test_stock_list_view_low_stock_and_out_of_stock_filters(staff_api, stocked):
    plenty = stocked(50, threshold=10)
    low = stocked(3, threshold=10)
    out = stocked(0, threshold=10)

    low_rows = staff_api.get(LIST_URL, {"low_stock": "true"}).json()["results"]
    out_rows = staff_api.get(LIST_URL, {"out_of_stock": "1"}).json()["results"]
    all_rows = staff_api.get(LIST_URL, {"low_stock": "false"}).json()["results"]

    assert [(r["sku"], r["is_low"], r["is_out"]) for r in low_rows] == [(low.variant.sku, True, False)]
    assert [(r["sku"], r["is_low"], r["is_out"]) for r in out_rows] == [(out.variant.sku, False, True)]
    assert {r["sku"] for r in all_rows} == {plenty.variant.sku, low.variant.sku, out.variant.sku}


def test_stock_list_view_search_q(staff_api, stocked):
    widget = factories.VariantFactory(product=factories.ProductFactory(name="Blue widget"))
    stocked(5, variant=widget)
    stocked(6)

    body = staff_api.get(LIST_URL, {"q": "widget"}).json()

    assert [row["sku"] for row in body["results"]] == [widget.sku]


def test_stock_list_view_low_stock_with_out_of_stock_lists_the_out_of_stock_levels(staff_api, stocked):
    stocked(50, threshold=10)
    stocked(3, threshold=10)
    out = stocked(0, threshold=10)

    response = staff_api.get(LIST_URL, {"low_stock": "true", "out_of_stock": "true"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(r["sku"], r["is_low"], r["is_out"]) for r in body["results"]] == [(out.variant.sku, False, True)]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"low_stock": "maybe"}, "low_stock"),
        ({"low_stock": ""}, "low_stock"),
        ({"out_of_stock": "2"}, "out_of_stock"),
        ({"sort": "price"}, "sort"),
    ],
)
def test_stock_list_view_bad_filter_gets_400_naming_the_field(staff_api, stocked, params, field):
    stocked(5)

    response = staff_api.get(LIST_URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"location": "nowhere"}, "location", "Unknown location 'nowhere'."),
        ({"category": "No such category"}, "category", "Unknown category 'No such category'."),
        ({"category": "999999"}, "category", "Unknown category '999999'."),
        ({"category": "9" * 40}, "category", f"Unknown category '{'9' * 40}'."),
        ({"category": "\u00b2"}, "category", "Unknown category '\u00b2'."),
    ],
)
def test_stock_list_view_unknown_filter_gets_404_naming_the_field(staff_api, stocked, params, field, message):
    stocked(5)

    response = staff_api.get(LIST_URL, params)

    assert response.status_code == 404
    assert response.json() == {"detail": message, field: [message]}


def test_stock_list_view_paginates(staff_api, stocked):
    skus = sorted(stocked(i + 1).variant.sku for i in range(5))

    first = staff_api.get(LIST_URL, {"page_size": 2}).json()
    last = staff_api.get(LIST_URL, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [row["sku"] for row in first["results"]] == skus[:2]
    assert "page=2" in first["next"] and first["previous"] is None
    assert [row["sku"] for row in last["results"]] == skus[4:]
    assert last["next"] is None and "page=2" in last["previous"]


def test_stock_list_view_page_past_the_end_gets_404(staff_api, stocked):
    stocked(1)

    response = staff_api.get(LIST_URL, {"page": 9})

    assert response.status_code == 404
    assert "detail" in response.json()


def test_stock_list_view_query_count_does_not_grow_with_page_size(staff_api, stocked, other_location):
    for _ in range(12):
        variant = factories.VariantFactory()
        stocked(3, variant=variant)
        stocked(4, variant=variant, location=other_location)

    with CaptureQueriesContext(connection) as small:
        assert len(staff_api.get(LIST_URL, {"page_size": 2}).json()["results"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(staff_api.get(LIST_URL, {"page_size": 24, "location": "store"}).json()["results"]) == 12

    # the location filter adds its one existence check
    assert len(large) == len(small) + 1


# --- GET /api/v1/stock/{sku}/ -----------------------------------------------------

@pytest.mark.smoke
def test_stock_detail_view_answers_levels_and_totals(staff_api, stocked, other_location):
    variant = factories.VariantFactory(sku="TEE-M-BLUE")
    stocked(5, variant=variant)
    stocked(7, variant=variant, location=other_location)

    response = staff_api.get(detail_url("TEE-M-BLUE"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"sku", "product", "levels", "on_hand", "reserved", "available"}
    assert body["sku"] == "TEE-M-BLUE"
    assert body["product"] == variant.product.name
    assert [(row["location"], row["on_hand"]) for row in body["levels"]] == [("main", 5), ("store", 7)]
    assert all(set(row) == STOCK_ROW_KEYS for row in body["levels"])
    assert (body["on_hand"], body["reserved"], body["available"]) == (12, 0, 12)


def test_stock_detail_view_location_filter(staff_api, stocked, other_location):
    variant = factories.VariantFactory(sku="TEE-L")
    stocked(5, variant=variant)
    stocked(7, variant=variant, location=other_location)

    body = staff_api.get(detail_url("TEE-L"), {"location": "store"}).json()

    assert [row["location"] for row in body["levels"]] == ["store"]
    assert body["on_hand"] == 7


def test_stock_detail_view_variant_without_levels_has_zero_totals(staff_api, default_location):
    factories.VariantFactory(sku="NEW-1")

    body = staff_api.get(detail_url("NEW-1")).json()

    assert body["levels"] == []
    assert (body["on_hand"], body["reserved"], body["available"]) == (0, 0, 0)


@pytest.mark.smoke
def test_stock_detail_view_unknown_sku_gets_404(staff_api, default_location):
    response = staff_api.get(detail_url("NOPE-404"))

    assert response.status_code == 404
    assert response.json()["detail"] == "Unknown SKU 'NOPE-404'."


def test_stock_detail_view_unknown_location_gets_404(staff_api, stocked):
    level = stocked(5)

    response = staff_api.get(detail_url(level.variant.sku), {"location": "attic"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown location 'attic'.", "location": ["Unknown location 'attic'."]}


def test_stock_detail_view_anonymous_gets_401_and_customer_403(api_client, customer_api, stocked):
    level = stocked(5)

    assert api_client.get(detail_url(level.variant.sku)).status_code == 401
    assert customer_api.get(detail_url(level.variant.sku)).status_code == 403


@pytest.mark.parametrize("sku", ["%00", "A%00B", "x" * 300, "%F0%9F%98%80"], ids=["nul", "embedded-nul", "too-long", "emoji"])
def test_stock_detail_view_impossible_sku_gets_404(staff_api, default_location, sku):
    response = staff_api.get(detail_url(sku))

    assert response.status_code == 404
    assert "detail" in response.json()
