"""The demo's past: 90 days of history whose timelines read consistently."""
from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import AuditEntry
from inventory.models import Product, Reservation, ReservationStatus, StockMovement, Variant
from inventory.services import ledger_verify
from orders.models import OrderEvent, OrderPayment, SalesOrder, StripeEvent
from purchasing.models import PurchaseOrder, PurchaseOrderEvent, PurchaseOrderStatus, Receipt, ReorderRule
from suppliers.models import Supplier, SupplierItem

pytestmark = pytest.mark.django_db

S = PurchaseOrderStatus


@pytest.fixture
def seeded():
    """Seed a small demo shop; answer the moments just before and just after it was loaded."""
    before = timezone.now()
    call_command("seed_demo", "--products", "25", stdout=StringIO())
    return before, timezone.now()


def _stamps() -> dict[str, list]:
    """Every timestamp the demo writes, by model and field."""
    fields = {
        StockMovement: ["created_at"],
        Product: ["created_at", "updated_at"],
        Variant: ["created_at", "updated_at"],
        SalesOrder: ["created_at", "updated_at", "paid_at"],
        OrderEvent: ["created_at"],
        OrderPayment: ["created_at"],
        StripeEvent: ["received_at", "processed_at"],
        Reservation: ["created_at", "updated_at", "closed_at"],
        PurchaseOrder: ["created_at", "updated_at", "submitted_at", "confirmed_at", "shipped_at", "cancelled_at"],
        PurchaseOrderEvent: ["created_at"],
        Receipt: ["created_at"],
        Supplier: ["created_at"],
        SupplierItem: ["created_at"],
        ReorderRule: ["created_at"],
        AuditEntry: ["created_at"],
    }
    stamps = {}
    for model, names in fields.items():
        for name in names:
            stamps[f"{model.__name__}.{name}"] = [v for v in model.objects.values_list(name, flat=True) if v is not None]
    return stamps


def test_seed_demo_spreads_90_days_of_history_none_in_the_future(seeded):
    before, after = seeded

    stamps = _stamps()

    oldest = before - timedelta(days=90)
    for name, values in stamps.items():
        assert values, name
        assert all(oldest <= value <= after for value in values), (name, min(values), max(values))
    movement_days = {timezone.localdate(value) for value in stamps["StockMovement.created_at"]}
    assert (max(movement_days) - min(movement_days)).days >= 80
    assert len(movement_days) >= 40  # spread over the weeks, not loaded in a minute
    assert min(stamps["Product.created_at"]) < before - timedelta(days=85)
    order_days = {timezone.localdate(value) for value in stamps["SalesOrder.created_at"]}
    assert len(order_days) >= 10
    # Dates follow their timestamps: a PO's order date is the day it was submitted.
    for order in PurchaseOrder.objects.exclude(submitted_at=None):
        assert order.order_date == timezone.localdate(order.submitted_at), order
    # Only a hold's expiry may lie ahead: the checkouts still waiting for payment.
    for reservation in Reservation.objects.filter(expires_at__gt=after):
        assert reservation.status == ReservationStatus.ACTIVE
        assert reservation.created_at > before - timedelta(hours=1)
    assert ledger_verify() == []


def test_seed_demo_ledger_reads_the_same_by_time_and_by_id(seeded):
    levels = defaultdict(list)
    for movement in StockMovement.objects.order_by("created_at", "id"):
        levels[movement.level_id].append(movement)

    for movements in levels.values():
        assert movements[0].quantity_before == 0
        assert movements[0].reason == "Opening stock" or movements[0].type == "TRANSFER_IN"
        for previous, movement in zip(movements, movements[1:]):
            assert movement.quantity_before == previous.quantity_after, (previous, movement)
            assert movement.pk > previous.pk
    # Every variant's opening stock comes first, on the morning the catalogue was entered.
    opening = StockMovement.objects.filter(reason="Opening stock")
    assert opening.count() == Variant.objects.count()
    last_opening = max(opening.values_list("created_at", flat=True))
    assert not StockMovement.objects.exclude(reason="Opening stock").filter(created_at__lt=last_opening).exists()
    assert ledger_verify() == []


def test_seed_demo_sales_orders_have_their_events_in_order(seeded):
    for order in SalesOrder.objects.prefetch_related("events", "reservations", "stock_movements", "payments"):
        events = sorted(order.events.all(), key=lambda event: event.pk)
        assert events, order
        assert events[0].created_at >= order.created_at
        assert [event.created_at for event in events] == sorted(event.created_at for event in events), order
        changes = [event for event in events if event.to_status]
        for previous, event in zip(changes, changes[1:]):
            assert event.from_status == previous.to_status, (order, previous.message, event.message)
        assert changes[-1].to_status == order.status, order
        for reservation in order.reservations.all():
            assert reservation.created_at >= order.created_at
            assert reservation.closed_at is None or reservation.closed_at >= reservation.created_at
        for payment in order.payments.all():
            assert payment.created_at >= order.created_at
        event_times = {event.created_at for event in events}
        for movement in order.stock_movements.all():
            # Each movement was written with the order step that caused it.
            assert movement.created_at >= order.created_at
            assert movement.created_at in event_times, (order, movement)
        if order.paid_at:
            assert order.paid_at >= order.created_at


def test_seed_demo_purchase_orders_have_consistent_timelines(seeded):
    before, _ = seeded
    assert PurchaseOrder.objects.filter(status=S.RECEIVED).count() >= 5
    for order in PurchaseOrder.objects.prefetch_related("events", "receipts__lines__movement"):
        events = sorted(order.events.all(), key=lambda event: event.pk)
        assert [event.created_at for event in events] == sorted(event.created_at for event in events), order
        steps = [order.created_at, order.submitted_at, order.confirmed_at, order.shipped_at]
        present = [step for step in steps if step is not None]
        assert present == sorted(present), order  # created <= submitted <= confirmed <= shipped
        receipts = sorted(order.receipts.all(), key=lambda receipt: receipt.pk)
        times = [receipt.created_at for receipt in receipts]
        assert times == sorted(times)
        for receipt in receipts:
            assert receipt.created_at >= (order.shipped_at or order.confirmed_at), order
            for line in receipt.lines.all():
                assert line.movement.created_at == receipt.created_at
                assert line.movement.purchase_order_id == order.pk
        if order.status == S.RECEIVED:
            assert order.received_date == timezone.localdate(times[-1])
            assert order.received_date < timezone.localdate(before)
        if order.status == S.CANCELLED:
            assert order.received_date is None
            assert all(time <= order.cancelled_at for time in times), order
            assert events[-1].to_status == S.CANCELLED
        elif order.cancelled_at is not None:
            pytest.fail(f"{order} has a cancellation time but is {order.status}")
    late = PurchaseOrder.objects.filter(status=S.RECEIVED).values_list("received_date", "expected_date")
    assert any(received > expected for received, expected in late)
    assert any(received <= expected for received, expected in late)
