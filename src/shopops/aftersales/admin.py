"""Admin (django-unfold) for after-sales: a read-only register scoped to the staff's shops. Decisions
are taken in the after-sales console (/console/aftersales/), which goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display

from shopops.aftersales.models import AfterSalesEvent, AfterSalesRequest
from shopops.shops.admin_base import ShopScopedAdmin


class EventInline(TabularInline):
    model = AfterSalesEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "from_status", "to_status", "actor_role", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AfterSalesRequest)
class AfterSalesRequestAdmin(ShopScopedAdmin):
    shop_field = "shop"
    view_permission = "aftersales.manage"
    manage_permission = ""  # read-only here: every change goes through the console and the services
    allow_add = False
    allow_delete = False
    list_display = (
        "number",
        "shop",
        "kind",
        "status",
        "quantity",
        "amount",
        "refunded_amount",
        "created_at",
        "console",
    )
    list_filter = ("status", "kind", "reason", "created_at")
    search_fields = ("number", "order__number", "return_waybill")
    list_select_related = ("shop",)
    date_hierarchy = "created_at"
    inlines = [EventInline]
    readonly_fields = [f.name for f in AfterSalesRequest._meta.fields]

    @display(description=_("工作台"))
    def console(self, obj: AfterSalesRequest) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("aftersales_console:detail", args=[obj.number]), _("处理")
        )
