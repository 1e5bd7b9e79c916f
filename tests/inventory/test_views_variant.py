import pytest
from django.urls import reverse

from inventory.services import stock_adjust

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _url(level):
    return reverse("inventory:variant_detail", kwargs={"sku": level.variant.sku})


@pytest.mark.smoke
def test_variant_detail_view_shows_levels_history_and_prices_for_managers(manager_client, stocked, other_location):
    level = stocked(9)
    stocked(4, variant=level.variant, location=other_location)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="DAMAGE", reason="Dropped on floor")

    response = manager_client.get(_url(level))

    assert response.status_code == 200
    text = response.content.decode()
    assert level.variant.sku in text
    assert level.variant.product.name in text
    assert level.variant.barcode in text
    assert "Shop floor" in text and "Main warehouse" in text
    assert '<td class="num on-hand">8</td>' in text
    assert '<td class="num on-hand">4</td>' in text
    assert "Dropped on floor" in text
    assert "19.99" in text and "8.50" in text
    assert reverse("inventory:stock_transfer", kwargs={"sku": level.variant.sku}) in text
    assert f'{reverse("inventory:movement_list")}?sku={level.variant.sku}' in text


@pytest.mark.smoke
def test_variant_detail_view_hides_prices_and_transfer_from_staff(staff_client, stocked):
    level = stocked(9)

    response = staff_client.get(_url(level))

    assert response.status_code == 200
    text = response.content.decode()
    assert "19.99" not in text
    assert "8.50" not in text
    assert "Cost" not in text
    assert reverse("inventory:stock_transfer", kwargs={"sku": level.variant.sku}) not in text
    assert reverse("inventory:stock_adjust", kwargs={"sku": level.variant.sku}) in text


def test_variant_detail_view_answers_htmx_with_the_stock_partial(staff_client, stocked):
    level = stocked(9)

    response = staff_client.get(_url(level), headers=HX)

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert text.strip().startswith('<div id="variant-stock"')
    assert 'hx-trigger="stock-changed from:body"' in text
    assert '<td class="num on-hand">9</td>' in text
    assert "Opening stock" in text


def test_variant_detail_view_history_is_capped_at_fifty(staff_client, stocked):
    level = stocked(100)
    for n in range(55):
        stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason=f"s{n:03d}")

    response = staff_client.get(_url(level))

    assert len(response.context["movements"]) == 50
    assert "s054" in response.content.decode()
    assert "s004" not in response.content.decode()


def test_variant_detail_view_unknown_sku_is_404(staff_client, db):
    response = staff_client.get(reverse("inventory:variant_detail", kwargs={"sku": "NOPE"}))

    assert response.status_code == 404
