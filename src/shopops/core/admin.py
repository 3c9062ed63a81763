"""How the audit log looks in the admin. Registration lives in shops/admin.py.

Who may read which rows depends on shop roles (platform.audit: every row; a shop's audit.view: that
shop's rows), and core uses no app, so shops registers the admin by combining this mixin with its
ShopScopedAdmin base.
"""

from __future__ import annotations

from django.http import HttpRequest

from shopops.core.models import AuditLog


class AuditLogAdminMixin:
    list_display = ("created_at", "actor", "action", "object_type", "object_id", "shop_id", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    # The audit log is append-only: nobody adds, edits or deletes history through the console.
    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
