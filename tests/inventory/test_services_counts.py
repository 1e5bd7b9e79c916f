import pytest

from core.exceptions import InsufficientStock, ValidationFailed
from inventory.models import MovementType, StockLevel, StockMovement
from inventory.services import ledger_verify, reservation_create
from inventory.services.counts import CountLine, stock_count_bulk
from inventory.services.reservations import ReservationLineRequest
from tests import factories

pytestmark = pytest.mark.django_db


def _line(level, line=1, **kwargs):
    return CountLine(line=line, variant_id=level.variant_id, location_id=level.location_id, sku=level.variant.sku,
                     reason=kwargs.pop("reason", "Count"), **kwargs)


def test_stock_count_bulk_counts_and_changes_through_the_ledger(stocked, default_location):
    first, second = stocked(10), stocked(3)
    variant = factories.VariantFactory()
    results = stock_count_bulk(lines=[
        _line(first, 1, counted=4),
        _line(second, 2, change=5, type=MovementType.RESTOCK),
        CountLine(line=3, variant_id=variant.pk, location_id=default_location.pk, sku=variant.sku, reason="New",
                  counted=0),
    ])
    assert [(r.before, r.after) for r in results] == [(10, 4), (3, 8), (0, 0)]
    assert [r.movement.type for r in results] == ["COUNT", "RESTOCK", "COUNT"]
    assert StockLevel.objects.filter(variant=variant).exists()
    assert ledger_verify() == []


def test_stock_count_bulk_is_all_or_nothing_and_lists_every_bad_line(stocked):
    first, second = stocked(10), stocked(5)
    reservation_create(reference="cart", lines=[ReservationLineRequest(variant=second.variant, quantity=4,
                                                                          location=second.location)])
    before = StockMovement.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        stock_count_bulk(lines=[
            _line(first, 1, counted=1),
            _line(second, 2, counted=3),
            _line(first, 3, change=-100),
            _line(first, 4, counted=1, change=1),
        ])
    lines = caught.value.details["lines"]
    assert [(line["line"], line["column"]) for line in lines] == [(4, "counted")]  # checked before any stock
    # Shortfalls are found under the locks: every short line, as an InsufficientStock (409).
    with pytest.raises(InsufficientStock) as caught:
        stock_count_bulk(lines=[_line(first, 1, counted=1), _line(second, 2, counted=3), _line(first, 3, change=-100)])
    assert [(line["line"], line["column"]) for line in caught.value.details["lines"]] == [(2, "counted"), (3, "change")]
    first.refresh_from_db()
    assert first.on_hand == 10 and StockMovement.objects.count() == before


def test_stock_count_bulk_below_reserved_is_refused(stocked):
    level = stocked(5)
    reservation_create(reference="cart", lines=[ReservationLineRequest(variant=level.variant, quantity=4,
                                                                          location=level.location)])
    with pytest.raises(InsufficientStock) as caught:
        stock_count_bulk(lines=[_line(level, 7, counted=3)])
    (shortfall,) = caught.value.details["lines"]
    assert shortfall == {
        "line": 7, "sku": level.variant.sku, "location": "main", "column": "counted", "counted": 3,
        "requested": 2, "available": 1, "on_hand": 5, "reserved": 4,
        "message": f"{level.variant.sku} at main has 4 units reserved for open orders; a count of 3 is below that. "
                   "Release reservations first.",
    }
    level.refresh_from_db()
    assert level.on_hand == 5


def test_stock_movements_reverse_compensates_unless_moved_since_or_reserved(stocked):
    from inventory.services import stock_adjust
    from inventory.services.counts import stock_movements_reverse

    plain, moved, held = stocked(10), stocked(10), stocked(10)
    results = stock_count_bulk(lines=[_line(plain, 1, change=5), _line(moved, 2, change=5), _line(held, 3, change=5)])
    stock_adjust(variant=moved.variant, location=moved.location, quantity=1, type="RESTOCK", reason="Later")
    reservation_create(reference="hold", lines=[ReservationLineRequest(variant=held.variant, quantity=12)])

    reversals = stock_movements_reverse(movements=[r.movement for r in results], reason="Undo")

    assert [(r.reversed, r.why) for r in reversals] == [(True, ""), (False, "moved"), (False, "reserved")]
    assert [StockLevel.objects.get(pk=level.pk).on_hand for level in (plain, moved, held)] == [10, 16, 15]
    compensation = StockMovement.objects.filter(level=plain).latest("id")
    assert (compensation.type, compensation.delta, compensation.reason) == ("ADJUSTMENT", -5, "Undo")
    assert ledger_verify() == []
