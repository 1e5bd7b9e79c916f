"""One rule set for every stock change (inventory.ledger.rules): the same limits, signs and
shortfall answer whichever service posts the change."""
import pytest

from core.exceptions import InsufficientStock, ValidationFailed
from inventory.models import MovementType, StockMovement
from inventory.services import ReturnLine, stock_adjust, stock_count, stock_return
from inventory.services.bulk import BulkLine, stock_adjust_bulk
from inventory.services.counts import CountLine, stock_count_bulk

pytestmark = pytest.mark.django_db


def test_stock_adjust_caps_one_change_at_a_billion_units(stocked):
    level = stocked(1)

    with pytest.raises(ValidationFailed) as caught:
        stock_adjust(variant=level.variant, location=level.location, quantity=1_000_000_001, type="RESTOCK",
                     reason="Typo")

    assert caught.value.field == "quantity"
    assert caught.value.message == "The quantity must be between -1,000,000,000 and 1,000,000,000."
    level.refresh_from_db()
    assert level.on_hand == 1


def test_a_level_never_holds_more_than_its_counter_can(stocked):
    level = stocked(1_000_000_000)
    stock_adjust(variant=level.variant, location=level.location, quantity=1_000_000_000, type="RESTOCK", reason="Big")

    with pytest.raises(ValidationFailed) as caught:
        stock_adjust(variant=level.variant, location=level.location, quantity=1_000_000_000, type="RESTOCK",
                     reason="Bigger")

    assert caught.value.field == "quantity" and "more than the 2,147,483,647 a level can hold" in caught.value.message
    level.refresh_from_db()
    assert level.on_hand == 2_000_000_000


def test_a_count_above_the_limit_is_refused_naming_counted(stocked):
    level = stocked(1)

    with pytest.raises(ValidationFailed) as caught:
        stock_count(variant=level.variant, location=level.location, counted=1_000_000_001, reason="Count")

    assert caught.value.field == "counted"


@pytest.mark.parametrize("post", ["adjust", "bulk", "count_sheet"])
def test_a_shortfall_is_insufficient_stock_from_every_door(stocked, post):
    level = stocked(2)
    variant, location = level.variant, level.location

    with pytest.raises(InsufficientStock) as caught:
        if post == "adjust":
            stock_adjust(variant=variant, location=location, quantity=-3, type="SALE", reason="Till")
        elif post == "bulk":
            stock_adjust_bulk(lines=[BulkLine(variant=variant, location=location, quantity=-3, type="SALE",
                                              reason="Till")])
        else:
            stock_count_bulk(lines=[CountLine(line=2, variant_id=variant.pk, location_id=location.pk, sku=variant.sku,
                                              reason="Sheet", change=-3)])

    assert caught.value.status_code == 409
    (shortfall,) = caught.value.details["lines"]
    assert (shortfall["sku"], shortfall["requested"], shortfall["available"]) == (variant.sku, 3, 2)
    level.refresh_from_db()
    assert level.on_hand == 2


def test_stock_return_puts_units_back_with_refund_or_return_movements(stocked, other_location):
    level = stocked(1)

    movements = stock_return(lines=[ReturnLine(variant=level.variant, location=None, quantity=2),
                                    ReturnLine(variant=level.variant, location=other_location, quantity=1)],
                             type=MovementType.RETURN, reason="Return SO-1", reference="SO-1")

    assert [(m.location_id, m.type, m.delta, m.reference) for m in movements] == [
        (level.location_id, "RETURN", 2, "SO-1"), (other_location.pk, "RETURN", 1, "SO-1")]
    level.refresh_from_db()
    assert level.on_hand == 3


@pytest.mark.parametrize("type", ["SALE", "RESTOCK", "ADJUSTMENT"])
def test_stock_return_takes_only_refund_or_return(stocked, type):
    level = stocked(1)
    count = StockMovement.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        stock_return(lines=[ReturnLine(variant=level.variant, location=None, quantity=1)], type=type, reason="Back")

    assert caught.value.field == "type"
    assert StockMovement.objects.count() == count
