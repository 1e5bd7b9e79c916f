from decimal import Decimal

import pytest

from core.exceptions import IllegalTransition, InsufficientStock, ValidationFailed
from inventory.models import MovementType, Reservation, ReservationStatus, StockMovement
from inventory.services import ledger_verify
from orders.models import OrderStatus, SalesOrder
from orders.services import (
    OrderLineRequest,
    sales_order_create,
    sales_order_payment_record,
    sales_order_refund_lines,
    sales_order_return_receive,
    sales_order_transition,
)
from orders.services.orders import order_confirmation_email_send
from tests import factories

pytestmark = pytest.mark.django_db


def _order(*pairs, **kwargs):
    return sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=q) for level, q in pairs], **kwargs)


def _stock(level):
    level.refresh_from_db()
    return level.on_hand, level.reserved


def _moves(order, type):
    return sorted(StockMovement.objects.filter(sales_order=order, type=type).values_list("delta", flat=True))


@pytest.mark.smoke
def test_sales_order_create_numbers_prices_and_total(stocked):
    a, b = stocked(10), stocked(10)
    a.variant.price = Decimal("2.50")
    a.variant.save()
    first = sales_order_create(
        lines=[OrderLineRequest(variant=a.variant, quantity=2),
               OrderLineRequest(variant=b.variant, quantity=1, unit_price=Decimal("4"))],
        customer_name="Acme Ltd", customer_email="buyer@acme.test",
    )
    second = _order((a, 1))

    assert first.number == "SO-000001" and second.number == "SO-000002"
    assert first.status == OrderStatus.PENDING
    assert first.total == Decimal("9.00")
    assert [line.unit_price for line in first.lines.all()] == [Decimal("2.50"), Decimal("4.00")]
    assert list(first.events.values_list("to_status", flat=True)) == ["PENDING"]
    assert _stock(a) == (10, 0)


@pytest.mark.parametrize("quantity", [0, -2, "3", True])
def test_sales_order_create_refuses_bad_quantity(stocked, quantity):
    level = stocked(5)
    with pytest.raises(ValidationFailed) as caught:
        sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=quantity)])
    assert level.variant.sku in caught.value.message
    assert SalesOrder.objects.count() == 0


def test_sales_order_create_refuses_bad_input(stocked):
    level = stocked(5)
    with pytest.raises(ValidationFailed) as caught:
        sales_order_create(lines=[])
    assert caught.value.field == "lines"
    with pytest.raises(ValidationFailed) as caught:
        _order((level, 1), customer_email="not-an-email")
    assert caught.value.field == "customer_email"
    with pytest.raises(ValidationFailed):
        sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1, unit_price=Decimal("-1"))])
    retired = factories.VariantFactory(active=False)
    with pytest.raises(ValidationFailed):
        sales_order_create(lines=[OrderLineRequest(variant=retired, quantity=1)])
    assert SalesOrder.objects.count() == 0


@pytest.mark.smoke
def test_sales_order_full_life_moves_stock(stocked):
    level = stocked(10)
    order = _order((level, 3))

    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)
    assert _stock(level) == (10, 3)
    sales_order_transition(order=order, to=OrderStatus.SHIPPED)
    assert _stock(level) == (7, 0)
    assert _moves(order, MovementType.SALE) == [-3]
    sales_order_transition(order=order, to=OrderStatus.DELIVERED)

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert list(order.events.values_list("to_status", flat=True)) == ["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED"]
    assert ledger_verify() == []


def test_sales_order_confirm_short_is_refused_with_lines(stocked):
    level = stocked(2)
    order = _order((level, 3))
    with pytest.raises(InsufficientStock) as caught:
        sales_order_transition(order=order, to=OrderStatus.CONFIRMED)
    assert caught.value.details["lines"][0]["available"] == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert _stock(level) == (2, 0)


def test_sales_order_cancel_releases(stocked):
    level = stocked(10)
    order = _order((level, 4))
    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)
    sales_order_transition(order=order, to=OrderStatus.CANCELLED)
    assert _stock(level) == (10, 0)
    assert Reservation.objects.get(sales_order=order).status == ReservationStatus.RELEASED
    assert ledger_verify() == []


@pytest.mark.parametrize(
    "path, to",
    [
        ([], OrderStatus.SHIPPED),
        ([], OrderStatus.DELIVERED),
        ([OrderStatus.CONFIRMED, OrderStatus.SHIPPED], OrderStatus.CANCELLED),
        ([OrderStatus.CANCELLED], OrderStatus.CONFIRMED),
        ([OrderStatus.CONFIRMED], OrderStatus.PENDING),
    ],
)
def test_sales_order_transition_refuses_illegal_moves(stocked, path, to):
    level = stocked(10)
    order = _order((level, 1))
    for step in path:
        sales_order_transition(order=order, to=step)
    before = _stock(level)
    with pytest.raises(IllegalTransition) as caught:
        sales_order_transition(order=order, to=to)
    assert order.number in caught.value.message
    assert "Allowed next" in caught.value.message
    assert _stock(level) == before


def test_sales_order_transition_unknown_status(stocked):
    order = _order((stocked(3), 1))
    with pytest.raises(ValidationFailed) as caught:
        sales_order_transition(order=order, to="LOST")
    assert caught.value.field == "to"


def test_sales_order_refund_of_shipped_order_restocks_only_returns(stocked):
    level = stocked(10)
    order = _order((level, 4))
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        sales_order_transition(order=order, to=step)
    line = order.lines.get()

    sales_order_return_receive(order=order, quantities={line.pk: 3})
    assert _stock(level) == (9, 0)
    assert _moves(order, MovementType.RETURN) == [3]
    sales_order_payment_record(order=order, method="BANK_TRANSFER", amount=order.total)
    sales_order_transition(order=order, to=OrderStatus.REFUNDED)
    assert _stock(level) == (9, 0)
    with pytest.raises(ValidationFailed):
        sales_order_return_receive(order=order, quantities={line.pk: 2})
    sales_order_return_receive(order=order, quantities={line.pk: 1})
    assert _stock(level) == (10, 0)
    assert ledger_verify() == []


def test_sales_order_return_refused_before_shipping(stocked):
    level = stocked(10)
    order = _order((level, 2))
    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)
    with pytest.raises(IllegalTransition):
        sales_order_return_receive(order=order, quantities={order.lines.get().pk: 1})


def test_sales_order_refund_of_confirmed_manual_order_releases(stocked):
    level = stocked(10)
    order = _order((level, 2))
    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)
    sales_order_payment_record(order=order, method="CASH", amount=Decimal("10.00"))
    sales_order_transition(order=order, to=OrderStatus.REFUNDED)
    assert _stock(level) == (10, 0)
    assert _moves(order, MovementType.REFUND) == []
    order.refresh_from_db()
    assert (order.amount_paid, order.amount_refunded) == (Decimal("10.00"), Decimal("10.00"))


def test_sales_order_refund_lines_restocks_chosen_unshipped_units(stocked):
    from orders.services.orders import order_commit_stock, order_reserve

    level = stocked(10)
    order = _order((level, 5))
    order_reserve(order, expires=True)
    order_commit_stock(order)  # paid through checkout: sold, not shipped
    SalesOrder.objects.filter(pk=order.pk).update(status=OrderStatus.CONFIRMED, attention="Partial refund")
    line = order.lines.get()

    sales_order_refund_lines(order=order, quantities={line.pk: 2})
    order.refresh_from_db()
    assert order.attention == ""
    assert _stock(level) == (7, 0)
    assert _moves(order, MovementType.REFUND) == [2]
    with pytest.raises(ValidationFailed):
        sales_order_refund_lines(order=order, quantities={line.pk: 4})
    assert ledger_verify() == []


def test_order_confirmation_email_sent_once(stocked, mailoutbox):
    order = _order((stocked(5), 1), customer_email="buyer@example.com")
    assert order_confirmation_email_send(order=order)
    assert not order_confirmation_email_send(order=order)
    assert len(mailoutbox) == 1
    assert order.number in mailoutbox[0].subject


def test_sales_order_confirm_by_hand_keeps_a_checkout_hold_until_shipped(stocked):
    from datetime import timedelta

    from django.utils import timezone

    from inventory.services import reservations_expire_due
    from orders.services.orders import order_reserve

    level = stocked(10)
    order = _order((level, 2))
    order_reserve(order, expires=True, ttl=timedelta(minutes=31))
    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)

    assert Reservation.objects.get(sales_order=order).expires_at is None
    assert reservations_expire_due(now=timezone.now() + timedelta(hours=1)) == 0
    sales_order_transition(order=order, to=OrderStatus.SHIPPED)
    assert _stock(level) == (8, 0)


def test_sales_order_allowed_transitions_hide_cancel_once_paid(stocked):
    from orders.services import sales_order_allowed_transitions

    order = _order((stocked(5), 1))
    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)
    order.refresh_from_db()
    assert sales_order_allowed_transitions(order) == ["SHIPPED", "CANCELLED"]  # nothing paid: no refund
    SalesOrder.objects.filter(pk=order.pk).update(paid_at="2026-01-01T00:00:00Z")
    order.refresh_from_db()
    assert sales_order_allowed_transitions(order) == ["SHIPPED", "REFUNDED"]
