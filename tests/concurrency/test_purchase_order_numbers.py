"""Purchase orders under concurrency: numbers from 20 threads at once, and one receipt
submitted by 8 threads at once."""
import threading

import pytest
from django.db import connection

from inventory.models import MovementType, StockLevel, StockMovement
from inventory.services import ledger_verify
from purchasing.models import PurchaseOrder, Receipt
from purchasing.models import PurchaseOrderStatus as S
from purchasing.services import PurchaseLineRequest, purchase_order_create, purchase_order_transition
from tests import factories
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads
from tests.purchasing.builders import order_create, receive

pytestmark = [
    pytest.mark.concurrency,
    # core holds the number sequence; the flush at the end empties it with the orders.
    pytest.mark.django_db(transaction=True, available_apps=[*CONCURRENCY_APPS, "purchasing", "core"]),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]


@pytest.mark.parametrize("existing", [0, 3], ids=["first-orders", "after-three"])
def test_purchase_order_create_twenty_threads_take_distinct_consecutive_numbers(existing):
    supplier = factories.SupplierFactory()
    variant = factories.VariantFactory()
    for _ in range(existing):
        order_create(supplier, (variant, 1))
    threads = 20
    barrier = threading.Barrier(threads)

    def create(index: int) -> str:
        barrier.wait()
        order = purchase_order_create(supplier=supplier,
                                      lines=[PurchaseLineRequest(variant=variant, quantity=index + 1)])
        return order.number

    run = run_threads(threads, create)

    run.raise_errors()
    numbers = sorted(run.results.values())
    assert numbers == [f"PO-{n:06d}" for n in range(existing + 1, existing + threads + 1)]
    assert PurchaseOrder.objects.count() == existing + threads
    # Each thread's number belongs to the order with its lines.
    for index, number in run.results.items():
        assert PurchaseOrder.objects.get(number=number).lines.get().quantity_ordered == index + 1


def test_purchase_order_receive_same_receipt_from_eight_threads_counts_once(default_location):
    supplier = factories.SupplierFactory()
    a, b = factories.VariantFactory(), factories.VariantFactory()
    order = order_create(supplier, (a, 10), (b, 4))
    for to in (S.PENDING, S.CONFIRMED, S.SHIPPED):
        order = purchase_order_transition(order=order, to=to)
    line_a, line_b = order.lines.order_by("pk")
    threads = 8
    barrier = threading.Barrier(threads)

    def submit(index: int):
        barrier.wait()
        return receive(order, {line_a.pk: 6, line_b.pk: 4}, key="delivery-note-4711")

    run = run_threads(threads, submit)

    run.raise_errors()
    assert len({result.receipt.pk for result in run.results.values()}) == 1
    assert sorted(result.replayed for result in run.results.values()) == [False] + [True] * (threads - 1)
    assert Receipt.objects.count() == 1
    on_hand = dict(StockLevel.objects.values_list("variant_id", "on_hand"))
    assert on_hand == {a.pk: 6, b.pk: 4}
    assert StockMovement.objects.filter(purchase_order=order, type=MovementType.RESTOCK).count() == 2
    assert list(order.lines.order_by("pk").values_list("quantity_received", flat=True)) == [6, 4]
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_RECEIVED
    assert ledger_verify() == []
