"""The ledger invariant: on_hand equals the sum of the level's movement deltas, and the
last movement's quantity_after equals on_hand."""
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import ReservationLine, ReservationStatus, StockLevel, StockMovement


@dataclass(frozen=True)
class LedgerMismatch:
    level_id: int
    sku: str
    location: str
    on_hand: int
    movements_sum: int
    last_after: int | None
    reserved: int = 0
    reservations_sum: int = 0

    def describe(self) -> str:
        return (
            f"level {self.level_id} ({self.sku} @ {self.location}): on_hand {self.on_hand}, "
            f"sum of movements {self.movements_sum}, last movement after {self.last_after}, "
            f"reserved {self.reserved}, held by active reservations {self.reservations_sum}"
        )


def ledger_verify() -> list[LedgerMismatch]:
    """Check every stock level against its movements, and its `reserved` against the active
    reservations holding it; return the levels that disagree."""
    movements = StockMovement.objects.filter(level=OuterRef("pk"))
    # What active reservations hold, per level, in one grouped pass: a per-level subquery
    # would walk every active reservation once per level.
    held = dict(
        ReservationLine.objects.filter(reservation__status=ReservationStatus.ACTIVE)
        .order_by().values("level_id").annotate(total=Sum("quantity")).values_list("level_id", "total")
    )
    levels = (
        StockLevel.objects.annotate(
            movements_sum=Coalesce(
                Subquery(movements.order_by().values("level").annotate(total=Sum("delta")).values("total")[:1],
                         output_field=IntegerField()),
                Value(0),
            ),
            last_after=Subquery(movements.order_by("-id").values("quantity_after")[:1], output_field=IntegerField()),
        )
        .values_list("pk", "variant__sku", "location__code", "on_hand", "movements_sum", "last_after", "reserved")
        .order_by("pk")
    )
    mismatches = []
    for level_id, sku, location, on_hand, movements_sum, last_after, reserved in levels.iterator(chunk_size=5000):
        expected_last = last_after if last_after is not None else 0
        reservations_sum = held.get(level_id, 0)
        if movements_sum != on_hand or expected_last != on_hand or reserved != reservations_sum:
            mismatches.append(LedgerMismatch(level_id, sku, location, on_hand, movements_sum, last_after, reserved,
                                             reservations_sum))
    return mismatches
