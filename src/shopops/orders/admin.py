"""Orders in the admin (django-unfold). Read-only records: every change goes through the services
(the state machine), here as bulk actions whose refusals are shown per order, never as a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from shopops.core.errors import DomainError
from shopops.orders import services
from shopops.orders.models import ExceptionKind, Order, OrderEvent, OrderGroup, OrderLine, OrderRefund
from shopops.shops.admin_base import PlatformOnlyAdmin, ShopScopedAdmin


class _ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = (
        "title",
        "sku_label",
        "sku_code",
        "unit_price",
        "quantity",
        "discount",
        "paid_amount",
        "refunded_amount",
    )
    readonly_fields = fields


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "action", "from_status", "to_status", "actor_role", "actor", "reason")
    readonly_fields = fields
    ordering = ("created_at", "id")


class OrderRefundInline(_ReadOnlyInline):
    model = OrderRefund
    fields = ("refund_no", "amount", "status", "reason", "created_at", "finished_at")
    readonly_fields = fields


def _each(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, act: Callable, done: str
) -> None:
    ok = 0
    for order in queryset.select_related("group"):
        try:
            act(order)
        except DomainError as exc:
            modeladmin.message_user(request, f"{order.number}: {exc.message}", level=messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}", level=messages.SUCCESS)


@admin.register(Order)
class OrderAdmin(ShopScopedAdmin):
    shop_field = "shop"
    view_permission = "orders.view"
    manage_permission = "orders.manage"
    allow_add = False
    allow_delete = False

    list_display = (
        "number", "shop", "status", "has_exception", "total", "refunded_amount", "created_at", "paid_at"
    )  # fmt: skip
    list_filter = ("status", "has_exception", "exception_kind", "shipping_method", "shop", "created_at")
    search_fields = ("number", "group__number", "waybill_no")
    date_hierarchy = "created_at"
    list_select_related = ("shop", "group")
    ordering = ("-created_at", "-id")
    inlines = (OrderLineInline, OrderEventInline, OrderRefundInline)
    actions = (
        "flag_logistics",
        "flag_quality",
        "clear_exception",
        "mark_delivered",
        "cancel_unpaid",
    )
    fieldsets = (
        (
            _("订单"),
            {"fields": ("number", "group", "shop", "user", "status", "shipping_method", "buyer_note")},
        ),
        (
            _("金额"),
            {
                "fields": (
                    "items_total",
                    "discount_total",
                    "shipping_fee",
                    "shipping_discount",
                    "total",
                    "refunded_amount",
                )
            },
        ),
        (_("异常"), {"fields": ("has_exception", "exception_kind", "exception_note", "merchant_note")}),
        (
            _("物流"),
            {
                "fields": (
                    "carrier_name",
                    "waybill_no",
                    "masked_receiver_name",
                    "masked_receiver_phone",
                    "masked_address",
                )
            },
        ),
        (
            _("时间"),
            {
                "fields": (
                    "created_at",
                    "paid_at",
                    "shipped_at",
                    "delivered_at",
                    "auto_confirm_at",
                    "completed_at",
                    "cancelled_at",
                    "closed_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Nothing is edited in place: state, money and the address snapshot change only via services.
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    @admin.action(description=_("标记异常：物流问题"), permissions=["change"])
    def flag_logistics(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda o: services.mark_exception(
                order=o, actor=request.user, kind=ExceptionKind.LOGISTICS, note="后台标记"
            ),
            _("已标记"),
        )

    @admin.action(description=_("标记异常：质量问题"), permissions=["change"])
    def flag_quality(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda o: services.mark_exception(
                order=o, actor=request.user, kind=ExceptionKind.QUALITY, note="后台标记"
            ),
            _("已标记"),
        )

    @admin.action(description=_("解除异常"), permissions=["change"])
    def clear_exception(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda o: services.clear_exception(order=o, actor=request.user),
            _("已解除"),
        )

    @admin.action(description=_("标记已送达"), permissions=["change"])
    def mark_delivered(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda o: services.mark_delivered(order=o, actor=request.user),
            _("已送达"),
        )

    @admin.action(description=_("取消未付款订单"), permissions=["change"])
    def cancel_unpaid(self, request, queryset):
        _each(
            self, request, queryset.filter(status="pending_payment"),
            lambda o: services.cancel_order(order=o, actor=request.user, reason="后台取消"), _("已取消"),
        )  # fmt: skip


@admin.register(OrderGroup)
class OrderGroupAdmin(PlatformOnlyAdmin):
    """Checkouts span shops, so only platform staff see them whole."""

    platform_permission = "platform.shops"
    read_only = True
    list_display = (
        "number",
        "user",
        "payment_status",
        "total",
        "amount_due",
        "paid_amount",
        "pay_deadline",
        "created_at",
    )
    list_filter = ("payment_status", "created_at")
    search_fields = ("number", "payment_no")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OrderGroup._meta.fields]
