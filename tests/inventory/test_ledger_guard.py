"""The suite-wide guard (tests.ledger_guard) notices a stock write from outside inventory.ledger."""
import pytest

from tests import ledger_guard

pytestmark = pytest.mark.django_db

OUTSIDE = """
from inventory.models import StockLevel

def write(level):
    StockLevel.objects.filter(pk=level.pk).update(low_stock_threshold=4)
"""


def _module_at(relative_path: str) -> dict:
    """OUTSIDE's code as if it lived at this path of the project."""
    namespace: dict = {}
    exec(compile(OUTSIDE, str(ledger_guard.ROOT / relative_path), "exec"), namespace)
    return namespace


def test_a_write_from_an_app_outside_the_ledger_is_caught(stocked):
    level = stocked(3)

    _module_at("orders/services/sneaky.py")["write"](level)

    (violation,) = ledger_guard.take_violations()
    assert violation.startswith("orders/services/sneaky.py:5 wrote inventory_stocklevel")


def test_the_same_write_from_the_ledger_is_allowed(stocked):
    level = stocked(3)

    _module_at("inventory/ledger/write.py")["write"](level)

    assert ledger_guard.take_violations() == []
