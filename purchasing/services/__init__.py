from purchasing.services.alerts import low_stock_digest_send
from purchasing.services.orders import (
    OPEN_STATUSES,
    TRANSITIONS,
    OverReceipt,
    PurchaseLineRequest,
    ReceiptLineRequest,
    ReceiptResult,
    purchase_order_allowed_transitions,
    purchase_order_create,
    purchase_order_delete,
    purchase_order_receive,
    purchase_order_transition,
    purchase_order_update,
)
from purchasing.services.reorder import (
    ReorderResult,
    low_stock_reorder,
    on_order_quantities,
    purchase_order_draft_extend,
    reorder_rules_run,
    reorder_suggested_quantity,
)
from purchasing.services.rules import reorder_rule_delete, reorder_rule_set

__all__ = [
    "OPEN_STATUSES",
    "TRANSITIONS",
    "OverReceipt",
    "PurchaseLineRequest",
    "ReceiptLineRequest",
    "ReceiptResult",
    "ReorderResult",
    "low_stock_digest_send",
    "low_stock_reorder",
    "on_order_quantities",
    "purchase_order_allowed_transitions",
    "purchase_order_create",
    "purchase_order_delete",
    "purchase_order_draft_extend",
    "purchase_order_receive",
    "purchase_order_transition",
    "purchase_order_update",
    "reorder_rule_delete",
    "reorder_rule_set",
    "reorder_rules_run",
    "reorder_suggested_quantity",
]
