"""Reservation throughput.

- reserve_hot: single-unit reservations through inventory.services.reservation_create, all
  on ONE level (every thread queues on its row lock), against the same transaction shape
  in raw SQL with psycopg: lock the level, raise `reserved`, insert the reservation and its
  line, commit. Like bench/ledger.py, the service and the baseline use separate levels and
  run in alternating slices of about SLICE seconds. Each level holds 10^9 units, so nothing
  is refused. After each thread count the two levels are checked (on_hand against their
  movements, reserved against their active reservation lines), then the bench reservations
  are deleted and `reserved` put back to 0, so the tables do not grow from run to run.
  Reservations are held for an hour, so none is overdue during a run (the usual case).
- webhook_throughput: signed `checkout.session.completed` events through the real
  endpoint (POST /webhooks/stripe/ with django.test.Client), one event per order, for
  WEBHOOK_ORDERS checkout orders each holding its own active reservation (created before
  the clock starts), on 1 then 4 threads. Afterwards every order must be CONFIRMED and its
  reservation COMMITTED. These orders stay in the bench database (their SALE movements
  are ledger history): each run adds 2 x WEBHOOK_ORDERS orders.
"""
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from bench.common import (
    TimedRun,
    bench_category,
    bench_location,
    bench_seconds,
    catalogue_ensure,
    in_threads,
    log,
    psycopg_connect,
    run_timed,
    stock_top_up,
    tables_vacuum,
    thread_counts,
)
from inventory.models import (
    Location,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Variant,
)
from inventory.services import ReservationLineRequest, reservation_create

SLICE = 2.5  # seconds per alternating slice
HOT_STOCK = 10**9
REFERENCE = "BENCH-RESERVE"
TTL = timedelta(hours=1)

SQL_LOCK = "SELECT on_hand, reserved, variant_id, location_id FROM inventory_stocklevel WHERE id = %s FOR UPDATE"
SQL_RESERVE = "UPDATE inventory_stocklevel SET reserved = reserved + %s, updated_at = now() WHERE id = %s"
SQL_RESERVATION = (
    "INSERT INTO inventory_reservation (reference, status, expires_at, idempotency_key, sales_order_id, user_id,"
    " closed_at, created_at, updated_at)"
    " VALUES (%s, 'ACTIVE', now() + interval '1 hour', NULL, NULL, NULL, NULL, now(), now()) RETURNING id"
)
SQL_LINE = (
    "INSERT INTO inventory_reservationline (reservation_id, level_id, variant_id, location_id, quantity)"
    " VALUES (%s, %s, %s, %s, %s)"
)

WEBHOOK_ORDERS = 300
WEBHOOK_THREADS = (1, 4)
WEBHOOK_VARIANTS = 50
WEBHOOK_SECRET = "whsec_bench_" + "0" * 32


# --- reserve_hot ----------------------------------------------------------

@dataclass(frozen=True)
class HotLevel:
    level_id: int
    variant: Variant
    location: Location


def _hot_level(prefix: str, location: Location) -> HotLevel:
    category = bench_category("Bench reservations")
    [level_id] = catalogue_ensure(prefix=prefix, count=1, variants_per_product=1,
                                  product_name=lambda i: f"{prefix.title()} product", category=lambda i: category,
                                  location=location)
    stock_top_up(level_ids=[level_id], below=HOT_STOCK // 2, to=HOT_STOCK)
    level = StockLevel.objects.select_related("variant").get(pk=level_id)
    return HotLevel(level_id=level_id, variant=level.variant, location=location)


def _service_run(hot: HotLevel, *, threads: int, seconds: float) -> TimedRun:
    lines = [ReservationLineRequest(variant=hot.variant, quantity=1, location=hot.location)]

    def setup(index: int) -> bool:
        connection.ensure_connection()  # connect before the clock starts, like the baseline
        return True

    def step(_state, n: int) -> None:
        reservation_create(reference=REFERENCE, lines=lines, ttl=TTL)

    def teardown(_state) -> None:
        connections.close_all()

    return run_timed(threads=threads, seconds=seconds, setup=setup, step=step, teardown=teardown)


def _baseline_run(hot: HotLevel, *, threads: int, seconds: float) -> TimedRun:
    def setup(index: int):
        conn = psycopg_connect()
        return conn, conn.cursor()

    def step(state, n: int) -> None:
        conn, cur = state
        cur.execute(SQL_LOCK, (hot.level_id,))
        on_hand, reserved, variant_id, location_id = cur.fetchone()
        if on_hand - reserved < 1:
            conn.rollback()
            raise RuntimeError("the baseline level ran out of stock")
        cur.execute(SQL_RESERVE, (1, hot.level_id))
        cur.execute(SQL_RESERVATION, (REFERENCE,))
        (reservation_id,) = cur.fetchone()
        cur.execute(SQL_LINE, (reservation_id, hot.level_id, variant_id, location_id, 1))
        conn.commit()

    def teardown(state) -> None:
        state[0].close()

    return run_timed(threads=threads, seconds=seconds, setup=setup, step=step, teardown=teardown)


def _statements_per_reservation(hot: HotLevel) -> int:
    """SQL statements one reservation_create sends (BEGIN and COMMIT not counted; the baseline sends 4)."""
    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        reservation_create(reference=REFERENCE, lines=[ReservationLineRequest(variant=hot.variant, quantity=1,
                                                                              location=hot.location)], ttl=TTL)
    return len(sent)


def _level_ok(level_id: int) -> bool:
    """The ledger invariant for one level: on_hand = sum of its movements = last quantity_after,
    reserved = units held by its active reservation lines."""
    level = StockLevel.objects.get(pk=level_id)
    movements = StockMovement.objects.filter(level_id=level_id)
    total = movements.aggregate(total=Sum("delta"))["total"] or 0
    last = movements.order_by("-id").values_list("quantity_after", flat=True).first() or 0
    held = (ReservationLine.objects.filter(level_id=level_id, reservation__status=ReservationStatus.ACTIVE)
            .aggregate(total=Sum("quantity"))["total"] or 0)
    ok = level.on_hand == total == last and level.reserved == held
    if not ok:
        log(f"MISMATCH level {level_id}: on_hand {level.on_hand}, movements {total}, last after {last}, "
            f"reserved {level.reserved}, held {held}")
    return ok


def _hot_clean(hot: HotLevel) -> None:
    """Drop the bench's reservations on the level and put `reserved` back to 0.

    Bench housekeeping only, on bench-owned rows: the reservations never sold anything
    (no movements refer to them), so deleting them with the units they held keeps the
    level's reserved = sum of active lines.
    """
    if StockMovement.objects.filter(reservation__lines__level_id=hot.level_id).exists():
        raise SystemExit(f"level {hot.level_id}: bench reservations have movements; not deleting them")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM inventory_reservationline WHERE level_id = %s RETURNING reservation_id)"
            " DELETE FROM inventory_reservation WHERE id IN (SELECT reservation_id FROM gone)",
            [hot.level_id],
        )
        StockLevel.objects.filter(pk=hot.level_id).update(reserved=0)


def reserve_hot() -> list[dict]:
    location = bench_location()
    service = _hot_level("BENCH-RES-SVC", location)
    baseline = _hot_level("BENCH-RES-SQL", location)
    statements = _statements_per_reservation(service)
    for hot in (service, baseline):
        _hot_clean(hot)
    tables_vacuum(Reservation, ReservationLine, StockLevel)
    seconds = bench_seconds()
    records = []
    for threads in thread_counts():
        log(f"reserve_hot: {threads} thread(s), service and raw SQL baseline, {seconds:g} s each")
        rounds = max(1, round(seconds / SLICE))
        ours, base = [], []
        for round_ in range(rounds):
            runs = [(_service_run, service, ours), (_baseline_run, baseline, base)]
            for run, hot, into in (runs if round_ % 2 == 0 else runs[::-1]):
                into.append(run(hot, threads=threads, seconds=seconds / rounds))
        ours_run, base_run = TimedRun.combine(ours), TimedRun.combine(base)
        ok = _level_ok(service.level_id) and _level_ok(baseline.level_id)
        for hot, run in ((service, ours_run), (baseline, base_run)):
            held = Reservation.objects.filter(lines__level_id=hot.level_id, status=ReservationStatus.ACTIVE).count()
            ok = ok and held == run.ops
        log(f"reserve_hot: {threads} thread(s): {ours_run.ops_per_s:.0f} reservations/s vs "
            f"{base_run.ops_per_s:.0f} baseline")
        records.append({
            "bench": "reserve_hot",
            "threads": threads,
            "ops": ours_run.ops,
            "seconds": round(ours_run.seconds, 2),
            "ops_per_s": round(ours_run.ops_per_s, 1),
            "baseline_ops": base_run.ops,
            "baseline_ops_per_s": round(base_run.ops_per_s, 1),
            "ratio": round(ours_run.ops_per_s / base_run.ops_per_s, 3) if base_run.ops_per_s else None,
            "refused": ours_run.refused + base_run.refused,
            "statements": statements,
            "baseline_statements": 4,
            "ledger_ok": ok,
        })
        for hot in (service, baseline):
            _hot_clean(hot)
        tables_vacuum(Reservation, ReservationLine, StockLevel)
    return records


# --- webhook_throughput ---------------------------------------------------

def stripe_signature(payload: str, *, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _session_completed_event(order, reservation) -> str:
    from orders.services.checkout import amount_to_minor

    return json.dumps({
        "id": f"evt_bench_{secrets.token_hex(12)}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {
            "object": "checkout.session",
            "id": f"cs_bench_{secrets.token_hex(12)}",
            "payment_status": "paid",
            "status": "complete",
            "amount_total": amount_to_minor(order.total, order.currency),
            "currency": order.currency.lower(),
            "payment_intent": f"pi_bench_{secrets.token_hex(12)}",
            "client_reference_id": order.number,
            "metadata": {"order_number": order.number, "reservation_id": str(reservation.pk)},
        }},
    })


def _webhook_orders(count: int, variants: list[Variant], location: Location) -> list[tuple[int, int]]:
    """`count` checkout orders, each of one to three lines and with its own active reservation;
    returns (order id, reservation id) pairs."""
    from orders.models import OrderSource
    from orders.services import OrderLineRequest, sales_order_create
    from orders.services.orders import order_reserve

    made: list[tuple[int, int]] = []
    lock = threading.Lock()

    def make(index: int) -> None:
        picked = [variants[(index * 7 + k * 13) % len(variants)] for k in range(1 + index % 3)]
        order = sales_order_create(
            lines=[OrderLineRequest(variant=variant, quantity=1 + (index + k) % 2, location=location)
                   for k, variant in enumerate(picked)],
            customer_name=f"Bench customer {index}",
            source=OrderSource.CHECKOUT,
        )
        reservation = order_reserve(order, ttl=TTL, expires=True)
        with lock:
            made.append((order.pk, reservation.pk))

    in_threads(list(range(count)), make, threads=4)
    return made


def _webhook_run(pairs: list[tuple[int, int]], *, threads: int, url: str) -> float:
    """POST one signed completion per order; return the seconds taken."""
    from orders.models import SalesOrder

    orders = SalesOrder.objects.in_bulk([order_id for order_id, _ in pairs])
    reservations = Reservation.objects.in_bulk([reservation_id for _, reservation_id in pairs])
    payloads = [_session_completed_event(orders[o], reservations[r]) for o, r in pairs]
    parts = [payloads[i::threads] for i in range(threads)]
    failures: list[str] = []
    start = threading.Barrier(threads + 1)

    def post(part: list[str]) -> None:
        client = Client(raise_request_exception=False)
        connection.ensure_connection()
        try:
            start.wait()
            for payload in part:
                response = client.post(url, data=payload, content_type="application/json",
                                       HTTP_STRIPE_SIGNATURE=stripe_signature(payload, secret=WEBHOOK_SECRET))
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.content[:300]!r}")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=post, args=(part,)) for part in parts]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    for failure in failures[:5]:
        log(f"webhook_throughput: {failure}")
    if failures:
        log(f"webhook_throughput: {len(failures)} of {len(payloads)} deliveries were not answered 200")
    return elapsed


def webhook_throughput() -> list[dict]:
    from orders.models import OrderStatus, SalesOrder

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    url = reverse("stripe_webhook")
    location = bench_location()
    category = bench_category("Bench reservations")
    level_ids = catalogue_ensure(prefix="BENCH-WEBHOOK", count=WEBHOOK_VARIANTS, variants_per_product=5,
                                 product_name=lambda i: f"Bench webhook product {i}", category=lambda i: category,
                                 location=location)
    stock_top_up(level_ids=level_ids, below=100_000, to=1_000_000)
    levels = StockLevel.objects.filter(pk__in=level_ids).select_related("variant__product")
    variants = [level.variant for level in levels]

    records = []
    for threads in WEBHOOK_THREADS:
        log(f"webhook_throughput: creating {WEBHOOK_ORDERS} checkout orders with active reservations")
        pairs = _webhook_orders(WEBHOOK_ORDERS, variants, location)
        log(f"webhook_throughput: {threads} thread(s), {len(pairs)} signed checkout.session.completed events")
        elapsed = _webhook_run(pairs, threads=threads, url=url)
        order_ids = [o for o, _ in pairs]
        confirmed = SalesOrder.objects.filter(pk__in=order_ids, status=OrderStatus.CONFIRMED).count()
        committed = Reservation.objects.filter(pk__in=[r for _, r in pairs], status=ReservationStatus.COMMITTED).count()
        ok = all(_level_ok(level_id) for level_id in level_ids)
        rate = len(pairs) / elapsed if elapsed else 0.0
        log(f"webhook_throughput: {threads} thread(s): {rate:.0f} events/s")
        records.append({
            "bench": "webhook_throughput",
            "threads": threads,
            "events": len(pairs),
            "seconds": round(elapsed, 2),
            "events_per_s": round(rate, 1),
            "confirmed": confirmed,
            "committed": committed,
            "all_confirmed_and_committed": confirmed == committed == len(pairs),
            "ledger_ok": ok,
        })
    return records
