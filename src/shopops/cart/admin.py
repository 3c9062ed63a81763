"""Shipping fee rules in the admin; saved through the cart service (validated and audited)."""

from __future__ import annotations

from django.contrib import admin

from shopops.cart import services
from shopops.cart.models import ShippingRule
from shopops.shops.admin_base import ShopScopedAdmin


@admin.register(ShippingRule)
class ShippingRuleAdmin(ShopScopedAdmin):
    shop_field = "shop"
    view_permission = "shop.view"
    manage_permission = "logistics.manage"
    list_display = ("shop", "standard_fee", "free_over", "express_fee", "updated_at")
    fields = ("shop", "standard_fee", "free_over", "express_fee")

    def save_model(self, request, obj, form, change) -> None:
        saved = services.set_shipping_rule(
            shop_id=obj.shop_id,
            standard_fee=obj.standard_fee,
            free_over=obj.free_over,
            express_fee=obj.express_fee,
            actor=request.user,
        )
        obj.pk = saved.pk
