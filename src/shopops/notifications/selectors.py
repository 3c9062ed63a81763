"""Reads of the notifications app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shopops.notifications.models import Notification


def my_notifications(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user_id=getattr(user, "pk", None))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notification_by_id(notification_id: int) -> Notification | None:
    return Notification.objects.select_related("user").filter(pk=notification_id).first()
