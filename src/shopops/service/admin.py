"""Admin (django-unfold) for customer-service tickets: read-only, scoped to the staff's shops. Replies,
assignment and status changes happen in the ticket console (/console/service/)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display

from shopops.service.models import Ticket, TicketMessage
from shopops.shops.admin_base import ShopScopedAdmin


class MessageInline(TabularInline):
    model = TicketMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "author_role", "author", "body", "attachment")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ShopScopedAdmin):
    shop_field = "shop"
    view_permission = "service.manage"
    manage_permission = ""
    allow_add = False
    allow_delete = False
    list_display = (
        "number",
        "shop",
        "subject",
        "kind",
        "priority",
        "status",
        "is_overdue",
        "sla_due_at",
        "console",
    )
    list_filter = ("status", "priority", "kind", "is_overdue")
    search_fields = ("number", "subject", "order__number")
    list_select_related = ("shop",)
    inlines = [MessageInline]
    readonly_fields = [f.name for f in Ticket._meta.fields]

    @display(description=_("工作台"))
    def console(self, obj: Ticket) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("service_console:detail", args=[obj.number]), _("处理")
        )
