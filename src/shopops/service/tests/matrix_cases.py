"""Permission-matrix cases for the customer-service API (see shopops/shops/tests/matrix.py)."""

from __future__ import annotations

from shopops.service import services
from shopops.shops.tests.matrix import Call, World, case

BASE = "/service/shops"


def _ticket(w: World):
    return services.open_ticket(
        user=w.new_user(),
        kind="consultation",
        subject="尺码咨询",
        body="M 码偏大吗？",
        shop_id=w.object_shop.id,
    )


def _path(w: World, action: str = "") -> str:
    suffix = f"/{action}" if action else ""
    return f"{BASE}/{w.shop.id}/tickets/{_ticket(w).number}{suffix}"


@case("GET", "/service/shops/{shop_id}/tickets")
def list_tickets(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/tickets")


@case("GET", "/service/shops/{shop_id}/tickets/counts")
def counts(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/tickets/counts")


@case("GET", "/service/shops/{shop_id}/tickets/{number}")
def get_ticket(w: World) -> Call:
    return Call("GET", _path(w))


@case("POST", "/service/shops/{shop_id}/tickets/{number}/messages")
def reply(w: World) -> Call:
    return Call("POST", _path(w, "messages"), {"body": "您好"}, ok=201)


@case("POST", "/service/shops/{shop_id}/tickets/{number}/assign")
def assign(w: World) -> Call:
    return Call("POST", _path(w, "assign"), {"assignee_id": None})


@case("POST", "/service/shops/{shop_id}/tickets/{number}/priority")
def priority(w: World) -> Call:
    return Call("POST", _path(w, "priority"), {"priority": "urgent"})


@case("POST", "/service/shops/{shop_id}/tickets/{number}/resolve")
def resolve(w: World) -> Call:
    return Call("POST", _path(w, "resolve"), {"note": ""})


@case("POST", "/service/shops/{shop_id}/tickets/{number}/close")
def close(w: World) -> Call:
    return Call("POST", _path(w, "close"), {"note": ""})
