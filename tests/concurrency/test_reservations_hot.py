"""32 threads reserving from one SKU until refused: never more than the stock, no spurious refusals."""
import random
import threading

import pytest
from django.db import connection

from core.exceptions import InsufficientStock
from inventory.models import Reservation, ReservationStatus
from inventory.services import ReservationLineRequest, ledger_verify, reservation_create
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

THREADS = 32
STOCK = 100


def test_reservation_create_thirty_two_threads_never_hold_more_than_the_stock(stocked):
    level = stocked(STOCK)
    variant, location = level.variant, level.location
    barrier = threading.Barrier(THREADS)

    def reserve_until_refused(index: int) -> tuple[list[int], InsufficientStock]:
        rng = random.Random(index)
        held = []
        barrier.wait()
        while True:
            quantity = rng.randint(1, 3)
            try:
                reservation_create(reference=f"Cart {index}-{len(held)}",
                                   lines=[ReservationLineRequest(variant=variant, quantity=quantity, location=location)])
            except InsufficientStock as refusal:
                return held, refusal
            held.append(quantity)

    run = run_threads(THREADS, reserve_until_refused)

    run.raise_errors()
    assert len(run.results) == THREADS
    held = sum(sum(quantities) for quantities, _ in run.results.values())
    level.refresh_from_db()
    assert level.on_hand == STOCK
    assert 0 <= level.reserved <= level.on_hand
    assert held == level.reserved <= STOCK
    # Each thread stopped only when it asked for more than was left (at most 3): so at most
    # 2 units can be left unreserved, and every refusal reported a true shortfall.
    assert held >= STOCK - 2
    for _, refusal in run.results.values():
        (line,) = refusal.details["lines"]
        assert line["requested"] > line["available"] >= STOCK - held
    active = Reservation.objects.filter(status=ReservationStatus.ACTIVE)
    assert active.count() == sum(len(quantities) for quantities, _ in run.results.values())
    assert ledger_verify() == []
