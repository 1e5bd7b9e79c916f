"""Jepsen-style conservation: while writers move units back and forth between levels, readers
take REPEATABLE READ snapshots. Every snapshot must show the starting total and no negative
level; a transfer half-applied, or a lost update, would show up as a different total."""
import random
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from core.exceptions import InsufficientStock
from inventory.models import StockLevel
from inventory.services import ledger_verify, stock_transfer
from tests import factories
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

WRITERS = 4
READERS = 3
READS_PER_READER = 100
MIN_TRANSFERS_PER_WRITER = 25
START = 50


def test_stock_transfer_readers_always_see_the_starting_total(stocked, default_location, other_location):
    locations = [default_location, other_location, factories.LocationFactory(code="back")]
    variant = factories.VariantFactory()
    level_ids = [stocked(START, location=location, variant=variant).pk for location in locations]
    start_total = START * len(locations)
    seed = random.randrange(1_000_000)
    start = threading.Barrier(WRITERS + READERS)
    readers_left = [READERS]
    readers_left_lock = threading.Lock()
    readers_done = threading.Event()

    def write(index: int) -> int:
        rng = random.Random(seed + index)
        moved = 0
        start.wait()
        # Keep writing until every reader is done, so all reads overlap writes.
        while not readers_done.is_set() or moved < MIN_TRANSFERS_PER_WRITER:
            source, target = rng.sample(locations, 2)
            try:
                stock_transfer(variant=variant, from_location=source, to_location=target,
                               quantity=rng.randint(1, START), reason=f"Back and forth {index}")
            except InsufficientStock:
                continue
            moved += 1
        return moved

    def read(index: int) -> list[tuple[str, int, tuple[int, ...]]]:
        snapshots = []
        try:
            connection.ensure_connection()
            start.wait()
            for _ in range(READS_PER_READER):
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                        cursor.execute("SHOW transaction_isolation")
                        (isolation,) = cursor.fetchone()
                    total = StockLevel.objects.filter(pk__in=level_ids).aggregate(total=Sum("on_hand"))["total"]
                    # One query per level: only a snapshot makes these add up while writers run.
                    per_level = tuple(
                        StockLevel.objects.filter(pk=level_id).values_list("on_hand", flat=True).get()
                        for level_id in level_ids
                    )
                snapshots.append((isolation, total, per_level))
        finally:
            with readers_left_lock:
                readers_left[0] -= 1
                if readers_left[0] == 0:
                    readers_done.set()
        return snapshots

    run = run_threads(WRITERS + READERS, lambda index: write(index) if index < WRITERS else read(index))

    assert not run.errors, f"seed {seed}: {run.errors[:3]!r}"
    run.raise_errors()
    snapshots = [snapshot for index in range(WRITERS, WRITERS + READERS) for snapshot in run.results[index]]
    assert len(snapshots) == READERS * READS_PER_READER >= 20
    assert {isolation for isolation, _, _ in snapshots} == {"repeatable read"}
    assert [total for _, total, _ in snapshots] == [start_total] * len(snapshots)
    assert all(sum(per_level) == start_total for _, _, per_level in snapshots)
    assert min(value for _, _, per_level in snapshots for value in per_level) >= 0
    # The readers saw the stock moving, so the reads did overlap the writes.
    assert len({per_level for _, _, per_level in snapshots}) > 1
    assert sum(run.results[index] for index in range(WRITERS)) >= WRITERS * MIN_TRANSFERS_PER_WRITER
    assert StockLevel.objects.filter(pk__in=level_ids).aggregate(total=Sum("on_hand"))["total"] == start_total
    assert ledger_verify() == []
