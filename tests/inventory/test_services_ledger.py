"""ledger_verify(): on_hand equals the sum of the level's deltas and its last movement's after.

The tests break the ledger on purpose with direct .update()/.delete() calls, the way a bug
or a hand edit in the database would; nothing in the application may do that.
"""
import pytest
from django.db.models import F

from inventory.models import StockLevel, StockMovement
from inventory.services import LedgerMismatch, ledger_verify, stock_adjust, stock_count, stock_transfer

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_ledger_verify_clean_after_every_kind_of_change(stocked, other_location):
    level = stocked(20)
    stocked(0)
    variant, location = level.variant, level.location
    stock_adjust(variant=variant, location=location, quantity=-3, type="SALE", reason="Till")
    stock_adjust(variant=variant, location=location, quantity=1, type="REFUND", reason="Refund")
    stock_adjust(variant=variant, location=location, quantity=-2, type="DAMAGE", reason="Broken")
    stock_adjust(variant=variant, location=location, quantity=2, type="RETURN", reason="Return")
    stock_adjust(variant=variant, location=location, quantity=-1, type="ADJUSTMENT", reason="Lost")
    stock_count(variant=variant, location=location, counted=15, reason="Count")
    stock_count(variant=variant, location=location, counted=15, reason="Count again")
    stock_transfer(variant=variant, from_location=location, to_location=other_location, quantity=5, reason="Move")

    assert ledger_verify() == []


def test_ledger_verify_clean_on_an_empty_database(db):
    assert ledger_verify() == []


@pytest.mark.smoke
def test_ledger_verify_catches_a_hand_broken_level(stocked):
    good = stocked(5)
    broken = stocked(10)
    stock_adjust(variant=broken.variant, location=broken.location, quantity=-4, type="SALE", reason="Till")

    StockLevel.objects.filter(pk=broken.pk).update(on_hand=F("on_hand") + 3)

    mismatches = ledger_verify()
    assert mismatches == [
        LedgerMismatch(
            level_id=broken.pk,
            sku=broken.variant.sku,
            location=broken.location.code,
            on_hand=9,
            movements_sum=6,
            last_after=6,
        )
    ]
    assert good.pk not in [m.level_id for m in mismatches]
    description = mismatches[0].describe()
    assert broken.variant.sku in description
    assert broken.location.code in description
    assert "on_hand 9" in description
    assert "sum of movements 6" in description


def test_ledger_verify_catches_a_last_movement_that_disagrees(stocked):
    level = stocked(10)
    change = stock_adjust(variant=level.variant, location=level.location, quantity=-2, type="SALE", reason="Till")
    # Shift before and after together: the deltas still add up to on_hand (and the row's own
    # CHECK still holds), only the last `after` is wrong.
    StockMovement.objects.filter(pk=change.movement.pk).update(
        quantity_before=F("quantity_before") + 1, quantity_after=F("quantity_after") + 1
    )

    mismatches = ledger_verify()

    assert len(mismatches) == 1
    mismatch = mismatches[0]
    assert (mismatch.level_id, mismatch.sku) == (level.pk, level.variant.sku)
    assert (mismatch.on_hand, mismatch.movements_sum, mismatch.last_after) == (8, 8, 9)


def test_ledger_verify_catches_stock_without_movements(stocked):
    level = stocked(0)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=4)

    mismatches = ledger_verify()

    assert [(m.level_id, m.on_hand, m.movements_sum, m.last_after) for m in mismatches] == [(level.pk, 4, 0, None)]


def test_ledger_verify_catches_a_deleted_movement(stocked):
    level = stocked(10)
    change = stock_adjust(variant=level.variant, location=level.location, quantity=-3, type="SALE", reason="Till")
    StockMovement.objects.filter(pk=change.movement.pk).delete()

    mismatches = ledger_verify()

    assert [(m.level_id, m.on_hand, m.movements_sum, m.last_after) for m in mismatches] == [(level.pk, 7, 10, 10)]


def test_ledger_verify_names_every_broken_level_in_id_order(stocked, other_location):
    first = stocked(3)
    second = stocked(3, location=other_location)
    for level in (second, first):
        StockLevel.objects.filter(pk=level.pk).update(on_hand=0)

    assert [m.level_id for m in ledger_verify()] == sorted([first.pk, second.pk])
