from django.contrib import admin
from unfold.admin import ModelAdmin

from shopops.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id", "shop_id", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "actor__username")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    # The audit log is append-only: nobody edits or deletes history through the console.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
