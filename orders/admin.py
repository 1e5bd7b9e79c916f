"""Admin pages to look at orders and at what Stripe sent. Nothing is edited here: orders
change through the order services (and their pages), events only through the webhook."""
import json

from django.contrib import admin
from django.utils.html import format_html

from orders.models import OrderEvent, OrderPayment, SalesOrder, SalesOrderLine, StripeEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SalesOrderLineInline(ReadOnlyInline):
    model = SalesOrderLine
    fields = ["variant", "location", "quantity", "unit_price", "sold_quantity", "restocked_quantity"]


class OrderPaymentInline(ReadOnlyInline):
    model = OrderPayment
    fields = ["created_at", "method", "reference", "amount", "recorded_by"]
    readonly_fields = ["created_at"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "from_status", "to_status", "message", "user", "stripe_event"]
    readonly_fields = ["created_at"]


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "source", "customer_email", "total", "currency", "paid_at", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["number", "customer_email"]
    date_hierarchy = "created_at"
    inlines = [SalesOrderLineInline, OrderPaymentInline, OrderEventInline]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    """Every event received from Stripe, its outcome and payload, for debugging."""

    list_display = ["event_id", "type", "outcome", "received_at", "processed_at", "order", "attempts"]
    list_filter = ["type", "outcome"]
    list_select_related = ["order"]
    search_fields = ["event_id", "order__number"]
    date_hierarchy = "received_at"
    fields = ["event_id", "type", "outcome", "message", "order", "received_at", "processed_at", "attempts",
              "payload_pretty"]
    readonly_fields = fields

    @admin.display(description="Payload")
    def payload_pretty(self, obj: StripeEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False))
