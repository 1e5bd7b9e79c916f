"""Ledger throughput: single-unit adjustments through inventory.services.stock_adjust, against
the same transaction shape written in raw SQL with psycopg (lock the level, update it,
insert the ledger row, commit).

- ledger_hot: every operation on ONE level (the worst case: all threads queue on one row lock).
- ledger_spread: operations on 10,000 levels chosen at random.

Each thread alternates SALE -1 / RESTOCK +1 on stocked levels, so nothing is refused.
The service and the baseline use separate levels and run in alternating slices of about
SLICE seconds, so load from elsewhere on the machine hits both alike. The baseline uses
psycopg's defaults (server-side binding, statements prepared after 5 runs); Django's
backend binds on the client and prepares nothing.
"""
import random
from dataclasses import dataclass

from django.db import connection, connections

from bench.common import (
    Refused,
    TimedRun,
    bench_category,
    bench_location,
    bench_seconds,
    catalogue_ensure,
    log,
    psycopg_connect,
    run_timed,
    stock_top_up,
    thread_counts,
)
from core.exceptions import InsufficientStock
from inventory.models import Location, StockLevel, Variant
from inventory.services import ledger_verify, stock_adjust

REASON = "Bench"
SPREAD_LEVELS = 10_000
SLICE = 2.5  # seconds per alternating slice

SQL_LOCK = "SELECT on_hand, reserved, variant_id, location_id FROM inventory_stocklevel WHERE id = %s FOR UPDATE"
SQL_UPDATE = "UPDATE inventory_stocklevel SET on_hand = on_hand + %s WHERE id = %s"
SQL_INSERT = (
    "INSERT INTO inventory_stockmovement (level_id, variant_id, location_id, type, delta, quantity_before,"
    " quantity_after, reason, notes, reference, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '', now()) RETURNING id"
)


def _signed(n: int) -> tuple[int, str]:
    """Even steps sell one unit, odd steps restock it."""
    return (-1, "SALE") if n % 2 == 0 else (1, "RESTOCK")


@dataclass(frozen=True)
class Targets:
    level_ids: list[int]
    variants: list[Variant]  # same order as level_ids
    location: Location


def _targets(level_ids: list[int], location: Location) -> Targets:
    levels = StockLevel.objects.filter(pk__in=level_ids).select_related("variant").only("id", "variant__id", "variant__sku")
    by_id = {level.pk: level.variant for level in levels}
    return Targets(level_ids=level_ids, variants=[by_id[pk] for pk in level_ids], location=location)


def service_run(targets: Targets, *, threads: int, seconds: float) -> TimedRun:
    count = len(targets.level_ids)

    def setup(index: int) -> random.Random:
        connection.ensure_connection()  # connect before the clock starts, like the baseline
        return random.Random()  # fresh per slice, so no level always gets the SALE

    def step(rng: random.Random, n: int) -> None:
        variant = targets.variants[rng.randrange(count)] if count > 1 else targets.variants[0]
        delta, type = _signed(n)
        try:
            stock_adjust(variant=variant, location=targets.location, quantity=delta, type=type, reason=REASON)
        except InsufficientStock:
            raise Refused from None

    def teardown(_state) -> None:
        connections.close_all()

    return run_timed(threads=threads, seconds=seconds, setup=setup, step=step, teardown=teardown)


def baseline_run(level_ids: list[int], *, threads: int, seconds: float) -> TimedRun:
    count = len(level_ids)

    def setup(index: int):
        conn = psycopg_connect()
        return conn, conn.cursor(), random.Random()

    def step(state, n: int) -> None:
        conn, cur, rng = state
        level_id = level_ids[rng.randrange(count)] if count > 1 else level_ids[0]
        delta, type = _signed(n)
        cur.execute(SQL_LOCK, (level_id,))
        on_hand, reserved, variant_id, location_id = cur.fetchone()
        if delta < 0 and on_hand - reserved < -delta:
            conn.rollback()
            raise Refused
        cur.execute(SQL_UPDATE, (delta, level_id))
        cur.execute(SQL_INSERT, (level_id, variant_id, location_id, type, delta, on_hand, on_hand + delta, REASON))
        cur.fetchone()
        conn.commit()

    def teardown(state) -> None:
        state[0].close()

    return run_timed(threads=threads, seconds=seconds, setup=setup, step=step, teardown=teardown)


def _interleaved(service: Targets, baseline: Targets, *, threads: int, seconds: float) -> tuple[TimedRun, TimedRun]:
    """Run services and baseline for `seconds` each, in alternating slices of about SLICE seconds,
    so that a burst of load from elsewhere on the machine hits both sides alike."""
    rounds = max(1, round(seconds / SLICE))
    ours, base = [], []
    for round_ in range(rounds):
        slice_seconds = seconds / rounds
        if round_ % 2 == 0:
            ours.append(service_run(service, threads=threads, seconds=slice_seconds))
            base.append(baseline_run(baseline.level_ids, threads=threads, seconds=slice_seconds))
        else:
            base.append(baseline_run(baseline.level_ids, threads=threads, seconds=slice_seconds))
            ours.append(service_run(service, threads=threads, seconds=slice_seconds))
    return TimedRun.combine(ours), TimedRun.combine(base)


def _compare(name: str, service: Targets, baseline: Targets) -> list[dict]:
    seconds = bench_seconds()
    records = []
    for threads in thread_counts():
        log(f"{name}: {threads} thread(s), services and raw SQL baseline, {seconds:g} s each")
        ours, base = _interleaved(service, baseline, threads=threads, seconds=seconds)
        log(f"{name}: {threads} thread(s): {ours.ops_per_s:.0f} ops/s vs {base.ops_per_s:.0f} ops/s")
        records.append({
            "bench": name,
            "threads": threads,
            "ops": ours.ops,
            "seconds": round(ours.seconds, 2),
            "ops_per_s": round(ours.ops_per_s, 1),
            "baseline_ops": base.ops,
            "baseline_ops_per_s": round(base.ops_per_s, 1),
            "ratio": round(ours.ops_per_s / base.ops_per_s, 3) if base.ops_per_s else None,
            "levels": len(service.level_ids),
            "refused": ours.refused + base.refused,
        })
    log(f"{name}: verifying the ledger")
    mismatches = ledger_verify()
    for mismatch in mismatches[:20]:
        log(f"MISMATCH {mismatch.describe()}")
    for record in records:
        record["ledger_ok"] = not mismatches
    return records


def _bench_levels(prefix: str, count: int, location: Location) -> list[int]:
    category = bench_category("Bench ledger")
    return catalogue_ensure(
        prefix=prefix,
        count=count,
        variants_per_product=10 if count > 1 else 1,
        product_name=lambda i: f"{prefix.title()} product {i}",
        category=lambda i: category,
        location=location,
    )


def ledger_hot() -> list[dict]:
    location = bench_location()
    service_levels = _bench_levels("BENCH-HOT-SVC", 1, location)
    baseline_levels = _bench_levels("BENCH-HOT-SQL", 1, location)
    stock_top_up(level_ids=service_levels + baseline_levels, below=500, to=1000)
    return _compare("ledger_hot", _targets(service_levels, location), _targets(baseline_levels, location))


def ledger_spread() -> list[dict]:
    location = bench_location()
    service_levels = _bench_levels("BENCH-SPREAD-SVC", SPREAD_LEVELS, location)
    baseline_levels = _bench_levels("BENCH-SPREAD-SQL", SPREAD_LEVELS, location)
    stock_top_up(level_ids=service_levels + baseline_levels, below=50, to=100)
    return _compare("ledger_spread", _targets(service_levels, location), _targets(baseline_levels, location))
