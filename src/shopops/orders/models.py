"""Orders: one OrderGroup per checkout (the parent order the shopper pays once), one Order per shop
inside it (Taobao/JD split orders, each shop handles its own), lines with a price snapshot, the
timeline of every state change (OrderEvent) and the refunds orders asked payments for.

Rules that keep the records honest:
- `Order.status` changes only through `orders.state.transition()`, which holds the one transition
  table and writes an OrderEvent for every change in the same transaction.
- Money on an order is a snapshot taken at submission: later price edits, coupons or address edits
  never change a placed order. Line discounts are allocated with core.money.allocate, so
  sum(line.paid_amount) + shipping == order.total to the fen.
- Numbers shown to people are random time-sortable numbers (core.ids); database ids never appear
  in URLs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopops.core.fields import EncryptedTextField
from shopops.core.masking import mask_name, mask_phone
from shopops.core.models import TimelineEvent
from shopops.core.money import ZERO, MoneyField

GROUP_NUMBER_PREFIX = "PG"


class OrderStatus(models.TextChoices):
    # A message context keeps these labels apart from other apps' identical words ("已完成" is
    # "Received" for a purchase order, "Completed" for an order).
    PENDING_PAYMENT = "pending_payment", pgettext_lazy("order status", "待付款")
    PAID = "paid", pgettext_lazy("order status", "待发货")
    SHIPPED = "shipped", pgettext_lazy("order status", "已发货")
    DELIVERED = "delivered", pgettext_lazy("order status", "待确认收货")
    COMPLETED = "completed", pgettext_lazy("order status", "已完成")
    CANCELLED = "cancelled", pgettext_lazy("order status", "已取消")
    CLOSED = "closed", pgettext_lazy("order status", "已关闭")


# States in which nothing more can happen to the order's flow (after-sales is a separate flow).
FINAL_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.CLOSED)


class ExceptionKind(models.TextChoices):
    LOGISTICS = "logistics", _("物流异常")
    QUALITY = "quality", _("质量问题")
    ADDRESS = "address", _("地址问题")
    STOCK = "stock", _("缺货")
    PAYMENT = "payment", _("支付异常")
    OTHER = "other", _("其他")


class GroupPaymentStatus(models.TextChoices):
    UNPAID = "unpaid", pgettext_lazy("order payment status", "待支付")
    PAID = "paid", pgettext_lazy("order payment status", "已支付")
    CLOSED = "closed", pgettext_lazy("order payment status", "已关闭")


class OrderGroup(models.Model):
    """What the shopper checked out in one go and pays with one payment (父订单 / 合并付款)."""

    number = models.CharField(_("支付单号"), max_length=32, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("买家"),
        on_delete=models.PROTECT,
        related_name="order_groups",
    )
    # The client's Idempotency-Key: a repeated submit with the same key returns this group.
    idempotency_key = models.CharField(_("幂等键"), max_length=64, editable=False)
    # Digest of what the submit asked for, to refuse a reused key with a different request.
    request_fingerprint = models.CharField(max_length=64, editable=False)
    payment_status = models.CharField(
        _("支付状态"), max_length=12, choices=GroupPaymentStatus.choices, default=GroupPaymentStatus.UNPAID
    )
    items_total = MoneyField(_("商品总额"), default=ZERO)
    discount_total = MoneyField(_("优惠合计"), default=ZERO)
    shipping_total = MoneyField(_("运费合计"), default=ZERO)
    total = MoneyField(_("下单总额"), default=ZERO)
    # What the current payment must collect: the total of the group's orders still awaiting payment
    # (cancelling one shop's unpaid order lowers it and closes the open payment).
    amount_due = MoneyField(_("待付金额"), default=ZERO)
    paid_amount = MoneyField(_("实付金额"), default=ZERO)
    pay_deadline = models.DateTimeField(_("支付截止时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    payment_no = models.CharField(_("支付流水号"), max_length=32, blank=True, default="")
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("合并支付单")
        verbose_name_plural = _("合并支付单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="orders_group_idempotency"),
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_group_total_gte_0"),
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="orders_group_due_gte_0"),
        ]
        indexes = [
            models.Index(
                fields=["pay_deadline"], condition=Q(payment_status="unpaid"), name="orders_group_unpaid_due"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Order(models.Model):
    """One shop's part of a checkout: what that shop ships and is paid for."""

    number = models.CharField(_("订单号"), max_length=32, unique=True, editable=False)
    group = models.ForeignKey(
        OrderGroup, verbose_name=_("合并支付单"), on_delete=models.PROTECT, related_name="orders"
    )
    shop = models.ForeignKey(
        "shops.Shop", verbose_name=_("店铺"), on_delete=models.PROTECT, related_name="orders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("买家"), on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    has_exception = models.BooleanField(_("异常"), default=False)
    exception_kind = models.CharField(_("异常类型"), max_length=16, choices=ExceptionKind.choices, blank=True)
    exception_note = models.CharField(_("异常说明"), max_length=255, blank=True)

    # Money snapshot (CNY).
    items_total = MoneyField(_("商品总额"))
    discount_total = MoneyField(_("商品优惠"), default=ZERO)
    shipping_fee = MoneyField(_("运费"), default=ZERO)
    shipping_discount = MoneyField(_("运费优惠"), default=ZERO)
    total = MoneyField(_("订单金额"))
    refunded_amount = MoneyField(_("已退款"), default=ZERO)
    shipping_method = models.CharField(_("配送方式"), max_length=16)
    pricing = models.JSONField(_("优惠明细"), default=dict, blank=True)

    # Address snapshot. Name, phone and street detail are PII: encrypted at rest, masked on display.
    receiver_name = EncryptedTextField(_("收货人"))
    receiver_phone = EncryptedTextField(_("收货电话"))
    province = models.CharField(_("省"), max_length=32)
    city = models.CharField(_("市"), max_length=32)
    district = models.CharField(_("区/县"), max_length=32)
    street = models.CharField(_("街道"), max_length=64, blank=True)
    address_detail = EncryptedTextField(_("详细地址"))
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    postcode = models.CharField(_("邮编"), max_length=6, blank=True)

    buyer_note = models.CharField(_("买家留言"), max_length=200, blank=True)
    merchant_note = models.CharField(_("商家备注"), max_length=255, blank=True)
    carrier_name = models.CharField(_("快递公司"), max_length=40, blank=True)
    waybill_no = models.CharField(_("运单号"), max_length=40, blank=True, db_index=True)

    created_at = models.DateTimeField(_("下单时间"), default=timezone.now)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    auto_confirm_at = models.DateTimeField(_("自动确认收货时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("total")),
                name="orders_order_refund_within_total",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="orders_order_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-created_at"], name="orders_shop_status_time"),
            models.Index(fields=["shop", "-created_at"], name="orders_shop_time"),
            models.Index(fields=["user", "-created_at"], name="orders_user_time"),
            models.Index(
                fields=["auto_confirm_at"], condition=Q(status="delivered"), name="orders_auto_confirm_due"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_receiver_name(self) -> str:
        return mask_name(self.receiver_name)

    @property
    def masked_receiver_phone(self) -> str:
        return mask_phone(self.receiver_phone)

    @property
    def region_text(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district, self.street) if p)

    @property
    def masked_address(self) -> str:
        """Region in full, street detail hidden: enough for a merchant list or a shopper's summary."""
        return f"{self.region_text} ****"

    @property
    def refundable_amount(self):
        return self.total - self.refunded_amount

    @property
    def shipping_method_label(self) -> str:
        from shopops.cart.models import ShippingMethod

        return str(dict(ShippingMethod.choices).get(self.shipping_method, self.shipping_method))


class OrderLine(models.Model):
    """One SKU of an order, as it was sold: nothing here follows later catalog edits."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # Kept for links and after-sales; SET_NULL so a SKU deleted years later leaves history intact.
    sku = models.ForeignKey("catalog.Sku", null=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("catalog.Product", null=True, on_delete=models.SET_NULL, related_name="+")
    sku_code = models.CharField(_("SKU 编码"), max_length=64)
    title = models.CharField(_("商品名称"), max_length=120)
    sku_label = models.CharField(_("规格"), max_length=200, blank=True)
    sku_attributes = models.JSONField(_("规格属性"), default=dict, blank=True)
    image_url = models.CharField(_("图片"), max_length=300, blank=True)
    unit_price = MoneyField(_("单价"))
    quantity = models.PositiveIntegerField(_("数量"))
    subtotal = MoneyField(_("小计"))
    discount = MoneyField(_("分摊优惠"), default=ZERO)
    paid_amount = MoneyField(_("实付"))
    refunded_amount = MoneyField(_("已退款"), default=ZERO)

    class Meta:
        verbose_name = _("订单商品")
        verbose_name_plural = _("订单商品")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(paid_amount=F("subtotal") - F("discount")), name="orders_line_paid_is_net"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("paid_amount")),
                name="orders_line_refund_within_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} x{self.quantity}"


class ActorRole(models.TextChoices):
    SHOPPER = "shopper", _("买家")
    MERCHANT = "merchant", _("商家")
    SYSTEM = "system", _("系统")


class OrderEvent(TimelineEvent):
    """The timeline: one row per state change or flag, append-only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor_role = models.CharField(_("身份"), max_length=12, choices=ActorRole.choices)
    reason = models.CharField(_("原因"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("订单动态")
        verbose_name_plural = _("订单动态")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="orders_event_timeline")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action} {self.from_status}->{self.to_status}"


class OrderRefundStatus(models.TextChoices):
    PROCESSING = "processing", _("退款中")
    SUCCEEDED = "succeeded", _("已退款")
    FAILED = "failed", _("退款失败")


class OrderRefund(models.Model):
    """A refund orders asked payments for, tied to the order (and lines) it gives money back for."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_no = models.CharField(_("退款单号"), max_length=32, unique=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    amount = MoneyField(_("金额"))
    # {order_line_id: amount}: how the amount splits over lines (empty for shipping-only money).
    line_amounts = models.JSONField(_("按商品分摊"), default=dict, blank=True)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=OrderRefundStatus.choices, default=OrderRefundStatus.PROCESSING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("订单退款")
        verbose_name_plural = _("订单退款")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="orders_refund_amount_gt_0")]

    def __str__(self) -> str:
        return self.refund_no
