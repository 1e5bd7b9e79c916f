"""The same request with the same idempotency key, sent by 8 threads at once: applied once."""
import threading

import pytest
from django.db import connection

from core.exceptions import StockMismatch
from inventory.models import StockLevel, StockMovement
from inventory.services import ledger_verify, stock_adjust, stock_transfer
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

THREADS = 8


@pytest.mark.parametrize("level_exists", [True, False], ids=["existing-level", "new-level"])
def test_stock_adjust_same_key_from_eight_threads_applies_once(stocked, variant, default_location, level_exists):
    start = 10 if level_exists else 0
    if level_exists:
        stocked(start, variant=variant)
    barrier = threading.Barrier(THREADS)

    def submit(index: int):
        barrier.wait()
        return stock_adjust(variant=variant, location=default_location, quantity=5, type="RESTOCK",
                            reason="PO-000001 line 1", idempotency_key="po-000001-1")

    run = run_threads(THREADS, submit)

    run.raise_errors()
    assert len({change.movement.pk for change in run.results.values()}) == 1
    assert sorted(change.replayed for change in run.results.values()) == [False] + [True] * (THREADS - 1)
    assert StockMovement.objects.filter(idempotency_key="po-000001-1").count() == 1
    level = StockLevel.objects.get(variant=variant, location=default_location)
    assert level.on_hand == start + 5
    assert level.movements.filter(type="RESTOCK").count() == (2 if level_exists else 1)
    assert ledger_verify() == []


def test_stock_adjust_same_key_on_different_levels_from_eight_threads_one_wins(stocked):
    levels = [stocked(10) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def submit(index: int):
        barrier.wait()
        return stock_adjust(variant=levels[index].variant, location=levels[index].location, quantity=-1, type="SALE",
                            reason="Order 1", idempotency_key="order-1")

    run = run_threads(THREADS, submit)

    assert not run.hung
    assert len(run.results) == 1
    assert len(run.errors) == THREADS - 1
    assert all(isinstance(error, StockMismatch) for _, error in run.errors), run.errors
    (winner,) = run.results
    on_hand = dict(StockLevel.objects.values_list("pk", "on_hand"))
    assert on_hand == {level.pk: 9 if i == winner else 10 for i, level in enumerate(levels)}
    assert StockMovement.objects.filter(idempotency_key="order-1").count() == 1
    assert ledger_verify() == []


def test_stock_transfer_same_key_from_eight_threads_applies_once(stocked, other_location):
    source = stocked(10)
    barrier = threading.Barrier(THREADS)

    def submit(index: int):
        barrier.wait()
        return stock_transfer(variant=source.variant, from_location=source.location, to_location=other_location,
                              quantity=4, reason="Fill the shop", idempotency_key="move-1")

    run = run_threads(THREADS, submit)

    run.raise_errors()
    assert len({(r.out_movement.pk, r.in_movement.pk) for r in run.results.values()}) == 1
    assert sorted(r.replayed for r in run.results.values()) == [False] + [True] * (THREADS - 1)
    assert dict(StockLevel.objects.values_list("location__code", "on_hand")) == {"main": 6, "store": 4}
    assert StockMovement.objects.filter(transfer_id__isnull=False).count() == 2
    assert ledger_verify() == []
