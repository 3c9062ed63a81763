"""Customer-service tickets (客服工单): consultations and complaints, a message thread, an SLA.

SLA: a ticket waiting for the shop (status open) must get a staff answer by `sla_due_at`, computed
from its priority (settings.SERVICE_SLA_HOURS, e.g. urgent 2 h ... low 72 h) from the moment it
started waiting (`awaiting_since`: opened, or the shopper wrote again). A staff reply stops the clock
(pending_customer); past the due time the beat task flags the ticket overdue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NUMBER_PREFIX = "T"


class TicketKind(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    COMPLAINT = "complaint", _("投诉")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    PENDING_CUSTOMER = "pending_customer", _("待顾客回复")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")


class TicketPriority(models.TextChoices):
    LOW = "low", _("低")
    NORMAL = "normal", _("普通")
    HIGH = "high", _("高")
    URGENT = "urgent", _("紧急")


PRIORITY_RANK = {
    TicketPriority.URGENT: 0,
    TicketPriority.HIGH: 1,
    TicketPriority.NORMAL: 2,
    TicketPriority.LOW: 3,
}


class Ticket(models.Model):
    number = models.CharField(_("工单号"), max_length=32, unique=True, editable=False)
    shop = models.ForeignKey(
        "shops.Shop", verbose_name=_("店铺"), on_delete=models.PROTECT, related_name="tickets"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("顾客"), on_delete=models.PROTECT, related_name="tickets"
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("关联订单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=TicketKind.choices)
    subject = models.CharField(_("标题"), max_length=120)
    status = models.CharField(
        _("状态"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    priority = models.CharField(
        _("优先级"), max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    awaiting_since = models.DateTimeField(_("等待处理起始"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("SLA 截止时间"), null=True, blank=True)
    is_overdue = models.BooleanField(_("已超时"), default=False)
    overdue_at = models.DateTimeField(_("超时标记时间"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("最近消息时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("客服工单")
        verbose_name_plural = _("客服工单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="service_ticket_status_known"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=TicketPriority.values), name="service_ticket_priority_known"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "sla_due_at"], name="service_ticket_queue"),
            models.Index(fields=["user", "-created_at"], name="service_ticket_user_time"),
            models.Index(fields=["sla_due_at"], condition=Q(status="open"), name="service_ticket_sla_open"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_past_due(self) -> bool:
        """Waiting for the shop beyond the SLA right now (the stored flag follows with the beat task)."""
        return (
            self.status == TicketStatus.OPEN
            and self.sla_due_at is not None
            and self.sla_due_at < timezone.now()
        )


class AuthorRole(models.TextChoices):
    SHOPPER = "shopper", _("顾客")
    STAFF = "staff", _("客服")
    SYSTEM = "system", _("系统")


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_role = models.CharField(_("身份"), max_length=10, choices=AuthorRole.choices)
    body = models.TextField(_("内容"), max_length=2000)
    attachment = models.ImageField(_("图片附件"), upload_to="tickets/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工单消息")
        verbose_name_plural = _("工单消息")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="service_message_thread")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.author_role}"
