"""Payments recorded by hand, for orders taken on the phone or at the counter.

Each payment is a row of its own (method, reference, amount, who) and an event on the order's
timeline, written with the order locked: two clerks recording the last payment at once queue,
and the second is told what is still due. `amount_paid` grows with each payment; `paid_at`
marks the moment the payments reached the total (the order is then paid in full). Checkout
orders are paid through Stripe and take no payment here.
"""
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import IllegalTransition, ValidationFailed
from orders.models import OrderPayment, OrderSource, OrderStatus, PaymentMethod, SalesOrder
from orders.services.orders import _lock_order, order_event_add

S = OrderStatus

# An order takes payments until it is closed (cancelled or refunded).
PAYABLE_STATUSES = (S.PENDING, S.CONFIRMED, S.SHIPPED, S.DELIVERED)
MAX_REFERENCE = 100
MAX_AMOUNT = Decimal("1000000000000")  # the column holds 12 digits before the point


def _clean_amount(amount) -> Decimal:
    if isinstance(amount, str):
        try:
            amount = Decimal(amount.strip())
        except InvalidOperation:
            raise ValidationFailed("Enter the amount as a number, e.g. 12.50.", field="amount") from None
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int) or not Decimal(amount).is_finite():
        raise ValidationFailed("Enter the amount as a number, e.g. 12.50.", field="amount")
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationFailed("The amount must be more than zero.", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("The amount can have at most two decimal places.", field="amount")
    if amount >= MAX_AMOUNT:
        raise ValidationFailed("The amount is too large.", field="amount")
    return amount.quantize(Decimal("0.01"))


def order_paid_at_sync(order: SalesOrder) -> None:
    """Keep `paid_at` on a locked manual order in step with its payments: set when they reach
    the total, cleared when the total grows past them (Stripe's own payments are left alone)."""
    if order.source == OrderSource.CHECKOUT:
        return
    in_full = order.amount_paid > 0 and order.amount_paid >= order.total
    if in_full and order.paid_at is None:
        order.paid_at = timezone.now()
    elif not in_full and order.paid_at is not None:
        order.paid_at = None
    else:
        return
    order.save(update_fields=["paid_at", "updated_at"])


def sales_order_payment_record(
    *,
    order: SalesOrder,
    method: str,
    amount,
    reference: str = "",
    user=None,
) -> OrderPayment:
    """Record money received for an order: at most what is still due (total − paid so far).

    Refused (IllegalTransition, 409) for a checkout order, a closed order and one paid in
    full; a bad method, reference or amount is a ValidationFailed naming the field.
    """
    if method not in PaymentMethod.values:
        choices = ", ".join(PaymentMethod.values)
        raise ValidationFailed(f"Unknown payment method {method!r}: use one of {choices}.", field="method")
    reference = (reference or "").strip()
    if len(reference) > MAX_REFERENCE:
        raise ValidationFailed(f"The reference must be at most {MAX_REFERENCE} characters.", field="reference")
    amount = _clean_amount(amount)
    with transaction.atomic():
        order = _lock_order(order)
        if order.source == OrderSource.CHECKOUT:
            raise IllegalTransition(f"Order {order.number} is paid through Stripe checkout: "
                                    "its payments are recorded from Stripe.", details={"status": order.status})
        if order.status not in PAYABLE_STATUSES:
            raise IllegalTransition(f"Order {order.number} is {order.get_status_display().lower()}: "
                                    "it takes no more payments.", details={"status": order.status})
        due = order.total - order.amount_paid
        if due <= 0:
            raise IllegalTransition(f"Order {order.number} is paid in full: nothing is due.",
                                    details={"status": order.status, "due": "0.00"})
        if amount > due:
            raise ValidationFailed(f"The amount is more than what is still due ({due} {order.currency}).",
                                   field="amount", details={"due": str(due)})
        payment = OrderPayment.objects.create(
            order=order, method=method, reference=reference, amount=amount,
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        SalesOrder.objects.filter(pk=order.pk).update(amount_paid=F("amount_paid") + amount)
        order.refresh_from_db(fields=["amount_paid"])
        order_paid_at_sync(order)
        # No amounts on the timeline: every role reads it, and Staff do not see money.
        ref = f", reference {reference}" if reference else ""
        state = "the order is paid in full" if order.is_paid else "part of the total is still due"
        order_event_add(order=order, message=f"Payment recorded ({payment.get_method_display().lower()}{ref}): {state}.",
                        user=user)
    return payment
