"""Per-level settings that are not stock: the low-stock threshold and the reorder quantity."""
import re

from django.db import transaction

from core.audit import audit_changes, audit_record
from core.exceptions import NotFound, ValidationFailed
from inventory.ledger import level_settings_write, stock_levels_lock
from inventory.models import StockLevel

MAX_LEVEL_SETTING = 1_000_000
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")

LABELS = {"low_stock_threshold": "The low-stock threshold", "reorder_quantity": "The reorder quantity"}


def _whole_number(value, *, field: str) -> int:
    label = LABELS[field]
    if isinstance(value, bool):
        raise ValidationFailed(f"{label} must be a whole number.", field=field)
    if isinstance(value, str):
        text = value.strip()
        if not WHOLE_NUMBER.fullmatch(text):
            raise ValidationFailed(f"{label} must be a whole number.", field=field)
        value = int(text)
    if not isinstance(value, int):
        raise ValidationFailed(f"{label} must be a whole number.", field=field)
    if value < 0:
        raise ValidationFailed(f"{label} must be zero or more.", field=field)
    if value > MAX_LEVEL_SETTING:
        raise ValidationFailed(f"{label} must be at most {MAX_LEVEL_SETTING:,}.", field=field)
    return value


def stock_level_settings_update(*, level: StockLevel, low_stock_threshold: int, reorder_quantity: int,
                                user=None) -> StockLevel:
    """Set the level's low-stock threshold and reorder quantity (0: twice the threshold).

    Not a stock change: no movement is written and on hand is untouched. The level is
    locked like any stock write, so a concurrent adjustment is not overwritten. The audit
    trail records who changed which of the two, from what to what.
    """
    threshold = _whole_number(low_stock_threshold, field="low_stock_threshold")
    quantity = _whole_number(reorder_quantity, field="reorder_quantity")
    with transaction.atomic():
        locked = stock_levels_lock(ids=[level.pk]).get(level.pk)
        if locked is None:
            raise NotFound(f"Unknown stock level {level.pk}.")
        changes = audit_changes(
            before={"low_stock_threshold": locked.low_stock_threshold, "reorder_quantity": locked.reorder_quantity},
            after={"low_stock_threshold": threshold, "reorder_quantity": quantity},
        )
        if changes:
            level_settings_write(locked, low_stock_threshold=threshold, reorder_quantity=quantity)
            audit_record(user=user, action="stock_level.update", obj=locked, changes=changes,
                         object_repr=f"{level.variant.sku} at {level.location.code}")
    return locked
