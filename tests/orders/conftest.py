import pytest

from orders.models import OrderStatus
from orders.services import OrderLineRequest, sales_order_create, sales_order_payment_record, sales_order_transition

# The transitions that take a new order to each status.
PATHS = {
    OrderStatus.PENDING: [],
    OrderStatus.CONFIRMED: [OrderStatus.CONFIRMED],
    OrderStatus.SHIPPED: [OrderStatus.CONFIRMED, OrderStatus.SHIPPED],
    OrderStatus.DELIVERED: [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
}


@pytest.fixture
def make_order(db, stocked):
    """Make a manual order of `quantity` units of a variant stocked with `on_hand`, moved to `status`
    through the order services (`paid`: a card payment of the total recorded first). The order's
    stock level is on `order.level`."""

    def make(*, quantity: int = 2, on_hand: int = 10, status: str = OrderStatus.PENDING, variant=None,
             customer_name: str = "Acme Ltd", customer_email: str = "buyer@acme.test", paid: bool = False):
        level = stocked(on_hand, variant=variant)
        order = sales_order_create(
            lines=[OrderLineRequest(variant=level.variant, quantity=quantity)],
            customer_name=customer_name,
            customer_email=customer_email,
        )
        if paid:
            sales_order_payment_record(order=order, method="CARD", amount=order.total, reference="test")
        for to in PATHS[status]:
            order = sales_order_transition(order=order, to=to)
        order.refresh_from_db()
        level.refresh_from_db()
        order.level = level
        return order

    return make
