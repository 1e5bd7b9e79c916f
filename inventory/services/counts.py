"""Many stock counts (or signed changes) at once, e.g. from an imported count sheet.

Like every stock change this goes through the ledger: the levels are locked in
primary-key order (inventory.locks), each line moves its level with `_apply` and writes
one movement (COUNT for a counted quantity, the line's type for a change), all lines in
one transaction or none. Every bad line is reported in one ValidationFailed whose
details list them: {"lines": [{"line": n, "sku": ..., "column": ..., "message": ...}]}.
"""
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from core.exceptions import ValidationFailed
from inventory.locks import stock_levels_lock
from inventory.models import Location, MovementType, StockLevel, StockMovement
from inventory.services.stock import DECREASING_TYPES, INCREASING_TYPES, _apply

COUNT_CHANGE_TYPES = (MovementType.ADJUSTMENT, MovementType.DAMAGE, MovementType.RESTOCK, MovementType.RETURN)
MAX_QUANTITY = 1_000_000_000


@dataclass(frozen=True)
class CountLine:
    """One line: `counted` sets on_hand (a COUNT movement), `change` moves it by a signed
    quantity (a movement of `type`). Exactly one of the two is given. `line` numbers the
    line in the caller's terms (the import's row)."""

    line: int
    variant_id: int
    location_id: int
    sku: str
    reason: str
    counted: int | None = None
    change: int | None = None
    type: str = MovementType.ADJUSTMENT
    notes: str = ""


@dataclass(frozen=True)
class CountResult:
    line: int
    level_id: int
    before: int
    after: int
    movement: StockMovement


def count_line_problem(line: CountLine) -> tuple[str, str] | None:
    """(column, message) for what is wrong with a line on its own, or None."""
    if (line.counted is None) == (line.change is None):
        return "counted", "Give either a counted quantity or a change, not both and not neither."
    if line.counted is not None:
        if isinstance(line.counted, bool) or not isinstance(line.counted, int):
            return "counted", "Must be a whole number."
        if not 0 <= line.counted <= MAX_QUANTITY:
            return "counted", f"Must be between 0 and {MAX_QUANTITY:,}."
    else:
        if isinstance(line.change, bool) or not isinstance(line.change, int):
            return "change", "Must be a whole number."
        if line.change == 0:
            return "change", "Must not be zero."
        if abs(line.change) > MAX_QUANTITY:
            return "change", f"Must be between -{MAX_QUANTITY:,} and {MAX_QUANTITY:,}."
        if line.type not in COUNT_CHANGE_TYPES:
            return "type", f"Must be one of {', '.join(COUNT_CHANGE_TYPES)}."
        if line.type in DECREASING_TYPES and line.change > 0:
            return "change", f"A {line.type} lowers stock: the change must be negative."
        if line.type in INCREASING_TYPES and line.change < 0:
            return "change", f"A {line.type} raises stock: the change must be positive."
    reason = (line.reason or "").strip()
    if not reason:
        return "reason", "A reason is required."
    if len(reason) > 200:
        return "reason", "At most 200 characters."
    return None


def stock_count_bulk(*, lines: list[CountLine], user=None, import_job_id: int | None = None) -> list[CountResult]:
    """Apply every line through the ledger in one transaction, or none (ValidationFailed)."""
    problems = []
    for line in lines:
        problem = count_line_problem(line)
        if problem is not None:
            problems.append({"line": line.line, "sku": line.sku, "column": problem[0], "message": problem[1]})
    inactive = set(Location.objects.filter(pk__in={line.location_id for line in lines}, active=False)
                   .values_list("pk", flat=True))
    for line in lines:
        if line.location_id in inactive:
            problems.append({"line": line.line, "sku": line.sku, "column": "location", "message": "The location is inactive."})
    if problems:
        _refuse(problems)
    if not lines:
        return []

    with transaction.atomic():
        keys = sorted({(line.variant_id, line.location_id) for line in lines})
        ids = _level_ids(keys)
        missing = [key for key in keys if key not in ids]
        if missing:
            StockLevel.objects.bulk_create([StockLevel(variant_id=v, location_id=loc) for v, loc in missing],
                                           ignore_conflicts=True, batch_size=1000)
            ids = _level_ids(keys)
        levels = stock_levels_lock(ids=ids.values())
        plans = []
        for line in lines:
            level = levels[ids[(line.variant_id, line.location_id)]]
            before = level.on_hand if not plans else None  # recomputed below for repeated levels
            plans.append((line, level, before))
        # Check every line against the levels as they will be when it is applied.
        on_hand = {pk: level.on_hand for pk, level in levels.items()}
        deltas = []
        for line, level, _before in plans:
            current = on_hand[level.pk]
            if line.counted is not None:
                after, column = line.counted, "counted"
            else:
                after, column = current + line.change, "change"
            if after < 0:
                problems.append({"line": line.line, "sku": line.sku, "column": column,
                                 "message": f"Would take stock below zero ({current} on hand)."})
            elif after < level.reserved:
                problems.append({"line": line.line, "sku": line.sku, "column": column,
                                 "message": f"{level.reserved} units are reserved for open orders; the stock cannot go "
                                            f"below that (it would be {after})."})
            on_hand[level.pk] = after
            deltas.append(after - current)
        if problems:
            _refuse(problems)
        results = []
        for (line, level, _before), delta in zip(plans, deltas):
            before = level.on_hand
            movement = _apply(
                level, delta=delta, type=MovementType.COUNT if line.counted is not None else line.type,
                reason=line.reason.strip(), notes=line.notes, user=user, idempotency_key=None,
                import_job_id=import_job_id,
            )
            results.append(CountResult(line=line.line, level_id=level.pk, before=before, after=level.on_hand,
                                       movement=movement))
        return results


def _level_ids(keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    variant_ids = sorted({variant_id for variant_id, _ in keys})
    wanted = set(keys)
    ids = {}
    for start in range(0, len(variant_ids), 5000):
        for pk, variant_id, location_id in StockLevel.objects.filter(
            variant_id__in=variant_ids[start:start + 5000]
        ).values_list("pk", "variant_id", "location_id"):
            if (variant_id, location_id) in wanted:
                ids[(variant_id, location_id)] = pk
    return ids


def _refuse(problems: list[dict]) -> None:
    count = len({problem["line"] for problem in problems})
    raise ValidationFailed(
        f"{count} line{'s have' if count > 1 else ' has'} a problem; nothing was changed.",
        details={"lines": sorted(problems, key=lambda problem: problem["line"])},
    )


@dataclass(frozen=True)
class Reversal:
    """What stock_movements_reverse did with one movement: `reversed`, or left alone and why."""

    movement: StockMovement
    level: StockLevel
    reversed: bool
    why: str = ""  # "moved" (a later movement exists) or "reserved" (taking it back would cut into holds)


def stock_movements_reverse(*, movements: list[StockMovement], reason: str, user=None,
                            import_job_id: int | None = None) -> list[Reversal]:
    """Take back what the movements did, each with one compensating ADJUSTMENT, unless its
    level has moved since or the units are now reserved (then it is left alone).

    Levels are locked in primary-key order first; run it inside the caller's transaction to
    make the reversal part of a larger undo. Results come in the order given.
    """
    with transaction.atomic():
        level_ids = {movement.level_id for movement in movements}
        levels = stock_levels_lock(ids=level_ids)
        latest = dict(
            StockMovement.objects.filter(level_id__in=level_ids).order_by().values("level_id")
            .annotate(last=Max("id")).values_list("level_id", "last")
        )
        results = []
        for movement in movements:
            level = levels[movement.level_id]
            if latest.get(movement.level_id, movement.pk) > movement.pk:
                results.append(Reversal(movement=movement, level=level, reversed=False, why="moved"))
                continue
            if movement.delta and level.on_hand - movement.delta < level.reserved:
                results.append(Reversal(movement=movement, level=level, reversed=False, why="reserved"))
                continue
            if movement.delta:
                compensation = _apply(level, delta=-movement.delta, type=MovementType.ADJUSTMENT, reason=reason,
                                      notes="", user=user, idempotency_key=None, import_job_id=import_job_id)
                latest[movement.level_id] = compensation.pk
            results.append(Reversal(movement=movement, level=level, reversed=True))
    return results
