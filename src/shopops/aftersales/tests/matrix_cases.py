"""Permission-matrix cases for the after-sales API (see shopops/shops/tests/matrix.py).

Each builder creates the request named in the path in `w.object_shop`, in the state the action
needs, so a permitted role succeeds and the IDOR run (another shop's request through your own shop)
gets 404.
"""

from __future__ import annotations

from typing import Any

from shopops.aftersales import services
from shopops.aftersales.models import AfterSalesRequest
from shopops.aftersales.tests.factories import bare_order, delivered_order, service_agent
from shopops.shops.tests.matrix import Call, World, case

BASE = "/aftersales/shops"


def _request(shop: Any, *, kind: str = "return_refund", steps: tuple[str, ...] = (), order: Any = None):
    order = order or bare_order(shop)
    request = services.create_request(
        user=order.user,
        order_no=order.number,
        line_id=order.lines.first().id,
        kind=kind,
        quantity=1,
        reason="quality",
    )
    if steps:
        agent = service_agent(shop)
        for step in steps:
            _step(request, step, agent)
    return request


def _step(request: AfterSalesRequest, step: str, agent: Any) -> None:
    if step == "approve":
        services.approve(request=request, actor=agent)
    elif step == "ship_back":
        services.ship_back(request=request, actor=request.user, carrier_name="顺丰", waybill_no="SF10001000")
    elif step == "receive":
        services.receive(request=request, actor=agent, passed=True)
    elif step == "fail":
        services.receive(request=request, actor=agent, passed=False, note="破损")


def _path(w: World, request: AfterSalesRequest, action: str = "") -> str:
    suffix = f"/{action}" if action else ""
    return f"{BASE}/{w.shop.id}/requests/{request.number}{suffix}"


@case("GET", "/aftersales/shops/{shop_id}/requests")
def list_requests(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/requests")


@case("GET", "/aftersales/shops/{shop_id}/requests/{number}")
def get_request(w: World) -> Call:
    return Call("GET", _path(w, _request(w.object_shop)))


@case("POST", "/aftersales/shops/{shop_id}/requests/{number}/approve")
def approve(w: World) -> Call:
    return Call("POST", _path(w, _request(w.object_shop), "approve"), {"note": "同意"})


@case("POST", "/aftersales/shops/{shop_id}/requests/{number}/reject")
def reject(w: World) -> Call:
    return Call("POST", _path(w, _request(w.object_shop), "reject"), {"reason": "不符合条件"})


@case("POST", "/aftersales/shops/{shop_id}/requests/{number}/receive")
def receive(w: World) -> Call:
    request = _request(w.object_shop, steps=("approve", "ship_back"))
    return Call("POST", _path(w, request, "receive"), {"passed": True, "restock": False})


@case("POST", "/aftersales/shops/{shop_id}/requests/{number}/refund")
def refund(w: World) -> Call:
    # Money needs a real sandbox payment behind the order.
    order = delivered_order(shop=w.object_shop, lines=[("20.00", 1)])
    request = _request(w.object_shop, kind="refund_only", steps=("approve",), order=order)
    return Call("POST", _path(w, request, "refund"))


@case("POST", "/aftersales/shops/{shop_id}/requests/{number}/ship-replacement")
def ship_replacement(w: World) -> Call:
    request = _request(w.object_shop, kind="exchange", steps=("approve", "ship_back", "receive"))
    return Call(
        "POST", _path(w, request, "ship-replacement"), {"carrier_name": "顺丰", "waybill_no": "SF20002000"}
    )


@case("POST", "/aftersales/shops/{shop_id}/requests/{number}/close")
def close(w: World) -> Call:
    request = _request(w.object_shop, steps=("approve", "ship_back", "fail"))
    return Call("POST", _path(w, request, "close"), {"note": ""})
