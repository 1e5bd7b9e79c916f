from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.services import stock_adjust, stock_transfer
from tests import factories
from tests.api.helpers import MOVEMENT_KEYS

URL = "/api/v1/movements/"


@pytest.fixture
def history(stocked, other_location, staff_user, manager_user):
    """Opening stock (no user) for two variants, a DAMAGE by staff, a transfer by the manager."""
    shirt = factories.VariantFactory(sku="SHIRT-S")
    socks = factories.VariantFactory(sku="SOCKS-1")
    shirt_main = stocked(20, variant=shirt)
    stocked(5, variant=socks)
    stock_adjust(variant=shirt, location=shirt_main.location, quantity=-2, type="DAMAGE", reason="Torn", user=staff_user)
    stock_transfer(variant=shirt, from_location=shirt_main.location, to_location=other_location, quantity=3,
                   reason="Refill", user=manager_user)
    return shirt, socks


def rows(client, **params) -> list[tuple]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [(m["sku"], m["type"], m["location"], m["delta"]) for m in response.json()["results"]]


@pytest.mark.smoke
def test_movement_list_view_answers_paginated_ledger_newest_first(staff_api, history):
    response = staff_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert all(set(m) == MOVEMENT_KEYS for m in body["results"])
    newest = body["results"][0]
    assert (newest["type"], newest["user"], newest["reference"]) == ("TRANSFER_IN", "manager", "main")
    opening = body["results"][-1]
    assert (opening["type"], opening["user"], opening["delta"], opening["quantity_after"]) == ("RESTOCK", None, 20, 20)


def test_movement_list_view_filters_by_sku(staff_api, history):
    assert rows(staff_api, sku="SOCKS-1") == [("SOCKS-1", "RESTOCK", "main", 5)]


def test_movement_list_view_filters_by_type(staff_api, history):
    assert rows(staff_api, type="DAMAGE") == [("SHIRT-S", "DAMAGE", "main", -2)]


def test_movement_list_view_filters_by_location(staff_api, history):
    assert rows(staff_api, location="store") == [("SHIRT-S", "TRANSFER_IN", "store", 3)]


def test_movement_list_view_filters_by_username(staff_api, history):
    assert rows(staff_api, user="manager") == [
        ("SHIRT-S", "TRANSFER_IN", "store", 3),
        ("SHIRT-S", "TRANSFER_OUT", "main", -3),
    ]


def test_movement_list_view_filters_by_date_range(staff_api, history):
    today = timezone.localdate()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    assert len(rows(staff_api, date_from=today.isoformat(), date_to=today.isoformat())) == 5
    assert rows(staff_api, date_from=tomorrow.isoformat()) == []
    assert rows(staff_api, date_to=yesterday.isoformat()) == []


def test_movement_list_view_combined_filters(staff_api, history):
    assert rows(staff_api, sku="SHIRT-S", location="main", type="TRANSFER_OUT", user="manager") == [
        ("SHIRT-S", "TRANSFER_OUT", "main", -3),
    ]


def test_movement_list_view_paginates(staff_api, history):
    first = staff_api.get(URL, {"page_size": 2}).json()
    third = staff_api.get(URL, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert len(first["results"]) == 2 and "page=2" in first["next"]
    assert len(third["results"]) == 1 and third["next"] is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"type": "THEFT"}, "type"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "2024-13-01"}, "date_to"),
        ({"date_to": ""}, "date_to"),
    ],
)
def test_movement_list_view_bad_filter_gets_400_naming_the_field(staff_api, history, params, field):
    response = staff_api.get(URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_movement_list_view_range_ending_before_it_starts_is_empty(staff_api, history):
    response = staff_api.get(URL, {"date_from": "2024-06-02", "date_to": "2024-06-01"})

    assert response.status_code == 200
    assert response.json()["count"] == 0 and response.json()["results"] == []


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"user": "nobody"}, "user", "Unknown user 'nobody'."),
        ({"location": "attic"}, "location", "Unknown location 'attic'."),
    ],
)
def test_movement_list_view_unknown_filter_gets_404_naming_the_field(staff_api, history, params, field, message):
    response = staff_api.get(URL, params)

    assert response.status_code == 404
    assert response.json() == {"detail": message, field: [message]}


@pytest.mark.smoke
def test_movement_list_view_anonymous_gets_401(api_client, history):
    assert api_client.get(URL).status_code == 401


def test_movement_list_view_role_without_permission_gets_403(customer_api, history):
    response = customer_api.get(URL)

    assert response.status_code == 403
    assert "history" in response.json()["detail"]


def test_movement_list_view_query_count_does_not_grow_with_page_size(staff_api, history, staff_user):
    shirt, _ = history
    for _ in range(10):
        stock_adjust(variant=shirt, quantity=1, type="RETURN", reason="Returned", user=staff_user)

    with CaptureQueriesContext(connection) as small:
        assert len(staff_api.get(URL, {"page_size": 2}).json()["results"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(staff_api.get(URL, {"page_size": 50}).json()["results"]) == 15

    assert len(large) == len(small)
