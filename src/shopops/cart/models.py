"""Carts and the per-shop shipping rule.

A cart belongs either to a signed-in user (one each) or to a guest browser session (a random token
kept in the session). At login the guest cart is merged into the user's (cart.signals). Lines hold
only a SKU and a quantity: prices are never stored here, they are read from the catalog each time
the cart is shown or priced, so nothing the browser sends can change what an order costs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopops.core.money import MoneyField

# Limits like the big marketplaces': Taobao caps a cart at 120 lines; a quantity above a few hundred
# per line is a typo or a bot, not a shopper.
MAX_CART_LINES = 120
MAX_LINE_QUANTITY = 200


class Cart(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    # Guest carts: the random token stored in the guest's session. Never an id in a URL.
    token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("购物车")
        verbose_name_plural = _("购物车")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(token__isnull=False), name="cart_has_an_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"cart of {self.user_id}" if self.user_id else "guest cart"

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))
    # Ticked for checkout (a shopper buys part of the cart and keeps the rest for later).
    selected = models.BooleanField(_("已勾选"), default=True)
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("购物车商品")
        verbose_name_plural = _("购物车商品")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="cart_line_once_per_sku"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_LINE_QUANTITY), name="cart_line_quantity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} x{self.quantity}"


class ShippingMethod(models.TextChoices):
    STANDARD = "standard", _("快递配送")
    EXPRESS = "express", _("加急快递")


class ShippingRule(models.Model):
    """A shop's simple shipping fee rule: free at or above a threshold, else a flat fee.

    Read only through `cart.shipping.shipping_fee()`, the one function the logistics app replaces
    (per-region templates, weights, carriers). A shop without a row uses the settings defaults.
    """

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="shipping_rule")
    free_over = MoneyField(
        _("满额包邮门槛"), null=True, blank=True, help_text=_("商品实付满此金额免运费；留空表示不包邮")
    )
    standard_fee = MoneyField(_("快递运费"))
    express_fee = MoneyField(_("加急运费"), null=True, blank=True, help_text=_("留空表示不提供加急"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("运费规则")
        verbose_name_plural = _("运费规则")
        constraints = [
            models.CheckConstraint(condition=Q(standard_fee__gte=0), name="shipping_standard_fee_gte_0"),
            models.CheckConstraint(
                condition=Q(express_fee__isnull=True) | Q(express_fee__gte=0),
                name="shipping_express_fee_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(free_over__isnull=True) | Q(free_over__gte=0), name="shipping_free_over_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.standard_fee}"
