"""8 threads transferring random quantities between random pairs of levels, in both pk orders:
no deadlock or other error, and every variant keeps its units."""
import random
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count, Sum

from core.exceptions import InsufficientStock
from inventory.models import StockLevel, StockMovement
from inventory.services import ledger_verify, stock_transfer
from tests import factories
from tests.concurrency.helpers import CONCURRENCY_APPS, run_threads

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=CONCURRENCY_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

THREADS = 8
OPERATIONS = 60
VARIANTS = 3
START = 40


def test_stock_transfer_random_pairs_from_eight_threads_conserve_units(stocked, default_location, other_location):
    locations = [default_location, other_location, factories.LocationFactory(code="back")]
    variants = [factories.VariantFactory() for _ in range(VARIANTS)]
    for variant in variants:
        for location in locations:
            stocked(START, location=location, variant=variant)
    seed = random.randrange(1_000_000)

    def shuffle_stock(index: int) -> Counter:
        rng = random.Random(seed + index)
        outcome = Counter()
        for _ in range(OPERATIONS):
            variant = rng.choice(variants)
            source, target = rng.sample(locations, 2)
            try:
                stock_transfer(variant=variant, from_location=source, to_location=target,
                               quantity=rng.randint(1, START // 2 + 5), reason=f"Shuffle {index}")
            except InsufficientStock:
                outcome["refused"] += 1
            else:
                outcome["moved"] += 1
        return outcome

    run = run_threads(THREADS, shuffle_stock)

    assert not run.errors, f"seed {seed}: {run.errors[:3]!r}"
    run.raise_errors()
    outcome = sum(run.results.values(), Counter())
    assert outcome["moved"] + outcome["refused"] == THREADS * OPERATIONS
    assert outcome["moved"] > 0
    totals = dict(StockLevel.objects.values("variant").annotate(total=Sum("on_hand")).values_list("variant", "total"))
    assert totals == {variant.pk: START * len(locations) for variant in variants}
    assert not StockLevel.objects.filter(on_hand__lt=0).exists()
    transfers = StockMovement.objects.filter(transfer_id__isnull=False)
    assert transfers.filter(type="TRANSFER_OUT").count() == outcome["moved"]
    assert transfers.filter(type="TRANSFER_IN").count() == outcome["moved"]
    pairs = transfers.values("transfer_id").annotate(rows=Count("id"), net=Sum("delta"))
    assert {(pair["rows"], pair["net"]) for pair in pairs} == {(2, 0)}
    assert ledger_verify() == []
