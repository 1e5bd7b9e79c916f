from decimal import Decimal

import pytest

from core.exceptions import Conflict, ValidationFailed
from inventory.models import StockMovement
from inventory.services import stock_adjust
from suppliers.models import Supplier, SupplierItem
from suppliers.services import (
    supplier_activate,
    supplier_create,
    supplier_deactivate,
    supplier_delete,
    supplier_item_create,
    supplier_item_delete,
    supplier_item_update,
    supplier_update,
)
from tests import factories
from tests.suppliers.helpers import purchase_order_for

pytestmark = pytest.mark.django_db


def _refused(exc_info, field: str) -> str:
    assert exc_info.value.field == field
    return exc_info.value.message


# --- supplier_create ----------------------------------------------------------

def test_supplier_create_stores_every_field_trimmed():
    supplier = supplier_create(name="  Acme Ltd ", contact_name="Ann", email="ann@acme.test", phone="+44 20 1234",
                               address="1 High St\nLondon", website="https://acme.test", notes="Net 30")

    supplier.refresh_from_db()
    assert (supplier.name, supplier.contact_name, supplier.email) == ("Acme Ltd", "Ann", "ann@acme.test")
    assert (supplier.phone, supplier.address, supplier.website, supplier.notes) == (
        "+44 20 1234", "1 High St\nLondon", "https://acme.test", "Net 30")
    assert supplier.active is True


def test_supplier_create_adds_https_to_a_bare_website():
    assert supplier_create(name="Acme", website="acme.test").website == "https://acme.test"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_supplier_create_requires_a_name(name):
    with pytest.raises(ValidationFailed) as exc_info:
        supplier_create(name=name)

    assert "name" in _refused(exc_info, "name")
    assert Supplier.objects.count() == 0


def test_supplier_create_refuses_a_name_taken_in_another_case():
    supplier_create(name="Acme Ltd")

    with pytest.raises(Conflict) as exc_info:
        supplier_create(name="ACME LTD")

    assert _refused(exc_info, "name") == "A supplier named 'Acme Ltd' already exists: choose another name."
    assert Supplier.objects.count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("email", "not-an-email"),
    ("website", "ftp://files.acme.test"),
    ("website", "http://"),
    ("name", "x" * 201),
    ("phone", "1" * 51),
])
def test_supplier_create_refuses_bad_fields_naming_them(field, value):
    values = {"name": "Acme", field: value}

    with pytest.raises(ValidationFailed) as exc_info:
        supplier_create(**values)

    assert _refused(exc_info, field)
    assert Supplier.objects.count() == 0


def test_supplier_create_refuses_an_active_flag_that_is_not_a_boolean():
    with pytest.raises(ValidationFailed) as exc_info:
        supplier_create(name="Acme", active="yes")

    assert _refused(exc_info, "active")


# --- supplier_update, deactivate, activate ------------------------------------------

def test_supplier_update_changes_only_the_fields_given():
    supplier = supplier_create(name="Acme", contact_name="Ann", email="ann@acme.test")

    supplier_update(supplier=supplier, contact_name="Bob", phone="555")

    supplier.refresh_from_db()
    assert (supplier.name, supplier.contact_name, supplier.email, supplier.phone) == ("Acme", "Bob", "ann@acme.test", "555")


def test_supplier_update_may_change_the_case_of_its_own_name():
    supplier = supplier_create(name="acme")

    supplier_update(supplier=supplier, name="ACME")

    assert Supplier.objects.get().name == "ACME"


def test_supplier_update_refuses_another_suppliers_name_and_changes_nothing():
    supplier_create(name="Acme")
    other = supplier_create(name="Brick", contact_name="Cat")

    with pytest.raises(Conflict) as exc_info:
        supplier_update(supplier=other, name="acme", contact_name="Dan")

    assert "already exists" in _refused(exc_info, "name")
    other.refresh_from_db()
    assert (other.name, other.contact_name) == ("Brick", "Cat")


def test_supplier_update_refuses_a_bad_email_and_changes_nothing():
    supplier = supplier_create(name="Acme", email="ann@acme.test")

    with pytest.raises(ValidationFailed) as exc_info:
        supplier_update(supplier=supplier, email="ann at acme", phone="555")

    assert _refused(exc_info, "email")
    supplier.refresh_from_db()
    assert (supplier.email, supplier.phone) == ("ann@acme.test", "")


def test_supplier_deactivate_and_activate_flip_the_flag():
    supplier = supplier_create(name="Acme")

    supplier_deactivate(supplier=supplier)
    assert Supplier.objects.get().active is False

    supplier_activate(supplier=supplier)
    assert Supplier.objects.get().active is True


# --- supplier_delete ----------------------------------------------------------------

def test_supplier_delete_removes_the_supplier_and_its_items():
    item = factories.SupplierItemFactory()

    supplier_delete(supplier=item.supplier)

    assert not Supplier.objects.exists()
    assert not SupplierItem.objects.exists()


def test_supplier_delete_refuses_a_supplier_with_purchase_orders(default_location):
    item = factories.SupplierItemFactory()
    purchase_order_for(item.supplier, item.variant)

    with pytest.raises(Conflict) as exc_info:
        supplier_delete(supplier=item.supplier)

    assert "1 purchase order" in exc_info.value.message
    assert "deactivate it instead" in exc_info.value.message
    assert exc_info.value.details == {"purchase_orders": 1, "stock_movements": 0}
    assert Supplier.objects.filter(pk=item.supplier.pk).exists()
    assert SupplierItem.objects.filter(pk=item.pk).exists()


def test_supplier_delete_refuses_a_supplier_named_by_stock_movements(default_location, variant):
    supplier = factories.SupplierFactory(name="Acme")
    change = stock_adjust(variant=variant, location=default_location, quantity=3, type="RESTOCK", reason="Delivery")
    StockMovement.objects.filter(pk=change.movement.pk).update(supplier=supplier)

    with pytest.raises(Conflict) as exc_info:
        supplier_delete(supplier=supplier)

    assert exc_info.value.message == ("Supplier Acme has 1 stock movement, so it cannot be deleted: "
                                      "deactivate it instead.")
    assert Supplier.objects.filter(pk=supplier.pk).exists()


# --- supplier_item_create -----------------------------------------------------------

def test_supplier_item_create_stores_the_item():
    supplier, variant = factories.SupplierFactory(), factories.VariantFactory()

    item = supplier_item_create(supplier=supplier, variant=variant, supplier_sku=" AC-1 ", unit_cost="12.5",
                                lead_time_days=10, minimum_order_quantity=6, preferred=True)

    item.refresh_from_db()
    assert (item.supplier_sku, item.unit_cost, item.lead_time_days) == ("AC-1", Decimal("12.50"), 10)
    assert (item.minimum_order_quantity, item.preferred) == (6, True)


def test_supplier_item_create_refuses_a_second_item_for_the_same_variant():
    item = factories.SupplierItemFactory()

    with pytest.raises(Conflict) as exc_info:
        supplier_item_create(supplier=item.supplier, variant=item.variant)

    assert "already has an item" in _refused(exc_info, "sku")
    assert SupplierItem.objects.count() == 1


def test_supplier_item_create_refuses_an_unknown_variant():
    with pytest.raises(ValidationFailed) as exc_info:
        supplier_item_create(supplier=factories.SupplierFactory(), variant=None)

    assert _refused(exc_info, "sku") == "Choose a known SKU."


@pytest.mark.parametrize(("field", "value", "message"), [
    ("unit_cost", "-1", "The unit cost must be zero or more."),
    ("unit_cost", "1.005", "The unit cost has at most two decimal places."),
    ("unit_cost", "abc", "Enter the unit cost as an amount such as 12.50."),
    ("unit_cost", "NaN", "Enter the unit cost as an amount such as 12.50."),
    ("unit_cost", "1e12", "The unit cost is too large."),
    ("lead_time_days", -1, "The lead time in days must be at least 0."),
    ("lead_time_days", 2.5, "The lead time in days must be a whole number."),
    ("minimum_order_quantity", 0, "The minimum order quantity must be at least 1."),
    ("minimum_order_quantity", True, "The minimum order quantity must be a whole number."),
    ("preferred", "yes", "Preferred must be true or false."),
    ("supplier_sku", "x" * 65, "The supplier SKU must be at most 64 characters."),
])
def test_supplier_item_create_refuses_bad_values_naming_the_field(field, value, message):
    with pytest.raises(ValidationFailed) as exc_info:
        supplier_item_create(supplier=factories.SupplierFactory(), variant=factories.VariantFactory(), **{field: value})

    assert _refused(exc_info, field) == message
    assert not SupplierItem.objects.exists()


def test_supplier_item_create_preferred_takes_the_flag_from_the_other_supplier():
    first = factories.SupplierItemFactory(preferred=True)
    other_variant_item = factories.SupplierItemFactory(supplier=first.supplier, preferred=True)

    second = supplier_item_create(supplier=factories.SupplierFactory(), variant=first.variant, preferred=True)

    first.refresh_from_db()
    other_variant_item.refresh_from_db()
    assert (first.preferred, second.preferred) == (False, True)
    assert other_variant_item.preferred is True  # another variant keeps its own preferred supplier
    assert SupplierItem.objects.filter(variant=first.variant, preferred=True).count() == 1


def test_supplier_item_create_not_preferred_leaves_the_preferred_one():
    first = factories.SupplierItemFactory(preferred=True)

    supplier_item_create(supplier=factories.SupplierFactory(), variant=first.variant)

    first.refresh_from_db()
    assert first.preferred is True


# --- supplier_item_update, supplier_item_delete ----------------------------------------

def test_supplier_item_update_changes_only_the_fields_given():
    item = factories.SupplierItemFactory(unit_cost=Decimal("4.00"), lead_time_days=7, supplier_sku="OLD")

    supplier_item_update(item=item, unit_cost=Decimal("3.75"), minimum_order_quantity=12)

    item.refresh_from_db()
    assert (item.unit_cost, item.minimum_order_quantity, item.lead_time_days, item.supplier_sku) == (
        Decimal("3.75"), 12, 7, "OLD")


def test_supplier_item_update_preferred_moves_the_flag_in_one_step():
    first = factories.SupplierItemFactory(preferred=True)
    second = factories.SupplierItemFactory(variant=first.variant)

    supplier_item_update(item=second, preferred=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.preferred, second.preferred) == (False, True)


def test_supplier_item_update_refuses_a_bad_value_and_changes_nothing():
    item = factories.SupplierItemFactory(unit_cost=Decimal("4.00"), lead_time_days=7)

    with pytest.raises(ValidationFailed) as exc_info:
        supplier_item_update(item=item, lead_time_days=9, unit_cost="-2")

    assert _refused(exc_info, "unit_cost")
    item.refresh_from_db()
    assert (item.unit_cost, item.lead_time_days) == (Decimal("4.00"), 7)


def test_supplier_item_delete_removes_only_that_item():
    item = factories.SupplierItemFactory()
    other = factories.SupplierItemFactory(supplier=item.supplier)

    supplier_item_delete(item=item)

    assert list(SupplierItem.objects.values_list("pk", flat=True)) == [other.pk]
