"""Permission-matrix cases for the orders API (see shopops/shops/tests/matrix.py).

Orders named in a path are created in `w.object_shop` (bought by a fresh shopper), so the IDOR run
finds another shop's order missing through the caller's own shop.
"""

from __future__ import annotations

import uuid

from shopops.orders.state import Action, transition
from shopops.orders.tests import factories
from shopops.shops.tests.matrix import Call, World, case

BASE = "/orders/shops"


def _order(shop, *, paid: bool = False):
    _, sku = factories.sellable_sku(shop, price="88.00", stock=5)
    buyer = factories.shopper_with_address()
    factories.fill_cart(buyer, (sku, 1))
    order = factories.place_order(buyer).group.orders.get()
    if paid:
        transition(order, Action.PAY, None)
    return order


def _own_order(w: World):
    """An order of the caller (for the shopper endpoints)."""
    _, sku = factories.sellable_sku(price="66.00", stock=5)
    if not w.caller.addresses.exists():
        factories.add_address(w.caller)
    factories.fill_cart(w.caller, (sku, 1))
    return factories.place_order(w.caller).group


# --- shop -------------------------------------------------------------------------------------------------


@case("GET", "/orders/shops/{shop_id}/orders")
def shop_orders(w: World) -> Call:
    _order(w.shop)
    return Call("GET", f"{BASE}/{w.shop.id}/orders", query={"status": "pending_payment"})


@case("GET", "/orders/shops/{shop_id}/orders/{number}")
def shop_order(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/orders/{_order(w.object_shop).number}")


@case("POST", "/orders/shops/{shop_id}/orders/{number}/transitions")
def shop_transition(w: World) -> Call:
    order = _order(w.object_shop, paid=True)
    body = {"action": "ship", "carrier_name": "顺丰速运", "waybill_no": "SF1234567890"}
    return Call("POST", f"{BASE}/{w.shop.id}/orders/{order.number}/transitions", body)


@case("PUT", "/orders/shops/{shop_id}/orders/{number}/note")
def shop_note(w: World) -> Call:
    order = _order(w.object_shop)
    return Call("PUT", f"{BASE}/{w.shop.id}/orders/{order.number}/note", {"note": "优先发货"})


@case("POST", "/orders/shops/{shop_id}/orders/{number}/reveal-address")
def reveal_address(w: World) -> Call:
    order = _order(w.object_shop, paid=True)
    return Call("POST", f"{BASE}/{w.shop.id}/orders/{order.number}/reveal-address")


@case("POST", "/orders/shops/{shop_id}/orders/bulk-ship")
def bulk_ship(w: World) -> Call:
    order = _order(w.shop, paid=True)
    body = {"items": [{"number": order.number, "carrier_name": "中通快递", "waybill_no": "ZT1"}]}
    return Call("POST", f"{BASE}/{w.shop.id}/orders/bulk-ship", body)


@case("POST", "/orders/shops/{shop_id}/orders/bulk-exception")
def bulk_exception(w: World) -> Call:
    order = _order(w.shop, paid=True)
    body = {"numbers": [order.number], "kind": "logistics", "note": "延误"}
    return Call("POST", f"{BASE}/{w.shop.id}/orders/bulk-exception", body)


@case("GET", "/orders/shops/{shop_id}/analytics")
def shop_analytics(w: World) -> Call:
    # Declared @shop_permission_any("analytics.view", "orders.view"): the matrix admits holders of either.
    return Call("GET", f"{BASE}/{w.shop.id}/analytics")


# --- platform ---------------------------------------------------------------------------------------------


@case("GET", "/orders/analytics")
def platform_analytics(w: World) -> Call:
    return Call("GET", "/orders/analytics", query={"shop_id": w.shop.id})


# --- signed in (the caller's own orders) -----------------------------------------------------------------


@case("POST", "/orders")
def submit(w: World) -> Call:
    _, sku = factories.sellable_sku(price="20.00", stock=5)
    address = factories.add_address(w.caller)
    factories.fill_cart(w.caller, (sku, 1))
    return Call("POST", "/orders", {"idempotency_key": uuid.uuid4().hex, "address_id": address.id}, ok=201)


@case("GET", "/orders")
def my_orders(w: World) -> Call:
    _own_order(w)
    return Call("GET", "/orders")


@case("GET", "/orders/{number}")
def my_order(w: World) -> Call:
    return Call("GET", f"/orders/{_own_order(w).orders.get().number}")


@case("GET", "/orders/groups/{number}")
def my_group(w: World) -> Call:
    return Call("GET", f"/orders/groups/{_own_order(w).number}")


@case("POST", "/orders/{number}/cancel")
def cancel(w: World) -> Call:
    return Call("POST", f"/orders/{_own_order(w).orders.get().number}/cancel", {"reason": "不想要了"})
