"""Admin (django-unfold) for notifications: read-only, for platform staff answering "was I told?".
Messages are written only by the application (notifications.services.notify)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from shopops.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    list_display = ("created_at", "user", "kind", "title_display", "read_at", "emailed_at")
    list_filter = (
        "kind",
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("user__username", "user__email", "dedupe_key")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = (
        "uid",
        "user",
        "kind",
        "title_display",
        "body_display",
        "link",
        "dedupe_key",
        "created_at",
        "read_at",
        "emailed_at",
    )
    readonly_fields = fields

    @display(description=_("标题"))
    def title_display(self, obj: Notification) -> str:
        return obj.display_title

    @display(description=_("内容"))
    def body_display(self, obj: Notification) -> str:
        return obj.display_body

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
