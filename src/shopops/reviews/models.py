"""Product reviews (评价): one review per purchased order line, one follow-up (追评), one shop reply.

A review counts in the product's rating summary (catalog Product.rating_avg / rating_count) while it
is visible; staff holding `reviews.moderate` may hide it with a reason and show it again. The summary
is recomputed from the visible reviews on every such change (never incremented), so it cannot drift.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReviewStatus(models.TextChoices):
    VISIBLE = "visible", _("显示中")
    HIDDEN = "hidden", _("已隐藏")


class Review(models.Model):
    order_line = models.OneToOneField(
        "orders.OrderLine", verbose_name=_("订单商品"), on_delete=models.PROTECT, related_name="review"
    )
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("订单"), on_delete=models.PROTECT, related_name="reviews"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.CASCADE, related_name="reviews"
    )
    shop = models.ForeignKey(
        "shops.Shop", verbose_name=_("店铺"), on_delete=models.PROTECT, related_name="reviews"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("买家"), on_delete=models.PROTECT, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField(_("评分"))
    text = models.TextField(_("评价内容"), max_length=1000, blank=True)
    is_anonymous = models.BooleanField(_("匿名评价"), default=False)
    sku_label = models.CharField(_("规格"), max_length=200, blank=True)

    status = models.CharField(
        _("状态"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.VISIBLE
    )
    hidden_reason = models.CharField(_("隐藏原因"), max_length=255, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(_("隐藏时间"), null=True, blank=True)

    reply_text = models.TextField(_("商家回复"), max_length=500, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("商品评价")
        verbose_name_plural = _("商品评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="reviews_rating_1_to_5"),
            models.CheckConstraint(condition=Q(status__in=ReviewStatus.values), name="reviews_status_known"),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at"], name="reviews_product_visible"),
            models.Index(fields=["shop", "-created_at"], name="reviews_shop_time"),
            models.Index(fields=["user", "-created_at"], name="reviews_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ★{self.rating} #{self.pk}"

    @property
    def is_visible(self) -> bool:
        return self.status == ReviewStatus.VISIBLE

    @property
    def has_reply(self) -> bool:
        return self.replied_at is not None

    @property
    def display_name(self) -> str:
        """Shown on the product page: never the full name; anonymous reviews show a mask only."""
        if self.is_anonymous:
            return "匿名用户"
        label = str(getattr(self.user, "label", "") or self.user.get_username())
        return f"{label[:1]}***{label[-1:]}" if len(label) > 2 else f"{label[:1]}***"


class ReviewFollowUp(models.Model):
    """追评: the buyer's one later word on the same purchase."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="follow_up")
    text = models.TextField(_("追评内容"), max_length=1000)
    created_at = models.DateTimeField(_("追评时间"), default=timezone.now)

    class Meta:
        verbose_name = _("追评")
        verbose_name_plural = _("追评")

    def __str__(self) -> str:
        return f"follow-up of {self.review_id}"


class ReviewImage(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="images")
    follow_up = models.ForeignKey(
        ReviewFollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(
        _("图片"), upload_to="reviews/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("评价图片")
        verbose_name_plural = _("评价图片")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.image.name
