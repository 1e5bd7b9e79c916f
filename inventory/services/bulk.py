"""Many stock changes at once: every line posted to the ledger in one transaction, or none.

Each line is checked by the ledger's rules like `stock_adjust` checks one change (a whole,
non-zero quantity within the limit, the sign its movement type implies, a reason, an active
location); every bad line is reported in one ValidationFailed, so the user can fix the whole
list at once. A line that would take a level below zero or below what is reserved is an
InsufficientStock naming each short line. Lines on the same level count one after another.
"""
from dataclasses import dataclass

from core.exceptions import ApplicationError, ValidationFailed
from inventory.ledger import (
    MAX_QUANTITY,
    TRANSFER_TYPES,
    Entry,
    entry_at,
    entry_problem,
    insufficient_stock,
    ledger_post,
    ledger_preview,
)
from inventory.models import Location, MovementType, StockMovement, Variant
from inventory.selectors import location_default

MAX_BULK_LINES = 500
MAX_BULK_QUANTITY = MAX_QUANTITY
BULK_TYPES = [t for t in MovementType if t not in TRANSFER_TYPES]


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


def _problem(number: int, line: BulkLine, message: str) -> dict:
    return {"line": number, "sku": line.variant.sku, "message": message}


def _refuse(problems: list[dict]) -> None:
    count = len(problems)
    noun = "line has a problem" if count == 1 else "lines have problems"
    raise ValidationFailed(f"{count} {noun}: nothing was changed.",
                           details={"lines": sorted(problems, key=lambda item: item["line"])})


def _entries(lines: list[BulkLine], import_job_id: int | None) -> list[tuple[BulkLine, Location, Entry]]:
    """An entry per line (default location filled in); refuses every line the rules refuse."""
    problems: list[dict] = []
    default = None
    resolved = []
    for number, line in enumerate(lines, start=1):
        if line.type in TRANSFER_TYPES:
            problems.append(_problem(number, line, f"Unknown or unsupported movement type {line.type!r}."))
            continue
        location = line.location
        if location is None:
            if default is None:
                try:
                    default = location_default()
                except ApplicationError as exc:
                    problems.append(_problem(number, line, exc.message))
                    continue
            location = default
        entry = entry_at(line.variant, location, type=line.type, delta=line.quantity,
                         reason=(line.reason or "").strip(), notes=line.notes, import_job_id=import_job_id,
                         line=number)
        if (problem := entry_problem(entry, noun="change")) is not None:
            problems.append(_problem(number, line, problem[1]))
        elif not location.active:
            problems.append(_problem(number, line, f"Location {location.code} is inactive."))
        else:
            resolved.append((line, location, entry))
    if problems:
        _refuse(problems)
    return resolved


def stock_adjust_bulk(
    *,
    lines: list[BulkLine],
    user=None,
    import_job=None,
    dry_run: bool = False,
) -> list[BulkResult]:
    """Post every line's signed change, all in one transaction or none.

    With `dry_run` nothing is locked or written: the results show each line's before and
    after as they would be now. Lines are numbered from 1 in the order given; a refusal lists
    every bad line in `details["lines"]` (a dry run that finds a shortfall also gives the
    computed lines in `details["preview"]`).
    """
    lines = list(lines)
    if not lines:
        raise ValidationFailed("Nothing to update: add at least one line.", field="lines")
    if len(lines) > MAX_BULK_LINES:
        raise ValidationFailed(
            f"At most {MAX_BULK_LINES} lines at once ({len(lines)} given): split the update.", field="lines"
        )
    resolved = _entries(lines, getattr(import_job, "pk", None))
    entries = [entry for _, _, entry in resolved]

    if dry_run:
        planned, shortfalls = ledger_preview(entries, errors="lines")
        results = [
            BulkResult(line=item.line, variant=line.variant, location=location, type=line.type,
                       quantity=line.quantity, before=item.before, after=item.after, reserved=item.reserved)
            for (line, location, _), item in zip(resolved, planned)
        ]
        if shortfalls:
            raise insufficient_stock(shortfalls, entries=len(entries), details={"preview": [
                {"line": r.line, "sku": r.variant.sku, "location": r.location.code, "type": r.type,
                 "quantity": r.quantity, "before": r.before, "after": r.after}
                for r in results
            ]})
        return results

    posting = ledger_post(entries, user=user, noun="change", errors="lines")
    return [
        BulkResult(line=entry.line, variant=line.variant, location=location, type=line.type, quantity=line.quantity,
                   before=movement.quantity_before, after=movement.quantity_after,
                   reserved=posting.level_of(movement).reserved, movement=movement)
        for (line, location, entry), movement in zip(resolved, posting.movements)
    ]
