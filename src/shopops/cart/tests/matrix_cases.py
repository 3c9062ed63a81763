"""Permission-matrix cases for the cart API (see shopops/shops/tests/matrix.py)."""

from __future__ import annotations

from shopops.orders.tests import factories
from shopops.shops.tests.matrix import Call, World, case


@case("GET", "/cart/shops/{shop_id}/shipping-rule")
def get_shipping_rule(w: World) -> Call:
    return Call("GET", f"/cart/shops/{w.shop.id}/shipping-rule")


@case("PUT", "/cart/shops/{shop_id}/shipping-rule")
def set_shipping_rule(w: World) -> Call:
    body = {"standard_fee": "8.00", "free_over": "69.00", "express_fee": "18.00"}
    return Call("PUT", f"/cart/shops/{w.shop.id}/shipping-rule", body)


@case("POST", "/cart/checkout/preview")
def preview(w: World) -> Call:
    _, sku = factories.sellable_sku(price="20.00", stock=5)
    factories.fill_cart(w.caller, (sku, 1))
    return Call("POST", "/cart/checkout/preview", {})
