import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.selectors import stock_alert_count
from purchasing.selectors import stock_alert_get, stock_alert_list
from purchasing.services import reorder_suggested_quantity
from tests import factories

pytestmark = pytest.mark.django_db


def _reserve(level, quantity):
    from inventory.services import ReservationLineRequest, reservation_create

    reservation_create(reference=f"hold-{level.pk}", expires=False,
                       lines=[ReservationLineRequest(variant=level.variant, quantity=quantity, location=level.location)])


def test_stock_alert_list_includes_low_and_critical_levels_only(stocked):
    low = stocked(4, threshold=5)
    at_threshold = stocked(5, threshold=5)
    empty = stocked(0, threshold=5)
    stocked(6, threshold=5)  # above its threshold

    alerts = {level.pk: level for level in stock_alert_list()}

    assert set(alerts) == {low.pk, at_threshold.pk, empty.pk}
    assert alerts[empty.pk].is_critical is True
    assert alerts[low.pk].is_critical is False
    assert alerts[low.pk].available_qty == 4


def test_stock_alert_list_counts_reserved_units_as_gone(stocked):
    level = stocked(8, threshold=5)
    _reserve(level, 8)

    alert = stock_alert_list().get(pk=level.pk)

    assert (alert.on_hand, alert.reserved, alert.available_qty) == (8, 8, 0)
    assert alert.is_critical is True


def test_stock_alert_list_orders_critical_first_then_emptiest_relative_to_threshold(stocked):
    half = stocked(5, threshold=10)       # 0.5
    tenth = stocked(1, threshold=10)      # 0.1
    empty = stocked(0, threshold=10)      # critical
    almost = stocked(9, threshold=10)     # 0.9
    zero_threshold = stocked(0, threshold=0)  # critical, no ratio

    order = [level.pk for level in stock_alert_list()]

    assert set(order[:2]) == {empty.pk, zero_threshold.pk}
    assert order[2:] == [tenth.pk, half.pk, almost.pk]


def test_stock_alert_list_leaves_out_inactive_and_untracked_products(stocked, default_location):
    inactive_variant = stocked(0, variant=factories.VariantFactory(active=False))
    inactive_product = stocked(0, variant=factories.VariantFactory(product__active=False))
    untracked = stocked(0, variant=factories.VariantFactory(product__track_inventory=False))
    kept = stocked(0)

    pks = {level.pk for level in stock_alert_list()}

    assert kept.pk in pks
    assert not pks & {inactive_variant.pk, inactive_product.pk, untracked.pk}


def test_stock_alert_list_filters_by_search_location_and_critical(stocked, other_location):
    shirt = stocked(2, variant=factories.VariantFactory(sku="SHIRT-1", product__name="Linen shirt"))
    mug = stocked(0, variant=factories.VariantFactory(sku="MUG-1", product__name="Coffee mug"))
    mug_store = stocked(0, variant=mug.variant, location=other_location)

    assert {level.pk for level in stock_alert_list(q="linen")} == {shirt.pk}
    assert {level.pk for level in stock_alert_list(q="MUG")} == {mug.pk, mug_store.pk}
    assert {level.pk for level in stock_alert_list(location=other_location)} == {mug_store.pk}
    assert {level.pk for level in stock_alert_list(critical_only=True)} == {mug.pk, mug_store.pk}


def test_stock_alert_list_annotates_preferred_supplier_and_suggested_quantity(stocked):
    plain = stocked(1, threshold=5)  # no supplier, no reorder quantity: 2 x 5
    with_quantity = stocked(1, threshold=5)
    with_quantity.reorder_quantity = 30
    with_quantity.save(update_fields=["reorder_quantity"])
    moq = stocked(1, threshold=5)
    item = factories.SupplierItemFactory(variant=moq.variant, preferred=True, minimum_order_quantity=48,
                                         supplier__name="Acme")
    factories.SupplierItemFactory(variant=plain.variant, preferred=False)  # not preferred: ignored

    alerts = {level.pk: level for level in stock_alert_list()}

    assert alerts[plain.pk].suggested_quantity == 10
    assert alerts[plain.pk].preferred_supplier_id is None
    assert alerts[with_quantity.pk].suggested_quantity == 30
    assert alerts[moq.pk].suggested_quantity == 48
    assert (alerts[moq.pk].preferred_supplier_id, alerts[moq.pk].preferred_supplier_name) == (item.supplier_id, "Acme")
    assert alerts[moq.pk].preferred_moq == 48
    for level in alerts.values():
        assert level.suggested_quantity == reorder_suggested_quantity(
            level=level, minimum_order_quantity=level.preferred_moq)


def test_stock_alert_list_ignores_an_inactive_preferred_supplier(stocked):
    level = stocked(1, threshold=5)
    factories.SupplierItemFactory(variant=level.variant, preferred=True, supplier__active=False,
                                  minimum_order_quantity=100)

    alert = stock_alert_list().get(pk=level.pk)

    assert alert.preferred_supplier_id is None
    assert alert.suggested_quantity == 10


def test_stock_alert_list_suggests_at_least_one_when_threshold_is_zero(stocked):
    level = stocked(0, threshold=0)

    assert stock_alert_list().get(pk=level.pk).suggested_quantity == 1


def test_stock_alert_count_matches_the_list_in_one_query(stocked):
    stocked(0)
    stocked(3)
    stocked(50)

    with CaptureQueriesContext(connection) as queries:
        count = stock_alert_count()

    assert count == 2 == stock_alert_list().count()
    assert len(queries) == 1
    assert "COUNT" in queries[0]["sql"].upper()


def test_stock_alert_get_answers_a_level_that_is_no_longer_low(stocked):
    level = stocked(50, threshold=5)

    alert = stock_alert_get(pk=level.pk)

    assert alert.is_alert is False
    assert alert.is_critical is False
    assert alert.available_qty == 50
