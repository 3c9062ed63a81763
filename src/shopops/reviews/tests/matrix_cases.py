"""Permission-matrix cases for the reviews API (see shopops/shops/tests/matrix.py)."""

from __future__ import annotations

from shopops.reviews import services
from shopops.reviews.tests.factories import completed_purchase, review_of
from shopops.shops.permissions import CUSTOMER_SERVICE
from shopops.shops.tests.factories import make_member
from shopops.shops.tests.matrix import Call, World, case

BASE = "/reviews/shops"


def _review(w: World, *, hidden: bool = False):
    order, line = completed_purchase(w.object_shop)
    review = review_of(order, line)
    if hidden:
        services.hide(review=review, actor=make_member(w.object_shop, CUSTOMER_SERVICE).user, reason="测试")
    return review


@case("GET", "/reviews/shops/{shop_id}/reviews")
def list_reviews(w: World) -> Call:
    return Call("GET", f"{BASE}/{w.shop.id}/reviews")


@case("POST", "/reviews/shops/{shop_id}/reviews/{review_id}/reply")
def reply(w: World) -> Call:
    return Call("POST", f"{BASE}/{w.shop.id}/reviews/{_review(w).pk}/reply", {"text": "谢谢"})


@case("POST", "/reviews/shops/{shop_id}/reviews/{review_id}/hide")
def hide(w: World) -> Call:
    return Call("POST", f"{BASE}/{w.shop.id}/reviews/{_review(w).pk}/hide", {"reason": "广告"})


@case("POST", "/reviews/shops/{shop_id}/reviews/{review_id}/unhide")
def unhide(w: World) -> Call:
    return Call("POST", f"{BASE}/{w.shop.id}/reviews/{_review(w, hidden=True).pk}/unhide")
