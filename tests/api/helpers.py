from io import StringIO

from django.core.management import call_command
from rest_framework.test import APIClient

from inventory.models import StockLevel, StockMovement

STOCK_ROW_KEYS = {
    "sku", "product", "location", "on_hand", "reserved", "available", "low_stock_threshold", "is_low", "is_out",
    # harmless extras
    "variant_name", "reorder_quantity",
}
MOVEMENT_KEYS = {
    "id", "sku", "location", "type", "delta", "quantity_before", "quantity_after", "reason", "notes", "user",
    "reference", "idempotency_key", "created_at",
}


def api_token_from_command(username: str) -> str:
    """The token `manage.py create_api_token USERNAME` prints."""
    out = StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_from_command(user.username)}")
    return client


def ledger_snapshot() -> tuple:
    """Every level's counters and the number of movements: equal before and after a refused call."""
    levels = tuple(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved"))
    return levels, StockMovement.objects.count()


RESERVATION_KEYS = {"id", "reference", "status", "expires_at", "seconds_left", "lines"}
ORDER_KEYS = {
    "number", "status", "source", "customer_name", "customer_email", "currency", "total", "paid", "paid_at",
    "amount_paid", "amount_refunded", "attention", "created_at", "lines", "reservation", "allowed_transitions",
    "amount_due", "payments", "ship_from",
}
ORDER_PRICE_KEYS = {"total", "amount_paid", "amount_refunded", "amount_due", "payments"}
ORDER_LINE_KEYS = {"id", "sku", "product", "quantity", "unit_price", "sold_quantity", "restocked_quantity", "location"}


def level_of(variant, location=None) -> StockLevel:
    """A variant's level, fresh from the database (the default location's when none is given)."""
    qs = StockLevel.objects.filter(variant=variant)
    qs = qs.filter(location=location) if location is not None else qs.filter(location__is_default=True)
    return qs.get()
