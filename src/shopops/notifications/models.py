"""Notifications (站内消息): what a shopper is told about their orders, after-sales and tickets.

A row is one message in the shopper's message centre ("我的消息"); an email copy goes out when the user
has a verified address. `title` and `body` hold the Chinese source text with %(name)s placeholders and
`params` their values, so the message is shown in the reader's language at read time (see
`display_title`), not frozen in whatever language was active when it was written.

`dedupe_key` makes `services.notify` idempotent: the same domain event delivered twice (a retried task,
a re-sent signal) finds the row it already made instead of writing a second one.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ORDER_SHIPPED = "order_shipped", _("订单发货")
    AFTERSALES = "aftersales", _("售后进度")
    SERVICE_REPLY = "service_reply", _("客服回复")
    SERVICE_STATUS = "service_status", _("工单状态")


class Notification(models.Model):
    uid = models.UUIDField(_("消息编号"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), max_length=1000, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=120, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_dedupe_once"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_time"),
            # The header badge counts unread rows on every page: a partial index keeps that cheap.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def display_title(self) -> str:
        return _fill(self.title, self.params)

    @property
    def display_body(self) -> str:
        return _fill(self.body, self.params) if self.body else ""


def _fill(text: str, params: dict) -> str:
    """The text in the active language with its placeholders filled; the source text if a
    translation's placeholders do not match (a message must never fail to show)."""
    translated = gettext(text)
    try:
        return translated % params if params else translated
    except (KeyError, ValueError, TypeError):
        try:
            return text % params
        except (KeyError, ValueError, TypeError):
            return text
