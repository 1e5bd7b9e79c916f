"""Purchase orders in any status, built only through the purchasing services."""
from decimal import Decimal

from purchasing.models import PurchaseOrderStatus as S
from purchasing.services import (
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_transition,
)
from tests import factories

# The path an order takes to reach each status (after it is created as a DRAFT).
PATHS = {
    S.DRAFT: [],
    S.PENDING: [S.PENDING],
    S.CONFIRMED: [S.PENDING, S.CONFIRMED],
    S.SHIPPED: [S.PENDING, S.CONFIRMED, S.SHIPPED],
    S.PARTIALLY_RECEIVED: [S.PENDING, S.CONFIRMED, S.SHIPPED],
    S.RECEIVED: [S.PENDING, S.CONFIRMED, S.SHIPPED],
    S.CANCELLED: [S.CANCELLED],
}


def supplier_item(*, cost: str = "4.00", **kwargs):
    """A supplier selling one new variant (catalogue cost 8.50) at `cost`."""
    return factories.SupplierItemFactory(unit_cost=Decimal(cost), **kwargs)


def order_create(supplier, *pairs, **kwargs):
    """A DRAFT (or PENDING with submit=True) for (variant, quantity[, unit cost]) pairs."""
    lines = [PurchaseLineRequest(variant=pair[0], quantity=pair[1], unit_cost=pair[2] if len(pair) > 2 else None)
             for pair in pairs]
    return purchase_order_create(supplier=supplier, lines=lines, **kwargs)


def receive(order, quantities: dict, *, key: str, location=None, **kwargs):
    """Receive {line id: quantity} at `location` (the default location when None)."""
    lines = [ReceiptLineRequest(line_id=line_id, quantity=quantity, location=location)
             for line_id, quantity in quantities.items()]
    return purchase_order_receive(order=order, lines=lines, idempotency_key=key, **kwargs)


def order_in_status(status: str, *, supplier=None, variants=None, quantity: int = 4, user=None):
    """An order of `quantity` units of each variant (a new one when none are given), taken to
    `status` by the services: PARTIALLY_RECEIVED has received 1 of each line, RECEIVED all.
    Receiving needs a default location."""
    supplier = supplier or factories.SupplierFactory()
    variants = variants or [factories.VariantFactory()]
    order = order_create(supplier, *[(variant, quantity) for variant in variants], user=user)
    for to in PATHS[status]:
        order = purchase_order_transition(order=order, to=to, user=user)
    if status == S.PARTIALLY_RECEIVED:
        order = receive(order, {line.pk: 1 for line in order.lines.all()}, key=f"build-{order.number}-part").order
    elif status == S.RECEIVED:
        order = receive(order, {line.pk: line.quantity_ordered for line in order.lines.all()},
                        key=f"build-{order.number}-all").order
    assert order.status == status
    return order
