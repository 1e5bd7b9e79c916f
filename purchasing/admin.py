"""Admin pages to look at purchase orders and receipts. Nothing is edited here: orders change
through the purchasing services (and their pages), so the ledger and the history stay whole."""
from django.contrib import admin

from purchasing.models import PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine, Receipt, ReceiptLine


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


class PurchaseOrderLineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = ["variant", "supplier_sku", "quantity_ordered", "quantity_received", "unit_cost"]


class PurchaseOrderEventInline(ReadOnlyInline):
    model = PurchaseOrderEvent
    fields = ["created_at", "from_status", "to_status", "message", "user"]
    readonly_fields = ["created_at"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "supplier", "status", "order_date", "expected_date", "total", "currency", "created_at"]
    list_filter = ["status", "auto_drafted"]
    search_fields = ["number", "supplier__name"]
    list_select_related = ["supplier"]
    date_hierarchy = "created_at"
    inlines = [PurchaseOrderLineInline, PurchaseOrderEventInline]


class ReceiptLineInline(ReadOnlyInline):
    model = ReceiptLine
    fields = ["line", "location", "quantity", "movement"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["pk", "order", "user", "created_at", "over_receipt_reason"]
    search_fields = ["order__number", "idempotency_key"]
    list_select_related = ["order", "user"]
    inlines = [ReceiptLineInline]

