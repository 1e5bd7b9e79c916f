import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from inventory.models import (
    Category,
    Location,
    MovementType,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Variant,
)
from inventory.services import ledger_verify
from demo.services import _orders_seed
from orders.models import OrderEvent, OrderPayment, OrderSource, OrderStatus, SalesOrder, StripeEvent
from demo.purchasing import SUPPLIERS, purchasing_demo_seed
from demo.timeline import DemoClock, Timeline
from purchasing.models import PurchaseOrder, PurchaseOrderStatus, Receipt, ReorderRule
from suppliers.models import Supplier, SupplierItem

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Location, Category, Product, Variant, StockLevel, StockMovement,
                                                     SalesOrder, OrderEvent, Reservation, StripeEvent, Supplier,
                                                     SupplierItem, PurchaseOrder, Receipt, ReorderRule))


@pytest.mark.smoke
def test_seed_demo_creates_a_catalogue_with_stock_history():
    output = _seed("--products", "30")

    assert Product.objects.count() == 30
    assert Variant.objects.count() > 30
    assert set(Location.objects.values_list("code", flat=True)) == {"main", "store"}
    assert Location.objects.get(is_default=True).code == "main"
    assert Category.objects.filter(parent__name="Clothing").exists()
    levels = list(StockLevel.objects.all())
    assert any(level.status == "low" for level in levels)
    assert any(level.status == "out" for level in levels)
    assert any(level.status == "in" for level in levels)
    assert Variant.objects.filter(stock_levels__isnull=True).count() == 0
    assert StockMovement.objects.filter(type=MovementType.RESTOCK, reason="Opening stock").count() == Variant.objects.count()
    assert StockMovement.objects.exclude(type=MovementType.RESTOCK).exists()
    assert ledger_verify() == []
    assert f"30 products, {Variant.objects.count()} variants" in output


@pytest.mark.smoke
def test_seed_demo_second_run_creates_nothing():
    _seed("--products", "10")
    before = _counts()

    output = _seed("--products", "10")

    assert "Demo data already present" in output
    assert SalesOrder.objects.exists()
    assert PurchaseOrder.objects.exists()
    assert _counts() == before


@pytest.mark.smoke
def test_seed_demo_orders_section_second_run_creates_nothing():
    _seed("--products", "10")
    before = _counts()
    locations = {location.code: location for location in Location.objects.all()}

    timeline = Timeline(DemoClock(timezone.now()), end=timezone.now())
    created = _orders_seed(variant_ids=list(Variant.objects.values_list("pk", flat=True)), locations=locations,
                           rng=random.Random(1), timeline=timeline)
    timeline.run()

    assert created == 0
    assert _counts() == before


@pytest.mark.smoke
def test_seed_demo_gives_unique_skus_and_13_digit_barcodes():
    _seed("--products", "40")

    skus = list(Variant.objects.values_list("sku", flat=True))
    barcodes = list(Variant.objects.values_list("barcode", flat=True))
    assert len(set(skus)) == len(skus)
    assert len(set(barcodes)) == len(barcodes)
    assert all(len(code) == 13 and code.isdigit() for code in barcodes)
    assert all(product.price > product.cost > 0 for product in Product.objects.all())


def _snapshot() -> tuple[list, list]:
    levels = sorted(Variant.objects.values_list("sku", "barcode", "stock_levels__on_hand", "stock_levels__reserved",
                                                "stock_levels__location__code"), key=str)
    orders = sorted(
        (order.status, order.source, order.customer_name, str(order.total),
         tuple(order.lines.values_list("variant__sku", "quantity", "sold_quantity", "restocked_quantity")))
        for order in SalesOrder.objects.all()
    )
    purchase_orders = sorted(
        (order.status, order.supplier.name, str(order.total), order.expected_date, order.received_date,
         tuple(order.lines.values_list("variant__sku", "quantity_ordered", "quantity_received", "unit_cost")))
        for order in PurchaseOrder.objects.all()
    )
    items = sorted(SupplierItem.objects.values_list("supplier__name", "variant__sku", "supplier_sku", "unit_cost",
                                                    "lead_time_days", "minimum_order_quantity", "preferred"))
    return levels, orders, purchase_orders, items


def test_seed_demo_is_deterministic():
    _seed("--products", "15")
    first = _snapshot()
    Receipt.objects.all().delete()  # with its lines, which hold on to the movements
    StockMovement.objects.all().delete()
    PurchaseOrder.objects.all().delete()
    ReorderRule.objects.all().delete()
    Supplier.objects.all().delete()  # with its items
    Reservation.objects.all().delete()
    StripeEvent.objects.all().delete()
    OrderPayment.objects.all().delete()
    SalesOrder.objects.all().delete()
    StockLevel.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()

    _seed("--products", "15")
    assert _snapshot() == first


def test_seed_demo_reuses_existing_locations(default_location, other_location):
    _seed("--products", "5")

    assert Location.objects.count() == 2
    assert StockLevel.objects.filter(location=default_location).count() == Variant.objects.count()


def test_seed_demo_refuses_a_non_positive_product_count():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _seed("--products", "0")
    assert Product.objects.count() == 0


def _sold(order) -> int:
    sales = StockMovement.objects.filter(sales_order=order, type=MovementType.SALE)
    return -(sales.aggregate(n=Sum("delta"))["n"] or 0)


def _restocked(order, type: str) -> int:
    return StockMovement.objects.filter(sales_order=order, type=type).aggregate(n=Sum("delta"))["n"] or 0


@pytest.mark.smoke
def test_seed_demo_creates_sales_orders_in_every_status():
    _seed("--products", "30")

    statuses = Counter(SalesOrder.objects.values_list("status", flat=True))
    assert set(statuses) == set(OrderStatus.values)
    assert all(count >= 2 for count in statuses.values()), statuses
    assert 20 <= SalesOrder.objects.count() <= 30
    assert ledger_verify() == []  # on_hand = movements, reserved = active reservation lines
    now = timezone.now()
    for order in SalesOrder.objects.prefetch_related("lines", "reservations"):
        quantity = sum(line.quantity for line in order.lines.all())
        active = [r for r in order.reservations.all() if r.status == ReservationStatus.ACTIVE]
        assert order.events.filter(to_status=order.status).exists(), order
        if order.status == OrderStatus.PENDING:
            assert _sold(order) == 0
            if order.source == OrderSource.CHECKOUT:
                # A checkout waiting for payment: its stock held until the checkout lapses.
                assert len(active) == 1 and active[0].expires_at > now
            else:
                assert not active
        elif order.status == OrderStatus.CONFIRMED:
            if order.is_paid:  # paid through Stripe: sold at once
                assert not active and _sold(order) == quantity
                assert order.stripe_events.filter(type="checkout.session.completed").exists()
            else:  # confirmed by staff: held until shipped
                assert len(active) == 1 and active[0].expires_at is None and _sold(order) == 0
        elif order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            assert not active and _sold(order) == quantity
        elif order.status == OrderStatus.CANCELLED:
            assert not active and _sold(order) == 0
        elif order.status == OrderStatus.REFUNDED:
            assert not active
            assert _sold(order) == _restocked(order, MovementType.REFUND) + _restocked(order, MovementType.RETURN)
        elif order.status == OrderStatus.NEEDS_ATTENTION:
            # Paid after its checkout lapsed and its units were sold to someone else.
            assert order.is_paid and order.attention and not active and _sold(order) == 0
            assert order.reservations.get().status == ReservationStatus.EXPIRED
    assert StockMovement.objects.filter(sales_order__isnull=False, type=MovementType.RETURN).exists()
    assert StockMovement.objects.filter(sales_order__isnull=False, type=MovementType.REFUND).exists()
    assert SalesOrder.objects.filter(status=OrderStatus.REFUNDED, stripe_events__type="charge.refunded").exists()
    assert not StripeEvent.objects.exclude(outcome="PROCESSED").exists()


@pytest.mark.smoke
def test_seed_demo_creates_suppliers_items_and_purchase_orders_in_every_status():
    output = _seed("--products", "30")

    assert set(Supplier.objects.values_list("name", flat=True)) == {s.name for s in SUPPLIERS}
    assert all(s.contact_name and s.email and s.phone and s.address and s.website for s in Supplier.objects.all())
    assert "6 suppliers, 20 purchase orders" in output
    items = list(SupplierItem.objects.select_related("variant__product"))
    supplied = {item.variant_id for item in items}
    assert len(supplied) >= 0.4 * Variant.objects.count()
    # One preferred supplier per supplied variant; some have a second source.
    assert Counter(item.variant_id for item in items if item.preferred) == Counter(supplied)
    assert len(items) > len(supplied)
    for item in items:
        assert 0 < item.unit_cost < item.variant.effective_cost
        assert 3 <= item.lead_time_days <= 21
        assert item.minimum_order_quantity in (1, 6, 12, 24)
        assert item.supplier_sku

    statuses = Counter(PurchaseOrder.objects.values_list("status", flat=True))
    assert set(statuses) == set(PurchaseOrderStatus.values)
    assert statuses[PurchaseOrderStatus.RECEIVED] >= 5
    today = timezone.localdate()
    received = list(PurchaseOrder.objects.filter(status=PurchaseOrderStatus.RECEIVED))
    assert all(order.expected_date and order.received_date and order.received_date < today for order in received)
    assert len({order.received_date for order in received}) >= 5  # spread over past weeks
    assert any(order.received_date > order.expected_date for order in received)  # some late
    assert any(order.received_date <= order.expected_date for order in received)
    assert len({order.supplier_id for order in received}) >= 5
    assert Receipt.objects.exclude(over_receipt_reason="").exists()
    for order in PurchaseOrder.objects.prefetch_related("lines"):
        assert order.total == order.subtotal + order.tax + order.shipping
        movements = StockMovement.objects.filter(purchase_order=order)
        received_units = sum(line.quantity_received for line in order.lines.all())
        assert sum(movements.values_list("delta", flat=True)) == received_units
        assert all(m.type == MovementType.RESTOCK and m.supplier_id == order.supplier_id for m in movements)
        if order.status in (PurchaseOrderStatus.PARTIALLY_RECEIVED, PurchaseOrderStatus.RECEIVED):
            assert received_units > 0
        if order.status == PurchaseOrderStatus.PARTIALLY_RECEIVED:
            assert any(line.quantity_outstanding for line in order.lines.all())
    assert PurchaseOrder.objects.filter(status=PurchaseOrderStatus.CANCELLED, lines__quantity_received__gt=0).exists()
    assert 3 <= ReorderRule.objects.count() <= 10
    assert ledger_verify() == []
    call_command("verify_ledger", stdout=StringIO())


def test_seed_demo_purchasing_section_second_run_creates_nothing():
    _seed("--products", "10")
    before = _counts()
    locations = {location.code: location for location in Location.objects.all()}

    timeline = Timeline(DemoClock(timezone.now()), end=timezone.now())
    result = purchasing_demo_seed(variant_ids=list(Variant.objects.values_list("pk", flat=True)), locations=locations,
                                  rng=random.Random(1), timeline=timeline)
    timeline.run()

    assert (result.suppliers, result.items, result.orders, result.rules) == (0, 0, 0, 0)
    assert _counts() == before
