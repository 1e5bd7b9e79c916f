from inventory.services.ledger import LedgerMismatch, ledger_verify
from inventory.services.stock import (
    StockChange,
    StockTransfer,
    stock_adjust,
    stock_count,
    stock_level_ensure,
    stock_transfer,
)

__all__ = [
    "LedgerMismatch",
    "StockChange",
    "StockTransfer",
    "ledger_verify",
    "stock_adjust",
    "stock_count",
    "stock_level_ensure",
    "stock_transfer",
]
