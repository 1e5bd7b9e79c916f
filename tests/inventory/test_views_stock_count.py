import json

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from inventory.services import stock_adjust

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _url(level):
    return reverse("inventory:stock_count", kwargs={"sku": level.variant.sku})


@pytest.mark.smoke
def test_stock_count_view_get_carries_the_expected_on_hand(staff_client, stocked):
    level = stocked(12)

    response = staff_client.get(_url(level), headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert 'name="expected_on_hand" value="12"' in text
    assert "The system holds <strong>12</strong>" in text


def test_stock_count_view_get_without_htmx_renders_a_full_page(staff_client, stocked):
    level = stocked(12)

    response = staff_client.get(_url(level))

    assert "<html" in response.content.decode()
    assert 'name="counted"' in response.content.decode()


@pytest.mark.smoke
def test_stock_count_view_post_sets_on_hand_with_a_count_movement(staff_client, stocked):
    level = stocked(12)

    response = staff_client.post(
        _url(level),
        {"location": "main", "counted": "9", "reason": "Cycle count", "expected_on_hand": "12", "idempotency_key": "c-1"},
        headers=HX,
    )

    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"])[f"level-{level.pk}-changed"] is True
    level.refresh_from_db()
    assert level.on_hand == 9
    movement = StockMovement.objects.latest("id")
    assert (movement.type, movement.delta, movement.quantity_after) == ("COUNT", -3, 9)


def test_stock_count_view_mismatch_offers_refreshed_form_and_changes_nothing(staff_client, stocked):
    level = stocked(12)
    # Someone sells two while the count dialog is open.
    stock_adjust(variant=level.variant, location=level.location, quantity=-2, type="SALE", reason="Till")

    response = staff_client.post(
        _url(level),
        {"location": "main", "counted": "9", "reason": "Cycle count", "expected_on_hand": "12", "idempotency_key": "c-2"},
        headers=HX,
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "someone changed this level meanwhile: it now holds 10" in text.lower()
    assert 'name="expected_on_hand" value="10"' in text
    assert 'name="counted" value="9"' in text
    level.refresh_from_db()
    assert level.on_hand == 10
    assert not StockMovement.objects.filter(type="COUNT").exists()

    again = staff_client.post(
        _url(level),
        {"location": "main", "counted": "9", "reason": "Cycle count", "expected_on_hand": "10", "idempotency_key": "c-2"},
        headers=HX,
    )
    assert again.status_code == 204
    level.refresh_from_db()
    assert level.on_hand == 9


def test_stock_count_view_negative_count_is_refused(staff_client, stocked):
    level = stocked(12)

    response = staff_client.post(_url(level), {"location": "main", "counted": "-1", "reason": "Count"}, headers=HX)

    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    level.refresh_from_db()
    assert level.on_hand == 12
