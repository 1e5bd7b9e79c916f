import json

import pytest
from django.urls import reverse

from inventory.models import StockLevel, StockMovement

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _url(level):
    return reverse("inventory:stock_transfer", kwargs={"sku": level.variant.sku})


def _data(**fields):
    data = {"from_location": "main", "to_location": "store", "quantity": "4", "reason": "Refill shop", "notes": ""}
    data.update(fields)
    return data


@pytest.mark.smoke
def test_stock_transfer_view_is_forbidden_for_staff(staff_client, stocked, other_location):
    level = stocked(10)

    assert staff_client.get(_url(level), headers=HX).status_code == 403
    assert staff_client.post(_url(level), _data(), headers=HX).status_code == 403
    level.refresh_from_db()
    assert level.on_hand == 10
    assert not StockMovement.objects.filter(type="TRANSFER_OUT").exists()


@pytest.mark.smoke
def test_stock_transfer_view_moves_units_for_managers(manager_client, stocked, other_location):
    level = stocked(10)

    form = manager_client.get(_url(level), headers=HX)
    response = manager_client.post(_url(level), _data(), headers=HX)

    assert form.status_code == 200
    assert '<option value="store" selected>' in form.content.decode()
    assert response.status_code == 204
    target = StockLevel.objects.get(variant=level.variant, location=other_location)
    events = json.loads(response["HX-Trigger"])
    assert events["closeModal"] is True
    assert events[f"level-{level.pk}-changed"] is True
    assert events[f"level-{target.pk}-changed"] is True
    level.refresh_from_db()
    assert (level.on_hand, target.on_hand) == (6, 4)


def test_stock_transfer_view_into_a_new_level_asks_the_list_to_reload(manager_client, stocked, other_location):
    """The target had no level, so no row: the list is told to fetch its rows again."""
    level = stocked(10)

    first = manager_client.post(_url(level), _data(quantity="4"), headers=HX)
    second = manager_client.post(_url(level), _data(quantity="1"), headers=HX)

    assert json.loads(first["HX-Trigger"])["stock-levels-added"] is True
    # The level exists now: its row refreshes itself, no reload of the list.
    assert "stock-levels-added" not in json.loads(second["HX-Trigger"])
    target = StockLevel.objects.get(variant=level.variant, location=other_location)
    assert target.on_hand == 5


def test_stock_transfer_view_too_many_units_shows_error(manager_client, stocked, other_location):
    level = stocked(10)

    response = manager_client.post(_url(level), _data(quantity="11"), headers=HX)

    assert response.status_code == 200
    assert "11 requested, 10 available" in response.content.decode()
    level.refresh_from_db()
    assert level.on_hand == 10


def test_stock_transfer_view_same_location_is_refused(manager_client, stocked, other_location):
    level = stocked(10)

    response = manager_client.post(_url(level), _data(to_location="main"), headers=HX)

    assert response.status_code == 200
    assert "different location" in response.content.decode()
    assert not StockMovement.objects.filter(type="TRANSFER_OUT").exists()


def test_stock_transfer_view_without_htmx_redirects(manager_client, stocked, other_location):
    level = stocked(10)

    response = manager_client.post(_url(level), _data())

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:variant_detail", kwargs={"sku": level.variant.sku})
