import pytest

from core.exceptions import InsufficientStock
from inventory.services import ledger_verify, stock_adjust, stock_transfer

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_stock_adjust_then_transfer_keeps_ledger(stocked, other_location):
    level = stocked(10)
    stock_transfer(variant=level.variant, from_location=level.location, to_location=other_location, quantity=4, reason="Move")
    level.refresh_from_db()
    assert level.on_hand == 6
    with pytest.raises(InsufficientStock):
        stock_adjust(variant=level.variant, location=level.location, quantity=-7, type="DAMAGE", reason="Broken")
    level.refresh_from_db()
    assert level.on_hand == 6
    assert ledger_verify() == []
