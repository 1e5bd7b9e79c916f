"""Every statement that changes a stock level or inserts a movement. The callers (the rest of
inventory.ledger) hold the levels' row locks.

The statements are plain SQL built once per database backend: they run while a row lock is
held, and the ORM's statement building cost several times the statements themselves, which on
a busy SKU is what limits throughput (bench/ledger_hot, bench/reservations reserve_hot).
"""
import functools

from django.db import connection
from django.db.models import F
from django.utils import timezone

from inventory.ledger.entries import Entry
from inventory.models import StockLevel, StockMovement

_MOVEMENT_FIELDS = [field for field in StockMovement._meta.concrete_fields if not field.primary_key]


@functools.cache
def _sql(vendor: str) -> dict[str, str]:
    """`vendor` is the cache key: quoting differs between backends."""
    quote = connection.ops.quote_name
    level, movement = quote(StockLevel._meta.db_table), quote(StockMovement._meta.db_table)
    columns = ", ".join(quote(field.column) for field in _MOVEMENT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_MOVEMENT_FIELDS))
    return {
        "move": f'UPDATE {level} SET "on_hand" = ({level}."on_hand" + %s), "reserved" = ({level}."reserved" + %s), '
                f'"updated_at" = %s WHERE {level}."id" = %s',
        "movement": f'INSERT INTO {movement} ({columns}) VALUES ({placeholders}) RETURNING {quote("id")}',
        "hold": f'UPDATE {level} SET "reserved" = ({level}."reserved" + %s), "updated_at" = %s WHERE {level}."id" = %s',
    }


def _datetime(value):
    return StockLevel._meta.get_field("updated_at").get_db_prep_save(value, connection)


def movement_write(level: StockLevel, entry: Entry, *, delta: int, user, idempotency_key: str | None) -> StockMovement:
    """Move the level's counters by `delta` (and the entry's reserved_delta) and insert the
    movement that records it; `level` is updated in memory to match."""
    before = level.on_hand
    now = timezone.now()
    movement = StockMovement(
        level_id=level.pk,
        variant_id=level.variant_id,
        location_id=level.location_id,
        type=entry.type,
        delta=delta,
        quantity_before=before,
        quantity_after=before + delta,
        reason=entry.reason,
        notes=entry.notes or "",
        user=user if getattr(user, "is_authenticated", False) else None,
        supplier_id=entry.supplier_id,
        reference=entry.reference or "",
        transfer_id=entry.transfer_id,
        sales_order_id=entry.sales_order_id,
        reservation_id=entry.reservation_id,
        purchase_order_id=entry.purchase_order_id,
        import_job_id=entry.import_job_id,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    values = [field.get_db_prep_save(getattr(movement, field.attname), connection) for field in _MOVEMENT_FIELDS]
    statements = _sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statements["move"], [delta, entry.reserved_delta, _datetime(now), level.pk])
        cursor.execute(statements["movement"], values)
        movement.pk = cursor.fetchone()[0]
    movement._state.adding = False
    movement._state.db = connection.alias
    level.on_hand = before + delta
    level.reserved += entry.reserved_delta
    level.updated_at = now
    return movement


def holds_raise(holds: list[tuple[int, int]], *, now) -> None:
    """Raise `reserved` by each (level_id, quantity). The caller holds the levels' locks and has
    checked that every level has the units free."""
    statement = _sql(connection.vendor)["hold"]
    updated_at = _datetime(now)
    with connection.cursor() as cursor:
        for level_id, quantity in holds:
            cursor.execute(statement, [quantity, updated_at, level_id])


def holds_lower(holds: list[tuple[int, int]], *, now) -> None:
    """Give held units back: lower `reserved` by each (level_id, quantity). The caller holds the
    levels' locks."""
    for level_id, quantity in holds:
        StockLevel.objects.filter(pk=level_id).update(reserved=F("reserved") - quantity, updated_at=now)


def level_settings_write(level: StockLevel, **values) -> None:
    """Save settings of a locked level that are not stock (threshold, reorder quantity)."""
    for name, value in values.items():
        setattr(level, name, value)
    level.save(update_fields=[*values, "updated_at"])
