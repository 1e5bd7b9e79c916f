"""Shared pieces of the benchmarks: set-up of the bench database, JSON output, a timed
thread runner and helpers that create bench catalogue data once and reuse it."""
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DEFAULT_SECONDS = 10.0
BATCH = 5000


# --- output ---------------------------------------------------------------

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(record: dict) -> None:
    """One result: one JSON line on stdout."""
    print(json.dumps(record), flush=True)


def bench_seconds() -> float:
    value = os.environ.get("BENCH_SECONDS", "")
    try:
        seconds = float(value) if value else DEFAULT_SECONDS
    except ValueError:
        raise SystemExit(f"BENCH_SECONDS must be a number of seconds, got {value!r}") from None
    if seconds <= 0:
        raise SystemExit("BENCH_SECONDS must be positive")
    return seconds


def thread_counts() -> list[int]:
    value = os.environ.get("BENCH_THREADS", "1,4,16")
    try:
        counts = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"BENCH_THREADS must be a comma-separated list of numbers, got {value!r}") from None
    if not counts or min(counts) < 1:
        raise SystemExit("BENCH_THREADS must name at least one positive thread count")
    return counts


# --- database -------------------------------------------------------------

def database_ensure() -> None:
    """Create the PostgreSQL database named by DATABASE_URL when it does not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if "postgresql" not in config.get("ENGINE", ""):
        raise SystemExit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/NAME")
    params = _conninfo(config)
    name = params.pop("dbname")
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _conninfo(config: dict) -> dict:
    params = {"dbname": config["NAME"]}
    for key, setting in (("user", "USER"), ("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT")):
        if config.get(setting):
            params[key] = str(config[setting])
    return params


def psycopg_connect():
    """A raw psycopg connection to the Django database (autocommit off), for the SQL baselines."""
    import psycopg
    from django.db import connection

    return psycopg.connect(**_conninfo(connection.settings_dict))


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # `make bench` sets DEBUG=1 only to get a development SECRET_KEY; measure without
    # DEBUG's per-query logging and template debugging.
    settings.DEBUG = False
    log("migrating")
    call_command("migrate", interactive=False, verbosity=0)


# --- timed runs -----------------------------------------------------------

@dataclass(frozen=True)
class TimedRun:
    threads: int
    ops: int
    seconds: float
    refused: int

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @classmethod
    def combine(cls, runs: list["TimedRun"]) -> "TimedRun":
        return cls(threads=runs[0].threads, ops=sum(r.ops for r in runs), seconds=sum(r.seconds for r in runs),
                   refused=sum(r.refused for r in runs))


class Refused(Exception):
    """A step that was refused (e.g. insufficient stock): counted, not fatal."""


def run_timed(
    *,
    threads: int,
    seconds: float,
    setup: Callable[[int], Any],
    step: Callable[[Any, int], None],
    teardown: Callable[[Any], None],
) -> TimedRun:
    """Run `step(state, n)` in a loop on `threads` threads for about `seconds`.

    Each thread builds its own state (its own database connection) with `setup(index)`
    before the clock starts and releases it with `teardown(state)` after it stops.
    """
    start = threading.Barrier(threads + 1)
    stop = threading.Event()
    ops = [0] * threads
    refused = [0] * threads
    errors: list[BaseException] = []

    def body(index: int) -> None:
        state = None
        try:
            state = setup(index)
            start.wait()
            n = 0
            while not stop.is_set():
                try:
                    step(state, n)
                    ops[index] += 1
                except Refused:
                    refused[index] += 1
                n += 1
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            start.abort()
            stop.set()
        finally:
            if state is not None:
                teardown(state)

    workers = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return TimedRun(threads=threads, ops=sum(ops), seconds=elapsed, refused=sum(refused))


def tables_vacuum(*models) -> None:
    """VACUUM ANALYZE the given tables, or the whole database without any.

    A running installation has autovacuum clean the rows a benchmark deletes or updates;
    a server with it off (or a benchmark faster than it) leaves them behind, and every
    index scan then wades through dead entries. Benchmarks call this between runs so
    each run starts from the state autovacuum would keep.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not models:
            cursor.execute("VACUUM ANALYZE")
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


# --- bench data (created once, reused on later runs) -------------------------

def bench_location():
    """The default location, created as "main" on an empty bench database."""
    from inventory.models import Location

    location = Location.objects.filter(is_default=True).first()
    if location is None:
        location, _ = Location.objects.get_or_create(code="main", defaults={"name": "Main warehouse", "is_default": True})
    return location


def bench_category(name: str, parent=None):
    from inventory.models import Category

    category, _ = Category.objects.get_or_create(name=name, parent=parent)
    return category


def catalogue_ensure(
    *,
    prefix: str,
    count: int,
    variants_per_product: int,
    product_name: Callable[[int], str],
    category: Callable[[int], Any],
    location,
) -> list[int]:
    """Make sure `count` variants with SKUs `{prefix}-000000`... exist, each with an empty level
    at `location`; return the level ids in SKU order.

    Products, variants and empty levels are bulk-created in batches. An empty level with no
    movements satisfies the ledger invariant; stock goes onto it through the services.
    """
    from inventory.models import Product, StockLevel, Variant

    existing = Variant.objects.filter(sku__startswith=f"{prefix}-").count()
    if existing < count:
        log(f"creating {count - existing} {prefix} variants")
        first_missing_product = existing // variants_per_product
        product_count = -(-count // variants_per_product)
        for start in range(first_missing_product, product_count, BATCH // variants_per_product):
            indexes = range(start, min(product_count, start + BATCH // variants_per_product))
            products = Product.objects.bulk_create([
                Product(name=product_name(i), category=category(i), price=Decimal("19.99"), cost=Decimal("8.00"),
                        description=f"Bench product {i}")
                for i in indexes
            ])
            variants = []
            for i, product in zip(indexes, products):
                for k in range(variants_per_product):
                    number = i * variants_per_product + k
                    if number < count:
                        variants.append(Variant(product=product, sku=f"{prefix}-{number:06d}",
                                                barcode=f"9{number:012d}", attributes={"size": str(k + 1)}))
            Variant.objects.bulk_create(variants, ignore_conflicts=True)
    variant_ids = list(
        Variant.objects.filter(sku__startswith=f"{prefix}-").order_by("sku").values_list("pk", flat=True)[:count]
    )
    have = set(StockLevel.objects.filter(variant_id__in=variant_ids, location=location).values_list("variant_id", flat=True))
    missing = [vid for vid in variant_ids if vid not in have]
    for start in range(0, len(missing), BATCH):
        StockLevel.objects.bulk_create(
            [StockLevel(variant_id=vid, location=location) for vid in missing[start:start + BATCH]], ignore_conflicts=True
        )
    levels = dict(StockLevel.objects.filter(variant_id__in=variant_ids, location=location).values_list("variant_id", "pk"))
    return [levels[vid] for vid in variant_ids]


def in_threads(items: list, work: Callable[[Any], None], *, threads: int = 4) -> None:
    """Call `work(item)` for every item, spread over a few threads (each with its own connection)."""
    from django.db import connections

    errors: list[BaseException] = []

    def run(part: list) -> None:
        try:
            for item in part:
                work(item)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(items[i::threads],)) for i in range(threads) if items[i::threads]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]


def stock_top_up(*, level_ids: Iterable[int], below: int, to: int) -> int:
    """Restock (through stock_adjust) every level holding fewer than `below` units up to `to`.

    Returns the number of levels restocked.
    """
    from inventory.models import StockLevel
    from inventory.services import stock_adjust

    low = list(
        StockLevel.objects.filter(pk__in=list(level_ids), on_hand__lt=below)
        .select_related("variant", "location")
        .order_by("pk")
    )
    if low:
        log(f"restocking {len(low)} levels to {to} units")
        in_threads(low, lambda level: stock_adjust(variant=level.variant, location=level.location,
                                                   quantity=to - level.on_hand, type="RESTOCK",
                                                   reason="Bench opening stock"))
    return len(low)
