"""Admin (django-unfold) for inventory. Rows follow shop roles through ShopScopedAdmin.

Stock figures are never edited here: the stock, ledger, reservation and alert registers are read-only,
and every change goes through inventory.services (the forms call them in clean(), so a refusal shows
as a form error, and the actions call them per row). Stock adjustments, transfers, counts and
receiving have their forms in the inventory console (/console/inventory/), linked from here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import action, display

from shopops.core.errors import DomainError, InvalidInput
from shopops.inventory import services
from shopops.inventory.models import (
    AlertStatus,
    InventorySettings,
    LowStockAlert,
    LowStockThreshold,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Reservation,
    Stock,
    StockLedgerEntry,
    Stocktake,
    StocktakeLine,
    StockTransfer,
    StockTransferLine,
    Supplier,
    SupplierItem,
    Warehouse,
)
from shopops.shops.admin_base import ShopScopedAdmin

VIEW = "inventory.view"
MANAGE = "inventory.manage"


def _apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    fields = (exc.details or {}).get("fields") or {}
    placed = False
    for name, errors in fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class ServiceForm(forms.ModelForm):
    """A ModelForm that writes through a service in clean(); the admin sets `request` on it."""

    request: HttpRequest | None = None
    service_fields: tuple[str, ...] = ()

    @property
    def actor(self) -> Any:
        return self.request.user if self.request is not None else None

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.service_fields if name in self.changed_data}

    def write(self) -> Any:
        """Call the service and return the row it wrote."""
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = self.write()
        except DomainError as exc:
            _apply_domain_error(self, exc)
        return data

    def validate_unique(self) -> None:
        # The service checks uniqueness (with a clear bilingual message); the instance may be
        # the freshly written row here, which the default check would find as its own duplicate.
        return None

    def _post_clean(self) -> None:
        # Leave the instance the service returned untouched (ModelForm would copy the fields again).
        return None


class ServiceBackedAdmin(ShopScopedAdmin):
    view_permission = VIEW
    manage_permission = MANAGE

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.pk:
            obj.refresh_from_db()


def _console(shop_id: int, suffix: str = "") -> str:
    return f"/console/inventory/{shop_id}/{suffix}"


# --- Warehouses -------------------------------------------------------------------------------------


class WarehouseForm(ServiceForm):
    service_fields = services.WAREHOUSE_FIELDS

    class Meta:
        model = Warehouse
        fields = ["shop", *services.WAREHOUSE_FIELDS]

    def write(self) -> Warehouse:
        data = self.cleaned_data
        if self.instance.pk is None:
            fields = {name: data[name] for name in self.service_fields if name not in ("code", "name")}
            return services.create_warehouse(
                shop_id=data["shop"].id, code=data["code"], name=data["name"], actor=self.actor, **fields
            )
        return services.update_warehouse(
            shop_id=self.instance.shop_id, warehouse_id=self.instance.pk, actor=self.actor, **self.changes()
        )


@admin.register(Warehouse)
class WarehouseAdmin(ServiceBackedAdmin):
    form = WarehouseForm
    list_display = ("code", "name", "shop", "address", "priority", "is_active", "console_link")
    list_filter = ("is_active", "shop")
    search_fields = ("code", "name", "address")
    list_select_related = ("shop",)
    ordering = ("shop_id", "priority", "id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("shop",) if obj is not None else ()

    def delete_model(self, request: HttpRequest, obj: Warehouse) -> None:
        services.delete_warehouse(shop_id=obj.shop_id, warehouse_id=obj.pk, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only never-used warehouses can go; the service refuses the others. Hide the button for them.
        if obj is not None and (obj.ledger.exists() or obj.purchase_orders.exists()):
            return False
        return super().has_delete_permission(request, obj)

    @display(description=_("库存"))
    def console_link(self, obj: Warehouse) -> str:
        from django.utils.html import format_html

        return format_html('<a href="{}?warehouse={}">{}</a>', _console(obj.shop_id), obj.pk, _("查看库存"))


# --- Stock, ledger, reservations, alerts (read-only registers) --------------------------------------


class ReadOnlyRegister(ShopScopedAdmin):
    view_permission = VIEW
    manage_permission = ""
    allow_add = False
    allow_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


@admin.register(Stock)
class StockAdmin(ReadOnlyRegister):
    list_display = ("sku", "warehouse", "on_hand", "reserved", "available", "updated_at")
    list_filter = ("warehouse__shop", "warehouse")
    search_fields = ("sku__code", "sku__barcode", "sku__product__title")
    list_select_related = ("sku", "warehouse")
    actions_row = ("open_in_console",)
    actions_detail = ("open_in_console",)

    @action(description=_("调整 / 调拨 / 盘点"), url_path="console", icon="tune")
    def open_in_console(self, request: HttpRequest, object_id: Any) -> HttpResponseRedirect:
        stock = get_object_or_404(self.get_queryset(request), pk=object_id)
        return HttpResponseRedirect(_console(stock.shop_id, f"skus/{stock.sku_id}/"))


@admin.register(StockLedgerEntry)
class StockLedgerEntryAdmin(ReadOnlyRegister):
    list_display = (
        "created_at",
        "sku",
        "warehouse",
        "reason",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reserved_after",
        "reference",
        "actor",
    )
    list_filter = ("reason", "warehouse__shop", "warehouse")
    search_fields = ("reference", "sku__code", "note")
    date_hierarchy = "created_at"
    list_select_related = ("sku", "warehouse", "actor")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyRegister):
    list_display = ("order_ref", "sku", "quantity", "status", "expires_at", "release_reason", "created_at")
    list_filter = ("status", "release_reason", "shop")
    search_fields = ("order_ref", "sku__code")
    list_select_related = ("sku",)


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnlyRegister):
    list_display = (
        "sku",
        "status_badge",
        "available",
        "threshold",
        "created_at",
        "resolved_at",
        "notified_at",
    )
    list_filter = ("status", "shop")
    search_fields = ("sku__code", "sku__product__title")
    list_select_related = ("sku",)

    @display(description=_("状态"), label={AlertStatus.OPEN: "danger", AlertStatus.RESOLVED: "success"})
    def status_badge(self, obj: LowStockAlert) -> str:
        return obj.status


class TransferLineInline(TabularInline):
    model = StockTransferLine
    extra = 0
    can_delete = False
    readonly_fields = ("sku", "quantity")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StockTransfer)
class StockTransferAdmin(ReadOnlyRegister):
    list_display = ("number", "from_warehouse", "to_warehouse", "created_by", "created_at")
    search_fields = ("number", "note")
    list_filter = ("shop",)
    inlines = (TransferLineInline,)


class StocktakeLineInline(TabularInline):
    model = StocktakeLine
    extra = 0
    can_delete = False
    readonly_fields = ("sku", "on_hand_before", "counted", "delta")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Stocktake)
class StocktakeAdmin(ReadOnlyRegister):
    list_display = ("number", "warehouse", "reason", "created_by", "created_at")
    search_fields = ("number", "reason")
    list_filter = ("shop",)
    inlines = (StocktakeLineInline,)


# --- Thresholds and settings ------------------------------------------------------------------------


class ThresholdForm(ServiceForm):
    class Meta:
        model = LowStockThreshold
        fields = ["shop", "sku", "category", "threshold"]

    def write(self) -> LowStockThreshold:
        data = self.cleaned_data
        shop_id = self.instance.shop_id if self.instance.pk else data["shop"].id
        sku, category = data.get("sku") or self.instance.sku, data.get("category") or self.instance.category
        if bool(sku) == bool(category):
            raise InvalidInput("请选择 SKU 或类目之一 / Choose either a SKU or a category")
        if sku:
            return services.set_sku_threshold(
                shop_id=shop_id, sku_id=sku.id, threshold=data["threshold"], actor=self.actor
            )
        return services.set_category_threshold(
            shop_id=shop_id, category_id=category.id, threshold=data["threshold"], actor=self.actor
        )


@admin.register(LowStockThreshold)
class LowStockThresholdAdmin(ServiceBackedAdmin):
    form = ThresholdForm
    list_display = ("shop", "sku", "category", "threshold", "updated_at")
    list_filter = ("shop",)
    autocomplete_fields = ()
    raw_id_fields = ("sku", "category")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("shop", "sku", "category") if obj is not None else ()

    def delete_model(self, request: HttpRequest, obj: LowStockThreshold) -> None:
        services.delete_threshold(shop_id=obj.shop_id, threshold_id=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class SettingsForm(ServiceForm):
    service_fields = services.SETTINGS_FIELDS

    class Meta:
        model = InventorySettings
        fields = ["shop", *services.SETTINGS_FIELDS]

    def write(self) -> InventorySettings:
        shop_id = self.instance.shop_id if self.instance.pk else self.cleaned_data["shop"].id
        changes = (
            self.changes() if self.instance.pk else {n: self.cleaned_data[n] for n in self.service_fields}
        )
        return services.update_settings(shop_id=shop_id, actor=self.actor, **changes)


@admin.register(InventorySettings)
class InventorySettingsAdmin(ServiceBackedAdmin):
    form = SettingsForm
    list_display = ("shop", "default_low_stock_threshold", "reservation_ttl_minutes", "demand_window_days")
    allow_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("shop",) if obj is not None else ()


# --- Suppliers --------------------------------------------------------------------------------------


class SupplierForm(ServiceForm):
    service_fields = services.SUPPLIER_FIELDS

    class Meta:
        model = Supplier
        fields = ["shop", *services.SUPPLIER_FIELDS]

    def write(self) -> Supplier:
        data = self.cleaned_data
        if self.instance.pk is None:
            fields = {n: data[n] for n in self.service_fields if n not in ("code", "name")}
            return services.create_supplier(
                shop_id=data["shop"].id, code=data["code"], name=data["name"], actor=self.actor, **fields
            )
        return services.update_supplier(
            shop_id=self.instance.shop_id, supplier_id=self.instance.pk, actor=self.actor, **self.changes()
        )


class SupplierItemInline(TabularInline):
    model = SupplierItem
    extra = 0
    raw_id_fields = ("sku",)
    fields = (
        "sku",
        "supplier_sku_code",
        "unit_cost",
        "min_order_quantity",
        "pack_size",
        "lead_time_days",
        "is_preferred",
    )


@admin.register(Supplier)
class SupplierAdmin(ServiceBackedAdmin):
    form = SupplierForm
    list_display = ("code", "name", "shop", "contact_name", "phone", "lead_time_days", "is_active")
    list_filter = ("is_active", "shop")
    search_fields = ("code", "name", "contact_name")
    inlines = (SupplierItemInline,)
    allow_delete = False  # purchase orders keep pointing at their supplier: deactivate instead

    def get_inlines(self, request: HttpRequest, obj: Any = None):
        # Items are added once the supplier exists: the supplier row is written by the service first.
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("shop",) if obj is not None else ()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Supplier items go through the service too (it keeps one preferred supplier per SKU)."""
        supplier = form.instance
        for item_form in formset.forms:
            if not item_form.has_changed() and not formset._should_delete_form(item_form):
                continue
            data = item_form.cleaned_data
            if not data:
                continue
            try:
                if formset._should_delete_form(item_form):
                    if item_form.instance.pk:
                        services.delete_supplier_item(
                            shop_id=supplier.shop_id,
                            supplier_id=supplier.pk,
                            sku_id=item_form.instance.sku_id,
                        )
                    continue
                services.upsert_supplier_item(
                    shop_id=supplier.shop_id,
                    supplier_id=supplier.pk,
                    sku_id=data["sku"].id,
                    unit_cost=data["unit_cost"],
                    min_order_quantity=data["min_order_quantity"],
                    pack_size=data["pack_size"],
                    lead_time_days=data.get("lead_time_days"),
                    supplier_sku_code=data.get("supplier_sku_code", ""),
                    is_preferred=data.get("is_preferred", False),
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, f"{data.get('sku')}: {exc.message}", level=messages.ERROR)


# --- Purchase orders --------------------------------------------------------------------------------


class PurchaseOrderLineInline(TabularInline):
    model = PurchaseOrderLine
    extra = 0
    can_delete = False
    fields = ("sku", "quantity_ordered", "quantity_received", "unit_cost")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, fn, done: str) -> None:
    ok = 0
    for obj in queryset:
        try:
            fn(obj)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", level=messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}", level=messages.SUCCESS)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ShopScopedAdmin):
    """Purchase orders are drafted in the console (by hand or from replenishment suggestions) or the
    API; here they are reviewed and moved along their lifecycle. Receiving has its form in the console."""

    view_permission = VIEW
    manage_permission = MANAGE
    allow_add = False
    allow_delete = False
    list_display = ("number", "supplier", "warehouse", "status_badge", "expected_at", "created_at")
    list_filter = ("status", "shop", "supplier")
    search_fields = ("number", "supplier__name", "note")
    list_select_related = ("supplier", "warehouse")
    date_hierarchy = "created_at"
    inlines = (PurchaseOrderLineInline,)
    actions = ("send_orders", "cancel_orders")
    actions_detail = ("open_in_console",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in PurchaseOrder._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The form itself is read-only; "change" is what the lifecycle actions need.
        return super().has_change_permission(request, obj)

    @display(
        description=_("状态"),
        label={
            PurchaseOrderStatus.DRAFT: "info",
            PurchaseOrderStatus.SENT: "warning",
            PurchaseOrderStatus.PARTIALLY_RECEIVED: "warning",
            PurchaseOrderStatus.RECEIVED: "success",
            PurchaseOrderStatus.CANCELLED: "danger",
        },
    )
    def status_badge(self, obj: PurchaseOrder) -> str:
        return obj.status

    @admin.action(description=_("发送给供应商 / Send to supplier"), permissions=["change"])
    def send_orders(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            lambda po: services.send_purchase_order(shop_id=po.shop_id, po_id=po.pk, actor=request.user),
            str(_("已发送")),
        )

    @admin.action(description=_("取消采购单 / Cancel"), permissions=["change"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            lambda po: services.cancel_purchase_order(shop_id=po.shop_id, po_id=po.pk, actor=request.user),
            str(_("已取消")),
        )

    @action(description=_("在控制台收货"), url_path="console", icon="move_to_inbox")
    def open_in_console(self, request: HttpRequest, object_id: Any) -> HttpResponseRedirect:
        po = get_object_or_404(self.get_queryset(request), pk=object_id)
        return HttpResponseRedirect(_console(po.shop_id, f"purchase-orders/{po.pk}/"))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "inventory_console_url": reverse("inventory_console:index")}
        return super().changelist_view(request, extra_context)
