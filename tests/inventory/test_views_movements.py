import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockMovement
from inventory.services import stock_adjust
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.smoke
def test_movement_list_view_renders_full_page(staff_client, staff_user, stocked):
    level = stocked(10)
    stock_adjust(variant=level.variant, location=level.location, quantity=-3, type="SALE", reason="Order 5521",
                 user=staff_user, reference="SO-5521")

    response = staff_client.get(reverse("inventory:movement_list"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" in text
    assert "Order 5521" in text
    assert "SO-5521" in text
    assert "-3" in text and "+10" in text
    assert "10 → 7" in text
    assert staff_user.username in text


@pytest.mark.smoke
def test_movement_list_view_answers_htmx_with_filtered_rows(staff_client, stocked, other_location):
    one = stocked(10)
    two = stocked(20, location=other_location)

    response = staff_client.get(reverse("inventory:movement_list"), {"sku": one.variant.sku}, headers=HX)

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert one.variant.sku in text
    assert two.variant.sku not in text
    assert f"sku={one.variant.sku}" in text  # the export link carries the filter


def test_movement_list_view_filters_by_type_location_user_and_dates(staff_client, staff_user, manager_user, stocked, other_location):
    level = stocked(10)
    store = stocked(10, variant=level.variant, location=other_location)
    stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason="r-sale", user=staff_user)
    stock_adjust(variant=level.variant, location=store.location, quantity=-2, type="DAMAGE", reason="r-damage", user=manager_user)
    old = stock_adjust(variant=level.variant, location=level.location, quantity=1, type="RETURN", reason="r-old").movement
    StockMovement.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    url = reverse("inventory:movement_list")

    def reasons(**params):
        return {m.reason for m in staff_client.get(url, params).context["page_obj"]}

    assert reasons(type="DAMAGE") == {"r-damage"}
    assert reasons(location="store", type="DAMAGE") == {"r-damage"}
    assert reasons(user=staff_user.pk) == {"r-sale"}
    five_days_ago = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert "r-old" not in reasons(date_from=five_days_ago)
    assert reasons(date_to=five_days_ago) == {"r-old"}


def test_movement_list_view_paginates_fifty_per_page(staff_client, stocked):
    level = stocked(100)
    for n in range(55):
        stock_adjust(variant=level.variant, location=level.location, quantity=-1, type="SALE", reason=f"p{n}")

    first = staff_client.get(reverse("inventory:movement_list"))
    second = staff_client.get(reverse("inventory:movement_list"), {"page": 2})

    assert len(first.context["page_obj"]) == 50
    assert len(second.context["page_obj"]) == 6
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.smoke
def test_movement_export_view_returns_exactly_the_filtered_rows(staff_client, stocked):
    wanted = stocked(10, variant=factories.VariantFactory(sku="EXP-1"))
    other = stocked(10, variant=factories.VariantFactory(sku="EXP-2"))
    stock_adjust(variant=wanted.variant, location=wanted.location, quantity=-2, type="SALE", reason="=SUM(A1)")
    stock_adjust(variant=other.variant, location=other.location, quantity=-1, type="SALE", reason="other")

    response = staff_client.get(reverse("inventory:movement_export"), {"sku": "EXP-1"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert f"stock-movements-{timezone.localdate():%Y-%m-%d}.csv" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][:6] == ["time", "sku", "product", "location", "type", "delta"]
    body = rows[1:]
    assert [(r[1], r[4], r[5], r[8]) for r in body] == [
        ("EXP-1", "SALE", "-2", "'=SUM(A1)"),
        ("EXP-1", "RESTOCK", "10", "Opening stock"),
    ]


def test_movement_export_view_requires_history_permission(client, django_user_model, db):
    client.force_login(django_user_model.objects.create_user("nobody", password="x-pass-word-1"))

    assert client.get(reverse("inventory:movement_export")).status_code == 403
    assert client.get(reverse("inventory:movement_list")).status_code == 403
