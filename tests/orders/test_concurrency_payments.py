"""Payments recorded by hand from many threads at once: the order's lock makes the checks
(what is still due) and the increments of amount_paid one at a time, so nothing is overpaid."""
import threading
from decimal import Decimal

import pytest
from django.db import connection

from core.exceptions import ValidationFailed
from orders.models import OrderPayment, SalesOrder
from orders.services import OrderLineRequest, sales_order_create, sales_order_payment_record
from tests import factories
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=[*CONCURRENCY_APPS, "orders", "core"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]


def test_sales_order_payment_record_eight_threads_never_overpay(default_location):
    variant = factories.VariantFactory()
    order = sales_order_create(lines=[OrderLineRequest(variant=variant, quantity=2)])  # 39.98
    threads = 8
    barrier = threading.Barrier(threads)

    def pay(index: int) -> str:
        barrier.wait()
        try:
            sales_order_payment_record(order=SalesOrder.objects.get(pk=order.pk), method="CASH",
                                       amount=Decimal("10.00"), reference=f"till {index}")
        except ValidationFailed as refused:
            return refused.message
        return "paid"

    run = run_threads(threads, pay)

    run.raise_errors()
    outcomes = sorted(run.results.values())
    assert outcomes.count("paid") == 3
    assert set(outcomes) - {"paid"} == {"The amount is more than what is still due (9.98 USD)."}
    order.refresh_from_db()
    assert order.amount_paid == Decimal("30.00") and not order.is_paid
    assert OrderPayment.objects.filter(order=order).count() == 3
    assert order.events.filter(message__startswith="Payment recorded").count() == 3
