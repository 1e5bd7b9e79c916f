"""Many stock counts (or signed changes) at once, e.g. from an imported count sheet, and
the reversal of movements an import made.

Like every stock change these post entries to the ledger (inventory.ledger): levels locked
in primary-key order, one movement per line (COUNT for a counted quantity, the line's type
for a change), all lines in one transaction or none. Every bad line is reported in one
ValidationFailed whose details list them: {"lines": [{"line": n, "sku": ..., "column": ...,
"message": ...}]}; lines that would go below zero or below what is reserved are an
InsufficientStock listing each short line.
"""
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from core.exceptions import InsufficientStock, ValidationFailed
from inventory.ledger import Entry, entry_at, entry_problem, ledger_post, stock_levels_lock
from inventory.models import Location, MovementType, StockLevel, StockMovement

COUNT_CHANGE_TYPES = (MovementType.ADJUSTMENT, MovementType.DAMAGE, MovementType.RESTOCK, MovementType.RETURN)
COLUMNS = {"quantity": "change"}  # the ledger's field names as a count sheet's columns


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


def _entry(line: CountLine, *, location_code: str = "", location_active: bool | None = None,
           import_job_id: int | None = None) -> Entry:
    counted = line.counted is not None
    return Entry(variant_id=line.variant_id, location_id=line.location_id, sku=line.sku,
                 type=MovementType.COUNT if counted else line.type, counted=line.counted,
                 delta=None if counted else line.change, reason=(line.reason or "").strip(), notes=line.notes,
                 location_code=location_code, location_active=location_active, import_job_id=import_job_id,
                 line=line.line)


def count_line_problem(line: CountLine) -> tuple[str, str] | None:
    """(column, message) for what is wrong with a line on its own, or None."""
    if (line.counted is None) == (line.change is None):
        return "counted", "Give either a counted quantity or a change, not both and not neither."
    if line.change is not None and line.type not in COUNT_CHANGE_TYPES:
        return "type", f"Must be one of {', '.join(COUNT_CHANGE_TYPES)}."
    problem = entry_problem(_entry(line), noun="change")
    if problem is None:
        return None
    field, message = problem
    return COLUMNS.get(field, field), message


def stock_count_bulk(*, lines: list[CountLine], user=None, import_job_id: int | None = None) -> list[CountResult]:
    """Post every line to the ledger in one transaction, or none."""
    problems = []
    for line in lines:
        if (problem := count_line_problem(line)) is not None:
            problems.append({"line": line.line, "sku": line.sku, "column": problem[0], "message": problem[1]})
    locations = {pk: (code, active) for pk, code, active in
                 Location.objects.filter(pk__in={line.location_id for line in lines}).values_list("pk", "code", "active")}
    for line in lines:
        if not locations.get(line.location_id, ("", False))[1]:
            problems.append({"line": line.line, "sku": line.sku, "column": "location", "message": "The location is inactive."})
    if problems:
        count = len({problem["line"] for problem in problems})
        raise ValidationFailed(
            f"{count} line{'s have' if count > 1 else ' has'} a problem; nothing was changed.",
            details={"lines": sorted(problems, key=lambda problem: problem["line"])},
        )
    if not lines:
        return []
    entries = [_entry(line, location_code=locations[line.location_id][0], location_active=True,
                      import_job_id=import_job_id) for line in lines]
    try:
        posting = ledger_post(entries, user=user, noun="change", errors="lines")
    except InsufficientStock as exc:
        for shortfall in exc.details["lines"]:
            shortfall["column"] = "counted" if "counted" in shortfall else "change"
        raise
    return [
        CountResult(line=line.line, level_id=movement.level_id, before=movement.quantity_before,
                    after=movement.quantity_after, movement=movement)
        for line, movement in zip(lines, posting.movements)
    ]


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

    The levels are locked (primary-key order) while deciding, and the compensations are
    posted under the same locks; run it inside the caller's transaction to make the reversal
    part of a larger undo. Results come in the order given.
    """
    with transaction.atomic():
        level_ids = {movement.level_id for movement in movements}
        levels = stock_levels_lock(ids=level_ids)
        latest = dict(
            StockMovement.objects.filter(level_id__in=level_ids).order_by().values("level_id")
            .annotate(last=Max("id")).values_list("level_id", "last")
        )
        results, entries, reversed_ids = [], [], set()
        for movement in movements:
            level = levels[movement.level_id]
            if latest.get(movement.level_id, movement.pk) > movement.pk or movement.level_id in reversed_ids:
                results.append(Reversal(movement=movement, level=level, reversed=False, why="moved"))
                continue
            if movement.delta and level.on_hand - movement.delta < level.reserved:
                results.append(Reversal(movement=movement, level=level, reversed=False, why="reserved"))
                continue
            if movement.delta:
                entries.append(Entry(variant_id=level.variant_id, location_id=level.location_id,
                                     type=MovementType.ADJUSTMENT, delta=-movement.delta, reason=reason,
                                     location_active=True, import_job_id=import_job_id))
                reversed_ids.add(movement.level_id)
            results.append(Reversal(movement=movement, level=level, reversed=True))
        if entries:
            posting = ledger_post(entries, user=user, errors="lines")
            for level in posting.levels.values():
                levels[level.pk].on_hand, levels[level.pk].reserved = level.on_hand, level.reserved
    return results
