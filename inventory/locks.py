"""Every row lock on stock levels is taken here: FOR UPDATE, always in primary-key order.

Taking locks in one global order means two transactions that touch the same levels
queue behind each other instead of deadlocking.
"""
from collections.abc import Iterable

from django.db.models import QuerySet

from inventory.models import StockLevel


def stock_levels_for_update(*, ids: Iterable[int]) -> QuerySet[StockLevel]:
    return StockLevel.objects.select_for_update(of=("self",)).filter(pk__in=sorted(set(ids))).order_by("pk")


def stock_levels_lock(*, ids: Iterable[int]) -> dict[int, StockLevel]:
    """Lock the given levels (in pk order) and return them by id."""
    return {level.pk: level for level in stock_levels_for_update(ids=ids)}


def stock_level_lock_one(*, variant_id: int, location_id: int) -> StockLevel | None:
    # Order by pk explicitly: .first() would otherwise use the model's default ordering,
    # which joins the variant and location tables into the lock query.
    return (
        StockLevel.objects.select_for_update(of=("self",))
        .filter(variant_id=variant_id, location_id=location_id)
        .order_by("pk")
        .first()
    )
