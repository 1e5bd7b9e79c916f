"""Many stock changes at once: every line applied in one transaction, or none.

Each line is checked like `stock_adjust` checks one change (a whole, non-zero quantity,
the sign its movement type implies, a reason, an active location, not below zero or
below what is reserved); every bad line is reported in one ValidationFailed, so the
user can fix the whole list at once. Lines on the same level count one after another.
"""
from dataclasses import dataclass

from django.db import transaction

from core.exceptions import ApplicationError, ValidationFailed
from inventory.locks import stock_levels_lock
from inventory.models import Location, MovementType, StockLevel, StockMovement, Variant
from inventory.selectors import location_default
from inventory.services.stock import DECREASING_TYPES, INCREASING_TYPES, _apply, stock_level_ensure

MAX_BULK_LINES = 500
MAX_BULK_QUANTITY = 1_000_000_000
BULK_TYPES = [t for t in MovementType if t not in (MovementType.TRANSFER_OUT, MovementType.TRANSFER_IN)]


@dataclass(frozen=True)
class BulkLine:
    variant: Variant
    location: Location | None
    quantity: int
    type: str
    reason: str
    notes: str = ""


@dataclass(frozen=True)
class BulkResult:
    line: int
    variant: Variant
    location: Location
    type: str
    quantity: int
    before: int
    after: int
    reserved: int
    movement: StockMovement | None = None


def _line_problem(line: BulkLine) -> str | None:
    """What is wrong with a line on its own (before looking at stock), or None."""
    quantity = line.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "The change must be a whole number."
    if quantity == 0:
        return "The change must not be zero."
    if abs(quantity) > MAX_BULK_QUANTITY:
        return f"The change must be between -{MAX_BULK_QUANTITY:,} and {MAX_BULK_QUANTITY:,}."
    if line.type not in BULK_TYPES:
        return f"Unknown or unsupported movement type {line.type!r}."
    if line.type in DECREASING_TYPES and quantity > 0:
        return f"A {line.type} lowers stock: the change must be negative."
    if line.type in INCREASING_TYPES and quantity < 0:
        return f"A {line.type} raises stock: the change must be positive."
    reason = (line.reason or "").strip()
    if not reason:
        return "A reason is required."
    if len(reason) > 200:
        return "The reason must be at most 200 characters."
    if line.location is not None and not line.location.active:
        return f"Location {line.location.code} is inactive."
    return None


def _problem(number: int, line: BulkLine, message: str) -> dict:
    return {"line": number, "sku": line.variant.sku, "message": message}


def _refuse(problems: list[dict], *, preview: list[dict] | None = None) -> None:
    count = len(problems)
    noun = "line has a problem" if count == 1 else "lines have problems"
    details: dict = {"lines": sorted(problems, key=lambda item: item["line"])}
    if preview is not None:
        details["preview"] = preview
    raise ValidationFailed(f"{count} {noun}: nothing was changed.", details=details)


def stock_adjust_bulk(
    *,
    lines: list[BulkLine],
    user=None,
    import_job=None,
    dry_run: bool = False,
) -> list[BulkResult]:
    """Apply every line's signed change, all in one transaction or none.

    Levels are created where missing and locked together in primary-key order before
    the first change. With `dry_run` nothing is written: the results show each line's
    before and after as they would be. Lines are numbered from 1 in the order given;
    a refusal lists every bad line in `details["lines"]` (a dry run also gives the
    computed lines in `details["preview"]`).
    """
    lines = list(lines)
    if not lines:
        raise ValidationFailed("Nothing to update: add at least one line.", field="lines")
    if len(lines) > MAX_BULK_LINES:
        raise ValidationFailed(
            f"At most {MAX_BULK_LINES} lines at once ({len(lines)} given): split the update.", field="lines"
        )

    problems: list[dict] = []
    default = None
    resolved: list[tuple[int, BulkLine, Location]] = []
    for number, line in enumerate(lines, start=1):
        if (message := _line_problem(line)) is not None:
            problems.append(_problem(number, line, message))
            continue
        location = line.location
        if location is None:
            if default is None:
                try:
                    default = location_default()
                except ApplicationError as exc:
                    problems.append(_problem(number, line, exc.message))
                    continue
            if not default.active:
                problems.append(_problem(number, line, f"Location {default.code} is inactive."))
                continue
            location = default
        resolved.append((number, line, location))

    if dry_run:
        return _preview(resolved, problems)

    with transaction.atomic():
        # Missing levels are created in (variant, location) order, then all are locked at once in pk order.
        ids: dict[tuple[int, int], int] = {}
        for _, line, location in sorted(resolved, key=lambda item: (item[1].variant.pk, item[2].pk)):
            key = (line.variant.pk, location.pk)
            if key not in ids:
                ids[key] = stock_level_ensure(variant=line.variant, location=location).pk
        locked = stock_levels_lock(ids=ids.values()) if ids else {}
        planned = _plan(resolved, {key: locked[pk] for key, pk in ids.items()}, problems)
        if problems:
            _refuse(problems)
        results = []
        for number, line, location, before, after, level in planned:
            movement = _apply(level, delta=line.quantity, type=line.type, reason=line.reason.strip(),
                              notes=line.notes, user=user, idempotency_key=None,
                              import_job_id=getattr(import_job, "pk", None))
            results.append(BulkResult(line=number, variant=line.variant, location=location, type=line.type,
                                      quantity=line.quantity, before=movement.quantity_before,
                                      after=movement.quantity_after, reserved=level.reserved, movement=movement))
        return results


def _plan(resolved, levels: dict[tuple[int, int], StockLevel | None], problems: list[dict]) -> list[tuple]:
    """Walk the lines in order with a running on_hand per level; note lines that would go
    below zero or below the reserved units."""
    running = {key: (level.on_hand if level else 0, level.reserved if level else 0) for key, level in levels.items()}
    planned = []
    for number, line, location in resolved:
        key = (line.variant.pk, location.pk)
        on_hand, reserved = running[key]
        after = on_hand + line.quantity
        if after < 0:
            problems.append(_problem(
                number, line,
                f"Not enough stock at {location.code}: {on_hand} on hand, a change of {line.quantity} "
                f"would go below zero.",
            ))
        elif after < reserved:
            problems.append(_problem(
                number, line,
                f"Not enough stock at {location.code}: {on_hand} on hand with {reserved} reserved for open "
                f"orders; a change of {line.quantity} would leave {after}.",
            ))
        else:
            running[key] = (after, reserved)
        planned.append((number, line, location, on_hand, after, levels[key]))
    return planned


def _preview(resolved, problems: list[dict]) -> list[BulkResult]:
    pairs = {(line.variant.pk, location.pk) for _, line, location in resolved}
    levels: dict[tuple[int, int], StockLevel | None] = dict.fromkeys(pairs)
    if pairs:
        variant_ids = {variant_id for variant_id, _ in pairs}
        location_ids = {location_id for _, location_id in pairs}
        for level in StockLevel.objects.filter(variant_id__in=variant_ids, location_id__in=location_ids):
            key = (level.variant_id, level.location_id)
            if key in levels:
                levels[key] = level
    planned = _plan(resolved, levels, problems)
    results = [
        BulkResult(line=number, variant=line.variant, location=location, type=line.type, quantity=line.quantity,
                   before=before, after=after, reserved=level.reserved if level else 0)
        for number, line, location, before, after, level in planned
    ]
    if problems:
        _refuse(problems, preview=[
            {"line": r.line, "sku": r.variant.sku, "location": r.location.code, "type": r.type,
             "quantity": r.quantity, "before": r.before, "after": r.after}
            for r in results
        ])
    return results
