from django.contrib import admin

from inventory.models import (
    Category,
    Location,
    Product,
    Reservation,
    ReservationLine,
    StockLevel,
    StockMovement,
    Variant,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent"]
    search_fields = ["name"]


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 1
    fields = ["sku", "attributes", "barcode", "price", "cost", "active"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "price", "cost", "active", "track_inventory"]
    list_filter = ["active", "category"]
    search_fields = ["name", "variants__sku"]
    inlines = [VariantInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "barcode", "price", "cost", "active"]
    search_fields = ["sku", "barcode", "product__name"]
    list_select_related = ["product"]
    raw_id_fields = ["product"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "is_default"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Stock changes only through the ledger services: the admin site shows, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["variant", "location", "on_hand", "reserved", "low_stock_threshold"]
    list_select_related = ["variant", "location"]
    search_fields = ["variant__sku"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "variant", "location", "type", "delta", "quantity_after", "user"]
    list_select_related = ["variant", "location", "user"]
    list_filter = ["type"]
    search_fields = ["variant__sku", "reason"]


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    extra = 0
    can_delete = False
    fields = ["variant", "location", "quantity"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Reservations change only through the reservation services (commit, release, expiry)."""

    list_display = ["id", "reference", "status", "expires_at", "sales_order", "created_at", "closed_at"]
    list_filter = ["status"]
    list_select_related = ["sales_order"]
    search_fields = ["reference"]
    inlines = [ReservationLineInline]
