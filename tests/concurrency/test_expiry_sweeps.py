"""Two expiry sweeps at once over 300 overdue reservations: each is expired exactly once."""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory.models import Reservation, ReservationStatus, StockLevel
from inventory.services import ReservationLineRequest, ledger_verify, reservation_create, reservations_expire_due
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

SWEEPS = 2
RESERVATIONS = 300
SKUS = 3


@pytest.mark.parametrize("batch_size", [20, 200])
def test_reservations_expire_due_two_sweeps_at_once_expire_each_once(stocked, batch_size):
    levels = [stocked(RESERVATIONS) for _ in range(SKUS)]
    for index in range(RESERVATIONS):
        level = levels[index % SKUS]
        reservation_create(reference=f"Cart {index}", ttl=timedelta(minutes=5), lines=[
            ReservationLineRequest(variant=level.variant, quantity=1 + index % 2, location=level.location),
        ])
    held = {level.pk: level.reserved for level in StockLevel.objects.all()}
    assert sum(held.values()) == sum(1 + i % 2 for i in range(RESERVATIONS))
    later = timezone.now() + timedelta(minutes=10)  # every hold is now overdue
    barrier = threading.Barrier(SWEEPS)

    def sweep(index: int) -> int:
        barrier.wait()
        return reservations_expire_due(now=later, batch_size=batch_size)

    run = run_threads(SWEEPS, sweep)

    run.raise_errors()
    assert sum(run.results.values()) == RESERVATIONS
    assert Reservation.objects.filter(status=ReservationStatus.EXPIRED, closed_at=later).count() == RESERVATIONS
    assert not Reservation.objects.exclude(status=ReservationStatus.EXPIRED).exists()
    assert list(StockLevel.objects.values_list("on_hand", "reserved")) == [(RESERVATIONS, 0)] * SKUS
    assert reservations_expire_due(now=later) == 0
    assert ledger_verify() == []
