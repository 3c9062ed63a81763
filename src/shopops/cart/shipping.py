"""Shipping fees: ONE function, `shipping_fee()`, decides what a shop charges to ship a parcel.

The rule today is deliberately simple (per shop: free at or above a threshold of the goods' paid
amount, else a flat fee; an express option at its own flat fee when the shop offers it). The
logistics app replaces the body of `shipping_fee` / `available_methods` (region templates, weight,
carriers) without any caller changing: checkout, pricing and orders only ever call these two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from shopops.cart.errors import ShippingMethodUnavailable
from shopops.cart.models import ShippingMethod, ShippingRule
from shopops.core.money import ZERO, to_money


@dataclass(frozen=True)
class ShopShippingRule:
    shop_id: int
    free_over: Decimal | None
    standard_fee: Decimal
    express_fee: Decimal | None


def _default_rule(shop_id: int) -> ShopShippingRule:
    free_over = getattr(settings, "SHIPPING_FREE_OVER", "99.00")
    express = getattr(settings, "SHIPPING_EXPRESS_FEE", "22.00")
    return ShopShippingRule(
        shop_id=shop_id,
        free_over=to_money(free_over) if free_over is not None else None,
        standard_fee=to_money(getattr(settings, "SHIPPING_STANDARD_FEE", "10.00")),
        express_fee=to_money(express) if express is not None else None,
    )


def rules_for(shop_ids: Iterable[int]) -> dict[int, ShopShippingRule]:
    """Each shop's rule (settings defaults for shops that set none), in one query."""
    ids = set(shop_ids)
    found = {
        rule.shop_id: ShopShippingRule(rule.shop_id, rule.free_over, rule.standard_fee, rule.express_fee)
        for rule in ShippingRule.objects.filter(shop_id__in=ids)
    }
    return {shop_id: found.get(shop_id) or _default_rule(shop_id) for shop_id in ids}


def available_methods(*, shop_id: int, rule: ShopShippingRule | None = None) -> list[str]:
    rule = rule or rules_for([shop_id])[shop_id]
    methods = [ShippingMethod.STANDARD.value]
    if rule.express_fee is not None:
        methods.append(ShippingMethod.EXPRESS.value)
    return methods


def shipping_fee(
    *,
    shop_id: int,
    method: str,
    goods_amount: Decimal,
    address: Any = None,
    weight_grams: int = 0,
    rule: ShopShippingRule | None = None,
) -> Decimal:
    """What `shop_id` charges to ship goods worth `goods_amount` (after item discounts) by `method`.

    `address` (an accounts Address or its snapshot dict) and `weight_grams` are not used by the
    simple rule yet; they are in the signature so the logistics replacement needs no caller change.
    Raises ShippingMethodUnavailable for a method the shop does not offer.
    """
    rule = rule or rules_for([shop_id])[shop_id]
    if method == ShippingMethod.STANDARD:
        if rule.free_over is not None and to_money(goods_amount) >= rule.free_over:
            return ZERO
        return rule.standard_fee
    if method == ShippingMethod.EXPRESS and rule.express_fee is not None:
        return rule.express_fee
    raise ShippingMethodUnavailable(shop_id=shop_id, method=method)
