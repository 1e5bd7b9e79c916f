"""The audit trail in the admin site: to read only (rows are written by the services)."""
from django.contrib import admin

from core.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model shown in the admin site to read only: its rows change through the services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "object_type", "object_id", "object_repr", "user"]
    list_filter = ["action", "object_type"]
    list_select_related = ["user"]
    search_fields = ["object_repr", "object_id", "user__username"]
    date_hierarchy = "created_at"
