"""Reservations: stock held for a checkout or an order.

A reservation raises `reserved` on each of its lines' levels; committing it lowers both
`reserved` and `on_hand` and writes one SALE movement per line; releasing or expiring
it lowers `reserved` again.

Lock order, everywhere: the reservation rows first (by pk), then the stock levels (by
pk, inventory.ledger). Held units move through the ledger's holds_raise/holds_lower, a sale
is posted to the ledger. The expiry sweep skips reservations another transaction holds, so
it never waits on them; everything else waits. One global order means no deadlocks.
"""
import functools
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import IllegalTransition, InsufficientStock, StockMismatch, ValidationFailed
from inventory.ledger import (
    Entry,
    holds_lower,
    holds_raise,
    idempotency_key_clean,
    ledger_post,
    stock_level_ensure,
    stock_level_lock_one,
    stock_levels_lock,
    whole_number,
)
from inventory.models import (
    Location,
    MovementType,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    Variant,
)
from inventory.selectors import location_default

EXPIRY_BATCH_SIZE = 200


@dataclass(frozen=True)
class ReservationLineRequest:
    variant: Variant
    quantity: int
    location: Location | None = None


@dataclass(frozen=True)
class ReservationResult:
    reservation: Reservation
    replayed: bool = False


def reservation_ttl_default() -> timedelta:
    return timedelta(minutes=settings.RESERVATION_TTL_MINUTES)


# --- validation -----------------------------------------------------------

def _clean_lines(lines: list[ReservationLineRequest]) -> list[tuple[Variant, Location, int]]:
    """Check each line and merge lines naming the same SKU and location."""
    if not lines:
        raise ValidationFailed("A reservation needs at least one line.", field="lines")
    default = None
    merged: dict[tuple[int, int], list] = {}
    for index, line in enumerate(lines, start=1):
        quantity = whole_number(line.quantity, field="quantity")
        if quantity <= 0:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity must be positive.", field="lines")
        location = line.location
        if location is None:
            default = default or location_default()
            location = default
        if not location.active:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): location {location.code} is inactive.",
                                   field="lines")
        key = (line.variant.pk, location.pk)
        if key in merged:
            merged[key][2] += quantity
        else:
            merged[key] = [line.variant, location, quantity]
    return [tuple(item) for item in merged.values()]


def _shortfall(*, variant: Variant, location: Location, requested: int, available: int) -> dict:
    return {"sku": variant.sku, "location": location.code, "requested": requested, "available": max(available, 0)}


def _insufficient(shortfalls: list[dict], *, doing: str = "reserve") -> InsufficientStock:
    parts = "; ".join(f"{s['sku']}: {s['requested']} requested, {s['available']} available" for s in shortfalls)
    outcome = "Nothing was reserved." if doing == "reserve" else "Nothing was changed."
    return InsufficientStock(f"Not enough stock to {doing}: {parts}. {outcome}", details={"lines": shortfalls})


# --- closing (release, expiry) --------------------------------------------

def _close(reservation: Reservation, *, status: str, lines: list[ReservationLine], now) -> None:
    """Give the reservation's held units back. The caller holds the reservation's and levels' locks."""
    holds_lower([(line.level_id, line.quantity) for line in lines], now=now)
    reservation.status = status
    reservation.closed_at = now
    reservation.save(update_fields=["status", "closed_at", "updated_at"])


def _lines_by_reservation(reservation_ids: list[int]) -> dict[int, list[ReservationLine]]:
    grouped: dict[int, list[ReservationLine]] = {pk: [] for pk in reservation_ids}
    for line in ReservationLine.objects.filter(reservation_id__in=reservation_ids).order_by("id"):
        grouped[line.reservation_id].append(line)
    return grouped


# --- create ---------------------------------------------------------------
#
# reservation_create's statements are sent as plain SQL built once per backend, like the
# ledger's writes (inventory.ledger.write): on a busy SKU every creator queues on one row lock,
# and the ORM's statement building (several times the cost of the statements) is what
# limits throughput (bench/reservations.py reserve_hot). The statements and their order
# are those the ORM sent: look up each level (creating a missing one), find overdue
# reservations, lock, insert the reservation and its lines, raise `reserved`. A single
# level is locked with stock_adjust's single-row lock.

_RESERVATION_FIELDS = [field for field in Reservation._meta.concrete_fields if not field.primary_key]
_LINE_FIELDS = [field for field in ReservationLine._meta.concrete_fields if not field.primary_key]


@functools.cache
def _create_sql(vendor: str) -> dict[str, str]:
    """Statements of reservation_create; `vendor` is the cache key (quoting differs between backends).
    `{ids}` and `{rows}` are filled in per call with one placeholder per level or line."""
    quote = connection.ops.quote_name
    level = quote(StockLevel._meta.db_table)
    reservation = quote(Reservation._meta.db_table)
    line = quote(ReservationLine._meta.db_table)
    line_placeholders = "(" + ", ".join(["%s"] * len(_LINE_FIELDS)) + ")"
    return {
        "level_id": f'SELECT {level}."id" FROM {level} WHERE {level}."variant_id" = %s AND {level}."location_id" = %s '
                    f'ORDER BY {level}."id" ASC LIMIT 1',
        # Overdue holds, found from the (small) range of active reservations past their
        # time; EXISTS rather than a join plans in a quarter of the time, and this runs on
        # every reservation.
        "overdue": f'SELECT {reservation}."id" FROM {reservation} WHERE {reservation}."status" = %s '
                   f'AND {reservation}."expires_at" <= %s AND EXISTS (SELECT 1 FROM {line} '
                   f'WHERE {line}."reservation_id" = {reservation}."id" AND {line}."level_id" IN ({{ids}}))',
        "overdue_at": f'SELECT {reservation}."id" FROM {reservation} WHERE {reservation}."status" = %s '
                      f'AND {reservation}."expires_at" <= %s AND EXISTS (SELECT 1 FROM {line} '
                      f'WHERE {line}."reservation_id" = {reservation}."id" AND {line}."variant_id" = %s '
                      f'AND {line}."location_id" = %s)',
        "reservation": f'INSERT INTO {reservation} ({", ".join(quote(f.column) for f in _RESERVATION_FIELDS)}) '
                       f'VALUES ({", ".join(["%s"] * len(_RESERVATION_FIELDS))}) RETURNING {quote("id")}',
        "lines": f'INSERT INTO {line} ({", ".join(quote(f.column) for f in _LINE_FIELDS)}) VALUES {{rows}}',
        "line_placeholders": line_placeholders,
    }


def _datetime_param(value):
    return Reservation._meta.get_field("expires_at").get_db_prep_value(value, connection)


def _level_id(*, variant: Variant, location: Location) -> int:
    """The id of variant@location's level, creating an empty level when missing (stock_level_ensure)."""
    with connection.cursor() as cursor:
        cursor.execute(_create_sql(connection.vendor)["level_id"], [variant.pk, location.pk])
        row = cursor.fetchone()
    return row[0] if row is not None else stock_level_ensure(variant=variant, location=location).pk


def _overdue_ids(*, level_ids: list[int], now) -> list[int]:
    """Active reservations past their time that hold any of these levels, by pk (not locked)."""
    sql = _create_sql(connection.vendor)["overdue"].format(ids=", ".join(["%s"] * len(level_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [ReservationStatus.ACTIVE, _datetime_param(now), *level_ids])
        return sorted({row[0] for row in cursor.fetchall()})


def _overdue_ids_at(*, variant: Variant, location: Location, now) -> list[int]:
    """Like _overdue_ids for the one level of variant@location, without looking up its id."""
    with connection.cursor() as cursor:
        cursor.execute(_create_sql(connection.vendor)["overdue_at"],
                       [ReservationStatus.ACTIVE, _datetime_param(now), variant.pk, location.pk])
        return sorted({row[0] for row in cursor.fetchall()})


def _lock_overdue(overdue_ids: list[int]) -> tuple[list[Reservation], dict[int, list[ReservationLine]]]:
    """Lock the overdue reservations still active (by pk) and load their lines."""
    if not overdue_ids:
        return [], {}
    overdue = list(
        Reservation.objects.select_for_update(of=("self",))
        .filter(pk__in=overdue_ids, status=ReservationStatus.ACTIVE).order_by("pk")
    )
    return overdue, _lines_by_reservation([r.pk for r in overdue])


def _lock_levels(wanted: list[tuple[Variant, Location, int]], *, now):
    """Find overdue reservations on the wanted levels, lock them, then lock the levels (pk order).

    Returns (level ids by (variant, location), locked levels by id, overdue reservations,
    their lines). The usual cart line (one level, no overdue hold elsewhere) takes the
    single-row lock of stock_adjust straight away, without looking the level's id up first.
    """
    if len(wanted) == 1:
        [(variant, location, _)] = wanted
        overdue, overdue_lines = _lock_overdue(_overdue_ids_at(variant=variant, location=location, now=now))
        elsewhere = [line.level_id for group in overdue_lines.values() for line in group
                     if (line.variant_id, line.location_id) != (variant.pk, location.pk)]
        if not elsewhere:
            level = stock_level_lock_one(variant_id=variant.pk, location_id=location.pk)
            if level is None:
                stock_level_ensure(variant=variant, location=location)
                level = stock_level_lock_one(variant_id=variant.pk, location_id=location.pk)
            return {(variant.pk, location.pk): level.pk}, {level.pk: level}, overdue, overdue_lines
    # Levels are created in (variant, location) order so two creators never wait on each other.
    level_ids_by_key = {
        (variant.pk, location.pk): _level_id(variant=variant, location=location)
        for variant, location, _ in sorted(wanted, key=lambda item: (item[0].pk, item[1].pk))
    }
    level_ids = list(level_ids_by_key.values())
    overdue, overdue_lines = _lock_overdue(_overdue_ids(level_ids=level_ids, now=now))
    extra_ids = [line.level_id for group in overdue_lines.values() for line in group]
    return level_ids_by_key, stock_levels_lock(ids=level_ids + extra_ids), overdue, overdue_lines


def _reservation_insert(reservation: Reservation, lines: list[ReservationLine], *, now) -> None:
    """INSERT the reservation and its lines, and raise `reserved` on each line's level through
    the ledger (`updated_at` = now). The caller holds the levels' locks."""
    statements = _create_sql(connection.vendor)
    reservation.created_at = reservation.updated_at = timezone.now()
    values = [field.get_db_prep_save(getattr(reservation, field.attname), connection) for field in _RESERVATION_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(statements["reservation"], values)
        reservation.pk = cursor.fetchone()[0]
        reservation._state.adding = False
        reservation._state.db = connection.alias
        rows = []
        for line in lines:
            line.reservation_id = reservation.pk
            rows.extend(field.get_db_prep_save(getattr(line, field.attname), connection) for field in _LINE_FIELDS)
        cursor.execute(statements["lines"].format(rows=", ".join([statements["line_placeholders"]] * len(lines))), rows)
    holds_raise([(line.level_id, line.quantity) for line in lines], now=now)


def _replay_reservation(key: str, *, reference: str, wanted: list[tuple[Variant, Location, int]]) -> ReservationResult | None:
    reservation = Reservation.objects.filter(idempotency_key=key).first()
    if reservation is None:
        return None
    held = sorted((line.variant_id, line.location_id, line.quantity) for line in reservation.lines.all())
    asked = sorted((variant.pk, location.pk, quantity) for variant, location, quantity in wanted)
    if reservation.reference != reference or held != asked:
        raise StockMismatch("This idempotency key was already used for a different reservation.", field="idempotency_key")
    return ReservationResult(reservation=reservation, replayed=True)


def reservation_create(
    *,
    reference: str,
    lines: list[ReservationLineRequest],
    ttl: timedelta | None = None,
    expires: bool = True,
    idempotency_key: str | None = None,
    user=None,
    sales_order=None,
) -> ReservationResult:
    """Hold stock for every line, or for none of them.

    `ttl` defaults to RESERVATION_TTL_MINUTES; `expires=False` holds until committed or
    released. A shortfall raises InsufficientStock listing each short line's requested
    and available quantity. Overdue reservations on the same levels are expired first,
    under the same locks, so a lapsed checkout never keeps stock from a live buyer.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("A reference is required.", field="reference")
    if len(reference) > 200:
        raise ValidationFailed("The reference must be at most 200 characters.", field="reference")
    if expires:
        ttl = reservation_ttl_default() if ttl is None else ttl
        if ttl <= timedelta(0):
            raise ValidationFailed("The time to live must be positive.", field="ttl_seconds")
    key = idempotency_key_clean(idempotency_key)
    wanted = _clean_lines(lines)

    if key is not None and (replay := _replay_reservation(key, reference=reference, wanted=wanted)) is not None:
        return replay

    refusal = None
    try:
        with transaction.atomic():
            now = timezone.now()
            level_ids_by_key, locked, overdue, overdue_lines = _lock_levels(wanted, now=now)

            if key is not None and (replay := _replay_reservation(key, reference=reference, wanted=wanted)) is not None:
                return replay
            for reservation in overdue:
                _close(reservation, status=ReservationStatus.EXPIRED, lines=overdue_lines[reservation.pk], now=now)
                for line in overdue_lines[reservation.pk]:
                    locked[line.level_id].reserved -= line.quantity

            shortfalls = []
            for variant, location, quantity in wanted:
                level = locked[level_ids_by_key[(variant.pk, location.pk)]]
                if quantity > level.on_hand - level.reserved:
                    shortfalls.append(_shortfall(variant=variant, location=location, requested=quantity,
                                                 available=level.on_hand - level.reserved))
            if shortfalls:
                # Leave the block normally so the expiries above are kept; nothing is held.
                refusal = _insufficient(shortfalls)
            else:
                reservation = Reservation(
                    reference=reference,
                    status=ReservationStatus.ACTIVE,
                    expires_at=now + ttl if expires else None,
                    idempotency_key=key,
                    sales_order=sales_order,
                    user=user if getattr(user, "is_authenticated", False) else None,
                )
                _reservation_insert(reservation, [
                    ReservationLine(level_id=level_ids_by_key[(variant.pk, location.pk)], variant=variant,
                                    location=location, quantity=quantity)
                    for variant, location, quantity in wanted
                ], now=now)
    except IntegrityError:
        # Lost a race on the same idempotency key: answer with the winner's reservation.
        if key is None or (replay := _replay_reservation(key, reference=reference, wanted=wanted)) is None:
            raise
        return replay
    if refusal is not None:
        raise refusal
    return ReservationResult(reservation=reservation)


# --- commit, release, expire ----------------------------------------------

def _lock_reservation(reservation_id: int) -> Reservation:
    return Reservation.objects.select_for_update(of=("self",)).get(pk=reservation_id)


def reservation_commit(*, reservation: Reservation, user=None, reacquire: bool = False) -> ReservationResult:
    """Sell what the reservation holds: reserved and on_hand down, one SALE movement per line.

    Committing twice returns the first result. With `reacquire`, a reservation that was
    released or expired is sold from what is available now, all lines or none
    (InsufficientStock otherwise) — a payment that arrived after the hold lapsed.
    """
    with transaction.atomic():
        reservation = _lock_reservation(reservation.pk)
        if reservation.status == ReservationStatus.COMMITTED:
            return ReservationResult(reservation=reservation, replayed=True)
        held = reservation.status == ReservationStatus.ACTIVE
        if not held and not reacquire:
            raise IllegalTransition(
                f"Reservation {reservation.pk} is {reservation.get_status_display().lower()}: "
                "only an active reservation can be committed."
            )
        lines = list(reservation.lines.select_related("variant", "location"))
        entries = [
            Entry(variant_id=line.variant_id, location_id=line.location_id, sku=line.variant.sku,
                  location_code=line.location.code, location_active=True, type=MovementType.SALE,
                  delta=-line.quantity, reserved_delta=-line.quantity if held else 0,
                  reason=f"Sale {reservation.reference}"[:200], reference=reservation.reference[:100],
                  sales_order_id=reservation.sales_order_id, reservation_id=reservation.pk)
            for line in lines
        ]
        ledger_post(entries, user=user, errors="lines")
        reservation.status = ReservationStatus.COMMITTED
        reservation.closed_at = timezone.now()
        reservation.save(update_fields=["status", "closed_at", "updated_at"])
    return ReservationResult(reservation=reservation)


def reservation_release(*, reservation: Reservation) -> ReservationResult:
    """Give the held stock back. Releasing a released or expired reservation changes nothing."""
    with transaction.atomic():
        reservation = _lock_reservation(reservation.pk)
        if reservation.status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
            return ReservationResult(reservation=reservation, replayed=True)
        if reservation.status == ReservationStatus.COMMITTED:
            raise IllegalTransition(f"Reservation {reservation.pk} is committed: its stock is sold and cannot be released.")
        lines = list(reservation.lines.all())
        stock_levels_lock(ids=[line.level_id for line in lines])
        _close(reservation, status=ReservationStatus.RELEASED, lines=lines, now=timezone.now())
    return ReservationResult(reservation=reservation)


def reservations_expire_due(*, now=None, batch_size: int = EXPIRY_BATCH_SIZE) -> int:
    """Expire every active reservation past its time, in batches; return how many.

    Each batch is its own transaction. Reservations locked by another transaction (a
    commit in progress, another sweep) are skipped, so several sweeps can run at once
    and each reservation is expired exactly once.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Reservation.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(status=ReservationStatus.ACTIVE, expires_at__lte=now)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return total
            lines = _lines_by_reservation([r.pk for r in batch])
            stock_levels_lock(ids=[line.level_id for group in lines.values() for line in group])
            for reservation in batch:
                _close(reservation, status=ReservationStatus.EXPIRED, lines=lines[reservation.pk], now=now)
        total += len(batch)


def reservation_hold(*, reservation: Reservation, expires_at=None) -> Reservation:
    """Change when an active reservation lapses (None: hold until committed or released),
    e.g. while a bank payment Stripe accepted is still clearing."""
    with transaction.atomic():
        reservation = _lock_reservation(reservation.pk)
        if reservation.status != ReservationStatus.ACTIVE:
            raise IllegalTransition(f"Reservation {reservation.pk} is {reservation.get_status_display().lower()}: "
                                    "only an active reservation can be held longer.")
        reservation.expires_at = expires_at
        reservation.save(update_fields=["expires_at", "updated_at"])
    return reservation
