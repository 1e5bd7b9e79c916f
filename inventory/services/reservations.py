"""Reservations: stock held for a checkout or an order.

A reservation raises `reserved` on each of its lines' levels; committing it lowers both
`reserved` and `on_hand` and writes one SALE movement per line; releasing or expiring
it lowers `reserved` again.

Lock order, everywhere: the reservation rows first (by pk), then the stock levels (by
pk, inventory.locks). The expiry sweep skips reservations another transaction holds, so
it never waits on them; everything else waits. One global order means no deadlocks.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import IllegalTransition, InsufficientStock, StockMismatch, ValidationFailed
from inventory.locks import stock_levels_lock
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
from inventory.services.stock import _apply, _check_key, _require_int, stock_level_ensure

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
        quantity = _require_int(line.quantity, field="quantity")
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


def _insufficient(shortfalls: list[dict]) -> InsufficientStock:
    parts = "; ".join(f"{s['sku']}: {s['requested']} requested, {s['available']} available" for s in shortfalls)
    return InsufficientStock(f"Not enough stock to reserve: {parts}. Nothing was reserved.", details={"lines": shortfalls})


# --- closing (release, expiry) --------------------------------------------

def _close(reservation: Reservation, *, status: str, lines: list[ReservationLine], now) -> None:
    """Give the reservation's held units back. The caller holds the reservation's and levels' locks."""
    for line in lines:
        StockLevel.objects.filter(pk=line.level_id).update(reserved=F("reserved") - line.quantity, updated_at=now)
    reservation.status = status
    reservation.closed_at = now
    reservation.save(update_fields=["status", "closed_at", "updated_at"])


def _lines_by_reservation(reservation_ids: list[int]) -> dict[int, list[ReservationLine]]:
    grouped: dict[int, list[ReservationLine]] = {pk: [] for pk in reservation_ids}
    for line in ReservationLine.objects.filter(reservation_id__in=reservation_ids).order_by("id"):
        grouped[line.reservation_id].append(line)
    return grouped


# --- create ---------------------------------------------------------------

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
    key = _check_key(idempotency_key)
    wanted = _clean_lines(lines)

    if key is not None and (replay := _replay_reservation(key, reference=reference, wanted=wanted)) is not None:
        return replay

    refusal = None
    try:
        with transaction.atomic():
            now = timezone.now()
            # Levels are created in (variant, location) order so two creators never wait on each other.
            levels = {
                (variant.pk, location.pk): stock_level_ensure(variant=variant, location=location)
                for variant, location, _ in sorted(wanted, key=lambda item: (item[0].pk, item[1].pk))
            }
            level_ids = [level.pk for level in levels.values()]
            overdue_ids = sorted(set(
                Reservation.objects.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now, lines__level_id__in=level_ids)
                .values_list("pk", flat=True)
            ))
            overdue = []
            overdue_lines: dict[int, list[ReservationLine]] = {}
            if overdue_ids:
                overdue = list(
                    Reservation.objects.select_for_update(of=("self",))
                    .filter(pk__in=overdue_ids, status=ReservationStatus.ACTIVE).order_by("pk")
                )
                overdue_lines = _lines_by_reservation([r.pk for r in overdue])
            extra_ids = [line.level_id for group in overdue_lines.values() for line in group]
            locked = stock_levels_lock(ids=level_ids + extra_ids)

            if key is not None and (replay := _replay_reservation(key, reference=reference, wanted=wanted)) is not None:
                return replay
            for reservation in overdue:
                _close(reservation, status=ReservationStatus.EXPIRED, lines=overdue_lines[reservation.pk], now=now)
                for line in overdue_lines[reservation.pk]:
                    locked[line.level_id].reserved -= line.quantity

            shortfalls = []
            for variant, location, quantity in wanted:
                level = locked[levels[(variant.pk, location.pk)].pk]
                if quantity > level.on_hand - level.reserved:
                    shortfalls.append(_shortfall(variant=variant, location=location, requested=quantity,
                                                 available=level.on_hand - level.reserved))
            if shortfalls:
                # Leave the block normally so the expiries above are kept; nothing is held.
                refusal = _insufficient(shortfalls)
            else:
                reservation = Reservation.objects.create(
                    reference=reference,
                    status=ReservationStatus.ACTIVE,
                    expires_at=now + ttl if expires else None,
                    idempotency_key=key,
                    sales_order=sales_order,
                    user=user if getattr(user, "is_authenticated", False) else None,
                )
                ReservationLine.objects.bulk_create([
                    ReservationLine(reservation=reservation, level_id=levels[(variant.pk, location.pk)].pk,
                                    variant=variant, location=location, quantity=quantity)
                    for variant, location, quantity in wanted
                ])
                for variant, location, quantity in wanted:
                    level_id = levels[(variant.pk, location.pk)].pk
                    StockLevel.objects.filter(pk=level_id).update(reserved=F("reserved") + quantity, updated_at=now)
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
        locked = stock_levels_lock(ids=[line.level_id for line in lines])
        if not held:
            shortfalls = [
                _shortfall(variant=line.variant, location=line.location, requested=line.quantity,
                           available=locked[line.level_id].available)
                for line in lines if line.quantity > locked[line.level_id].available
            ]
            if shortfalls:
                raise _insufficient(shortfalls)
        for line in lines:
            _apply(
                locked[line.level_id],
                delta=-line.quantity,
                reserved_delta=-line.quantity if held else 0,
                type=MovementType.SALE,
                reason=f"Sale {reservation.reference}",
                notes="",
                user=user,
                idempotency_key=None,
                reference=reservation.reference[:100],
                sales_order_id=reservation.sales_order_id,
                reservation_id=reservation.pk,
            )
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
