"""stock_level_settings_update: a level's threshold and reorder quantity, each change with
its audit row (who, and the changed field's before and after)."""
import pytest

from core.exceptions import ValidationFailed
from core.models import AuditEntry
from inventory.models import StockMovement
from inventory.services import stock_level_settings_update

pytestmark = pytest.mark.django_db


def _entries(level) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="inventory.stocklevel", object_id=str(level.pk))
                .order_by("created_at", "id"))


def test_stock_level_settings_update_saves_both_and_records_the_change(stocked, manager_user):
    level = stocked(20, threshold=10)
    movements = StockMovement.objects.count()

    saved = stock_level_settings_update(level=level, low_stock_threshold=4, reorder_quantity=24, user=manager_user)

    assert (saved.low_stock_threshold, saved.reorder_quantity, saved.on_hand) == (4, 24, 20)
    assert StockMovement.objects.count() == movements
    [entry] = _entries(level)
    assert (entry.user, entry.action) == (manager_user, "stock_level.update")
    assert entry.object_repr == f"{level.variant.sku} at {level.location.code}"
    assert entry.changes == {"low_stock_threshold": [10, 4], "reorder_quantity": [0, 24]}


def test_stock_level_settings_update_records_only_the_field_that_changed(stocked, manager_user):
    level = stocked(20, threshold=10)

    stock_level_settings_update(level=level, low_stock_threshold="10", reorder_quantity=6, user=manager_user)

    assert [entry.changes for entry in _entries(level)] == [{"reorder_quantity": [0, 6]}]


def test_stock_level_settings_update_without_a_change_writes_no_audit_row(stocked, manager_user):
    level = stocked(20, threshold=10)

    stock_level_settings_update(level=level, low_stock_threshold=10, reorder_quantity=0, user=manager_user)

    assert _entries(level) == []


@pytest.mark.parametrize("threshold, quantity, field", [
    (-1, 5, "low_stock_threshold"),
    (5, "lots", "reorder_quantity"),
    (5, 2_000_000, "reorder_quantity"),
])
def test_stock_level_settings_update_refused_changes_nothing_and_writes_no_audit_row(
        stocked, manager_user, threshold, quantity, field):
    level = stocked(20, threshold=10)

    with pytest.raises(ValidationFailed) as error:
        stock_level_settings_update(level=level, low_stock_threshold=threshold, reorder_quantity=quantity,
                                    user=manager_user)

    assert error.value.field == field
    level.refresh_from_db()
    assert (level.low_stock_threshold, level.reorder_quantity) == (10, 0)
    assert _entries(level) == []
