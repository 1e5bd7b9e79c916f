"""A backup taken while threads move stock is one moment: restored, every level equals the
sum of its movements and the total equals the opening stock plus the additions the backup
holds, although writes kept landing before, during and after it."""
import json
import random
import threading
import zipfile

import pytest
from django.db import connection
from django.db.models import Sum

from backups.sections import section_models
from backups.services import backup_create, backup_restore
from core.exceptions import InsufficientStock
from inventory.models import StockLevel, StockMovement
from inventory.services import ledger_verify, stock_adjust, stock_transfer
from tests import factories
from tests.backups import backup_dir, empty_tables  # noqa: F401
from tests.concurrency.helpers import run_threads

# The backup reads catalogue and stock, whose movements refer to these apps too; the flush
# at the end empties them (not the role groups, which later tests need).
BACKUP_APPS = ["inventory", "suppliers", "purchasing", "orders", "dataio", "core", "backups"]

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, available_apps=BACKUP_APPS),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded tests need PostgreSQL row locks"),
]

WRITERS = 4
START = 40
OPS_BEFORE = 20
OPS_AFTER = 20
SECTIONS = ["catalogue", "stock"]


def test_backup_taken_while_stock_moves_restores_to_one_moment(backup_dir, stocked, default_location,
                                                                 other_location):
    locations = [default_location, other_location, factories.LocationFactory(code="back")]
    variants = [factories.VariantFactory() for _ in range(3)]
    for variant in variants:
        for location in locations:
            stocked(START, location=location, variant=variant)
    opening_total = START * len(variants) * len(locations)
    opening_movements = StockMovement.objects.count()
    seed = random.randrange(1_000_000)
    done = [0]
    done_lock = threading.Lock()
    enough_before = threading.Event()
    backup_taken = threading.Event()
    after = [0]

    def write(index: int) -> int:
        rng = random.Random(seed + index)
        while not backup_taken.is_set() or after[0] < OPS_AFTER:
            variant = rng.choice(variants)
            if rng.random() < 0.3:
                stock_adjust(variant=variant, location=rng.choice(locations), quantity=1, type="RESTOCK",
                             reason=f"Writer {index}")
            else:
                source, target = rng.sample(locations, 2)
                try:
                    stock_transfer(variant=variant, from_location=source, to_location=target,
                                   quantity=rng.randint(1, 10), reason=f"Writer {index}")
                except InsufficientStock:
                    continue
            with done_lock:
                done[0] += 1
                if done[0] >= OPS_BEFORE:
                    enough_before.set()
                if backup_taken.is_set():
                    after[0] += 1
        return done[0]

    def take(index: int):
        if index < WRITERS:
            return write(index)
        assert enough_before.wait(30)
        try:
            return backup_create(sections=SECTIONS)
        finally:
            backup_taken.set()

    run = run_threads(WRITERS + 1, take)
    run.raise_errors()
    backup = run.results[WRITERS]
    live_movements = StockMovement.objects.count()
    path = backup_dir / backup.file_name

    # The archive itself is consistent: each level equals the sum of its movements.
    with zipfile.ZipFile(path) as archive:
        levels = [json.loads(line) for line in archive.read("inventory.stocklevel.ndjson").splitlines()]
        movements = [json.loads(line) for line in archive.read("inventory.stockmovement.ndjson").splitlines()]
    sums: dict[int, int] = {}
    for movement in movements:
        sums[movement["level_id"]] = sums.get(movement["level_id"], 0) + movement["delta"]
    assert {level["id"]: level["on_hand"] for level in levels} == sums
    # Writes landed before and after the snapshot.
    assert opening_movements < len(movements) < live_movements

    empty_tables(section_models(SECTIONS))
    report = backup_restore(source=path, dry_run=False)
    assert report.ledger_ok is True and ledger_verify() == []
    restocks_in_backup = StockMovement.objects.filter(reason__startswith="Writer", type="RESTOCK").count()
    assert StockLevel.objects.aggregate(total=Sum("on_hand"))["total"] == opening_total + restocks_in_backup
    assert StockMovement.objects.count() == len(movements)
