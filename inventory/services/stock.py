"""The only door to stock: every change of on_hand goes through these functions.

Each one runs in one transaction, locks the StockLevel rows it changes with
SELECT ... FOR UPDATE in primary-key order (inventory.locks), moves the counter
with `on_hand = on_hand + delta` and appends one StockMovement per level changed, so that
on_hand always equals the sum of the level's movement deltas.
"""
import functools
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import InsufficientStock, StockMismatch, ValidationFailed
from inventory.locks import stock_level_lock_one, stock_levels_lock
from inventory.models import Location, MovementType, StockLevel, StockMovement, Variant
from inventory.selectors import location_default

DECREASING_TYPES = {MovementType.SALE, MovementType.DAMAGE, MovementType.TRANSFER_OUT}
INCREASING_TYPES = {MovementType.RESTOCK, MovementType.REFUND, MovementType.RETURN, MovementType.TRANSFER_IN}
ADJUSTABLE_TYPES = [t for t in MovementType if t not in (MovementType.TRANSFER_OUT, MovementType.TRANSFER_IN)]


@dataclass(frozen=True)
class StockChange:
    level: StockLevel
    movement: StockMovement
    replayed: bool = False


@dataclass(frozen=True)
class ReceiveLine:
    variant: Variant
    location: Location
    quantity: int


@dataclass(frozen=True)
class StockTransfer:
    from_level: StockLevel
    to_level: StockLevel
    out_movement: StockMovement
    in_movement: StockMovement
    replayed: bool = False


# --- validation -----------------------------------------------------------

def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A reason is required.", field="reason")
    if len(reason) > 200:
        raise ValidationFailed("The reason must be at most 200 characters.", field="reason")
    return reason


def _require_int(value, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("Must be a whole number.", field=field)
    return value


def _check_key(idempotency_key: str | None) -> str | None:
    if idempotency_key is None or idempotency_key == "":
        return None
    if len(idempotency_key) > 200:
        raise ValidationFailed("The idempotency key must be at most 200 characters.", field="idempotency_key")
    return idempotency_key


def _check_active(*, location: Location) -> None:
    if not location.active:
        raise ValidationFailed(f"Location {location.code} is inactive.", field="location")


# --- helpers --------------------------------------------------------------

def stock_level_ensure(*, variant: Variant, location: Location) -> StockLevel:
    """Return the level for variant@location, creating an empty one when missing.

    Safe under concurrency: the insert ignores a conflicting row created meanwhile.
    """
    level = StockLevel.objects.filter(variant=variant, location=location).order_by("pk").first()
    if level is None:
        StockLevel.objects.bulk_create([StockLevel(variant=variant, location=location)], ignore_conflicts=True)
        level = StockLevel.objects.get(variant=variant, location=location)
    return level


def _lock_level(*, variant: Variant, location: Location) -> StockLevel:
    level = stock_level_lock_one(variant_id=variant.pk, location_id=location.pk)
    if level is None:
        stock_level_ensure(variant=variant, location=location)
        level = stock_level_lock_one(variant_id=variant.pk, location_id=location.pk)
    return level


def _replay(idempotency_key: str | None) -> StockMovement | None:
    if idempotency_key is None:
        return None
    return StockMovement.objects.filter(idempotency_key=idempotency_key).select_related("level").first()


def _replay_change(
    movement: StockMovement,
    *,
    variant: Variant,
    location: Location,
    type: str,
    delta: int | None = None,
    counted: int | None = None,
) -> StockChange:
    """The first result for a repeated key; refused when the key was used for a different change."""
    if (
        movement.variant_id != variant.pk
        or movement.location_id != location.pk
        or movement.type != type
        or (delta is not None and movement.delta != delta)
        or (counted is not None and movement.quantity_after != counted)
    ):
        raise StockMismatch(
            "This idempotency key was already used for a different stock change.",
            field="idempotency_key",
        )
    level = StockLevel.objects.get(pk=movement.level_id)
    return StockChange(level=level, movement=movement, replayed=True)


_MOVEMENT_FIELDS = [field for field in StockMovement._meta.concrete_fields if not field.primary_key]


@functools.cache
def _apply_sql(vendor: str) -> tuple[str, str]:
    """The UPDATE that moves a counter and the INSERT that writes its movement, built once
    per database backend (`vendor` is the cache key: quoting differs between backends)."""
    quote = connection.ops.quote_name
    level, movement = quote(StockLevel._meta.db_table), quote(StockMovement._meta.db_table)
    columns = ", ".join(quote(field.column) for field in _MOVEMENT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_MOVEMENT_FIELDS))
    return (
        f'UPDATE {level} SET "on_hand" = ({level}."on_hand" + %s), "reserved" = ({level}."reserved" + %s), '
        f'"updated_at" = %s WHERE {level}."id" = %s',
        f'INSERT INTO {movement} ({columns}) VALUES ({placeholders}) RETURNING {quote("id")}',
    )


def _apply(level: StockLevel, *, delta: int, type: str, reason: str, notes: str, user, idempotency_key: str | None,
           supplier=None, reference: str = "", transfer_id=None, reserved_delta: int = 0, sales_order_id: int | None = None,
           reservation_id: int | None = None, purchase_order_id: int | None = None,
           import_job_id: int | None = None) -> StockMovement:
    """Move the counter and write its movement. The caller holds the level's row lock.

    `reserved_delta` moves `reserved` in the same statement (a committed reservation lowers both).

    The UPDATE and INSERT are sent as plain SQL: they run while the row lock is held, and
    the ORM's statement building cost several times the statements themselves, which on
    a busy SKU is what limits throughput (bench/ledger_hot).
    """
    before = level.on_hand
    now = timezone.now()
    movement = StockMovement(
        level_id=level.pk,
        variant_id=level.variant_id,
        location_id=level.location_id,
        type=type,
        delta=delta,
        quantity_before=before,
        quantity_after=before + delta,
        reason=reason,
        notes=notes or "",
        user=user if getattr(user, "is_authenticated", False) else None,
        supplier=supplier,
        reference=reference or "",
        transfer_id=transfer_id,
        sales_order_id=sales_order_id,
        reservation_id=reservation_id,
        purchase_order_id=purchase_order_id,
        import_job_id=import_job_id,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    values = [field.get_db_prep_save(getattr(movement, field.attname), connection) for field in _MOVEMENT_FIELDS]
    updated_at = StockLevel._meta.get_field("updated_at").get_db_prep_save(now, connection)
    update_sql, insert_sql = _apply_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(update_sql, [delta, reserved_delta, updated_at, level.pk])
        cursor.execute(insert_sql, values)
        movement.pk = cursor.fetchone()[0]
    movement._state.adding = False
    movement._state.db = connection.alias
    level.on_hand = before + delta
    level.reserved += reserved_delta
    level.updated_at = now
    return movement


def _refuse_shortfall(level: StockLevel, *, variant: Variant, location: Location, requested: int) -> None:
    available = level.on_hand - level.reserved
    if requested > available:
        raise InsufficientStock(
            f"Not enough stock of {variant.sku} at {location.code}: {requested} requested, {available} available.",
            details={
                "sku": variant.sku,
                "location": location.code,
                "requested": requested,
                "available": available,
                "on_hand": level.on_hand,
                "reserved": level.reserved,
            },
        )


def _refuse_unexpected(level: StockLevel, *, expected_on_hand: int | None) -> None:
    if expected_on_hand is not None and level.on_hand != expected_on_hand:
        raise StockMismatch(
            f"The level holds {level.on_hand}, not the expected {expected_on_hand}; nothing was changed.",
            details={
                "on_hand": level.on_hand,
                "current_on_hand": level.on_hand,
                "expected_on_hand": expected_on_hand,
            },
        )


# --- services -------------------------------------------------------------

def stock_adjust(
    *,
    variant: Variant,
    location: Location | None = None,
    quantity: int,
    type: str,
    reason: str,
    notes: str = "",
    user=None,
    idempotency_key: str | None = None,
    expected_on_hand: int | None = None,
    supplier=None,
    reference: str = "",
) -> StockChange:
    """Change on_hand by a signed quantity and record it with a movement type and reason."""
    quantity = _require_int(quantity, field="quantity")
    if quantity == 0:
        raise ValidationFailed("The quantity must not be zero.", field="quantity")
    if type not in MovementType.values:
        raise ValidationFailed(f"Unknown movement type {type!r}.", field="type")
    if type in (MovementType.TRANSFER_OUT, MovementType.TRANSFER_IN):
        raise ValidationFailed("Transfers move stock between two locations: use a transfer.", field="type")
    if type in DECREASING_TYPES and quantity > 0:
        raise ValidationFailed(f"A {type} lowers stock: the quantity must be negative.", field="quantity")
    if type in INCREASING_TYPES and quantity < 0:
        raise ValidationFailed(f"A {type} raises stock: the quantity must be positive.", field="quantity")
    if expected_on_hand is not None:
        _require_int(expected_on_hand, field="expected_on_hand")
    reason = _require_reason(reason)
    key = _check_key(idempotency_key)
    location = location or location_default()

    if (movement := _replay(key)) is not None:
        return _replay_change(movement, variant=variant, location=location, type=type, delta=quantity)
    _check_active(location=location)

    try:
        with transaction.atomic():
            level = _lock_level(variant=variant, location=location)
            if (movement := _replay(key)) is not None:
                return _replay_change(movement, variant=variant, location=location, type=type, delta=quantity)
            _refuse_unexpected(level, expected_on_hand=expected_on_hand)
            if quantity < 0:
                _refuse_shortfall(level, variant=variant, location=location, requested=-quantity)
            movement = _apply(level, delta=quantity, type=type, reason=reason, notes=notes, user=user,
                              idempotency_key=key, supplier=supplier, reference=reference)
    except IntegrityError:
        # Lost a race on the same idempotency key: answer with the winner's result.
        if (movement := _replay(key)) is None:
            raise
        return _replay_change(movement, variant=variant, location=location, type=type, delta=quantity)
    return StockChange(level=level, movement=movement)


def stock_count(
    *,
    variant: Variant,
    location: Location | None = None,
    counted: int,
    reason: str,
    notes: str = "",
    user=None,
    idempotency_key: str | None = None,
    expected_on_hand: int | None = None,
) -> StockChange:
    """Set on_hand to a counted quantity; the difference is written as a COUNT movement.

    A count that matches still writes a movement (delta 0), so the history shows when
    the shelf was last counted.
    """
    counted = _require_int(counted, field="counted")
    if counted < 0:
        raise ValidationFailed("A counted quantity cannot be negative.", field="counted")
    if expected_on_hand is not None:
        _require_int(expected_on_hand, field="expected_on_hand")
    reason = _require_reason(reason)
    key = _check_key(idempotency_key)
    location = location or location_default()

    if (movement := _replay(key)) is not None:
        return _replay_change(movement, variant=variant, location=location, type=MovementType.COUNT, counted=counted)
    _check_active(location=location)

    try:
        with transaction.atomic():
            level = _lock_level(variant=variant, location=location)
            if (movement := _replay(key)) is not None:
                return _replay_change(movement, variant=variant, location=location, type=MovementType.COUNT, counted=counted)
            _refuse_unexpected(level, expected_on_hand=expected_on_hand)
            if counted < level.reserved:
                raise InsufficientStock(
                    f"{variant.sku} at {location.code} has {level.reserved} units reserved for open orders; "
                    f"a count of {counted} is below that. Release reservations first.",
                    details={"sku": variant.sku, "location": location.code, "counted": counted, "reserved": level.reserved,
                             "requested": level.on_hand - counted, "available": level.on_hand - level.reserved},
                )
            movement = _apply(level, delta=counted - level.on_hand, type=MovementType.COUNT, reason=reason, notes=notes,
                              user=user, idempotency_key=key)
    except IntegrityError:
        if (movement := _replay(key)) is None:
            raise
        return _replay_change(movement, variant=variant, location=location, type=MovementType.COUNT, counted=counted)
    return StockChange(level=level, movement=movement)


def _transfer_replay(
    movement: StockMovement, *, variant: Variant, from_location: Location, to_location: Location, quantity: int
) -> StockTransfer:
    if movement.transfer_id is None:
        # The key belongs to an adjustment or a count (filtering on transfer_id=None would load them all).
        raise StockMismatch("This idempotency key was already used for a different stock change.", field="idempotency_key")
    pair = {m.type: m for m in StockMovement.objects.filter(transfer_id=movement.transfer_id)}
    out_movement, in_movement = pair.get(MovementType.TRANSFER_OUT), pair.get(MovementType.TRANSFER_IN)
    if (
        out_movement is None
        or in_movement is None
        or out_movement.variant_id != variant.pk
        or out_movement.location_id != from_location.pk
        or in_movement.location_id != to_location.pk
        or out_movement.delta != -quantity
    ):
        raise StockMismatch("This idempotency key was already used for a different stock change.", field="idempotency_key")
    return StockTransfer(
        from_level=StockLevel.objects.get(pk=out_movement.level_id),
        to_level=StockLevel.objects.get(pk=in_movement.level_id),
        out_movement=out_movement,
        in_movement=in_movement,
        replayed=True,
    )


def stock_transfer(
    *,
    variant: Variant,
    from_location: Location,
    to_location: Location,
    quantity: int,
    reason: str,
    notes: str = "",
    user=None,
    idempotency_key: str | None = None,
) -> StockTransfer:
    """Move units between two locations: TRANSFER_OUT and TRANSFER_IN in one transaction."""
    quantity = _require_int(quantity, field="quantity")
    if quantity <= 0:
        raise ValidationFailed("The quantity to transfer must be positive.", field="quantity")
    if from_location.pk == to_location.pk:
        raise ValidationFailed("Source and destination must be different locations.", field="to_location")
    reason = _require_reason(reason)
    key = _check_key(idempotency_key)

    if (movement := _replay(key)) is not None:
        return _transfer_replay(movement, variant=variant, from_location=from_location, to_location=to_location,
                                quantity=quantity)
    if not from_location.active:
        raise ValidationFailed(f"Location {from_location.code} is inactive.", field="from_location")
    if not to_location.active:
        raise ValidationFailed(f"Location {to_location.code} is inactive.", field="to_location")

    try:
        with transaction.atomic():
            # Missing levels are created in location order: two transfers creating the same two
            # levels in opposite directions would otherwise wait on each other's inserts.
            ensured = {
                loc.pk: stock_level_ensure(variant=variant, location=loc)
                for loc in sorted((from_location, to_location), key=lambda loc: loc.pk)
            }
            source, target = ensured[from_location.pk], ensured[to_location.pk]
            locked = stock_levels_lock(ids=[source.pk, target.pk])
            source, target = locked[source.pk], locked[target.pk]
            if (movement := _replay(key)) is not None:
                return _transfer_replay(movement, variant=variant, from_location=from_location, to_location=to_location,
                                        quantity=quantity)
            _refuse_shortfall(source, variant=variant, location=from_location, requested=quantity)
            transfer_id = uuid.uuid4()
            out_movement = _apply(source, delta=-quantity, type=MovementType.TRANSFER_OUT, reason=reason, notes=notes,
                                  user=user, idempotency_key=key, reference=to_location.code, transfer_id=transfer_id)
            in_movement = _apply(target, delta=quantity, type=MovementType.TRANSFER_IN, reason=reason, notes=notes,
                                 user=user, idempotency_key=None, reference=from_location.code, transfer_id=transfer_id)
    except IntegrityError:
        if (movement := _replay(key)) is None:
            raise
        return _transfer_replay(movement, variant=variant, from_location=from_location, to_location=to_location,
                                quantity=quantity)
    return StockTransfer(from_level=source, to_level=target, out_movement=out_movement, in_movement=in_movement)




def stock_receive(
    *,
    lines: list[ReceiveLine],
    reason: str,
    supplier=None,
    purchase_order=None,
    notes: str = "",
    user=None,
    reference: str = "",
) -> list[StockMovement]:
    """Goods in: raise on_hand for every line with a RESTOCK movement, all lines or none.

    The movements link to the supplier and purchase order. Every level is locked (in pk
    order) before the first is changed; call it inside the caller's transaction to make
    the receipt and its stock one unit. Returns one movement per line, in line order.
    """
    reason = _require_reason(reason)
    if not lines:
        raise ValidationFailed("Nothing to receive.", field="lines")
    for index, line in enumerate(lines, start=1):
        quantity = _require_int(line.quantity, field="quantity")
        if quantity <= 0:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity must be positive.", field="lines")
        if not line.location.active:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): location {line.location.code} is inactive.",
                                   field="lines")
    with transaction.atomic():
        # Levels are created in (variant, location) order so two receivers never wait on each other.
        ids = {}
        for line in sorted(lines, key=lambda item: (item.variant.pk, item.location.pk)):
            key = (line.variant.pk, line.location.pk)
            if key not in ids:
                ids[key] = stock_level_ensure(variant=line.variant, location=line.location).pk
        locked = stock_levels_lock(ids=ids.values())
        return [
            _apply(locked[ids[(line.variant.pk, line.location.pk)]], delta=line.quantity, type=MovementType.RESTOCK,
                   reason=reason, notes=notes, user=user, idempotency_key=None, supplier=supplier,
                   reference=reference[:100], purchase_order_id=getattr(purchase_order, "pk", None))
            for line in lines
        ]
