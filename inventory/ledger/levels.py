"""Stock levels come into being here: an empty level is created the first time a variant is
stocked at a location, safely under concurrency (a conflicting insert is ignored)."""
from inventory.ledger.locks import stock_level_lock_one, stock_levels_lock
from inventory.models import Location, StockLevel, Variant

LOOKUP_BATCH = 5000
INSERT_BATCH = 1000


def stock_level_ensure(*, variant: Variant, location: Location) -> StockLevel:
    """Return the level for variant@location, creating an empty one when missing."""
    level = StockLevel.objects.filter(variant=variant, location=location).order_by("pk").first()
    if level is None:
        StockLevel.objects.bulk_create([StockLevel(variant=variant, location=location)], ignore_conflicts=True)
        level = StockLevel.objects.get(variant=variant, location=location)
    return level


def level_ids(keys) -> dict[tuple[int, int], int]:
    """The ids of the existing levels among (variant_id, location_id) keys."""
    wanted = set(keys)
    variant_ids = sorted({variant_id for variant_id, _ in wanted})
    location_ids = sorted({location_id for _, location_id in wanted})
    ids = {}
    for start in range(0, len(variant_ids), LOOKUP_BATCH):
        rows = StockLevel.objects.filter(
            variant_id__in=variant_ids[start:start + LOOKUP_BATCH], location_id__in=location_ids
        ).values_list("pk", "variant_id", "location_id")
        for pk, variant_id, location_id in rows:
            if (variant_id, location_id) in wanted:
                ids[(variant_id, location_id)] = pk
    return ids


def levels_ensure(keys) -> dict[tuple[int, int], int]:
    """The level id of every (variant_id, location_id) key, creating the missing levels in key
    order (so two callers creating the same levels never wait on each other's inserts)."""
    keys = sorted(set(keys))
    ids = level_ids(keys)
    missing = [key for key in keys if key not in ids]
    if missing:
        StockLevel.objects.bulk_create([StockLevel(variant_id=v, location_id=loc) for v, loc in missing],
                                       ignore_conflicts=True, batch_size=INSERT_BATCH)
        ids.update(level_ids(missing))
    return ids


def levels_lock_at(keys) -> dict[tuple[int, int], StockLevel]:
    """Lock the levels of these (variant_id, location_id) keys, creating missing ones first.

    One key takes the single-row lock by variant and location (the busy path: no id lookup
    first); several are created in key order, then locked together in primary-key order.
    """
    keys = sorted(set(keys))
    if len(keys) == 1:
        [(variant_id, location_id)] = keys
        level = stock_level_lock_one(variant_id=variant_id, location_id=location_id)
        if level is None:
            levels_ensure(keys)
            level = stock_level_lock_one(variant_id=variant_id, location_id=location_id)
        return {keys[0]: level}
    ids = levels_ensure(keys)
    locked = stock_levels_lock(ids=ids.values())
    return {key: locked[pk] for key, pk in ids.items()}
