"""After-sales (售后): a shopper's request about one order line, and its timeline.

One request covers one line and a quantity of it: refund only (仅退款), return and refund (退货退款)
or exchange (换货). `AfterSalesRequest.status` changes only through `aftersales.state.transition()`,
which holds the one transition table and appends an `AfterSalesEvent` in the same transaction.

Money: `amount` is what the shopper asked for and customer service agreed to, never more than the
line's paid share for that quantity (discounts already allocated into `OrderLine.paid_amount`) minus
what was refunded or is claimed by other open requests. Refunds go through orders -> payments with an
idempotency key derived from the request number, so a retried or concurrent refund pays once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopops.core.models import TimelineEvent
from shopops.core.money import ZERO, MoneyField

NUMBER_PREFIX = "AS"


class AfterSalesKind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("仅退款")
    RETURN_REFUND = "return_refund", _("退货退款")
    EXCHANGE = "exchange", _("换货")


# Kinds where the goods travel back to the shop before anything else happens.
GOODS_BACK_KINDS = (AfterSalesKind.RETURN_REFUND, AfterSalesKind.EXCHANGE)
# Kinds that end with money going back to the shopper.
REFUND_KINDS = (AfterSalesKind.REFUND_ONLY, AfterSalesKind.RETURN_REFUND)


class AfterSalesStatus(models.TextChoices):
    REQUESTED = "requested", _("待审核")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已拒绝")
    CANCELLED = "cancelled", _("已撤销")
    RETURNING = "returning", _("买家已寄回")
    RECEIVED = "received", _("已收货验货通过")
    INSPECTION_FAILED = "inspection_failed", _("验货未通过")
    REFUNDING = "refunding", _("退款中")
    REFUND_FAILED = "refund_failed", _("退款失败")
    REFUNDED = "refunded", _("已退款")
    REPLACEMENT_SHIPPED = "replacement_shipped", _("换货已发出")
    CLOSED = "closed", _("已完成")


# A request in one of these no longer claims units or money of its line.
RELEASED_STATUSES = (AfterSalesStatus.REJECTED, AfterSalesStatus.CANCELLED)
FINAL_STATUSES = (AfterSalesStatus.REJECTED, AfterSalesStatus.CANCELLED, AfterSalesStatus.CLOSED)


class AfterSalesReason(models.TextChoices):
    NO_REASON = "no_reason", _("七天无理由")
    QUALITY = "quality", _("质量问题")
    DAMAGED = "damaged", _("商品破损")
    WRONG_ITEM = "wrong_item", _("发错货")
    NOT_AS_DESCRIBED = "not_as_described", _("与描述不符")
    SIZE = "size", _("尺码不合适")
    MISSING = "missing", _("少件/漏发")
    OTHER = "other", _("其他")


class AfterSalesRequest(models.Model):
    number = models.CharField(_("售后单号"), max_length=32, unique=True, editable=False)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("订单"), on_delete=models.PROTECT, related_name="aftersales_requests"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("订单商品"),
        on_delete=models.PROTECT,
        related_name="aftersales_requests",
    )
    # Copied from the order so staff queues and admin scoping need no join.
    shop = models.ForeignKey(
        "shops.Shop", verbose_name=_("店铺"), on_delete=models.PROTECT, related_name="aftersales_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("买家"),
        on_delete=models.PROTECT,
        related_name="aftersales_requests",
    )
    kind = models.CharField(_("售后类型"), max_length=16, choices=AfterSalesKind.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=AfterSalesStatus.choices, default=AfterSalesStatus.REQUESTED
    )
    quantity = models.PositiveIntegerField(_("数量"))
    amount = MoneyField(_("申请退款金额"), default=ZERO)
    reason = models.CharField(_("原因"), max_length=20, choices=AfterSalesReason.choices)
    description = models.TextField(_("问题描述"), max_length=500, blank=True)

    decision_note = models.CharField(_("处理意见"), max_length=255, blank=True)
    reject_reason = models.CharField(_("拒绝原因"), max_length=255, blank=True)
    return_carrier = models.CharField(_("退回快递公司"), max_length=40, blank=True)
    return_waybill = models.CharField(_("退回运单号"), max_length=40, blank=True, db_index=True)
    inspection_note = models.CharField(_("验货说明"), max_length=255, blank=True)
    restocked_quantity = models.PositiveIntegerField(_("已入库数量"), default=0)
    restock_warehouse_id = models.BigIntegerField(_("入库仓库"), null=True, blank=True)
    # Exchange only: the SKU sent back to the shopper (the line's own SKU, or another SKU of the same
    # product at the same price), with its code and spec as they were when the request was made.
    replacement_sku = models.ForeignKey(
        "catalog.Sku",
        verbose_name=_("换货规格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    replacement_sku_code = models.CharField(_("换货 SKU 编码"), max_length=64, blank=True)
    replacement_sku_label = models.CharField(_("换货规格名称"), max_length=200, blank=True)
    replacement_carrier = models.CharField(_("换货快递公司"), max_length=40, blank=True)
    replacement_waybill = models.CharField(_("换货运单号"), max_length=40, blank=True)

    refund_attempts = models.PositiveSmallIntegerField(_("退款次数"), default=0)
    refund_no = models.CharField(_("退款单号"), max_length=32, blank=True, db_index=True)
    refunded_amount = MoneyField(_("已退款金额"), default=ZERO)

    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    window_ends_at = models.DateTimeField(_("售后截止时间"))
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    approved_at = models.DateTimeField(_("同意时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("寄回时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完结时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("售后申请")
        verbose_name_plural = _("售后申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="aftersales_quantity_gt_0"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="aftersales_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="aftersales_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AfterSalesStatus.values), name="aftersales_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-created_at"], name="aftersales_shop_queue"),
            models.Index(fields=["user", "-created_at"], name="aftersales_user_time"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def needs_goods_back(self) -> bool:
        return self.kind in GOODS_BACK_KINDS

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def changes_sku(self) -> bool:
        """An exchange for another SKU than the one bought (e.g. another size or colour)."""
        return self.replacement_sku_id is not None and self.replacement_sku_id != self.order_line.sku_id


class ActorRole(models.TextChoices):
    SHOPPER = "shopper", _("买家")
    STAFF = "staff", _("客服")
    SYSTEM = "system", _("系统")


class AfterSalesEvent(TimelineEvent):
    """The timeline: one row per state change, append-only."""

    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="events")
    actor_role = models.CharField(_("身份"), max_length=12, choices=ActorRole.choices)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("售后动态")
        verbose_name_plural = _("售后动态")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="aftersales_event_timeline")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.from_status}->{self.to_status}"
