"""The ledger core: the only code that changes a stock level or writes a stock movement.

Services in inventory.services build entries and post them (ledger_post); reservations raise
and lower held units through holds_raise/holds_lower under the same locks; ledger_verify
checks the invariant. Nothing outside the inventory app imports this package (.importlinter).
"""
from inventory.ledger.entries import Entry, Posting, entry_at
from inventory.ledger.levels import levels_ensure, levels_lock_at, stock_level_ensure
from inventory.ledger.locks import stock_level_lock_one, stock_levels_lock
from inventory.ledger.post import (
    Planned,
    entries_check,
    entries_plan,
    entry_problem,
    insufficient_stock,
    ledger_post,
    ledger_preview,
)
from inventory.ledger.rules import (
    ADJUSTABLE_TYPES,
    DECREASING_TYPES,
    INCREASING_TYPES,
    MAX_QUANTITY,
    TRANSFER_TYPES,
    idempotency_key_clean,
    reason_clean,
    whole_number,
)
from inventory.ledger.verify import LedgerMismatch, ledger_verify
from inventory.ledger.write import holds_lower, holds_raise, level_settings_write

__all__ = [
    "ADJUSTABLE_TYPES",
    "DECREASING_TYPES",
    "INCREASING_TYPES",
    "MAX_QUANTITY",
    "TRANSFER_TYPES",
    "Entry",
    "LedgerMismatch",
    "Planned",
    "Posting",
    "entries_check",
    "entries_plan",
    "entry_at",
    "entry_problem",
    "holds_lower",
    "holds_raise",
    "idempotency_key_clean",
    "insufficient_stock",
    "ledger_post",
    "ledger_preview",
    "ledger_verify",
    "level_settings_write",
    "levels_ensure",
    "levels_lock_at",
    "reason_clean",
    "stock_level_ensure",
    "stock_level_lock_one",
    "stock_levels_lock",
    "whole_number",
]
