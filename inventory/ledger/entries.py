"""What a posting is made of: entries, one per change of one level, and what posting returns."""
import uuid
from dataclasses import dataclass, field

from inventory.models import Location, StockLevel, StockMovement, Variant


@dataclass(frozen=True)
class Entry:
    """One change of one level's on_hand, with the movement that records it.

    Give either `delta` (a signed change) or `counted` (the quantity found on the shelf: the
    delta is worked out under the lock). `reserved_delta` moves `reserved` in the same write
    (selling held units lowers both). `expected_on_hand` makes the entry a compare-and-set.
    `sku`, `location_code` and `line` name the entry in messages; `location_active` says
    whether the location takes stock (None: the ledger looks it up), and `location_field`
    names the location in an error about it.
    """

    variant_id: int
    location_id: int
    type: str
    reason: str
    delta: int | None = None
    counted: int | None = None
    reserved_delta: int = 0
    expected_on_hand: int | None = None
    notes: str = ""
    reference: str = ""
    supplier_id: int | None = None
    transfer_id: uuid.UUID | None = None
    sales_order_id: int | None = None
    reservation_id: int | None = None
    purchase_order_id: int | None = None
    import_job_id: int | None = None
    sku: str = ""
    location_code: str = ""
    location_active: bool | None = None
    location_field: str = "location"
    line: int | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.variant_id, self.location_id)


def entry_at(variant: Variant, location: Location, **fields) -> Entry:
    """An entry for variant@location, named by the variant's SKU and the location's code."""
    return Entry(variant_id=variant.pk, location_id=location.pk, sku=variant.sku, location_code=location.code,
                 location_active=location.active, **fields)


@dataclass(frozen=True)
class Posting:
    """What a posting did: one movement per entry (in entry order) and the levels as it left them."""

    movements: list[StockMovement]
    levels: dict[tuple[int, int], StockLevel] = field(default_factory=dict)
    replayed: bool = False

    def level_of(self, movement: StockMovement) -> StockLevel:
        return self.levels[(movement.variant_id, movement.location_id)]
