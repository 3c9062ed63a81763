"""Domain errors of cart and checkout (mapped to the API error shape by core.errors)."""

from __future__ import annotations

from shopops.core.errors import Conflict, InvalidInput, NotFound


class SkuUnavailable(Conflict):
    """The SKU cannot be bought now: inactive, product off sale, shop not trading, or unknown."""

    code = "sku_unavailable"
    message = "商品已下架或不可购买 / This item is no longer available"


class NotEnoughStock(Conflict):
    code = "insufficient_stock"
    message = "库存不足 / Not enough stock"


class QuantityOutOfRange(InvalidInput):
    code = "invalid_quantity"
    message = "数量无效 / Invalid quantity"


class CartFull(Conflict):
    code = "cart_full"
    message = "购物车已满，请先结算或删除部分商品 / The cart is full: check out or remove some items first"


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    message = "购物车中没有该商品 / This item is not in the cart"


class NothingToCheckout(InvalidInput):
    code = "nothing_to_checkout"
    message = "请选择要结算的商品 / Choose the items to check out"


class ShippingMethodUnavailable(InvalidInput):
    code = "shipping_method_unavailable"
    message = "该配送方式不可用 / This shipping method is not available"


class CouponNotApplicable(InvalidInput):
    code = "coupon_not_applicable"
    message = "优惠券不可用 / This coupon cannot be applied"
