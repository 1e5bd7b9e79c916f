from datetime import date
from decimal import Decimal

import pytest

from core.exceptions import NotFound
from purchasing.selectors import supplier_performance, supplier_purchase_orders
from purchasing.services import purchase_order_transition
from suppliers.selectors import (
    supplier_get,
    supplier_history,
    supplier_item_get,
    supplier_list,
    variant_search,
)
from tests import factories
from tests.suppliers.helpers import purchase_order_for, purchase_order_received

pytestmark = pytest.mark.django_db


# --- supplier_list, supplier_get ----------------------------------------------------

def test_supplier_list_orders_by_name_and_counts_items():
    brick = factories.SupplierFactory(name="Brick")
    factories.SupplierFactory(name="Acme")
    factories.SupplierItemFactory.create_batch(2, supplier=brick)

    rows = list(supplier_list())

    assert [s.name for s in rows] == ["Acme", "Brick"]
    assert [s.item_count for s in rows] == [0, 2]


@pytest.mark.parametrize("q", ["acme", "ann", "ORDERS@"])
def test_supplier_list_searches_name_contact_and_email(q):
    factories.SupplierFactory(name="Acme Ltd", contact_name="Ann Smith", email="orders@acme.test")
    factories.SupplierFactory(name="Brick Co", contact_name="Bob", email="bob@brick.test")

    assert [s.name for s in supplier_list(q=q)] == ["Acme Ltd"]


def test_supplier_list_filters_on_active():
    factories.SupplierFactory(name="On")
    factories.SupplierFactory(name="Off", active=False)

    assert [s.name for s in supplier_list(active=True)] == ["On"]
    assert [s.name for s in supplier_list(active=False)] == ["Off"]
    assert len(supplier_list(active=None)) == 2


def test_supplier_list_ignores_a_nul_character():
    factories.SupplierFactory(name="Acme")

    assert [s.name for s in supplier_list(q="ac\x00me")] == ["Acme"]


def test_supplier_get_unknown_raises_not_found():
    with pytest.raises(NotFound):
        supplier_get(pk=999_999)


def test_supplier_item_get_refuses_another_suppliers_item():
    item = factories.SupplierItemFactory()

    with pytest.raises(NotFound):
        supplier_item_get(supplier=factories.SupplierFactory(), pk=item.pk)
    assert supplier_item_get(supplier=item.supplier, pk=item.pk) == item


# --- purchase orders and history -----------------------------------------------------

def test_supplier_purchase_orders_and_history_count_the_suppliers_orders(default_location):
    item = factories.SupplierItemFactory()
    first = purchase_order_for(item.supplier, item.variant)
    second = purchase_order_for(item.supplier, item.variant)
    purchase_order_for(factories.SupplierItemFactory(variant=item.variant).supplier, item.variant)

    assert list(supplier_purchase_orders(supplier=item.supplier)) == [second, first]
    history = supplier_history(supplier=item.supplier)
    assert (history.purchase_orders, history.stock_movements, history.blocks_delete) == (2, 0, True)


def test_supplier_history_counts_receipt_movements(default_location):
    item = factories.SupplierItemFactory()
    purchase_order_received(item.supplier, item.variant, ordered=date(2024, 1, 1), expected=None,
                            received=date(2024, 1, 5))

    history = supplier_history(supplier=item.supplier)

    assert (history.purchase_orders, history.stock_movements) == (1, 1)


# --- performance ---------------------------------------------------------------------

def test_supplier_performance_without_received_orders(default_location):
    item = factories.SupplierItemFactory()
    order = purchase_order_for(item.supplier, item.variant, expected=date(2030, 1, 1))
    purchase_order_transition(order=order, to="PENDING")

    performance = supplier_performance(supplier=item.supplier)

    assert performance.has_orders is False
    assert performance.received_orders == 0
    assert performance.on_time_rate is None
    assert performance.actual_lead_days is None
    assert performance.promised_lead_days is None


def test_supplier_performance_on_time_rate_and_lead_times(default_location):
    item = factories.SupplierItemFactory(lead_time_days=30)
    supplier, variant = item.supplier, item.variant
    # Promised 10 days, took 8: on time.
    purchase_order_received(supplier, variant, ordered=date(2024, 3, 1), expected=date(2024, 3, 11),
                            received=date(2024, 3, 9))
    # Promised 10 days, took 10: on time (received on the expected day).
    purchase_order_received(supplier, variant, ordered=date(2024, 4, 1), expected=date(2024, 4, 11),
                            received=date(2024, 4, 11))
    # Promised 5 days, took 15: late.
    purchase_order_received(supplier, variant, ordered=date(2024, 5, 1), expected=date(2024, 5, 6),
                            received=date(2024, 5, 16))
    # No expected date: counts for the actual lead time (12 days) only.
    purchase_order_received(supplier, variant, ordered=date(2024, 6, 1), expected=None, received=date(2024, 6, 13))

    performance = supplier_performance(supplier=supplier)

    assert performance.received_orders == 4
    assert (performance.on_time_orders, performance.dated_orders) == (2, 3)
    assert performance.on_time_rate == Decimal("67")
    assert performance.actual_lead_days == Decimal("11.3")  # (8 + 10 + 15 + 12) / 4 = 11.25
    assert performance.promised_lead_days == Decimal("8.3")  # (10 + 10 + 5) / 3
    assert performance.promised_from_items is False
    assert performance.lead_difference_days == Decimal("3.0")


def test_supplier_performance_promised_falls_back_to_the_items_lead_times(default_location):
    item = factories.SupplierItemFactory(lead_time_days=6)
    factories.SupplierItemFactory(supplier=item.supplier, lead_time_days=9)
    purchase_order_received(item.supplier, item.variant, ordered=date(2024, 1, 1), expected=None,
                            received=date(2024, 1, 4))

    performance = supplier_performance(supplier=item.supplier)

    assert performance.on_time_rate is None
    assert performance.actual_lead_days == Decimal("3.0")
    assert performance.promised_lead_days == Decimal("7.5")
    assert performance.promised_from_items is True
    assert performance.lead_difference_abs == Decimal("4.5")


def test_supplier_performance_ignores_other_suppliers_and_open_orders(default_location):
    item = factories.SupplierItemFactory()
    other = factories.SupplierItemFactory(variant=item.variant)
    purchase_order_received(other.supplier, item.variant, ordered=date(2024, 1, 1), expected=date(2024, 1, 2),
                            received=date(2024, 1, 20))
    purchase_order_received(item.supplier, item.variant, ordered=date(2024, 1, 1), expected=date(2024, 1, 10),
                            received=date(2024, 1, 3))
    purchase_order_for(item.supplier, item.variant, expected=date(2024, 1, 2))

    performance = supplier_performance(supplier=item.supplier)

    assert (performance.received_orders, performance.on_time_rate) == (1, Decimal("100"))
    assert performance.actual_lead_days == Decimal("2.0")


# --- variant_search ----------------------------------------------------------------------

def test_variant_search_matches_sku_and_product_name_among_active_variants():
    widget = factories.VariantFactory(sku="WID-1", product=factories.ProductFactory(name="Blue widget"))
    factories.VariantFactory(sku="WID-2", active=False)
    gadget = factories.VariantFactory(sku="GAD-1", product=factories.ProductFactory(name="Widget gadget"))

    assert list(variant_search(q="wid")) == [gadget, widget]
    assert list(variant_search(q="gad")) == [gadget]
    assert list(variant_search(q="  ")) == []


def test_variant_search_returns_at_most_twenty():
    factories.VariantFactory.create_batch(25, product=factories.ProductFactory(name="Bolt"))

    assert len(variant_search(q="bolt")) == 20
