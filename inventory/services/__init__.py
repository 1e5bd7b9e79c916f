from inventory.ledger import LedgerMismatch, ledger_verify
from inventory.services.levels import stock_level_settings_update
from inventory.services.reservations import (
    ReservationLineRequest,
    ReservationResult,
    reservation_commit,
    reservation_create,
    reservation_hold,
    reservation_release,
    reservation_ttl_default,
    reservations_expire_due,
)
from inventory.services.stock import (
    ReceiveLine,
    ReturnLine,
    StockChange,
    StockTransfer,
    stock_adjust,
    stock_count,
    stock_level_ensure,
    stock_receive,
    stock_return,
    stock_transfer,
)

__all__ = [
    "LedgerMismatch",
    "ReceiveLine",
    "ReservationLineRequest",
    "ReservationResult",
    "ReturnLine",
    "StockChange",
    "StockTransfer",
    "ledger_verify",
    "reservation_commit",
    "reservation_create",
    "reservation_hold",
    "reservation_release",
    "reservation_ttl_default",
    "reservations_expire_due",
    "stock_adjust",
    "stock_count",
    "stock_level_ensure",
    "stock_level_settings_update",
    "stock_receive",
    "stock_return",
    "stock_transfer",
]
