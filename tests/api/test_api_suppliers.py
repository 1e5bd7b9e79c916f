from decimal import Decimal

import pytest

from suppliers.models import Supplier, SupplierItem
from tests import factories
from tests.suppliers.helpers import purchase_order_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/suppliers/"
SUPPLIER_KEYS = {"id", "name", "contact_name", "email", "phone", "address", "website", "notes", "active",
                 "created_at", "updated_at"}
ITEM_KEYS = {"id", "sku", "product", "supplier_sku", "unit_cost", "lead_time_days", "minimum_order_quantity",
             "preferred"}


def detail_url(supplier_id: int) -> str:
    return f"{URL}{supplier_id}/"


def items_url(supplier_id: int) -> str:
    return f"{URL}{supplier_id}/items/"


def item_url(supplier_id: int, item_id: int) -> str:
    return f"{URL}{supplier_id}/items/{item_id}/"


# --- list ---------------------------------------------------------------------------

def test_supplier_list_view_answers_a_page_of_suppliers(staff_api):
    factories.SupplierFactory(name="Brick Co")
    factories.SupplierFactory(name="Acme Ltd", contact_name="Ann")

    response = staff_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [row["name"] for row in body["results"]] == ["Acme Ltd", "Brick Co"]
    assert set(body["results"][0]) == SUPPLIER_KEYS


def test_supplier_list_view_filters_on_q_and_active(staff_api):
    factories.SupplierFactory(name="Acme Ltd")
    factories.SupplierFactory(name="Acme Old", active=False)
    factories.SupplierFactory(name="Brick Co")

    assert [r["name"] for r in staff_api.get(URL, {"q": "acme"}).json()["results"]] == ["Acme Ltd", "Acme Old"]
    assert [r["name"] for r in staff_api.get(URL, {"active": "false"}).json()["results"]] == ["Acme Old"]
    assert [r["name"] for r in staff_api.get(URL, {"q": "acme", "active": "true"}).json()["results"]] == ["Acme Ltd"]


def test_supplier_list_view_bad_active_is_400(staff_api):
    response = staff_api.get(URL, {"active": "maybe"})

    assert response.status_code == 400
    assert "active" in response.json()


def test_supplier_list_view_paginates(staff_api):
    factories.SupplierFactory.create_batch(3)

    body = staff_api.get(URL, {"page_size": 2}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_supplier_list_view_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {"name": "Acme"}, format="json").status_code == 401


def test_supplier_list_view_customer_is_403(customer_api):
    assert customer_api.get(URL).status_code == 403


# --- create -----------------------------------------------------------------------------

def test_supplier_create_view_answers_201_with_the_supplier(manager_api):
    response = manager_api.post(URL, {"name": "Acme Ltd", "email": "ann@acme.test", "website": "acme.test"},
                                format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == SUPPLIER_KEYS | {"items"}
    assert (body["name"], body["website"], body["active"], body["items"]) == (
        "Acme Ltd", "https://acme.test", True, [])
    assert Supplier.objects.get().pk == body["id"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "name"),
    ({"name": "  "}, "name"),
    ({"name": "Acme", "email": "nope"}, "email"),
    ({"name": "Acme", "website": "javascript:alert(1)"}, "website"),
    ({"name": "Acme", "active": "perhaps"}, "active"),
])
def test_supplier_create_view_bad_input_is_400_naming_the_field(manager_api, body, field):
    response = manager_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Supplier.objects.exists()


def test_supplier_create_view_duplicate_name_in_any_case_is_409(manager_api):
    factories.SupplierFactory(name="Acme Ltd")

    response = manager_api.post(URL, {"name": "ACME LTD"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "A supplier named 'Acme Ltd' already exists: choose another name.", "name": ["A supplier named 'Acme Ltd' already exists: choose another name."]}
    assert list(Supplier.objects.values_list("name", flat=True)) == ["Acme Ltd"]


def test_supplier_create_view_staff_is_403(staff_api):
    response = staff_api.post(URL, {"name": "Acme"}, format="json")

    assert response.status_code == 403
    assert not Supplier.objects.exists()


# --- detail, update, delete -----------------------------------------------------------

def test_supplier_detail_view_includes_items_with_costs_for_managers(manager_api):
    item = factories.SupplierItemFactory(unit_cost=Decimal("3.20"), supplier_sku="AC-1", preferred=True)

    body = manager_api.get(detail_url(item.supplier_id)).json()

    assert set(body) == SUPPLIER_KEYS | {"items"}
    assert body["items"] == [{
        "id": item.pk, "sku": item.variant.sku, "product": item.variant.product.name, "supplier_sku": "AC-1",
        "unit_cost": "3.20", "lead_time_days": 7, "minimum_order_quantity": 1, "preferred": True,
    }]


def test_supplier_detail_view_staff_sees_no_unit_cost(staff_api):
    item = factories.SupplierItemFactory(unit_cost=Decimal("3.20"))

    response = staff_api.get(detail_url(item.supplier_id))

    assert response.status_code == 200
    assert set(response.json()["items"][0]) == ITEM_KEYS - {"unit_cost"}
    assert "3.20" not in response.content.decode()


def test_supplier_detail_view_unknown_is_404(staff_api):
    response = staff_api.get(detail_url(999_999))

    assert response.status_code == 404
    assert "detail" in response.json()


def test_supplier_detail_view_anonymous_is_401(api_client):
    supplier = factories.SupplierFactory()

    for method in ("get", "put", "patch", "delete"):
        assert getattr(api_client, method)(detail_url(supplier.pk)).status_code == 401


def test_supplier_update_view_patch_changes_only_what_is_sent(manager_api):
    supplier = factories.SupplierFactory(name="Acme", contact_name="Ann", phone="555")

    response = manager_api.patch(detail_url(supplier.pk), {"contact_name": "Bob"}, format="json")

    assert response.status_code == 200
    assert (response.json()["contact_name"], response.json()["phone"]) == ("Bob", "555")
    supplier.refresh_from_db()
    assert (supplier.name, supplier.contact_name, supplier.phone) == ("Acme", "Bob", "555")


def test_supplier_update_view_patch_active_false_deactivates(manager_api):
    supplier = factories.SupplierFactory()

    response = manager_api.patch(detail_url(supplier.pk), {"active": False}, format="json")

    assert response.status_code == 200 and response.json()["active"] is False
    supplier.refresh_from_db()
    assert supplier.active is False


def test_supplier_update_view_put_replaces_every_field(manager_api):
    supplier = factories.SupplierFactory(name="Acme", contact_name="Ann", phone="555")

    response = manager_api.put(detail_url(supplier.pk), {"name": "Acme Ltd", "email": "a@acme.test"}, format="json")

    assert response.status_code == 200
    supplier.refresh_from_db()
    assert (supplier.name, supplier.email, supplier.contact_name, supplier.phone) == ("Acme Ltd", "a@acme.test", "", "")


def test_supplier_update_view_put_without_name_is_400(manager_api):
    supplier = factories.SupplierFactory(name="Acme")

    response = manager_api.put(detail_url(supplier.pk), {"email": "a@acme.test"}, format="json")

    assert response.status_code == 400 and "name" in response.json()


def test_supplier_update_view_taken_name_is_409_and_changes_nothing(manager_api):
    factories.SupplierFactory(name="Brick")
    supplier = factories.SupplierFactory(name="Acme", phone="555")

    response = manager_api.patch(detail_url(supplier.pk), {"name": "brick", "phone": "777"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "A supplier named 'Brick' already exists: choose another name.", "name": ["A supplier named 'Brick' already exists: choose another name."]}
    supplier.refresh_from_db()
    assert (supplier.name, supplier.phone) == ("Acme", "555")


def test_supplier_update_view_staff_is_403(staff_api):
    supplier = factories.SupplierFactory(name="Acme")

    assert staff_api.patch(detail_url(supplier.pk), {"name": "X"}, format="json").status_code == 403
    assert staff_api.put(detail_url(supplier.pk), {"name": "X"}, format="json").status_code == 403
    assert Supplier.objects.get().name == "Acme"


def test_supplier_update_view_unknown_is_404(manager_api):
    assert manager_api.patch(detail_url(999_999), {"name": "X"}, format="json").status_code == 404


def test_supplier_delete_view_answers_204_and_deletes_the_items(manager_api):
    item = factories.SupplierItemFactory()

    response = manager_api.delete(detail_url(item.supplier_id))

    assert response.status_code == 204
    assert not Supplier.objects.exists() and not SupplierItem.objects.exists()


def test_supplier_delete_view_with_orders_is_409_offering_deactivation(manager_api, default_location):
    item = factories.SupplierItemFactory(supplier=factories.SupplierFactory(name="Acme"))
    purchase_order_for(item.supplier, item.variant)

    response = manager_api.delete(detail_url(item.supplier_id))

    assert response.status_code == 409
    body = response.json()
    assert "1 purchase order" in body["detail"]
    assert 'PATCH {"active": false}' in body["detail"]
    assert (body["purchase_orders"], body["stock_movements"]) == (1, 0)
    assert Supplier.objects.filter(pk=item.supplier_id).exists()


def test_supplier_delete_view_staff_is_403(staff_api):
    supplier = factories.SupplierFactory()

    assert staff_api.delete(detail_url(supplier.pk)).status_code == 403
    assert Supplier.objects.exists()


def test_supplier_delete_view_unknown_is_404(manager_api):
    assert manager_api.delete(detail_url(999_999)).status_code == 404


# --- items ------------------------------------------------------------------------------

def test_supplier_item_list_view_answers_a_page_of_items(manager_api, staff_api):
    item = factories.SupplierItemFactory(unit_cost=Decimal("2.50"))

    manager_body = manager_api.get(items_url(item.supplier_id)).json()
    staff_body = staff_api.get(items_url(item.supplier_id)).json()

    assert manager_body["count"] == 1
    assert set(manager_body["results"][0]) == ITEM_KEYS
    assert manager_body["results"][0]["unit_cost"] == "2.50"
    assert set(staff_body["results"][0]) == ITEM_KEYS - {"unit_cost"}


def test_supplier_item_list_view_unknown_supplier_is_404(staff_api):
    assert staff_api.get(items_url(999_999)).status_code == 404


def test_supplier_item_list_view_anonymous_is_401(api_client):
    supplier = factories.SupplierFactory()

    assert api_client.get(items_url(supplier.pk)).status_code == 401
    assert api_client.post(items_url(supplier.pk), {"sku": "X"}, format="json").status_code == 401


def test_supplier_item_create_view_answers_201(manager_api):
    supplier = factories.SupplierFactory()
    variant = factories.VariantFactory(sku="WID-1")

    response = manager_api.post(items_url(supplier.pk), {
        "sku": "WID-1", "supplier_sku": "AC-1", "unit_cost": "3.20", "lead_time_days": 5,
        "minimum_order_quantity": 10, "preferred": True,
    }, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ITEM_KEYS
    assert (body["sku"], body["unit_cost"], body["minimum_order_quantity"], body["preferred"]) == (
        "WID-1", "3.20", 10, True)
    item = SupplierItem.objects.get()
    assert (item.variant, item.unit_cost, item.lead_time_days) == (variant, Decimal("3.20"), 5)


def test_supplier_item_create_view_preferred_takes_the_flag(manager_api):
    first = factories.SupplierItemFactory(preferred=True)
    supplier = factories.SupplierFactory()

    response = manager_api.post(items_url(supplier.pk), {"sku": first.variant.sku, "preferred": True}, format="json")

    assert response.status_code == 201
    first.refresh_from_db()
    assert first.preferred is False


@pytest.mark.parametrize(("body", "field"), [
    ({}, "sku"),
    ({"sku": "WID-1", "unit_cost": "-1"}, "unit_cost"),
    ({"sku": "WID-1", "unit_cost": "1.005"}, "unit_cost"),
    ({"sku": "WID-1", "lead_time_days": -1}, "lead_time_days"),
    ({"sku": "WID-1", "lead_time_days": 2.5}, "lead_time_days"),
    ({"sku": "WID-1", "minimum_order_quantity": 0}, "minimum_order_quantity"),
    ({"sku": "WID-1", "preferred": "sure"}, "preferred"),
])
def test_supplier_item_create_view_bad_input_is_400_naming_the_field(manager_api, body, field):
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    response = manager_api.post(items_url(supplier.pk), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not SupplierItem.objects.exists()


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"sku": "NOPE"}, "sku", "Unknown SKU 'NOPE'."),
])
def test_supplier_item_create_view_unknown_reference_is_404_naming_the_field(manager_api, body, field, message):
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    response = manager_api.post(items_url(supplier.pk), body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": message, field: [message]}
    assert not SupplierItem.objects.exists()


def test_supplier_item_create_view_duplicate_is_409(manager_api):
    item = factories.SupplierItemFactory()

    response = manager_api.post(items_url(item.supplier_id), {"sku": item.variant.sku}, format="json")

    assert response.status_code == 409
    assert "already has an item" in response.json()["sku"][0]
    assert response.json()["detail"] == response.json()["sku"][0]
    assert SupplierItem.objects.count() == 1


@pytest.mark.parametrize("unit_cost", [0, 2.5, True])
def test_supplier_item_create_view_amount_as_a_json_number_is_400(manager_api, unit_cost):
    supplier = factories.SupplierFactory()
    variant = factories.VariantFactory()

    response = manager_api.post(items_url(supplier.pk), {"sku": variant.sku, "unit_cost": unit_cost}, format="json")

    assert response.status_code == 400
    assert response.json() == {"unit_cost": ['Send the amount as a string, e.g. "12.50".']}
    assert not SupplierItem.objects.exists()


def test_supplier_item_create_view_staff_is_403(staff_api):
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    assert staff_api.post(items_url(supplier.pk), {"sku": "WID-1"}, format="json").status_code == 403
    assert not SupplierItem.objects.exists()


def test_supplier_item_detail_view_answers_the_item(manager_api, staff_api):
    item = factories.SupplierItemFactory(unit_cost=Decimal("2.50"))

    assert manager_api.get(item_url(item.supplier_id, item.pk)).json()["unit_cost"] == "2.50"
    assert "unit_cost" not in staff_api.get(item_url(item.supplier_id, item.pk)).json()


def test_supplier_item_detail_view_item_of_another_supplier_is_404(staff_api):
    item = factories.SupplierItemFactory()
    other = factories.SupplierFactory()

    assert staff_api.get(item_url(other.pk, item.pk)).status_code == 404
    assert staff_api.get(item_url(item.supplier_id, 999_999)).status_code == 404


def test_supplier_item_update_view_patch_changes_the_item(manager_api):
    item = factories.SupplierItemFactory(unit_cost=Decimal("2.50"), lead_time_days=7)
    other = factories.SupplierItemFactory(variant=item.variant, preferred=True)

    response = manager_api.patch(item_url(item.supplier_id, item.pk), {"unit_cost": "2.75", "preferred": True},
                                 format="json")

    assert response.status_code == 200
    assert (response.json()["unit_cost"], response.json()["preferred"], response.json()["lead_time_days"]) == (
        "2.75", True, 7)
    other.refresh_from_db()
    assert other.preferred is False


def test_supplier_item_update_view_bad_input_is_400(manager_api):
    item = factories.SupplierItemFactory(minimum_order_quantity=4)

    response = manager_api.patch(item_url(item.supplier_id, item.pk), {"minimum_order_quantity": 0}, format="json")

    assert response.status_code == 400 and "minimum_order_quantity" in response.json()
    item.refresh_from_db()
    assert item.minimum_order_quantity == 4


def test_supplier_item_update_view_staff_is_403(staff_api):
    item = factories.SupplierItemFactory(lead_time_days=7)

    assert staff_api.patch(item_url(item.supplier_id, item.pk), {"lead_time_days": 1}, format="json").status_code == 403
    item.refresh_from_db()
    assert item.lead_time_days == 7


def test_supplier_item_delete_view_answers_204(manager_api):
    item = factories.SupplierItemFactory()

    assert manager_api.delete(item_url(item.supplier_id, item.pk)).status_code == 204
    assert not SupplierItem.objects.exists()


def test_supplier_item_delete_view_staff_is_403_and_anonymous_401(staff_api, api_client):
    item = factories.SupplierItemFactory()

    assert staff_api.delete(item_url(item.supplier_id, item.pk)).status_code == 403
    assert api_client.delete(item_url(item.supplier_id, item.pk)).status_code == 401
    assert SupplierItem.objects.exists()


def test_supplier_item_delete_view_unknown_is_404(manager_api):
    supplier = factories.SupplierFactory()

    assert manager_api.delete(item_url(supplier.pk, 999_999)).status_code == 404


def test_supplier_item_views_cost_needs_the_prices_permission(manager_user, manager_api):
    """A role that may edit items but not see prices can neither read nor set a cost."""
    from django.contrib.auth.models import Permission

    manager_user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="suppliers",
    ))
    manager_user.groups.clear()
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    refused = manager_api.post(items_url(supplier.pk), {"sku": "WID-1", "unit_cost": "1.00"}, format="json")
    created = manager_api.post(items_url(supplier.pk), {"sku": "WID-1"}, format="json")

    assert refused.status_code == 403
    assert created.status_code == 201 and "unit_cost" not in created.json()
    assert SupplierItem.objects.get().unit_cost == Decimal("0.00")
