"""16 threads selling one unit at a time from one level: exactly the stock is sold, never more."""
import pytest
from django.db import connection

from core.exceptions import InsufficientStock
from inventory.models import StockMovement
from inventory.services import ledger_verify, stock_adjust
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

THREADS = 16
STOCK = 500


def test_stock_adjust_sixteen_threads_sell_exactly_the_stock(stocked):
    level = stocked(STOCK)
    variant, location = level.variant, level.location

    def sell_until_refused(index: int) -> tuple[int, InsufficientStock]:
        sold = 0
        while True:
            try:
                stock_adjust(variant=variant, location=location, quantity=-1, type="SALE", reason=f"Till {index}")
            except InsufficientStock as refusal:
                return sold, refusal
            sold += 1

    run = run_threads(THREADS, sell_until_refused)

    run.raise_errors()
    assert len(run.results) == THREADS
    assert sum(sold for sold, _ in run.results.values()) == STOCK
    for _, refusal in run.results.values():
        assert (refusal.details["requested"], refusal.details["available"]) == (1, 0)
    level.refresh_from_db()
    assert level.on_hand == 0
    sales = StockMovement.objects.filter(level=level, type="SALE")
    assert sales.count() == STOCK
    # Every unit was sold exactly once: each sale started from a different on_hand.
    assert sorted(sales.values_list("quantity_before", flat=True)) == list(range(1, STOCK + 1))
    assert ledger_verify() == []
