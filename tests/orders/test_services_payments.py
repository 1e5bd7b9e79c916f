"""Payments recorded by hand, and what payment means for the actions an order offers."""
from decimal import Decimal

import pytest

from core.exceptions import IllegalTransition, ValidationFailed
from inventory.models import MovementType, StockMovement
from orders.models import OrderPayment, OrderSource, OrderStatus, SalesOrder
from orders.services import (
    OrderLineRequest,
    sales_order_allowed_transitions,
    sales_order_create,
    sales_order_payment_record,
    sales_order_transition,
)

pytestmark = pytest.mark.django_db
S = OrderStatus


def _state(order):
    order.refresh_from_db()
    return order.amount_paid, order.paid_at, order.status, OrderPayment.objects.count(), order.events.count()


@pytest.mark.smoke
def test_sales_order_payment_record_part_then_in_full(make_order, manager_user):
    order = make_order(quantity=2)  # 2 × 19.99 = 39.98

    first = sales_order_payment_record(order=order, method="CASH", amount=Decimal("10"), user=manager_user)

    order.refresh_from_db()
    assert (first.method, first.amount, first.reference, first.recorded_by) == ("CASH", Decimal("10.00"), "", manager_user)
    assert order.amount_paid == Decimal("10.00")
    assert order.paid_at is None and not order.is_paid and order.has_payment
    assert order.amount_due == Decimal("29.98")
    event = order.events.order_by("-id").first()
    assert event.message == "Payment recorded (cash): part of the total is still due."
    assert event.user == manager_user

    sales_order_payment_record(order=order, method="BANK_TRANSFER", amount=Decimal("29.98"), reference=" TR-1234 ")

    order.refresh_from_db()
    assert order.amount_paid == Decimal("39.98") and order.is_paid and order.amount_due == 0
    assert order.status == S.PENDING  # a payment moves no status
    assert order.events.order_by("-id").first().message == (
        "Payment recorded (bank transfer, reference TR-1234): the order is paid in full."
    )
    assert list(order.payments.values_list("method", "amount", "reference")) == [
        ("CASH", Decimal("10.00"), ""), ("BANK_TRANSFER", Decimal("29.98"), "TR-1234"),
    ]
    assert not StockMovement.objects.filter(sales_order=order).exists()


def test_sales_order_payment_record_more_than_due_is_refused(make_order):
    order = make_order(quantity=1)  # 19.99
    sales_order_payment_record(order=order, method="CARD", amount=Decimal("15"))
    before = _state(order)

    with pytest.raises(ValidationFailed) as caught:
        sales_order_payment_record(order=order, method="CARD", amount=Decimal("5.00"))

    assert caught.value.field == "amount"
    assert caught.value.message == "The amount is more than what is still due (4.99 USD)."
    assert _state(order) == before


@pytest.mark.parametrize(("method", "amount", "reference", "field"), [
    ("CHEQUE", Decimal("1"), "", "method"),
    ("card", Decimal("1"), "", "method"),
    ("CARD", Decimal("0"), "", "amount"),
    ("CARD", Decimal("-5"), "", "amount"),
    ("CARD", Decimal("1.005"), "", "amount"),
    ("CARD", Decimal("NaN"), "", "amount"),
    ("CARD", Decimal("Infinity"), "", "amount"),
    ("CARD", "abc", "", "amount"),
    ("CARD", 2.5, "", "amount"),
    ("CARD", True, "", "amount"),
    ("CARD", Decimal("1"), "x" * 101, "reference"),
])
def test_sales_order_payment_record_bad_input_names_the_field(make_order, method, amount, reference, field):
    order = make_order()
    before = _state(order)

    with pytest.raises(ValidationFailed) as caught:
        sales_order_payment_record(order=order, method=method, amount=amount, reference=reference)

    assert caught.value.field == field
    assert _state(order) == before


@pytest.mark.parametrize("status", [S.CANCELLED])
def test_sales_order_payment_record_refused_on_a_closed_order(make_order, status):
    order = make_order(status=status)
    before = _state(order)
    with pytest.raises(IllegalTransition) as caught:
        sales_order_payment_record(order=order, method="CASH", amount=Decimal("1"))
    assert "takes no more payments" in caught.value.message
    assert _state(order) == before


def test_sales_order_payment_record_refused_when_paid_in_full(make_order):
    order = make_order(paid=True)
    before = _state(order)
    with pytest.raises(IllegalTransition) as caught:
        sales_order_payment_record(order=order, method="CASH", amount=Decimal("1"))
    assert "paid in full" in caught.value.message
    assert _state(order) == before


def test_sales_order_payment_record_refused_on_a_checkout_order(stocked):
    order = sales_order_create(lines=[OrderLineRequest(variant=stocked(5).variant, quantity=1)],
                               source=OrderSource.CHECKOUT)
    with pytest.raises(IllegalTransition) as caught:
        sales_order_payment_record(order=order, method="CARD", amount=Decimal("1"))
    assert "Stripe" in caught.value.message
    assert OrderPayment.objects.count() == 0


@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED, S.SHIPPED, S.DELIVERED])
def test_sales_order_payment_record_in_every_open_status(make_order, status):
    order = make_order(status=status)
    sales_order_payment_record(order=order, method="OTHER", amount=order.total)
    order.refresh_from_db()
    assert order.is_paid and order.status == status


# --- what payment allows ------------------------------------------------------

@pytest.mark.parametrize(("status", "unpaid", "paid"), [
    (S.PENDING, ["CONFIRMED", "CANCELLED"], ["CONFIRMED", "REFUNDED"]),
    (S.CONFIRMED, ["SHIPPED", "CANCELLED"], ["SHIPPED", "REFUNDED"]),
    (S.SHIPPED, ["DELIVERED"], ["DELIVERED", "REFUNDED"]),
    (S.DELIVERED, [], ["REFUNDED"]),
])
def test_sales_order_allowed_transitions_follow_payment(make_order, status, unpaid, paid):
    order = make_order(status=status)
    assert sales_order_allowed_transitions(order) == unpaid
    sales_order_payment_record(order=order, method="CASH", amount=Decimal("0.01"))  # even in part
    order.refresh_from_db()
    assert sales_order_allowed_transitions(order) == paid


def test_sales_order_transition_refund_of_an_unpaid_order_is_refused(make_order):
    order = make_order(status=S.CONFIRMED)

    with pytest.raises(IllegalTransition) as caught:
        sales_order_transition(order=order, to=S.REFUNDED)

    assert caught.value.message == f"Nothing was paid for order {order.number}, so there is nothing to refund: cancel it instead."
    assert caught.value.details["allowed"] == ["SHIPPED", "CANCELLED"]
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.status == S.CONFIRMED and order.level.reserved == 2


def test_sales_order_transition_cancel_of_a_part_paid_order_is_refused(make_order):
    order = make_order(status=S.CONFIRMED)
    sales_order_payment_record(order=order, method="CASH", amount=Decimal("5"))

    with pytest.raises(IllegalTransition) as caught:
        sales_order_transition(order=order, to=S.CANCELLED)

    assert "paid in part: refund it instead" in caught.value.message
    assert SalesOrder.objects.get(pk=order.pk).status == S.CONFIRMED


def test_sales_order_transition_refund_of_a_part_paid_pending_order(make_order):
    order = make_order()
    sales_order_payment_record(order=order, method="CARD", amount=Decimal("5"))

    sales_order_transition(order=order, to=S.REFUNDED)

    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (S.REFUNDED, Decimal("5.00"))
    assert not StockMovement.objects.filter(sales_order=order, type=MovementType.REFUND).exists()
