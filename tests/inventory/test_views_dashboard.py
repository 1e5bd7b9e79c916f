import pytest
from django.urls import reverse

from inventory.services import stock_adjust

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.mark.smoke
def test_dashboard_view_shows_figures_and_latest_movements(manager_client, stocked):
    level = stocked(12, threshold=20)  # low
    stocked(0)  # out
    stock_adjust(variant=level.variant, location=level.location, quantity=-2, type="SALE", reason="Till sale 991")

    response = manager_client.get(reverse("core:dashboard"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Units on hand" in text
    assert response.context["summary"]["units_on_hand"] == 10
    assert '<p class="stat-value">10</p>' in text
    assert "Till sale 991" in text
    assert level.variant.sku in text
    assert f'{reverse("inventory:stock_list")}?status=low' in text
    assert f'{reverse("inventory:stock_list")}?status=out' in text
    assert response.context["summary"]["low_count"] == 1
    assert response.context["summary"]["out_count"] == 1
    # 10 units at a cost of 8.50 each.
    assert "Stock value at cost" in text
    assert "85.00" in text


@pytest.mark.smoke
def test_dashboard_view_hides_stock_value_from_staff(staff_client, stocked):
    stocked(10)

    response = staff_client.get(reverse("core:dashboard"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Stock value" not in text
    assert "85.00" not in text
    assert "stock_value" not in response.context["summary"]


def test_dashboard_view_lists_only_the_latest_ten_movements(staff_client, stocked):
    level = stocked(50)
    for n in range(12):
        stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason=f"sale-{n:02d}")

    response = staff_client.get(reverse("core:dashboard"))

    text = response.content.decode()
    assert "sale-11" in text
    assert "sale-02" in text
    assert "sale-01" not in text
    assert "Opening stock" not in text


def test_dashboard_view_shows_nav_with_role_and_logout_form(staff_client, staff_user):
    response = staff_client.get(reverse("core:dashboard"))

    text = response.content.decode()
    assert "Staff" in text
    assert staff_user.username in text
    assert f'action="{reverse("accounts:logout")}"' in text
    assert 'id="modal-content"' in text
    assert "hx-headers" in text
    assert "Admin site" not in text
    assert " style=" not in text and "<script>" not in text


def test_dashboard_view_shows_admin_site_link_to_admins(admin_client):
    response = admin_client.get(reverse("core:dashboard"))

    assert "Admin site" in response.content.decode()


def test_messages_view_renders_pending_messages(staff_client, stocked):
    level = stocked(5)
    url = reverse("inventory:stock_adjust", kwargs={"sku": level.variant.sku})
    staff_client.post(url, {"location": "main", "type": "RESTOCK", "quantity": "3", "reason": "Delivery"}, headers=HX)

    response = staff_client.get(reverse("core:messages"), headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="messages"' in text
    assert "5 → 8" in text
    assert "<html" not in text
