"""Orders put sold units back through the ledger: a refund of unshipped units and a received
return lock the level (FOR UPDATE, primary-key order) before changing it."""
import pytest
from django.db import connection

from inventory.models import MovementType, StockMovement
from orders.models import OrderStatus
from orders.services import sales_order_payment_record, sales_order_return_receive, sales_order_transition
from orders.services.orders import order_commit_stock
from tests.inventory.test_locking_sql_services import _sql_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no SELECT ... FOR UPDATE"),
]


def test_order_refund_restocks_under_locks(make_order):
    order = make_order(quantity=3, status=OrderStatus.CONFIRMED)
    order_commit_stock(order)  # paid: the units are sold, not yet shipped
    sales_order_payment_record(order=order, method="CARD", amount=order.total)
    locks, updated = _sql_of(lambda: sales_order_transition(order=order, to=OrderStatus.REFUNDED))
    assert updated == [order.level.pk]
    assert StockMovement.objects.get(sales_order=order, type=MovementType.REFUND).delta == 3


def test_order_return_restocks_under_locks(make_order):
    order = make_order(quantity=3, status=OrderStatus.SHIPPED)
    line = order.lines.get()
    locks, updated = _sql_of(lambda: sales_order_return_receive(order=order, quantities={line.pk: 2}))
    assert updated == [order.level.pk]
    order.level.refresh_from_db()
    assert order.level.on_hand == 9
