"""Purchase orders for supplier tests, made through the purchasing services."""
import uuid
from datetime import date

from purchasing.models import PurchaseOrder
from purchasing.services import (
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_transition,
)


def purchase_order_for(supplier, variant, *, quantity: int = 5, expected: date | None = None) -> PurchaseOrder:
    """A DRAFT purchase order of `quantity` units of `variant`."""
    return purchase_order_create(supplier=supplier, lines=[PurchaseLineRequest(variant=variant, quantity=quantity)],
                                 expected_date=expected)


def purchase_order_received(supplier, variant, *, ordered: date, expected: date | None, received: date,
                            quantity: int = 5) -> PurchaseOrder:
    """A purchase order taken through submit, confirm, ship and a full receipt (the default
    location must exist); then its dates are moved to the given days."""
    order = purchase_order_for(supplier, variant, quantity=quantity, expected=expected)
    for to in ("PENDING", "CONFIRMED", "SHIPPED"):
        order = purchase_order_transition(order=order, to=to)
    line = order.lines.get()
    result = purchase_order_receive(order=order, lines=[ReceiptLineRequest(line_id=line.pk, quantity=quantity)],
                                    idempotency_key=str(uuid.uuid4()))
    assert result.order.status == "RECEIVED"
    # Only the test moves dates into the past: the services stamp today.
    PurchaseOrder.objects.filter(pk=order.pk).update(order_date=ordered, expected_date=expected, received_date=received)
    order.refresh_from_db()
    return order
