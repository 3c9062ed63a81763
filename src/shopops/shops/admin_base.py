"""Admin access from shop roles, for every app's admin (django-unfold).

    @admin.register(Warehouse)
    class WarehouseAdmin(ShopScopedAdmin):
        shop_field = "shop"                      # lookup path from the model to its Shop
        view_permission = "inventory.view"
        manage_permission = "inventory.manage"

Django's own model permissions are not used: what a staff user sees and may change in the admin
follows the same role permissions as the API. A merchant's staff see only rows of the shops where
they hold `view_permission`, may add/change/delete only where they hold `manage_permission`, and
every shop drop-down offers only those shops. Platform staff holding `platform_permission` see
every row (platform admins already act with every shop permission). Superusers see everything.

The admin site itself still admits only `is_staff` users; the shops services keep `is_staff` true
exactly while a user has an active membership (or is a superuser).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from shopops.shops import selectors
from shopops.shops.models import Shop


def _user(request: HttpRequest) -> Any:
    return getattr(request, "user", None)


def _usable(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


class ShopScopedAdmin(ModelAdmin):
    """ModelAdmin whose rows, choices and buttons follow shop role permissions."""

    # Lookup path from the model to the shop: "shop", "order__shop", or "id" on Shop itself. A plain
    # integer column holding a shop id ("shop_id" on the audit log) works too.
    shop_field: str = "shop"
    view_permission: str = ""
    manage_permission: str = ""
    # Platform staff holding this see (and, with the manage permission, change) every row.
    platform_permission: str = "platform.shops"
    # Set False for read-only registers (ledgers, logs): nobody adds or deletes through the admin.
    allow_add: bool = True
    allow_delete: bool = True

    # --- which shops ----------------------------------------------------------------------------------

    def shop_ids(self, request: HttpRequest, perm: str) -> list[int] | None:
        """Shops where the user holds `perm`; None means all of them."""
        user = _user(request)
        if not _usable(user):
            return []
        if user.is_superuser or (
            self.platform_permission and selectors.has_platform_perm(user, self.platform_permission)
        ):
            return None
        if not perm:
            return []
        return selectors.shop_ids_with_perm(user, perm)

    def _shop_lookup(self) -> str:
        field = self.shop_field
        if field in ("id", "pk") or field.endswith("_id"):
            return field
        return f"{field}_id" if "__" not in field else f"{field}__id"

    def shop_id_of(self, obj: models.Model) -> int | None:
        """Follow shop_field from an object to its shop's id."""
        if self.shop_field in ("id", "pk"):
            return obj.pk
        current: Any = obj
        parts = self.shop_field.split("__")
        for name in parts[:-1]:
            current = getattr(current, name, None)
            if current is None:
                return None
        last = parts[-1]
        if last.endswith("_id") or last in ("id", "pk"):
            return getattr(current, last, None)
        return getattr(current, f"{last}_id", None)

    def _allowed(self, request: HttpRequest, perm: str, obj: models.Model | None) -> bool:
        ids = self.shop_ids(request, perm)
        if ids is None:
            return True
        if obj is None:
            return bool(ids)
        return self.shop_id_of(obj) in ids

    # --- rows ---------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        ids = self.shop_ids(request, self.view_permission)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self._shop_lookup()}__in": ids})

    # --- buttons ------------------------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, self.view_permission, None)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, self.view_permission, obj) or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.allow_add and self._allowed(request, self.manage_permission, None)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return bool(self.manage_permission) and self._allowed(request, self.manage_permission, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.allow_delete and self.has_change_permission(request, obj)

    # --- choices ------------------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is Shop:
            ids = self.shop_ids(request, self.manage_permission)
            if ids is not None:
                kwargs["queryset"] = Shop.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PlatformOnlyAdmin(ModelAdmin):
    """For platform-wide tables (roles, permission catalogue): visible to holders of `platform_permission`."""

    platform_permission: str = "platform.roles"
    read_only: bool = False

    def _platform(self, request: HttpRequest) -> bool:
        user = _user(request)
        return _usable(user) and selectors.has_platform_perm(user, self.platform_permission)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._platform(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._platform(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return not self.read_only and self._platform(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and self._platform(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and self._platform(request)


def domain_error_message(request: HttpRequest, modeladmin: admin.ModelAdmin, exc: Exception) -> None:
    """Show a service's refusal as an admin error message instead of a 500."""
    from django.contrib import messages

    modeladmin.message_user(request, str(getattr(exc, "message", exc)), level=messages.ERROR)
