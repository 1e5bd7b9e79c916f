"""Posting: the one way stock changes.

    check the entries (rules) → replay a repeated idempotency key → ensure the levels exist →
    lock them in primary-key order → replay again (a twin may have won meanwhile) →
    compare-and-set → refuse any shortfall (InsufficientStock, naming each line) → write

all in one transaction, all entries or none. A level never goes below zero or below what is
reserved on it, and every change of on_hand writes its movement, so on_hand always equals the
sum of the level's movement deltas (inventory.ledger.verify).
"""
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from core.exceptions import InsufficientStock, StockMismatch, ValidationFailed
from inventory.ledger.entries import Entry, Posting
from inventory.ledger.levels import levels_lock_at
from inventory.ledger.rules import (
    MAX_ON_HAND,
    change_problem,
    counted_problem,
    idempotency_key_clean,
    reason_problem,
)
from inventory.ledger.write import movement_write
from inventory.models import Location, MovementType, StockLevel, StockMovement


@dataclass(frozen=True)
class Planned:
    """An entry as it would be written: the level's on_hand before and after it."""

    entry: Entry
    line: int
    before: int
    after: int
    reserved: int

    @property
    def delta(self) -> int:
        return self.after - self.before


# --- rules --------------------------------------------------------------------

def entry_problem(entry: Entry, *, noun: str = "quantity") -> tuple[str, str] | None:
    """(field, message) for what is wrong with an entry on its own, or None."""
    if entry.counted is not None or (entry.type == MovementType.COUNT and entry.delta is None):
        if entry.delta is not None:
            return "counted", "Give either a counted quantity or a change, not both."
        if entry.type != MovementType.COUNT:
            return "type", "A counted quantity is recorded as a COUNT."
        problem = counted_problem(entry.counted)
    else:
        problem = change_problem(type=entry.type, delta=entry.delta, noun=noun)
    return problem or reason_problem(entry.reason)


def _line(entry: Entry, number: int) -> int:
    return entry.line if entry.line is not None else number


def _refuse_problems(entries: list[Entry], problems: list[dict], *, errors: str = "auto") -> None:
    """One problem named by its field (one entry, or errors="field"), or every bad line listed
    in details["lines"] (several entries, or errors="lines")."""
    if errors == "field" or (errors == "auto" and len(entries) == 1):
        problem = min(problems, key=lambda problem: problem["line"])
        raise ValidationFailed(problem["message"], field=problem["field"])
    count = len({problem["line"] for problem in problems})
    noun = "line has a problem" if count == 1 else "lines have problems"
    raise ValidationFailed(f"{count} {noun}: nothing was changed.",
                           details={"lines": sorted(problems, key=lambda problem: problem["line"])})


def entries_check(entries: list[Entry], *, noun: str = "quantity", errors: str = "auto") -> None:
    """Refuse entries that break the rules on their own (ValidationFailed naming the field, or
    every bad line in details["lines"])."""
    if not entries:
        raise ValidationFailed("Nothing to change: give at least one line.", field="lines")
    problems = []
    for number, entry in enumerate(entries, start=1):
        if (problem := entry_problem(entry, noun=noun)) is not None:
            problems.append({"line": _line(entry, number), "sku": entry.sku, "field": problem[0], "message": problem[1]})
    if problems:
        _refuse_problems(entries, problems, errors=errors)


def _locations_check(entries: list[Entry], *, errors: str = "auto") -> None:
    unknown = {entry.location_id for entry in entries if entry.location_active is None}
    inactive = set(Location.objects.filter(pk__in=unknown, active=False).values_list("pk", flat=True)) if unknown else set()
    problems = [
        {"line": _line(entry, number), "sku": entry.sku, "field": entry.location_field,
         "message": f"Location {entry.location_code or entry.location_id} is inactive."}
        for number, entry in enumerate(entries, start=1)
        if entry.location_active is False or entry.location_id in inactive
    ]
    if problems:
        _refuse_problems(entries, problems, errors=errors)


# --- planning -----------------------------------------------------------------

def _shortfall(planned: Planned, *, on_hand: int, reserved: int) -> dict:
    entry = planned.entry
    available = on_hand - reserved
    requested = on_hand - planned.after - entry.reserved_delta
    where = f"{entry.sku} at {entry.location_code}"
    if entry.counted is not None:
        message = (f"{where} has {reserved} units reserved for open orders; a count of {entry.counted} is below that. "
                   "Release reservations first.")
    else:
        held = f" ({on_hand} on hand, {reserved} reserved for open orders)" if reserved else ""
        message = f"Not enough stock of {where}: {requested} requested, {max(available, 0)} available{held}."
    shortfall = {"line": planned.line, "sku": entry.sku, "location": entry.location_code, "requested": requested,
                 "available": max(available, 0), "on_hand": on_hand, "reserved": reserved, "message": message}
    if entry.counted is not None:
        shortfall["counted"] = entry.counted
    return shortfall


def insufficient_stock(shortfalls: list[dict], *, entries: int = 1, details: dict | None = None) -> InsufficientStock:
    """The refusal for short lines, each in details["lines"]: one short line gives its message
    and its figures also at the top level of the details; several are counted."""
    if len(shortfalls) == 1:
        [shortfall] = shortfalls
        flat = {name: value for name, value in shortfall.items() if name not in ("line", "message")}
        message = shortfall["message"] + (" Nothing was changed." if entries > 1 else "")
        return InsufficientStock(message, details={**flat, "lines": shortfalls, **(details or {})})
    count = len(shortfalls)
    noun = "line is" if count == 1 else "lines are"
    return InsufficientStock(f"Not enough stock: {count} {noun} short; nothing was changed.",
                             details={"lines": shortfalls, **(details or {})})


def _refuse_unexpected(entry: Entry, *, on_hand: int) -> None:
    if entry.expected_on_hand is not None and on_hand != entry.expected_on_hand:
        raise StockMismatch(
            f"The level holds {on_hand}, not the expected {entry.expected_on_hand}; nothing was changed.",
            details={"on_hand": on_hand, "current_on_hand": on_hand, "expected_on_hand": entry.expected_on_hand},
        )


def entries_plan(entries: list[Entry], levels: dict[tuple[int, int], StockLevel | None]):
    """Walk the entries in order with a running on_hand and reserved per level.

    Returns (planned, shortfalls, too_large): every entry as it would be written, the entries
    that would take a level below zero or below its reserved units (a short entry leaves its
    level as it was for the entries after it), and the entries that would overflow a level.
    """
    state = {key: (level.on_hand, level.reserved) if level is not None else (0, 0) for key, level in levels.items()}
    planned, shortfalls, too_large = [], [], []
    for number, entry in enumerate(entries, start=1):
        on_hand, reserved = state[entry.key]
        _refuse_unexpected(entry, on_hand=on_hand)
        after = entry.counted if entry.counted is not None else on_hand + entry.delta
        reserved_after = reserved + entry.reserved_delta
        item = Planned(entry=entry, line=_line(entry, number), before=on_hand, after=after, reserved=reserved)
        planned.append(item)
        if after < reserved_after or after < 0:
            shortfalls.append(_shortfall(item, on_hand=on_hand, reserved=reserved))
        elif after > MAX_ON_HAND:
            too_large.append({"line": item.line, "sku": entry.sku, "field": "quantity",
                              "message": f"{entry.sku} at {entry.location_code} would hold {after:,} units, more than "
                                         f"the {MAX_ON_HAND:,} a level can hold."})
        else:
            state[entry.key] = (after, reserved_after)
    return planned, shortfalls, too_large


def ledger_preview(entries: list[Entry], *, errors: str = "auto") -> tuple[list[Planned], list[dict]]:
    """What posting the entries would do now, without locking or writing: (planned, shortfalls).
    The entries must pass entries_check first."""
    keys = {entry.key for entry in entries}
    levels: dict[tuple[int, int], StockLevel | None] = dict.fromkeys(keys)
    if keys:
        rows = StockLevel.objects.filter(variant_id__in={v for v, _ in keys}, location_id__in={loc for _, loc in keys})
        for level in rows:
            if (level.variant_id, level.location_id) in levels:
                levels[(level.variant_id, level.location_id)] = level
    planned, shortfalls, too_large = entries_plan(entries, levels)
    if too_large:
        _refuse_problems(entries, too_large, errors=errors)
    return planned, shortfalls


# --- idempotency ----------------------------------------------------------------

def _replay(key: str, entries: list[Entry]) -> Posting | None:
    """The first posting made with this key, or None; refused when it was a different change."""
    first = StockMovement.objects.filter(idempotency_key=key).first()
    if first is None:
        return None
    if first.transfer_id is not None:
        movements = list(StockMovement.objects.filter(transfer_id=first.transfer_id).order_by("pk"))
    else:
        movements = [first]
    same = len(movements) == len(entries) and all(
        movement.variant_id == entry.variant_id
        and movement.location_id == entry.location_id
        and movement.type == entry.type
        and (movement.quantity_after == entry.counted if entry.counted is not None else movement.delta == entry.delta)
        for movement, entry in zip(movements, entries)
    )
    if not same:
        raise StockMismatch("This idempotency key was already used for a different stock change.",
                            field="idempotency_key")
    levels = {(level.variant_id, level.location_id): level
              for level in StockLevel.objects.filter(pk__in=[movement.level_id for movement in movements])}
    return Posting(movements=movements, levels=levels, replayed=True)


# --- posting ----------------------------------------------------------------------

def ledger_post(entries: list[Entry], *, user=None, idempotency_key: str | None = None,
                noun: str = "quantity", errors: str = "auto") -> Posting:
    """Apply every entry in one transaction, or none of them.

    The idempotency key is stored on the first entry's movement: posting the same entries
    with the same key again returns the first result (`replayed`); other entries with a used
    key are refused (StockMismatch). Run inside the caller's transaction to make the posting
    part of a larger change; the levels are locked until that transaction ends.

    A bad entry is refused with a ValidationFailed naming its field when there is one entry
    (or errors="field"), otherwise listing every bad line in details["lines"] (errors="lines"
    lists them even for one entry).
    """
    entries = list(entries)
    entries_check(entries, noun=noun, errors=errors)
    key = idempotency_key_clean(idempotency_key)
    if key is not None and (posting := _replay(key, entries)) is not None:
        return posting
    _locations_check(entries, errors=errors)
    try:
        with transaction.atomic():
            levels = levels_lock_at(entry.key for entry in entries)
            if key is not None and (posting := _replay(key, entries)) is not None:
                return posting
            planned, shortfalls, too_large = entries_plan(entries, levels)
            if too_large:
                _refuse_problems(entries, too_large, errors=errors)
            if shortfalls:
                raise insufficient_stock(shortfalls, entries=len(entries))
            movements = [
                movement_write(levels[item.entry.key], item.entry, delta=item.delta, user=user,
                               idempotency_key=key if number == 0 else None)
                for number, item in enumerate(planned)
            ]
    except IntegrityError:
        # Lost a race on the same idempotency key: answer with the winner's result.
        if key is None or (posting := _replay(key, entries)) is None:
            raise
        return posting
    return Posting(movements=movements, levels=levels)
