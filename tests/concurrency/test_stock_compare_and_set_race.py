"""Compare-and-set under a race: 8 people count the same shelf expecting the same quantity;
exactly one count lands and the others are told what the shelf holds now."""
import threading

import pytest
from django.db import connection

from core.exceptions import StockMismatch
from inventory.services import ledger_verify, stock_adjust, stock_count
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

THREADS = 8
START = 50


def test_stock_count_expected_on_hand_from_eight_threads_one_wins(stocked):
    level = stocked(START)
    barrier = threading.Barrier(THREADS)

    def count(index: int):
        barrier.wait()
        return stock_count(variant=level.variant, location=level.location, counted=100 + index,
                           reason=f"Count by {index}", expected_on_hand=START)

    run = run_threads(THREADS, count)

    assert not run.hung
    assert len(run.results) == 1, run.errors
    ((winner, change),) = run.results.items()
    assert change.movement.quantity_after == 100 + winner
    assert len(run.errors) == THREADS - 1
    for _, error in run.errors:
        assert isinstance(error, StockMismatch), error
        assert error.details["current_on_hand"] == 100 + winner
        assert error.details["expected_on_hand"] == START
    level.refresh_from_db()
    assert level.on_hand == 100 + winner
    assert level.movements.filter(type="COUNT").count() == 1
    assert ledger_verify() == []


def test_stock_adjust_expected_on_hand_from_eight_threads_one_wins(stocked):
    level = stocked(START)
    barrier = threading.Barrier(THREADS)

    def adjust(index: int):
        barrier.wait()
        return stock_adjust(variant=level.variant, location=level.location, quantity=-(index + 1), type="DAMAGE",
                            reason=f"Broken, seen by {index}", expected_on_hand=START)

    run = run_threads(THREADS, adjust)

    assert not run.hung
    assert len(run.results) == 1, run.errors
    (winner,) = run.results
    assert all(isinstance(error, StockMismatch) for _, error in run.errors) and len(run.errors) == THREADS - 1
    level.refresh_from_db()
    assert level.on_hand == START - (winner + 1)
    assert level.movements.filter(type="DAMAGE").count() == 1
    assert ledger_verify() == []
