"""Domain errors of the notifications app."""

from __future__ import annotations

from shopops.core.errors import NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    message = "消息不存在 / Notification not found"
