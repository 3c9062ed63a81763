"""Payments: what the shopper owes and paid, what gateways told us, refunds and reconciliation.

Payments knows nothing about orders. A payment carries a `reference` (the order group / parent
order number chosen by the caller) and tells the world about its state changes through the
signals in `payments.signals`. The `Sandbox*` models are the state of the built-in sandbox gateway:
they stand for the outside payment provider and are never read by the payment services directly,
only through `gateways.sandbox.SandboxGateway`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopops.core.money import CURRENCY, MoneyField


class Channel(models.TextChoices):
    SANDBOX = "sandbox", _("沙箱")
    ALIPAY = "alipay", _("支付宝")
    WECHAT = "wechat", _("微信支付")


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("已创建")
    PENDING = "pending", _("待支付")
    SUCCEEDED = "succeeded", _("支付成功")
    FAILED = "failed", _("支付失败")
    CLOSED = "closed", _("已关闭")
    # Money arrived for a payment we had already closed (order timed out, shopper switched channel).
    # Never credited silently: see services.resolve_late_payment and the policy in services.py.
    SUCCEEDED_AFTER_CLOSE = "succeeded_after_close", _("关闭后到账")


OPEN_PAYMENT_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)
PAID_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.SUCCEEDED_AFTER_CLOSE)


class AttentionReason(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", _("通知金额与支付单不符")
    CURRENCY_MISMATCH = "currency_mismatch", _("通知币种与支付单不符")
    PAID_AFTER_CLOSE = "paid_after_close", _("关闭后到账，需退款或重开订单")
    TRADE_ID_CHANGED = "trade_id_changed", _("同一支付单出现不同的渠道交易号")
    REFUND_MISMATCH = "refund_mismatch", _("退款通知与退款单不符")


class Payment(models.Model):
    """One attempt to collect `amount` for `reference` through one channel."""

    payment_no = models.CharField(_("支付单号"), max_length=32, unique=True, editable=False)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("付款人"), on_delete=models.PROTECT, related_name="payments"
    )
    reference = models.CharField(_("业务单号"), max_length=64, db_index=True)
    subject = models.CharField(_("商品描述"), max_length=128)
    amount = MoneyField(_("金额"))
    currency = models.CharField(_("币种"), max_length=3, default=CURRENCY)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    scene = models.CharField(_("支付场景"), max_length=16, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    gateway_trade_id = models.CharField(_("渠道交易号"), max_length=64, blank=True, default="", db_index=True)
    paid_with = models.CharField(_("付款方式"), max_length=32, blank=True, default="")
    return_url = models.CharField(_("支付后返回地址"), max_length=500, blank=True, default="")
    action = models.JSONField(_("支付动作"), default=dict, blank=True)
    expires_at = models.DateTimeField(_("支付截止时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=255, blank=True, default="")
    needs_attention = models.BooleanField(_("需人工处理"), default=False, db_index=True)
    attention_reason = models.CharField(
        _("人工处理原因"), max_length=32, choices=AttentionReason.choices, blank=True, default=""
    )
    attention_resolved_at = models.DateTimeField(_("人工处理完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("支付单")
        verbose_name_plural = _("支付单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # At most one payment per reference is open at a time, so a shopper cannot be charged twice
            # for the same order group through two live payment pages.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status__in=["created", "pending"]),
                name="uniq_open_payment_per_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["payer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.payment_no

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES


class NotificationResult(models.TextChoices):
    RECEIVED = "received", _("已接收")
    CREDITED = "credited", _("已入账")
    APPLIED = "applied", _("已处理")
    DUPLICATE = "duplicate", _("重复通知")
    IGNORED = "ignored", _("已忽略（状态已更新）")
    FLAGGED = "flagged", _("已标记人工处理")
    REJECTED = "rejected", _("已拒绝")


class PaymentNotification(models.Model):
    """Every asynchronous notification exactly as received, kept for audit whatever happened to it."""

    channel = models.CharField(_("渠道"), max_length=16)
    headers = models.JSONField(_("请求头"), default=dict)
    body = models.TextField(_("原始报文"), blank=True)
    body_sha256 = models.CharField(_("报文摘要"), max_length=64)
    remote_addr = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)
    signature_valid = models.BooleanField(_("签名有效"), null=True)
    event_id = models.CharField(_("通知ID"), max_length=100, blank=True, default="", db_index=True)
    kind = models.CharField(_("类型"), max_length=16, blank=True, default="")
    payment_no = models.CharField(_("支付单号"), max_length=64, blank=True, default="", db_index=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    refund = models.ForeignKey(
        "Refund", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    parsed = models.JSONField(_("解析结果"), default=dict, blank=True)
    result = models.CharField(
        _("处理结果"), max_length=16, choices=NotificationResult.choices, default=NotificationResult.RECEIVED
    )
    error_code = models.CharField(_("错误码"), max_length=40, blank=True, default="")
    error_detail = models.TextField(_("错误详情"), blank=True, default="")
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.payment_no or '?'} {self.result}"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    PROCESSING = "processing", _("退款中")
    SUCCEEDED = "succeeded", _("退款成功")
    FAILED = "failed", _("退款失败")


# Refunds that hold part of the paid amount: a new refund must fit in what these leave.
ACTIVE_REFUND_STATUSES = (RefundStatus.REQUESTED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)


class Refund(models.Model):
    refund_no = models.CharField(_("退款单号"), max_length=32, unique=True, editable=False)
    payment = models.ForeignKey(
        Payment, verbose_name=_("支付单"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = MoneyField(_("退款金额"))
    reason = models.CharField(_("退款原因"), max_length=255, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    gateway_refund_id = models.CharField(_("渠道退款号"), max_length=64, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attempts = models.PositiveIntegerField(_("提交次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=255, blank=True, default="")
    failure_code = models.CharField(_("失败码"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(_("提交渠道时间"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("退款成功时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("退款单")
        verbose_name_plural = _("退款单")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.refund_no


class ReconciliationStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ReconciliationRun(models.Model):
    """One comparison of our payments against what the gateways report for a time range."""

    period_start = models.DateTimeField(_("开始时间"))
    period_end = models.DateTimeField(_("结束时间"))
    channel = models.CharField(_("渠道"), max_length=16, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=16, choices=ReconciliationStatus.choices, default=ReconciliationStatus.RUNNING
    )
    checked_count = models.PositiveIntegerField(_("核对笔数"), default=0)
    matched_count = models.PositiveIntegerField(_("一致笔数"), default=0)
    mismatch_count = models.PositiveIntegerField(_("差异笔数"), default=0)
    recorded_total = MoneyField(_("本地实收合计"), default=0)
    gateway_total = MoneyField(_("渠道实收合计"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.CharField(_("错误"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("对账批次")
        verbose_name_plural = _("对账批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d %H:%M} – {self.period_end:%Y-%m-%d %H:%M}"


class MismatchKind(models.TextChoices):
    PAID_NOT_RECORDED = "paid_not_recorded", _("渠道已收款，本地未入账")
    RECORDED_NOT_PAID = "recorded_not_paid", _("本地已入账，渠道未收款")
    AMOUNT = "amount", _("金额不一致")
    REFUNDED_AMOUNT = "refunded_amount", _("退款金额不一致")
    TRADE_ID = "trade_id", _("渠道交易号不一致")
    QUERY_FAILED = "query_failed", _("渠道查询失败")


class ReconciliationItem(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("差异类型"), max_length=24, choices=MismatchKind.choices)
    recorded_status = models.CharField(_("本地状态"), max_length=24)
    recorded_amount = MoneyField(_("本地金额"))
    recorded_refunded = MoneyField(_("本地退款"), default=0)
    gateway_state = models.CharField(_("渠道状态"), max_length=24, blank=True, default="")
    gateway_amount = MoneyField(_("渠道金额"), null=True, blank=True)
    gateway_refunded = MoneyField(_("渠道退款"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.kind}"


# --- The sandbox gateway's own books ---------------------------------------------------------------


class SandboxTradeStatus(models.TextChoices):
    WAITING = "waiting", _("等待付款")
    SUCCEEDED = "succeeded", _("付款成功")
    FAILED = "failed", _("付款失败")
    CLOSED = "closed", _("交易关闭")


class SandboxTrade(models.Model):
    """A trade as the sandbox provider sees it: keyed by our payment number (its out_trade_no)."""

    out_trade_no = models.CharField(max_length=64, unique=True)
    trade_no = models.CharField(max_length=64, unique=True)
    amount = MoneyField()
    currency = models.CharField(max_length=3, default=CURRENCY)
    subject = models.CharField(max_length=128)
    status = models.CharField(
        max_length=16, choices=SandboxTradeStatus.choices, default=SandboxTradeStatus.WAITING
    )
    method = models.CharField(max_length=16, blank=True, default="")
    refunded_amount = MoneyField(default=0)
    return_url = models.CharField(max_length=500, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("沙箱交易")
        verbose_name_plural = _("沙箱交易")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.trade_no


class SandboxRefund(models.Model):
    trade = models.ForeignKey(SandboxTrade, on_delete=models.CASCADE, related_name="refunds")
    out_refund_no = models.CharField(max_length=64, unique=True)
    refund_id = models.CharField(max_length=64, unique=True)
    amount = MoneyField()
    status = models.CharField(max_length=16, default="processing")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("沙箱退款")
        verbose_name_plural = _("沙箱退款")

    def __str__(self) -> str:
        return self.refund_id


class SandboxDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待送达")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("送达失败")


class SandboxNotification(models.Model):
    """An outgoing signed notification from the sandbox provider to our notify endpoint."""

    trade = models.ForeignKey(SandboxTrade, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=32)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=SandboxDeliveryStatus.choices, default=SandboxDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_response = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("沙箱通知")
        verbose_name_plural = _("沙箱通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"
