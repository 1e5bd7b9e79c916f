from orders.services.changes import KEEP, sales_order_update
from orders.services.checkout import CheckoutResult, checkout_create, stripe_configured
from orders.services.orders import (
    TRANSITIONS,
    OrderLineRequest,
    sales_order_allowed_transitions,
    sales_order_create,
    sales_order_refund_lines,
    sales_order_return_receive,
    sales_order_transition,
)
from orders.services.payments import sales_order_payment_record
from orders.services.reservations import reservation_commit_standalone, reservation_release_standalone
from orders.services.stripe_events import EventResult, stripe_event_handle, stripe_event_record_failure, stripe_event_verify

__all__ = [
    "KEEP",
    "TRANSITIONS",
    "CheckoutResult",
    "EventResult",
    "OrderLineRequest",
    "checkout_create",
    "reservation_commit_standalone",
    "reservation_release_standalone",
    "sales_order_allowed_transitions",
    "sales_order_create",
    "sales_order_payment_record",
    "sales_order_refund_lines",
    "sales_order_return_receive",
    "sales_order_transition",
    "sales_order_update",
    "stripe_configured",
    "stripe_event_handle",
    "stripe_event_record_failure",
    "stripe_event_verify",
]
