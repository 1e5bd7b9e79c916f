from django.contrib import admin

from core.admin import ReadOnlyAdmin
from suppliers.models import Supplier, SupplierItem


class SupplierItemInline(admin.TabularInline):
    """Read-only here: items change through the supplier pages, which keep one preferred supplier per SKU."""

    model = SupplierItem
    extra = 0
    can_delete = False
    fields = ["variant", "supplier_sku", "unit_cost", "lead_time_days", "minimum_order_quantity", "preferred"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    """Read-only here: suppliers change through the supplier pages and the API, whose
    services write each change to the audit trail."""

    list_display = ["name", "contact_name", "email", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "contact_name", "email"]
    inlines = [SupplierItemInline]
