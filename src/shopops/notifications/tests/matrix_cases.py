"""Permission-matrix cases for the notifications API (see shopops/shops/tests/matrix.py).

Every endpoint is signed_in: each role reads and marks only its own messages, so the builders write
the message for `w.caller`. Someone else's message (IDOR) is covered in test_notifications.py.
"""

from __future__ import annotations

from shopops.notifications import services
from shopops.shops.tests.matrix import Call, World, case


def _mine(w: World):
    return services.notify(user=w.caller, kind="order_shipped", title="订单已发货", email=False)


@case("GET", "/notifications")
def list_notifications(w: World) -> Call:
    return Call("GET", "/notifications")


@case("GET", "/notifications/unread-count")
def unread_count(w: World) -> Call:
    return Call("GET", "/notifications/unread-count")


@case("POST", "/notifications/read-all")
def read_all(w: World) -> Call:
    return Call("POST", "/notifications/read-all")


@case("POST", "/notifications/{uid}/read")
def mark_read(w: World) -> Call:
    return Call("POST", f"/notifications/{_mine(w).uid}/read")
