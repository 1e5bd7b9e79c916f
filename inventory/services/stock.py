"""Stock changes people make: adjust, count, transfer, receive, and put sold units back.

Each service checks what is its own to check (which movement types it takes, a default
location), builds ledger entries and posts them (inventory.ledger): one transaction, levels
locked in primary-key order, every change written with its movement.
"""
import uuid
from dataclasses import dataclass

from core.exceptions import ValidationFailed
from inventory.ledger import (
    ADJUSTABLE_TYPES,
    DECREASING_TYPES,
    INCREASING_TYPES,
    TRANSFER_TYPES,
    entry_at,
    ledger_post,
    reason_clean,
    stock_level_ensure,
    whole_number,
)
from inventory.models import Location, MovementType, StockLevel, StockMovement, Variant
from inventory.selectors import location_default

__all__ = [
    "ADJUSTABLE_TYPES", "DECREASING_TYPES", "INCREASING_TYPES", "ReceiveLine", "ReturnLine", "StockChange",
    "StockTransfer", "stock_adjust", "stock_count", "stock_level_ensure", "stock_receive", "stock_return",
    "stock_transfer",
]

RETURN_TYPES = (MovementType.REFUND, MovementType.RETURN)


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
class ReturnLine:
    """Units of a sold line coming back to the shelf (None location: the default one)."""

    variant: Variant
    location: Location | None
    quantity: int


@dataclass(frozen=True)
class StockTransfer:
    from_level: StockLevel
    to_level: StockLevel
    out_movement: StockMovement
    in_movement: StockMovement
    replayed: bool = False


def _one_change(posting) -> StockChange:
    [movement] = posting.movements
    return StockChange(level=posting.level_of(movement), movement=movement, replayed=posting.replayed)


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
    if type in TRANSFER_TYPES:
        raise ValidationFailed("Transfers move stock between two locations: use a transfer.", field="type")
    if expected_on_hand is not None:
        whole_number(expected_on_hand, field="expected_on_hand")
    location = location or location_default()
    entry = entry_at(variant, location, type=type, delta=quantity, reason=(reason or "").strip(), notes=notes,
                     expected_on_hand=expected_on_hand, supplier_id=getattr(supplier, "pk", None),
                     reference=reference)
    return _one_change(ledger_post([entry], user=user, idempotency_key=idempotency_key))


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
    the shelf was last counted. A count below what is reserved is refused (InsufficientStock).
    """
    if expected_on_hand is not None:
        whole_number(expected_on_hand, field="expected_on_hand")
    location = location or location_default()
    entry = entry_at(variant, location, type=MovementType.COUNT, counted=counted, reason=(reason or "").strip(),
                     notes=notes, expected_on_hand=expected_on_hand)
    return _one_change(ledger_post([entry], user=user, idempotency_key=idempotency_key))


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
    quantity = whole_number(quantity, field="quantity")
    if quantity <= 0:
        raise ValidationFailed("The quantity to transfer must be positive.", field="quantity")
    if from_location.pk == to_location.pk:
        raise ValidationFailed("Source and destination must be different locations.", field="to_location")
    reason = reason_clean(reason)
    transfer_id = uuid.uuid4()
    common = {"reason": reason, "notes": notes, "transfer_id": transfer_id}
    entries = [
        entry_at(variant, from_location, type=MovementType.TRANSFER_OUT, delta=-quantity,
                 reference=to_location.code, location_field="from_location", **common),
        entry_at(variant, to_location, type=MovementType.TRANSFER_IN, delta=quantity,
                 reference=from_location.code, location_field="to_location", **common),
    ]
    posting = ledger_post(entries, user=user, idempotency_key=idempotency_key, errors="field")
    out_movement, in_movement = posting.movements
    return StockTransfer(from_level=posting.level_of(out_movement), to_level=posting.level_of(in_movement),
                         out_movement=out_movement, in_movement=in_movement, replayed=posting.replayed)


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

    The movements link to the supplier and purchase order. Call it inside the caller's
    transaction to make the receipt and its stock one unit. Returns one movement per line,
    in line order.
    """
    reason = reason_clean(reason)
    if not lines:
        raise ValidationFailed("Nothing to receive.", field="lines")
    for index, line in enumerate(lines, start=1):
        quantity = whole_number(line.quantity, field="quantity")
        if quantity <= 0:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity must be positive.", field="lines")
        if not line.location.active:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): location {line.location.code} is inactive.",
                                   field="lines")
    entries = [
        entry_at(line.variant, line.location, type=MovementType.RESTOCK, delta=line.quantity, reason=reason,
                 notes=notes, supplier_id=getattr(supplier, "pk", None), reference=reference[:100],
                 purchase_order_id=getattr(purchase_order, "pk", None), line=index)
        for index, line in enumerate(lines, start=1)
    ]
    return ledger_post(entries, user=user).movements


def stock_return(
    *,
    lines: list[ReturnLine],
    type: str,
    reason: str,
    user=None,
    reference: str = "",
    sales_order=None,
) -> list[StockMovement]:
    """Sold units back on the shelf: a REFUND (never shipped) or RETURN (came back) movement
    per line, all lines or none; lines without a location go to the default one. Call it
    inside the caller's transaction (holding the order's lock) to make the refund or return
    and its stock one unit. Returns one movement per line, in line order.
    """
    if type not in RETURN_TYPES:
        raise ValidationFailed(f"Sold units come back as {' or '.join(RETURN_TYPES)}, not {type!r}.", field="type")
    reason = reason_clean(reason)
    if not lines:
        raise ValidationFailed("Nothing to put back.", field="lines")
    default = None
    entries = []
    for index, line in enumerate(lines, start=1):
        location = line.location
        if location is None:
            default = default or location_default()
            location = default
        entries.append(entry_at(line.variant, location, type=type, delta=line.quantity, reason=reason,
                                reference=reference[:100], sales_order_id=getattr(sales_order, "pk", None),
                                line=index))
    return ledger_post(entries, user=user).movements
