import json

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from inventory.services import ledger_verify
from inventory.services.reservations import ReservationLineRequest, reservation_create

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _url(level):
    return reverse("inventory:stock_adjust", kwargs={"sku": level.variant.sku})


def _post(client, level, headers=None, **fields):
    data = {"location": level.location.code, "type": "RESTOCK", "quantity": "5", "reason": "Delivery", "notes": ""}
    data.update(fields)
    return client.post(_url(level), data, headers=headers or {})


@pytest.mark.smoke
def test_stock_adjust_view_get_renders_dialog_partial_with_default_location(staff_client, stocked, other_location):
    level = stocked(3)

    response = staff_client.get(_url(level), headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert f'hx-post="{_url(level)}"' in text
    assert 'hx-target="#modal-content"' in text
    assert '<option value="main" selected>' in text
    assert 'name="idempotency_key"' in text
    assert "TRANSFER_OUT" not in text and "TRANSFER_IN" not in text
    assert len(response.context["form"].initial["idempotency_key"]) == 32


def test_stock_adjust_view_get_preselects_the_location_asked_for(staff_client, stocked, other_location):
    level = stocked(3)

    response = staff_client.get(_url(level) + "?location=store", headers=HX)

    assert '<option value="store" selected>' in response.content.decode()


def test_stock_adjust_view_get_without_htmx_renders_a_full_page(staff_client, stocked):
    level = stocked(3)

    response = staff_client.get(_url(level))

    text = response.content.decode()
    assert "<html" in text
    assert f'action="{_url(level)}"' in text
    assert "hx-post" not in text


@pytest.mark.smoke
def test_stock_adjust_view_post_changes_on_hand_and_answers_204_with_events(staff_client, staff_user, stocked):
    level = stocked(10)

    response = _post(staff_client, level, headers=HX, quantity="5", reason="Delivery 77", notes="pallet 2")

    assert response.status_code == 204
    events = json.loads(response["HX-Trigger"])
    assert events == {"closeModal": True, "stock-changed": True, f"level-{level.pk}-changed": True}
    level.refresh_from_db()
    assert level.on_hand == 15
    movement = StockMovement.objects.latest("id")
    assert (movement.type, movement.delta, movement.reason, movement.notes) == ("RESTOCK", 5, "Delivery 77", "pallet 2")
    assert movement.user == staff_user
    assert ledger_verify() == []


def test_stock_adjust_view_post_without_htmx_redirects_with_message(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, level, quantity="2")

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:variant_detail", kwargs={"sku": level.variant.sku})
    page = staff_client.get(response["Location"])
    assert "10 → 12" in page.content.decode()


def test_stock_adjust_view_sale_and_damage_take_a_positive_entry_as_removal(staff_client, stocked):
    level = stocked(10)

    assert _post(staff_client, level, headers=HX, type="SALE", quantity="3").status_code == 204
    assert _post(staff_client, level, headers=HX, type="DAMAGE", quantity="-2").status_code == 204

    level.refresh_from_db()
    assert level.on_hand == 5
    assert list(StockMovement.objects.filter(level=level).order_by("id").values_list("delta", flat=True)) == [10, -3, -2]


def test_stock_adjust_view_adjustment_takes_the_signed_number(staff_client, stocked):
    level = stocked(10)

    assert _post(staff_client, level, headers=HX, type="ADJUSTMENT", quantity="-4").status_code == 204
    assert _post(staff_client, level, headers=HX, type="ADJUSTMENT", quantity="1").status_code == 204

    level.refresh_from_db()
    assert level.on_hand == 7


def test_stock_adjust_view_at_a_location_without_a_level_asks_the_list_to_reload(staff_client, stocked,
                                                                                other_location):
    level = stocked(10)

    response = _post(staff_client, level, headers=HX, location="store", quantity="3")

    assert response.status_code == 204
    events = json.loads(response["HX-Trigger"])
    assert events["stock-levels-added"] is True
    new = StockMovement.objects.latest("id").level
    assert (new.location.code, new.on_hand) == ("store", 3)
    assert events[f"level-{new.pk}-changed"] is True


def test_stock_adjust_view_does_not_offer_count(staff_client, stocked):
    level = stocked(19)

    response = staff_client.get(_url(level), headers=HX)

    text = response.content.decode()
    assert '<option value="COUNT"' not in text
    assert '<option value="ADJUSTMENT"' in text
    assert "signed change" in text


def test_stock_adjust_view_refuses_count_and_changes_nothing(staff_client, stocked):
    level = stocked(19)

    response = _post(staff_client, level, headers=HX, type="COUNT", quantity="5")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    level.refresh_from_db()
    assert level.on_hand == 19
    assert not StockMovement.objects.filter(type="COUNT").exists()


def test_stock_adjust_view_shows_current_stock_of_the_chosen_location(staff_client, stocked, other_location):
    level = stocked(19)
    reservation_create(
        reference="cart-1", lines=[ReservationLineRequest(variant=level.variant, quantity=4, location=level.location)]
    )

    text = staff_client.get(_url(level), headers=HX).content.decode()
    assert "Now at main:" in text
    assert '<strong class="figure-on-hand">19</strong> on hand' in text
    assert '<strong class="figure-reserved">4</strong> reserved' in text
    assert '<strong class="figure-available">15</strong> available' in text
    # The location select reloads the dialog, keeping what was typed.
    assert 'hx-include="#id_location, #id_type, #id_quantity, #id_reason, #id_notes"' in text

    other = staff_client.get(
        _url(level) + "?location=store&type=DAMAGE&quantity=2&reason=Broken", headers=HX
    ).content.decode()
    assert "Now at store:" in other
    assert '<strong class="figure-on-hand">0</strong> on hand' in other
    assert '<option value="DAMAGE" selected>' in other
    assert 'value="Broken"' in other


def test_stock_adjust_view_error_keeps_showing_current_stock(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, level, headers=HX, type="DAMAGE", quantity="11")

    assert '<strong class="figure-on-hand">10</strong> on hand' in response.content.decode()


@pytest.mark.smoke
def test_stock_adjust_view_without_reason_shows_error_and_changes_nothing(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, level, headers=HX, reason="  ")

    assert response.status_code == 200
    text = response.content.decode()
    assert "This field is required." in text
    assert 'aria-invalid="true"' in text
    level.refresh_from_db()
    assert level.on_hand == 10
    assert StockMovement.objects.count() == 1


def test_stock_adjust_view_too_many_units_shows_service_error_inline(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, level, headers=HX, type="DAMAGE", quantity="11")

    assert response.status_code == 200
    text = response.content.decode()
    assert "11 requested, 10 available" in text
    assert 'class="form-error"' in text
    assert "<html" not in text
    level.refresh_from_db()
    assert level.on_hand == 10
    assert StockMovement.objects.count() == 1


def test_stock_adjust_view_negative_restock_is_refused(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, level, headers=HX, type="RESTOCK", quantity="-3")

    assert response.status_code == 200
    assert "enter a positive quantity" in response.content.decode()
    level.refresh_from_db()
    assert level.on_hand == 10


def test_stock_adjust_view_error_without_htmx_renders_full_page(staff_client, stocked):
    level = stocked(10)

    response = _post(staff_client, level, quantity="abc")

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "Enter a whole number." in response.content.decode()


@pytest.mark.smoke
def test_stock_adjust_view_double_post_with_same_key_counts_once(staff_client, stocked):
    level = stocked(10)

    first = _post(staff_client, level, headers=HX, quantity="5", idempotency_key="key-abc-123")
    second = _post(staff_client, level, headers=HX, quantity="5", idempotency_key="key-abc-123")

    assert first.status_code == second.status_code == 204
    level.refresh_from_db()
    assert level.on_hand == 15
    assert StockMovement.objects.filter(idempotency_key="key-abc-123").count() == 1
    assert StockMovement.objects.count() == 2


def test_stock_adjust_view_unknown_sku_is_404(staff_client, db):
    response = staff_client.get(reverse("inventory:stock_adjust", kwargs={"sku": "NOPE"}))

    assert response.status_code == 404


def test_stock_adjust_view_requires_adjust_permission(client, stocked, django_user_model):
    level = stocked(10)
    client.force_login(django_user_model.objects.create_user("viewer", password="x-pass-word-1"))

    assert client.get(_url(level)).status_code == 403
    assert _post(client, level).status_code == 403
    level.refresh_from_db()
    assert level.on_hand == 10
